"""fsync-play (Python, PortAudio on JACK) as site B next to [fsync~] as site A:
both play every bundle; figures printed, not asserted."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_python_site_plays_every_bundle(tmp_path):
    out = tmp_path / "figures.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "two_sites.py"), "--recipe", "fsync", "--site-b", "python", "--events", "3",
         "--interval", "0.3", "--build", str(ROOT / "build"), "--json", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    (result,) = json.loads(out.read_text())
    assert result["missing"] == 0
    assert result["status"]["B"] == {"played": 3}


def test_workshop_system_both_recipes(tmp_path):
    """Ports 8001/8000, /pd tick and /py tick: fsync (fsync~ -map + fsync-play) and the
    workshop's own receivers (mrpeach pipelist + python-osc server) both play every tick."""
    out = tmp_path / "figures.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "two_sites.py"), "--workshop", "--events", "2", "--interval", "0.3",
         "--build", str(ROOT / "build"), "--json", str(out)],
        capture_output=True, text=True, timeout=180,
    )
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    results = json.loads(out.read_text())
    assert [x["recipe"] for x in results] == ["fsync", "mrpeach"]
    for result in results:
        assert result["missing"] == 0, result["recipe"]
        assert result["status"]["B"] == {"played": 2}, result
