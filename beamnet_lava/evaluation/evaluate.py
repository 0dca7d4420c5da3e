"""``beamnet-lava evaluate``: the numbers a reviewer asks for, from one trained run.

Accuracy, NLL, Brier, ECE (15 bins) with a reliability diagram, active
fraction, energy per inference, uncertainties on correct vs wrong predictions,
windows used, and out-of-distribution AUROC of the model's uncertainty score;
a raster plot of one sample. Results go to ``<run>/evaluation/`` (or ``--out``)
as ``evaluation.json``, Parquet records and PNG figures.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

import beamnet_lava.evaluation.csnn_eval  # noqa: F401  (registers the CSNN's evaluation hooks)
import beamnet_lava.evaluation.lava_files  # noqa: F401  (registers the file_predictor hooks)
import beamnet_lava.evaluation.panels  # noqa: F401  (registers the raster hooks)
import beamnet_lava.evaluation.records as records
import beamnet_lava.netx_export  # noqa: F401  (registers the read hooks)
from beamnet_lava import budget, checks, rundir
from beamnet_lava.data.loading import load_data, model_inputs
from beamnet_lava.data.ood import make_ood, parse_ood
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation.predict import Predictions, predict, temperature
from beamnet_lava.families import family_of
from beamnet_lava.io_utils import write_json
from beamnet_lava.training.beamnet_train import fit_probe_temperature
from beamnet_lava.metrics.calibration import brier, ece, nll, reliability_diagram
from beamnet_lava.metrics.energy import load_constants
from beamnet_lava.metrics import selective
from beamnet_lava.metrics.ood import auroc
from beamnet_lava.netx_export.export import read_export
from beamnet_lava.sim_cpu.common import take_samples
from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S
from beamnet_lava.training.checkpoint import LoadedRun, load_run

EVALUATION_DIR = rundir.EVALUATION_DIR


def _mean(x: np.ndarray, mask: np.ndarray) -> float | None:
    vals = x[mask]
    return float(np.mean(vals)) if mask.any() and not np.all(np.isnan(vals)) else None


def summarize(p: Predictions) -> dict[str, Any]:
    """Every per-set metric of the evaluation from per-sample predictions."""
    ok = p.prediction == p.labels
    spoke = p.active_fraction > 0
    epi_c, epi_w = _mean(p.epistemic, ok), _mean(p.epistemic, ~ok)
    return {
        "n_samples": int(len(p.labels)), "accuracy": float(ok.mean()),
        "nll": nll(p.prob, p.labels), "brier": brier(p.prob, p.labels), "ece": ece(p.prob, p.labels),
        "active_fraction": float(p.active_fraction.mean()),
        "spikes_per_sample": float(p.spikes.mean()),
        "energy_per_inference_nJ": float(p.energy_nJ.mean()),
        "energy_with_memory_reads_nJ": float(p.energy_mem_nJ.mean()),
        "energy_model": p.energy_model,
        "windows_mean": float(p.windows.mean()),
        "windows_histogram": np.bincount(p.windows.astype(np.int64))[1:].tolist(),
        "uncertainty_score": p.score_name,
        "epistemic_correct": epi_c, "epistemic_wrong": epi_w,
        "epistemic_ratio_wrong_correct": (epi_w / epi_c) if epi_c and epi_w is not None else None,
        # among the samples whose neurons spiked: silent ones keep the prior (docs/beamnet.md)
        "epistemic_ratio_spiking": _ratio(_mean(p.epistemic, ~ok & spoke), _mean(p.epistemic, ok & spoke)),
        "aleatoric_correct": _mean(p.aleatoric, ok), "aleatoric_wrong": _mean(p.aleatoric, ~ok),
        "total_correct": _mean(p.total, ok), "total_wrong": _mean(p.total, ~ok),
        "min_aleatoric": None if np.all(np.isnan(p.aleatoric)) else float(np.nanmin(p.aleatoric)),
        "min_epistemic": None if np.all(np.isnan(p.epistemic)) else float(np.nanmin(p.epistemic)),
        **{k: _finite(v) for k, v in selective.summary(p.score_columns()).items()},
        "selective_ranking": selective.RANKING,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _finite(v: float) -> float | None:
    return float(v) if v is not None and np.isfinite(v) else None


def selective_report(p: Predictions) -> dict[str, dict[str, float | None]]:
    """Every defined uncertainty score's misclassification AUROC, AURC, E-AURC and accuracy
    at 90 / 95 % coverage (metrics/selective.py)."""
    ok = p.prediction == p.labels
    return {name: {k: _finite(v) for k, v in selective.score_summary(x, ok).items()}
            for name, x in selective.scores_of(p.score_columns()).items()}


def run_meta(run: LoadedRun, data_description: str, part: str, which: str) -> dict[str, Any]:
    cfg = run.config
    return {"model": cfg.model, "dataset": cfg.dataset, "split": data_description, "seed": cfg.seed,
            "part": part, "set": which, "run_dir": str(rundir.final_path(run.run_dir)),
            "run_id": rundir.run_id(run.run_dir) or ""}


def evaluate(target: str | Path, **kwargs) -> dict[str, Any]:
    """Evaluate a run directory (training model) or an exported ``.net`` file (on Lava)."""
    checks.run_options(samples=kwargs.get("samples"), lanes=kwargs.get("lanes"),
                       timeout_s=kwargs.get("timeout_s"))
    return evaluate_file(target, **kwargs) if Path(target).is_file() else evaluate_run(target, **kwargs)


LAVA_OPTIONS = {"precision": "--precision", "lanes": "--lanes", "timeout_s": "--timeout",
                "backend": "--backend", "workers": "--workers", "mapper": "--address"}


def evaluate_run(run_dir: str | Path, *, ood: str | None = "all", part: str = "test",
                 samples: int | None = None, loop: bool | None = None, out: str | Path | None = None,
                 data_dir: str | None = None, energy_constants: str | Path | None = None,
                 figures: bool = True, force: bool = False, uncertainty: str | None = None,
                 **lava: Any) -> dict[str, Any]:
    """Evaluate a run directory with its training model; writes records and figures.

    ``lava``: the Lava options of :func:`evaluate_file`; given for a run directory they
    are refused (the training model does not run on Lava)."""
    given = [LAVA_OPTIONS.get(k, k) for k, v in lava.items() if v is not None]
    if given:
        raise BeamnetError(f"{', '.join(given)} only apply to an exported .net file (simulated on "
                           f"Lava); {run_dir} is a run directory, evaluated with its training model")
    t0 = time.perf_counter()
    names = parse_ood(ood)
    constants = load_constants("loihi1", energy_constants)
    run = with_uncertainty(load_run(run_dir), uncertainty, run_dir)
    cfg = run.config
    _check_loop(loop, cfg, run_dir)
    data = load_data(cfg, data_dir)
    if getattr(cfg, "uncertainty", None) == "probe" and "probe_temperature" not in run.calibration:
        # a BEAM-Net run trained before the probe read-out had a temperature: fit it now (validation)
        run.calibration["probe_temperature"] = fit_probe_temperature(run.model, data)
    x, y = take_samples(model_inputs(cfg, data, part), data.part(part)[1], samples, cfg.dataset, part)
    t = (temperature(run, model_inputs(cfg, data, "val"), data.y_val)
         if family_of(cfg).probabilities == "temperature" else None)

    def predictor(xx: np.ndarray, yy: np.ndarray) -> Predictions:
        return predict(run, xx, yy, part, loop=loop, temperature_=t, constants=constants)

    calibration = {} if t is None else {"temperature": t,
                                        "calibration": "temperature fitted on the validation split"}
    return _evaluate(run, data.description, data.name, part, x, y, names, predictor,
                     rundir.evaluation_folder(run_dir, out), figures,
                     {"run_dir": str(run_dir), "backend": "training model",
                      "bidirectional": _loop_state(loop, cfg)}, calibration, t0, force)


def evaluate_file(path: str | Path, *, ood: str | None = "all", part: str = "test",
                  samples: int | None = None, loop: bool | None = None, out: str | Path | None = None,
                  data_dir: str | None = None, energy_constants: str | Path | None = None,
                  figures: bool = True, precision: str | None = None, backend: str | None = None,
                  lanes: int | str | None = None, timeout_s: float | None = None,
                  force: bool = False, uncertainty: str | None = None, workers: int | None = None,
                  mapper: Any = None) -> dict[str, Any]:
    """Evaluate an exported network by simulating it on Lava (every OOD set too); the file's
    family provides the predictor (its ``file_predictor`` hook). ``workers`` > 1 shards each
    Lava simulation's samples over ``mapper`` (default: one after another in this process)."""
    t0 = time.perf_counter()
    names = parse_ood(ood)
    constants = load_constants("loihi1", energy_constants)
    precision, backend = precision or "fixed", backend or "cpu"
    timeout_s = timeout_s or DEFAULT_TIMEOUT_S
    family, exported = read_export(path)
    file_predictor = family.hook("file_predictor", subject=path)
    if lanes is not None and not family.lanes:
        raise BeamnetError(f"--lanes does not apply to {path}, a {family.name} file ({family.title})")
    if workers is not None:
        from beamnet_lava.sim_cpu.shards import serial

        if not family.shards:
            raise BeamnetError(f"--workers does not apply to {path}, a {family.name} file "
                               f"({family.title}); it applies to SNN and CSNN files")
        if workers < 1:
            raise BeamnetError(f"--workers {workers} must be >= 1")
        mapper = mapper or serial
    run, predictor = file_predictor(
        exported, part=part, loop=loop, constants=constants, precision=precision, backend=backend,
        lanes=lanes, timeout_s=timeout_s, mapper=mapper, workers=workers)
    run = with_uncertainty(run, uncertainty, path)
    cfg = run.config
    _check_loop(loop, cfg, path)
    data = load_data(cfg, data_dir)
    x, y = take_samples(model_inputs(cfg, data, part), data.part(part)[1], samples, cfg.dataset, part)
    budget.check_run(len(y), x.shape[1], list(run.model.sizes[1:]), cfg.time_steps,
                     state=budget.F64)
    calibration = {} if "temperature" not in run.calibration else {
        "temperature": run.calibration["temperature"],
        "calibration": "temperature fitted on the validation split (stored in the file)"}
    return _evaluate(run, data.description, data.name, part, x, y, names, predictor,
                     rundir.evaluation_folder(path, out), figures,
                     {"file": str(path), "backend": f"lava {backend} {precision}",
                      "bidirectional": _loop_state(loop, cfg)}, calibration, t0, force)


