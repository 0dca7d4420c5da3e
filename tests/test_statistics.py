"""Bootstrap statistics of compare: synthetic cases whose answer is known in closed form."""
import json
import math

import numpy as np
import pytest

from beamnet_lava.evaluation import groups
from beamnet_lava.evaluation.compare import split_family
from beamnet_lava.metrics import statistics


def test_mean_ci_matches_the_normal_theory_interval():
    # n = 2,000 draws of N(0.7, 0.1^2): the CI of the mean is 0.7 +- 1.96 * 0.1 / sqrt(n)
    x = np.random.default_rng(1).normal(0.7, 0.1, 2000)
    e = statistics.estimate(x, "test samples")
    half = 1.96 * x.std(ddof=1) / math.sqrt(len(x))
    assert e.mean == pytest.approx(x.mean()) and e.std == pytest.approx(x.std(ddof=1))
    assert e.low == pytest.approx(x.mean() - half, abs=0.1 * half)
    assert e.high == pytest.approx(x.mean() + half, abs=0.1 * half)
    assert e.n == 2000 and e.unit == "test samples"


def test_accuracy_ci_over_test_samples_is_the_binomial_one():
    # 324 of 360 correct: p = 0.9, normal-approximation half width 1.96 sqrt(p (1 - p) / n) = 0.031
    correct = np.r_[np.ones(324), np.zeros(36)]
    e = statistics.estimate(correct, "test samples")
    half = 1.96 * math.sqrt(0.9 * 0.1 / 360)
    assert e.mean == pytest.approx(0.9)
    assert (e.high - e.low) / 2 == pytest.approx(half, rel=0.1)


def test_constant_values_have_a_point_interval_and_one_value_none():
    e = statistics.estimate([0.25] * 5, "seeds")
    assert (e.mean, e.std, e.low, e.high) == (0.25, 0.0, 0.25, 0.25)
    one = statistics.estimate([0.3], "seeds")
    assert one.mean == 0.3 and math.isnan(one.std) and math.isnan(one.low) and math.isnan(one.high)


def test_paired_difference_known_shift_and_no_shift():
    base = np.random.default_rng(2).normal(0.9, 0.02, 5)       # five seeds
    shifted = statistics.difference(base + 0.01, base, "seeds", paired=True)
    assert (shifted.delta, shifted.low, shifted.high) == pytest.approx((0.01, 0.01, 0.01))
    assert shifted.distinguishable and shifted.verdict == "higher"
    same = statistics.difference(base, base, "seeds", paired=True)
    assert same.delta == 0 and not same.distinguishable and same.verdict == "not distinguishable"


def test_independent_difference_matches_the_two_sample_interval():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.5, 1.0, 800), rng.normal(0.0, 1.0, 800)
    d = statistics.difference(a, b, "test samples", paired=False)
    half = 1.96 * math.sqrt(a.var(ddof=1) / 800 + b.var(ddof=1) / 800)
    assert d.delta == pytest.approx(a.mean() - b.mean())
    assert (d.high - d.low) / 2 == pytest.approx(half, rel=0.1)
    assert d.distinguishable and not d.paired
    # two groups drawn from one distribution: the interval covers 0
    noise = statistics.difference(rng.normal(0, 1, 800), rng.normal(0, 1, 800), "test samples", False)
    assert noise.low < 0 < noise.high and noise.verdict == "not distinguishable"


def test_the_bootstrap_is_reproducible():
    x = np.random.default_rng(4).random(7)
    assert statistics.estimate(x, "seeds") == statistics.estimate(x, "seeds")


def _run(tmp, name, cfg, seed, metrics):
    d = tmp / name
    d.mkdir()
    (d / "config.json").write_text(json.dumps({**cfg, "seed": seed, "split_description": f"s seed={seed}"}))
    return {"run": str(d), "model": cfg["model"], "seed": seed, "split": f"s seed={seed}",
            "ood_auroc": {}, **metrics}


def test_groups_by_config_ignoring_the_seed_with_paired_seed_differences(tmp_path):
    a = {"model": "beamnet", "n_memory": 100, "lr": 1e-3}
    b = {"model": "beamnet", "n_memory": 150, "lr": 1e-3}
    acc_a = [0.95, 0.96, 0.94, 0.97, 0.95]
    rows = ([_run(tmp_path, f"a{s}", a, s, {"accuracy": v, "ece": 0.02}) for s, v in enumerate(acc_a)]
            + [_run(tmp_path, f"b{s}", b, s, {"accuracy": v + 0.02, "ece": 0.02}) for s, v in enumerate(acc_a)])
    rep = groups.report(rows)
    assert [g["label"] for g in rep["groups"]] == ["beamnet n_memory=100", "beamnet n_memory=150"]
    ga = rep["groups"][0]["metrics"]["accuracy"]
    assert ga["mean"] == pytest.approx(np.mean(acc_a)) and ga["std"] == pytest.approx(np.std(acc_a, ddof=1))
    assert ga["unit"] == "seeds" and ga["n"] == 5 and ga["low"] < ga["mean"] < ga["high"]
    diff = rep["differences"][0]["metrics"]
    assert diff["accuracy"]["paired"] and diff["accuracy"]["delta"] == pytest.approx(0.02)
    assert diff["accuracy"]["verdict"] == "higher"               # +0.02 on every seed
    assert diff["ece"]["verdict"] == "not distinguishable"       # equal on every seed
    from rich.console import Console

    console = Console(record=True, width=250)
    console.print(groups.render(rep, rows))
    text = console.export_text()
    assert "+0.02 [" in text and "higher (seeds, paired)" in text
    assert "not distinguishable (seeds, paired)" in text and "ECE (15 bins)" in text


def test_splits_differing_only_in_seed_are_one_family():
    assert split_family("digits; seeded split seed=3 fractions=(0.6, 0.2, 0.2)") == \
        split_family("digits; seeded split seed=0 fractions=(0.6, 0.2, 0.2)")
    assert split_family("digits; seed=0 fractions=(0.6, 0.2, 0.2)") != \
        split_family("digits; seed=0 fractions=(0.8, 0.1, 0.1)")
