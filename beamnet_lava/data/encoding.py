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
