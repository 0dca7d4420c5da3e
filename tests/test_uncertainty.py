import numpy as np
import pytest

from scipy.special import digamma

from beamnet_lava.metrics.uncertainty import (concentrations, dirichlet_uncertainty, first_spike_steps,
                                              fit_temper, probe_mixture, temper)


def test_eq12_concentrations():
    a = concentrations(np.array([[0.0, 2.0, 1.0]]), alpha_0=1.0, eta=3.0)
    assert a.tolist() == [[1.0, 7.0, 4.0]]
    with pytest.raises(ValueError):
        concentrations(np.array([-1.0]), 1.0, 1.0)


def test_hand_computed_two_class_case():
    # alpha = (1, 1): p = (.5, .5); E[H] = psi(3) - psi(2) = 1/2; H[p] = ln 2
    u = dirichlet_uncertainty(np.array([[1.0, 1.0]]))
    assert u.total[0] == pytest.approx(np.log(2))
    assert u.aleatoric[0] == pytest.approx(0.5)
    assert u.epistemic[0] == pytest.approx(np.log(2) - 0.5)
    assert u.vacuity[0] == pytest.approx(1.0)


def test_against_monte_carlo():
    rng = np.random.default_rng(0)
    alpha = np.array([2.0, 5.0, 0.7, 1.3])
    u = dirichlet_uncertainty(alpha[None])
    draws = rng.dirichlet(alpha, size=400_000)
    expected_entropy = -(draws * np.log(np.clip(draws, 1e-300, None))).sum(axis=1).mean()
    assert u.aleatoric[0] == pytest.approx(expected_entropy, rel=5e-3)
    assert np.allclose(u.prob[0], draws.mean(axis=0), atol=3e-3)


def test_never_negative_and_shrinks_with_evidence():
    rng = np.random.default_rng(1)
    alpha = 1.0 + rng.gamma(0.5, 20.0, size=(2000, 10))
    u = dirichlet_uncertainty(alpha)
    assert (u.aleatoric >= 0).all() and (u.epistemic >= 0).all()
    weak = dirichlet_uncertainty(np.array([[1.0, 2.0, 1.0]]))
    strong = dirichlet_uncertainty(np.array([[10.0, 20.0, 10.0]]))
    assert strong.epistemic[0] < weak.epistemic[0]   # more evidence, less epistemic


def test_first_spike_steps():
    s = np.zeros((2, 3, 5))
    s[0, 0, [2, 4]] = 1
    s[0, 2, 0] = 1
    s[1, 1, 3] = 1
    assert first_spike_steps(s).tolist() == [[2, -1, 0], [-1, 3, -1]]


def test_probe_mixture_without_probe_spikes_is_the_window_readout():
    alpha = np.array([[1.0, 5.0, 2.0], [3.0, 3.0, 3.0]])
    u = probe_mixture(alpha, np.array([4.0, 0.0]), -np.ones((2, 4), dtype=int), np.ones((3, 4)),
                      1.0, 2.0, 0.5)
    ref = dirichlet_uncertainty(alpha)
    for name in ("prob", "total", "aleatoric", "epistemic", "vacuity"):
        np.testing.assert_allclose(getattr(u, name), getattr(ref, name), rtol=0, atol=1e-12)


def test_probe_mixture_by_hand_and_disagreement_is_epistemic():
    # two classes, neurons 0 (class 0) and 1 (class 1); one window spike for class 0
    weights = np.array([[1.0, 0.0], [0.0, 1.0]])
    alpha = np.array([[1.0 + 4.0, 1.0], [1.0 + 4.0, 1.0]])
    first = np.array([[3, 4], [3, -1]])       # sample 0: neuron 1 one step behind; sample 1: alone
    u = probe_mixture(alpha, np.array([1.0, 1.0]), first, weights, 1.0, 4.0, 0.5)
    w = np.array([1.0, np.exp(-2.0), 1.0])
    w /= w.sum()
    comps = np.array([[5.0, 1.0], [1.0, 5.0], [5.0, 1.0]])
    p = comps / comps.sum(1, keepdims=True)
    assert u.prob[0] == pytest.approx((w[:, None] * p).sum(0))
    ale = (p * (digamma(7.0) - digamma(comps + 1.0))).sum(1)
    assert u.aleatoric[0] == pytest.approx((w * ale).sum())
    assert u.total[0] == pytest.approx(-(u.prob[0] * np.log(u.prob[0])).sum())
    # sample 1: both components are Dir(5, 1): the window's own Eq. 12-15
    ref = dirichlet_uncertainty(alpha[1:])
    assert u.epistemic[1] == pytest.approx(ref.epistemic[0])
    # a runner-up of the other class close behind raises the epistemic part
    assert u.epistemic[0] > 1.5 * u.epistemic[1]
    assert u.vacuity == pytest.approx(2 / alpha.sum(1))


def _mixture_like(n=400, k=4, seed=0):
    """Probabilities whose every class is > 0 (as a probe mixture's) and their uncertainties."""
    rng = np.random.default_rng(seed)
    alpha = 1.0 + rng.gamma(0.7, 3.0, size=(n, k))
    return dirichlet_uncertainty(alpha)


def test_temper_sharpens_or_flattens_without_changing_any_prediction():
    u = _mixture_like()
    assert temper(u, 1.0) is u
    sharp, flat = temper(u, 0.5), temper(u, 2.0)
    for v in (sharp, flat):
        np.testing.assert_array_equal(v.prediction, u.prediction)
        np.testing.assert_allclose(v.prob.sum(1), 1.0, rtol=0, atol=1e-12)
        np.testing.assert_allclose(v.total, -(v.prob * np.log(v.prob)).sum(1), rtol=1e-12)
        # aleatoric and epistemic keep their shares of the total, never negative
        np.testing.assert_allclose(v.aleatoric + v.epistemic, v.total, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(v.epistemic * u.total, u.epistemic * v.total, rtol=1e-9, atol=1e-15)
        assert (v.aleatoric >= 0).all() and (v.epistemic >= 0).all()
        np.testing.assert_array_equal(v.vacuity, u.vacuity)
    assert (sharp.prob.max(1) >= u.prob.max(1) - 1e-15).all() and (sharp.total < u.total).mean() > 0.95
    assert (flat.prob.max(1) <= u.prob.max(1) + 1e-15).all() and (flat.total > u.total).mean() > 0.95
    # by hand: p = (0.8, 0.2) at T = 0.5 is (0.64, 0.04) / 0.68
    one = dirichlet_uncertainty(np.array([[8.0, 2.0]]))
    assert temper(one, 0.5).prob[0] == pytest.approx([0.64 / 0.68, 0.04 / 0.68])
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="temperature"):
            temper(u, bad)


def test_fit_temper_recovers_the_temperature_labels_were_drawn_at():
    """Labels drawn from p^(1/T0): the NLL-minimising T is T0 (within sampling error), and
    tempering with it lowers the held-out NLL and ECE of an over- or under-confident read-out."""
    from beamnet_lava.metrics.calibration import ece, nll

    rng = np.random.default_rng(1)
    u = _mixture_like(n=20_000, k=5, seed=2)
    for t0 in (0.6, 1.8):
        true = temper(u, t0).prob
        labels = (rng.random(len(true))[:, None] > np.cumsum(true, 1)).sum(1)
        t = fit_temper(u, labels)
        assert t == pytest.approx(t0, rel=0.06)
        assert nll(temper(u, t).prob, labels) < nll(u.prob, labels)
        assert ece(temper(u, t).prob, labels) < 0.5 * ece(u.prob, labels)
