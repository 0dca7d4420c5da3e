"""The image sources: scikit-learn's digits and MNIST IDX files (``.gz`` or not)."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from beamnet_lava.errors import BeamnetError


def load_digits() -> tuple[np.ndarray, np.ndarray, str]:
    """scikit-learn's 1,797 8x8 digits, scaled to [0, 1] (sklearn imported on first use: slow)."""
    from sklearn.datasets import load_digits as sklearn_digits

    x, y = sklearn_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y.astype(np.int64), "scikit-learn digits (8x8)"


def read_idx(path: Path) -> np.ndarray:
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


def find_idx(folder: Path, stem: str) -> Path | None:
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
        img = find_idx(folder, f"{prefix}-images-idx3-ubyte")
        lab = find_idx(folder, f"{prefix}-labels-idx1-ubyte")
        if img and lab:
            x, y = read_idx(img), read_idx(lab)
            if len(x) != len(y):
                raise BeamnetError(f"{img} has {len(x)} images but {lab} has {len(y)} labels")
            parts.append((prefix, (x.reshape(len(x), -1) / 255.0).astype(np.float32), y.astype(np.int64)))
    if not parts:
        raise BeamnetError(f"no MNIST IDX files in {folder}: expected t10k-images-idx3-ubyte(.gz) "
                           "and t10k-labels-idx1-ubyte(.gz) (and/or the train-* pair)")
    return parts


def load_mnist(data_dir: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    parts = mnist_parts(data_dir)
    x = np.concatenate([p[1] for p in parts])
    y = np.concatenate([p[2] for p in parts])
    names = [p[0] for p in parts]
    desc = "MNIST-10k split (official test set only)" if names == ["t10k"] else f"MNIST ({'+'.join(names)})"
    return x, y, desc
