"""One receiving site: a real-time Pd on JACK with a generated receiver patch."""

from __future__ import annotations

import os
from pathlib import Path

from site_process import SiteProcess

CLICK = "click"
CLICK_SAMPLES = 48  # a 1 ms rectangular click: its first sample is unmistakable

# Each recipe: the chain from the UDP port to [dac~], as Pd objects (index: text) and connections.
RECIPES = {
    # The project's object: one box.
    "fsync": (
        ["netreceive -u -b {port}", "fsync~ {args}", "dac~", "print fsync~"],
        [(0, 0, 1, 0), (1, 0, 2, 0), (1, 1, 3, 0)],
    ),
    # The workshop's recipe (mrpeach): unpackOSC's timetag delay → pipelist → tabplay~.
    "mrpeach": (
        ["udpreceive {port}", "unpackOSC", "pipelist", "routeOSC /play", "route " + CLICK, "t b", "tabplay~ " + CLICK, "dac~"],
        [(0, 0, 1, 0), (1, 1, 2, 1), (1, 0, 2, 0), (2, 0, 3, 0), (3, 0, 4, 0), (4, 0, 5, 0), (5, 0, 6, 0), (6, 0, 7, 0)],
    ),
    # The workshop's own receiver: /pd tick → routeOSC /pd → route tick.
    "mrpeach-workshop": (
        ["udpreceive {port}", "unpackOSC", "pipelist", "routeOSC /pd", "route tick", "t b", "tabplay~ " + CLICK, "dac~"],
        [(0, 0, 1, 0), (1, 1, 2, 1), (1, 0, 2, 0), (2, 0, 3, 0), (3, 0, 4, 0), (4, 0, 5, 0), (5, 0, 6, 0), (6, 0, 7, 0)],
    ),
}


def patch_text(recipe: str, port: int, args: str = "") -> str:
    objects, connects = RECIPES[recipe]
    lines = ["#N canvas 0 0 600 400 12;"]
    for i, text in enumerate(objects):
        lines.append(f"#X obj 10 {10 + 30 * i} {text.format(port=port, args=args)};")
    base = len(objects)
    ones = " ".join(["1"] * CLICK_SAMPLES)
    lines += [
        f"#X obj 300 10 table {CLICK} 480;",
        "#X obj 300 40 loadbang;",
        f"#X msg 300 70 \\; {CLICK} 0 {ones} \\; pd dsp 1;",
    ]
    connects = list(connects) + [(base + 1, 0, base + 2, 0)]
    lines += [f"#X connect {a} {ao} {b} {bi};" for a, ao, b, bi in connects]
    return "\n".join(lines) + "\n"


class PdSite(SiteProcess):
    def __init__(self, name: str, port: int, recipe: str, build: Path, workdir: Path, args: str = ""):
        self.name, self.port, self.recipe = name, port, recipe
        self.patch = workdir / f"{name}.pd"
        self.patch.write_text(patch_text(recipe, port, args))
        self.build = build
        SiteProcess.__init__(self)

    def __enter__(self) -> "PdSite":
        cmd = [
            "pd", "-jack", "-jackname", self.name, "-nojackconnect", "-nogui", "-noprefs", "-stderr",
            "-r", "48000", "-path", str(self.build), "-path", "/usr/lib/pd/extra/mrpeach", "-open", str(self.patch),
        ]
        self.start(cmd, os.environ.copy())
        return self

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for line in self.lines:
            if line.startswith("fsync~: "):
                word = line.split()[1]
                counts[word] = counts.get(word, 0) + 1
        return counts
