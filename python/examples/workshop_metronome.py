#!/usr/bin/env python3
"""The workshop's example 3 metronome, with fsync: every 0.5 s, send `/pd tick` to
Pd (port 8001) stamped `ahead` seconds in the future — stamped when each bundle is
sent, not once before the loop (the workshop's pitfall) — and, with --local, play
the same tick here at that timetag (forward synchronization on both ends).

    python3 python/examples/workshop_metronome.py [--local tick.wav] [--count 20]
"""

import argparse
import time

from fsync_tilde import Sender
from fsync_tilde import args as checks
from fsync_tilde.cli import parse_target


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--to", type=parse_target, default="127.0.0.1:8001")
    p.add_argument("--ahead", type=checks.number_in(0, 60, " s"), default=0.2)
    p.add_argument("--interval", type=checks.number_in(0.01, 3600, " s"), default=0.5)
    p.add_argument("--count", type=checks.integer_in(0, 100000), default=20)
    p.add_argument("--local", metavar="FILE", help="also play FILE here at each timetag")
    a = p.parse_args()
    host, port = a.to
    player = sound = None
    if a.local:
        from fsync_tilde.play_cli import check_sound_file, output_device
        from fsync_tilde.player import ScheduledPlayer
        from fsync_tilde.sounds import load

        try:
            check_sound_file(a.local)
            device = output_device(None)
        except checks.UsageError as e:
            p.error(str(e))
        player = ScheduledPlayer(device=device)
        sound = load(a.local, player.samplerate)
        player.__enter__()
    try:
        with Sender([(host, int(port))], ahead=a.ahead) as sender:
            for _ in range(max(0, min(a.count, 100000))):
                tag = sender.send("/pd", "tick")
                if player is not None:
                    player.play_at(sound, tag.unix)
                print(tag.describe(), flush=True)
                time.sleep(a.interval)
    finally:
        if player is not None:
            time.sleep(a.ahead + 0.2)
            player.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
