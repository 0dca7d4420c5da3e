"""Train a model into a run directory, keeping the best-on-validation checkpoint.

A run directory holds ``config.json``, ``checkpoint.pt`` (best validation
accuracy, written atomically), ``metrics.json`` (per-epoch ``history``,
``test_accuracy`` and the split) and, per model, per-sample test predictions
and figures.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from beamnet_lava import budget, config as config_mod
from beamnet_lava._quiet import import_slayer
from beamnet_lava.data import load_split
from beamnet_lava.data.datasets import Split
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import write_json
from beamnet_lava.models.snn import CubaSNN, predict_from_counts
from beamnet_lava.seeding import seed_everything
from beamnet_lava.training import checkpoint
from beamnet_lava.training.loop import fit_epochs


def evaluate_model(model: CubaSNN, spikes: np.ndarray, labels: np.ndarray,
                   batch_size: int = 256) -> tuple[float, np.ndarray]:
    """Accuracy and predictions of ``model`` (eval mode) on encoded ``spikes``."""
    preds = []
    model.eval()
    with torch.no_grad():
        for i in range(0, len(spikes), batch_size):
            out = model(torch.from_numpy(spikes[i:i + batch_size]))
            preds.append(predict_from_counts(out.sum(-1).numpy()))
    pred = np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)
    return float((pred == labels).mean()) if len(labels) else 0.0, pred


def _prepare_out_dir(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise BeamnetError(f"run directory {out} is not empty; pass --force to train over it "
                               "or choose another --out")


class _Bar:
    """Rich progress over all batches of all epochs, with loss and validation accuracy."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.progress = Progress(TextColumn("[bold]train[/] epoch {task.fields[epoch]}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("loss {task.fields[loss]:.3f}"),
                                 TextColumn("val acc {task.fields[val]:.3f}"), TimeElapsedColumn(),
                                 disable=not enabled)
        self.task = self.progress.add_task("train", total=total, epoch=0, loss=float("nan"),
                                           val=float("nan"))

    def batch(self, epoch: int, loss: float) -> None:
        self.progress.update(self.task, advance=1, epoch=epoch, loss=loss)

    def epoch(self, epoch: int, val: float) -> None:
        self.progress.update(self.task, epoch=epoch, val=val)


def load_data(cfg: config_mod.TrainConfig, data_dir: str | None = None) -> Split:
    """The seeded split a config trains and is evaluated on (``data_dir`` overrides the config's)."""
    data_dir = data_dir or cfg.data_dir
    if isinstance(cfg, config_mod.SeqConfig):
        from beamnet_lava.data.sequences import load_sequences

        return load_sequences(cfg.dataset, seed=cfg.seed, split=cfg.split, data_dir=data_dir,
                              options=cfg.to_dict())
    return load_split(cfg.dataset, seed=cfg.seed, split=cfg.split, data_dir=data_dir,
                      options=cfg.to_dict())


def train(cfg: config_mod.TrainConfig, out_dir: str | Path, *, force: bool = False,
          progress: bool = True) -> dict[str, Any]:
    """Train ``cfg`` and write config, best checkpoint and metrics into ``out_dir``."""
    out = Path(out_dir)
    _prepare_out_dir(out, force)
    seed_everything(cfg.seed)
    data = load_data(cfg)
    budget.check_train(cfg, data)
    out.mkdir(parents=True, exist_ok=True)      # only once the data loaded and the sizes fit
    write_json(out / checkpoint.CONFIG, {**cfg.to_dict(), "split_description": data.description})
    t0 = time.perf_counter()
    n_batches = (len(data.y_train) + cfg.batch_size - 1) // cfg.batch_size
    bar = _Bar(progress, cfg.epochs * n_batches)
    with bar.progress:
        if isinstance(cfg, config_mod.BeamnetConfig):
            extra, history = _train_beamnet(cfg, data, out, bar)
        elif isinstance(cfg, config_mod.ANNConfig):
            extra, history = _train_ann(cfg, data, out, bar)
        elif isinstance(cfg, config_mod.SeqConfig):
            from beamnet_lava.training.brf_train import train_seq

            extra, history = train_seq(cfg, data, out, bar.batch, bar.epoch)
        else:
            extra, history = _train_snn(cfg, data, out, bar)
    if not isinstance(cfg, config_mod.BeamnetConfig):    # BEAM-Net fits eta (Eq. 12) instead
        extra["temperature"] = _fit_temperature(out, cfg, data)
    for key, value in _write_records(out, cfg, data, history).items():
        extra.setdefault(key, value)          # a model's own evaluation keeps its figures
    best = max(history, key=lambda h: (h["val_accuracy"], -h["epoch"]))
    metrics = {
        "model": cfg.model, "dataset": cfg.dataset, "split": data.description, "seed": cfg.seed,
        "n_train": len(data.y_train), "n_val": len(data.y_val), "n_test": len(data.y_test),
        "history": history, "best_epoch": best["epoch"], "val_accuracy": best["val_accuracy"],
        "train_seconds": time.perf_counter() - t0, **extra,
    }
    write_json(out / checkpoint.METRICS, metrics)
    return metrics


