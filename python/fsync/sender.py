"""Sender: the same timetagged bundle to every site, stamped when it is sent."""

from __future__ import annotations

import math
import socket
import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import packets, timetag
from .timetag import Timetag

Target = Tuple[str, int]
MAX_REDUNDANCY = 100  # beyond this a typo floods the network rather than helping


class Sender:
    """Sends forward-synchronized bundles to [fsync~] receivers over UDP.

    targets: (host, port) pairs; a host with a ':' is IPv6, any other is IPv4.
    ahead: seconds from sending to the timetag; None = OSC "immediately" (timetag 1).
    redundancy: how many times each datagram is sent ([fsync~] drops the repeats).
    logical: `at` is read as seconds since the receiving Pd started (for
        `[fsync~ -clock logical]`) instead of unix time; `at` is then required
        unless ahead is None.
    """

    def __init__(
        self,
        targets: Iterable[Target] = (("127.0.0.1", 9000),),
        ahead: Optional[float] = 0.5,
        redundancy: int = 1,
        logical: bool = False,
    ):
        self.targets: List[Target] = [(str(h), _port(p)) for h, p in targets]
        if not self.targets:
            raise ValueError("at least one target is needed")
        if isinstance(redundancy, bool) or not isinstance(redundancy, int) or not 1 <= redundancy <= MAX_REDUNDANCY:
            raise ValueError(f"redundancy must be an integer from 1 to {MAX_REDUNDANCY}, not {redundancy!r}")
        if ahead is not None and not (math.isfinite(ahead) and ahead >= 0):
            raise ValueError(f"ahead must be a finite number of seconds >= 0, not {ahead!r}")
        self.ahead = ahead
        self.redundancy = redundancy
        self.logical = logical
        # Resolved now, so that a bad host fails before anything is sent to any site.
        self._addresses = [_resolve(h, p) for h, p in self.targets]
        self._sockets: Dict[int, socket.socket] = {}
        for family, _ in self._addresses:
            if family not in self._sockets:
                self._sockets[family] = socket.socket(family, socket.SOCK_DGRAM)

    def close(self) -> None:
        for s in self._sockets.values():
            s.close()

    def __enter__(self) -> "Sender":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def timetag(self, at: Optional[float] = None) -> Timetag:
        """The timetag for a send now: `at`, else now + ahead, else immediately."""
        if at is not None:
            if not math.isfinite(at):
                raise ValueError(f"at must be a finite time, not {at!r}")
            return timetag.logical(at) if self.logical else timetag.from_unix(at)
        if self.ahead is None:
            return timetag.immediately()
        if self.logical:
            raise ValueError("a logical Sender needs at= (seconds since the receiving Pd started)")
        # Read the clock at each send: a timetag computed once before a loop
        # (the workshop's pitfall) makes every later bundle late.
        return timetag.from_unix(time.time() + self.ahead)

    def send_bundle(self, elements: Sequence[packets.Element], at: Optional[float] = None) -> Timetag:
        """One bundle of these messages to every target, `redundancy` times."""
        tag = self.timetag(at)
        data = packets.bundle(tag, elements)  # built once: every site gets the same bytes
        for _ in range(self.redundancy):
            for family, address in self._addresses:
                self._sockets[family].sendto(data, address)
        return tag

    def play(self, array: str, gain: float = 1.0, offset_ms: float = 0.0, at: Optional[float] = None) -> Timetag:
        """`/play array gain offset_ms`: start the array at the timetag."""
        return self.send_bundle([packets.play(array, gain, offset_ms)], at)

    def stop(self, array: Optional[str] = None, at: Optional[float] = None) -> Timetag:
        """`/stop [array]`: stop every voice, or those playing `array`, at the timetag."""
        return self.send_bundle([packets.stop(array)], at)

    def send(self, address: str, *args: object, at: Optional[float] = None) -> Timetag:
        """Any message; [fsync~] forwards it out of its outlet at the timetag."""
        return self.send_bundle([packets.message(address, args)], at)

    @staticmethod
    def bundle_bytes(address: str, args: Sequence[object], timetag: Union[Timetag, int]) -> bytes:
        """The datagram that sending this message with this timetag (a Timetag
        or a 64-bit NTP int) puts on the wire; sends nothing."""
        tag = Timetag(timetag, None) if isinstance(timetag, int) else timetag
        return packets.bundle(tag, [packets.message(address, args)])


def _port(port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port must be an integer from 1 to 65535, not {port!r}")
    return port


def _resolve(host: str, port: int) -> Tuple[int, tuple]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        info = socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM)
    except (OSError, UnicodeError) as e:
        raise ValueError(f"cannot resolve host {host!r}: {e}") from None
    return family, info[0][4]
