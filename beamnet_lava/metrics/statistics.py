"""Means, spreads and bootstrap confidence intervals for comparing runs (``compare``).

The resampling is scipy's (:func:`scipy.stats.bootstrap`, BCa, 9,999 resamples,
a fixed generator so a table is reproducible). Two units, and the caller says which:

- **seeds**: one value per run; the interval is over what a new seed would give
  (training noise, split and initialisation), the right unit for "model A beats B";
- **test samples**: one value per test sample of a single run; the interval is over
  what another test set of the same size would give, for that one trained model only.

A difference of two groups is ``a - b``: paired (the bootstrap resamples the
per-unit differences) when the units match one to one (the same seeds, or the
same test samples), else the two groups are resampled independently. It is
"not distinguishable" when its interval contains 0.
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

CONFIDENCE = 0.95
N_RESAMPLES = 9999
SEED = 0          # the bootstrap's own generator: the same records give the same table


@dataclass(frozen=True)
class Estimate:
    """Mean, sample standard deviation (ddof 1) and a bootstrap CI of the mean over ``n`` units."""

    mean: float
    std: float
    low: float
    high: float
    n: int
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Difference:
    """``a - b`` with its bootstrap CI; ``distinguishable`` is False when the CI contains 0."""

    delta: float
    low: float
    high: float
    unit: str
    paired: bool

    @property
    def distinguishable(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high) and not self.low <= 0.0 <= self.high)

    @property
    def verdict(self) -> str:
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            return "no interval"
        return ("higher" if self.low > 0 else "lower") if self.distinguishable else "not distinguishable"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "distinguishable": self.distinguishable, "verdict": self.verdict}


def _interval(data: tuple[np.ndarray, ...], statistic, paired: bool) -> tuple[float, float]:
    """BCa interval of ``statistic(*data, axis=-1)``; the percentile one when BCa is undefined
    (a few seeds can make its acceleration 0/0); equal ends when every resample agrees."""
    from scipy import stats

    if min(len(d) for d in data) < 2:               # no spread to resample (or nothing at all)
        return np.nan, np.nan
    if all(np.ptp(d) == 0 for d in data):
        value = float(statistic(*data, axis=-1))
        return value, value
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # scipy warns, then returns NaN, when BCa is undefined
            res = stats.bootstrap(data, statistic, n_resamples=N_RESAMPLES, confidence_level=CONFIDENCE,
                                  method=method, paired=paired, vectorized=True,
                                  random_state=np.random.default_rng(SEED))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if np.isfinite(low) and np.isfinite(high):
            return low, high
    return np.nan, np.nan


def _mean(x, axis=-1):
    return np.mean(x, axis=axis)


def _mean_diff(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def estimate(values, unit: str) -> Estimate:
    """Mean, std and the 95 % bootstrap CI of the mean of ``values`` (one per ``unit``).

    One value has no spread: std and the interval are NaN.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return Estimate(np.nan, np.nan, np.nan, np.nan, 0, unit)
    low, high = _interval((x,), _mean, paired=False)
    std = float(np.std(x, ddof=1)) if len(x) > 1 else np.nan
    return Estimate(float(x.mean()), std, low, high, len(x), unit)


def difference(a, b, unit: str, paired: bool) -> Difference:
    """``mean(a) - mean(b)`` and its 95 % bootstrap CI.

    ``paired``: ``a[i]`` and ``b[i]`` share a unit (the same seed, the same test sample),
    so the per-unit differences are resampled; otherwise each group on its own.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if paired:
        if a.shape != b.shape:
            raise ValueError(f"paired difference needs equal lengths, got {len(a)} and {len(b)}")
        keep = np.isfinite(a) & np.isfinite(b)
        d = a[keep] - b[keep]
        low, high = _interval((d,), _mean, paired=False)
        return Difference(float(d.mean()) if len(d) else np.nan, low, high, unit, True)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    low, high = _interval((a, b), _mean_diff, paired=False)
    mean = float(a.mean() - b.mean()) if len(a) and len(b) else np.nan
    return Difference(mean, low, high, unit, False)
