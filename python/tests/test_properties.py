"""Property tests over the CLIs' argument space (hypothesis): whatever the numbers
(NaN, infinities, huge, negative), strings, ports and option orders, fsync-send and
fsync-play exit 0 or 2 (fsync-check 0, 1 or 2), print no traceback, and finish within a
bound.

The runs are in-process (cli_harness.run_main) with a bounded number of examples
(derandomized: CI sees the same ones each run; HYPOTHESIS_PROFILE=deep explores
more at random). Sending goes only to loopback: every --to is checked by
cli_harness.Sinks: to this test's own sockets on 127.0.0.1 and ::1, nowhere else."""

from __future__ import annotations

import os
import socket
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from cli_harness import Sinks, free_udp_port, run_main
from fsync_tilde import cli, play_cli

settings.register_profile("ci", max_examples=120, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("deep", max_examples=2000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

RUN_TIMEOUT_S = 10.0
SPECIAL_NUMBERS = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e12", "-1e12", "1e308", "1e400", "-0", "0", "0.0", "0x10",
                   "1_000", " 1", "", "-", "1e", ".", "9" * 40]


def numbers():
    """Command-line text for a number: floats of every kind, integers, the special
    spellings, and garbage."""
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers().map(str),
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(SPECIAL_NUMBERS),
        st.text(max_size=6),
    )


def words():
    return st.one_of(st.text(max_size=12), st.sampled_from(["kick", "/tempo", "a b", "\udcff", "--to", "-1", "#bundle", "/x#y"]))


BAD_PORTS = ["0", "65536", "70000", "99999999999999999999", "-1", "x", "", "9000.5", "+80", " 80", "٣"]


def ports(own: int):
    """A port refused, or `own` (one this test holds): never another program's."""
    return st.one_of(st.sampled_from(BAD_PORTS), st.integers(-5, 0).map(str), st.integers(65536, 10**6).map(str), st.just(str(own)))


def targets(sinks: Sinks):
    v4 = st.tuples(st.sampled_from(["127.0.0.1", "[127.0.0.1]", "localhost"]), ports(sinks.port()))
    shapes = [v4.map(lambda hp: f"{hp[0]}:{hp[1]}"), st.text(max_size=20), words()]
    if socket.AF_INET6 in sinks.sockets:
        v6 = st.tuples(st.sampled_from(["[::1]", "::1"]), ports(sinks.port(socket.AF_INET6)))
        shapes.append(v6.map(lambda hp: f"{hp[0]}:{hp[1]}"))
    return st.one_of(*shapes)


@pytest.fixture(scope="module")
def sinks():
    s = Sinks()
    yield s
    s.close()


@pytest.fixture(scope="module")
def sound_file(tmp_path_factory):
    soundfile = pytest.importorskip("soundfile")
    path = tmp_path_factory.mktemp("sounds") / "tick.wav"
    soundfile.write(str(path), (0.1 * np.sin(np.arange(441) / 5)).astype(np.float32), 44100)
    return str(path)


def files(sound_file):
    return st.one_of(st.sampled_from([sound_file, "/nonexistent/x.wav", "/etc/hostname", "/", "", "\udcff.wav"]), st.text(max_size=10))


def check(outcome, argv):
    event(f"exit {outcome.code}")
    lines = [line for line in outcome.stderr.splitlines() if "error:" in line]
    if lines:
        event(lines[-1].split("error:", 1)[1].split(":")[0].split("'")[0][:40])
    assert "Traceback" not in outcome.stderr, (argv, outcome.stderr)
    assert outcome.code in (0, 2), (argv, outcome.code, outcome.stdout, outcome.stderr)
    if outcome.code == 2:
        assert "error:" in outcome.stderr, (argv, outcome.stderr)


