"""``compare`` over seeds: runs grouped by configuration, with bootstrap CIs (metrics/statistics.py).

Runs whose ``config.json`` agree on every key but ``seed`` (and where the data was
read from, ``data_dir``) form one group. Per metric a group reports the mean, the
standard deviation and the 95 % bootstrap CI **over seeds** (one value per run,
from compare's per-run table). A group of one run has no seeds to resample: its
per-sample metrics (accuracy, NLL, Brier, energy) get a CI **over the test samples**
of that run instead, and metrics that are not per-sample means (ECE, AUROC) none.

Every group after the first is compared with the first: the CI of the difference,
paired by seed when both groups ran the same seeds (the same seed gives the same split,
hence the same test samples), and "not distinguishable" when it contains 0.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation import records
from beamnet_lava.evaluation.records import records_dir
from beamnet_lava.metrics import statistics

IGNORED = ("seed", "data_dir", "split_description")
# compare's per-run metrics summarised over seeds (OOD AUROCs are added per set)
METRICS = ("accuracy", "ece", "nll", "brier", "active_fraction", "energy_nJ",
           "auroc_wrong_total", "auroc_wrong_aleatoric", "auroc_wrong_epistemic",
           "auroc_wrong_confidence", "aurc", "eaurc", "accuracy_at_90_coverage",
           "accuracy_at_95_coverage")
# the per-sample column whose mean is each metric: the test-sample unit for a single run
PER_SAMPLE = {"accuracy": "correct", "nll": "p_label", "brier": "brier", "energy_nJ": "energy_nJ",
              "active_fraction": "active_fraction"}
SEEDS, SAMPLES = "seeds", "test samples"


def _config(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / "config.json"
    if not path.is_file():       # an evaluation folder of an exported file: its own group
        return {"run": str(run_dir)}
    cfg = records.read_json(path)
    return {k: v for k, v in cfg.items() if k not in IGNORED}


@dataclass
class Group:
    key: dict[str, Any]
    rows: list[dict[str, Any]]
    label: str = ""

    @property
    def seeds(self) -> list[Any]:
        return [r.get("seed") for r in self.rows]


def group_rows(rows: list[dict[str, Any]]) -> list[Group]:
    """compare's per-run rows grouped by config (seed ignored), in first-seen order, labelled
    by the model and the config keys that differ between groups."""
    groups: list[Group] = []
    for r in rows:
        cfg = _config(r["run"])
        for g in groups:
            if g.key == cfg:
                if r.get("seed") in g.seeds:
                    raise BeamnetError(f"{r['run']} repeats seed {r.get('seed')} of {g.rows[0]['run']} "
                                       "with the same config; give each run once")
                g.rows.append(r)
                break
        else:
            groups.append(Group(cfg, [r]))
    for g in groups:      # keys that tell this group from the other groups of its model
        model = g.key.get("model") or g.rows[0].get("model") or "run"
        same = [h for h in groups if h.key.get("model") == g.key.get("model")]
        keys = sorted({k for h in same for k in h.key if k != "model"})
        varying = [k for k in keys if len({json.dumps(h.key.get(k), sort_keys=True) for h in same}) > 1]
        g.label = " ".join([str(model)] + [f"{k}={g.key.get(k)}" for k in varying])
    return groups


def _per_sample(row: dict[str, Any], column: str) -> np.ndarray:
    import pyarrow.parquet as pq

    from beamnet_lava.evaluation import records

    path = records_dir(row["run"]) / records.PREDICTIONS
    x = pq.read_table(path, columns=[column]).column(column).to_numpy().astype(np.float64)
    return -np.log(np.maximum(x, 1e-12)) if column == "p_label" else x   # NLL as compare's SQL


def _metric_names(rows: list[dict[str, Any]]) -> list[str]:
    oods = sorted({k for r in rows for k in r.get("ood_auroc", {})})
    return [m for m in METRICS if any(r.get(m) is not None for r in rows)] + [f"ood_auroc_{o}" for o in oods]


def _value(row: dict[str, Any], metric: str) -> float:
    if metric.startswith("ood_auroc_"):
        v = row.get("ood_auroc", {}).get(metric[len("ood_auroc_"):])
    else:
        v = row.get(metric)
    return np.nan if v is None else float(v)


def _estimate(g: Group, metric: str) -> statistics.Estimate | None:
    if len(g.rows) > 1:
        return statistics.estimate([_value(r, metric) for r in g.rows], SEEDS)
    if metric in PER_SAMPLE:
        return statistics.estimate(_per_sample(g.rows[0], PER_SAMPLE[metric]), SAMPLES)
    return None


def _difference(g: Group, ref: Group, metric: str) -> statistics.Difference | None:
    if len(g.rows) > 1 and len(ref.rows) > 1:
        by_a = {r.get("seed"): _value(r, metric) for r in g.rows}
        by_b = {r.get("seed"): _value(r, metric) for r in ref.rows}
        if set(by_a) == set(by_b):
            seeds = sorted(by_a)
            return statistics.difference([by_a[s] for s in seeds], [by_b[s] for s in seeds], SEEDS, True)
        return statistics.difference(list(by_a.values()), list(by_b.values()), SEEDS, False)
    if len(g.rows) == 1 and len(ref.rows) == 1 and metric in PER_SAMPLE:
        a, b = (_per_sample(x.rows[0], PER_SAMPLE[metric]) for x in (g, ref))
        same = g.rows[0].get("split") == ref.rows[0].get("split") and len(a) == len(b)
        return statistics.difference(a, b, SAMPLES, same)
    return None        # one group has seeds, the other a single run: no common unit


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Groups with per-metric estimates, and each group's difference from the first group."""
    groups = group_rows(rows)
    metrics = _metric_names(rows)
    out_groups, diffs = [], []
    for g in groups:
        est = {m: _estimate(g, m) for m in metrics}
        out_groups.append({"label": g.label, "runs": [r["run"] for r in g.rows], "seeds": g.seeds,
                           "metrics": {m: e.to_dict() for m, e in est.items() if e is not None}})
    ref = groups[0]
    for g in groups[1:]:
        d = {m: _difference(g, ref, m) for m in metrics}
        diffs.append({"group": g.label, "reference": ref.label,
                      "metrics": {m: x.to_dict() for m, x in d.items() if x is not None}})
    return {"confidence": statistics.CONFIDENCE, "resamples": statistics.N_RESAMPLES,
            "groups": out_groups, "differences": diffs}


