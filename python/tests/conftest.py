import os
import socket
import sys
from pathlib import Path

import pytest

# Test this checkout's package, whatever `pip install -e` points at; PACKAGE_ENV
# does the same for the scripts and `python -m fsync_tilde` the tests start.
PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
sys.path.insert(0, PACKAGE_DIR)
PACKAGE_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_DIR, os.environ.get("PYTHONPATH")]))}


@pytest.fixture
def receiver():
    """A UDP socket on loopback (ephemeral port) with a short timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2.0)
    yield s
    s.close()


def drain(sock, timeout=0.3, limit=100):
    """Every datagram that arrives within `timeout` (at most `limit`)."""
    sock.settimeout(timeout)
    out = []
    for _ in range(limit):
        try:
            out.append(sock.recv(70000))
        except socket.timeout:
            break
    return out
