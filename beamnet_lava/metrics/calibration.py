"""Calibration: expected calibration error and the reliability diagram."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.special


def reliability_bins(prob: np.ndarray, labels: np.ndarray, n_bins: int = 15):
    """Per equal-width confidence bin: (lower edge, count, mean confidence, accuracy)."""
    prob = np.asarray(prob, dtype=np.float64)
    conf = prob.max(axis=1)
    correct = prob.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        m = which == b
        rows.append((edges[b], int(m.sum()), float(conf[m].mean()) if m.any() else np.nan,
                     float(correct[m].mean()) if m.any() else np.nan))
    return rows


def ece(prob: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error with ``n_bins`` equal-width confidence bins."""
    n = len(labels)
    if n == 0:
        return 0.0
    return float(sum(c / n * abs(conf - acc) for _, c, conf, acc in reliability_bins(prob, labels, n_bins)
                     if c))


def nll(prob: np.ndarray, labels: np.ndarray) -> float:
    p = np.asarray(prob)[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(p, 1e-12, None)).mean())


def plot_reliability(ax, ax_count, prob: np.ndarray, labels: np.ndarray, title: str,
                     n_bins: int = 15) -> None:
    """Reliability diagram on ``ax`` and the number of samples per bin on ``ax_count``.

    The count panel matters: with 2,000 mostly confident samples the middle bins
    hold a handful each, and their 0 % / 100 % bars would otherwise read as
    miscalibration."""
    rows = reliability_bins(prob, labels, n_bins)
    width = 1.0 / n_bins
    used = [r for r in rows if r[1]]
    lo = [r[0] for r in used]
    ax.bar(lo, [r[3] for r in used], width=width, align="edge", edgecolor="k", label="accuracy")
    ax.bar(lo, [r[2] for r in used], width=width, align="edge", fill=False, edgecolor="tab:red",
           hatch="//", label="mean confidence")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy",
           title=f"{title}\nECE ({n_bins} bins) = {ece(prob, labels, n_bins):.4f}")
    ax.tick_params(labelbottom=False)
    ax.legend(loc="upper left", fontsize=8)
    ax_count.bar([r[0] for r in rows], [max(r[1], 0) for r in rows], width=width, align="edge",
                 color="0.6", edgecolor="k")
    for r in used:
        ax_count.annotate(str(r[1]), (r[0] + width / 2, r[1]), ha="center", va="bottom", fontsize=6)
    ax_count.set_yscale("symlog", linthresh=1)
    ax_count.set(xlim=(0, 1), xlabel="confidence", ylabel="samples")


def reliability_diagram(prob: np.ndarray, labels: np.ndarray, path: str | Path, title: str,
                        n_bins: int = 15) -> Path:
    """Save :func:`plot_reliability` (diagram over a per-bin sample count panel) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax_count) = plt.subplots(2, 1, figsize=(4.5, 5.6), sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1]})
    plot_reliability(ax, ax_count, prob, labels, title, n_bins)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def brier(prob: np.ndarray, labels: np.ndarray) -> float:
    """Multi-class Brier score: mean over samples of ``sum_c (p_c - y_c)^2``."""
    return float(brier_per_sample(prob, labels).mean()) if len(labels) else 0.0


def brier_per_sample(prob: np.ndarray, labels: np.ndarray) -> np.ndarray:
    prob = np.asarray(prob, dtype=np.float64)
    onehot = np.eye(prob.shape[1])[np.asarray(labels)]
    return ((prob - onehot) ** 2).sum(axis=1)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities of ``(n, K)`` logits: ``scipy.special.softmax`` over the classes, float64."""
    return scipy.special.softmax(np.asarray(logits, dtype=np.float64), axis=1)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature scaling (Guo et al. 2017): the ``T`` minimising NLL of ``softmax(z / T)``.

    One scalar fitted on validation data; a log grid then a golden-section refine,
    so no optimiser state or random draw is involved.
    """
    from scipy.optimize import minimize_scalar

    logits = np.asarray(logits, dtype=np.float64)

    def loss(log_t: float) -> float:
        return nll(softmax(logits / np.exp(log_t)), labels)

    grid = np.linspace(np.log(1e-3), np.log(1e3), 61)
    best = grid[int(np.argmin([loss(g) for g in grid]))]
    res = minimize_scalar(loss, bounds=(best - 0.25, best + 0.25), method="bounded",
                          options={"xatol": 1e-6})
    return float(np.exp(res.x if res.fun <= loss(best) else best))
