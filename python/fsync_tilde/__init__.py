"""fsync_tilde: the Python side of [fsync~] — stamp OSC bundles with a time a little in
the future and send the same bundle to every site (forward synchronization).

Distribution `fsync-tilde` (from the repository: `pip install './python[play]'`);
"fsync" on PyPI is an unrelated project. `Receiver` and `ScheduledPlayer` are imported on first use:
`ScheduledPlayer` needs numpy and sounddevice (the `play` extra), sending does not."""

from ._version import __version__
from .sender import Sender
from .timetag import Timetag

__all__ = ["Receiver", "ScheduledPlayer", "Sender", "Timetag", "__version__"]


def __getattr__(name: str):
    # Lazy: `from fsync_tilde import Sender` must work without the audio extras.
    if name == "Receiver":
        from .receiver import Receiver

        return Receiver
    if name == "ScheduledPlayer":
        from .player import ScheduledPlayer

        return ScheduledPlayer
    raise AttributeError(f"module 'fsync_tilde' has no attribute {name!r}")
