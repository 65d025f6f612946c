#!/usr/bin/env python3
"""CPU and memory cost of [fsync~] against the seed recipe's [tabplay~] players,
rendered offline in `pd -batch` (deterministic work, no real-time noise) in one run.

    python3 bench/cost.py [--seconds 60] [--voices 64] [--repeat 3]

Each case renders the same audio length; CPU time is the pd process's user+sys
(from wait4), minus nothing: an idle patch with DSP on is printed as the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
from fsync_tilde import packets, timetag  # noqa: E402

SR = 48000


def bytes_msg(data: bytes) -> str:
    return "list " + " ".join(str(b) for b in data)


def patch(body: list[str], connects: list[tuple[int, int, int, int]], seconds: float, array_seconds: float) -> str:
    """A patch: a long array, DSP on at load, the case's objects, quit after `seconds`."""
    head = [
        f"#X obj 10 10 table long {int(array_seconds * SR)};",
        "#X obj 10 40 loadbang;",
        "#X msg 10 70 \\; long const 0.001 \\; pd dsp 1;",
        f"#X obj 200 40 delay {seconds * 1000};",
        "#X msg 200 70 \\; pd quit;",
    ]
    base = len(head)
    lines = ["#N canvas 0 0 800 600 12;"] + head + body
    conns = [(1, 0, 2, 0), (1, 0, 3, 0), (3, 0, 4, 0)] + [(a + base if a >= 0 else -a - 1, ao, b + base, bi) for a, ao, b, bi in connects]
    lines += [f"#X connect {a} {ao} {b} {bi};" for a, ao, b, bi in conns]
    return "\n".join(lines) + "\n"


def schedule_cases(voices: int, seconds: float, events: int, workdir: Path) -> dict[str, str]:
    """The same schedule of `events` starts of a 0.1 s sound, spread over the render:
    [fsync~] gets it as timetagged bundles (1000 to a packet); the seed recipe as a
    [qlist] banging `voices` [tabplay~] players in turn (block-quantized, as it is)."""
    times = [0.05 + i * (seconds - 0.2) / events for i in range(events)]
    bundles = [packets.bundle(timetag.logical(t), [packets.play("short")]) for t in times]
    fs = [f"#X obj 10 120 fsync~ -clock logical -voices {voices} -queue {events} -dedupe 0;", "#X obj 10 160 dac~;"]
    fs_conns = [(0, 0, 1, 0)]
    for i in range(0, events, 1000):
        fs.append(f"#X msg 300 {120 + i // 1000} {bytes_msg(packets.bundle(timetag.immediately(), bundles[i : i + 1000]))};")
        k = len(fs) - 1
        fs_conns += [(-2, 0, k, 0), (k, 0, 0, 0)]
    qfile = workdir / "schedule.txt"
    lines, previous = [], 0.0
    for i, t in enumerate(times):
        lines.append(f"{(t - previous) * 1000:.4f} fsync-bench-v{i % voices} bang;")
        previous = t
    qfile.write_text("\n".join(lines) + "\n")
    tab = [f"#X msg 10 120 read {qfile} \\, bang;", "#X obj 10 150 qlist;", "#X obj 10 400 dac~;"]
    tab_conns = [(-2, 0, 0, 0), (0, 0, 1, 0)]
    for v in range(voices):
        tab += [f"#X obj {10 + (v % 16) * 60} {200 + (v // 16) * 50} r fsync-bench-v{v};", f"#X obj {10 + (v % 16) * 60} {225 + (v // 16) * 50} tabplay~ short;"]
        r = len(tab) - 2
        tab_conns += [(r, 0, r + 1, 0), (r + 1, 0, 2, 0)]
    short = ["#X obj 600 10 table short 4800;", "#X obj 600 40 loadbang;", "#X msg 600 70 \\; short const 0.001;"]
    extra = lambda body, conns: (body + short, conns + [(len(body) + 1, 0, len(body) + 2, 0)])  # noqa: E731
    return {
        f"{events} events: [qlist] -> {voices} x [tabplay~]": patch(*extra(tab, tab_conns), seconds, 0.1),
        f"{events} events: [fsync~] {voices} voices": patch(*extra(fs, fs_conns), seconds, 0.1),
    }


