"""Receivers reachable from another machine: fsync-play --listen on every interface
by default (--host to choose), IPv6 and names in --to/--host, broadcast sends.
Sockets only on loopback (127.0.0.1, ::1) or inside network namespaces this test
creates (198.18.13.0/24 and fd13:f5c::/64, benchmark/unique-local ranges, only
inside the namespaces), always removed again."""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import PACKAGE_ENV, drain
from fsync_tilde import Sender, net

ROOT = Path(__file__).resolve().parents[2]
TICK = ROOT / "patches" / "workshop" / "tick.wav"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Listening:
    """`fsync-play --listen PORT --no-audio …` (optionally under a prefix such as
    `ip netns exec NS`), its output read line by line; stopped on exit."""

    def __init__(self, port, *args, prefix=()):
        cmd = [*prefix, sys.executable, "-m", "fsync_tilde.play_cli", "--listen", str(port), "--no-audio",
               "--map", "/py", "tick", str(TICK), "--seconds", "20", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=PACKAGE_ENV)
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")), daemon=True)
        self.reader.start()

    @property
    def text(self):
        return "".join(self.lines)

    def wait_for(self, needle, timeout=5.0, count=1):
        """True once `needle` has been printed `count` times (bounded wait)."""
        deadline = time.monotonic() + timeout
        while self.text.count(needle) < count and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.05)
        return self.text.count(needle) >= count

    def __enter__(self):
        assert self.wait_for("listening on"), self.text
        return self

    def __exit__(self, *_exc):
        self.proc.terminate()
        self.reader.join(timeout=5)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def send(*args, prefix=()):
    r = subprocess.run([*prefix, sys.executable, "-m", "fsync_tilde", *args], capture_output=True, text=True, timeout=20, env=PACKAGE_ENV)
    assert r.returncode == 0, r.stderr
    return r


def test_listen_on_chosen_loopback_addresses_v4_and_v6():
    for host, to in (("127.0.0.1", "127.0.0.1"), ("::1", "[::1]"), ("localhost", None)):
        port = free_port()
        with Listening(port, "--host", host) as listening:
            address = to or ("[::1]" if "listening on [" in listening.text else "127.0.0.1")
            send("--to", f"{address}:{port}", "--ahead", "0.1", "send", "/py", "tick")
            assert listening.wait_for("tick.wav at "), (host, listening.text)


def test_sender_resolves_names_and_ipv6_once(monkeypatch):
    receivers = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.bind((host, 0))
        receivers.append(s)
    try:
        calls = []
        real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
        v4, v6 = (r.getsockname()[1] for r in receivers)
        with Sender([("localhost", v4 if real("localhost", 0)[0][0] == socket.AF_INET else v6), ("::1", v6)], ahead=0.1) as s:
            for _ in range(3):
                s.play("kick")
        assert calls == ["localhost", "::1"], "resolved once each, when the Sender was made"
        got = sum(len(drain(r, timeout=0.3)) for r in receivers)
        assert got == 6
    finally:
        for r in receivers:
            r.close()


def test_unresolvable_and_bad_targets_are_clear_errors():
    with pytest.raises(ValueError, match="cannot resolve"):
        Sender([("no-such-host.invalid", 9000)])
    r = subprocess.run([sys.executable, "-m", "fsync_tilde", "--to", "no-such-host.invalid:9000", "play", "a"],
                       capture_output=True, text=True, timeout=20, env=PACKAGE_ENV)
    assert r.returncode == 2 and "cannot resolve" in r.stderr
    assert net.split_host_port("[fd00::1]:8000") == ("fd00::1", 8000)
    assert net.split_host_port("::1:8000") == ("::1", 8000)


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=check)


def test_listen_default_receives_on_a_non_loopback_address_in_a_namespace():
    """Two namespaces joined by a veth pair: fsync-play --listen (no --host) in one
    receives what fsync-send in the other sends to its LAN address (IPv4 and IPv6)
    and to the subnet's broadcast address."""
    tag = uuid.uuid4().hex[:6]
    ns_a, ns_b = f"fsync-a-{tag}", f"fsync-b-{tag}"
    veth_a, veth_b = f"fsa{tag}", f"fsb{tag}"
    made = []
    try:
        try:
            for ns in (ns_a, ns_b):
                ip("netns", "add", ns)
                made.append(ns)
        except (subprocess.CalledProcessError, FileNotFoundError, subprocess.TimeoutExpired) as e:
            pytest.skip(f"network namespaces not permitted here ({getattr(e, 'stderr', e)!s}); needs root and iproute2")
        ip("link", "add", veth_a, "type", "veth", "peer", "name", veth_b)
        ip("link", "set", veth_a, "netns", ns_a)
        ip("link", "set", veth_b, "netns", ns_b)
        for ns, dev, v4, v6 in ((ns_a, veth_a, "198.18.13.1/24", "fd13:f5c::1/64"), (ns_b, veth_b, "198.18.13.2/24", "fd13:f5c::2/64")):
            ip("-n", ns, "addr", "add", v4, "dev", dev)
            ip("-n", ns, "addr", "add", v6, "dev", dev, "nodad")
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        in_a, in_b = ("ip", "netns", "exec", ns_a), ("ip", "netns", "exec", ns_b)
        port = 8000
        with Listening(port, prefix=in_a) as listening:
            assert "listening on [::]:8000" in listening.text, listening.text
            for n, to in enumerate(("198.18.13.1", "[fd13:f5c::1]", "198.18.13.255"), start=1):
                send("--to", f"{to}:{port}", "--ahead", "0.1", "send", "/py", "tick", prefix=in_b)
                assert listening.wait_for("tick.wav at ", count=n), f"nothing received from {to}:\n{listening.text}"
    finally:
        for ns in made:
            ip("netns", "del", ns, check=False)  # takes its end of the veth pair with it
        ip("link", "del", veth_a, check=False)  # if it never left this namespace
