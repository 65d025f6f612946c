"""fsync-send: one timetagged bundle to one or more [fsync~] receivers.

Every value is checked before anything is sent (a bad one: `fsync-send: error: ...`,
exit 2); names are resolved once, at the start."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Tuple

from . import args as checks
from . import net
from ._version import __version__
from .sender import MAX_REDUNDANCY, Sender

DEFAULT_TARGET = ("127.0.0.1", 9000)
COMMANDS = ("play", "stop", "send")


def parse_target(text: str) -> Tuple[str, int]:
    """HOST:PORT; HOST may be a name, an IPv4 address (a broadcast one too) or an
    IPv6 address, bracketed or not: `[::1]:9000`."""
    try:
        return net.split_host_port(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_arg(text: str) -> object:
    """OSC argument from the command line: int32, then a finite float, else a string
    (raises fsync_tilde.args.UsageError for a number no OSC type holds)."""
    return checks.osc_argument(text)


def build_parser() -> argparse.ArgumentParser:
    """fsync-send's options and its commands play, stop and send."""
    p = argparse.ArgumentParser(
        prog="fsync-send",
        description="Send an OSC bundle stamped a little in the future to [fsync~] receivers.",
        epilog="Options of fsync-send go before the command: fsync-send --to HOST:PORT --ahead 0.2 play kick",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--to", action="append", type=parse_target, metavar="HOST:PORT",
                   help="receiver (repeatable; default 127.0.0.1:9000); a name, IPv6 ([::1]:9000) or a broadcast address")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--ahead", type=checks.number_in(0, checks.MAX_AHEAD_S, " s"), default=0.5, metavar="SECONDS",
                      help=f"timetag = now + SECONDS (default 0.5; at most {checks.MAX_AHEAD_S:.0f})")
    when.add_argument("--at", type=checks.finite, metavar="UNIX_TIME", help="absolute wall-clock timetag (not in the past)")
    when.add_argument("--logical", type=checks.number_in(0, 2**32 - 1, " s"), metavar="SECONDS",
                      help="timetag in the receivers' Pd logical seconds (-clock logical)")
    when.add_argument("--immediately", action="store_true", help="OSC timetag 1: play on arrival")
    p.add_argument("--redundancy", type=checks.integer_in(1, MAX_REDUNDANCY), default=1, metavar="N",
                   help=f"send each datagram N times (1..{MAX_REDUNDANCY}, default 1)")
    p.add_argument("--ttl", type=checks.integer_in(0, 255), metavar="N",
                   help="multicast TTL when a --to is a group (224.0.0.0/4); default 1: this network only")
    p.add_argument("--local", metavar="FILE", help="also play FILE here at the same timetag (forward synchronization in one command)")
    p.add_argument("--device", help="with --local: PortAudio output device (default: JACK if running, else the default)")
    sub = p.add_subparsers(dest="command", required=True, metavar="{play,stop,send}")
    play = sub.add_parser("play", help="start ARRAY at the timetag")
    play.add_argument("array")
    play.add_argument("--gain", type=checks.number_in(-checks.FLOAT32_MAX, checks.FLOAT32_MAX), default=1.0)
    play.add_argument("--offset", type=checks.number_in(0, checks.FLOAT32_MAX, " ms"), default=0.0, metavar="MS",
                      help="start MS into the array")
    stop = sub.add_parser("stop", help="stop all voices, or those playing ARRAY")
    stop.add_argument("array", nargs="?")
    send = sub.add_parser("send", help="any OSC message (forwarded by [fsync~] at the timetag)")
    send.add_argument("address")
    send.add_argument("args", nargs="*")
    return p


MAIN_OPTIONS = ("--to", "--ahead", "--at", "--logical", "--immediately", "--redundancy", "--ttl", "--local", "--device", "--version")


def parse(parser: argparse.ArgumentParser, argv: Optional[List[str]]) -> argparse.Namespace:
    """parse_args, with a hint when an option of fsync-send itself follows the command."""
    a, extra = parser.parse_known_args(argv)
    if extra:
        misplaced = checks.misplaced_options(extra, MAIN_OPTIONS)
        if misplaced:
            parser.error(f"{misplaced[0]} after the command '{a.command}': "
                         f"{checks.MAIN_OPTIONS_HINT.format(prog=parser.prog, commands=', '.join(COMMANDS), option=misplaced[0], command=a.command)}")
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return a


def check_local(parser: argparse.ArgumentParser, a: argparse.Namespace) -> None:
    """--local: everything it needs is checked before the bundle leaves, so a missing
    file or audio device never leaves the receivers playing without this machine."""
    if a.immediately or a.logical is not None:
        parser.error("--local needs a wall-clock timetag (--ahead or --at), not --logical/--immediately")
    from . import play_cli

    try:
        play_cli.check_sound_file(a.local)
        play_cli.output_device(a.device)
    except checks.UsageError as e:
        parser.error(str(e))


def main(argv: Optional[List[str]] = None) -> int:
    """fsync-send's entry point: returns the exit status (argparse exits 2 on a bad value)."""
    parser = build_parser()
    a = parse(parser, argv)
    if a.device is not None and not a.local:
        parser.error("--device goes with --local")
    try:
        if a.at is not None:
            checks.absolute_time(a.at)
        if a.command == "send":
            checks.osc_address(a.address)
            osc_args = [parse_arg(x) for x in a.args]
        elif a.array is not None:
            checks.osc_text(a.array, "array name")
    except checks.UsageError as e:
        parser.error(str(e))
    if a.local:
        check_local(parser, a)
    targets = a.to or [DEFAULT_TARGET]
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
                tag = sender.send(a.address, *osc_args, **when)
        except OSError as e:
            print(f"fsync-send: error: sending failed: {e}", file=sys.stderr)
            return 1
    print(f"{a.command}: {tag.describe()} -> {', '.join(f'[{h}]:{p}' if ':' in h else f'{h}:{p}' for h, p in targets)}", flush=True)
    if a.local:
        from .play_cli import main as play_main

        local = [a.local, "--at", repr(tag.unix)] + (["--device", a.device] if a.device is not None else [])
        return play_main(local)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
