"""Onset detection and the statistics the demo and benchmarks print (pure functions)."""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np


def onset(signal: np.ndarray, around: int, before: int, after: int, threshold: float = 0.5) -> Optional[int]:
    """First sample with |x| > threshold in [around − before, around + after), or None."""
    lo, hi = max(0, around - before), min(len(signal), around + after)
    if lo >= hi:
        return None
    hits = np.flatnonzero(np.abs(signal[lo:hi]) > threshold)
    return int(lo + hits[0]) if len(hits) else None


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is one that was measured)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    a = np.asarray(values, dtype=np.float64)
    return {
        "n": len(a),
        "mean": float(a.mean()),
        "sd": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
        "min": float(a.min()),
        "max": float(a.max()),
        "p50": percentile(list(np.abs(a)), 50),
        "p95": percentile(list(np.abs(a)), 95),
        "p99": percentile(list(np.abs(a)), 99),
        "absmax": float(np.abs(a).max()),
    }
