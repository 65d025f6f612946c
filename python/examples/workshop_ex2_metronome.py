#!/usr/bin/env python3
"""The workshop's Example 2, a networked metronome with immediate timetags, with
fsync: an immediate bundle `/pd tick` to Pd (port 8001) every 0.5 s — each is
played on arrival, every one (a repeat is not a duplicate) — and every `/py tick`
Pd sends (port 8000) is printed, and played with --play FILE (as the workshop's
playsound does, but scheduled on the audio stream). Pd side: patches/workshop/ex2-metronome.pd.

    python3 python/examples/workshop_ex2_metronome.py [--count 20] [--play patches/workshop/tick.wav]
"""

from fsync_tilde import workshop


def main() -> int:
    p = workshop.parser(__doc__, count=20, interval=0.5)
    p.add_argument("--play", metavar="FILE", help="play FILE for every /py tick (needs an audio device)")
    a = p.parse_args()
    target = workshop.check(p, a)
    with workshop.maybe_player(a.play) as handle:
        return workshop.run(a, target, lambda sender, i: sender.send("/pd", "tick"), handle)


if __name__ == "__main__":
    raise SystemExit(main())
