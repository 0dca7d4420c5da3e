"""Selective prediction: how well an uncertainty score flags the model's own errors.

- **Misclassification-detection AUROC** (Hendrycks & Gimpel, ICLR 2017): the ROC
  area of a score for the event "this prediction is wrong",
  ``sklearn.metrics.roc_auc_score``; 1.0 ranks every error above every correct
  prediction, 0.5 is chance.
- **Risk-coverage curve** (Geifman & El-Yaniv, NeurIPS 2017): accept the samples
  the score calls most certain first; at coverage ``k / n`` the risk is the error
  rate among the ``k`` accepted.
- **AURC**: the mean of that risk over ``k = 1..n``; **E-AURC** (Geifman et al.,
  ICLR 2019): AURC minus the AURC of the ideal ranking (every error last), so
  0 is a perfect ranking whatever the accuracy.
- **Accuracy at coverage c**: accuracy among the ``ceil(c n)`` most certain samples.

Ties: a spiking model often gives many samples the same score (the same spike
counts); the curve is the expectation over a random order inside each group of
tied samples (their errors spread evenly over the group), so no result depends
on how a sort breaks ties. AUROC counts a tie as half, as scikit-learn does.

Scores are uncertainties (higher = less certain); ``confidence`` enters as
``1 - max_c p_c``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

#: the uncertainty scores every family is measured on, in the records' column names
SCORES = ("total", "aleatoric", "epistemic", "confidence")
#: the score that ranks samples for the risk-coverage curve, AURC and accuracy at coverage
RANKING = "total"
COVERAGES = (0.90, 0.95)
LABELS = {"total": "total H[p]", "aleatoric": "aleatoric (Eq. 15)",
          "epistemic": "epistemic (Eq. 14)", "confidence": "1 - confidence"}


def scores_of(columns: dict[str, Any]) -> dict[str, np.ndarray]:
    """The defined uncertainty scores among record columns ``total``, ``aleatoric``,
    ``epistemic`` and ``confidence`` (a score that is NaN for every sample is left out:
    the baselines define no aleatoric / epistemic split)."""
    out = {}
    for name in SCORES:
        if name not in columns:
            continue
        x = np.asarray(columns[name], dtype=np.float64)
        if name == "confidence":
            x = 1.0 - x
        if len(x) and np.isnan(x).all():
            continue
        out[name] = x
    return out


def _check(score: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(score, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    if s.shape != ok.shape or s.ndim != 1:
        raise ValueError(f"score {s.shape} and correct {ok.shape} must be equal-length vectors")
    if not np.isfinite(s).all():
        raise ValueError("an uncertainty score must be finite for every sample")
    return s, ok


def misclassification_auroc(score: np.ndarray, correct: np.ndarray) -> float:
    """ROC AUC of ``score`` detecting wrong predictions; NaN when all are right (or all wrong)."""
    s, ok = _check(score, correct)
    if ok.all() or not ok.any():
        return math.nan
    return float(roc_auc_score(~ok, s))


def risk_coverage(score: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(coverage, risk)`` at ``k = 1..n`` accepted samples, most certain (lowest score) first;
    tied samples share their group's error rate (the expectation over orders inside a tie)."""
    s, ok = _check(score, correct)
    n = len(s)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(s, kind="stable")
    wrong = (~ok[order]).astype(np.float64)
    _, start, size = np.unique(s[order], return_index=True, return_counts=True)
    expected = np.repeat(np.add.reduceat(wrong, start) / size, size)
    k = np.arange(1, n + 1)
    return k / n, np.cumsum(expected) / k


def _ideal_risk(correct: np.ndarray) -> np.ndarray:
    ok = np.asarray(correct, dtype=bool)
    wrong = np.sort((~ok).astype(np.float64))         # every error last
    return np.cumsum(wrong) / np.arange(1, len(ok) + 1)


def aurc(score: np.ndarray, correct: np.ndarray) -> float:
    """Area under the risk-coverage curve: the mean risk over ``k = 1..n``."""
    return float(risk_coverage(score, correct)[1].mean()) if len(correct) else math.nan


