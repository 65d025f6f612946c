#!/usr/bin/env python3
"""The workshop's Example 3, forward synchronization with timetags, with fsync:
`/pd tick` to Pd (port 8001) every 0.5 s, stamped `--ahead` seconds (default 1,
the workshop's 1e+06 µs) after the moment it is sent; [fsync~] plays it at that
time. Every `/py tick` Pd sends (port 8000, stamped 1 s ahead by [fsync~]) is
printed with its timetag, and played at it with --play FILE.
Pd side: patches/workshop/ex3-forward-sync.pd.

--stale-timetag keeps the workshop's bug: the timetag is computed once, before the
send loop, so after the first `ahead` seconds every bundle is already late
([fsync~] reports `late` and, with -late join-or-play, still plays the tick).

    python3 python/examples/workshop_ex3_forward_sync.py [--count 20] [--ahead 1] [--stale-timetag] [--play FILE]
"""

import time

from fsync_tilde import workshop


def main() -> int:
    p = workshop.parser(__doc__, count=20, interval=0.5)
    p.add_argument("--ahead", type=float, default=1.0, metavar="SECONDS", help="timetag = sending time + SECONDS (default 1)")
    p.add_argument("--stale-timetag", action="store_true", help="the workshop's bug: one timetag, computed before the loop")
    p.add_argument("--play", metavar="FILE", help="play FILE at each /py tick's timetag (needs an audio device)")
    a = p.parse_args()
    target = workshop.check(p, a)
    if not 0 <= a.ahead <= 60:
        p.error("--ahead must be 0..60 s")
    stale = time.time() + a.ahead  # only used with --stale-timetag

    def send(sender, i):
        return sender.send("/pd", "tick", at=stale if a.stale_timetag else time.time() + a.ahead)

    with workshop.maybe_player(a.play) as handle:
        return workshop.run(a, target, send, handle)


if __name__ == "__main__":
    raise SystemExit(main())
