import random
from fractions import Fraction

import pytest

from fsync_tilde import timetag


def test_immediately_is_one():
    assert timetag.immediately().to_bytes() == b"\0" * 7 + b"\x01"


def test_logical_seconds_are_exact():
    t = timetag.logical(0.1004)
    assert t.ntp >> 32 == 0
    assert t.ntp & 0xFFFFFFFF == round(Fraction(0.1004) * 2**32)
    assert round(t.seconds * 48000) == 4819


def test_unix_round_trip_many_values_and_eras():
    rng = random.Random(1)
    rollover = 2_085_978_496  # 2036-02-07T06:28:16Z: NTP seconds wrap to 0
    values = [rng.uniform(0, 4e9) for _ in range(2000)] + [rollover + d for d in (-1.5, -1e-6, 0.0, 1e-6, 1.5)]
    for unix in values:
        tag = timetag.from_unix(unix)
        back = timetag.to_unix(tag.ntp, unix + rng.uniform(-1e5, 1e5))
        assert abs(back - unix) < 1e-6, (unix, back)


def test_rollover_wraps_seconds():
    tag = timetag.from_unix(2_085_978_496 + 0.25)
    assert tag.ntp >> 32 == 0
    assert tag.ntp & 0xFFFFFFFF == 2**30


def test_out_of_era_logical_is_refused():
    with pytest.raises(ValueError):
        timetag.logical(-1)
    with pytest.raises(ValueError):
        timetag.logical(2**32)
