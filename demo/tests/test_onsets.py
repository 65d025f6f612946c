import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from onsets import onset, percentile, summary  # noqa: E402


def test_onset_finds_the_first_sample_over_threshold():
    x = np.zeros(1000, dtype=np.float32)
    x[437:480] = 1.0
    assert onset(x, around=450, before=100, after=100) == 437
    assert onset(x, around=700, before=100, after=100) is None
    x[300] = -0.9
    assert onset(x, around=350, before=100, after=200) == 300


def test_window_edges():
    x = np.ones(10, dtype=np.float32)
    assert onset(x, around=0, before=5, after=3) == 0
    assert onset(x, around=20, before=5, after=3) is None


def test_nearest_rank_percentiles_are_measured_values():
    values = [5, 1, 4, 2, 3]
    assert percentile(values, 50) == 3
    assert percentile(values, 99) == 5
    assert percentile(list(range(1, 101)), 95) == 95


def test_summary_uses_absolute_values_for_percentiles():
    s = summary([-3.0, 1.0, 2.0])
    assert s["p50"] == 2.0 and s["absmax"] == 3.0 and s["min"] == -3.0
    assert abs(s["mean"]) < 1e-12
