#!/usr/bin/env python3
"""Faults on a live site, [fsync~] and the workshop's mrpeach recipe side by side in
one run: two real-time Pd sites on one JACK dummy server, each Pd running both
recipes (fsync~ on output 1, mrpeach on output 2, each on its own UDP port), so one
fault on site B hits both recipes at the same moment. The same timetagged bundle goes
to all four chains; all four outputs are recorded on one sample clock.

Faults, applied once on site B after a few events, half-way between two bundles:
  stall MS    a busy loop in B's own patch blocks its Pd scheduler for MS ms
              (UDP text "MS;\\n" to [netreceive -u]; what opening a big patch, a GUI
              burst or a slow disk does to a live Pd)
  sigstop MS  B's Pd process is stopped (SIGSTOP) for MS ms: its JACK client misses
              cycles, the server reports xruns
  wallstep S  B's wall clock steps by S s (libfaketime), then back -S s a few events
              later (an NTP step); Pd's monotonic clock is left alone

    python3 demo/faults.py --fault stall --ms 40 [--events 40] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "python"))

from fsync_tilde import Sender  # noqa: E402
from jack_server import JackServer  # noqa: E402
from onsets import onset, summary  # noqa: E402
from pd_site import CLICK, PdSite  # noqa: E402

RECIPES = ("fsync", "mrpeach")  # output channel 1 and 2 of every site
FAULTS = ("none", "stall", "sigstop", "wallstep")
SETTLED_AFTER_S = 0.3  # events due this long after the fault's end must be exact (issue 12)
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
# Where to look for an event's click around its expected frame: the clicks are
# `interval` apart, so this must stay well inside it.
WINDOW_S = (0.1, 0.15)
# A bundle that left this long after its timetag's "now" (sender descheduled) or whose
# click falls where the recording has a gap says nothing about the sites: not judged.
SEND_DELAY_LIMIT_MS = 50.0
# Nor does an event due within this long after an xrun the fault did not cause (the
# shared machine stalling the whole JACK server throws both sites at once).
OTHER_XRUN_S = 1.0
MAX_LINES = 200


@dataclass
class Fault:
    kind: str = "none"
    ms: float = 0.0  # stall / sigstop length
    step_s: float = 0.0  # wallstep size (the step back comes `step_events` events later)
    after_event: int = 5  # applied half-way between this event's bundle and the next
    step_events: int = 6

    def label(self) -> str:
        if self.kind == "none":
            return "no fault"
        if self.kind == "stall":
            return f"site B's Pd stalls {self.ms:g} ms"
        if self.kind == "sigstop":
            return f"site B's Pd stopped (SIGSTOP) {self.ms:g} ms"
        return f"site B's wall clock steps {self.step_s:+g} s, then back"


def free_udp_ports(count: int) -> list[int]:
    """Ports the kernel hands out as free now (bound together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (from /proc; empty if it is gone)."""
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children += [int(c) for c in f.read().split()]
    return children


def main_thread_cpu_ms(pid: int) -> float:
    """CPU time the process's main thread (Pd's scheduler) has run, from schedstat (ns)."""
    with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e6


class WallClockFile:
    """libfaketime's offset file for one process (FAKETIME_NO_CACHE=1: read on every call)."""

    def __init__(self, workdir: Path):
        self.path = workdir / "faketime-offset"
        self.set(0.0)

    def set(self, seconds: float) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{seconds:+.6f}\n")
        tmp.replace(self.path)  # atomic: the preloaded library never reads half a line

    @staticmethod
    def remove_leftovers(pid: int) -> None:
        """libfaketime 0.9.10 preloaded without its `faketime` wrapper creates a shared
        memory segment and a semaphore named after the process and never removes them."""
        for path in (f"/dev/shm/faketime_shm_{pid}", f"/dev/shm/sem.faketime_sem_{pid}"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)

    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": LIBFAKETIME,
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # an NTP step moves the wall clock only
        }


