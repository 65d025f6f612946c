"""One version for the whole project: Cargo.toml's (the external's) is the source;
the Python package and both CLIs must say the same."""

import importlib
import inspect
import pkgutil
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


def test_public_api_is_exported():
    from fsync_tilde import Receiver, ScheduledPlayer, Sender, Timetag

    assert set(fsync_tilde.__all__) >= {"Receiver", "ScheduledPlayer", "Sender", "Timetag", "__version__"}
    assert (Receiver.__module__, ScheduledPlayer.__module__) == ("fsync_tilde.receiver", "fsync_tilde.player")
    assert Sender and Timetag


def public_callables():
    """Every public function, class and method (properties too) defined in the package."""
    for info in pkgutil.iter_modules(fsync_tilde.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"fsync_tilde.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{info.name}.{name}", obj
            if inspect.isclass(obj):
                for member_name, member in vars(obj).items():
                    function = member.fget if isinstance(member, property) else member
                    if not member_name.startswith("_") and inspect.isfunction(function):
                        yield f"{info.name}.{name}.{member_name}", function


def test_every_public_callable_has_a_docstring():
    names = [name for name, _ in public_callables()]
    assert "sender.Sender.play" in names and "player.ScheduledPlayer.play_at" in names  # the walk finds them
    undocumented = [name for name, obj in public_callables() if not (obj.__doc__ or "").strip()]
    assert undocumented == []
