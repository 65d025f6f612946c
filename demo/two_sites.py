#!/usr/bin/env python3
"""The main demo: two real-time Pd "sites" on one JACK server (dummy driver), the
Python sender sending the same timetagged bundles to both, both outputs recorded
on one sample clock, and a report of how closely the sites agree.

    python3 demo/two_sites.py [--recipe both|fsync|mrpeach] [--events 20] [--ahead 0.2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "python"))

from fsync_tilde import Sender  # noqa: E402
from jack_server import JackServer  # noqa: E402
from onsets import onset, summary  # noqa: E402
from pd_site import CLICK, PdSite  # noqa: E402
from udp_relay import UdpRelay  # noqa: E402

PORTS = (9001, 9002)
WORKSHOP_PORTS = (8001, 8000)  # the workshop's: Pd listens on 8001, Python on 8000
RELAY_PORTS = (9101, 9102)


@contextlib.contextmanager
def cpu_stress(on: bool):
    """A busy loop on one core for the duration (bounded: killed on exit)."""
    if not on:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<600: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait(timeout=5)


def wait_for_ports(names: list[str], timeout: float = 15.0) -> None:
    import jack

    probe = jack.Client("fsync-probe", no_start_server=True)
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            have = {p.name for p in probe.get_ports()}
            if all(n in have for n in names):
                return
            time.sleep(0.1)
        raise RuntimeError(f"JACK ports {names} did not appear; have {sorted(have)}")
    finally:
        probe.close()


def wait_for_other_output(known: tuple, timeout: float = 15.0) -> str:
    """The first output port of a JACK client not in `known` (PortAudio names its own)."""
    import jack

    probe = jack.Client("fsync-probe", no_start_server=True)
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for port in probe.get_ports(is_output=True, is_audio=True):
                if port.name.split(":")[0] not in known:
                    return port.name
            time.sleep(0.1)
        raise RuntimeError("the Python site's JACK output did not appear")
    finally:
        probe.close()


def run(args: argparse.Namespace) -> dict:
    build = Path(args.build).resolve()
    if args.recipe == "fsync" and not (build / "fsync~.pd_linux").exists():
        raise SystemExit(f"{build}/fsync~.pd_linux not found: run `make build` first")
    workdir = Path(tempfile.mkdtemp(prefix="fsync-demo-"))
    server = "fsyncdemo"  # one name: a rerun reuses its registry slot
    names = ["siteA", "siteB"]
    duration = 2.0 + args.events * args.interval + args.ahead + 1.0
    try:
        with JackServer(server, period=args.period):
            workshop = getattr(args, "workshop", False)
            ports = WORKSHOP_PORTS if workshop else PORTS
            pd_recipe = ("mrpeach-workshop" if args.recipe == "mrpeach" else "fsync") if workshop else args.recipe
            pd_args = args.fsync_args + (" -map /pd tick " + CLICK if workshop else "")
            sites = [PdSite(n, p, pd_recipe, build, workdir, pd_args) for n, p in zip(names, ports)]
            if workshop or getattr(args, "site_b", "pd") == "python":
                from py_site import PythonSite

                python_recipe = "workshop" if workshop and args.recipe == "mrpeach" else "fsync"
                sites[1] = PythonSite("siteB", ports[1], workdir, duration + 5, python_recipe, "/py" if workshop else None)
            with sites[0], sites[1]:
                sources = [f"{names[0]}:output_1", f"{names[1]}:output_1"]
                if isinstance(sites[1], PdSite):
                    wait_for_ports(sources)
                else:
                    wait_for_ports(sources[:1])
                    sources[1] = wait_for_other_output(known=("system", names[0]))
                from recorder import Recorder

                with contextlib.ExitStack() as stack:
                    rec = stack.enter_context(Recorder(sources, duration))
                    stack.enter_context(cpu_stress(args.stress))
                    targets = ports
                    if args.delay_ms > 0 or args.loss > 0:
                        relay = UdpRelay(dict(zip(RELAY_PORTS, ports)), args.delay_ms, args.sd_ms, args.loss, args.seed)
                        stack.enter_context(relay)
                        targets = RELAY_PORTS
                    time.sleep(1.5)  # let the clock filters settle on a few windows
                    tags = []
                    sender = getattr(args, "workshop_sender", "stamped")
                    ahead = None if sender == "immediate" else args.ahead
                    stale = time.time() + args.ahead  # the workshop's Example 3 bug: one timetag for the whole loop
                    with Sender([("127.0.0.1", targets[0])], ahead=ahead, redundancy=args.redundancy) as to_a, \
                            Sender([("127.0.0.1", targets[1])], ahead=ahead, redundancy=args.redundancy) as to_b:
                        for _ in range(args.events):
                            sent = time.time()
                            if workshop:
                                # The workshop's addresses; both sites get the same timetag.
                                at = stale if sender == "stale" else None
                                tag = to_a.send("/pd", "tick", at=at)
                                to_b.send("/py", "tick", at=tag.unix if tag.unix is not None else None)
                            else:
                                tag = to_a.play(CLICK)
                                to_b.play(CLICK, at=tag.unix)
                            # Where to look for the onset: the timetag, or the arrival for
                            # "immediately" and for a timetag already past (played late).
                            tags.append(max(tag.unix, sent) if tag.unix is not None else sent)
                            time.sleep(args.interval)
                    time.sleep(args.ahead + 0.5 + (args.delay_ms + 4 * args.sd_ms) / 1000)
                to_wall, fit_rms_ms = rec.frame_to_wall()
                signal = rec.buffer
                sr = rec.sr
            statuses = [s.status_counts() for s in sites]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return analyse(tags, signal, sr, to_wall, fit_rms_ms, statuses, args)


def analyse(tags, signal, sr, to_wall, fit_rms_ms, statuses, args) -> dict:
    import numpy as np

    # Frame of a wall time: invert the (linear) fit.
    slope, intercept = to_wall.coeffs
    rows, diffs, lateness = [], [], ([], [])
    for i, tag in enumerate(tags):
        expected = int(round((tag - intercept) / slope))
        window = (int(0.1 * sr), int(0.15 * sr))
        a, b = (onset(signal[k], expected, *window) for k in (0, 1))
        row = {"event": i, "onset_a": a, "onset_b": b}
        if a is not None and b is not None:
            row["b_minus_a"] = b - a
            diffs.append(b - a)
        for k, o in enumerate((a, b)):
            if o is not None:
                ms = (float(np.polyval([slope, intercept], o)) - tag) * 1000
                row[f"late_ms_{'ab'[k]}"] = ms
                lateness[k].append(ms)
        rows.append(row)
    return {
        "recipe": args.recipe,
        "condition": condition(args) + (f", workshop system (Pd /pd tick : Python /py tick), sender {getattr(args, 'workshop_sender', 'stamped')}" if getattr(args, "workshop", False) else ""),
        "events": len(tags),
        "ahead_s": args.ahead,
        "sr": sr,
        "fit_rms_ms": fit_rms_ms,
        "rows": rows,
        "b_minus_a_samples": summary(diffs),
        "onset_minus_timetag_ms": {"A": summary(lateness[0]), "B": summary(lateness[1])},
        "missing": sum(1 for r in rows for k in ("onset_a", "onset_b") if r[k] is None),
        # Ticks heard: distinct onsets (bundles that fall on one moment are one tick).
        "heard": {site: len({r[f"onset_{site.lower()}"] for r in rows} - {None}) for site in "AB"},
        "status": {"A": statuses[0], "B": statuses[1]},
    }


def condition(args) -> str:
    parts = []
    if args.delay_ms > 0 or args.loss > 0:
        parts.append(f"relay {args.delay_ms:g}±{args.sd_ms:g} ms, loss {args.loss * 100:g}%")
    if args.redundancy > 1:
        parts.append(f"redundancy {args.redundancy}")
    if args.stress:
        parts.append("one core busy")
    return ", ".join(parts) or "direct loopback"


def report(r: dict) -> None:
    sr = r["sr"]
    print(f"recipe {r['recipe']} ({r['condition']}): {r['events']} bundles, {r['ahead_s']} s ahead, {sr} Hz, JACK dummy driver")
    print(f"{'event':>5} {'onset A':>10} {'onset B':>10} {'B-A':>6} {'B-A ms':>8} {'A-tag ms':>9} {'B-tag ms':>9}")
    for row in [] if r.get("quiet") else r["rows"]:
        d = row.get("b_minus_a")
        fmt = lambda v, f: (f % v) if v is not None else "-"  # noqa: E731
        print(
            f"{row['event']:>5} {fmt(row['onset_a'], '%d'):>10} {fmt(row['onset_b'], '%d'):>10} {fmt(d, '%d'):>6} "
            f"{fmt(d / sr * 1000 if d is not None else None, '%.3f'):>8} {fmt(row.get('late_ms_a'), '%.3f'):>9} {fmt(row.get('late_ms_b'), '%.3f'):>9}"
        )
    d = r["b_minus_a_samples"]
    if d.get("n"):
        print(
            f"inter-site |B-A|: p50 {d['p50']:.0f}, p95 {d['p95']:.0f}, p99 {d['p99']:.0f}, max {d['absmax']:.0f} samples "
            f"(max {d['absmax'] / sr * 1000:.3f} ms); mean B-A {d['mean']:.2f}, n {d['n']}"
        )
    for site in "AB":
        s = r["onset_minus_timetag_ms"][site]
        if s.get("n"):
            print(f"site {site} onset - timetag: mean {s['mean']:.3f} ms, sd {s['sd']:.3f} ms, min {s['min']:.3f}, max {s['max']:.3f}")
    print(f"ticks heard (distinct onsets): A {r['heard']['A']} of {r['events']}, B {r['heard']['B']} of {r['events']}")
    print(f"missing onsets: {r['missing']}; wall-clock fit residual {r['fit_rms_ms']:.3f} ms RMS; status: A {r['status']['A']} B {r['status']['B']}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", choices=["fsync", "mrpeach", "both"], default="both", help="both: fsync~ then the workshop's recipe, same conditions")
    p.add_argument("--events", type=int, default=20)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--ahead", type=float, default=0.2)
    p.add_argument("--period", type=int, default=256, help="JACK period (>= 128)")
    p.add_argument("--build", default="build", help="folder with fsync~.pd_linux")
    p.add_argument("--fsync-args", default="", help="creation flags for [fsync~]")
    p.add_argument("--delay-ms", type=float, default=0.0, help="route through a UDP relay adding this mean delay")
    p.add_argument("--sd-ms", type=float, default=5.0, help="the relay delay's standard deviation")
    p.add_argument("--loss", type=float, default=0.0, help="the relay's loss probability (0..1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--redundancy", type=int, default=1, help="send each bundle N times (fsync~ drops repeats)")
    p.add_argument("--stress", action="store_true", help="keep one core busy during the run")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.add_argument("--site-b", choices=["pd", "python"], default="pd", help="python: site B is fsync-play (PortAudio on JACK) instead of Pd")
    p.add_argument("--workshop", action="store_true",
                   help="the workshop's system: site A Pd on 8001 gets /pd tick, site B Python on 8000 gets /py tick; "
                        "recipe fsync = [fsync~ -map /pd tick] + fsync-play, mrpeach = the workshop's own receivers")
    p.add_argument("--workshop-sender", choices=["stamped", "immediate", "stale"], default="stamped",
                   help="with --workshop: how the sender stamps /pd tick: each --ahead when sent (stamped), "
                        "immediately (Example 2's metronome), or one timetag computed before the loop (Example 3's bug)")
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args()
    if not 1 <= args.events <= 1000 or args.interval < 0.05 or args.period < 128:
        p.error("events 1..1000, interval >= 0.05 s, period >= 128")
    if not (0 <= args.loss < 1 and 0 <= args.delay_ms <= 1000 and 0 <= args.sd_ms <= 500 and 1 <= args.redundancy <= 10):
        p.error("loss 0..1, delay 0..1000 ms, sd 0..500 ms, redundancy 1..10")
    if shutil.which("jackd") is None:
        # Without JACK there is no shared sample clock to record both sites on, so no
        # honest figure: say so instead of measuring something else.
        print("two_sites: jackd not found: install jackd2 (scripts/setup.sh does); the demo needs JACK's dummy driver", file=sys.stderr)
        return 2
    recipes = ["fsync", "mrpeach"] if args.recipe == "both" else [args.recipe]
    results = []
    for recipe in recipes:
        results.append(run(argparse.Namespace(**{**vars(args), "recipe": recipe})))
        results[-1]["quiet"] = args.quiet
        report(results[-1])
        print()
    if len(results) > 1:
        print("side by side (|B-A| in samples at 48 kHz; onset - timetag sd in ms):")
        for r in results:
            d, a = r["b_minus_a_samples"], r["onset_minus_timetag_ms"]["A"]
            if d.get("n") and a.get("n"):
                print(f"  {r['recipe']:>8}: p50 {d['p50']:.0f}  p99 {d['p99']:.0f}  max {d['absmax']:.0f}   sd {a['sd']:.3f} ms   mean {a['mean']:.2f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    # With loss, sound that never played is a result, not a failure.
    return 0 if args.loss > 0 or all(r["missing"] == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
