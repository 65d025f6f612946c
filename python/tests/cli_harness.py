"""Running a CLI's main() in this process, bounded in time, with its output captured:
fast enough for property tests (no interpreter start per example)."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import signal
import socket
import traceback
from dataclasses import dataclass
from typing import Callable, List, Optional

from fsync_tilde import net


class Hung(Exception):
    pass


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_main(main: Callable[[Optional[List[str]]], int], argv: List[str], timeout_s: float = 10.0) -> Outcome:
    """main(argv) → exit status; SystemExit's code counts as the status. An exception
    that escapes main is returned as status 99 with its traceback on stderr; running
    longer than timeout_s raises Hung (SIGALRM: main thread only)."""
    out, err = io.StringIO(), io.StringIO()

    def alarm(_signum, _frame):
        raise Hung(f"{argv} ran longer than {timeout_s} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except Hung:
                raise
            except BaseException:  # noqa: BLE001 - the property is that none escapes
                traceback.print_exc()
                code = 99
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(code, out.getvalue(), err.getvalue())


class Sinks:
    """A UDP socket of this test on 127.0.0.1 and one on ::1 (where there is IPv6): the
    only ports a property test may send to, so that no stray bundle reaches another
    program listening on loopback (a Pd of someone's live test on 9000)."""

    def __init__(self) -> None:
        self.sockets = {}
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            try:
                s = socket.socket(family, socket.SOCK_DGRAM)
                s.bind((host, 0))
            except OSError:
                continue
            s.setblocking(False)
            self.sockets[family] = s

    def port(self, family: int = socket.AF_INET) -> int:
        return self.sockets[family].getsockname()[1]

    def accepts(self, target: str) -> bool:
        """True unless `target` is a HOST:PORT that would send somewhere other than one of
        these sockets (a target that does not parse or resolve can only be refused)."""
        try:
            host, port = net.split_host_port(target)
            family, sockaddr = net.resolve(host, port)  # the address the Sender would use
        except ValueError:
            return True
        sink = self.sockets.get(family)
        return bool(ipaddress.ip_address(sockaddr[0].split("%")[0]).is_loopback and sink and sockaddr[1] == sink.getsockname()[1])

    def drain(self) -> int:
        """Discards what arrived; returns how many datagrams."""
        count = 0
        for s in self.sockets.values():
            for _ in range(10000):
                try:
                    s.recv(70000)
                except (BlockingIOError, InterruptedError):
                    break
                count += 1
        return count

    def close(self) -> None:
        for s in self.sockets.values():
            s.close()


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
