"""Sender: the same timetagged bundle to every site, stamped when it is sent."""

from __future__ import annotations

import socket
import time
from typing import Dict, Iterable, Optional, Sequence, Tuple

from . import net, packets, timetag
from .args import MAX_AHEAD_S
from .timetag import Timetag

Target = Tuple[str, int]
MAX_REDUNDANCY = 16  # copies of each datagram: more only floods the network


class Sender:
    """Sends forward-synchronized bundles to [fsync~] receivers.

    targets: (host, port) pairs; a host may be a name (resolved once, here), an IPv4
    address (a broadcast address too: the socket has SO_BROADCAST) or an IPv6 address.
    ahead: seconds between sending and the timetag, 0..86400 (None = OSC "immediately").
    redundancy: how many times each datagram is sent, 1..16 (receivers drop repeats).
    ttl: multicast hops when a target is a group (224.0.0.0/4).
    Raises ValueError for a bad value or a name that does not resolve; usable as a
    context manager (closes its sockets).
    """

    def __init__(
        self,
        targets: Iterable[Target] = (("127.0.0.1", 9000),),
        ahead: Optional[float] = 0.5,
        redundancy: int = 1,
        ttl: Optional[int] = None,
    ):
        self.targets = [(str(h), int(p)) for h, p in targets]
        if not self.targets:
            raise ValueError("at least one target is needed")
        for _, port in self.targets:
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is out of range")
        # Names and IPv6 resolved once, here: never a lookup per packet.
        self._addresses = [net.resolve(h, p) for h, p in self.targets]
        if not 1 <= redundancy <= MAX_REDUNDANCY:
            raise ValueError(f"redundancy must be 1..{MAX_REDUNDANCY}")
        if ahead is not None and not 0 <= ahead <= MAX_AHEAD_S:  # also refuses NaN
            raise ValueError(f"ahead must be 0..{MAX_AHEAD_S:.0f} seconds, not {ahead}")
        self.ahead = ahead
        self.redundancy = redundancy
        # One socket per address family. IPv4 may send to a broadcast address
        # (a whole subnet of receivers: the kernel refuses it without SO_BROADCAST).
        self._sockets: Dict[int, socket.socket] = {}
        for family in {f for f, _ in self._addresses}:
            s = socket.socket(family, socket.SOCK_DGRAM)
            if family == socket.AF_INET:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            self._sockets[family] = s
        if ttl is not None and socket.AF_INET in self._sockets:
            # Multicast targets: how many router hops (1: this network).
            from .multicast import set_sender

            set_sender(self._sockets[socket.AF_INET], ttl)

    def close(self) -> None:
        """Closes the sockets; the Sender sends nothing after this."""
        for s in self._sockets.values():
            s.close()

    def __enter__(self) -> "Sender":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def timetag(self, at: Optional[float] = None, logical: Optional[float] = None) -> Timetag:
        """The timetag for a send now: `at` (unix), `logical` (seconds), or now + ahead."""
        if logical is not None:
            return timetag.logical(logical)
        if at is not None:
            return timetag.from_unix(at)
        if self.ahead is None:
            return timetag.immediately()
        # Stamped at the moment of sending: a timetag computed once before a
        # loop (the workshop's pitfall) makes every later bundle late.
        return timetag.from_unix(time.time() + self.ahead)

    def send_messages(self, messages: Sequence[bytes], at: Optional[float] = None, logical: Optional[float] = None) -> Timetag:
        """One bundle holding `messages` (OSC bytes, see fsync_tilde.packets), stamped now
        (see timetag()), sent `redundancy` times to every target. Returns its timetag."""
        tag = self.timetag(at, logical)
        data = packets.bundle(tag, messages)
        for _ in range(self.redundancy):
            for family, sockaddr in self._addresses:
                self._sockets[family].sendto(data, sockaddr)
        return tag

    def play(self, array: str, gain: float = 1.0, offset_ms: float = 0.0, at: Optional[float] = None, logical: Optional[float] = None) -> Timetag:
        """`/play array gain offset_ms`: [fsync~] starts `array` at the timetag."""
        return self.send_messages([packets.play(array, gain, offset_ms)], at, logical)

    def stop(self, array: Optional[str] = None, at: Optional[float] = None, logical: Optional[float] = None) -> Timetag:
        """`/stop [array]`: stops every voice, or those playing `array`, at the timetag."""
        return self.send_messages([packets.stop(array)], at, logical)

    def send(self, address: str, *args: object, at: Optional[float] = None, logical: Optional[float] = None) -> Timetag:
        """Any message (`address` starts with '/'; int, float and str arguments), which
        [fsync~] forwards at the timetag."""
        return self.send_messages([packets.message(address, args)], at, logical)
