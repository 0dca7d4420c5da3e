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

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import numpy as np

from beamnet_lava.data.encoding import rate_encode
from beamnet_lava.errors import BeamnetError

EVENT_DATASETS = ("saccade-digits", "saccade-mnist", "nmnist", "shd", "dvsgesture")
DATASETS = ("digits", "mnist") + EVENT_DATASETS


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


def _load_digits() -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y.astype(np.int64), "scikit-learn digits (8x8)"


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise BeamnetError(f"could not read IDX file {path}: {exc}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise BeamnetError(f"{path} is not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise BeamnetError(f"{path} is truncated: header says {dims}, found {body.size} values")
    return body.reshape(dims)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for base in (folder, folder / "MNIST" / "raw", folder / "raw"):
        for name in (stem, stem + ".gz"):
            if (base / name).is_file():
                return base / name
    return None


def mnist_parts(data_dir: str | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``[(prefix, images (n, 784) float32 in [0, 1], labels)]`` for the IDX pairs present."""
    if not data_dir:
        raise BeamnetError("dataset mnist needs --data-dir: a folder with MNIST IDX files "
                           "(e.g. ../shared/data/mnist, or torchvision's MNIST root)")
    folder = Path(data_dir)
    if not folder.is_dir():
        raise BeamnetError(f"MNIST folder {folder} does not exist")
    parts = []
    for prefix in ("train", "t10k"):
        img = _find_idx(folder, f"{prefix}-images-idx3-ubyte")
        lab = _find_idx(folder, f"{prefix}-labels-idx1-ubyte")
        if img and lab:
            x, y = _read_idx(img), _read_idx(lab)
            if len(x) != len(y):
                raise BeamnetError(f"{img} has {len(x)} images but {lab} has {len(y)} labels")
            parts.append((prefix, (x.reshape(len(x), -1) / 255.0).astype(np.float32), y.astype(np.int64)))
    if not parts:
        raise BeamnetError(f"no MNIST IDX files in {folder}: expected t10k-images-idx3-ubyte(.gz) "
                           "and t10k-labels-idx1-ubyte(.gz) (and/or the train-* pair)")
    return parts


def _load_mnist(data_dir: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    parts = mnist_parts(data_dir)
    x = np.concatenate([p[1] for p in parts])
    y = np.concatenate([p[2] for p in parts])
    names = [p[0] for p in parts]
    desc = "MNIST-10k split (official test set only)" if names == ["t10k"] else f"MNIST ({'+'.join(names)})"
    return x, y, desc


def load_split(name: str, seed: int = 0, split: tuple[float, float, float] = (0.6, 0.2, 0.2),
               data_dir: str | None = None, options: Mapping[str, Any] | None = None) -> Split:
    """Load dataset ``name`` and split it with a permutation seeded by ``seed``.

    ``options``: a training config dict or NetX attributes; event datasets take
    their encoding from its ``event_*`` keys (:class:`EventEncoding`).
    """
    events = None
    if name == "digits":
        x, y, desc = _load_digits()
    elif name == "mnist":
        x, y, desc = _load_mnist(data_dir)
    elif name in EVENT_DATASETS:
        from beamnet_lava.data.event_split import load_event_dataset

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
