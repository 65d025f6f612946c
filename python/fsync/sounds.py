"""Sound files as float32 arrays (frames × channels) at the stream's rate."""

from __future__ import annotations

import numpy as np


def load(path: str, samplerate: int) -> np.ndarray:
    """Reads WAV/AIFF/FLAC (libsndfile) and resamples linearly to `samplerate` if needed."""
    import soundfile

    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return resample(data, rate, samplerate)


def resample(data: np.ndarray, rate: int, samplerate: int) -> np.ndarray:
    if rate == samplerate or len(data) == 0:
        return data
    frames = int(round(len(data) * samplerate / rate))
    src = np.arange(len(data), dtype=np.float64)
    dst = np.arange(frames, dtype=np.float64) * rate / samplerate
    return np.stack([np.interp(dst, src, data[:, c]) for c in range(data.shape[1])], axis=1).astype(np.float32)


def click(samplerate: int, ms: float = 1.0, level: float = 0.8) -> np.ndarray:
    """A rectangular click: its first sample is unmistakable in a recording."""
    return np.full((max(1, int(samplerate * ms / 1000)), 1), level, dtype=np.float32)
