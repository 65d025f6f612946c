"""fsync-play: play a sound file at a wall-clock time, or receive [fsync~]'s bundles
and play them at their timetags (Python as a forward-synchronized site)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Dict, List, Optional

from . import net, sounds


def jack_device() -> Optional[int]:
    """The JACK host API's output device, when a JACK server is running."""
    import sounddevice as sd

    for i, api in enumerate(sd.query_hostapis()):
        if api["name"].startswith("JACK"):
            for d in api["devices"]:
                if sd.query_devices(d)["max_output_channels"] > 0:
                    return d
    return None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fsync-play", description=__doc__)
    p.add_argument("file", nargs="?", help="play this file once (with --at or --ahead)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at", type=float, metavar="UNIX_TIME", help="wall-clock time of the first sample")
    when.add_argument("--ahead", type=float, default=0.5, metavar="SECONDS")
    p.add_argument("--listen", type=int, metavar="PORT", help="receive bundles on PORT (every interface, IPv4 and IPv6)")
    p.add_argument("--host", metavar="ADDRESS", help="with --listen: only this address or name (e.g. 127.0.0.1, ::1, a LAN address)")
    p.add_argument("--no-audio", action="store_true",
                   help="open no audio device: print each event and its time instead of playing (checking a network path)")
    p.add_argument("--group", metavar="GROUP", help="with --listen: join this IPv4 multicast group (e.g. 239.255.0.1) on PORT")
    p.add_argument("--offset", type=float, default=0.0, metavar="MS", help="clock correction: play as if this machine's clock read MS more (fsync-check --apply sets it)")
    p.add_argument("--allow", action="append", default=[], metavar="HOST|CIDR", help="also answer pings to here (default: loopback and attached networks)")
    p.add_argument("--no-remote-offset", action="store_true", help="refuse /fsync/offset from the network")
    p.add_argument("--sound", action="append", default=[], metavar="NAME=FILE", help="a sound for /play NAME")
    p.add_argument("--map", action="append", nargs="+", default=[], metavar="ADDRESS [ARG] FILE", help="e.g. --map /py tick tick.wav")
    p.add_argument("--seconds", type=float, default=3600, help="how long to listen")
    p.add_argument("--device", help="PortAudio output device (default: JACK if running, else the default)")
    p.add_argument("--samplerate", type=int)
    return p


def make_receiver(p: argparse.ArgumentParser, a: argparse.Namespace, play, maps):
    from .receiver import Receiver

    mapping = {(addr, arg): f for addr, arg, f in maps}
    from .peers import Answers

    answers = Answers(a.offset, a.allow, not a.no_remote_offset)
    try:
        return Receiver(a.listen, play, mapping, host=a.host, answers=answers, group=a.group)
    except (ValueError, OSError) as e:
        p.error(f"cannot listen on {a.host or 'every interface'} port {a.listen}: {e}")


def listen_without_audio(a: argparse.Namespace, maps, named: Dict[str, str]) -> int:
    """--no-audio: the same receiving and scheduling, printed instead of played."""
    known = set(named) | {f for _, _, f in maps}

    def play(name: str, gain: float, offset_ms: float, due: float) -> None:
        if name not in known:
            print(f"fsync-play: no sound named {name!r}", flush=True)
            return
        print(f"fsync-play: {name} at {due:.6f} (no audio)", flush=True)

    receiver = make_receiver(build_parser(), a, play, maps)
    print(f"fsync-play: listening on {net.describe(receiver.socket)} (no audio)", flush=True)
    try:
        receiver.serve(a.seconds)
    finally:
        receiver.socket.close()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    p = build_parser()
    a = p.parse_args(argv)
    if not a.file and a.listen is None:
        p.error("give a FILE to play, or --listen PORT")
    if a.listen is not None and not 0 < a.listen < 65536:
        p.error("--listen port out of range")
    if not -1000 <= a.offset <= 1000:
        p.error("--offset must be -1000..1000 ms (beyond that, fix the machine's clock)")
    if a.group and a.listen is None:
        p.error("--group needs --listen PORT")
    maps = []
    for m in a.map:
        if len(m) not in (2, 3) or not m[0].startswith("/"):
            p.error("--map takes ADDRESS [ARG] FILE")
        maps.append((m[0], m[1] if len(m) == 3 else None, m[-1]))
    named: Dict[str, str] = {}
    for s in a.sound:
        name, sep, path = s.partition("=")
        if not sep or not name or not path:
            p.error(f"--sound {s!r}: expected NAME=FILE")
        named[name] = path
    if a.host is not None and a.listen is None:
        p.error("--host goes with --listen")
    if a.no_audio:
        if a.listen is None:
            p.error("--no-audio goes with --listen")
        return listen_without_audio(a, maps, named)
    try:
        from .player import ScheduledPlayer
    except ImportError as e:
        print(f"fsync-play: needs sounddevice, soundfile and numpy (pip install 'fsync[play]'): {e}", file=sys.stderr)
        return 2
    device = a.device if a.device is not None else jack_device()
    player = ScheduledPlayer(device=device, samplerate=a.samplerate)
    loaded: Dict[str, object] = {}
    try:
        for name, path in list(named.items()) + [(f, f) for _, _, f in maps] + ([(a.file, a.file)] if a.file else []):
            loaded[name] = sounds.load(path, player.samplerate)
    except Exception as e:  # noqa: BLE001 - report any unreadable file plainly
        p.error(f"cannot read sound: {e}")
    with player:
        if a.file:
            at = a.at - a.offset / 1000 if a.at is not None else time.time() + a.ahead
            player.play_at(loaded[a.file], at)
            print(f"fsync-play: {a.file} at {at:.6f}")
        if a.listen is not None:

            def play(name: str, gain: float, offset_ms: float, due: float) -> None:
                sound = loaded.get(name)
                if sound is None:
                    print(f"fsync-play: no sound named {name!r}")
                    return
                skip = int(offset_ms * player.samplerate / 1000)
                player.play_at(sound[skip:] * gain, due)
                print(f"fsync-play: {name} at {due:.6f}", flush=True)

            receiver = make_receiver(p, a, play, maps)
            print(f"fsync-play: listening on {net.describe(receiver.socket)}", flush=True)
            receiver.serve(a.seconds)
        deadline = time.time() + 600
        while player.busy() and time.time() < deadline:
            time.sleep(0.05)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
