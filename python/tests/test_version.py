"""One version for the whole project: Cargo.toml's (the external's) is the source;
the Python package and both CLIs must say the same."""

import re
import subprocess
import sys
from pathlib import Path

import fsync_tilde
from conftest import PACKAGE_ENV

ROOT = Path(__file__).resolve().parents[2]


def cargo_version() -> str:
    package = ROOT.joinpath("Cargo.toml").read_text().split("[package]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', package, re.M).group(1)


def test_package_version_is_cargos():
    assert fsync_tilde.__version__ == cargo_version()


def test_pyproject_takes_its_version_from_the_package():
    pyproject = ROOT.joinpath("python", "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "fsync_tilde._version.__version__" }' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M)  # no second copy to drift


def test_both_clis_print_it():
    for module, prog in (("fsync_tilde", "fsync-send"), ("fsync_tilde.play_cli", "fsync-play")):
        r = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=30, env=PACKAGE_ENV)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == f"{prog} {cargo_version()}"


def test_public_api():
    from fsync_tilde import Receiver, ScheduledPlayer, Sender, Timetag

    assert set(fsync_tilde.__all__) >= {"Receiver", "ScheduledPlayer", "Sender", "Timetag"}
    for thing in (Receiver, ScheduledPlayer, Sender, Timetag, Sender.play, Sender.stop, Sender.send, Sender.send_messages, Sender.timetag,
                  Sender.close, ScheduledPlayer.play_at, ScheduledPlayer.busy, Receiver.handle, Receiver.serve, Timetag.describe):
        assert thing.__doc__ and thing.__doc__.strip(), thing