def with_uncertainty(run: LoadedRun, uncertainty: str | None, where) -> LoadedRun:
    """``run`` read out with BEAM-Net's ``uncertainty`` mode (``window`` or ``probe``) instead of
    the one it was trained with: the readout changes, the trained network does not."""
    if uncertainty is None or uncertainty == getattr(run.config, "uncertainty", None):
        return run
    if not hasattr(run.config, "uncertainty"):         # a config without read-out modes
        raise BeamnetError(f"--uncertainty applies to BEAM-Net; {where} is {run.config.model}")
    cfg = dataclasses.replace(run.config, uncertainty=uncertainty)     # validates the value
    run.model.cfg = cfg
    return dataclasses.replace(run, config=cfg)


def _loop_state(loop: bool | None, cfg) -> bool:
    if not family_of(cfg).loop:
        return False
    return bool(cfg.bidirectional if loop is None else loop)


def _check_loop(loop: bool | None, cfg, where) -> None:
    if not loop:
        return
    if not family_of(cfg).loop:
        raise BeamnetError(f"--loop needs a BEAM-Net trained with max_windows >= 2; {where} is "
                           f"{cfg.model}")
    if cfg.max_windows < 2:
        raise BeamnetError(f"--loop needs a BEAM-Net trained with max_windows >= 2; {where} is "
                           f"{cfg.model} with max_windows={cfg.max_windows}")


