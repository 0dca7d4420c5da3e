"""``beamnet-lava compare``: runs side by side, computed with DuckDB over their Parquet records.

Each run contributes its per-sample test predictions (``evaluation/`` if the
run was evaluated, else the ones written at training) and any OOD records next
to them. DuckDB (embedded, no server) is the query engine over those files: it
selects and aggregates the columns, and the calibration and OOD metrics (ECE,
NLL, Brier, AUROC) are computed from the selected columns by
:mod:`beamnet_lava.metrics`, the same functions ``evaluate`` uses, so anyone can
recompute every number from the records alone.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import rundir
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation import records
from beamnet_lava.evaluation.records import records_dir
from beamnet_lava.io_utils import atomic_path, refuse_overwrite
from beamnet_lava.metrics import selective
from beamnet_lava.metrics.calibration import brier, ece, nll
from beamnet_lava.metrics.ood import auroc

N_BINS = 15
#: what an ingested INRC job measured (beamnet_lava/deploy/ingest.py), shown when present
MEASURED = ("measured_on", "agreement_with_cpu", "energy_per_inference_mJ", "time_per_step_us")

# DuckDB selects and aggregates the records; the metrics come from beamnet_lava.metrics.
_SUMMARY = """
SELECT count(*) AS n_samples,
       avg(correct::DOUBLE) AS accuracy,
       avg(active_fraction) AS active_fraction,
       avg(spikes) AS spikes_per_sample,
       avg(energy_nJ) AS energy_nJ,
       avg(energy_mem_nJ) AS energy_mem_nJ,
       avg(windows) AS windows_mean
FROM read_parquet($path)
"""
_PROBABILITIES = "SELECT label, COLUMNS('^p[0-9]+$') FROM read_parquet($path)"
_OOD_SCORE = "SELECT ood_score FROM read_parquet($path)"
_SCORES = "SELECT correct, total, aleatoric, epistemic, confidence FROM read_parquet($path)"


def split_family(description: str | None) -> str | None:
    """A split description with its seed blanked: runs of one config over seeds share it."""
    return None if description is None else re.sub(r"seed=\d+", "seed=*", description)


def _calibration(con, path: str) -> dict[str, float]:
    """ECE (15 bins), NLL and Brier of the record's class probabilities (:mod:`beamnet_lava.metrics`)."""
    cols = con.execute(_PROBABILITIES, {"path": path}).fetchnumpy()
    labels = np.asarray(cols.pop("label"), dtype=np.int64)
    names = sorted(cols, key=lambda c: int(c[1:]))
    if not names:
        raise BeamnetError(f"{path} holds no class probability columns p0, p1, ...; re-run the "
                           "command that wrote it with this version")
    prob = np.column_stack([np.asarray(cols[c], dtype=np.float64) for c in names])
    if names != [f"p{k}" for k in range(len(names))] or labels.min() < 0 or labels.max() >= len(names) \
            or not np.isfinite(prob).all() or (prob < 0).any() or \
            not np.allclose(prob.sum(1), 1.0, atol=1e-3):
        raise BeamnetError(f"{path}: its labels or class probabilities are not valid (labels in "
                           f"0..{len(names) - 1}, probabilities >= 0 summing to 1): a damaged or "
                           "edited record; re-run the command that wrote it")
    return {"nll": nll(prob, labels), "brier": brier(prob, labels), "ece": ece(prob, labels, N_BINS)}


def _selective(con, path: str) -> dict[str, float | None]:
    """Misclassification AUROC per score, AURC, E-AURC and accuracy at 90 / 95 % coverage
    (:mod:`beamnet_lava.metrics.selective`); None where undefined (no wrong prediction)."""
    cols = con.execute(_SCORES, {"path": path}).fetchnumpy()
    out = selective.summary({k: np.asarray(v) for k, v in cols.items()})
    return {k: float(v) if v is not None and np.isfinite(v) else None for k, v in out.items()}


def _ood_auroc(con, inside: str, outside: str) -> float:
    score = lambda path: np.asarray(con.execute(_OOD_SCORE, {"path": path}).fetchnumpy()["ood_score"])  # noqa: E731
    return auroc(score(inside), score(outside))


