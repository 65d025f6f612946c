"""A Python site: `fsync-play --listen` (PortAudio on the same JACK server) plays
the same bundles the Pd sites get, scheduled by the stream's DAC time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from pd_site import CLICK, CLICK_SAMPLES


class PythonSite:
    """recipe "fsync": fsync-play --listen (scheduled by DAC time); "workshop": the
    workshop's python-osc receiver (sleep until the timetag, then play now)."""

    def __init__(self, name: str, port: int, workdir: Path, seconds: float, recipe: str = "fsync", address: str | None = None):
        import soundfile

        self.name, self.port = name, port
        self.click = workdir / "click.wav"
        soundfile.write(str(self.click), np.full(CLICK_SAMPLES, 1.0, dtype=np.float32), 48000, subtype="FLOAT")
        self.seconds = seconds
        self.recipe, self.address = recipe, address
        self.process: subprocess.Popen | None = None
        self.lines: list[str] = []

    def __enter__(self) -> "PythonSite":
        if self.recipe == "workshop":
            cmd = [sys.executable, str(Path(__file__).resolve().parent / "workshop_receiver.py"), "--port", str(self.port),
                   "--address", self.address or "/play", "--seconds", str(self.seconds)]
        else:
            cmd = [sys.executable, "-m", "fsync.play_cli", "--listen", str(self.port), "--sound", f"{CLICK}={self.click}", "--seconds", str(self.seconds)]
            if self.address:
                cmd += ["--map", self.address, "tick", str(self.click)]
        env = os.environ.copy()
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "python") + os.pathsep + env.get("PYTHONPATH", "")
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def status_counts(self) -> dict[str, int]:
        return {"played": sum(1 for l in self.lines if (" at " in l and l.startswith("fsync-play: ")) or " played at " in l)}
