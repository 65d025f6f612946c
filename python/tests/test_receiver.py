import numpy as np

from fsync_tilde import packets, timetag
from fsync_tilde.receiver import Receiver
from fsync_tilde.sounds import click, resample


def make(mapping=None):
    calls = []
    r = Receiver(0, lambda *a: calls.append(a), mapping or {}, host="127.0.0.1")
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


def test_only_copies_of_a_timed_bundle_within_100_ms_are_ignored_and_garbage_is_survived():
    r, calls = make()
    try:
        data = packets.bundle(timetag.from_unix(5.0), [packets.play("a")])
        r.handle(data, now=1.0)
        r.handle(data, now=1.05)  # a redundant copy
        r.handle(b"not osc", now=1.06)
        r.handle(data, now=1.5)  # the same bundle 0.5 s later (the workshop's stale timetag): plays
        now = packets.bundle(timetag.immediately(), [packets.play("b")])
        for t in (2.0, 2.01, 2.02):  # a metronome of immediate bundles: every one plays
            r.handle(now, now=t)
        for t in (3.0, 3.01):  # bare messages too
            r.handle(packets.play("c"), now=t)
    finally:
        r.socket.close()
    assert [c[0] for c in calls] == ["a", "a", "b", "b", "b", "c", "c"]


def test_resample_and_click():
    x = np.arange(10, dtype=np.float32).reshape(-1, 1)
    y = resample(x, 10, 20)
    assert y.shape == (20, 1) and y.dtype == np.float32
    assert click(48000).shape == (48, 1)


def test_a_play_with_words_for_numbers_is_ignored_not_raised():
    r, calls = make()
    try:
        r.handle(packets.message("/play", ["a", "loud", "x"]), now=1.0)
        r.handle(packets.message("/play", ["b", 0.5]), now=1.1)
    finally:
        r.socket.close()
    assert [c[0] for c in calls] == ["b"]
