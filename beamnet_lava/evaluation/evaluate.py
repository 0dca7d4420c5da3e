"""``beamnet-lava evaluate``: the numbers a reviewer asks for, from one trained run.

Accuracy, NLL, Brier, ECE (15 bins) with a reliability diagram, active
fraction, energy per inference, uncertainties on correct vs wrong predictions,
windows used, and out-of-distribution AUROC of the model's uncertainty score;
a raster plot of one sample. Results go to ``<run>/evaluation/`` (or ``--out``)
as ``evaluation.json``, Parquet records and PNG figures.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava.config import BeamnetConfig
from beamnet_lava.data import load_split
from beamnet_lava.data.ood import make_ood, parse_ood
from beamnet_lava.evaluation import records
from beamnet_lava.evaluation.predict import Predictions, predict, temperature
from beamnet_lava.io_utils import write_json
from beamnet_lava.metrics.calibration import brier, ece, nll, reliability_diagram
from beamnet_lava.metrics.energy import load_constants
from beamnet_lava.metrics.ood import auroc
from beamnet_lava.sim_cpu.common import take_samples
from beamnet_lava.training.checkpoint import LoadedRun, load_run

EVALUATION_DIR = "evaluation"


def _mean(x: np.ndarray, mask: np.ndarray) -> float | None:
    vals = x[mask]
    return float(np.mean(vals)) if mask.any() and not np.all(np.isnan(vals)) else None


def summarize(p: Predictions) -> dict[str, Any]:
    """Every per-set metric of the evaluation from per-sample predictions."""
    ok = p.prediction == p.labels
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
        "aleatoric_correct": _mean(p.aleatoric, ok), "aleatoric_wrong": _mean(p.aleatoric, ~ok),
        "total_correct": _mean(p.total, ok), "total_wrong": _mean(p.total, ~ok),
        "min_aleatoric": None if np.all(np.isnan(p.aleatoric)) else float(np.nanmin(p.aleatoric)),
        "min_epistemic": None if np.all(np.isnan(p.epistemic)) else float(np.nanmin(p.epistemic)),
    }


def run_meta(run: LoadedRun, data_description: str, part: str, which: str) -> dict[str, Any]:
    cfg = run.config
    return {"model": cfg.model, "dataset": cfg.dataset, "split": data_description, "seed": cfg.seed,
            "part": part, "set": which, "run_dir": str(run.run_dir)}


def evaluate_run(run_dir: str | Path, *, ood: str | None = "all", part: str = "test",
                 samples: int | None = None, loop: bool | None = None, out: str | Path | None = None,
                 data_dir: str | None = None, energy_constants: str | Path | None = None,
                 figures: bool = True) -> dict[str, Any]:
    """Evaluate a run directory with its training model; writes records and figures."""
    t0 = time.perf_counter()
    names = parse_ood(ood)
    constants = load_constants("loihi1", energy_constants)
    run = load_run(run_dir)
    cfg = run.config
    if loop and (not isinstance(cfg, BeamnetConfig) or cfg.max_windows < 2):
        from beamnet_lava.errors import BeamnetError
        raise BeamnetError(f"--loop needs a BEAM-Net trained with max_windows >= 2; {run_dir} is "
                           f"{cfg.model}" + (f" with max_windows={cfg.max_windows}"
                                            if isinstance(cfg, BeamnetConfig) else ""))
    data = load_split(cfg.dataset, seed=cfg.seed, split=cfg.split, data_dir=data_dir or cfg.data_dir)
    x, y = take_samples(*data.part(part), samples, cfg.dataset, part)
    t = None if isinstance(cfg, BeamnetConfig) else temperature(run, data.x_val, data.y_val)
    out_dir = Path(out) if out is not None else Path(run_dir) / EVALUATION_DIR
    out_dir.mkdir(parents=True, exist_ok=True)

    pred = predict(run, x, y, part, loop=loop, temperature_=t, constants=constants)
    report: dict[str, Any] = {"run_dir": str(run_dir), "model": cfg.model, "dataset": cfg.dataset,
                              "split": data.description, "seed": cfg.seed, "part": part,
                              "backend": "training model", **summarize(pred)}
    if t is not None:
        report["temperature"] = t
        report["calibration"] = "temperature fitted on the validation split"
    else:
        report["eta"] = pred.extras["eta"]
        report["calibration"] = "eta (Eq. 12) fitted on the validation split" if cfg.fit_eta else "none"
        report["active_fraction_per_step"] = pred.extras["active_fraction_per_step"]
        report["bidirectional"] = bool(cfg.bidirectional if loop is None else loop)
    report["energy_breakdown_nJ"] = pred.extras.get("breakdown_nJ") or pred.extras.get("energy")
    records.write_table(out_dir / records.PREDICTIONS, pred.table(),
                        run_meta(run, data.description, part, part))
    report["ood"] = {}
    for name in names:
        po = predict(run, make_ood(name, x, cfg.seed), y, part, loop=loop, temperature_=t,
                     constants=constants)
        records.write_table(out_dir / records.ood_file(name), po.table(),
                            run_meta(run, data.description, part, name))
        report["ood"][name] = {"auroc": auroc(pred.ood_score, po.ood_score),
                               "score": pred.score_name,
                               "mean_score_in": float(pred.ood_score.mean()),
                               "mean_score_ood": float(po.ood_score.mean())}
    if figures:
        label = f"{cfg.model}, {data.name} {part}" + (" (MNIST-10k split)" if "10k" in data.description else "")
        reliability_diagram(pred.prob, y, out_dir / "reliability.png", label)
        report["figures"] = {"reliability": str(out_dir / "reliability.png")}
        raster = raster_plot(run, x[:1], int(y[0]), out_dir / "raster.png", label)
        if raster is not None:
            report["figures"]["raster"] = str(raster)
    report["seconds"] = time.perf_counter() - t0
    write_json(out_dir / "evaluation.json", report)
    return report


def raster_plot(run: LoadedRun, x0: np.ndarray, label: int, path: str | Path, title: str) -> Path | None:
    """Spike raster of one sample: encoder and every spiking layer (None for an ANN)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = run.config
    if isinstance(cfg, BeamnetConfig):
        from beamnet_lava.data import times_to_raster
        from beamnet_lava.models.beamnet import encoder_intensity
        from beamnet_lava.training.beamnet_train import sample_keys

        inten = encoder_intensity(x0, cfg)
        enc = times_to_raster(run.model.encode_times(inten), cfg.time_steps)[0]
        mem = run.model.infer(inten, sample_keys("test", 1), False)["spikes"][0]
        panels = [("encoder (Eq. 7 latency)", enc), ("memory neurons", mem)]
    elif cfg.model == "snn":
        import torch

        from beamnet_lava.data import rate_encode

        inp = rate_encode(x0, cfg.time_steps)
        with torch.no_grad():
            outs = [o.numpy()[0] for o in run.model.layer_outputs(torch.from_numpy(inp))]
        panels = [("input (rate code)", inp[0])] + [(f"layer {i}", o) for i, o in enumerate(outs)]
    else:
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
