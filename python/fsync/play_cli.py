"""fsync-play: play a sound file at a wall-clock time, or receive [fsync~]'s bundles
and play them at their timetags (Python as a forward-synchronized site)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Dict, List, Optional

from . import sounds


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
    p.add_argument("--listen", type=int, metavar="PORT", help="receive bundles on 127.0.0.1:PORT")
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
            from .receiver import Receiver

            def play(name: str, gain: float, offset_ms: float, due: float) -> None:
                sound = loaded.get(name)
                if sound is None:
                    print(f"fsync-play: no sound named {name!r}")
                    return
                skip = int(offset_ms * player.samplerate / 1000)
                player.play_at(sound[skip:] * gain, due)
                print(f"fsync-play: {name} at {due:.6f}", flush=True)

            mapping = {(addr, arg): f for addr, arg, f in maps}
            print(f"fsync-play: listening on {a.group or '127.0.0.1'}:{a.listen}", flush=True)
            from .peers import Answers

            answers = Answers(a.offset, a.allow, not a.no_remote_offset)
            Receiver(a.listen, play, mapping, answers=answers, group=a.group).serve(a.seconds)
        deadline = time.time() + 600
        while player.busy() and time.time() < deadline:
            time.sleep(0.05)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
