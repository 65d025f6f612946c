"""fsync-play as a receiver: listens for the same bundles as [fsync~] (`/play
<name> [gain] [offset_ms]`, mapped addresses such as the workshop's `/py tick`)
and plays them at their timetags."""

from __future__ import annotations

import socket
import time
from typing import Callable, Dict, List, Optional, Tuple

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_message import OscMessage
from pythonosc.parsing import osc_types

from . import net

MapKey = Tuple[str, Optional[str]]


def timed_messages(data: bytes, now: float) -> List[Tuple[float, OscMessage]]:
    """Every message with the time it is due, as [fsync~] reads them: an inner
    bundle's own timetag governs; "immediately" means the enclosing bundle's time
    (or `now`). Unlike python-osc's OscPacket, a past timetag stays in the past,
    so lateness is not hidden."""
    if OscBundle.dgram_is_bundle(data):
        out: List[Tuple[float, OscMessage]] = []
        _flatten(OscBundle(data), now, out)
        return out
    if OscMessage.dgram_is_message(data):
        return [(now, OscMessage(data))]
    raise ValueError("neither an OSC message nor a bundle")


def _flatten(bundle: OscBundle, enclosing: float, out: List[Tuple[float, OscMessage]]) -> None:
    due = enclosing if bundle.timestamp == osc_types.IMMEDIATELY else bundle.timestamp
    for content in bundle:
        if isinstance(content, OscBundle):
            _flatten(content, due, out)
        else:
            out.append((due, content))


class Receiver:
    """Receives [fsync~]'s bundles on a UDP port and calls `play(name, gain, offset_ms,
    due_unix)` for each `/play name [gain] [offset_ms]` or mapped address, with the time
    the message is due (fsync-play --listen is built on it).

    port: the UDP port (bound here; OSError if in use). mapping: {(address, first
    argument or None): sound name}, e.g. {("/py", "tick"): "tick.wav"}. host None:
    every interface (IPv6 and IPv4); else that address or name. group: join that IPv4
    multicast group on `port` instead. answers: a fsync_tilde.peers.Answers that
    answers /fsync/ping and /fsync/offset as [fsync~] does (None: ignore them).
    dedupe_s: copies of a timed packet within this many seconds are dropped."""

    MAX_REMEMBERED = 4096  # redundant copies remembered at once: bounded memory

    def __init__(self, port: int, play: Callable[[str, float, float, float], None], mapping: Dict[MapKey, str],
                 dedupe_s: float = 0.1, host: Optional[str] = None, answers=None, group: Optional[str] = None):
        if group:
            from .multicast import join

            self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            join(self.socket, group, port)
        else:
            self.socket = net.bind_udp(host, port)
        # fsync_tilde.peers.Answers: /fsync/ping and /fsync/offset, as [fsync~] answers them.
        self.answers = answers
        self.socket.settimeout(0.2)
        self.play, self.mapping, self.dedupe_s = play, mapping, dedupe_s
        self.recent: Dict[bytes, float] = {}

    def handle(self, data: bytes, now: float) -> None:
        """One datagram received at `now` (unix s): answers, plays or reports it; never
        raises for bad data (everything from the network is untrusted)."""
        if self.answers is not None and self.answers.handle(data, now, self.socket):
            return
        try:
            messages = timed_messages(data, now)
        except Exception as e:  # noqa: BLE001 - anything from the network
            print(f"fsync-play: dropped a packet that is not OSC: {e}")
            return
        # As [fsync~ -dedupe 100]: only copies of a packet with a real timetag, within
        # 0.1 s, are dropped (a bare message or an immediate bundle repeats on purpose;
        # "immediately" comes back from timed_messages as `now` itself).
        if any(due != now for due, _ in messages):
            if self.recent.get(data, -1e9) > now - self.dedupe_s:
                return  # the same datagram again: a redundant send
            self.recent = {k: t for k, t in self.recent.items() if t > now - self.dedupe_s}
            if len(self.recent) < self.MAX_REMEMBERED:
                self.recent[data] = now
        for due, msg in messages:
            first = msg.params[0] if msg.params else None
            name = self.mapping.get((msg.address, str(first))) or self.mapping.get((msg.address, None))
            if self.answers is not None:
                due = self.answers.local_time(due)  # the clock correction (--offset)
            if name is not None:
                self.play(name, 1.0, 0.0, due)
            elif msg.address == "/play" and isinstance(first, str):
                try:
                    gain = float(msg.params[1]) if len(msg.params) > 1 else 1.0
                    offset = float(msg.params[2]) if len(msg.params) > 2 else 0.0
                except (TypeError, ValueError):
                    print(f"fsync-play: ignored /play with gain and offset that are not numbers: {msg.params}")
                    continue
                self.play(first, gain, offset, due)
            else:
                print(f"fsync-play: ignored {msg.address} {msg.params}")

    def serve(self, seconds: float) -> None:
        """Receives and handles datagrams for `seconds` (bounded: the socket's timeout is
        0.2 s, so it returns at most that long after the deadline)."""
        if not 0 <= seconds < float("inf"):
            raise ValueError(f"cannot listen for {seconds} s")
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                data = self.socket.recv(70000)
            except socket.timeout:
                continue
            self.handle(data, time.time())