def cases(voices: int, seconds: float, pending: int) -> dict[str, str]:
    # -k-1 in a connection means head object k (loadbang is head object 1 → -2).
    idle = patch(["#X obj 10 120 dac~;"], [], seconds, seconds)
    tab = ["#X obj 10 120 t b;"] + [f"#X obj {10 + (i % 16) * 40} {150 + (i // 16) * 30} tabplay~ long;" for i in range(voices)] + ["#X obj 10 400 dac~;"]
    tab_conns = [(-2, 0, 0, 0)] + [(0, 0, 1 + i, 0) for i in range(voices)] + [(1 + i, 0, voices + 1, 0) for i in range(voices)]
    plays = packets.bundle(timetag.immediately(), [packets.play("long") for _ in range(voices)])
    fs = [f"#X msg 10 120 {bytes_msg(plays)};", f"#X obj 10 200 fsync~ -clock logical -voices {voices};", "#X obj 10 240 dac~;"]
    fs_conns = [(-2, 0, 0, 0), (0, 0, 1, 0), (1, 0, 2, 0)]
    # A deep queue: `pending` events due far after the render ends, nothing playing;
    # packed 1000 inner bundles to a packet so loading the patch costs little.
    events = [packets.bundle(timetag.logical(seconds + 10 + i * 0.001), [packets.play("long")]) for i in range(pending)]
    far = [packets.bundle(timetag.immediately(), events[i : i + 1000]) for i in range(0, pending, 1000)]
    deep = [f"#X obj 10 120 fsync~ -clock logical -queue {max(pending, 1)} -dedupe 0;", "#X obj 10 160 dac~;"]
    deep_conns = [(0, 0, 1, 0)]
    for i, p in enumerate(far):
        deep.append(f"#X msg 300 {120 + i % 50} {bytes_msg(p)};")
        deep_conns += [(-2, 0, 2 + i, 0), (2 + i, 0, 0, 0)]
    # The same voices following a sound card's drift (-drift 200: a fixed +200 ppm pace, so
    # the run is deterministic; the paced path mixes at integer positions, then resamples once).
    paced = [fs[0], fs[1].replace("-clock logical", "-clock system -drift 200"), fs[2]]
    return {
        "idle (DSP on, nothing else)": idle,
        f"{voices} x [tabplay~] (seed recipe)": patch(tab, tab_conns, seconds, seconds),
        f"[fsync~] with {voices} voices": patch(fs, fs_conns, seconds, seconds),
        f"[fsync~] idle, {pending} events pending": patch(deep, deep_conns, seconds, seconds),
    }, {f"[fsync~] {voices} voices, -drift 200 (resampled)": patch(paced, fs_conns, seconds, seconds)}


