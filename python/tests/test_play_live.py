"""fsync-play on a real audio stream (JACK's dummy driver, a server of this test's own):
a sound on time exits 0; one whose time has passed when the stream reaches it is
reported and exits 1; a bad device exits 2 with a JACK device present."""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import PACKAGE_ENV

pytestmark = pytest.mark.skipif(shutil.which("jackd") is None, reason="jackd not installed")


@pytest.fixture(scope="module")
def jack_env():
    name = f"fsync-play-test-{os.getpid()}"
    server = subprocess.Popen(["jackd", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    if server.poll() is not None:
        pytest.skip(f"jackd did not start: {server.stderr.read()[-300:]}")
    try:
        yield {**PACKAGE_ENV, "JACK_DEFAULT_SERVER": name}
    finally:
        server.send_signal(signal.SIGINT)  # a killed server leaves /dev/shm entries
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


@pytest.fixture
def tick(tmp_path):
    soundfile = pytest.importorskip("soundfile")
    path = tmp_path / "tick.wav"
    soundfile.write(str(path), (0.1 * np.sin(np.arange(4410) / 5)).astype(np.float32), 44100)  # 0.1 s at 44.1 kHz: resampled
    return str(path)


def play(env, *args):
    return subprocess.run([sys.executable, "-m", "fsync_tilde.play_cli", *args], capture_output=True, text=True, timeout=30, env=env)


def test_on_time_then_late(jack_env, tick):
    r = play(jack_env, tick, "--ahead", "0.5")
    assert r.returncode == 0, r.stderr
    assert f"{tick} at " in r.stdout
    # --offset 1000: this clock counts as 1 s ahead, so a time 0.8 s from now has passed.
    r = play(jack_env, tick, "--at", repr(time.time() + 0.8), "--offset", "1000")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "fsync-play: error:" in r.stderr and "ms late" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_device_with_a_device_present(jack_env, tick):
    r = play(jack_env, tick, "--device", "no such device")
    assert r.returncode == 2 and "No output device matching" in r.stderr, r.stderr


def test_a_timetag_beyond_the_horizon_is_refused_not_waited_for(jack_env, tick):
    from cli_harness import free_udp_port
    from fsync_tilde import Sender

    port = free_udp_port()
    listener = subprocess.Popen([sys.executable, "-m", "fsync_tilde.play_cli", "--listen", str(port), "--host", "127.0.0.1",
                                 "--sound", f"tick={tick}", "--seconds", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=jack_env)
    try:
        time.sleep(1.0)
        with Sender([("127.0.0.1", port)]) as s:
            s.play("tick", at=time.time() + 3600)  # an hour ahead: held until then without a horizon
            s.play("tick", at=time.time() + 0.3)
        out, err = listener.communicate(timeout=20)
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()
    assert listener.returncode == 0, err
    assert "refused tick: due 3600 s ahead" in out or "refused tick: due 3599 s ahead" in out, out
    assert out.count("fsync-play: tick at ") == 1, out
