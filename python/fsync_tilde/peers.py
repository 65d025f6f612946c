"""The reserved addresses fsync~ answers (`/fsync/ping`, `/fsync/offset`), shared by
fsync-check (which asks) and fsync-play --listen (which answers like [fsync~]).

    /fsync/ping <id:i> <reply_port:i> [reply_host:s]
    /fsync/pong <id:i> <receipt:d> <reply:d> <latency_ms:d> <jitter_ms:d> <rate_ppm:d> <offset_ms:d> <estimate:i> <stamped:i>
    /fsync/offset <ms:d> [<id:i> <reply_port:i> [reply_host:s]]
    /fsync/offset/set <id:i> <ms:d> <applied:i>

Times are unix seconds of the site's corrected clock (its wall clock + its offset).
"""

from __future__ import annotations

import ipaddress
import socket

from . import net
import time
from typing import List, Optional, Sequence, Tuple

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

PING = "/fsync/ping"
PONG = "/fsync/pong"
OFFSET = "/fsync/offset"
OFFSET_SET = "/fsync/offset/set"
RESERVED_PREFIX = b"/fsync/"
MAX_OFFSET_MS = 1000.0
ANSWERS_PER_S = 20.0


def build(address: str, args: Sequence[Tuple[str, object]]) -> bytes:
    """A message from (type, value) pairs: 'i' int32, 'd' double, 's' string."""
    b = OscMessageBuilder(address=address)
    kinds = {"i": OscMessageBuilder.ARG_TYPE_INT, "d": OscMessageBuilder.ARG_TYPE_DOUBLE, "s": OscMessageBuilder.ARG_TYPE_STRING}
    for kind, value in args:
        b.add_arg(value, kinds[kind])
    return b.build().dgram


def ping(ident: int, reply_port: int, reply_host: Optional[str]) -> bytes:
    """`/fsync/ping id reply_port [reply_host]`: asks a site for its clock."""
    args: List[Tuple[str, object]] = [("i", ident), ("i", reply_port)]
    if reply_host:
        args.append(("s", reply_host))
    return build(PING, args)


def offset(ms: float, ident: int, reply_port: int, reply_host: Optional[str]) -> bytes:
    """`/fsync/offset ms id reply_port [reply_host]`: sets a site's clock correction."""
    args: List[Tuple[str, object]] = [("d", float(ms)), ("i", ident), ("i", reply_port)]
    if reply_host:
        args.append(("s", reply_host))
    return build(OFFSET, args)


def pong(ident: int, receipt: float, reply: float, latency_ms: float, jitter_ms: float, rate_ppm: float, offset_ms: float, estimate: bool,
         stamped: bool = False) -> bytes:
    """`/fsync/pong ...`: the answer to a ping, as [fsync~] gives it (see the module's docstring)."""
    return build(PONG, [("i", ident), ("d", receipt), ("d", reply), ("d", latency_ms), ("d", jitter_ms), ("d", rate_ppm), ("d", offset_ms),
                        ("i", int(estimate)), ("i", int(stamped))])


def attached_networks() -> List[ipaddress._BaseNetwork]:
    """This machine's IPv4 networks (from `ip -o addr`, if present), for the answer rule."""
    import subprocess

    nets: List[ipaddress._BaseNetwork] = []
    try:
        out = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, timeout=2).stdout
    except (OSError, subprocess.SubprocessError):
        return nets
    for line in out.splitlines():
        parts = line.split()
        for i, word in enumerate(parts[:-1]):
            if word in ("inet", "inet6"):
                try:
                    nets.append(ipaddress.ip_interface(parts[i + 1]).network)
                except ValueError:
                    pass
    return nets


class Answers:
    """fsync-play's side: answers pings and takes corrections with [fsync~]'s rules
    (answers only to loopback, attached networks or --allow; ≤ 20 a second)."""

    def __init__(self, offset_ms: float = 0.0, allow: Sequence[str] = (), remote_offset: bool = True, latency_ms: float = 0.0):
        if not -MAX_OFFSET_MS <= offset_ms <= MAX_OFFSET_MS:
            raise ValueError(f"offset must be -{MAX_OFFSET_MS}..{MAX_OFFSET_MS} ms")
        self.offset_ms = offset_ms
        self.allowed = [ipaddress.ip_network(a, strict=False) for a in allow] + attached_networks()
        self.remote_offset = remote_offset
        self.latency_ms = latency_ms
        self.tokens, self.last = ANSWERS_PER_S, time.monotonic()

    def local_time(self, timetag_unix: float) -> float:
        """When this machine's clock reads the corrected clock's `timetag_unix`."""
        return timetag_unix - self.offset_ms / 1000

    def _may_answer(self, host: str) -> bool:
        ip = ipaddress.ip_address(host)
        if ip.is_multicast or ip.is_unspecified or not (ip.is_loopback or any(ip in n for n in self.allowed)):
            return False
        now = time.monotonic()
        self.tokens = min(ANSWERS_PER_S, self.tokens + (now - self.last) * ANSWERS_PER_S)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def handle(self, data: bytes, now: float, sock: socket.socket) -> bool:
        """True when `data` was a reserved message (answered or refused)."""
        if not data.startswith(RESERVED_PREFIX):
            return False
        try:
            msg = OscMessage(data)
            p = msg.params
            if msg.address == PING and len(p) in (2, 3):
                ident, port, host = int(p[0]), int(p[1]), str(p[2]) if len(p) == 3 else "127.0.0.1"
                receipt = now + self.offset_ms / 1000
                if self._may_answer(host):
                    reply = pong(ident, receipt, time.time() + self.offset_ms / 1000, self.latency_ms, 0.0, 0.0, self.offset_ms, True)
                    net.sendto(sock, reply, host, port)
            elif msg.address == OFFSET and len(p) in (1, 3, 4):
                ms = float(p[0])
                applied = self.remote_offset and abs(ms) <= MAX_OFFSET_MS
                if applied:
                    self.offset_ms = ms
                    print(f"fsync-play: clock offset {ms:.3f} ms (from the network)", flush=True)
                if len(p) >= 3:
                    host = str(p[3]) if len(p) == 4 else "127.0.0.1"
                    if self._may_answer(host):
                        net.sendto(sock, build(OFFSET_SET, [("i", int(p[1])), ("d", self.offset_ms), ("i", int(applied))]), host, int(p[2]))
            else:
                print(f"fsync-play: refused reserved message {msg.address} {p}", flush=True)
        except Exception as e:  # noqa: BLE001 - anything from the network
            print(f"fsync-play: refused reserved message: {e}", flush=True)
        return True
