"""The workshop's example systems, written for fsync (python/examples/workshop_ex*.py):
the workshop's ports (Pd listens on 8001, Python on 8000) and addresses (`/pd …` to
Pd, `/py …` to Python). Each example sends to Pd and, at the same time, listens for
what Pd sends, as the workshop's clients do (a sender loop and a server thread)."""

from __future__ import annotations

import argparse
import datetime
import threading
import time
from typing import Callable, List, Optional, Tuple

from . import net
from .receiver import timed_messages
from .sender import Sender
from .timetag import Timetag

PD_PORT = 8001  # the workshop's [udpreceive 8001]
PY_PORT = 8000  # the workshop's python-osc server
MAX_COUNT = 100_000  # every loop is bounded


def utc(unix: float) -> str:
    """`2026-12-02 06:01:02.345 UTC`"""
    t = datetime.datetime.fromtimestamp(unix, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d} UTC"


def parser(description: str, count: int, interval: float) -> argparse.ArgumentParser:
    """The options every workshop example shares (--to, --listen, --count, --interval, --linger)."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--to", default=f"127.0.0.1:{PD_PORT}", metavar="HOST:PORT", help=f"Pd (default 127.0.0.1:{PD_PORT}); a name or IPv6 works")
    p.add_argument("--listen", type=int, default=PY_PORT, metavar="PORT", help=f"receive Pd's /py messages here (default {PY_PORT}; 0: don't listen)")
    p.add_argument("--host", metavar="ADDRESS", help="listen on this address only (default: every interface)")
    p.add_argument("--count", type=int, default=count, help=f"how many to send (default {count}; 0: only listen)")
    p.add_argument("--interval", type=float, default=interval, metavar="SECONDS", help=f"between sends (default {interval})")
    p.add_argument("--linger", type=float, default=1.5, metavar="SECONDS", help="keep listening this long after the last send")
    return p


def check(p: argparse.ArgumentParser, a: argparse.Namespace) -> Tuple[str, int]:
    """Checks the shared options (argparse error, exit 2) and returns --to as (host, port)."""
    if not 0 <= a.count <= MAX_COUNT or not 0.01 <= a.interval <= 3600 or not 0 <= a.linger <= 3600:
        p.error(f"count 0..{MAX_COUNT}, interval 0.01..3600 s, linger 0..3600 s")
    if not 0 <= a.listen < 65536:
        p.error("--listen port out of range")
    try:
        return net.split_host_port(a.to)
    except ValueError as e:
        p.error(str(e))
        raise  # (unreachable: p.error exits)


class Listener:
    """A server thread: every OSC message that arrives, with its timetag, to `handle`
    (address, arguments, due unix time or None for "immediately", arrival time)."""

    def __init__(self, host: Optional[str], port: int, handle: Callable[[str, List[object], Optional[float], float], None]):
        self.socket = net.bind_udp(host, port)
        self.socket.settimeout(0.1)
        self.handle = handle
        self.received = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "Listener":
        print(f"listening on {net.describe(self.socket)}", flush=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.socket.recv(65536)
            except OSError:  # timeout, or closed
                continue
            now = time.time()
            try:
                messages = timed_messages(data, now)
            except Exception as e:  # noqa: BLE001 - anything from the network
                print(f"dropped a packet that is not OSC: {e}", flush=True)
                continue
            for due, msg in messages:
                self.received += 1
                timed = not (abs(due - now) < 1e-9)
                self.handle(msg.address, list(msg.params), due if timed else None, now)


def print_received(address: str, args: List[object], due: Optional[float], arrival: float) -> None:
    """One line per message Pd sent back: its timetag and how far from its arrival."""
    when = "immediately" if due is None else f"timetag {utc(due)} ({(due - arrival) * 1000:+.1f} ms from arrival)"
    print(f"received {address} {' '.join(map(str, args))} | {when}", flush=True)


def run(a: argparse.Namespace, target: Tuple[str, int], send_one: Callable[[Sender, int], Timetag],
        handle: Callable[[str, List[object], Optional[float], float], None] = print_received) -> int:
    """Listens (unless --listen 0), sends `count` times every `interval`, lingers, reports."""
    listener = Listener(a.host, a.listen, handle) if a.listen else None
    try:
        if listener:
            listener.__enter__()
        sent = 0
        with Sender([target], ahead=None) as sender:
            next_at = time.monotonic()
            for i in range(a.count):
                tag = send_one(sender, i)
                sent += 1
                print(f"sent {i + 1}/{a.count}: {tag.iso if tag.unix is None else utc(tag.unix)}", flush=True)
                next_at += a.interval
                time.sleep(max(0.0, next_at - time.monotonic()))
        time.sleep(a.linger)
    finally:
        if listener:
            listener.__exit__(None, None, None)
    print(f"done: sent {sent}, received {listener.received if listener else 0}", flush=True)
    return 0


class maybe_player:
    """With a FILE: a handler that prints each message and plays FILE at its
    timetag ("immediately": now) on the audio stream; without: print only."""

    def __init__(self, path: Optional[str]):
        self.path, self.player, self.sound = path, None, None

    def __enter__(self) -> Callable[[str, List[object], Optional[float], float], None]:
        if not self.path:
            return print_received
        from .play_cli import jack_device
        from .player import ScheduledPlayer
        from .sounds import load

        self.player = ScheduledPlayer(device=jack_device())
        self.sound = load(self.path, self.player.samplerate)
        self.player.__enter__()

        def handle(address: str, args: List[object], due: Optional[float], arrival: float) -> None:
            print_received(address, args, due, arrival)
            self.player.play_at(self.sound, arrival if due is None else due)

        return handle

    def __exit__(self, *_exc) -> None:
        if self.player is not None:
            self.player.__exit__(None, None, None)
