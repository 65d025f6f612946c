import socket
import subprocess
import sys
import time

import pytest
from pythonosc.osc_bundle import OscBundle
from pythonosc.parsing import ntp

from cli_harness import free_udp_port, run_main
from conftest import PACKAGE_ENV, drain
from fsync_tilde import Sender, cli, play_cli


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


# --- every bad value: `error:` on stderr, exit 2, nothing sent, no device opened ---


def send_in_process(*argv):
    return run_main(cli.main, list(argv), timeout_s=10)


def test_bad_numbers_and_late_times_are_refused_before_sending(receiver, tmp_path):
    to = f"127.0.0.1:{receiver.getsockname()[1]}"
    now = time.time()
    bad = {
        ("--ahead", "nan"): "not a finite number",
        ("--ahead", "inf"): "not a finite number",
        ("--ahead", "1e12"): "outside [0, 86400]",
        ("--ahead", "-0.5"): "outside [0, 86400]",
        ("--at", "nan"): "not a finite number",
        ("--at", "inf"): "not a finite number",
        ("--at", repr(now - 10)): "in the past",
        ("--at", repr(now + 1e6)): "more than 86400 s",
        ("--logical", "nan"): "not a finite number",
        ("--redundancy", "1000000000"): "outside 1..16",
        ("--ttl", "256"): "outside 0..255",
        ("--immediately", "--local", str(tmp_path / "x.wav")): "--local needs a wall-clock timetag",
        ("--local", str(tmp_path / "missing.wav")): "No such file or directory",
    }
    for options, message in bad.items():
        r = send_in_process("--to", to, *options, "play", "kick")
        assert r.code == 2 and message in r.stderr, (options, r.stderr)
        assert "Traceback" not in r.stderr
    for command, message in ((["play", "kick", "--gain", "nan"], "not a finite number"), (["play", "kick", "--offset", "-1"], "outside"),
                             (["send", "/x", "3000000000"], "outside int32"), (["send", "/x", "1e39"], "beyond a float32"),
                             (["send", "/a b"], "may not contain spaces"), (["play", "a\udcffb"], "not valid UTF-8")):
        r = send_in_process("--to", to, *command)
        assert r.code == 2 and message in r.stderr, (command, r.stderr)
    assert drain(receiver, timeout=0.3) == []


def test_bad_targets():
    for target, message in (("127.0.0.1:0", "out of range"), ("127.0.0.1:70000", "out of range"), ("127.0.0.1", "not HOST:PORT"),
                            (":9000", "not HOST:PORT"), ("[]:9000", "has no host"), ("127.0.0.1:90x", "is not a number"),
                            ("no-such-host.invalid:9000", "cannot resolve 'no-such-host.invalid'")):
        r = send_in_process("--to", target, "play", "kick")
        assert r.code == 2 and message in r.stderr, (target, r.stderr)


def test_to_after_the_command_gets_a_hint(receiver):
    r = run("play", "kick", "--to", f"127.0.0.1:{receiver.getsockname()[1]}")
    assert r.returncode == 2
    assert "--to after the command 'play'" in r.stderr and "go before the command" in r.stderr, r.stderr
    assert drain(receiver, timeout=0.3) == []


def test_ipv6_target_receives(tmp_path):
    try:
        six = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        six.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with six:
        port = six.getsockname()[1]
        r = send_in_process("--to", f"[::1]:{port}", "--ahead", "0.1", "play", "kick")
        assert r.code == 0, r.stderr
        assert f"[::1]:{port}" in r.stdout
        (data,) = drain(six, timeout=1.0)
        assert data.startswith(b"#bundle\0")


def test_names_are_resolved_once(receiver, monkeypatch):
    calls = []
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    with Sender([("localhost", receiver.getsockname()[1])], ahead=0.1) as s:
        for _ in range(3):
            s.play("kick")
    assert calls == ["localhost"]
    assert len(drain(receiver, timeout=0.5)) == 3


def test_broadcast_target_gets_so_broadcast_without_sending():
    # Parsing and the socket option only: tests send to loopback alone.
    assert cli.parse_target("255.255.255.255:9000") == ("255.255.255.255", 9000)
    with Sender([("255.255.255.255", 9000)]) as s:
        (sock,) = s._sockets.values()
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST) == 1


