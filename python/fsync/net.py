"""Addresses for UDP: names and IPv6 resolved once, up front, with a clear error.

`HOST:PORT` text: `127.0.0.1:9000`, `[::1]:9000` (or `::1:9000`), `pd-site.local:9000`.
A name is resolved once, when the sender or receiver is made, never per packet."""

from __future__ import annotations

import socket
from typing import Optional, Tuple

Resolved = Tuple[int, tuple]  # (address family, sockaddr)


def split_host_port(text: str) -> Tuple[str, int]:
    """`host:port`, `[v6]:port` or `v6:port` (the last colon separates the port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"'{text}' is not HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"port '{port}' is not a number") from None
    if not 0 < number < 65536:
        raise ValueError(f"port {number} is out of range 1..65535")
    return host, number


def resolve(host: str, port: int) -> Resolved:
    """The first UDP address of `host` (a name, IPv4 or IPv6 literal)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as e:
        raise ValueError(f"cannot resolve '{host}': {e.strerror}") from None
    family, _, _, _, sockaddr = infos[0]
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
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ValueError(f"cannot resolve '{host}': {e.strerror}") from None
    family, _, _, _, sockaddr = infos[0]
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.bind(sockaddr)
    except OSError:
        s.close()
        raise
    return s


def describe(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def sendto(sock: socket.socket, data: bytes, host: str, port: int) -> None:
    """Sends to a numeric `host` from `sock`, whatever its family: an IPv4 address
    from a dual-stack IPv6 socket goes as ::ffff:a.b.c.d."""
    if sock.family == socket.AF_INET6 and ":" not in host:
        host = "::ffff:" + host
    sock.sendto(data, (host, port))
