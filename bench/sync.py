#!/usr/bin/env python3
"""Sync accuracy, side by side: [fsync~] and the workshop's mrpeach recipe, each as two
live Pd sites on JACK's dummy driver, under several network and CPU conditions, in
one run. Prints a table and writes a plot of the inter-site error distributions.

    python3 bench/sync.py [--events 50] [--ahead 0.2] [--plot bench/sync.png]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "demo"))
sys.path.insert(0, str(HERE.parent / "python"))

import two_sites  # noqa: E402

CONDITIONS = {
    "direct": dict(),
    "jitter": dict(delay_ms=20.0, sd_ms=5.0),
    "loss": dict(delay_ms=20.0, sd_ms=5.0, loss=0.05, redundancy=2),
    "cpu": dict(stress=True),
}


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
    p.add_argument("--conditions", default=",".join(CONDITIONS), help=f"comma-separated from {list(CONDITIONS)}")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--build", default=str(HERE.parent / "build"))
    p.add_argument("--plot", default=str(HERE / "sync.png"), help="PNG to write ('' for none)")
    p.add_argument("--json", help="all figures as JSON")
    a = p.parse_args()
    conditions = [c for c in a.conditions.split(",") if c]
    if not conditions or any(c not in CONDITIONS for c in conditions) or not 1 <= a.events <= 1000:
        p.error(f"conditions from {list(CONDITIONS)}, events 1..1000")
    results = {}
    for c in conditions:
        results[c] = [two_sites.run(namespace(recipe, c, a)) for recipe in ("fsync", "mrpeach")]
    print(f"{a.events} bundles {a.ahead} s ahead per recipe and condition; JACK dummy 48 kHz period 256; two Pd sites")
    print(f"{'':>8} | |B-A| p50  p95  p99  max              | onset - timetag    | events")
    for c in conditions:
        print(f"-- {c}: {results[c][0]['condition']}")
        for r in results[c]:
            print(row(r))
    if a.plot:
        plot(results, Path(a.plot))
        print(f"plot: {a.plot}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
