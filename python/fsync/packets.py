"""OSC bytes, built with python-osc; only the bundle's 8-byte timetag is ours."""

from __future__ import annotations

import numbers
from typing import Iterable, Optional, Sequence, Union

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import BuildError, OscMessageBuilder

from .timetag import Timetag

Element = Union[bytes, OscMessage, OscBundle]


def message(address: str, args: Sequence[object] = ()) -> bytes:
    """One OSC message. Reals go as float32 ('f': what Pd reads), integers as
    'i' (int64 'h' beyond 32 bits), text as 's', bytes as a blob, bools as T/F,
    None as nil. Raises ValueError when an argument cannot be encoded."""
    if not address.startswith("/"):
        raise ValueError(f"OSC address {address!r} must start with '/'")
    builder = OscMessageBuilder(address=address)
    for a in args:
        # numbers.* so that numpy scalars are numbers, not str() of numbers
        if isinstance(a, bool) or a is None or isinstance(a, (bytes, str)):
            builder.add_arg(a)
        elif isinstance(a, numbers.Integral):
            builder.add_arg(int(a))
        elif isinstance(a, numbers.Real):
            builder.add_arg(float(a), OscMessageBuilder.ARG_TYPE_FLOAT)
        else:
            raise ValueError(f"cannot send {a!r} ({type(a).__name__}) as an OSC argument")
    try:
        return builder.build().dgram
    except (BuildError, ValueError, OverflowError) as e:
        raise ValueError(f"cannot encode {address} {list(args)}: {e}") from None


def bundle(tag: Timetag, elements: Iterable[Element]) -> bytes:
    """A bundle of messages and/or inner bundles stamped with `tag`."""
    builder = OscBundleBuilder(IMMEDIATELY)  # a placeholder, replaced below
    for e in elements:
        builder.add_content(_parsed(e))
    dgram = builder.build().dgram
    # python-osc's own timetag conversion is not exact (see timetag.py), so
    # the timetag field (bytes 8..16, after "#bundle\0") is written here.
    return dgram[:8] + tag.to_bytes() + dgram[16:]


def _parsed(element: Element) -> Union[OscMessage, OscBundle]:
    if not isinstance(element, (bytes, bytearray)):
        return element
    data = bytes(element)
    return OscBundle(data) if OscBundle.dgram_is_bundle(data) else OscMessage(data)


def play(array: str, gain: float = 1.0, offset_ms: float = 0.0) -> bytes:
    """`/play <array> <gain> <offset_ms>`: array as 's', gain and offset as 'f'."""
    return message("/play", [str(array), float(gain), float(offset_ms)])


def stop(array: Optional[str] = None) -> bytes:
    """`/stop` (every voice) or `/stop <array>`."""
    return message("/stop", [] if array is None else [str(array)])
