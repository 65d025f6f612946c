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