@st.composite
def send_argv(draw, sound_file, sinks):
    options = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["--to", "--ahead", "--at", "--at-soon", "--logical", "--immediately", "--redundancy", "--ttl",
                                     "--local", "--device", "--version"]))
        if kind == "--to":
            options += ["--to", draw(targets(sinks))]
        elif kind == "--at-soon":
            options += ["--at", repr(time.time() + draw(st.floats(-5, 5)))]
        elif kind in ("--immediately", "--version"):
            options += [kind]
        elif kind == "--local":
            options += ["--local", draw(files(sound_file))]
        elif kind == "--device":
            options += ["--device", draw(words())]
        elif kind in ("--redundancy", "--ttl"):
            options += [kind, draw(st.one_of(st.integers(-3, 300).map(str), numbers()))]
        else:
            options += [kind, draw(numbers())]
    command = draw(st.sampled_from(["play", "stop", "send", "fly", ""]))
    rest = []
    if command == "play":
        rest = [draw(words())]
        if draw(st.booleans()):
            rest += ["--gain", draw(numbers())]
        if draw(st.booleans()):
            rest += ["--offset", draw(numbers())]
    elif command == "stop" and draw(st.booleans()):
        rest = [draw(words())]
    elif command == "send":
        rest = [draw(st.one_of(st.just("/x"), words()))] + draw(st.lists(st.one_of(numbers(), words()), max_size=4))
    # Options before the command, or (some of them) after it: the hint's path.
    if options and draw(st.booleans()):
        cut = draw(st.integers(0, len(options)))
        argv = options[:cut] + [command] + rest + options[cut:]
    else:
        argv = options + [command] + rest
    if "--to" not in argv:
        argv = ["--to", f"127.0.0.1:{sinks.port()}"] + argv  # never the default 9000 another program may own
    return [a for a in argv if a != ""] if draw(st.booleans()) else argv


@pytest.fixture(scope="module")
def audio_device_present():
    try:
        play_cli.output_device(None)
        return True
    except Exception:  # noqa: BLE001 - any failure means: no device to open
        return False


@given(data=st.data())
def test_fsync_send_exits_0_or_2_without_traceback(data, sound_file, audio_device_present, sinks):
    argv = data.draw(send_argv(sound_file, sinks))
    for i, word in enumerate(argv[:-1]):
        if word == "--to":
            assume(sinks.accepts(argv[i + 1]))
    if audio_device_present:
        assume("--local" not in argv)  # would play through this machine's speakers
    started = time.monotonic()
    outcome = run_main(cli.main, argv, RUN_TIMEOUT_S)
    check(outcome, argv)
    assert time.monotonic() - started < RUN_TIMEOUT_S
    sinks.drain()


@st.composite
def play_argv(draw, sound_file, sinks):
    parts = []
    if draw(st.booleans()):
        parts.append([draw(files(sound_file))])
    listening = draw(st.booleans())
    if listening:
        # A port refused, one in use (this test's), or a free one.
        parts.append(["--listen", draw(st.one_of(ports(sinks.port()), st.just(str(free_udp_port()))))])
        # Always bounded: a valid run listens at most 0.3 s.
        parts.append(["--seconds", draw(st.one_of(st.sampled_from(["nan", "inf", "-1", "0", "1e12", "1e400", "x"]),
                                                  st.floats(0.01, 0.3).map(repr)))])
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["--at", "--at-soon", "--ahead", "--no-audio", "--host", "--group", "--offset", "--allow", "--sound",
                                     "--map", "--device", "--samplerate", "--no-remote-offset", "--version"]))
        if kind in ("--no-audio", "--no-remote-offset", "--version"):
            parts.append([kind])
        elif kind == "--at-soon":
            parts.append(["--at", repr(time.time() + draw(st.floats(-5, 0.5)))])
        elif kind == "--ahead":
            parts.append(["--ahead", draw(st.one_of(numbers(), st.floats(0, 0.3).map(repr)))])
        elif kind == "--host":
            parts.append(["--host", draw(st.one_of(st.sampled_from(["127.0.0.1", "::1", "localhost", "0.0.0.0"]), words()))])
        elif kind == "--group":
            parts.append(["--group", draw(st.one_of(st.sampled_from(["239.255.0.1", "1.2.3.4", "ff02::1"]), words()))])
        elif kind == "--allow":
            parts.append(["--allow", draw(st.one_of(st.sampled_from(["10.0.0.0/8", "::1", "300.1.1.1"]), words()))])
        elif kind == "--sound":
            parts.append(["--sound", f"{draw(words())}={draw(files(sound_file))}"])
        elif kind == "--map":
            parts.append(["--map", draw(st.one_of(st.just("/py"), words())), draw(files(sound_file))])
        elif kind == "--device":
            parts.append(["--device", draw(st.one_of(words(), st.integers(-2, 64).map(str)))])
        elif kind == "--samplerate":
            parts.append(["--samplerate", draw(st.one_of(st.sampled_from(["44100", "48000", "0", "-1", "1e9"]), numbers()))])
        else:
            parts.append([kind, draw(numbers())])
    order = draw(st.permutations(range(len(parts))))
    return [word for i in order for word in parts[i]]


