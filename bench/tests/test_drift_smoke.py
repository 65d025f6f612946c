"""bench/drift.py, short: two JACK dummy servers, site B's 200 ppm fast (libfaketime),
an 8 s sound with a click every second at both sites. With -drift follow the sites
stay together; with -drift off they part by ~9.6 samples a second (so the test can fail)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("jackd") is None or not Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1").exists(),
                    reason="needs jackd2 and faketime")
def run_rig(tmp_path, attempt):
    out = tmp_path / f"drift{attempt}.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "drift.py"), "--seconds", "8", "--warmup", "4", "--modes", "follow,off",
         "--build", str(ROOT / "build"), "--plot", str(tmp_path / "drift.png"), "--json", str(out)],
        capture_output=True, text=True, timeout=240,
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r, json.loads(out.read_text())


def test_drift_rig_short(tmp_path):
    # A JACK server that stalls under other load (it shows as milliseconds off its
    # frame-to-wall line) measures the machine, not fsync~: such a run is done again, once.
    for attempt in range(2):
        r, (follow, off) = run_rig(tmp_path, attempt)
        steady = all(ms < 0.5 for run in (follow, off) for ms in run["off_line_ms"].values())
        if steady:
            break
    assert steady, "a JACK server stalled in both runs: " + r.stdout
    assert follow["missing"] == 0 and off["missing"] == 0, r.stdout
    assert 150 < follow["rate_ppm"]["B"] < 250, "site B's server runs fast"
    # Live figures on a shared machine: bounds with room, the 60 s run's are in the README.
    assert follow["b_minus_a"]["p99"] < 6, r.stdout
    last_off = [row["b_minus_a"] for row in off["rows"]][-1]
    assert abs(last_off) > 40, r.stdout
    assert (tmp_path / "drift.png").stat().st_size > 1000
