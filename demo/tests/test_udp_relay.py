import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from udp_relay import UdpRelay  # noqa: E402


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_relay_delays_and_loses_as_asked():
    target = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target.bind(("127.0.0.1", 0))
    target.settimeout(1.0)
    listen = free_port()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with UdpRelay({listen: target.getsockname()[1]}, delay_ms=30, sd_ms=0.1, loss=0.5, seed=3) as relay:
        sent = time.monotonic()
        for i in range(200):
            sender.sendto(str(i).encode(), ("127.0.0.1", listen))
        got, first = [], None
        while True:
            try:
                got.append(target.recv(100))
                first = first or time.monotonic()
            except socket.timeout:
                break
    assert relay.stats["received"] == 200
    assert 60 <= len(got) <= 140, len(got)  # about half lost
    assert len(got) == relay.stats["forwarded"]
    assert first - sent >= 0.025, "delayed by about 30 ms"
