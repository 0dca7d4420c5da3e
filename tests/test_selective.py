"""Selective prediction (metrics/selective.py): misclassification AUROC, risk-coverage, AURC."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from beamnet_lava.metrics import selective


def test_risk_coverage_aurc_and_accuracy_at_coverage_by_hand():
    # most certain first: 0.1 (ok), 0.2 (wrong), 0.3 (ok), 0.4 (wrong)
    score = np.array([0.3, 0.1, 0.4, 0.2])
    correct = np.array([True, True, False, False])
    cov, risk = selective.risk_coverage(score, correct)
    assert cov.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert risk == pytest.approx([0.0, 1 / 2, 1 / 3, 2 / 4])
    assert selective.aurc(score, correct) == pytest.approx((0 + 0.5 + 1 / 3 + 0.5) / 4)
    ideal = (0 + 0 + 1 / 3 + 2 / 4) / 4                     # both errors last
    assert selective.eaurc(score, correct) == pytest.approx((0.5 + 1 / 3 + 0.5) / 4 - ideal)
    assert selective.accuracy_at_coverage(score, correct, 0.5) == pytest.approx(0.5)
    assert selective.accuracy_at_coverage(score, correct, 0.26) == pytest.approx(0.5)  # ceil: 2 samples
    assert selective.accuracy_at_coverage(score, correct, 0.25) == pytest.approx(1.0)
    # AUROC for "wrong": pairs (wrong, right) ranked right: (0.4 > 0.3, 0.4 > 0.1, 0.2 > 0.1) = 3 of 4
    assert selective.misclassification_auroc(score, correct) == pytest.approx(3 / 4)


def test_ties_are_the_expectation_over_orders_inside_the_tie():
    rng = np.random.default_rng(0)
    score = rng.integers(0, 3, size=7).astype(float)      # many ties
    correct = rng.random(7) < 0.6
    _, risk = selective.risk_coverage(score, correct)
    # brute force: mean risk curve over every order that sorts the scores
    curves = []
    for perm in itertools.permutations(range(7)):
        s = score[list(perm)]
        if np.all(np.diff(s) >= 0):
            wrong = ~correct[list(perm)]
            curves.append(np.cumsum(wrong) / np.arange(1, 8))
    assert risk == pytest.approx(np.mean(curves, axis=0))
    # and the result does not depend on the samples' order
    perm = rng.permutation(7)
    assert selective.risk_coverage(score[perm], correct[perm])[1] == pytest.approx(risk)


def test_perfect_and_reversed_rankings():
    correct = np.array([True] * 8 + [False] * 2)
    good = np.arange(10.0)                       # errors most uncertain
    assert selective.misclassification_auroc(good, correct) == 1.0
    assert selective.eaurc(good, correct) == pytest.approx(0.0, abs=1e-15)
    assert selective.accuracy_at_coverage(good, correct, 0.8) == 1.0
    bad = -good
    assert selective.misclassification_auroc(bad, correct) == 0.0
    assert selective.accuracy_at_coverage(bad, correct, 0.9) == pytest.approx(7 / 9)
    # a constant score cannot rank: every coverage has the overall risk
    flat = np.zeros(10)
    assert selective.risk_coverage(flat, correct)[1] == pytest.approx(np.full(10, 0.2))
    assert selective.misclassification_auroc(flat, correct) == 0.5


def test_undefined_and_invalid_inputs():
    assert math.isnan(selective.misclassification_auroc([0.1, 0.2], [True, True]))
    with pytest.raises(ValueError, match="finite"):
        selective.aurc([0.1, np.nan], [True, False])
    with pytest.raises(ValueError, match="equal-length"):
        selective.aurc([0.1, 0.2], [True])
    with pytest.raises(ValueError, match="coverage"):
        selective.accuracy_at_coverage([0.1], [True], 0.0)


def test_scores_of_records_and_summary():
    cols = {"correct": np.array([True, False, True]), "total": np.array([0.1, 0.9, 0.2]),
            "aleatoric": np.full(3, np.nan), "epistemic": np.full(3, np.nan),
            "confidence": np.array([0.9, 0.4, 0.8])}
    scores = selective.scores_of(cols)
    assert set(scores) == {"total", "confidence"}                    # the baselines' NaN split left out
    assert scores["confidence"] == pytest.approx([0.1, 0.6, 0.2])     # 1 - confidence
    s = selective.summary(cols)
    assert s["auroc_wrong_total"] == 1.0 and s["auroc_wrong_confidence"] == 1.0
    assert s["accuracy_at_95_coverage"] == pytest.approx(2 / 3)      # ceil(0.9 x 3) = 3 accepted
    assert "auroc_wrong_epistemic" not in s
    assert s["accuracy_at_90_coverage"] == pytest.approx(2 / 3) and s["eaurc"] == pytest.approx(0.0, abs=1e-15)


def test_acceptance_coverage_selects_at_most_the_coverage():
    score = np.array([0.5, 0.1, 0.5, 0.3, np.nan])
    acc = selective.acceptance_coverage(score)
    assert acc[:4] == pytest.approx([4 / 5, 1 / 5, 4 / 5, 2 / 5]) and np.isnan(acc[4])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=40))
def test_excess_aurc_is_never_negative_and_monotone_maps_change_nothing(rows):
    score = np.array([r[0] for r in rows], dtype=float)
    correct = np.array([r[1] for r in rows])
    e = selective.eaurc(score, correct)
    assert e >= -1e-12
    assert selective.aurc(np.exp(score), correct) == pytest.approx(selective.aurc(score, correct))
    risk = selective.risk_coverage(score, correct)[1]
    assert risk[-1] == pytest.approx((~correct).mean())


def test_risk_coverage_figure(tmp_path):
    rng = np.random.default_rng(1)
    correct = rng.random(50) < 0.8
    scores = {"total": rng.random(50) + ~correct, "confidence": rng.random(50)}
    path = selective.risk_coverage_figure(scores, correct, tmp_path / "rc.png", "test")
    assert path.stat().st_size > 5000