def wait_for_ports(names: list[str], timeout: float = 15.0) -> None:
    import jack

    probe = jack.Client("fsync-probe", no_start_server=True)
    try:
        deadline = time.time() + timeout
        have: set[str] = set()
        while time.time() < deadline:
            have = {p.name for p in probe.get_ports()}
            if all(n in have for n in names):
                return
            time.sleep(0.1)
        raise RuntimeError(f"JACK ports {names} did not appear; have {sorted(have)}")
    finally:
        probe.close()


def run(fault: Fault, events: int = 40, interval: float = 0.5, ahead: float = 0.2, settle: float = 3.0,
        period: int = 256, build: Path = HERE.parent / "build") -> dict:
    """One run; returns {"fault": ..., "recipes": [result for fsync, result for mrpeach], ...}."""
    from recorder import Recorder

    build = Path(build).resolve()
    if not (build / "fsync~.pd_linux").exists():
        raise SystemExit(f"{build}/fsync~.pd_linux not found: run `make build` first")
    if fault.kind not in FAULTS:
        raise ValueError(f"fault {fault.kind!r}: one of {FAULTS}")
    if not 0 <= fault.after_event < events:
        raise ValueError("the fault must come after one of the events")
    if fault.kind == "wallstep" and not Path(LIBFAKETIME).exists():
        raise SystemExit(f"{LIBFAKETIME} not found: apt-get install faketime")
    workdir = Path(tempfile.mkdtemp(prefix="fsync-faults-"))
    server = f"fsyncstall{os.getpid()}"  # unique: other engineers' demo tests use their own names
    ports = free_udp_ports(5)
    chains = {"A": list(zip(RECIPES, ports[0:2])), "B": list(zip(RECIPES, ports[2:4]))}
    stall_port = ports[4]
    clock_file = WallClockFile(workdir) if fault.kind == "wallstep" else None
    site_b: Optional[PdSite] = None
    faked: list[int] = []
    duration = settle + events * interval + ahead + 1.5
    fault_log: dict = {}
    try:
        with JackServer(server, period=period):
            site_a = PdSite("siteA", 0, "fsync", build, workdir, chains=chains["A"])
            site_b = PdSite("siteB", 0, "fsync", build, workdir, chains=chains["B"], stall_port=stall_port,
                            env=clock_file.env() if clock_file else None)
            with site_a, site_b:
                sources = [f"site{s}:output_{ch}" for ch in (1, 2) for s in "AB"]  # fsync A, B, mrpeach A, B
                wait_for_ports(sources)
                with Recorder(sources, duration, name="fsync-stall-recorder") as rec:
                    time.sleep(settle)  # let the clock filters settle on a few windows
                    tags = _send(fault, events, interval, ahead, [p for c in chains.values() for _, p in c],
                                 site_b, stall_port, clock_file, fault_log)
                    time.sleep(ahead + 0.5)
                to_wall, fit_rms_ms = rec.frame_to_wall()
                signal_, sr, xruns = rec.buffer, rec.sr, rec.xruns
                fault_log["xrun_times"], fault_log["recorder_gaps"] = rec.xrun_times, rec.gaps
                # Pd's watchdog is a child that inherits libfaketime too (see remove_leftovers).
                faked = [site_b.process.pid, *child_pids(site_b.process.pid)]
            statuses = [site_a.status_counts(), site_b.status_counts()]
            stall_lines = [line for line in site_b.lines if line.startswith("stall: ")]
            # What the sites said besides the routine (bounded): resets, late, errors.
            routine = ("fsync~: scheduled", "fsync~: done", "stall: ")
            site_lines = {n: [line for line in s.lines if not line.startswith(routine)][-MAX_LINES:] for n, s in (("A", site_a), ("B", site_b))}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if clock_file and site_b is not None and site_b.process:
            for pid in {site_b.process.pid, *faked}:
                clock_file.remove_leftovers(pid)
    recipes = []
    for k, recipe in enumerate(RECIPES):
        r = analyse(recipe, tags, signal_[2 * k: 2 * k + 2], sr, to_wall, fault, fault_log)
        r.update(fit_rms_ms=fit_rms_ms, xruns=xruns, events=events, ahead_s=ahead,
                 status={"A": statuses[0], "B": statuses[1]} if recipe == "fsync" else {"A": {}, "B": {}})
        recipes.append(r)
    near = [t for t in fault_log["xrun_times"] if fault_log["at"] - 0.1 <= t <= fault_log["end"] + 0.5]
    return {"fault": fault.__dict__ | {"label": fault.label()}, "fault_log": fault_log | {"pd_lines": stall_lines},
            "xruns": xruns, "xruns_at_fault": len(near), "site_lines": site_lines, "recipes": recipes}