def test_version_flags():
    assert send_in_process("--version").stdout.startswith("fsync-send 0.")
    assert run_main(play_cli.main, ["--version"]).stdout.startswith("fsync-play 0.")


# --- fsync-play ---


def play_in_process(*argv):
    return run_main(play_cli.main, list(argv), timeout_s=10)


@pytest.fixture
def tick(tmp_path):
    soundfile = pytest.importorskip("soundfile")
    import numpy as np

    path = tmp_path / "tick.wav"
    soundfile.write(str(path), np.zeros(441, np.float32), 44100)
    return str(path)


def test_play_bad_values_exit_2_before_any_device(tick, tmp_path):
    now = time.time()
    bad = {
        (tick, "--ahead", "nan"): "not a finite number",  # hung for 600 s: a NaN start time
        (tick, "--ahead", "inf"): "not a finite number",
        (tick, "--ahead", "1e12"): "outside [0, 86400]",
        (tick, "--at", "nan"): "not a finite number",
        (tick, "--at", repr(now - 5)): "in the past",
        (tick, "--offset", "nan"): "not a finite number",
        (tick, "--samplerate", "0"): "outside 8000..384000",
        (str(tmp_path / "missing.wav"),): "cannot read sound file",
        (str(tmp_path),): "cannot read sound file",
        ("/etc/hostname",): "Format not recognised",
        ("--listen", "0"): "outside 1..65535",
        ("--listen", "70000"): "outside 1..65535",
        ("--listen", "9", "--seconds", "nan"): "not a finite number",
        ("--listen", "9", "--seconds", "inf"): "not a finite number",
        ("--listen", str(free_udp_port()), "--no-audio", "--allow", "nonsense"): "--allow",
        ("--listen", str(free_udp_port()), "--no-audio", "--host", "no-such-host.invalid"): "cannot resolve",
        (tick, "--device", "no such device"): "No output device matching",
    }
    for args, message in bad.items():
        r = play_in_process(*args)
        assert r.code == 2 and "error:" in r.stderr and message in r.stderr, (args, r.stderr)
        assert "System error" not in r.stderr and "Traceback" not in r.stderr


def test_missing_file_names_the_reason():
    r = play_in_process("/nonexistent/kick.wav")
    assert "cannot read sound file '/nonexistent/kick.wav': No such file or directory" in r.stderr


def test_play_port_in_use():
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    with busy:
        port = busy.getsockname()[1]
        r = play_in_process("--listen", str(port), "--host", "127.0.0.1", "--no-audio", "--seconds", "0.1")
    assert r.code == 2 and "Address already in use" in r.stderr, r.stderr


def test_no_audio_device_is_an_error_not_a_traceback(tick):
    try:
        play_cli.output_device(None)
        pytest.skip("this machine has an audio output")
    except Exception:
        pass
    r = run_play(tick, "--ahead", "0.1")
    assert r.returncode == 2 and "fsync-play: error: no audio output device" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def run_play(*args):
    return subprocess.run([sys.executable, "-m", "fsync_tilde.play_cli", *args], capture_output=True, text=True, timeout=20, env=PACKAGE_ENV)


# --- fsync-check ---


def test_check_bad_values_exit_2():
    from fsync_tilde import check

    for args, message in ((["--to", "no-such-host.invalid:9000"], "cannot resolve"), (["--to", "127.0.0.1:9", "--timeout", "nan"], "not a finite"),
                          (["--to", "127.0.0.1:9", "--rounds", "1e9"], "not an integer"), (["--to", "127.0.0.1:9", "--rounds", "0"], "outside 1..200"),
                          (["--to", "127.0.0.1:9", "--to", "[::1]:9"], "one fsync-check per address family"),
                          (["--to", "127.0.0.1:9", "--warn-ms", "inf"], "not a finite")):
        r = run_main(check.main, args, timeout_s=10)
        assert r.code == 2 and message in r.stderr, (args, r.stderr)
    assert run_main(check.main, ["--version"]).stdout.startswith("fsync-check 0.")
