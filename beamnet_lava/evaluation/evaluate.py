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

from beamnet_lava import budget, checks
from beamnet_lava.config import BeamnetConfig, SeqConfig
from beamnet_lava.data.ood import make_ood, parse_ood
from beamnet_lava.evaluation import records
from beamnet_lava.evaluation.predict import Predictions, model_inputs, predict, temperature
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import write_json
from beamnet_lava.metrics.calibration import brier, ece, nll, reliability_diagram
from beamnet_lava.metrics.energy import load_constants
from beamnet_lava.metrics.ood import auroc
from beamnet_lava.sim_cpu.common import take_samples
from beamnet_lava.training.trainer import load_data
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


def evaluate(target: str | Path, **kwargs) -> dict[str, Any]:
    """Evaluate a run directory (training model) or an exported ``.net`` file (on Lava)."""
    checks.run_options(samples=kwargs.get("samples"), lanes=kwargs.get("lanes"),
                       timeout_s=kwargs.get("timeout_s"))
    return evaluate_file(target, **kwargs) if Path(target).is_file() else evaluate_run(target, **kwargs)


def evaluate_run(run_dir: str | Path, *, ood: str | None = "all", part: str = "test",
                 samples: int | None = None, loop: bool | None = None, out: str | Path | None = None,
                 data_dir: str | None = None, energy_constants: str | Path | None = None,
                 figures: bool = True, **_lava: Any) -> dict[str, Any]:
    """Evaluate a run directory with its training model; writes records and figures."""
    t0 = time.perf_counter()
    names = parse_ood(ood)
    constants = load_constants("loihi1", energy_constants)
    run = load_run(run_dir)
    cfg = run.config
    _check_loop(loop, cfg, run_dir)
    data = load_data(cfg, data_dir)
    x, y = take_samples(model_inputs(cfg, data, part), data.part(part)[1], samples, cfg.dataset, part)
    t = None if isinstance(cfg, BeamnetConfig) else temperature(run, model_inputs(cfg, data, "val"),
                                                                data.y_val)

    def predictor(xx: np.ndarray, yy: np.ndarray) -> Predictions:
        return predict(run, xx, yy, part, loop=loop, temperature_=t, constants=constants)

    out_dir = Path(out) if out is not None else Path(run_dir) / EVALUATION_DIR
    report = _evaluate(run, data.description, data.name, part, x, y, names, predictor, out_dir,
                       figures, {"run_dir": str(run_dir), "backend": "training model",
                                 "bidirectional": _loop_state(loop, cfg)})
    if t is not None:
        report.update(temperature=t, calibration="temperature fitted on the validation split")
    report["seconds"] = time.perf_counter() - t0
    write_json(out_dir / "evaluation.json", report)
    return report


