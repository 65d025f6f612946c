"""bench/sync.py, tiny: every recipe and condition runs and prints its row, so the
benchmark cannot rot. Figures are printed, never asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sync_bench_smoke(tmp_path):
    plot = tmp_path / "sync.png"
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sync.py"), "--events", "2", "--interval", "0.2", "--conditions", "direct,loss",
         "--build", str(ROOT / "build"), "--plot", str(plot)],
        capture_output=True, text=True, timeout=240,
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("   fsync |") == 2 and r.stdout.count(" mrpeach |") == 2, r.stdout
    assert plot.stat().st_size > 1000


def test_cost_bench_smoke():
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cost.py"), "--seconds", "1", "--voices", "4", "--pending", "100", "--repeat", "1",
         "--build", str(ROOT / "build")],
        capture_output=True, text=True, timeout=120,
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ratio fsync~/tabplay~" in r.stdout


def test_sync_bench_fault_table_smoke(tmp_path):
    """The fault conditions' path (demo/faults.py, both recipes in one Pd per site) and
    the Markdown table the README takes."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sync.py"), "--conditions", "nofault", "--fault-events", "4", "--fault-after", "1",
         "--build", str(ROOT / "build"), "--plot", "", "--json", str(tmp_path / "faults.json")],
        capture_output=True, text=True, timeout=120,
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "| site B's fault | recipe |" in r.stdout
    assert r.stdout.count("| no fault | fsync |") == 1 and r.stdout.count("| no fault | mrpeach |") == 1, r.stdout
