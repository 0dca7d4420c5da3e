import numpy as np
import pytest

from beamnet_lava.metrics.uncertainty import concentrations, dirichlet_uncertainty


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
