"""Class decisions from a bundle's output spikes (standalone: numpy only; shipped in bundles).

Plain NetX networks: the class with the most output spikes. BEAM-Net's stock variant: its
trained Dirichlet readout (Eq. 12), ``alpha = alpha_0 + eta * A @ counts`` with
``A = softplus(R)`` stored in the bundle's ``readout.npz``. Counts skip ``burn_in`` steps.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

READOUT_FILE = "readout.npz"


def load(folder) -> dict | None:
    path = Path(folder) / READOUT_FILE
    if not path.is_file():
        return None
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def decide(spikes: np.ndarray, meta: dict, readout: dict | None):
    """``(counts, probabilities or None, labels)`` of ``(samples, outputs, T)`` spikes."""
    counts = spikes[..., int(meta.get("burn_in", 0)):].sum(-1).astype(np.int64)
    if readout is None:
        return counts, None, counts.argmax(1)
    alpha = float(readout["alpha_0"]) + float(readout["eta"]) * counts @ np.asarray(readout["a"]).T
    return counts, alpha / alpha.sum(1, keepdims=True), alpha.argmax(1)
