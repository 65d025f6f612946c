"""OSC timetags: NTP 32.32 fixed point, converted exactly (python-osc goes
through a float of the whole 64-bit value, which rounds to ~0.5 µs and
overflows after the 2036 NTP era roll-over)."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from fractions import Fraction

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900 to 1970
ERA = 1 << 32  # NTP seconds wrap every 2^32 s (next in February 2036)
IMMEDIATELY_NTP = 1  # OSC: 63 zero bits then a one


@dataclass(frozen=True)
class Timetag:
    """The timetag of one send: what the receivers will play at."""

    ntp: int  # the 64-bit value on the wire
    unix: float | None  # wall-clock seconds, None for "immediately" and logical tags

    @property
    def seconds(self) -> float:
        """The timetag read as plain seconds (what `-clock logical` uses)."""
        return (self.ntp >> 32) + (self.ntp & 0xFFFFFFFF) / 2**32

    @property
    def iso(self) -> str:
        """The time in ISO 8601 UTC, "immediately", or "logical N s"."""
        if self.ntp == IMMEDIATELY_NTP:
            return "immediately"
        if self.unix is None:
            return f"logical {self.seconds:.9f} s"
        try:
            t = datetime.datetime.fromtimestamp(self.unix, tz=datetime.timezone.utc)
        except (OverflowError, ValueError, OSError):  # beyond datetime's years 1..9999
            return f"unix {self.unix!r}"
        return t.isoformat(timespec="microseconds").replace("+00:00", "Z")

    def to_bytes(self) -> bytes:
        """The 8 bytes on the wire (big-endian 32.32)."""
        return self.ntp.to_bytes(8, "big")

    def describe(self) -> str:
        """ISO time (UTC), the raw 64-bit value and seconds.fraction: what a CLI prints."""
        return f"timetag {self.iso} ntp 0x{self.ntp:016x} ({self.ntp >> 32}.{(self.ntp & 0xFFFFFFFF) * 10**9 >> 32:09d})"


def seconds_to_ntp(seconds: float | Fraction) -> int:
    """Plain seconds (0 <= s < 2^32) to 32.32, rounded to the nearest step."""
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ValueError(f"{seconds} s is not a time")
    s = Fraction(seconds)
    if not 0 <= s < ERA:
        raise ValueError(f"{float(s)} s is outside one NTP era")
    value = round(s * 2**32)
    return min(value, (ERA << 32) - 1)


def from_unix(unix: float) -> Timetag:
    """Wall-clock time to a timetag; the era is dropped, as NTP does."""
    if not math.isfinite(unix):
        raise ValueError(f"{unix} is not a time")
    ntp_seconds = (Fraction(unix) + NTP_UNIX_OFFSET) % ERA
    return Timetag(seconds_to_ntp(ntp_seconds), float(unix))


def to_unix(ntp: int, near_unix: float) -> float:
    """Unix time of an NTP value, choosing the era nearest to `near_unix`."""
    in_era = Fraction(ntp, 2**32) - NTP_UNIX_OFFSET
    eras = round((Fraction(near_unix) - in_era) / ERA)
    return float(in_era + eras * ERA)


def logical(seconds: float) -> Timetag:
    """A timetag for `[fsync~ -clock logical]`: seconds since the receiving Pd started."""
    return Timetag(seconds_to_ntp(seconds), None)


def immediately() -> Timetag:
    """OSC's "immediately" (the value 1): play on arrival."""
    return Timetag(IMMEDIATELY_NTP, None)
