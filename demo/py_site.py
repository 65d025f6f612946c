"""A Python site: `fsync-play --listen` (PortAudio on the same JACK server) plays
the same bundles the Pd sites get, scheduled by the stream's DAC time."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from pd_site import CLICK, CLICK_SAMPLES
from site_process import SiteProcess


class PythonSite(SiteProcess):
    """recipe "fsync": fsync-play --listen (scheduled by DAC time); "workshop": the
    workshop's python-osc receiver (sleep until the timetag, then play now)."""

    def __init__(self, name: str, port: int, workdir: Path, seconds: float, recipe: str = "fsync", address: str | None = None):
        import soundfile

        self.name, self.port = name, port
        self.click = workdir / "click.wav"
        soundfile.write(str(self.click), np.full(CLICK_SAMPLES, 1.0, dtype=np.float32), 48000, subtype="FLOAT")
        self.seconds = seconds
        self.recipe, self.address = recipe, address
        SiteProcess.__init__(self)

    def __enter__(self) -> "PythonSite":
        if self.recipe == "workshop":
            cmd = [sys.executable, str(Path(__file__).resolve().parent / "workshop_receiver.py"), "--port", str(self.port),
                   "--address", self.address or "/play", "--seconds", str(self.seconds)]
        else:
            cmd = [sys.executable, "-m", "fsync_tilde.play_cli", "--listen", str(self.port), "--sound", f"{CLICK}={self.click}", "--seconds", str(self.seconds)]
            if self.address:
                cmd += ["--map", self.address, "tick", str(self.click)]
        env = os.environ.copy()
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "python") + os.pathsep + env.get("PYTHONPATH", "")
        self.start(cmd, env)
        return self


    def status_counts(self) -> dict[str, int]:
        return {"played": sum(1 for l in self.lines if (" at " in l and l.startswith("fsync-play: ")) or " played at " in l)}
