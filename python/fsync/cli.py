"""fsync-send: one timetagged bundle to one or more [fsync~] receivers.

Every argument is checked before anything is sent: a bad one prints a message
on stderr and exits with status 2 (argparse's convention)."""

from __future__ import annotations

import argparse
import math
import sys
from typing import List, Optional, Tuple

from .sender import MAX_REDUNDANCY, Sender

INT32 = range(-(2**31), 2**31)


def parse_target(text: str) -> Tuple[str, int]:
    """HOST:PORT, or [IPV6]:PORT."""
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"'{text}' is not HOST:PORT")
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port '{port}' is not a number") from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"port {number} is out of range 1..65535")
    return host, number


def finite(text: str) -> float:
    """A float that is a real number (nan and inf would reach the receiver as such)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


def parse_arg(text: str) -> object:
    """An OSC argument from the command line: an int32 -> 'i', a finite float ->
    'f', anything else (including nan, inf, 0x10) -> string."""
    try:
        value = int(text)
        if value in INT32:
            return value
    except ValueError:
        pass
    try:
        value = float(text)
        if math.isfinite(value):
            return value
    except ValueError:
        pass
    return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fsync-send",
        description="Send an OSC bundle stamped a little in the future to [fsync~] receivers.",
    )
    p.add_argument("--to", action="append", type=parse_target, metavar="HOST:PORT", help="receiver (repeatable; default 127.0.0.1:9000)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--ahead", type=finite, default=0.5, metavar="SECONDS", help="timetag = now + SECONDS (default 0.5)")
    when.add_argument("--at", type=finite, metavar="UNIX_TIME", help="absolute wall-clock timetag, in seconds since 1970")
    when.add_argument("--logical", type=finite, metavar="SECONDS", help="timetag in the receivers' Pd logical seconds (-clock logical)")
    when.add_argument("--immediately", action="store_true", help="OSC timetag 1: act on arrival")
    p.add_argument("--redundancy", type=int, default=1, metavar="N", help=f"send each datagram N times, 1..{MAX_REDUNDANCY} (default 1)")
    p.add_argument("--local", metavar="FILE", help="also play FILE here at the same timetag (fsync-play; needs fsync[play])")
    sub = p.add_subparsers(dest="command", required=True, metavar="{play,stop,send}")
    play = sub.add_parser("play", help="start ARRAY at the timetag")
    play.add_argument("array")
    play.add_argument("--gain", type=finite, default=1.0)
    play.add_argument("--offset", type=finite, default=0.0, metavar="MS", help="start MS into the array")
    stop = sub.add_parser("stop", help="stop all voices, or those playing ARRAY")
    stop.add_argument("array", nargs="?")
    send = sub.add_parser("send", help="any OSC message (forwarded by [fsync~] at the timetag)")
    send.add_argument("address")
    send.add_argument("args", nargs="*", metavar="ARG", help="int -> i, float -> f, else string")
    return p


def check(parser: argparse.ArgumentParser, a: argparse.Namespace) -> None:
    """The checks argparse's types cannot make; parser.error exits with 2."""
    if not 1 <= a.redundancy <= MAX_REDUNDANCY:
        parser.error(f"--redundancy must be from 1 to {MAX_REDUNDANCY}")
    if a.ahead < 0:
        parser.error("--ahead must be >= 0 (use --at for a time in the past)")
    if a.at is not None and not 0 <= a.at < 2**32:
        parser.error("--at must be unix seconds from 0 to 2^32 (milliseconds by mistake?)")
    if a.logical is not None and not 0 <= a.logical < 2**32:
        parser.error("--logical must be from 0 to 2^32 seconds")
    if a.command in ("play", "stop") and a.array == "":
        parser.error("the array name is empty")
    if a.command == "play" and a.offset < 0:
        parser.error("--offset must be >= 0")
    if a.command == "send" and not a.address.startswith("/"):
        parser.error(f"OSC address '{a.address}' must start with '/'")
    if a.local and (a.logical is not None or a.immediately):
        parser.error("--local needs a wall-clock timetag (not --logical or --immediately)")


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    check(parser, a)
    targets = a.to or [("127.0.0.1", 9000)]
    try:
        sender = Sender(targets, ahead=None if a.immediately else a.ahead, redundancy=a.redundancy, logical=a.logical is not None)
    except ValueError as e:
        parser.error(str(e))
    at = a.logical if a.logical is not None else a.at
    with sender:
        try:
            if a.command == "play":
                tag = sender.play(a.array, a.gain, a.offset, at=at)
            elif a.command == "stop":
                tag = sender.stop(a.array, at=at)
            else:
                tag = sender.send(a.address, *[parse_arg(x) for x in a.args], at=at)
        except ValueError as e:  # raised while building the packet: nothing was sent
            parser.error(str(e))
        except OSError as e:
            print(f"fsync-send: sending failed: {e}", file=sys.stderr)
            return 1
    sites = ", ".join(f"{h}:{p}" for h, p in targets)
    print(f"{a.command} -> {sites}: {tag.describe()}", flush=True)
    if a.local:
        from .play_cli import main as play_main

        return play_main([a.local, "--at", repr(tag.unix)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
