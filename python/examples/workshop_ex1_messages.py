#!/usr/bin/env python3
"""The workshop's Example 1, peer-to-peer messages, with fsync: sends immediate
bundles `/pd "Hello from Python nr.N"` to Pd (port 8001) once a second, and prints
every `/py …` message Pd sends (port 8000). Pd side: patches/workshop/ex1-messages.pd.

    python3 python/examples/workshop_ex1_messages.py [--count 10] [--to HOST:8001] [--host ADDRESS]
"""

from fsync_tilde import workshop


def main() -> int:
    p = workshop.parser(__doc__, count=10, interval=1.0)
    p.add_argument("--text", default="Hello from Python", help="the message text")
    a = p.parse_args()
    target = workshop.check(p, a)
    return workshop.run(a, target, lambda sender, i: sender.send("/pd", f"{a.text} nr.{i + 1}"))


if __name__ == "__main__":
    raise SystemExit(main())