def _send(fault: Fault, events: int, interval: float, ahead: float, targets: list[int], site_b: PdSite,
          stall_port: int, clock_file: Optional[WallClockFile], log: dict) -> list[float]:
    """The bundles on a fixed cadence (start + i * interval), the fault half-way after
    bundle `after_event`. Returns the timetags (unix seconds)."""
    tags = []
    with Sender([("127.0.0.1", p) for p in targets], ahead=ahead) as sender, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        start = time.time()
        for i in range(events):
            _sleep_until(start + i * interval)
            tags.append(sender.play(CLICK).unix)
            # How long after its timetag's "now" the bundle left: a sender descheduled
            # on a busy machine makes a bundle late at every site alike (not the fault's doing).
            log.setdefault("send_delay_ms", []).append((time.time() - (tags[-1] - ahead)) * 1000)
            if "cpu_before_ms" in log and "main_thread_cpu_ms" not in log and time.time() > log["end"] + 0.05:
                # The busy loop runs on Pd's main thread: its CPU time since just before
                # the stall shows the scheduler really was held (less if the OS preempted it).
                log["main_thread_cpu_ms"] = main_thread_cpu_ms(site_b.process.pid) - log["cpu_before_ms"]
            if i == fault.after_event:
                _sleep_until(start + (i + 0.5) * interval)
                _apply(fault, site_b, stall_port, control, clock_file, log)
            if fault.kind == "wallstep" and i == fault.after_event + fault.step_events:
                _sleep_until(start + (i + 0.5) * interval)
                clock_file.set(0.0)
                log["step_back_at"] = time.time()
    return tags


def _apply(fault: Fault, site_b: PdSite, stall_port: int, control: socket.socket,
           clock_file: Optional[WallClockFile], log: dict) -> None:
    pid = site_b.process.pid
    if fault.kind == "none":
        log["at"] = log["end"] = time.time()
    elif fault.kind == "stall":
        cpu0 = main_thread_cpu_ms(pid)
        log["at"] = time.time()
        control.sendto(f"{fault.ms:g};\n".encode(), ("127.0.0.1", stall_port))  # [netreceive -u] needs the newline
        log["end"] = log["at"] + fault.ms / 1000
        log["cpu_before_ms"] = cpu0  # read again once the loop is over (_send): the bundles keep their cadence
    elif fault.kind == "sigstop":
        log["at"] = time.time()
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(fault.ms / 1000)
        finally:
            os.kill(pid, signal.SIGCONT)
        log["end"] = time.time()
    else:
        clock_file.set(fault.step_s)
        log["at"] = log["end"] = time.time()


def _sleep_until(t: float) -> None:
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


