"""A JACK server on the dummy driver: real-time audio timing without a sound card."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import time


class JackServer:
    def __init__(self, name: str, rate: int = 48000, period: int = 256):
        self.name, self.rate, self.period = name, rate, period
        self.process: subprocess.Popen | None = None

    _cleaned = False  # once per process: libjack in this process maps the registry

    def __enter__(self) -> "JackServer":
        if not JackServer._cleaned:
            self.remove_stale()
            JackServer._cleaned = True
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

    def remove_stale(self) -> None:
        """JACK keeps a registry of servers in /dev/shm; entries of servers that are
        gone pile up and after eight "Too many servers already active". When no jackd
        runs on this machine at all, every jack* entry there is stale."""
        if subprocess.run(["pgrep", "-x", "jackd"], stdout=subprocess.DEVNULL).returncode == 0:
            return  # a server is running: leave the registry alone
        for path in glob.glob("/dev/shm/jack*"):
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
