"""One receiving site: a real-time Pd on JACK with a generated receiver patch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence

from site_process import SiteProcess

CLICK = "click"
CLICK_SAMPLES = 48  # a 1 ms rectangular click: its first sample is unmistakable
STALL_MAX_MS = 2000  # the busy loop is clipped to this: a stray datagram cannot hang Pd for good

# Each recipe: the chain from the UDP port to [dac~], as Pd objects (index: text) and connections.
# The last object is always the [dac~]: a site with several chains gives each its own channel.
RECIPES = {
    # The project's object: one box.
    "fsync": (
        ["netreceive -u -b {port}", "fsync~ {args}", "print fsync~", "dac~ {channel}"],
        [(0, 0, 1, 0), (1, 0, 3, 0), (1, 1, 2, 0)],
    ),
    # The workshop's recipe (mrpeach): unpackOSC's timetag delay → pipelist → tabplay~.
    "mrpeach": (
        ["udpreceive {port}", "unpackOSC", "pipelist", "routeOSC /play", "route " + CLICK, "t b", "tabplay~ " + CLICK, "dac~ {channel}"],
        [(0, 0, 1, 0), (1, 1, 2, 1), (1, 0, 2, 0), (2, 0, 3, 0), (3, 0, 4, 0), (4, 0, 5, 0), (5, 0, 6, 0), (6, 0, 7, 0)],
    ),
    # The workshop's own receiver: /pd tick → routeOSC /pd → route tick.
    "mrpeach-workshop": (
        ["udpreceive {port}", "unpackOSC", "pipelist", "routeOSC /pd", "route tick", "t b", "tabplay~ " + CLICK, "dac~ {channel}"],
        [(0, 0, 1, 0), (1, 1, 2, 1), (1, 0, 2, 0), (2, 0, 3, 0), (3, 0, 4, 0), (4, 0, 5, 0), (5, 0, 6, 0), (6, 0, 7, 0)],
    ),
}

# A busy loop in the site's own patch, what opening a big patch, a GUI burst or a slow
# disk does to a live Pd: "<ms>;" as UDP text blocks Pd's scheduler for <ms> of wall
# time. [t b b b f f] fires right to left: the limit goes to [>=], "begin <ms>" is
# printed, [realtime] is reset, [until] spins (each turn asks [realtime] for the time
# so far until it reaches the limit), then a second [realtime] prints "end <measured ms>".
STALL = (
    [
        "netreceive -u {stall_port}", "clip 0 " + str(STALL_MAX_MS), "t b b b f f", "realtime", "until", ">=", "sel 1",
        "realtime", "print stall",
    ],
    ["msg begin $1", "msg end $1"],  # message boxes (indices follow the objects)
    [
        (0, 0, 1, 0), (1, 0, 2, 0),
        (2, 4, 5, 1),  # limit
        (2, 3, 9, 0), (9, 0, 8, 0),  # "begin <ms>"
        (2, 2, 3, 0), (2, 2, 7, 0),  # reset both clocks
        (2, 1, 4, 0),  # spin
        (4, 0, 3, 1), (3, 0, 5, 0), (5, 0, 6, 0), (6, 0, 4, 1),  # until the limit is reached
        (2, 0, 7, 1), (7, 0, 10, 0), (10, 0, 8, 0),  # "end <measured ms>"
    ],
)


def patch_text(recipe: str, port: int, args: str = "", *, chains: Optional[Sequence[tuple[str, int]]] = None,
               stall_port: Optional[int] = None) -> str:
    """A site's patch: one chain per (recipe, port), chain i on output channel i + 1;
    with `stall_port`, also the busy loop above."""
    chains = list(chains) if chains else [(recipe, port)]
    lines = ["#N canvas 0 0 600 400 12;"]
    connects: list[tuple[int, int, int, int]] = []
    count = 0
    for channel, (name, chain_port) in enumerate(chains, start=1):
        objects, chain_connects = RECIPES[name]
        for i, text in enumerate(objects):
            lines.append(f"#X obj {10 + 250 * (channel - 1)} {10 + 30 * i} {text.format(port=chain_port, args=args, channel=channel)};")
        connects += [(count + a, ao, count + b, bi) for a, ao, b, bi in chain_connects]
        count += len(objects)
    ones = " ".join(["1"] * CLICK_SAMPLES)
    lines += [
        f"#X obj 600 10 table {CLICK} 480;",
        "#X obj 600 40 loadbang;",
        f"#X msg 600 70 \\; {CLICK} 0 {ones} \\; pd dsp 1;",
    ]
    connects.append((count + 1, 0, count + 2, 0))
    count += 3
    if stall_port is not None:
        objects, messages, stall_connects = STALL
        for i, text in enumerate(objects):
            lines.append(f"#X obj 600 {120 + 30 * i} {text.format(stall_port=stall_port)};")
        for i, text in enumerate(messages):
            content = text.split(" ", 1)[1].replace("$", "\\$")
            lines.append(f"#X msg 800 {120 + 30 * i} {content};")
        connects += [(count + a, ao, count + b, bi) for a, ao, b, bi in stall_connects]
        count += len(objects) + len(messages)
    lines += [f"#X connect {a} {ao} {b} {bi};" for a, ao, b, bi in connects]
    return "\n".join(lines) + "\n"


class PdSite(SiteProcess):
    """A real-time Pd on JACK named `name`. `chains`: several recipes in one Pd, each on
    its own port and output channel (so one fault hits all of them at the same moment);
    `stall_port`: the busy loop listens there; `env`: extra environment (libfaketime)."""

    def __init__(self, name: str, port: int, recipe: str, build: Path, workdir: Path, args: str = "", *,
                 chains: Optional[Sequence[tuple[str, int]]] = None, stall_port: Optional[int] = None,
                 env: Optional[dict[str, str]] = None):
        self.name, self.port, self.recipe = name, port, recipe
        self.patch = workdir / f"{name}.pd"
        self.patch.write_text(patch_text(recipe, port, args, chains=chains, stall_port=stall_port))
        self.build = build
        self.stall_port = stall_port
        self.extra_env = dict(env or {})
        SiteProcess.__init__(self)

    def __enter__(self) -> "PdSite":
        cmd = [
            "pd", "-jack", "-jackname", self.name, "-nojackconnect", "-nogui", "-noprefs", "-stderr",
            "-r", "48000", "-path", str(self.build), "-path", "/usr/lib/pd/extra/mrpeach", "-open", str(self.patch),
        ]
        self.start(cmd, {**os.environ, **self.extra_env})
        return self

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for line in self.lines:
            if line.startswith("fsync~: "):
                word = line.split()[1]
                counts[word] = counts.get(word, 0) + 1
        return counts