def run_pd(path: Path, build: Path, callgrind: bool = False) -> tuple[float, int]:
    """CPU seconds (user + sys) and peak RSS (KiB) of one pd -batch run; with
    `callgrind`, instead the number of instructions executed (repeatable)."""
    wrapper = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] if callgrind else []
    proc = subprocess.Popen(
        wrapper + ["pd", "-batch", "-nosound", "-nogui", "-noprefs", "-r", str(SR), "-path", str(build), "-open", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode()
    if status != 0 or "couldn't create" in err:
        raise RuntimeError(f"pd failed on {path}: {err[-400:]}")
    if callgrind:
        collected = [l for l in err.splitlines() if "Collected :" in l]
        return float(collected[-1].split(":")[-1]), 0
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--voices", type=int, default=64)
    p.add_argument("--pending", type=int, default=10000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--events", type=int, default=10000, help="events in the schedule cases")
    p.add_argument("--callgrind", action="store_true", help="also count instructions with valgrind (slow, repeatable)")
    p.add_argument("--build", default=str(HERE.parent / "build"))
    a = p.parse_args()
    if not (0.1 <= a.seconds <= 600 and 1 <= a.voices <= 256 and 0 <= a.pending <= 60000 and 1 <= a.repeat <= 20):
        p.error("seconds 0.1..600, voices 1..256, pending 0..60000, repeat 1..20")
    build = Path(a.build).resolve()
    with tempfile.TemporaryDirectory(prefix="fsync-bench-") as tmp:
        paths = {}
        plain, paced = cases(a.voices, a.seconds, a.pending)
        all_cases = {**plain, **schedule_cases(a.voices, a.seconds, a.events, Path(tmp)), **paced}
        # Baselines: the same patches with [fsync~] replaced by [list], so loading the big
        # packet message boxes (Pd formats every byte as text) is not charged to fsync~.
        for name in [n for n in all_cases if "fsync~]" in n and ("pending" in n or "events:" in n)]:
            all_cases[name + " | load baseline"] = re.sub(r"fsync~ -clock logical[^;]*;", "list;", all_cases[name])
        for i, (name, text) in enumerate(all_cases.items()):
            paths[name] = Path(tmp) / f"case{i}.pd"
            paths[name].write_text(text)
        results = {name: [run_pd(path, build) for _ in range(a.repeat)] for name, path in paths.items()}
        counts = {name: run_pd(path, build, callgrind=True)[0] for name, path in paths.items()} if a.callgrind else {}
    print(f"pd -batch, {a.seconds:g} s of audio at {SR} Hz, median of {a.repeat} runs")
    print(f"{'case':<46} {'CPU ms':>9} {'CPU ms per s audio':>19} {'peak RSS MiB':>13}" + (f" {'instructions':>15}" if counts else ""))
    idle_cpu = None
    rows = {}
    for name, runs in results.items():
        cpu = statistics.median(r[0] for r in runs) * 1000
        rss = max(r[1] for r in runs) / 1024
        idle_cpu = cpu if idle_cpu is None else idle_cpu
        rows[name] = cpu
        print(f"{name:<46} {cpu:>9.1f} {cpu / a.seconds:>19.3f} {rss:>13.1f}" + (f" {counts[name]:>15,.0f}" if counts else ""))
    names = list(rows)
    tab, fs = rows[names[1]] - idle_cpu, rows[names[2]] - idle_cpu
    ratio = f"{fs / tab:.2f}" if tab > 0 else "n/a (tabplay~ cost below the noise: render longer)"
    print(f"above idle: fsync~ {fs:.1f} ms vs tabplay~ {tab:.1f} ms -> ratio fsync~/tabplay~ = {ratio}")
    paced_name = names[6]
    drift = rows[paced_name] - idle_cpu
    print(f"above idle: fsync~ drift-following {drift:.1f} ms vs fsync~ {fs:.1f} ms -> per voice {drift / fs:.2f}x" if fs > 0 else "")
    for name in names:
        if name.endswith("| load baseline"):
            own = name.removesuffix(" | load baseline")
            print(f"{own}: above its load baseline {rows[own] - rows[name]:.1f} CPU ms"
                  + (f", {counts[own] - counts[name]:,.0f} instructions" if counts else ""))
    if counts:
        idle_ir = counts[names[0]]
        t_ir, f_ir = counts[names[1]] - idle_ir, counts[names[2]] - idle_ir
        print(f"instructions above idle: fsync~ {f_ir:,.0f} vs tabplay~ {t_ir:,.0f} -> ratio {f_ir / t_ir:.2f}" if t_ir > 0 else "")
        d_ir = counts[paced_name] - idle_ir
        print(f"instructions above idle: fsync~ drift-following {d_ir:,.0f} vs fsync~ {f_ir:,.0f} -> per voice {d_ir / f_ir:.2f}x, "
              f"vs tabplay~ {d_ir / t_ir:.2f}" if f_ir > 0 and t_ir > 0 else "")
        q, f = counts[names[4]] - idle_ir, counts[names[5]] - counts[names[5] + " | load baseline"]
        print(f"schedule of {a.events} events, instructions above idle: fsync~ {f:,.0f} vs qlist+tabplay~ {q:,.0f} -> ratio {f / q:.2f}" if q > 0 else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
