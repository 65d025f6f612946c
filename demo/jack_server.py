"""A JACK server on the dummy driver: real-time audio timing without a sound card."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import time


class JackServer:
    def __init__(self, name: str, rate: int = 48000, period: int = 256):
        self.name, self.rate, self.period = name, rate, period
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "JackServer":
        self.remove_stale()
        # -R: real-time scheduling; with --no-realtime or period 64 the dummy server xruns
        # and every timing figure becomes noise (measured, see ../shared/README.md).
        cmd = ["jackd", "-n", self.name, "-R", "-P", "70", "-d", "dummy", "-r", str(self.rate), "-p", str(self.period)]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        os.environ["JACK_DEFAULT_SERVER"] = self.name
        time.sleep(1.0)
        if self.process.poll() is not None:
            raise RuntimeError(f"jackd exited: {self.process.stderr.read()[-500:]}")
        return self

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # a killed server leaves /dev/shm entries
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.remove_stale()

    def remove_stale(self) -> None:
        for path in glob.glob(f"/dev/shm/jack*{self.name}*"):
            try:
                os.remove(path)
            except OSError:
                pass