def summarize_run(run_dir: str | Path) -> dict[str, Any]:
    import duckdb

    folder = records_dir(run_dir)
    path = folder / records.PREDICTIONS
    meta = records.check_predictions(path)
    rundir.check_consistent(run_dir, [path, *sorted(folder.glob("ood_*.parquet"))], records.read_meta)
    con = duckdb.connect()
    try:
        row = con.execute(_SUMMARY, {"path": str(path)}).fetchone()
        cols = [c[0] for c in con.description]
        out: dict[str, Any] = {"run": str(run_dir), "model": meta.get("model"),
                               "dataset": meta.get("dataset"), "split": meta.get("split"),
                               "seed": meta.get("seed"), **dict(zip(cols, row))}
        out.update(_calibration(con, str(path)))
        out.update(_selective(con, str(path)))
        out["ood_auroc"] = {}
        for f in sorted(folder.glob("ood_*.parquet")):
            records.check_predictions(f)
            name = f.stem[len("ood_"):]
            out["ood_auroc"][name] = _ood_auroc(con, str(path), str(f))
    except duckdb.Error as exc:
        raise BeamnetError(f"DuckDB could not read the records in {folder}: {exc}") from None
    finally:
        con.close()
    metrics = Path(run_dir) / "metrics.json"
    if metrics.is_file():
        m = records.read_json(metrics)
        out["parameters"] = m.get("parameters")
        out.update({k: m[k] for k in MEASURED if k in m})   # records of `beamnet-lava ingest`
        _check_measured(metrics, out)
    return out


def _check_measured(path: Path, row: dict[str, Any]) -> None:
    """The fields of metrics.json a comparison shows, each of its type (tampered: one line)."""
    def number(v, lo=0.0, hi=np.inf) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi

    def fails(key: str) -> bool:
        v = row.get(key)
        if v is None:
            return False
        if key == "parameters":
            return not (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
        if key == "measured_on":
            return not isinstance(v, str)
        if key == "time_per_step_us":
            return not number(v)
        if key == "agreement_with_cpu":
            return not (isinstance(v, dict) and all(number(v.get(k), 0.0, 1.0)
                                                    for k in ("spike_trains", "predictions")))
        if key == "energy_per_inference_mJ":
            return not (isinstance(v, dict) and all(number(v.get(k)) for k in ("total", "dynamic")))
        return False

    bad = [k for k in ("parameters", *MEASURED) if fails(k)]
    if bad:
        raise BeamnetError(f"{path}: '{bad[0]}' is {row[bad[0]]!r}"[:160] + ", not what beamnet-lava "
                           "writes there (a damaged or edited record); re-run the command that wrote it")


def compare(run_dirs: list[str | Path], figure: str | Path | None = None,
            force: bool = False) -> list[dict[str, Any]]:
    if not run_dirs:
        raise BeamnetError("give one or more run directories to compare")
    rows = [summarize_run(d) for d in run_dirs]
    splits = {split_family(r["split"]) for r in rows}      # seeds differ: evaluation/groups.py
    if len(splits) > 1:
        raise BeamnetError("these runs were tested on different splits, so their numbers are not "
                           "comparable: " + "; ".join(f"{r['run']}: {r['split']}" for r in rows))
    if figure is not None:
        from beamnet_lava.evaluation.groups import group_rows

        group_rows(rows)          # the grouping's refusals come before any figure is written
        figure_plot(rows, figure, force)
    return rows


def figure_plot(rows: list[dict[str, Any]], path: str | Path, force: bool = False) -> Path:
    """The comparison figure as a PNG at ``path`` (written only when asked: ``--figure``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    refuse_overwrite(Path(path), force)
    names = [f"{r['model']}\n{Path(r['run']).name}" for r in rows]
    oods = sorted({k for r in rows for k in r["ood_auroc"]})
    panels = [("accuracy", [r["accuracy"] for r in rows], None),
              ("ECE (15 bins)", [r["ece"] for r in rows], None),
              ("energy / inference (nJ)", [r["energy_nJ"] for r in rows],
               [r["energy_mem_nJ"] for r in rows]),
              ("OOD AUROC", None, None)]
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    x = np.arange(len(rows))
    for ax, (title, vals, extra) in zip(axes, panels):
        if title == "OOD AUROC":
            width = 0.8 / max(len(oods), 1)
            for j, name in enumerate(oods):
                ax.bar(x + (j - (len(oods) - 1) / 2) * width, [r["ood_auroc"].get(name, np.nan) for r in rows], width, label=name)
            ax.set_ylim(0.4, 1.0)
            if oods:
                ax.legend(fontsize=7)
        elif extra is not None:
            # a linear axis with the values written on the bars: bars on a log axis start at
            # an arbitrary floor, so their heights would misstate the ratios between runs
            for dx, v, label in ((-0.2, vals, "per op (Loihi) / MACs (ANN)"),
                                 (0.2, extra, "+ weight reads (ANN)")):
                ax.bar_label(ax.bar(x + dx, v, 0.4, label=label), fmt="%.0f", fontsize=6)
            ax.margins(y=0.15)
            ax.legend(fontsize=7)
        else:
            ax.bar(x, vals)
        ax.set_xticks(x, names, fontsize=7)
        ax.set_title(title, fontsize=9)
    fig.suptitle(f"test split: {rows[0]['split']}", fontsize=8)
    fig.tight_layout()
    with atomic_path(path, replace=force) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return Path(path)
