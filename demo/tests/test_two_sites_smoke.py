"""The main demo, small: two real-time Pd sites on JACK receive 3 bundles each
and both play every one. Figures are printed, not asserted (shared machines are noisy)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_two_sites_play_every_bundle(tmp_path):
    out = tmp_path / "figures.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "two_sites.py"), "--recipe", "fsync", "--events", "3", "--interval", "0.3",
         "--build", str(ROOT / "build"), "--json", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    (result,) = json.loads(out.read_text())
    assert result["missing"] == 0
    for site in "AB":
        assert result["status"][site].get("scheduled") == 3, result["status"]
        assert result["status"][site].get("done") == 3, result["status"]
    assert result["b_minus_a_samples"]["n"] == 3
