"""Python plays too: start a sound so that its first sample leaves the DAC at a
wall-clock time, sample-accurately, by scheduling against the audio stream's own
clock (PortAudio's outputBufferDacTime) rather than sleeping until the time and
then starting playback (what the workshop's playsound does, start delay unknown)."""

from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from . import sounds

JOIN_OR_PLAY_RATIO = 10  # as src/core/settings.rs


@dataclass
class Voice:
    """One sound scheduled on a ScheduledPlayer (returned by play_at)."""

    sound: np.ndarray
    due_stream_time: float
    position: int = -1  # -1: not started
    late_s: float = 0.0  # how late its first sample was due when the stream reached it


class ScheduledPlayer:
    """An output stream that mixes sounds started at given wall-clock times.

    device: a PortAudio output device (index or part of a name; None: the default).
    samplerate: the stream's rate (None: the device's); sounds must be at this rate
    (fsync_tilde.sounds.load resamples). Use as a context manager: entering starts the
    stream and waits (at most 5 s) for its first callback, which ties the stream's
    clock to the wall clock; leaving stops and closes it.
    """

    MAX_WAITING = 1024  # sounds handed over but not yet taken by the stream: bounded memory

    def __init__(self, device=None, samplerate: int | None = None, channels: int = 2, max_voices: int = 64):
        import sounddevice as sd

        self.stream = sd.OutputStream(device=device, samplerate=samplerate, channels=channels, dtype="float32", callback=self._callback)
        self.samplerate = int(self.stream.samplerate)
        self.channels = channels
        self.max_voices = max_voices
        self._voices: list[Voice] = []
        self._pending: collections.deque[Voice] = collections.deque()
        self._offsets: collections.deque[float] = collections.deque(maxlen=200)
        self._lock = threading.Lock()
        self.late = 0

    def __enter__(self) -> "ScheduledPlayer":
        self.stream.start()
        deadline = time.time() + 5
        while not self._offsets and time.time() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc) -> None:
        self.stream.stop()
        self.stream.close()

    def wall_minus_stream(self) -> float:
        """wall − stream clock: the smallest recent reading (a reading is never early)."""
        with self._lock:
            return min(self._offsets) if self._offsets else float("nan")

    def play_at(self, sound: np.ndarray, unix_time: float) -> Voice:
        """Starts `sound` (frames × channels) so its first sample leaves the DAC at
        `unix_time`; its channels are fitted to the stream's as [fsync~] does. A time
        already past plays by [fsync~]'s join-or-play rule and sets the voice's late_s.
        Raises ValueError for a time that is not finite or a stream without a clock yet,
        OverflowError when MAX_WAITING sounds wait already."""
        if not math.isfinite(unix_time):
            raise ValueError(f"cannot play at {unix_time}")
        offset = self.wall_minus_stream()
        if not math.isfinite(offset):
            raise ValueError("the stream has not started: use the player as a context manager")
        voice = Voice(sounds.fit_channels(sound, self.channels), unix_time - offset)
        with self._lock:
            if len(self._pending) >= self.MAX_WAITING:
                raise OverflowError(f"{self.MAX_WAITING} sounds are waiting already")
            self._pending.append(voice)
        return voice

    def busy(self) -> bool:
        """True while a sound is waiting or playing."""
        with self._lock:
            return bool(self._voices or self._pending)

    def _callback(self, outdata, frames, time_info, status) -> None:
        wall = time.time()
        with self._lock:
            self._offsets.append(wall - time_info.currentTime)
            while self._pending and len(self._voices) < self.max_voices:
                self._voices.append(self._pending.popleft())
        outdata.fill(0)
        dac = time_info.outputBufferDacTime
        keep = []
        for v in self._voices:
            if v.position < 0:
                start = int(round((v.due_stream_time - dac) * self.samplerate))
                if start >= frames:
                    keep.append(v)
                    continue
                if start < 0:  # late: as [fsync~ -late join-or-play]
                    self.late += 1
                    v.late_s = -start / self.samplerate
                    # Join in step if at most a tenth of the sound is lost, else play it whole now.
                    v.position, start = (-start if -start * JOIN_OR_PLAY_RATIO <= len(v.sound) else 0), 0
                else:
                    v.position = 0
            else:
                start = 0
            n = min(frames - start, len(v.sound) - v.position)
            if n > 0:
                chunk = v.sound[v.position : v.position + n]
                outdata[start : start + n] += chunk  # a mono chunk broadcasts to every channel
                v.position += n
            if v.position < len(v.sound):
                keep.append(v)
        self._voices = keep
