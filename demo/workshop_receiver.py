#!/usr/bin/env python3
"""The workshop's original Python receiver, for comparison: python-osc's
ThreadingOSCUDPServer + Dispatcher. For a bundle whose timetag is in the future,
python-osc's dispatcher sleeps until it, then calls the handler, which starts
playback right away. The workshop used playsound, which opens a new stream per
sound (start delay unknown, and a new JACK client each time, which a recording
cannot follow); here "right away" is the start of the next buffer of one open
stream: a lower bound of what playsound does.

    python3 demo/workshop_receiver.py --port 8000 --address /py
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--address", default="/py")
    p.add_argument("--seconds", type=float, default=3600)
    a = p.parse_args()

    import sounddevice as sd
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import ThreadingOSCUDPServer

    from fsync_tilde.play_cli import jack_device
    from fsync_tilde.sounds import click

    device = jack_device()
    rate = int(sd.query_devices(device)["default_samplerate"]) if device is not None else 48000
    sound = click(rate, level=1.0)

    starts = []  # clicks to start at the next buffer

    def callback(outdata, frames, time_info, status):
        outdata.fill(0)
        while starts:
            starts.pop()
            n = min(frames, len(sound))
            outdata[:n, 0] += sound[:n, 0]

    stream = sd.OutputStream(device=device, samplerate=rate, channels=1, dtype="float32", callback=callback)
    stream.start()

    def tick(address, *args):
        starts.append(True)  # "immediate" playback, as the workshop does
        print(f"workshop-receiver: {address} {args} played at {time.time():.6f}", flush=True)

    dispatcher = Dispatcher()
    dispatcher.map(a.address, tick)
    server = ThreadingOSCUDPServer(("127.0.0.1", a.port), dispatcher)
    threading.Timer(a.seconds, server.shutdown).start()
    print(f"workshop-receiver: listening on 127.0.0.1:{a.port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
