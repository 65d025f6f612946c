import numpy as np

from fsync_tilde import sounds
from fsync_tilde.sounds import fit_channels, resample


def frames(*rows):
    return np.array(rows, dtype=np.float32)


def test_same_or_mono_is_unchanged():
    stereo = frames([1, 2], [3, 4])
    assert fit_channels(stereo, 2) is stereo
    mono = frames([1], [2])
    assert fit_channels(mono, 4) is mono  # broadcast when mixed


def test_fewer_channels_wrap():
    out = fit_channels(frames([1, -1]), 4)
    assert out.tolist() == [[1, -1, 1, -1]]


def test_more_channels_fold_to_their_mean():
    assert fit_channels(frames([1, 3]), 1).tolist() == [[2]]
    assert fit_channels(frames([1, 5, 3]), 2).tolist() == [[2, 5]]


def test_resample_keeps_channels():
    out = resample(frames(*[[1, -1]] * 100), 24000, 48000)
    assert out.shape == (200, 2)
    assert np.allclose(out[50:150, 0], -out[50:150, 1])  # each channel on its own


def test_linear_fallback_keeps_channels():
    out = sounds._resample_linear(frames([0, 0], [1, -1]), 24000, 48000)
    assert out.shape == (4, 2)
    assert out[2].tolist() == [1, -1]
