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


def only_loopback(target: str) -> bool:
    """True unless `target` is a HOST:PORT that would send somewhere other than
    127.0.0.0/8 or ::1 (tests never send anywhere else): one that does not parse or
    resolve is safe, it can only be refused."""
    try:
        host, port = net.split_host_port(target)
        infos = net.getaddrinfo(host, port, timeout_s=2.0)
    except ValueError:
        return True
    for family, _, _, _, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if not address.is_loopback:
            return False
    return True


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