def analyse(recipe: str, tags: list[float], pair, sr: int, to_wall, fault: Fault, log: dict) -> dict:
    """B − A per event, and the figures issue 12 asks for around the fault."""
    import numpy as np

    slope, intercept = to_wall.coeffs
    window = (int(WINDOW_S[0] * sr), int(WINDOW_S[1] * sr))
    rows, lateness = [], ([], [])
    other_xruns = [t for t in log.get("xrun_times", []) if not log["at"] - 0.1 <= t <= log["end"] + 0.5]
    for i, tag in enumerate(tags):
        expected = int(round((tag - intercept) / slope))
        a, b = (onset(pair[k], expected, *window) for k in (0, 1))
        row = {"event": i, "timetag": tag, "onset_a": a, "onset_b": b}
        row["send_delay_ms"] = log["send_delay_ms"][i]
        lo, hi = expected - window[0], expected + window[1]
        row["recorder_gap"] = any(g < hi and g + n > lo for g, n in log.get("recorder_gaps", []))
        row["other_xrun"] = any(tag - OTHER_XRUN_S <= t <= tag + WINDOW_S[1] for t in other_xruns)
        row["judged"] = row["send_delay_ms"] <= SEND_DELAY_LIMIT_MS and not row["recorder_gap"] and not row["other_xrun"]
        if a is not None and b is not None:
            row["b_minus_a"] = b - a
        for k, o in enumerate((a, b)):
            if o is not None:
                ms = (float(np.polyval([slope, intercept], o)) - tag) * 1000
                row[f"late_ms_{'ab'[k]}"] = ms
                lateness[k].append(ms)
        rows.append(row)
    # Clicks at site B that belong to no event's window (played far off, e.g. after a
    # wall-clock step): each as B − A for the event it most likely is, the one whose
    # click at A lies nearest after shifting by what the fault predicts (a wall clock
    # S s ahead plays S s early).
    matched_b = {r["onset_b"] for r in rows if r["onset_b"] is not None}
    a_onsets = np.array(sorted(r["onset_a"] for r in rows if r["onset_a"] is not None) or [0])
    # A bundle that looks late (a clock S s ahead, S > ahead) can only play on arrival.
    predicted = -min(fault.step_s, 0.2) * sr if fault.kind == "wallstep" else 0.0
    a_events = [r["event"] for r in rows if r["onset_a"] is not None]
    a_events = [e for _, e in sorted(zip([r["onset_a"] for r in rows if r["onset_a"] is not None], a_events))] or [None]
    stray_b = []
    for o in rising_edges(pair[1]):
        if o not in matched_b:
            k = int(np.argmin(np.abs(a_onsets + predicted - o)))
            stray_b.append({"event": a_events[k], "b_minus_a": int(o - a_onsets[k]),
                            "after_fault_s": round(float(np.polyval([slope, intercept], o)) - log.get("end", 0.0), 3)})
    end = log.get("step_back_at", log.get("end", 0.0))
    judged = [r for r in rows if r["judged"]]
    before = [r for r in judged if r["timetag"] < log.get("at", 0.0)]
    after = [r for r in judged if r["timetag"] > end]
    settled = [r for r in judged if r["timetag"] >= end + SETTLED_AFTER_S]
    during = [r for r in judged if log.get("at", 0.0) <= r["timetag"] <= end]  # a wall step lasts several events
    diffs = lambda rs: [r["b_minus_a"] for r in rs if "b_minus_a" in r]  # noqa: E731
    heard = lambda rs, k: sum(1 for r in rs if r[f"onset_{k}"] is not None)  # noqa: E731
    first = after[0] if after else None
    return {
        "recipe": recipe,
        "condition": fault.label(),
        "sr": sr,
        "rows": rows,
        "b_minus_a_samples": summary(diffs(rows)),
        "onset_minus_timetag_ms": {"A": summary(lateness[0]), "B": summary(lateness[1])},
        "missing": sum(1 for r in rows for k in ("onset_a", "onset_b") if r[k] is None),
        "before_fault": summary(diffs(before)),
        "first_after": {"event": first["event"], "b_minus_a": first.get("b_minus_a"),
                        "heard_a": first["onset_a"] is not None, "heard_b": first["onset_b"] is not None} if first else None,
        "settled": summary(diffs(settled)) | {"sent": len(settled), "heard_a": heard(settled, "a"), "heard_b": heard(settled, "b")},
        "settled_from_event": settled[0]["event"] if settled else None,
        "stray_b": stray_b,
        "not_judged": [r["event"] for r in rows if not r["judged"]],
        "during": {"sent": len(during), "heard_a": heard(during, "a"), "heard_b": heard(during, "b")},
    }


def rising_edges(x, threshold: float = 0.5) -> list[int]:
    import numpy as np

    above = np.abs(x) > threshold
    return [int(i) + 1 for i in np.flatnonzero(~above[:-1] & above[1:])]


