import gzip
import struct

import numpy as np
import pytest

from beamnet_lava.data import load_split, rate_encode
from beamnet_lava.errors import BeamnetError


def test_rate_code_counts_and_determinism():
    x = np.array([[0.0, 0.25, 0.5, 1.0, 0.33]])
    s = rate_encode(x, 16)
    assert s.shape == (1, 5, 16) and set(np.unique(s)) <= {0.0, 1.0}
    assert s.sum(-1).tolist() == [[0, 4, 8, 16, 5]]
    assert np.array_equal(s, rate_encode(x, 16))


def test_digits_split_is_seeded_and_disjoint():
    a, b, c = load_split("digits", seed=1), load_split("digits", seed=1), load_split("digits", seed=2)
    assert np.array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_test, c.x_test)
    assert len(a.y_train) + len(a.y_val) + len(a.y_test) == 1797
    assert 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0


def _write_idx(path, arr, gz):
    header = struct.pack(">BBBB", 0, 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


@pytest.mark.parametrize("gz, layout", [(True, "flat"), (False, "torchvision")])
def test_mnist_idx_reader(tmp_path, gz, layout):
    folder = tmp_path / ("MNIST/raw" if layout == "torchvision" else "")
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(20, 28, 28))
    labels = np.arange(20) % 10
    sfx = ".gz" if gz else ""
    _write_idx(folder / f"t10k-images-idx3-ubyte{sfx}", imgs, gz)
    _write_idx(folder / f"t10k-labels-idx1-ubyte{sfx}", labels, gz)
    split = load_split("mnist", data_dir=str(tmp_path), seed=0)
    assert split.x_train.shape[1] == 784 and "MNIST-10k split" in split.description
    allx = np.concatenate([split.x_train, split.x_val, split.x_test])
    assert np.isclose(allx.sum(), (imgs / 255.0).sum(), rtol=1e-5)


def test_mnist_errors(tmp_path):
    with pytest.raises(BeamnetError, match="--data-dir"):
        load_split("mnist")
    with pytest.raises(BeamnetError, match="no MNIST IDX files"):
        load_split("mnist", data_dir=str(tmp_path))
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">3I", 5, 28, 28) + b"\0" * 10)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(5), False)
    with pytest.raises(BeamnetError, match="truncated"):
        load_split("mnist", data_dir=str(tmp_path))
    with pytest.raises(BeamnetError, match="unknown dataset"):
        load_split("cifar")
