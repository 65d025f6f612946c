"""Sound files as float32 arrays (frames × channels) at the stream's rate."""

from __future__ import annotations

import sys
import warnings
from typing import Tuple

import numpy as np

# soxr's quality for load-time resampling: "VHQ" keeps aliasing and imaging far below
# -90 dB (tests/test_resample.py measures it); the cost is paid once per file.
SOXR_QUALITY = "VHQ"
_warned_linear = False


def read(path: str) -> Tuple[np.ndarray, int]:
    """Reads WAV/AIFF/FLAC (libsndfile): (frames × channels float32, its rate).
    A missing or unreadable file raises OSError with the system's reason (libsndfile
    itself would say only "System error.")."""
    import soundfile

    with open(path, "rb"):  # the system's own error for a missing/unreadable file
        pass
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return data, int(rate)


def load(path: str, samplerate: int) -> np.ndarray:
    """Reads a sound file and resamples it (band-limited) to `samplerate` if needed."""
    data, rate = read(path)
    return resample(data, rate, samplerate)


def resample(data: np.ndarray, rate: int, samplerate: int) -> np.ndarray:
    """(frames × channels) from `rate` to `samplerate`, band-limited with soxr (the
    `play` extra). Without soxr: linear interpolation, after one warning on stderr
    (it aliases: images of a 1 kHz tone at 44.1 → 48 kHz lie only ~65 dB down)."""
    if rate == samplerate or len(data) == 0:
        return data
    try:
        import soxr
    except ImportError:
        _warn_linear(rate, samplerate)
        return _resample_linear(data, rate, samplerate)
    out = soxr.resample(np.ascontiguousarray(data, dtype=np.float32), rate, samplerate, quality=SOXR_QUALITY)
    return np.asarray(out, dtype=np.float32).reshape(-1, data.shape[1])


def _warn_linear(rate: int, samplerate: int) -> None:
    """Once per process, on stderr (a CLI user sees it) and as a RuntimeWarning."""
    global _warned_linear
    if _warned_linear:
        return
    _warned_linear = True
    message = (f"soxr is not installed: resampling {rate} -> {samplerate} Hz linearly, which aliases "
               "(pip install soxr, or 'fsync-tilde[play]')")
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    print(f"fsync: warning: {message}", file=sys.stderr)


def _resample_linear(data: np.ndarray, rate: int, samplerate: int) -> np.ndarray:
    """Linear interpolation: the fallback without soxr."""
    frames = int(round(len(data) * samplerate / rate))
    src = np.arange(len(data), dtype=np.float64)
    dst = np.arange(frames, dtype=np.float64) * rate / samplerate
    return np.stack([np.interp(dst, src, data[:, c]) for c in range(data.shape[1])], axis=1).astype(np.float32)


def fit_channels(data: np.ndarray, channels: int) -> np.ndarray:
    """A (frames × C) sound for `channels` outputs, by [fsync~]'s rule: output k
    plays channel k mod C (a mono sound on every output); with more channels
    than outputs, output k plays the mean of channels k, k+N, k+2N…"""
    c = data.shape[1]
    if c == channels or c == 1:
        return data  # mono broadcasts when mixed
    if c < channels:
        return data[:, [k % c for k in range(channels)]]
    return np.stack([data[:, k::channels].mean(axis=1) for k in range(channels)], axis=1).astype(np.float32)


def click(samplerate: int, ms: float = 1.0, level: float = 0.8) -> np.ndarray:
    """A rectangular click: its first sample is unmistakable in a recording."""
    return np.full((max(1, int(samplerate * ms / 1000)), 1), level, dtype=np.float32)