def _evaluate(run: LoadedRun, split: str, data_name: str, part: str, x: np.ndarray, y: np.ndarray,
              names: list[str], predictor, out_dir: Path, figures: bool,
              where: dict[str, Any], calibration: dict[str, Any], t0: float,
              force: bool) -> dict[str, Any]:
    """Write the report, records and figures shared by both back-ends into ``out_dir``.

    The folder is built aside and swapped in whole (rundir.py), so it never
    mixes two evaluations (e.g. a stale ood_*.parquet); it records the run id
    of what was evaluated."""
    source = rundir.run_id(run.run_dir)
    with rundir.building(out_dir, rundir.EVALUATION, force=force, source_run_id=source) as built:
        report = _write_evaluation(run, split, data_name, part, x, y, names, predictor, built,
                                   figures, where)
        report.update(calibration)
        report["seconds"] = time.perf_counter() - t0
        report = rundir.relocate(report, built, out_dir)
        write_json(built / "evaluation.json", report)
    rundir.register(out_dir, source)
    return report


def _write_evaluation(run: LoadedRun, split: str, data_name: str, part: str, x: np.ndarray,
                      y: np.ndarray, names: list[str], predictor, out_dir: Path, figures: bool,
                      where: dict[str, Any]) -> dict[str, Any]:
    cfg = run.config
    pred = predictor(x, y)
    report: dict[str, Any] = {**where, "model": cfg.model, "dataset": cfg.dataset, "split": split,
                              "seed": cfg.seed, "part": part, "out_dir": str(out_dir),
                              **summarize(pred)}
    if "eta" in pred.extras:          # a Dirichlet readout's evidence scale (Eq. 12)
        report["eta"] = pred.extras["eta"]
        report["calibration"] = "eta (Eq. 12) fitted on the validation split" if cfg.fit_eta else "none"
        if "probe_temperature" in pred.extras:    # the probe read-out's own temperature
            t = pred.extras["probe_temperature"]
            report["probe_temperature"] = t
            report["calibration"] += (f"; the probe read-out's temperature T = {t:.3f} too" if t != 1.0 else
                                      "; the probe read-out not temperature-scaled (the file predates it)")
        report["active_fraction_per_step"] = pred.extras["active_fraction_per_step"]
    report["energy_breakdown_nJ"] = pred.extras.get("breakdown_nJ") or pred.extras.get("energy")
    report["selective"] = selective_report(pred)
    if "eq25_nJ" in pred.extras:      # BEAM-Net: Eq. 25 in measured form (metrics/energy.py)
        report["energy_eq25_nJ"] = pred.extras["eq25_nJ"]
    records.write_table(out_dir / records.PREDICTIONS, pred.table(), run_meta(run, split, part, part))
    report["ood"] = {}
    for name in names:
        po = predictor(make_ood(name, x, cfg.seed), y)
        records.write_table(out_dir / records.ood_file(name), po.table(), run_meta(run, split, part, name))
        report["ood"][name] = {"auroc": auroc(pred.ood_score, po.ood_score), "score": pred.score_name,
                               "mean_score_in": float(pred.ood_score.mean()),
                               "mean_score_ood": float(po.ood_score.mean())}
    if figures:
        label = f"{cfg.model}, {data_name} {part}" + (" (MNIST-10k split)" if "10k" in split else "")
        reliability_diagram(pred.prob, y, out_dir / "reliability.png", label)
        report["figures"] = {"reliability": str(out_dir / "reliability.png")}
        selective.risk_coverage_figure(selective.scores_of(pred.score_columns()),
                                       pred.prediction == y, out_dir / "risk_coverage.png", label)
        report["figures"]["risk_coverage"] = str(out_dir / "risk_coverage.png")
        raster = raster_plot(run, x[:1], int(y[0]), out_dir / "raster.png", label)
        if raster is not None:
            report["figures"]["raster"] = str(raster)
    return report


def raster_plot(run: LoadedRun, x0: np.ndarray, label: int, path: str | Path, title: str) -> Path | None:
    """Spike raster of one sample: encoder and every spiking layer (None for an ANN)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = family_of(run.config).hook("raster")(run, x0)
    if panels is None:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(6, 1.2 + 1.6 * len(panels)), sharex=True)
    for ax, (name, s) in zip(np.atleast_1d(axes), panels):
        n_idx, t_idx = np.nonzero(s)
        ax.scatter(t_idx, n_idx, s=4, marker="|", color="k")
        ax.set(ylabel="neuron", title=f"{name}: {int(s.sum())} spikes", ylim=(-1, s.shape[0]))
    np.atleast_1d(axes)[-1].set_xlabel("time step")
    fig.suptitle(f"{title}: one sample (label {label})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
