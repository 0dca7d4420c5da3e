import numpy as np
import pytest

from beamnet_lava.metrics.calibration import ece, nll, reliability_diagram


def test_ece_hand_computed():
    # two samples at confidence 0.9 (one right, one wrong) and one at 0.6 (right)
    prob = np.array([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6]])
    labels = np.array([0, 1, 1])
    expected = 2 / 3 * abs(0.9 - 0.5) + 1 / 3 * abs(0.6 - 1.0)
    assert ece(prob, labels) == pytest.approx(expected)


def test_perfectly_calibrated_is_near_zero(tmp_path):
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, 200_000)
    labels = (rng.random(conf.size) > conf).astype(int)   # class 0 correct with prob conf
    prob = np.stack([conf, 1 - conf], axis=1)
    assert ece(prob, labels) < 0.01
    assert nll(prob, labels) > 0
    out = reliability_diagram(prob[:500], labels[:500], tmp_path / "rel.png", "test")
    assert out.stat().st_size > 1000
