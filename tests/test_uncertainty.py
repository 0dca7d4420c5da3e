import numpy as np
import pytest

from scipy.special import digamma

from beamnet_lava.metrics.uncertainty import (concentrations, dirichlet_uncertainty, first_spike_steps,
                                              probe_mixture)


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
