#!/usr/bin/env python3
"""The workshop's Example 4, printing UTC timestamps, with fsync: once a second,
print this machine's UTC time (unix seconds and civil) and send `/pd tick` to Pd
(port 8001) stamped `--ahead` seconds later; Pd (patches/workshop/ex4-utc.pd)
prints `utc <year> <month> <day> <hour> <minute> <second> <ms>` from [fsync~]'s
filtered clock when each tick comes due, so the two clocks can be compared. Every
`/py tick` Pd sends (port 8000) is printed with its timetag and arrival in UTC.

    python3 python/examples/workshop_ex4_utc.py [--count 10] [--ahead 1]
"""

import time

from fsync_tilde import workshop


def main() -> int:
    p = workshop.parser(__doc__, count=10, interval=1.0)
    p.add_argument("--ahead", type=float, default=1.0, metavar="SECONDS", help="timetag = now + SECONDS (default 1)")
    a = p.parse_args()
    target = workshop.check(p, a)
    if not 0 <= a.ahead <= 60:
        p.error("--ahead must be 0..60 s")

    def send(sender, i):
        now = time.time()
        print(f"utc now {now:.3f} = {workshop.utc(now)}", flush=True)
        return sender.send("/pd", "tick", at=now + a.ahead)

    def handle(address, args, due, arrival):
        stamp = "immediately" if due is None else workshop.utc(due)
        print(f"received {address} {' '.join(map(str, args))} | timetag {stamp} | arrived {workshop.utc(arrival)}", flush=True)

    return workshop.run(a, target, send, handle)


if __name__ == "__main__":
    raise SystemExit(main())
