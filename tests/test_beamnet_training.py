"""BEAM-Net training end to end (small) and its reproducibility."""
import json

import numpy as np
import pytest

from beamnet_lava.config import BeamnetConfig
from beamnet_lava.evaluation.records import HISTORY, PREDICTIONS, read_table
from beamnet_lava.training.checkpoint import CHECKPOINT
from beamnet_lava.workflows.train import train


@pytest.fixture(scope="module")
def small_cfg():
    return BeamnetConfig(epochs=1, n_memory=30, seed=4, tau_m=10.0, max_windows=2, delta=0.05)


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
    assert history["epoch"].tolist() == [1]


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
    assert metrics["fitted_on_validation"] == "eta and readout temperature"
    assert 0.2 <= metrics["readout_temperature"] <= 3.0
    assert json.loads((out / "config.json").read_text())["model"] == "beamnet"


def test_readout_temperature_fits_the_confidence_of_a_spike():
    """One spike per sample: the fitted T makes a spike's confidence match its accuracy."""
    from beamnet_lava.metrics.calibration import nll
    from beamnet_lava.training.beamnet_train import _prob, _softplus, fit_calibration, fit_eta

    rng = np.random.default_rng(0)
    k, n = 10, 800
    winner = rng.integers(0, k, n)                  # memory neuron j stores class j
    counts = np.eye(k)[winner]
    labels = np.where(rng.random(n) < 0.98, winner, (winner + 1 + rng.integers(0, k - 1, n)) % k)
    logits = np.where(np.eye(k, dtype=bool), np.log(np.e - 1), -4.6)   # init: A = 1 own, 0.01 other
    t, eta = fit_calibration(counts, logits, labels, 1.0, temperature=True)
    assert t < 1.0                                   # 0.917 confidence is too low for 98 % right
    p = _prob(counts @ _softplus(logits / t).T, 1.0, eta)
    assert abs(p.max(1).mean() - 0.98) < 0.01
    eta1 = fit_eta(counts @ _softplus(logits).T, labels, 1.0)
    assert nll(p, labels) < nll(_prob(counts @ _softplus(logits).T, 1.0, eta1), labels)
    assert fit_calibration(counts, logits, labels, 1.0, temperature=False)[0] == 1.0


@pytest.mark.slow  # three BEAM-Net trainings
def test_regularised_training_is_seeded_and_changes_the_weights(small_cfg, tmp_path):
    """augment_shift and input_dropout draw from the run's seed: same bytes twice, new weights."""
    import torch

    cfg = small_cfg.replace(augment_shift=1, input_dropout=0.1)
    a, b = tmp_path / "a", tmp_path / "b"
    train(cfg, a, progress=False)
    train(cfg, b, progress=False)
    assert (a / CHECKPOINT).read_bytes() == (b / CHECKPOINT).read_bytes()
    plain = tmp_path / "plain"
    train(small_cfg, plain, progress=False)
    w_reg = torch.load(a / CHECKPOINT, weights_only=False)
    w_plain = torch.load(plain / CHECKPOINT, weights_only=False)
    assert not torch.equal(w_reg["state_dict"]["weight"], w_plain["state_dict"]["weight"])


def test_summary_separates_silent_samples_from_the_epistemic_ratio():
    """A sample no memory neuron fired for keeps the prior (highest epistemic); the
    spiking-only ratio leaves it out."""
    from types import SimpleNamespace

    from beamnet_lava.metrics.uncertainty import dirichlet_uncertainty
    from beamnet_lava.training.beamnet_train import summarize

    counts = np.array([[3.0, 0.0], [0.0, 2.0], [1.0, 0.0], [0.0, 0.0]])   # sample 3 is silent
    alpha = 1.0 + 5.0 * counts                                           # K = 2 classes
    res = {"counts": counts, "spikes": counts[..., None], "alpha": alpha,
           "windows": np.ones(4, dtype=np.int64)}
    labels = np.array([0, 1, 1, 1])                  # samples 2 and 3 are wrong (3: argmax of a tie = 0)
    s = summarize(SimpleNamespace(cfg=SimpleNamespace(max_windows=1)), res, labels)
    epi = dirichlet_uncertainty(alpha).epistemic
    assert s["silent_fraction"] == 0.25
    assert s["epistemic_ratio_wrong_correct"] == pytest.approx(epi[2:].mean() / epi[:2].mean())
    assert s["epistemic_ratio_spiking"] == pytest.approx(epi[2] / epi[:2].mean())
    assert s["epistemic_ratio_wrong_correct"] > s["epistemic_ratio_spiking"]
