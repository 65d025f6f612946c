"""Issue 12, live: one site's Pd blocked 40 ms / 60 ms by a busy loop in its own patch
(what opening a big patch or a GUI burst does), and JACK xruns on it (its Pd process
stopped 20 ms: the server reports 4 xruns at the stop, the site loses 3 periods; 10 ms
gave 2 xruns in only 6 of 8 runs, depending on where in a period the stop fell). Two real-time Pd
sites on JACK's dummy driver, each running [fsync~] and the mrpeach recipe; the fault hits
site B once after event 3, 12 s after DSP started (a fault hits a Pd that has been
playing for a while; how soon after start-up the estimate is good is a separate figure,
docs/clock.md). Every [fsync~] event whose timetag is >= 0.3 s after the fault's end must
be heard at both sites, within 3 samples of each other (issue 12's bar). Until the clock
filter tied steps to whole Pd ticks, the step's first estimate stood until the filter's
next point: 4-9 samples off between 0.3 and 1 s in half of the runs. A 400 ms stall: every
event after it, the one due right after too, no worse than the recipe's (or 64 samples).

fsync~ 0.2 fails this (measured: 40 ms → the next event 1281 samples off, −351 six seconds
later and still drifting; the xruns → +768, then −271 ten seconds later); it passes once the
clock filter treats a stall or an xrun as a step. The mrpeach recipe's figures are printed
beside it, not asserted.

    python3 -m pytest -q -s demo/tests/test_stall_live.py
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE_SAMPLES = 3
SETTLED_AFTER_S = 0.3
SETTLE_S = 12  # seconds of playing before the first bundle


def run_fault(tmp_path: Path, kind: str, ms: int) -> dict:
    out = tmp_path / f"{kind}{ms}.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "faults.py"), "--fault", kind, "--ms", str(ms), "--events", "18",
         "--after", "3", "--settle", str(SETTLE_S), "--build", str(ROOT / "build"), "--json", str(out)],
        capture_output=True, text=True, timeout=150,
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("ms", [40, 60])
def test_every_event_after_a_stall_is_within_3_samples(tmp_path, ms):
    result = run_fault(tmp_path, "stall", ms)
    log = result["fault_log"]

    # The fault really happened: site B's own [realtime] timed the loop, and it ran on
    # Pd's main thread (the scheduler), which therefore did nothing else meanwhile.
    # (The printing [realtime] is reset a few µs after the one the loop checks, and Pd
    # prints 6 digits: "end 39.999" after a 40 ms loop was seen once in CI.)
    ends = [float(line.split()[-1]) for line in log["pd_lines"] if line.startswith("stall: end ")]
    assert ends and ends[0] >= ms - 0.01, log["pd_lines"]
    assert log["main_thread_cpu_ms"] >= 0.5 * ms, log  # loose: the OS may preempt it on a busy machine

    assert_settled_within_tolerance(result, f"a {ms} ms stall")


def test_right_after_a_long_stall_no_worse_than_the_recipe(tmp_path):
    """Issue 12: "at no time worse than the mrpeach recipe". The event due right after a
    400 ms stall (before the step is confirmed, ~0.16 s) was 91 ms late (+4381 samples;
    the recipe −640) until the clock filter mapped a loss it had seen at once. Every
    event after the fault is within the recipe's error for it, or its block (64 samples)."""
    result = run_fault(tmp_path, "stall", 400)
    log = result["fault_log"]
    fsync, mrpeach = result["recipes"]
    recipe = {row["event"]: row.get("b_minus_a") for row in mrpeach["rows"]}
    after = [row for row in fsync["rows"] if row["timetag"] >= log["end"] and row["judged"]]
    assert after, f"no event after the stall to judge; not judged: {fsync['not_judged']}"
    worse = {row["event"]: (row.get("b_minus_a"), recipe.get(row["event"])) for row in after
             if row.get("b_minus_a") is None
             or abs(row["b_minus_a"]) > max(64, abs(recipe.get(row["event"]) or 0))}
    assert not worse, f"after a 400 ms stall, events (fsync B − A, recipe B − A) worse than the recipe: {worse}"
    assert_settled_within_tolerance(result, "a 400 ms stall")


def test_every_event_after_an_xrun_is_within_3_samples(tmp_path):
    result = run_fault(tmp_path, "sigstop", 20)
    # The fault really happened: the server reported its xruns at the stop.
    assert result["xruns_at_fault"] >= 1, result["fault_log"]["xrun_times"]
    assert_settled_within_tolerance(result, "xruns (site B stopped 20 ms)")


def assert_settled_within_tolerance(result: dict, what: str) -> None:
    log = result["fault_log"]
    fsync, mrpeach = result["recipes"]
    assert fsync["recipe"] == "fsync" and mrpeach["recipe"] == "mrpeach"
    # Events the machine spoiled for both sites alike (the sender descheduled past its
    # timetag, a cycle the recorder missed, an xrun the fault did not cause) are left
    # out, and must stay few.
    settled = [row for row in fsync["rows"] if row["timetag"] >= log["end"] + SETTLED_AFTER_S and row["judged"]]
    assert len(settled) >= 8, f"too few events after the fault to judge; not judged: {fsync['not_judged']}"
    print(f"mrpeach beside it: {mrpeach['settled']}")
    unheard = [row["event"] for row in settled if row["onset_a"] is None or row["onset_b"] is None]
    assert not unheard, (f"events {unheard} not heard at both sites after {what}; rows "
                         f"{[row for row in settled if row['event'] in unheard]}; B's clicks in no event's window: {fsync['stray_b']}")
    off = {row["event"]: row["b_minus_a"] for row in settled if abs(row["b_minus_a"]) > TOLERANCE_SAMPLES}
    assert not off, (f"after {what} of site B, B − A (samples) for events due >= 0.3 s after it: {off} "
                     f"(tolerance {TOLERANCE_SAMPLES})")
