"""A site's process: started with its output read line by line on a thread,
stopped with SIGTERM (then SIGKILL), every wait bounded."""

from __future__ import annotations

import signal
import subprocess
import threading


class SiteProcess:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.lines: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self, cmd: list[str], env: dict[str, str]) -> None:
        """Runs `cmd`; its stdout and stderr together become `lines`."""
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._reader:
            self._reader.join(timeout=2)

    def __exit__(self, *_exc) -> None:
        self.stop()
