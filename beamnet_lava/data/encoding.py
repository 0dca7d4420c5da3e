"""Image-to-spike encoders."""
from __future__ import annotations

import numpy as np


def rate_encode(x: np.ndarray, time_steps: int) -> np.ndarray:
    """Deterministic rate code: intensity ``x`` in [0, 1] fires ~``x * T`` spikes.

    Each input integrates its intensity every step and spikes (subtracting 1)
    when the sum reaches 1, so spikes are evenly spaced and reproducible with no
    random draw: the training model and a Lava run see identical inputs.
    Returns float32 ``(n, features, T)`` with values in {0, 1}.
    """
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    # spikes up to step t = floor((t + 1) * x); a spike at t where that count grows
    counts = np.floor(np.arange(1, time_steps + 1) * x[..., None] + 1e-9)
    spikes = np.diff(counts, axis=-1, prepend=0.0)
    return spikes.astype(np.float32)


SILENT = -1


def check_images(x: np.ndarray, n_features: int | None = None) -> np.ndarray:
    """Validate images for the latency encoders: 2-D ``(n, features)`` floats in [0, 1]."""
    from beamnet_lava.errors import BeamnetError

    x = np.asarray(x)
    if x.ndim != 2:
        raise BeamnetError(f"images must be a 2-D array (samples, features); got shape {x.shape} "
                           "(flatten each image first)")
    if n_features is not None and x.shape[1] != n_features:
        raise BeamnetError(f"images have {x.shape[1]} features; this model expects {n_features}")
    if not np.issubdtype(x.dtype, np.floating) and not np.issubdtype(x.dtype, np.integer):
        raise BeamnetError(f"images must be numeric, got dtype {x.dtype}")
    if x.size and (not np.isfinite(x).all() or x.min() < 0.0 or x.max() > 1.0):
        raise BeamnetError(f"image intensities must lie in [0, 1] (found {x.min()}..{x.max()}); "
                           "divide by the maximum pixel value (e.g. 255)")
    return x.astype(np.float64)


def latency_times(intensity: np.ndarray, t_ref: int, tau: float, floor: float) -> np.ndarray:
    """Rank-order latency code (Eq. 7): each input spikes once at ``t = T_ref - tau * x``.

    ``t`` is rounded half up to a step; inputs below ``floor`` stay silent
    (:data:`SILENT`). Returns int64 spike times, one per input.
    """
    intensity = np.asarray(intensity, dtype=np.float64)
    t = np.floor(t_ref - tau * np.clip(intensity, 0.0, None) + 0.5).astype(np.int64)
    return np.where(intensity >= floor, np.maximum(t, 0), SILENT)


def population_intensity(x: np.ndarray, size: int, sigma: float) -> np.ndarray:
    """Gaussian receptive fields (after Fois & Girau 2023, W-TCRL).

    Each dimension spreads over ``size`` neurons with centres uniform in
    [0.05, 0.95]; neuron k of dimension i gets ``exp(-(x_i - mu_k)^2 / (2 sigma^2))``.
    Returns ``(n, features * size)``, dimension-major. Feed it to
    :func:`latency_times` for the population latency code.
    """
    mu = np.linspace(0.05, 0.95, size)
    x = np.asarray(x, dtype=np.float64)
    a = np.exp(-((x[..., None] - mu) ** 2) / (2.0 * sigma ** 2))
    return a.reshape(x.shape[0], -1)


def times_to_raster(times: np.ndarray, time_steps: int) -> np.ndarray:
    """``(n, inputs)`` spike times -> ``(n, inputs, T)`` float32 raster (at most one spike each)."""
    times = np.asarray(times)
    raster = np.zeros(times.shape + (time_steps,), dtype=np.float32)
    n_idx, i_idx = np.nonzero((times >= 0) & (times < time_steps))
    raster[n_idx, i_idx, times[n_idx, i_idx]] = 1.0
    return raster
