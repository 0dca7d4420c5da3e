"""Out-of-distribution detection: the AUROC of an uncertainty score."""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def auroc(score_in: np.ndarray, score_out: np.ndarray) -> float:
    """P(score_out > score_in) + 0.5 P(tie): the Mann-Whitney form of the ROC area.

    1.0 means every out-of-distribution sample is more uncertain than every
    in-distribution one; 0.5 is chance.
    """
    a, b = np.asarray(score_in, dtype=np.float64), np.asarray(score_out, dtype=np.float64)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("AUROC needs in- and out-of-distribution samples")
    ranks = rankdata(np.concatenate([a, b]))           # average ranks for ties
    return float((ranks[len(a):].sum() - len(b) * (len(b) + 1) / 2) / (len(a) * len(b)))