def evaluate_file(path: str | Path, *, ood: str | None = "all", part: str = "test",
                  samples: int | None = None, loop: bool | None = None, out: str | Path | None = None,
                  data_dir: str | None = None, energy_constants: str | Path | None = None,
                  figures: bool = True, precision: str = "fixed", backend: str = "cpu",
                  lanes: int = 16, timeout_s: float | None = None) -> dict[str, Any]:
    """Evaluate an exported network by simulating it on Lava (every OOD set too)."""
    from beamnet_lava.config import SNNConfig
    from beamnet_lava.netx_export.beamnet_file import is_beamnet, read_beamnet
    from beamnet_lava.netx_export.netx_file import read_netx
    from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S

    t0 = time.perf_counter()
    names = parse_ood(ood)
    constants = load_constants("loihi1", energy_constants)
    timeout_s = timeout_s or DEFAULT_TIMEOUT_S
    from beamnet_lava.netx_export.brf_file import is_brf

    if is_brf(path):
        raise BeamnetError(f"{path} is an exported recurrent (BRF/RF) network: evaluate its run "
                           "directory (training model), or run the file on Lava with "
                           "`beamnet-lava run` (parity, spikes, energy)")
    if is_beamnet(path):
        from beamnet_lava.sim_cpu.beamnet_run import LavaWindows

        bf = read_beamnet(path)
        cfg = bf.config
        run = LoadedRun(Path(path), cfg, bf.to_model(), 0, float("nan"), {})
        _check_loop(loop, cfg, path)

        def predictor(xx: np.ndarray, yy: np.ndarray) -> Predictions:
            lava = LavaWindows(bf, run.model, precision=precision, backend=backend, lanes=lanes,
                               timeout_s=timeout_s)
            return predict(run, xx, yy, part, loop=loop, constants=constants, run_window=lava)
    else:
        from beamnet_lava.evaluation.predict import snn_predictions
        from beamnet_lava.metrics.calibration import softmax
        from beamnet_lava.models.snn import CubaSNN
        from beamnet_lava.sim_cpu.evaluate import run_snn

        if loop:
            raise BeamnetError(f"--loop is BEAM-Net's top-down loop; {path} is a feed-forward SNN")
        net = read_netx(path)
        attrs = net.attrs
        if "temperature" not in attrs or "time_steps" not in attrs:
            raise BeamnetError(f"{path} records no temperature/time steps (exported by an older "
                               "beamnet-lava or another tool): re-export its run with "
                               "`beamnet-lava export RUN_DIR -o FILE --force`")
        window, t = int(attrs["time_steps"]), float(attrs["temperature"])
        events = {k: attrs[k] for k in ("event_downsample", "event_polarity", "event_window_ms")
                  if k in attrs}
        cfg = SNNConfig(dataset=attrs.get("dataset", "digits"), seed=int(attrs.get("seed", 0)),
                        time_steps=window, hidden=tuple(l.size for l in net.layers[:-1]) or (1,),
                        **events)
        run = LoadedRun(Path(path), cfg, CubaSNN.from_netx_layers(net.layers), 0, float("nan"),
                        {"temperature": t})
        fan_outs = [np.count_nonzero(l.weight, axis=0) for l in net.layers]

        def predictor(xx: np.ndarray, yy: np.ndarray) -> Predictions:
            spikes, result = run_snn(net, xx, window, precision=precision, backend=backend,
                                     timeout_s=timeout_s, progress=False)
            layers = [spikes] + [np.asarray(l) for l in result.layers]
            prob = softmax(layers[-1].sum(-1) / t)
            return snn_predictions(prob, yy, layers, fan_outs, t, constants)
    data = load_data(cfg, data_dir)
    x, y = take_samples(model_inputs(cfg, data, part), data.part(part)[1], samples, cfg.dataset, part)
    sizes = [run.model.n_memory] * 2 if isinstance(cfg, BeamnetConfig) else [l.size for l in net.layers]
    budget.check_run(len(y), x.shape[1], sizes, cfg.time_steps, state=budget.F64)
    out_dir = Path(out) if out is not None else Path(str(path) + ".evaluation")
    report = _evaluate(run, data.description, data.name, part, x, y, names, predictor, out_dir,
                       figures, {"file": str(path), "backend": f"lava {backend} {precision}",
                                 "bidirectional": _loop_state(loop, cfg)})
    if not isinstance(cfg, BeamnetConfig):
        report.update(temperature=run.calibration["temperature"],
                      calibration="temperature fitted on the validation split (stored in the file)")
    report["seconds"] = time.perf_counter() - t0
    write_json(out_dir / "evaluation.json", report)
    return report


def _loop_state(loop: bool | None, cfg) -> bool:
    return bool(cfg.bidirectional if loop is None else loop) if isinstance(cfg, BeamnetConfig) else False


def _check_loop(loop: bool | None, cfg, where) -> None:
    if loop and (not isinstance(cfg, BeamnetConfig) or cfg.max_windows < 2):
        raise BeamnetError(f"--loop needs a BEAM-Net trained with max_windows >= 2; {where} is "
                           f"{cfg.model}" + (f" with max_windows={cfg.max_windows}"
                                            if isinstance(cfg, BeamnetConfig) else ""))


def _evaluate(run: LoadedRun, split: str, data_name: str, part: str, x: np.ndarray, y: np.ndarray,
              names: list[str], predictor, out_dir: Path, figures: bool,
              where: dict[str, Any]) -> dict[str, Any]:
    """The report, records and figures shared by both back-ends."""
    cfg = run.config
    out_dir.mkdir(parents=True, exist_ok=True)
    pred = predictor(x, y)
    report: dict[str, Any] = {**where, "model": cfg.model, "dataset": cfg.dataset, "split": split,
                              "seed": cfg.seed, "part": part, "out_dir": str(out_dir),
                              **summarize(pred)}
    if isinstance(cfg, BeamnetConfig):
        report["eta"] = pred.extras["eta"]
        report["calibration"] = "eta (Eq. 12) fitted on the validation split" if cfg.fit_eta else "none"
        report["active_fraction_per_step"] = pred.extras["active_fraction_per_step"]
    report["energy_breakdown_nJ"] = pred.extras.get("breakdown_nJ") or pred.extras.get("energy")
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
        raster = raster_plot(run, x[:1], int(y[0]), out_dir / "raster.png", label)
        if raster is not None:
            report["figures"]["raster"] = str(raster)
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

        inp = np.asarray(x0, dtype=np.float32) if x0.ndim == 3 else rate_encode(x0, cfg.time_steps)
        with torch.no_grad():
            outs = [o.numpy()[0] for o in run.model.layer_outputs(torch.from_numpy(inp))]
        panels = [("input (events)" if x0.ndim == 3 else "input (rate code)", inp[0])] + [(f"layer {i}", o) for i, o in enumerate(outs)]
    elif isinstance(cfg, SeqConfig):
        import torch

        from beamnet_lava.data.sequences import as_sequences

        with torch.no_grad():
            _, z = run.model(torch.from_numpy(np.ascontiguousarray(x0, dtype=np.float32)
                                              if x0.ndim == 3 else as_sequences(x0)))
        panels = [(f"hidden {cfg.model} neurons (input: one pixel per step)", z.numpy()[0])]
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
