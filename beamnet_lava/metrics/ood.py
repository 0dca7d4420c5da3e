"""Out-of-distribution detection: the AUROC of an uncertainty score."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def auroc(score_in: np.ndarray, score_out: np.ndarray) -> float:
    """ROC area of ``score`` separating out-of-distribution (positive) from in-distribution samples.

    ``sklearn.metrics.roc_auc_score``: ``P(score_out > score_in) + 0.5 P(tie)``.
    1.0 means every out-of-distribution sample is more uncertain than every
    in-distribution one; 0.5 is chance.
    """
    a, b = np.asarray(score_in, dtype=np.float64), np.asarray(score_out, dtype=np.float64)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("AUROC needs in- and out-of-distribution samples")
    truth = np.concatenate([np.zeros(len(a)), np.ones(len(b))])
    return float(roc_auc_score(truth, np.concatenate([a, b])))
