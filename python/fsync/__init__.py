"""fsync: the Python side of [fsync~] — stamp OSC bundles with a time a little in
the future and send the same bundle to every site (forward synchronization)."""

from .sender import Sender
from .timetag import Timetag

__all__ = ["Sender", "Timetag"]
