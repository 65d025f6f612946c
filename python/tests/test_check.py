"""fsync-check against fsync-play's answering side (fsync_tilde.peers.Answers) on loopback:
the four-timestamp exchange, the correction, the answer rules. The real [fsync~]
and the two-machine test are in test_netns.py."""

import json
import socket
import subprocess
import sys
import threading
import time

from pythonosc.osc_message import OscMessage

from conftest import PACKAGE_ENV, drain
from fsync_tilde import check, peers
from fsync_tilde.receiver import Receiver


class Site:
    """A Receiver with Answers on an ephemeral loopback port, served on a thread."""

    def __init__(self, offset_ms=0.0, **kw):
        self.played = []
        self.answers = peers.Answers(offset_ms, **kw)
        self.rx = Receiver(0, lambda *a: self.played.append(a), {}, answers=self.answers)
        self.port = self.rx.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.rx.serve, args=(8.0,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.thread.join(timeout=10)
        self.rx.socket.close()


def run_check(*args):
    return subprocess.run([sys.executable, "-m", "fsync_tilde.check", *args], capture_output=True, text=True, timeout=30, env=PACKAGE_ENV)


def test_offset_is_measured_and_corrected():
    # A site whose clock reads 3 ms more than this machine's (its correction +3).
    with Site(offset_ms=3.0) as a, Site() as b:
        r = run_check("--to", f"127.0.0.1:{a.port}", "--to", f"127.0.0.1:{b.port}", "--rounds", "8", "--json", "--apply")
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert [o["to"] for o in out] == [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"]
        assert abs(out[0]["offset_ms"] - 3.0) < 0.5, out[0]
        assert abs(out[1]["offset_ms"]) < 0.5, out[1]
        assert out[0]["rtt_ms"] > 0 and out[0]["answered"] == 8
        assert out[0]["applied"] and abs(out[0]["after_offset_ms"]) < 0.5, out[0]
        assert abs(a.answers.offset_ms) < 0.5, "the site took the correction"
        assert "WARNING" in r.stderr, "3 ms is above the default 1 ms threshold"


def test_reference_aligns_with_the_first_site():
    with Site(offset_ms=2.0) as a, Site(offset_ms=-4.0) as b:
        r = run_check("--to", f"127.0.0.1:{a.port}", "--to", f"127.0.0.1:{b.port}", "--rounds", "6", "--json", "--apply", "--reference")
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert abs(out[1]["predicted_error_ms"] - 6.0) < 0.5
        assert "applied_offset_ms" not in out[0], "the reference keeps its clock"
        assert abs(a.answers.offset_ms - 2.0) < 1e-9 and abs(b.answers.offset_ms - 2.0) < 0.5


def test_refused_correction_is_reported():
    with Site(offset_ms=2.0, remote_offset=False) as a:
        r = run_check("--to", f"127.0.0.1:{a.port}", "--rounds", "3", "--apply", "--json")
        assert r.returncode == 1
        assert json.loads(r.stdout)[0]["applied"] is False
        assert a.answers.offset_ms == 2.0


def test_no_answer_is_a_clear_failure(receiver):
    port = receiver.getsockname()[1]  # a socket that never answers
    r = run_check("--to", f"127.0.0.1:{port}", "--rounds", "2", "--timeout", "0.1", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)[0]["offset_ms"] is None
    assert "no answer" in r.stderr


def test_answers_only_where_allowed(receiver):
    answers = peers.Answers()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        port = receiver.getsockname()[1]
        assert answers.handle(peers.ping(1, port, "127.0.0.1"), time.time(), s)
        (data,) = drain(receiver, timeout=1.0)
        assert OscMessage(data).address == peers.PONG
        # Not loopback, not attached (a documentation address), not allowed: silence.
        assert not answers._may_answer("203.0.113.1")
        assert not answers._may_answer("239.255.0.1")
        assert peers.Answers(allow=["203.0.113.0/24"])._may_answer("203.0.113.1")
        # At most 20 a second.
        burst = sum(answers._may_answer("127.0.0.1") for _ in range(100))
        assert 15 <= burst <= 21, burst
        assert not answers.handle(b"/play\0\0\0,s\0\0x\0\0\0", time.time(), s), "not reserved: left to the receiver"
    finally:
        s.close()


def test_round_arithmetic():
    # Site 5 ms ahead, 1 ms each way, 0.1 ms inside the site.
    r = check.Round(t1=100.0, t2=100.006, t3=100.0061, t4=100.0021)
    assert abs(r.offset - 0.005) < 1e-9 and abs(r.rtt - 0.002) < 1e-9