@given(data=st.data())
def test_fsync_play_exits_0_or_2_without_traceback(data, sound_file, audio_device_present, sinks):
    argv = data.draw(play_argv(sound_file, sinks))
    if audio_device_present:
        argv += ["--device", "no such device: tests never play through this machine"]
    started = time.monotonic()
    outcome = run_main(play_cli.main, argv, RUN_TIMEOUT_S)
    check(outcome, argv)
    assert time.monotonic() - started < RUN_TIMEOUT_S


def encodable_argv(argv) -> bool:
    """What a real command line can carry: no NUL, and text the file system encoding takes."""
    try:
        return all("\0" not in a and os.fsencode(a) is not None for a in argv)
    except UnicodeEncodeError:
        return False


@settings(max_examples=12)
@given(data=st.data())
def test_fsync_send_as_a_process_exits_0_or_2_without_traceback(data, sound_file, audio_device_present, sinks):
    """The same property through the real entry point (`python -m fsync_tilde`), few examples:
    an interpreter per run."""
    import subprocess
    import sys

    from conftest import PACKAGE_ENV

    argv = data.draw(send_argv(sound_file, sinks))
    assume(encodable_argv(argv))
    for i, word in enumerate(argv[:-1]):
        if word == "--to":
            assume(sinks.accepts(argv[i + 1]))
    if audio_device_present:
        assume("--local" not in argv)
    r = subprocess.run([sys.executable, "-m", "fsync_tilde", *argv], capture_output=True, text=True, errors="replace",
                       timeout=30, env=PACKAGE_ENV)
    assert "Traceback" not in r.stderr, (argv, r.stderr)
    assert r.returncode in (0, 2), (argv, r.returncode, r.stderr)
    sinks.drain()


def mostly(valid, invalid):
    """`valid` four times in five: so that some whole command lines are valid."""
    return st.integers(0, 4).flatmap(lambda k: invalid if k == 0 else valid)


@st.composite
def check_argv(draw, sinks):
    own = st.sampled_from([f"127.0.0.1:{sinks.port()}", f"localhost:{sinks.port()}"])
    parts = [["--to", draw(mostly(own, targets(sinks)))] for _ in range(draw(st.integers(0, 2)))]
    # Valid runs stay short: one or two rounds, answers awaited at most 0.05 s.
    parts.append(["--rounds", draw(mostly(st.sampled_from(["1", "2"]), st.sampled_from(["0", "201", "-1", "1e9", "nan", "x", ""])))])
    parts.append(["--timeout", draw(mostly(st.floats(0.001, 0.05).map(repr), st.sampled_from(["0", "nan", "inf", "-1", "11", "1e400"])))])
    parts.append(["--interval", draw(mostly(st.just("0"), st.sampled_from(["nan", "-1", "11", "inf"])))])
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["--reply", "--bind", "--warn-ms", "--apply", "--reference", "--json", "--raw", "--version"]))
        if kind in ("--apply", "--reference", "--json", "--raw", "--version"):
            parts.append([kind])
        elif kind == "--bind":  # a refused address, or any port of loopback: never a port someone holds
            parts.append(["--bind", draw(st.one_of(st.sampled_from(["127.0.0.1:0", "[::1]:0", "127.0.0.1:70000", "8.8.8.8:0", "x"]), words()))])
        elif kind == "--reply":
            parts.append(["--reply", draw(targets(sinks))])
        else:
            parts.append([kind, draw(numbers())])
    order = draw(st.permutations(range(len(parts))))
    return [word for i in order for word in parts[i]]


@given(data=st.data())
def test_fsync_check_exits_0_1_or_2_without_traceback(data, sinks):
    """fsync-check: 1 is its answer for "a site did not answer" (these sinks never do)."""
    from fsync_tilde import check as check_cli

    argv = data.draw(check_argv(sinks))
    for i, word in enumerate(argv[:-1]):
        if word in ("--to", "--reply"):
            assume(sinks.accepts(argv[i + 1]))
    outcome = run_main(check_cli.main, argv, RUN_TIMEOUT_S)
    event(f"exit {outcome.code}")
    assert "Traceback" not in outcome.stderr, (argv, outcome.stderr)
    assert outcome.code in (0, 1, 2), (argv, outcome.code, outcome.stderr)
    if outcome.code == 2:
        assert "error:" in outcome.stderr, (argv, outcome.stderr)
    sinks.drain()
