"""Addresses for UDP: names and IPv6 resolved once, up front, with a clear error.

`HOST:PORT` text: `127.0.0.1:9000`, `[::1]:9000` (or `::1:9000`), `pd-site.local:9000`.
A name is resolved once, when the sender or receiver is made, never per packet."""

from __future__ import annotations

import socket
import threading
from typing import List, Optional, Tuple

Resolved = Tuple[int, tuple]  # (address family, sockaddr)
# A name lookup waits at most this long (a missing DNS server can stall getaddrinfo
# for tens of seconds): a CLI reports it rather than hanging.
RESOLVE_TIMEOUT_S = 5.0


def split_host_port(text: str) -> Tuple[str, int]:
    """`host:port`, `[v6]:port` or `v6:port` (the last colon separates the port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"'{text}' is not HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise ValueError(f"'{text}' has no host")
    if not (port.isascii() and port.isdigit()):
        raise ValueError(f"port '{port}' is not a number (expected HOST:PORT, e.g. 127.0.0.1:9000 or [::1]:9000)")
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(f"port {number} is out of range 1..65535")
    return host, number


def getaddrinfo(host: str, port: int, flags: int = 0, timeout_s: float = RESOLVE_TIMEOUT_S) -> List[tuple]:
    """socket.getaddrinfo for UDP, bounded in time, every failure a ValueError naming `host`."""
    if not host or "\0" in host:
        raise ValueError(f"cannot resolve {host!r}: not a host name")
    result: List[object] = []

    def lookup() -> None:
        try:
            result.append(socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=flags))
        except (OSError, UnicodeError, ValueError) as e:
            result.append(e)

    # A daemon thread: a lookup that never returns is abandoned, not waited for.
    worker = threading.Thread(target=lookup, name="resolve", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not result:
        raise ValueError(f"cannot resolve '{host}': no answer within {timeout_s:g} s")
    outcome = result[0]
    if isinstance(outcome, socket.gaierror):
        raise ValueError(f"cannot resolve '{host}': {outcome.strerror}")
    if isinstance(outcome, BaseException):
        raise ValueError(f"cannot resolve {host!r}: {outcome}")
    if not outcome:
        raise ValueError(f"cannot resolve '{host}': no address")
    return outcome  # type: ignore[return-value]


def resolve(host: str, port: int) -> Resolved:
    """The first UDP address of `host` (a name, IPv4 or IPv6 literal), resolved once."""
    family, _, _, _, sockaddr = getaddrinfo(host, port)[0]
    return family, sockaddr


def bind_udp(host: Optional[str], port: int) -> socket.socket:
    """A UDP socket bound to `host` (resolved once) or, with None, to every interface:
    IPv6 and IPv4 both (a dual-stack `::`) where the kernel has IPv6, else `0.0.0.0`."""
    if host is None:
        try:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        except OSError:
            s = None
        if s is not None:
            try:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                s.bind(("::", port))
                return s
            except OSError:
                s.close()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            s.close()
            raise
        return s
    family, _, _, _, sockaddr = getaddrinfo(host, port, flags=socket.AI_PASSIVE)[0]
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.bind(sockaddr)
    except OSError:
        s.close()
        raise
    return s


def describe(sock: socket.socket) -> str:
    """The socket's own address as HOST:PORT ([v6]:PORT for IPv6)."""
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def sendto(sock: socket.socket, data: bytes, host: str, port: int) -> None:
    """Sends to a numeric `host` from `sock`, whatever its family: an IPv4 address
    from a dual-stack IPv6 socket goes as ::ffff:a.b.c.d."""
    if sock.family == socket.AF_INET6 and ":" not in host:
        host = "::ffff:" + host
    sock.sendto(data, (host, port))
