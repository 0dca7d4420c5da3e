"""``beamnet-lava energy``: energy per inference of a run, and its scaling with N.

The breakdown uses the activity the model actually produced on the test split
(encoder spikes, synaptic events, memory spikes, inhibitory events, neuron
updates, windows), never an assumed firing rate. The sweep retrains BEAM-Net
at each number of memory neurons N (same config otherwise), measures its
activity and accuracy, and puts an ANN-MLP with the same parameter budget on
the same axis (its energy follows from its MAC and weight counts).
"""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava.data.loading import load_data, model_inputs
from beamnet_lava import budget, checks
from beamnet_lava.errors import BeamnetError
from beamnet_lava.workflows.train import train
from beamnet_lava.evaluation.predict import Predictions, predict, temperature
from beamnet_lava.families import family_of
from beamnet_lava.io_utils import atomic_path, refuse_overwrite, write_json
from beamnet_lava.metrics.energy import Activity, ann_nJ, eq25_nJ, load_constants
from beamnet_lava.models.ann import MLP, hidden_for_budget, stored_parameters
from beamnet_lava.training.checkpoint import LoadedRun, load_run


def _mean_activity(a: Activity) -> dict[str, float]:
    return {k: float(np.mean(v)) for k, v in dataclasses.asdict(a).items()}


def breakdown(run: LoadedRun, pred: Predictions, constants: dict) -> dict[str, Any]:
    """Energy per inference of ``run`` from its measured activity ``pred``."""
    out: dict[str, Any] = {"model": run.config.model, "energy_model": pred.energy_model,
                           "constants": {k: v for k, v in constants.items()},
                           "accuracy": float((pred.prediction == pred.labels).mean()),
                           "energy_per_inference_nJ": float(pred.energy_nJ.mean())}
    if "activity" in pred.extras:          # BEAM-Net: Eq. 25 in measured form too
        act = pred.extras["activity"]
        mean = Activity(**{k: (int(v) if k == "n_memory" else v)
                           for k, v in _mean_activity(act).items()})
        out["activity_per_inference"] = dataclasses.asdict(mean)
        out["eq25_nJ"] = eq25_nJ(mean)
        out["breakdown_nJ"] = pred.extras["breakdown_nJ"]
    elif "energy" in pred.extras:          # ANN: MACs only, and with weight reads
        out["ann_nJ"] = pred.extras["energy"]
        out["energy_with_memory_reads_nJ"] = float(pred.energy_mem_nJ.mean())
    else:
        out["breakdown_nJ"] = pred.extras["breakdown_nJ"]
    n_in, n_cls = run.model.sizes[0], run.model.sizes[-1]
    budget = stored_parameters(run.model)
    mlp = MLP(n_in, (hidden_for_budget(n_in, n_cls, budget),), n_cls)
    out["ann_same_budget"] = {"parameters": mlp.n_params, "hidden": mlp.sizes[1],
                              **ann_nJ(mlp.macs, mlp.adds, mlp.n_params)}
    return out


def energy(run_dir: str | Path, *, sweep: list[int] | None = None, epochs: int | None = None,
           out: str | Path | None = None, force: bool = False, data_dir: str | None = None,
           energy_constants: str | Path | None = None, samples: int | None = None,
           progress: bool = True) -> dict[str, Any]:
    checks.count("--samples", samples)
    checks.count("--epochs", epochs)
    if sweep is not None and (not sweep or any(checks.count("--sweep", n) is None for n in sweep)):
        raise BeamnetError(f"--sweep {sweep!r} must list one or more N, e.g. 25,50,100")
    constants = load_constants("loihi1", energy_constants)
    run = load_run(run_dir)
    cfg = run.config
    data = load_data(cfg, data_dir)
    family = family_of(cfg)
    if sweep:
        if not family.sweep_key:
            raise BeamnetError(f"--sweep varies BEAM-Net's memory neurons N; {run_dir} is a "
                               f"{cfg.model} run")
        for n in sweep:     # every point fits before the first one trains
            budget.check_train(cfg.replace(**{family.sweep_key: n}, epochs=epochs or cfg.epochs),
                               data, f"the sweep point N={n}")
    x, y = model_inputs(cfg, data, "test")[:samples], data.y_test[:samples]
    t = (temperature(run, model_inputs(cfg, data, "val"), data.y_val)
         if family.probabilities == "temperature" else None)
    pred = predict(run, x, y, "test", temperature_=t, constants=constants)
    report: dict[str, Any] = {"run_dir": str(run_dir), "split": data.description,
                              "n_samples": int(len(y)), **breakdown(run, pred, constants)}
    if sweep:
        report["sweep"] = n_sweep(cfg, family.sweep_key, sweep, epochs, x, y, data, constants, progress)
        if out is not None:
            out = Path(out)
            out.mkdir(parents=True, exist_ok=True)
            for name in ("energy_sweep.json", "energy_sweep.png"):
                refuse_overwrite(out / name, force)
            write_json(out / "energy_sweep.json", report)
            sweep_plot(report, out / "energy_sweep.png")
            report["figure"] = str(out / "energy_sweep.png")
    return report


def n_sweep(cfg, key: str, ns: list[int], epochs: int | None, x: np.ndarray, y: np.ndarray,
            data, constants: dict, progress: bool) -> list[dict[str, Any]]:
    """Retrain ``cfg`` at each value of ``key`` (BEAM-Net: N memory neurons) and measure it."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="beamnet-sweep-") as tmp:
        for n in ns:
            run_cfg = cfg.replace(**{key: n}, epochs=epochs or cfg.epochs)
            folder = Path(tmp) / f"n{n}"
            train(run_cfg, folder, progress=progress)
            run = load_run(folder)
            pred = predict(run, x, y, "test", constants=constants)
            b = breakdown(run, pred, constants)
            rows.append({"n_memory": n, "accuracy": b["accuracy"],
                         "active_fraction": float(pred.active_fraction.mean()),
                         "memory_spikes": b["activity_per_inference"]["memory_spikes"],
                         "energy_per_inference_nJ": b["energy_per_inference_nJ"],
                         "eq25_nJ": b["eq25_nJ"]["total"],
                         "ann_macs_only_nJ": b["ann_same_budget"]["macs_only"],
                         "ann_with_memory_nJ": b["ann_same_budget"]["with_memory"],
                         "ann_parameters": b["ann_same_budget"]["parameters"]})
    return rows


def sweep_plot(report: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["sweep"]
    ns = [r["n_memory"] for r in rows]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax.plot(ns, [r["energy_per_inference_nJ"] for r in rows], "o-", label="BEAM-Net, Loihi per op (measured)")
    ax.plot(ns, [r["eq25_nJ"] for r in rows], "s--", label="BEAM-Net, Eq. 25 (measured counts)")
    ax.plot(ns, [r["ann_macs_only_nJ"] for r in rows], "^-", label="ANN-MLP same params, MACs only")
    ax.plot(ns, [r["ann_with_memory_nJ"] for r in rows], "v-", label="ANN-MLP same params, + weight reads")
    ax.set(xscale="log", yscale="log", xlabel="memory neurons N", ylabel="energy / inference (nJ)",
           title="energy scaling with N")
    ax.legend(fontsize=7)
    ax2.plot(ns, [r["accuracy"] for r in rows], "o-", label="accuracy")
    ax2.plot(ns, [r["active_fraction"] for r in rows], "s-", label="active fraction")
    ax2.set(xscale="log", xlabel="memory neurons N", title="accuracy and measured activity")
    ax2.legend(fontsize=7)
    fig.suptitle(report["split"], fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
