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
