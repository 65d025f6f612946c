#!/usr/bin/env python3
"""Writes tick.wav, the workshop examples' sound: a 30 ms tick made here (the
workshop ships its own tick.wav; we never copy it). 48 kHz mono 16-bit PCM: a
2 kHz tone that starts at full level on its first sample and decays
exponentially (-60 dB by the end), so its onset is sharp and easy to find in a
recording. Deterministic: the same bytes on every run.

    python3 patches/workshop/make_tick.py [--out patches/workshop/tick.wav]
"""

import argparse
import math
import struct
import wave
from pathlib import Path

RATE = 48000
SECONDS = 0.030
FREQ_HZ = 2000.0
PEAK = 0.9


def samples():
    n = int(RATE * SECONDS)
    decay = math.log(1000.0) / n  # -60 dB over the length
    # cos: the first sample is the peak, so the onset is the first sample.
    return [PEAK * math.exp(-decay * i) * math.cos(2 * math.pi * FREQ_HZ * i / RATE) for i in range(n)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "tick.wav"))
    a = p.parse_args()
    with wave.open(a.out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", round(x * 32767)) for x in samples()))
    print(f"wrote {a.out}: {SECONDS * 1000:.0f} ms, {RATE} Hz")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
