"""Static image datasets and their seeded train/validation/test split.

- ``digits``: scikit-learn's 1,797 8x8 digits (shipped with scikit-learn: the
  embedded default, no download).
- ``mnist``: IDX files from a folder the user gives (torchvision's layout
  ``<dir>/MNIST/raw`` or the files directly in ``<dir>``; ``.gz`` or not).
  With only the official test files present (``t10k-*``), the 10,000 test
  images are split; figures from it are labelled "MNIST-10k split", which is
  not the standard MNIST protocol.
- event datasets (``saccade-digits``, ``saccade-mnist``, ``nmnist``, ``shd``,
  ``dvsgesture``): see :mod:`beamnet_lava.data.events` and
  :mod:`beamnet_lava.data.event_split`; all parts found are pooled and split
  like the images.

The split is a permutation drawn from ``numpy.random.default_rng(seed)``; the
seed and fractions are recorded in every run directory.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

import numpy as np

from beamnet_lava.data.encoding import rate_encode
from beamnet_lava.data.event_split import load_event_dataset
from beamnet_lava.data.images import load_digits, load_mnist
from beamnet_lava.names import DATASETS, EVENT_DATASETS
from beamnet_lava.errors import BeamnetError



class EventParts(NamedTuple):
    """An event dataset's events, how they are encoded, and each part's sample indices."""

    events: Any                        # beamnet_lava.data.events.EventSet
    encoding: Any                      # beamnet_lava.data.events.EventEncoding
    index: dict[str, np.ndarray]


@dataclass(frozen=True)
class Split:
    """Images as float32 in [0, 1], shape (n, features); labels int64."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    description: str
    events: EventParts | None = None   # event datasets: the events behind each part

    def part(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        if which not in ("train", "val", "test"):
            raise BeamnetError(f"unknown split part {which!r}; use train, val or test")
        return getattr(self, f"x_{which}"), getattr(self, f"y_{which}")

    def spikes(self, which: str, time_steps: int, n: int | None = None) -> np.ndarray:
        """Input spikes ``(n, features, T)`` of a part's first ``n`` samples (all when None).

        Images: the deterministic rate code. Event datasets: the events binned
        into ``T`` frames (Eq. 6). ``x_*`` of an event dataset holds the
        first-spike latency intensity instead (for latency models).
        """
        x, _ = self.part(which)
        n = len(x) if n is None else n
        if self.events is None:
            return rate_encode(x[:n], time_steps)
        es, enc, index = self.events
        return es.raster(index[which][:n], time_steps, enc)


def load_split(name: str, seed: int = 0, split: tuple[float, float, float] = (0.6, 0.2, 0.2),
               data_dir: str | None = None, options: Mapping[str, Any] | None = None) -> Split:
    """Load dataset ``name`` and split it with a permutation seeded by ``seed``.

    ``options``: a training config dict or NetX attributes; event datasets take
    their encoding from its ``event_*`` keys (:class:`EventEncoding`).
    """
    events = None
    if name == "digits":
        x, y, desc = load_digits()
    elif name == "mnist":
        x, y, desc = load_mnist(data_dir)
    elif name in EVENT_DATASETS:
        es, enc = load_event_dataset(name, data_dir, options or {})
        y = es.labels
        if not len(y):
            raise BeamnetError(f"{name} in {data_dir} holds no samples")
        x = es.first_spike_intensity(np.arange(len(y)), enc)
        desc = es.description
        events = (es, enc)
    else:
        raise BeamnetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    perm = np.random.default_rng(seed).permutation(len(x))
    n_train = int(round(split[0] * len(x)))
    n_val = int(round(split[1] * len(x)))
    tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
    parts = None if events is None else EventParts(*events, {"train": tr, "val": va, "test": te})
    return Split(name, x[tr], y[tr], x[va], y[va], x[te], y[te], int(y.max()) + 1,
                 f"{desc}; seeded split seed={seed} fractions={tuple(split)}", parts)
