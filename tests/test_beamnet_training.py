"""BEAM-Net training end to end (small) and its reproducibility."""
import json

import numpy as np
import pytest

from beamnet_lava.config import BeamnetConfig
from beamnet_lava.evaluation.records import HISTORY, PREDICTIONS, read_table
from beamnet_lava.training.checkpoint import CHECKPOINT
from beamnet_lava.training.trainer import train


@pytest.fixture(scope="module")
def small_cfg():
    return BeamnetConfig(epochs=2, n_memory=30, seed=4, tau_m=10.0, max_windows=2, delta=0.05)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, small_cfg):
    out = tmp_path_factory.mktemp("bn") / "run"
    metrics = train(small_cfg, out, progress=False)
    return out, metrics


def test_small_training_beats_chance_widely(small_run):
    out, metrics = small_run
    assert metrics["test_accuracy"] >= 0.6          # chance is 0.1
    assert metrics["single_window"]["min_aleatoric"] >= 0
    assert metrics["single_window"]["min_epistemic"] >= 0
    assert 0 < metrics["active_fraction"] < 1
    assert "bidirectional" in metrics and metrics["bidirectional"]["windows_mean"] <= 2
    assert (out / "reliability.png").stat().st_size > 1000
    table = read_table(out / PREDICTIONS)
    assert len(table["label"]) == metrics["n_test"]
    assert (table["epistemic"] >= 0).all() and (table["aleatoric"] >= 0).all()
    assert table["correct"].mean() == pytest.approx(metrics["test_accuracy"])
    history = read_table(out / HISTORY)
    assert history["epoch"].tolist() == [1, 2]


def test_same_seed_same_bytes_and_predictions(small_run, small_cfg, tmp_path):
    out, _ = small_run
    again = tmp_path / "again"
    train(small_cfg, again, progress=False)
    assert (again / CHECKPOINT).read_bytes() == (out / CHECKPOINT).read_bytes()
    first, second = read_table(out / PREDICTIONS), read_table(again / PREDICTIONS)
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


def test_eta_fitted_on_validation_is_saved(small_run):
    from beamnet_lava.training.checkpoint import load_run

    out, metrics = small_run
    run = load_run(out)
    assert float(run.model.eta) == pytest.approx(metrics["eta"])
    assert metrics["eta_fitted_on"] == "validation split"
    assert json.loads((out / "config.json").read_text())["model"] == "beamnet"
