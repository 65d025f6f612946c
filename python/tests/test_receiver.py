import numpy as np

from fsync import packets, timetag
from fsync.receiver import Receiver
from fsync.sounds import click, resample


def make(mapping=None):
    calls = []
    r = Receiver(0, lambda *a: calls.append(a), mapping or {})
    return r, calls


def test_play_and_mapped_addresses_with_timetags():
    r, calls = make({("/py", "tick"): "tick.wav"})
    try:
        r.handle(packets.bundle(timetag.from_unix(1000.5), [packets.play("kick", 0.5, 10.0)]), now=1000.0)
        r.handle(packets.bundle(timetag.from_unix(1001.25), [packets.message("/py", ["tick"])]), now=1000.1)
        r.handle(packets.message("/py", ["tock"]), now=1000.2)  # not mapped: ignored
        r.handle(packets.message("/play", ["now"]), now=1000.3)  # bare message: immediately
    finally:
        r.socket.close()
    assert [c[0] for c in calls] == ["kick", "tick.wav", "now"]
    assert abs(calls[0][3] - 1000.5) < 1e-6 and calls[0][1:3] == (0.5, 10.0)
    assert abs(calls[1][3] - 1001.25) < 1e-6
    assert calls[2][3] == 1000.3


def test_repeats_within_a_second_are_ignored_and_garbage_is_survived():
    r, calls = make()
    try:
        data = packets.bundle(timetag.from_unix(5.0), [packets.play("a")])
        r.handle(data, now=1.0)
        r.handle(data, now=1.5)
        r.handle(b"not osc", now=1.6)
        r.handle(data, now=2.6)
    finally:
        r.socket.close()
    assert len(calls) == 2


def test_resample_and_click():
    x = np.arange(10, dtype=np.float32).reshape(-1, 1)
    y = resample(x, 10, 20)
    assert y.shape == (20, 1) and y[0, 0] == 0 and abs(y[2, 0] - 1.0) < 1e-6
    assert click(48000).shape == (48, 1)
