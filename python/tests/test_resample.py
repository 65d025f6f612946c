"""Band-limited resampling at load: a 1 kHz sine from 44.1 kHz to 48 kHz keeps every
other spectral line (aliases, images, distortion) below -90 dB of the fundamental."""

import numpy as np
import pytest

from fsync_tilde import sounds

pytest.importorskip("soxr")

FFT_FRAMES = 1 << 15
# Kaiser beta 20: side lobes ~ -190 dB, so the window's own leakage cannot hide an
# alias at -90 dB; its main lobe is ~7 bins wide each side, 25 are set aside.
KAISER_BETA = 20.0
MAIN_LOBE_BINS = 25


def sine(rate: int, seconds: float = 2.0, hz: float = 1000.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32).reshape(-1, 1)


def spectrum_report(y: np.ndarray, rate: int):
    """(fundamental Hz, strongest other line in dB relative to it),
    from the middle of the signal (away from the filter's edges)."""
    mid = len(y) // 2
    seg = y[mid - FFT_FRAMES // 2 : mid + FFT_FRAMES // 2].astype(np.float64)
    window = np.kaiser(FFT_FRAMES, KAISER_BETA)
    spec = np.abs(np.fft.rfft(seg * window))
    k0 = int(np.argmax(spec))
    others = np.ones(len(spec), bool)
    others[max(0, k0 - MAIN_LOBE_BINS) : k0 + MAIN_LOBE_BINS + 1] = False
    return k0 * rate / FFT_FRAMES, 20 * np.log10(spec[others].max() / spec[k0])


def test_a_1khz_sine_from_44k1_to_48k_has_no_product_above_minus_90_db():
    y = sounds.resample(sine(44100), 44100, 48000)
    assert y.shape == (96000, 1) and y.dtype == np.float32
    hz, worst_db = spectrum_report(y[:, 0], 48000)
    assert abs(hz - 1000) < 2 * 48000 / FFT_FRAMES
    middle = y[24000:72000, 0].astype(np.float64)
    assert abs(np.sqrt(np.mean(middle**2)) * np.sqrt(2) - 0.5) < 0.0005  # the passband keeps the level
    assert worst_db < -90, f"strongest product {worst_db:.1f} dB"


def test_the_measurement_catches_linear_interpolation():
    # The same measurement fails the old linear interpolation: the test can fail.
    y = sounds._resample_linear(sine(44100), 44100, 48000)
    assert spectrum_report(y[:, 0], 48000)[1] > -90


def test_without_soxr_the_fallback_warns(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_soxr(name, *args, **kwargs):
        if name == "soxr":
            raise ImportError("no soxr here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_soxr)
    monkeypatch.setattr(sounds, "_warned_linear", False)
    with pytest.warns(RuntimeWarning, match="soxr is not installed"):
        y = sounds.resample(sine(44100, 0.1), 44100, 48000)
    assert y.shape == (4800, 1)
    assert "warning: soxr is not installed" in capsys.readouterr().err
