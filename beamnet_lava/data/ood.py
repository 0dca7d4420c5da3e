"""Out-of-distribution sets built from in-distribution images (seeded, same shape).

- ``inverted``: ``1 - x`` (dark strokes on a bright background);
- ``shuffled``: each image's pixels under its own random permutation (the same
  intensity histogram, no digit structure);
- ``noise``: uniform noise in [0, 1].
"""
from __future__ import annotations

import numpy as np

from beamnet_lava.errors import BeamnetError

OOD_SETS = ("inverted", "shuffled", "noise")


def make_ood(name: str, x: np.ndarray, seed: int = 0) -> np.ndarray:
    """The OOD set ``name`` of images ``x`` (n, features) in [0, 1], or of binary event
    rasters (n, inputs, T): inverted, inputs permuted per sample, or Bernoulli noise at
    the data's mean spike rate."""
    x = np.asarray(x, dtype=np.float32)
    rng = np.random.default_rng([seed, OOD_SETS.index(name)] if name in OOD_SETS else seed)
    if name == "inverted":
        return 1.0 - x
    if name == "shuffled":
        order = np.argsort(rng.random(x.shape[:2]), axis=1)
        return np.take_along_axis(x, order.reshape(order.shape + (1,) * (x.ndim - 2)), axis=1)
    if name == "noise":
        if x.ndim == 3:
            return (rng.random(x.shape) < x.mean()).astype(np.float32)
        return rng.random(x.shape, dtype=np.float32)
    raise BeamnetError(f"unknown OOD set {name!r}; choose from {', '.join(OOD_SETS)} "
                       "(comma separated, or 'all')")


def parse_ood(spec: str | None) -> list[str]:
    """``--ood inverted,noise`` / ``all`` / none -> validated names."""
    if not spec:
        return []
    names = list(OOD_SETS) if spec.strip() == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    for n in names:
        if n not in OOD_SETS:
            raise BeamnetError(f"unknown OOD set {n!r}; choose from {', '.join(OOD_SETS)} "
                               "(comma separated, or 'all')")
    return names
