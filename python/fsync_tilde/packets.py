"""OSC bytes: messages via python-osc, bundles assembled here around an exact timetag."""

from __future__ import annotations

import struct
from typing import Iterable, Sequence

from pythonosc.osc_message_builder import OscMessageBuilder

from .timetag import Timetag

Arg = "int | float | str"


def message(address: str, args: Sequence[object] = ()) -> bytes:
    """One OSC message; floats are sent as float32 ('f'), ints as int32, text as strings."""
    builder = OscMessageBuilder(address=address)
    for a in args:
        if isinstance(a, bool):
            builder.add_arg(a)
        elif isinstance(a, int):
            builder.add_arg(a, OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(a, float):
            builder.add_arg(a, OscMessageBuilder.ARG_TYPE_FLOAT)
        else:
            builder.add_arg(str(a), OscMessageBuilder.ARG_TYPE_STRING)
    return builder.build().dgram


def bundle(timetag: Timetag, messages: Iterable[bytes]) -> bytes:
    """A bundle: "#bundle", the 8-byte timetag, then each element (a message or
    an inner bundle) with its int32 size."""
    out = bytearray(b"#bundle\0")
    out += timetag.to_bytes()
    for m in messages:
        out += struct.pack(">i", len(m))
        out += m
    return bytes(out)


def play(array: str, gain: float = 1.0, offset_ms: float = 0.0) -> bytes:
    """`/play array gain offset_ms` (floats as float32)."""
    return message("/play", [array, float(gain), float(offset_ms)])


def stop(array: str | None = None) -> bytes:
    """`/stop` (every voice) or `/stop array`."""
    return message("/stop", [] if array is None else [array])
