import time

from pythonosc.osc_bundle import OscBundle
from pythonosc.parsing import ntp

from fsync_tilde import Sender, packets, timetag
from conftest import drain


def port_of(sock):
    return sock.getsockname()[1]


def test_play_bundle_decodes_and_timetag_is_now_plus_ahead(receiver):
    with Sender([("127.0.0.1", port_of(receiver))], ahead=0.25) as s:
        before = time.time()
        tag = s.play("kick", gain=0.5, offset_ms=10)
        after = time.time()
    data = receiver.recv(70000)
    bundle = OscBundle(data)
    sent_unix = ntp.ntp_to_system_time(data[8:16])
    assert before + 0.25 - 1e-3 <= sent_unix <= after + 0.25 + 1e-3
    assert abs(tag.unix - sent_unix) < 1e-5
    (msg,) = list(bundle)
    assert msg.address == "/play"
    assert msg.params == ["kick", 0.5, 10.0]
    assert data[:8] == b"#bundle\0"


def test_every_target_gets_identical_bytes_and_redundancy_repeats(receiver):
    import socket

    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    try:
        with Sender([("127.0.0.1", port_of(receiver)), ("127.0.0.1", port_of(other))], redundancy=3) as s:
            s.stop("kick")
        a, b = drain(receiver), drain(other)
        assert len(a) == 3 and len(b) == 3
        assert len(set(a + b)) == 1
    finally:
        other.close()


def test_each_send_is_stamped_when_sent(receiver):
    with Sender([("127.0.0.1", port_of(receiver))], ahead=0.1) as s:
        first = s.send("/tick")
        time.sleep(0.05)
        second = s.send("/tick")
    assert second.unix - first.unix >= 0.045


def test_immediately_and_logical(receiver):
    with Sender([("127.0.0.1", port_of(receiver))], ahead=None) as s:
        s.play("a")
        s.play("a", logical=1.5)
    first, second = drain(receiver)
    assert first[8:16] == (1).to_bytes(8, "big")
    assert second[8:16] == timetag.logical(1.5).to_bytes() == (3 << 31).to_bytes(8, "big")


def test_send_argument_types():
    data = packets.message("/x", [1, 2.5, "word"])
    assert b",ifs\0" in data


def test_bad_configuration_is_refused():
    import pytest

    for kwargs in [dict(targets=[]), dict(redundancy=0), dict(ahead=-1), dict(targets=[("127.0.0.1", 70000)])]:
        with pytest.raises(ValueError):
            Sender(**kwargs)
