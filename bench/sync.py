#!/usr/bin/env python3
"""Sync accuracy, side by side: [fsync~] and the workshop's mrpeach recipe, each as two
live Pd sites on JACK's dummy driver, under several network and CPU conditions, in
one run. Prints a table and writes a plot of the inter-site error distributions.

Faults on a live site (issue 12), from demo/faults.py: both recipes run in the same
two Pd processes, so one fault on site B hits both at once; bundles 0.2 s ahead every
0.5 s, the fault once after event 5:
  nofault          the same rig without a fault (no-fault p99 on --fault-events events)
  stall40, stall60 site B's Pd blocked 40 / 60 ms by a busy loop in its patch;
                   any length as stallMS: stall15, stall150, stall400, ...
  sigstopMS        site B's Pd process stopped MS ms (its JACK client misses cycles: xruns)
  wallstepS        site B's wall clock (libfaketime) steps S s, 6 events later back: wallstep1, wallstep-1

    python3 bench/sync.py [--events 50] [--ahead 0.2] [--plot bench/sync.png]
    python3 bench/sync.py --conditions nofault,stall15,stall40,stall60,stall150,stall400 --plot ''
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "demo"))
sys.path.insert(0, str(HERE.parent / "python"))

import faults  # noqa: E402
import two_sites  # noqa: E402

CONDITIONS = {
    "direct": dict(),
    "jitter": dict(delay_ms=20.0, sd_ms=5.0),
    "loss": dict(delay_ms=20.0, sd_ms=5.0, loss=0.05, redundancy=2),
    "cpu": dict(stress=True),
}
LATER_S = 10.0
FAULT_CONDITIONS = ["nofault", "stall40", "stall60"]  # in the default run; any stallMS / sigstopMS / wallstepS too
FAULT_PATTERN = re.compile(r"^(nofault|stall|sigstop|wallstep)(-?[0-9]+(?:\.[0-9]+)?)?$")


def fault_of(condition: str, after: int) -> "faults.Fault | None":
    """stall40 → a 40 ms stall, sigstop10, wallstep-1; None for a network/CPU condition."""
    m = FAULT_PATTERN.match(condition)
    if not m or (m.group(1) == "nofault") != (m.group(2) is None):
        return None
    kind, value = m.group(1), float(m.group(2) or 0)
    if kind == "nofault":
        return faults.Fault("none", after_event=after)
    if kind == "wallstep":
        return faults.Fault("wallstep", step_s=value, after_event=after) if 0 < abs(value) <= 100 else None
    return faults.Fault(kind, ms=value, after_event=after) if 0 < value <= 2000 else None


def namespace(recipe: str, condition: str, a: argparse.Namespace) -> argparse.Namespace:
    base = dict(recipe=recipe, events=a.events, interval=a.interval, ahead=a.ahead, period=256, build=a.build,
                fsync_args="", delay_ms=0.0, sd_ms=5.0, loss=0.0, seed=a.seed, redundancy=1, stress=False)
    base.update(CONDITIONS[condition])
    return argparse.Namespace(**base)


def row(r: dict) -> str:
    sr = r["sr"]
    d = r["b_minus_a_samples"]
    lat = [r["onset_minus_timetag_ms"][s] for s in "AB"]
    late = sum(r["status"][s].get("late", 0) for s in "AB")
    dropped = sum(r["status"][s].get("dropped", 0) for s in "AB")
    if not d.get("n"):
        return f"{r['recipe']:>8} | no pairs of onsets | missing {r['missing']}"
    mean = (lat[0]["mean"] + lat[1]["mean"]) / 2 if lat[0].get("n") and lat[1].get("n") else float("nan")
    sd = max(lat[0].get("sd", 0), lat[1].get("sd", 0))
    return (
        f"{r['recipe']:>8} | {d['p50']:>4.0f} {d['p95']:>4.0f} {d['p99']:>4.0f} {d['absmax']:>4.0f} samples "
        f"({d['absmax'] / sr * 1000:6.3f} ms max) | {mean:7.2f} ± {sd:5.3f} ms | late {late:>3} dropped {dropped:>3} never played {r['missing']:>3}"
    )


def fault_table(results: dict) -> list[str]:
    """A Markdown table the README can take: per fault and recipe, site B − site A in
    samples before the fault, for the first event after it, and for every event whose
    timetag is >= 0.3 s after its end (p50/p99/max, heard of sent at each site)."""
    lines = [
        "| site B's fault | recipe | before: p99 / max | first event after | ≥ 0.3 s after: p50 / p99 / max | 10 s after | heard A, B of sent | xruns at the fault, of all |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in results.values():
        for r in run["recipes"]:
            pre, s, first = r["before_fault"], r["settled"], r["first_after"]
            fmt = lambda d: f"{d['p99']:.0f} / {d['absmax']:.0f}" if d.get("n") else "–"  # noqa: E731
            first_text = "–" if not first else faults.first_after_text(first)
            settled = f"{s['p50']:.0f} / {s['p99']:.0f} / {s['absmax']:.0f}" if s.get("n") else "–"
            label = run["fault"]["label"].replace("site B's ", "")
            if run["fault"]["kind"] == "none":
                every = r["b_minus_a_samples"]  # no fault: the figure is every event's
                first_text = "–"
                settled = f"{every['p50']:.0f} / {every['p99']:.0f} / {every['absmax']:.0f} (all {every['n']} events)" if every.get("n") else "–"
            heard = (s["heard_a"], s["heard_b"], s["sent"])
            if run["fault"]["kind"] == "none":
                heard = (*(sum(1 for x in r["rows"] if x[f"onset_{k}"] is not None) for k in "ab"), len(r["rows"]))
            during = r.get("during", {"sent": 0})
            stray = f"; during the fault B heard {during['heard_b']} of {during['sent']} in their windows" if during["sent"] else ""
            stray += f"; B played {len(r['stray_b'])} in no event's window" if r["stray_b"] else ""
            stray += f"; {len(r['not_judged'])} not judged (sender late, recording gap or an xrun not the fault's)" if r.get("not_judged") else ""
            # The "10 s later": the event due nearest 10 s after the fault's end.
            end = run["fault_log"].get("step_back_at", run["fault_log"]["end"])
            pairs = [x for x in r["rows"] if x.get("b_minus_a") is not None and x["timetag"] > end]
            later = min(pairs, key=lambda x: abs(x["timetag"] - end - LATER_S)) if pairs else None
            last = f"{later['b_minus_a']:+d}" if later and abs(later["timetag"] - end - LATER_S) < 1 else "–"
            lines.append(f"| {label} | {r['recipe']} | {fmt(pre)} | {first_text} | {settled} | {last} | "
                         f"{heard[0]}, {heard[1]} of {heard[2]}{stray} | {run.get('xruns_at_fault', '?')} of {run['xruns']} |")
    return lines


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.5), sharey=True)
    for ax, (condition, pair) in zip(list(axes) if len(results) > 1 else [axes], results.items()):
        for r, color in zip(pair, ("tab:blue", "tab:orange")):
            diffs = [row.get("b_minus_a") for row in r["rows"] if row.get("b_minus_a") is not None]
            if diffs:
                ax.hist(diffs, bins=range(-300, 301, 8), alpha=0.7, color=color, label=r["recipe"])
        ax.set_title(condition)
        ax.set_xlabel("site B − site A (samples @ 48 kHz)")
    axes[0].set_ylabel("events") if len(results) > 1 else axes.set_ylabel("events")
    (axes[0] if len(results) > 1 else axes).legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=50)
    p.add_argument("--interval", type=float, default=0.3)
    p.add_argument("--ahead", type=float, default=0.2)
    p.add_argument("--conditions", default=",".join([*CONDITIONS, *FAULT_CONDITIONS]),
                   help=f"comma-separated from {list(CONDITIONS)} and the faults: nofault, stallMS, sigstopMS, wallstepS")
    p.add_argument("--fault-events", type=int, default=40, help="bundles per fault condition (0.5 s apart, 0.2 s ahead)")
    p.add_argument("--fault-after", type=int, default=5, help="the fault comes after this event")
    p.add_argument("--settle", type=float, default=12.0,
                   help="seconds both sites play before a fault condition's first bundle (a fault hits a running Pd)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--build", default=str(HERE.parent / "build"))
    p.add_argument("--plot", default=str(HERE / "sync.png"), help="PNG to write ('' for none)")
    p.add_argument("--json", help="all figures as JSON")
    p.add_argument("--table-from", help="print the fault table of an earlier --json file and stop")
    a = p.parse_args()
    if a.table_from:
        saved = json.loads(Path(a.table_from).read_text())
        print("\n".join(fault_table({c: r for c, r in saved.items() if isinstance(r, dict) and "fault" in r})))
        return 0
    conditions = [c for c in a.conditions.split(",") if c]
    bad = [c for c in conditions if c not in CONDITIONS and fault_of(c, a.fault_after) is None]
    if not conditions or bad or not 1 <= a.events <= 1000 or not 0 <= a.fault_after < a.fault_events <= 1000:
        p.error(f"conditions from {list(CONDITIONS)} and nofault, stallMS, sigstopMS (0 < MS <= 2000), wallstepS "
                f"(0 < |S| <= 100); not {bad}; events 1..1000; 0 <= fault-after < fault-events <= 1000")
    results, fault_results = {}, {}
    for c in conditions:
        fault = fault_of(c, a.fault_after)
        if fault is None:
            results[c] = [two_sites.run(namespace(recipe, c, a)) for recipe in ("fsync", "mrpeach")]
        else:
            interval = 0.7 if fault.kind == "wallstep" else 0.5  # a click 1 s off lands in no other event's window
            fault_results[c] = faults.run(fault, a.fault_events, interval, 0.2, a.settle, build=Path(a.build))
    if results:
        print(f"{a.events} bundles {a.ahead} s ahead per recipe and condition; JACK dummy 48 kHz period 256; two Pd sites")
        print(f"{'':>8} | |B-A| p50  p95  p99  max              | onset - timetag    | events")
        for c in results:
            print(f"-- {c}: {results[c][0]['condition']}")
            for r in results[c]:
                print(row(r))
    if fault_results:
        print()
        print(f"Faults on site B: {a.fault_events} bundles 0.2 s ahead every 0.5 s (wall-clock steps: 0.7 s) from {a.settle:g} s after start, the fault after "
              f"event {a.fault_after}; both recipes in the same two Pd processes, one run each; |B − A| in samples at 48 kHz")
        for c, run in fault_results.items():
            print(f"-- {c}: {run['fault']['label']}" + (f"; Pd main thread ran {run['fault_log']['main_thread_cpu_ms']:.1f} ms of CPU"
                                                         if "main_thread_cpu_ms" in run["fault_log"] else ""))
            for r in run["recipes"]:
                print(faults.summary_line(r))
        print()
        print("\n".join(fault_table(fault_results)))
    if a.plot and results:
        plot(results, Path(a.plot))
        print(f"plot: {a.plot}")
    if a.json:
        Path(a.json).write_text(json.dumps({**results, **fault_results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
