"""Dirichlet readout and its uncertainties (BEAM-Net Eq. 12 to Eq. 15).

Evidence ``e_c`` (class evidence from memory-neuron spike counts) becomes
Dirichlet concentrations ``alpha_c = alpha_0 + eta * e_c`` (Eq. 12), with
``S = sum_c alpha_c`` and posterior mean ``p_c = alpha_c / S``.

- total:     ``H[p] = -sum_c p_c log p_c``
- aleatoric: the expected entropy of the categorical under the Dirichlet (Eq. 15)
  ``sum_c p_c (digamma(S + 1) - digamma(alpha_c + 1))``; never negative.
  (The reference implementation used the Dirichlet's differential entropy
  here, which is negative and makes epistemic meaningless.)
- epistemic: ``total - aleatoric`` (Eq. 14), the mutual information between the
  label and the categorical; never negative.
- vacuity: ``K / S``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, entr

from beamnet_lava.metrics.calibration import fit_temperature


def entropy(p: np.ndarray) -> np.ndarray:
    """Shannon entropy ``-sum_c p_c log p_c`` (nats) over the last axis of probabilities ``p``.

    ``scipy.special.entr`` summed: the elementwise term ``scipy.stats.entropy`` is
    built on, without its renormalisation of ``p`` (which moves the last bits and
    would change every stored record); ``0 log 0 = 0``.
    """
    return entr(np.asarray(p, dtype=np.float64)).sum(axis=-1)


def concentrations(evidence: np.ndarray, alpha_0: float, eta: float) -> np.ndarray:
    """Eq. 12: ``alpha = alpha_0 + eta * evidence`` (evidence >= 0, shape (..., K))."""
    evidence = np.asarray(evidence, dtype=np.float64)
    if np.any(evidence < 0):
        raise ValueError("Dirichlet evidence must be non-negative")
    return alpha_0 + eta * evidence


@dataclass(frozen=True)
class Uncertainty:
    prob: np.ndarray        # posterior mean p (n, K)
    total: np.ndarray       # H[p]
    aleatoric: np.ndarray   # Eq. 15
    epistemic: np.ndarray   # Eq. 14
    vacuity: np.ndarray     # K / S

    @property
    def prediction(self) -> np.ndarray:
        return self.prob.argmax(axis=-1)


def dirichlet_uncertainty(alpha: np.ndarray) -> Uncertainty:
    alpha = np.asarray(alpha, dtype=np.float64)
    s = alpha.sum(axis=-1, keepdims=True)
    p = alpha / s
    total = entropy(p)
    aleatoric = (p * (digamma(s + 1.0) - digamma(alpha + 1.0))).sum(axis=-1)
    # mutual information is >= 0 exactly; clip only float round-off
    epistemic = np.maximum(total - aleatoric, 0.0)
    return Uncertainty(p, total, aleatoric, epistemic, alpha.shape[-1] / s[..., 0])


def first_spike_steps(spikes: np.ndarray) -> np.ndarray:
    """Step of each neuron's first spike in ``spikes`` ``(..., N, T)``; -1 for a silent neuron."""
    s = np.asarray(spikes) != 0
    return np.where(s.any(-1), s.argmax(-1), -1)


def probe_mixture(alpha: np.ndarray, mass: np.ndarray, first: np.ndarray, weights: np.ndarray,
                  alpha_0: float, eta: float, tau: float) -> Uncertainty:
    """Posterior from the inference window and a probe window read as posterior samples.

    ``alpha`` ``(B, K)``: the inference window's concentrations (Eq. 12), which spent
    ``mass`` ``(B,)`` memory spikes; ``first`` ``(B, N)``: each memory neuron's first
    spike step in the probe window (no lateral inhibition; -1: silent); ``weights``
    ``(K, N)``: the readout's evidence weights ``softplus(R)``.

    The posterior is a mixture of Dirichlets: the inference window's with weight 1,
    and for every neuron ``j`` that fired in the probe, ``Dir(alpha_0 + eta * mass *
    A[:, j])`` (the window's evidence, assigned to neuron ``j``'s pattern) with weight
    ``exp(-(t_j - t_1) / tau)``, ``t_1`` the probe's first spike: a neuron that
    crossed threshold as early as the winner is as plausible a cause; one that
    crossed later, less. Then (the mixture's own Eq. 13-15)

    - ``p`` = the weighted mean of the components' means,
    - total = ``H[p]``; aleatoric = the weighted mean of the components' Eq. 15;
    - epistemic = total - aleatoric: each component's mutual information plus the
      components' disagreement (a Jensen gap), never negative;
    - vacuity = ``K / S`` of the inference window (the evidence it gathered).
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    first = np.asarray(first)
    b, k = alpha.shape
    fired = first >= 0
    t1 = np.where(fired, first, np.iinfo(np.int64).max).min(axis=1, initial=np.iinfo(np.int64).max)
    w = np.where(fired, np.exp(-(first - np.where(fired.any(1), t1, 0)[:, None]) / tau), 0.0)
    comp = alpha_0 + eta * np.asarray(mass, dtype=np.float64)[:, None, None] * \
        np.asarray(weights, dtype=np.float64).T[None]                       # (B, N, K)
    comp = np.concatenate([comp, alpha[:, None, :]], axis=1)
    w = np.concatenate([w, np.ones((b, 1))], axis=1)
    w = w / w.sum(axis=1, keepdims=True)
    s = comp.sum(-1, keepdims=True)
    p = comp / s
    ale = (p * (digamma(s + 1.0) - digamma(comp + 1.0))).sum(-1)            # Eq. 15 per component
    prob = (w[..., None] * p).sum(1)
    total = entropy(prob)
    aleatoric = (w * ale).sum(1)
    return Uncertainty(prob, total, aleatoric, np.maximum(total - aleatoric, 0.0),
                       k / alpha.sum(axis=-1))


#: the smallest probability a tempered read-out takes the log of (a probe mixture's classes are
#: never exactly 0: every component has alpha_0 > 0 in every class)
_TINY = np.finfo(np.float64).tiny


def temper(u: Uncertainty, temperature: float) -> Uncertainty:
    """``u`` with its probabilities at ``temperature`` (temperature scaling, Guo et al. 2017).

    ``p_T = softmax(log p / T)`` (``T < 1`` sharpens, ``T > 1`` flattens; the argmax, so every
    prediction, is unchanged); total = ``H[p_T]``; aleatoric and epistemic keep their shares of
    the total (both scaled by ``H[p_T] / H[p]``), so they stay non-negative and sum to it;
    vacuity (the evidence gathered) is unchanged. ``T = 1`` returns ``u`` itself.
    The probe read-out's ``T`` is fitted on the validation split (:func:`fit_temper`).
    """
    t = float(temperature)
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"temperature must be a finite number > 0, not {temperature!r}")
    if t == 1.0:
        return u
    z = np.log(np.maximum(u.prob, _TINY)) / t
    prob = np.exp(z - z.max(axis=-1, keepdims=True))
    prob /= prob.sum(axis=-1, keepdims=True)
    total = entropy(prob)
    share = np.divide(total, u.total, out=np.zeros_like(total), where=u.total > 0)
    return Uncertainty(prob, total, u.aleatoric * share, u.epistemic * share, u.vacuity)


def fit_temper(u: Uncertainty, labels: np.ndarray) -> float:
    """The ``T`` of :func:`temper` minimising the NLL of ``u``'s probabilities on held-out
    ``labels`` (one scalar, the same search as the baselines' temperature scaling)."""
    return fit_temperature(np.log(np.maximum(u.prob, _TINY)), labels)
