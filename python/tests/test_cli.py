import subprocess
import sys
import time

from pythonosc.osc_bundle import OscBundle
from pythonosc.parsing import ntp

from conftest import PACKAGE_ENV, drain


def run(*args):
    return subprocess.run([sys.executable, "-m", "fsync_tilde", *args], capture_output=True, text=True, timeout=20, env=PACKAGE_ENV)


def test_play_prints_timetag_and_sends(receiver):
    port = receiver.getsockname()[1]
    before = time.time()
    r = run("--to", f"127.0.0.1:{port}", "--ahead", "1", "play", "kick", "--gain", "0.5")
    assert r.returncode == 0, r.stderr
    assert "ntp 0x" in r.stdout and "Z" in r.stdout
    (data,) = drain(receiver, timeout=1.0)
    assert abs(ntp.ntp_to_system_time(data[8:16]) - (before + 1)) < 2.0
    (msg,) = list(OscBundle(data))
    assert msg.params[:2] == ["kick", 0.5]


def test_send_any_address(receiver):
    port = receiver.getsockname()[1]
    r = run("--to", f"127.0.0.1:{port}", "--logical", "2", "send", "/tempo", "120", "x")
    assert r.returncode == 0, r.stderr
    (data,) = drain(receiver, timeout=1.0)
    (msg,) = list(OscBundle(data))
    assert (msg.address, msg.params) == ("/tempo", [120, "x"])


def test_bad_arguments_exit_2_and_send_nothing(receiver):
    port = receiver.getsockname()[1]
    bad = [
        ["--to", "nohostport", "play", "a"],
        ["--to", f"127.0.0.1:{port}", "--redundancy", "0", "play", "a"],
        ["--to", f"127.0.0.1:{port}", "--ahead", "-1", "play", "a"],
        ["--to", "127.0.0.1:99999", "play", "a"],
        ["--to", f"127.0.0.1:{port}", "play"],
        ["--to", f"127.0.0.1:{port}", "play", "a", "--gain", "loud"],
        ["--to", f"127.0.0.1:{port}", "send", "tempo", "1"],
        ["--to", f"127.0.0.1:{port}", "fly"],
    ]
    for args in bad:
        r = run(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr.strip(), args
    assert drain(receiver, timeout=0.3) == []