def report(result: dict) -> None:
    """Per recipe: B − A before the fault, the first event after it, and every event due
    ≥ 0.3 s after its end (p50/p99/max, heard of sent)."""
    log = result["fault_log"]
    extra = ""
    if "main_thread_cpu_ms" in log:
        extra = f"; Pd main thread ran {log['main_thread_cpu_ms']:.1f} ms of CPU in the stall window"
    print(f"-- {result['fault']['label']} (after event {result['fault']['after_event']}){extra}; "
          f"JACK xruns {result['xruns']} in the run, {result['xruns_at_fault']} at the fault")
    for site, lines in result["site_lines"].items():
        for line in lines:
            print(f"   site {site} printed: {line}")
    for line in log.get("pd_lines", []):
        print(f"   site B printed: {line}")
    for r in result["recipes"]:
        print(f"{'':>8} {'event':>5} {'B-A':>6} {'A-tag ms':>9} {'B-tag ms':>9}")
        for row in r["rows"]:
            fmt = lambda v, f: (f % v) if v is not None else "-"  # noqa: E731
            print(f"{r['recipe']:>8} {row['event']:>5} {fmt(row.get('b_minus_a'), '%d'):>6} "
                  f"{fmt(row.get('late_ms_a'), '%.3f'):>9} {fmt(row.get('late_ms_b'), '%.3f'):>9}")
    for r in result["recipes"]:
        print(summary_line(r))


def first_after_text(first: dict) -> str:
    if first["b_minus_a"] is not None:
        return f"{first['b_minus_a']:+d}"
    return "not heard at " + " and ".join(k for k in "AB" if not first.get(f"heard_{k.lower()}", False))


def summary_line(r: dict) -> str:
    pre, s, first = r["before_fault"], r["settled"], r["first_after"]
    fmt = lambda d, k: f"{d[k]:.0f}" if d.get("n") else "-"  # noqa: E731
    first_text = "-" if not first else first_after_text(first) + f" (event {first['event']})"
    return (f"{r['recipe']:>8} | before: p99 {fmt(pre, 'p99')} max {fmt(pre, 'absmax')} | first after: {first_text} | "
            f"due >= {SETTLED_AFTER_S} s after: p50 {fmt(s, 'p50')} p99 {fmt(s, 'p99')} max {fmt(s, 'absmax')} "
            f"heard A {s['heard_a']}/{s['sent']} B {s['heard_b']}/{s['sent']} | status B {r['status']['B']}"
            + (f" | not judged (sender late / recording gap / an xrun not the fault's): events {r['not_judged']}" if r["not_judged"] else "")
            + ("".join(f" | a B click in no event's window: {x['after_fault_s']:+.3f} s after the fault's end, "
                       f"{x['b_minus_a']:+d} samples from event {x['event']}'s click at A" for x in r["stray_b"])))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fault", choices=FAULTS, default="stall")
    p.add_argument("--ms", type=float, default=40.0, help="stall / sigstop length in ms")
    p.add_argument("--step", type=float, default=1.0, help="wallstep size in s (then back)")
    p.add_argument("--after", type=int, default=5, help="the fault comes after this event's bundle")
    p.add_argument("--events", type=int, default=40)
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between bundles (0.5; wallstep 0.7, so a click 1 s off lands in no other event's window)")
    p.add_argument("--ahead", type=float, default=0.2)
    p.add_argument("--settle", type=float, default=3.0, help="seconds of running before the first bundle")
    p.add_argument("--build", default=str(HERE.parent / "build"))
    p.add_argument("--json", help="also write the figures here")
    a = p.parse_args()
    if a.interval is None:
        a.interval = 0.7 if a.fault == "wallstep" else 0.5
    if not 1 <= a.events <= 1000 or not 0.2 <= a.interval <= 5 or not 0 <= a.ms <= 2000 or abs(a.step) > 100:
        p.error("events 1..1000, interval 0.2..5 s, ms 0..2000, |step| <= 100 s")
    if not 0 <= a.after < a.events - (Fault.step_events if a.fault == "wallstep" else 0):
        p.error("the fault (and a wall step's step back, 6 events later) must come before the last event")
    if shutil.which("jackd") is None:
        print("faults: jackd not found: install jackd2 (scripts/setup.sh does)", file=sys.stderr)
        return 2
    fault = Fault(a.fault, a.ms, a.step, a.after)
    with contextlib.suppress(BrokenPipeError):
        result = run(fault, a.events, a.interval, a.ahead, a.settle, build=Path(a.build))
        report(result)
        if a.json:
            Path(a.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