def eaurc(score: np.ndarray, correct: np.ndarray) -> float:
    """Excess AURC: :func:`aurc` minus the AURC of the ideal ranking."""
    return aurc(score, correct) - float(_ideal_risk(correct).mean()) if len(correct) else math.nan


def accuracy_at_coverage(score: np.ndarray, correct: np.ndarray, coverage: float) -> float:
    """Accuracy among the ``ceil(coverage n)`` most certain samples."""
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    _, risk = risk_coverage(score, correct)
    if not len(risk):
        return math.nan
    k = max(1, math.ceil(coverage * len(risk) - 1e-9))
    return float(1.0 - risk[k - 1])


def acceptance_coverage(score: np.ndarray) -> np.ndarray:
    """Per sample, the smallest coverage at which ranking by ``score`` accepts it: the share of
    samples at most as uncertain (a tie is accepted together). ``accept_coverage <= 0.9``
    selects at most 90 % of the samples, the most certain ones; NaN where the score is."""
    s = np.asarray(score, dtype=np.float64)
    out = np.full(s.shape, np.nan)
    ok = np.isfinite(s)
    if ok.any():
        ranked = np.sort(s[ok])
        out[ok] = np.searchsorted(ranked, s[ok], side="right") / len(s)
    return out


def coverage_key(c: float) -> str:
    return f"accuracy_at_{int(round(c * 100))}_coverage"


def score_summary(score: np.ndarray, correct: np.ndarray) -> dict[str, float]:
    """AUROC, AURC, E-AURC and accuracy at :data:`COVERAGES` of one score."""
    out = {"auroc_wrong": misclassification_auroc(score, correct), "aurc": aurc(score, correct),
           "eaurc": eaurc(score, correct)}
    out.update({coverage_key(c): accuracy_at_coverage(score, correct, c) for c in COVERAGES})
    return out


def summary(columns: dict[str, Any]) -> dict[str, Any]:
    """The flat selective-prediction metrics of a record (``correct`` and the score columns):
    ``auroc_wrong_<score>`` for every defined score, and ``aurc``, ``eaurc`` and accuracy at
    each coverage for the :data:`RANKING` score. NaN where undefined (no error at all)."""
    correct = np.asarray(columns["correct"], dtype=bool)
    scores = scores_of(columns)
    out: dict[str, Any] = {f"auroc_wrong_{name}": misclassification_auroc(x, correct)
                           for name, x in scores.items()}
    if RANKING in scores:
        s = score_summary(scores[RANKING], correct)
        out.update({k: v for k, v in s.items() if k != "auroc_wrong"})
    return out


def plot_risk_coverage(ax, scores: dict[str, np.ndarray], correct: np.ndarray, title: str) -> None:
    """Risk vs coverage of every score on ``ax``, with the ideal ranking and the overall error."""
    correct = np.asarray(correct, dtype=bool)
    n = len(correct)
    cov = np.arange(1, n + 1) / max(n, 1)
    for name, x in scores.items():
        _, risk = risk_coverage(x, correct)
        auc = misclassification_auroc(x, correct)
        ax.plot(cov, risk, lw=1.2, label=f"{LABELS.get(name, name)}: AURC {risk.mean():.4f}, "
                                         f"AUROC {auc:.3f}")
    ax.plot(cov, _ideal_risk(correct), "k:", lw=1, label="ideal ranking")
    ax.axhline(float((~correct).mean()) if n else 0.0, color="0.5", lw=0.8, ls="--",
               label="no rejection")
    for c in COVERAGES:
        ax.axvline(c, color="0.8", lw=0.6)
    ax.set(xlim=(0, 1), ylim=(0, None), xlabel="coverage (most certain first)",
           ylabel="risk (error rate among accepted)", title=title)
    ax.legend(fontsize=6, loc="upper left")


def risk_coverage_figure(scores: dict[str, np.ndarray], correct: np.ndarray, path: str | Path,
                         title: str) -> Path:
    """Save :func:`plot_risk_coverage` as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    plot_risk_coverage(ax, scores, correct, title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