def _write_records(out: Path, cfg, data: Split, history: list[dict]) -> dict[str, Any]:
    """history.parquet and the per-sample test predictions.parquet (evaluation/records.py);
    returns the test metrics computed from those predictions."""
    from beamnet_lava.evaluation import records
    from beamnet_lava.evaluation.evaluate import run_meta, summarize
    from beamnet_lava.evaluation.predict import model_inputs, predict

    best = checkpoint.load_run(out)
    meta = run_meta(best, data.description, "test", "test")
    records.write_history(out / records.HISTORY, history, {**meta, "set": "history"})
    pred = predict(best, model_inputs(cfg, data, "test"), data.y_test, "test")
    records.write_table(out / records.PREDICTIONS, pred.table(), meta)
    s = summarize(pred)
    params = sum(p.numel() for p in best.model.parameters()) + sum(
        b.numel() for name, b in best.model.named_buffers() if name == "delays")
    extra = {k: s[k] for k in ("nll", "brier", "ece", "active_fraction", "energy_per_inference_nJ",
                               "energy_with_memory_reads_nJ", "energy_model")}
    extra.update(test_accuracy=s["accuracy"], parameters=int(params))
    return extra


def _fit_temperature(out: Path, cfg, data: Split) -> float:
    """Fit the baselines' temperature on validation and store it in the checkpoint."""
    from beamnet_lava.evaluation.predict import logits, model_inputs
    from beamnet_lava.metrics.calibration import fit_temperature

    best = checkpoint.load_run(out)
    t = fit_temperature(logits(best, model_inputs(cfg, data, "val")), data.y_val)
    checkpoint.save_checkpoint(out / checkpoint.CHECKPOINT, best.model, cfg, best.epoch,
                               best.val_accuracy, calibration={"temperature": t})
    return t


def _train_ann(cfg: config_mod.ANNConfig, data: Split, out: Path, bar: _Bar):
    """Cross-entropy training of the ANN-MLP baseline (plain torch, fp32)."""
    model = checkpoint.build_model(cfg, data.x_train.shape[1], data.n_classes)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    x_tr, y_tr = torch.from_numpy(data.x_train.astype(np.float32)), torch.from_numpy(data.y_train)
    x_va = torch.from_numpy(data.x_val.astype(np.float32))

    def batch_loss(x, y):
        logits = model(x)
        return torch.nn.functional.cross_entropy(logits, y), int((logits.argmax(1) == y).sum()), None

    def validate(m):
        m.eval()
        with torch.no_grad():
            return float((m(x_va).argmax(1).numpy() == data.y_val).mean()), {}

    history = fit_epochs(cfg, model, opt, x_tr, y_tr, batch_loss, validate, bar.batch, bar.epoch,
                         _save(out, cfg))
    return {"hidden": model.sizes[1:-1]}, history


def _save(out: Path, cfg):
    return lambda model, epoch, acc: checkpoint.save_checkpoint(
        out / checkpoint.CHECKPOINT, model, cfg, epoch, acc)


def _train_snn(cfg: config_mod.SNNConfig, data: Split, out: Path, bar: _Bar):
    x_tr, x_va = (data.spikes(part, cfg.time_steps) for part in ("train", "val"))
    model = checkpoint.build_model(cfg, x_tr.shape[1], data.n_classes)
    slayer = import_slayer()
    loss_fn = slayer.loss.SpikeRate(true_rate=cfg.true_rate, false_rate=cfg.false_rate,
                                    reduction="sum")
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    def batch_loss(x, y):
        spikes_out = model(x)
        return loss_fn(spikes_out, y), int((spikes_out.sum(-1).argmax(1) == y).sum()), None

    history = fit_epochs(cfg, model, opt, torch.from_numpy(x_tr), torch.from_numpy(data.y_train),
                         batch_loss, lambda m: (evaluate_model(m, x_va, data.y_val)[0], {}),
                         bar.batch, bar.epoch, _save(out, cfg))
    return {}, history


def _train_beamnet(cfg: config_mod.BeamnetConfig, data: Split, out: Path, bar: _Bar):
    from beamnet_lava.training.beamnet_train import evaluate_run, train_beamnet

    _, history = train_beamnet(cfg, data, out, bar.batch, bar.epoch, _save(out, cfg))
    best = checkpoint.load_run(out)
    metrics = evaluate_run(best.model, data, out)
    # the validation-fitted eta is part of the model: store it with the checkpoint
    checkpoint.save_checkpoint(out / checkpoint.CHECKPOINT, best.model, cfg, best.epoch,
                               best.val_accuracy)
    return metrics, history
