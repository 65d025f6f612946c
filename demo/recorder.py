"""A JACK client of our own: records the sites on one sample clock and relates
frames to wall-clock time by fitting time.time() against the frame counter."""

from __future__ import annotations

import threading
import time

import jack
import numpy as np


class Recorder:
    def __init__(self, sources: list[str], seconds: float, name: str = "fsync-recorder"):
        self.client = jack.Client(name, no_start_server=True)
        self.sr = self.client.samplerate
        self.sources = sources
        self.ports = [self.client.inports.register(f"in_{i}") for i in range(len(sources))]
        self.frames = int(seconds * self.sr)
        self.buffer = np.zeros((len(sources), self.frames), dtype=np.float32)
        self.first_frame: int | None = None
        self.clock_pairs: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self.xruns = 0  # as the server reports them while we record (a missed cycle of any client)
        self.xrun_times: list[float] = []  # time.time() of each
        self.gaps: list[tuple[int, int]] = []  # (first frame, count) the recording lacks: cycles this client missed
        self._next_frame: int | None = None
        self.client.set_process_callback(self._process)
        self.client.set_xrun_callback(self._xrun)

    def _process(self, blocksize: int) -> None:
        frame = self.client.last_frame_time
        if self.first_frame is None:
            self.first_frame = frame
        at = frame - self.first_frame
        if self._next_frame is not None and at != self._next_frame and len(self.gaps) < 10_000:
            self.gaps.append((self._next_frame, at - self._next_frame))
        self._next_frame = at + blocksize
        if at + blocksize > self.frames:
            return
        for i, port in enumerate(self.ports):
            self.buffer[i, at : at + blocksize] = port.get_array()

    def _xrun(self, _delayed_usecs: float) -> None:
        self.xruns += 1
        if len(self.xrun_times) < 10_000:
            self.xrun_times.append(time.time())

    def _sample_clock(self) -> None:
        while not self._stop.wait(0.01):
            # frame_time: the current frame estimated by JACK's own DLL, read next to time.time().
            self.clock_pairs.append((time.time(), self.client.frame_time))

    def __enter__(self) -> "Recorder":
        self.client.activate()
        for port, source in zip(self.ports, self.sources):
            self.client.connect(source, port)
        self._clock = threading.Thread(target=self._sample_clock, daemon=True)
        self._clock.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._clock.join(timeout=2)
        self.client.deactivate()
        self.client.close()

    def frame_to_wall(self) -> tuple[np.poly1d, float]:
        """Wall time of a recorded frame index, and the fit's RMS residual (ms)."""
        wall = np.array([w for w, _ in self.clock_pairs])
        frames = np.array([f for _, f in self.clock_pairs], dtype=np.float64) - (self.first_frame or 0)
        t0 = wall[0]
        fit = np.polyfit(frames, wall - t0, 1)
        residual = (wall - t0) - np.polyval(fit, frames)
        rms_ms = float(np.sqrt(np.mean(residual**2)) * 1000)
        return np.poly1d([fit[0], fit[1] + t0]), rms_ms
