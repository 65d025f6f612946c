"""OSC timetags: NTP 32.32 fixed point (seconds since 1900), converted exactly.

python-osc 1.9.3 converts with `int((unix + 2208988800) * 2**32)` in floats: the
sum has a 2^-21 s (~0.5 µs) grain, it truncates instead of rounding, unix time 0
turns into "immediately", and after the NTP roll-over (2036-02-07) the value no
longer fits in 64 bits. Here the arithmetic is done on the float's exact value
(Fraction), rounded once to the nearest 2^-32 s, and the seconds wrap mod 2^32
as NTP's eras do.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
ERA = 1 << 32  # NTP seconds wrap every 2^32 s (next on 2036-02-07T06:28:16Z)
FRACTION = 1 << 32  # fraction steps per second
IMMEDIATELY_NTP = 1  # OSC: 63 zero bits then a one


def unix_to_ntp(unix: float) -> int:
    """Wall-clock seconds to the 64-bit NTP value, nearest step, era dropped."""
    return round((Fraction(unix) + NTP_UNIX_OFFSET) * FRACTION) % (ERA * FRACTION)


def ntp_to_unix(ntp: int, near_unix: Optional[float] = None) -> float:
    """Unix seconds of a 64-bit NTP value, in the era nearest to `near_unix`
    (default: now), since the value itself does not say which era it is in."""
    if near_unix is None:
        near_unix = time.time()
    in_era_0 = Fraction(ntp, FRACTION) - NTP_UNIX_OFFSET
    eras = round((Fraction(near_unix) - in_era_0) / ERA)
    return float(in_era_0 + eras * ERA)


def seconds_to_ntp(seconds: float) -> int:
    """Plain seconds taken literally (`[fsync~ -clock logical]`: seconds since the
    receiving Pd started): seconds field = floor, fraction = nearest step."""
    value = round(Fraction(seconds) * FRACTION)
    if not 0 <= value < ERA * FRACTION:
        raise ValueError(f"{seconds} s does not fit in a timetag (0 <= s < 2^32)")
    return value


def iso_utc(unix: float) -> str:
    """ISO 8601 UTC with microseconds and a Z, e.g. 2036-02-07T06:28:16.250000Z."""
    try:
        t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=unix)
    except (OverflowError, ValueError):
        return f"unix {unix!r}"  # outside datetime's years 1..9999, or not a number
    return t.isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Timetag:
    """The timetag of one send: what the receivers will act at."""

    ntp: int  # the 64-bit value on the wire
    unix: Optional[float]  # wall-clock seconds; None for "immediately" and logical tags

    @property
    def seconds(self) -> float:
        """The value read as plain seconds (what `-clock logical` uses)."""
        return (self.ntp >> 32) + (self.ntp & 0xFFFFFFFF) / FRACTION

    @property
    def iso(self) -> str:
        if self.ntp == IMMEDIATELY_NTP:
            return "immediately"
        if self.unix is None:
            return f"logical {self.seconds:.9f} s"
        return iso_utc(self.unix)

    def to_bytes(self) -> bytes:
        return self.ntp.to_bytes(8, "big")

    def describe(self) -> str:
        """One line: ISO time, the 64-bit value in hex, and as seconds.fraction
        (10 decimals: one step is 2^-32 s ~ 0.23 ns; truncated, not rounded)."""
        whole, frac = self.ntp >> 32, self.ntp & 0xFFFFFFFF
        return f"timetag {self.iso} ntp 0x{self.ntp:016x} = {whole}.{frac * 10**10 // FRACTION:010d}"


def from_unix(unix: float) -> Timetag:
    return Timetag(unix_to_ntp(unix), float(unix))


def logical(seconds: float) -> Timetag:
    return Timetag(seconds_to_ntp(seconds), None)


def immediately() -> Timetag:
    return Timetag(IMMEDIATELY_NTP, None)
