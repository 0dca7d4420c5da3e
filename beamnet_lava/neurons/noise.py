"""Counter-based integer noise for the Bayesian LIF neuron (Eq. 9).

Shared, bit for bit, by the training model and the Lava process models: both
call these functions, nothing else draws threshold noise.

A draw is a pure function of ``(seed, neuron, step)``: a 32-bit integer hash
(Wellons' "lowbias32" finaliser over a mix of the three keys) whose top 12 bits
index a table of logistic quantiles. With ``u = (k + 0.5) / 4096`` the table
holds ``round(256 * ln(u / (1 - u)))``, so ``eps = (delta_mant * LOGIT[k]) >> 8``
is Logistic(0, Delta) noise in the neuron's integer state units (Eq. 9:
spiking iff ``v > theta + eps`` has probability ``sigmoid((v - theta) / Delta)``
up to the 12-bit quantile grid). All arithmetic is integer (int64 holding
uint32 values, products split into 16-bit halves), so numpy, torch and a
Loihi microcode implementation agree exactly.

The key layout (:func:`noise_step`) is part of the same contract: step ``t`` of
window ``k`` of the sample with key ``key`` draws at
``key * key_span + k * window + t``, where ``key_span = max_windows * window``
(stored in the export as ``noise/key_span``) so no two windows of any two
samples share a draw. Samples are keyed by :func:`sample_keys`: one fixed key per
evaluated sample (a Lava run of the same split reproduces its draws), a running
counter for training samples.
"""
from __future__ import annotations

import numpy as np

QUANTILE_BITS = 12
LOGIT_FRAC_BITS = 8
_MASK32 = 0xFFFFFFFF
_K_SEED, _K_NEURON, _K_STEP = 0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D
_M1, _M2 = 0x7FEB352D, 0x846CA68B

_u = (np.arange(1 << QUANTILE_BITS, dtype=np.float64) + 0.5) / (1 << QUANTILE_BITS)
LOGIT_TABLE = np.round(np.log(_u / (1.0 - _u)) * (1 << LOGIT_FRAC_BITS)).astype(np.int64)
LOGIT_TABLE.setflags(write=False)


def _mul32(x: np.ndarray, c: int) -> np.ndarray:
    """(x * c) mod 2**32 for 0 <= x < 2**32 without overflowing int64."""
    lo = x & 0xFFFF
    hi = x >> 16
    return ((lo * c) + (((hi * c) & 0xFFFF) << 16)) & _MASK32


def hash32(seed, neuron, step) -> np.ndarray:
    """32-bit hash of the keys (broadcast numpy integer arrays), as int64 in [0, 2**32)."""
    seed = np.asarray(seed, dtype=np.int64) & _MASK32
    neuron = np.asarray(neuron, dtype=np.int64) & _MASK32
    step = np.asarray(step, dtype=np.int64) & _MASK32
    x = _mul32(seed, _K_SEED) ^ _mul32(neuron, _K_NEURON) ^ _mul32(step, _K_STEP)
    x = x ^ (x >> 16)
    x = _mul32(x, _M1)
    x = x ^ (x >> 15)
    x = _mul32(x, _M2)
    return x ^ (x >> 16)


def logistic_noise(seed: int, neuron, step, delta_mant: int) -> np.ndarray:
    """Integer Logistic(0, Delta) draws; ``delta_mant`` is Delta in state units."""
    k = hash32(seed, neuron, step) >> (32 - QUANTILE_BITS)
    return (int(delta_mant) * LOGIT_TABLE[k]) >> LOGIT_FRAC_BITS


def logistic_noise_float(seed: int, neuron, step, delta: float) -> np.ndarray:
    """Continuous Logistic(0, Delta) draws at the same quantiles as :func:`logistic_noise`.

    ``delta * logit(u)`` with ``u = (k + 0.5) / 4096`` taken from the same hash, so
    the float process model sees the noise of the fixed one without the 8-bit table.
    """
    k = hash32(seed, neuron, step) >> (32 - QUANTILE_BITS)
    q = (k + 0.5) / (1 << QUANTILE_BITS)
    return delta * np.log(q / (1 - q))


def noise_block(seed: int, n_neurons: int, steps: np.ndarray, delta_mant: int) -> np.ndarray:
    """Draws for every neuron at each of ``steps`` (shape ``steps.shape + (n_neurons,)``)."""
    steps = np.asarray(steps, dtype=np.int64)
    return logistic_noise(seed, np.arange(n_neurons, dtype=np.int64), steps[..., None], delta_mant)


# -- key layout ------------------------------------------------------------------------------
KEY_BASE = {"train": 0, "val": 1 << 24, "test": 2 << 24}


def sample_keys(part: str, n: int, start: int = 0) -> np.ndarray:
    """Noise keys of ``n`` samples of split part ``part`` (``train``/``val``/``test``), from ``start``."""
    return KEY_BASE[part] + start + np.arange(n, dtype=np.int64)


def key_span(max_windows: int, window: int) -> int:
    """Generator steps reserved per sample: every window of the top-down loop (``noise/key_span``)."""
    return int(max_windows * window)


def noise_step(key, window_index: int, t, window: int, key_span: int) -> np.ndarray:
    """Generator step of sample ``key``, window ``window_index``, step ``t`` of the window.

    ``key * key_span + window_index * window + t`` (broadcast numpy integers).
    """
    return np.asarray(key, dtype=np.int64) * key_span + window_index * window + np.asarray(t, dtype=np.int64)
