"""fsync-send: one timetagged bundle to one or more [fsync~] receivers."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Tuple

from . import net
from .sender import Sender


def parse_target(text: str) -> Tuple[str, int]:
    """HOST:PORT; HOST may be a name, an IPv4 address (a broadcast one too) or an
    IPv6 address, bracketed or not: `[::1]:9000`."""
    try:
        return net.split_host_port(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_arg(text: str) -> object:
    """OSC argument from the command line: int, then float, else string."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fsync-send",
        description="Send an OSC bundle stamped a little in the future to [fsync~] receivers.",
    )
    p.add_argument("--to", action="append", type=parse_target, metavar="HOST:PORT", help="receiver (repeatable; default 127.0.0.1:9000); a name, IPv6 ([::1]:9000) or a broadcast address")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--ahead", type=float, default=0.5, metavar="SECONDS", help="timetag = now + SECONDS (default 0.5)")
    when.add_argument("--at", type=float, metavar="UNIX_TIME", help="absolute wall-clock timetag")
    when.add_argument("--logical", type=float, metavar="SECONDS", help="timetag in the receivers' Pd logical seconds (-clock logical)")
    when.add_argument("--immediately", action="store_true", help="OSC timetag 1: play on arrival")
    p.add_argument("--redundancy", type=int, default=1, metavar="N", help="send each datagram N times (default 1)")
    p.add_argument("--ttl", type=int, metavar="N", help="multicast TTL when a --to is a group (224.0.0.0/4); default 1: this network only")
    p.add_argument("--local", metavar="FILE", help="also play FILE here at the same timetag (forward synchronization in one command)")
    sub = p.add_subparsers(dest="command", required=True)
    play = sub.add_parser("play", help="start ARRAY at the timetag")
    play.add_argument("array")
    play.add_argument("--gain", type=float, default=1.0)
    play.add_argument("--offset", type=float, default=0.0, metavar="MS", help="start MS into the array")
    stop = sub.add_parser("stop", help="stop all voices, or those playing ARRAY")
    stop.add_argument("array", nargs="?")
    send = sub.add_parser("send", help="any OSC message (forwarded by [fsync~] at the timetag)")
    send.add_argument("address")
    send.add_argument("args", nargs="*")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    if a.redundancy < 1:
        parser.error("--redundancy must be at least 1")
    if a.ahead is not None and a.ahead < 0:
        parser.error("--ahead must be >= 0")
    if a.logical is not None and not 0 <= a.logical < 2**32:
        parser.error("--logical must be 0 <= SECONDS < 2^32")
    if a.command == "send" and not a.address.startswith("/"):
        parser.error(f"OSC address '{a.address}' must start with '/'")
    if a.command == "play" and a.offset < 0:
        parser.error("--offset must be >= 0")
    targets = a.to or [("127.0.0.1", 9000)]
    try:
        from .multicast import is_multicast

        ttl = a.ttl if a.ttl is not None else (1 if any(is_multicast(h) for h, _ in targets) else None)
        sender = Sender(targets, ahead=None if a.immediately else a.ahead, redundancy=a.redundancy, ttl=ttl)
    except (ValueError, OSError) as e:
        parser.error(str(e))
    with sender:
        when = dict(at=a.at, logical=a.logical)
        try:
            if a.command == "play":
                tag = sender.play(a.array, a.gain, a.offset, **when)
            elif a.command == "stop":
                tag = sender.stop(a.array, **when)
            else:
                tag = sender.send(a.address, *[parse_arg(x) for x in a.args], **when)
        except OSError as e:
            print(f"fsync-send: {e}", file=sys.stderr)
            return 1
    print(f"{a.command}: {tag.describe()} -> {', '.join(f'{h}:{p}' for h, p in targets)}", flush=True)
    if a.local:
        if tag.unix is None:
            print("fsync-send: --local needs a wall-clock timetag (not --logical/--immediately)", file=sys.stderr)
            return 2
        from .play_cli import main as play_main

        return play_main([a.local, "--at", repr(tag.unix)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
