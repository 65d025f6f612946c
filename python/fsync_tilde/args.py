"""Command-line values checked before anything is sent or opened, shared by fsync-send
and fsync-play. Each check raises argparse.ArgumentTypeError with a message naming the
value, so argparse prints `PROG: error: argument --x: ...` and exits 2 (never a
traceback, never a NaN reaching a timetag or a sleep)."""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Callable, List, Optional, Sequence

# A receiver refuses timetags further ahead than its -horizon, which is at most a day
# (src/core/settings.rs check_horizon): sending further ahead cannot play anywhere.
MAX_AHEAD_S = 86_400.0
FLOAT32_MAX = 3.4028234663852886e38  # OSC 'f' arguments are float32
INT32_RANGE = (-(2**31), 2**31 - 1)  # OSC 'i' arguments


class UsageError(ValueError):
    """A command-line value that cannot be used: reported as `error: ...`, exit 2."""


def finite(text: str) -> float:
    """A float that is a real number: 'nan', 'inf' and overflowing '1e999' are refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


def number_in(low: float, high: float, unit: str = "", low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (or (low, high] with low_open)."""

    def parse(text: str) -> float:
        value = finite(text)
        if value < low or value > high or (low_open and value == low):
            bracket = "(" if low_open else "["
            raise argparse.ArgumentTypeError(f"{text} is outside {bracket}{low:g}, {high:g}]{unit}")
        return value

    return parse


def integer_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    return parse


def port(text: str) -> int:
    """A UDP port to listen on or send to: 1..65535 (0 would pick a random one)."""
    return integer_in(1, 65535)(text)


def osc_text(text: str, what: str) -> str:
    """Text that can travel as an OSC string: UTF-8 (a file name in another encoding
    arrives from argv as surrogates) and no NUL byte (it ends an OSC string)."""
    if "\0" in text:
        raise UsageError(f"{what} {text!r} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{what} {text!r} is not valid UTF-8") from None
    return text


def osc_address(text: str) -> str:
    """An OSC address: '/' first, then printable characters without spaces or '#'."""
    osc_text(text, "OSC address")
    if not text.startswith("/"):
        raise UsageError(f"OSC address '{text}' must start with '/'")
    if any(c.isspace() or c == "#" or not c.isprintable() for c in text):
        raise UsageError(f"OSC address {text!r} may not contain spaces, '#' or control characters")
    return text


def osc_argument(text: str) -> object:
    """An OSC argument from the command line: int32, then a finite float32, else a string.
    'nan' and 'inf' stay strings (a float NaN is rarely what a user typed 'nan' for);
    an integer beyond int32 or a float beyond float32 is an error rather than a silent
    change of type or value."""
    try:
        value = int(text)
    except ValueError:
        pass
    else:
        if not INT32_RANGE[0] <= value <= INT32_RANGE[1]:
            raise UsageError(f"argument {text} is outside int32 ({INT32_RANGE[0]}..{INT32_RANGE[1]}); write {text}.0 for a float")
        return value
    try:
        number = float(text)
    except ValueError:
        return osc_text(text, "argument")
    if not math.isfinite(number):
        return osc_text(text, "argument")
    if abs(number) > FLOAT32_MAX:
        raise UsageError(f"argument {text} is beyond a float32 (±{FLOAT32_MAX:.3g})")
    return number


def absolute_time(at: float, now: Optional[float] = None) -> float:
    """An --at wall-clock time: not in the past (nothing would start then) and at most
    MAX_AHEAD_S ahead."""
    now = time.time() if now is None else now
    if at < now:
        raise UsageError(f"--at {at!r} is {now - at:.3f} s in the past (now is {now:.3f}): too late to start anything")
    if at - now > MAX_AHEAD_S:
        raise UsageError(f"--at {at!r} is {at - now:.0f} s ahead: more than {MAX_AHEAD_S:.0f} s (a receiver's largest -horizon)")
    return at


def readable_file(path: str, what: str = "sound file") -> str:
    """A file that exists and can be opened: the system's own reason otherwise (libsndfile
    says only "System error.")."""
    osc_text(path, what)
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise UsageError(f"cannot read {what} '{path}': {e.strerror or e}") from None
    if os.path.isdir(path):
        raise UsageError(f"cannot read {what} '{path}': it is a folder")
    return path


MAIN_OPTIONS_HINT = "options of {prog} itself go before the command ({commands}): {prog} {option} ... {command} ..."


def misplaced_options(extra: Sequence[str], main_options: Sequence[str]) -> List[str]:
    """The options in `extra` (what a subcommand did not recognize) that belong to the
    main parser: `fsync-send play kick --to host:9000` puts --to after the command."""
    found = []
    for word in extra:
        option = word.split("=", 1)[0]
        if option in main_options:
            found.append(option)
    return found