LABELS = {"accuracy": "accuracy", "ece": "ECE (15 bins)", "nll": "NLL", "brier": "Brier",
          "active_fraction": "active fraction", "energy_nJ": "energy / inference nJ",
          "auroc_wrong_total": "error AUROC, total", "auroc_wrong_aleatoric": "error AUROC, aleatoric",
          "auroc_wrong_epistemic": "error AUROC, epistemic",
          "auroc_wrong_confidence": "error AUROC, confidence", "aurc": "AURC (total)",
          "eaurc": "E-AURC (total)", "accuracy_at_90_coverage": "accuracy at 90 % coverage",
          "accuracy_at_95_coverage": "accuracy at 95 % coverage"}


def _fmt(x: float, sign: str = "") -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{0.0 if abs(x) < 1e-12 else x:{sign}.4g}"     # float noise of an exact 0 shows as 0


def render(stats: dict[str, Any], rows: list[dict[str, Any]]):
    """The grouped statistics as rich tables (one for the groups, one for the differences)."""
    from rich.console import Group as RichGroup
    from rich.table import Table

    pct = int(round(stats["confidence"] * 100))
    t = Table(title=f"grouped by config (seed ignored): mean ± std [{pct} % bootstrap CI], unit")
    t.add_column("metric")
    for g in stats["groups"]:
        t.add_column(f"{g['label']}\n{len(g['runs'])} run(s), seeds {','.join(map(str, g['seeds']))}",
                     justify="right")
    names = list(_metric_names(rows))

    def label(m: str) -> str:
        return LABELS.get(m, m.replace("ood_auroc_", "OOD AUROC "))

    def unit(e: dict) -> str:
        return "seeds" if e["unit"] == SEEDS else "samples"

    for m in names:
        cells = []
        for g in stats["groups"]:
            e = g["metrics"].get(m)
            cells.append("n/a (one run; ECE/AUROC need seeds)" if e is None else
                         f"{_fmt(e['mean'])} ± {_fmt(e['std'])} [{_fmt(e['low'])}, {_fmt(e['high'])}] "
                         f"{unit(e)}")
        t.add_row(label(m), *cells)
    parts = [t]
    if stats["differences"]:
        d = Table(title=f"difference from {stats['groups'][0]['label']}: delta [{pct} % bootstrap CI]")
        d.add_column("metric")
        for x in stats["differences"]:
            d.add_column(x["group"], justify="right")
        for m in names:
            cells = []
            for x in stats["differences"]:
                v = x["metrics"].get(m)
                cells.append("n/a (no common unit)" if v is None else
                             f"{_fmt(v['delta'], '+')} [{_fmt(v['low'])}, {_fmt(v['high'])}] {v['verdict']} "
                             f"({unit(v)}{', paired' if v['paired'] else ''})")
            d.add_row(label(m), *cells)
        parts.append(d)
    return RichGroup(*parts)
