"""Train a model into a run directory, keeping the best-on-validation checkpoint.

A run directory holds ``config.json``, ``checkpoint.pt`` (best validation
accuracy, written atomically), ``metrics.json`` (per-epoch ``history``,
``test_accuracy`` and the split) and, per model, per-sample test predictions
and figures. This module trains (the family's ``train`` hook); calibration, the
Parquet records and ``metrics.json`` follow in :func:`beamnet_lava.workflows.train.train`,
the function ``beamnet-lava train`` calls.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava import budget, config as config_mod
from beamnet_lava.data.datasets import Split
from beamnet_lava.data.loading import load_data
from beamnet_lava.families import family_of
from beamnet_lava.io_utils import write_json
from beamnet_lava.seeding import seed_everything
from beamnet_lava.training.device import resolve as resolve_device


class _Bar:
    """Rich progress over all batches of all epochs, with loss and validation accuracy.

    ``listener(epoch, batches_done, batches_total, loss, val_accuracy)``, when given, hears
    every update too (a sweep's live line per worker, beamnet_lava/sweep/).
    """

    def __init__(self, enabled: bool, total: int, listener: Callable | None = None) -> None:
        self.progress = Progress(TextColumn("[bold]train[/] epoch {task.fields[epoch]}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("loss {task.fields[loss]:.3f}"),
                                 TextColumn("val acc {task.fields[val]:.3f}"), TimeElapsedColumn(),
                                 disable=not enabled)
        self.task = self.progress.add_task("train", total=total, epoch=0, loss=float("nan"),
                                           val=float("nan"))
        self.listener, self.total, self.done, self.loss = listener, total, 0, float("nan")

    def batch(self, epoch: int, loss: float) -> None:
        self.progress.update(self.task, advance=1, epoch=epoch, loss=loss)
        self.done, self.loss = self.done + 1, loss
        if self.listener is not None:
            self.listener(epoch, self.done, self.total, loss, None)

    def epoch(self, epoch: int, val: float) -> None:
        self.progress.update(self.task, epoch=epoch, val=val)
        if self.listener is not None:
            self.listener(epoch, self.done, self.total, self.loss, val)


@dataclass
class Trained:
    """What training leaves for calibration and the records (:mod:`beamnet_lava.workflows.train`)."""

    cfg: config_mod.TrainConfig
    out: Path
    data: Split
    history: list[dict[str, Any]]
    metrics: dict[str, Any]          # the family's own training metrics
    started: float                   # time.perf_counter() when training began


def train(cfg: config_mod.TrainConfig, out_dir: str | Path, *, progress: bool = True,
          device: str = "cpu", listener: Callable | None = None) -> Trained:
    """Train ``cfg`` (its family's ``train`` hook) and write config and best checkpoint into
    ``out_dir``, an empty folder being built (:func:`beamnet_lava.rundir.building`). Use
    :func:`beamnet_lava.workflows.train.train` for a complete run.

    ``device``: auto, cpu or cuda for the training loop (training/device.py);
    ``listener``: see :class:`_Bar`.
    """
    out = Path(out_dir)
    hook = family_of(cfg).hook("train")
    dev = resolve_device(device)
    seed_everything(cfg.seed)
    data = load_data(cfg)
    budget.check_train(cfg, data)
    out.mkdir(parents=True, exist_ok=True)      # only once the data loaded and the sizes fit
    write_json(out / checkpoint.CONFIG, {**cfg.to_dict(), "split_description": data.description})
    t0 = time.perf_counter()
    n_batches = (len(data.y_train) + cfg.batch_size - 1) // cfg.batch_size
    bar = _Bar(progress, cfg.epochs * n_batches, listener)
    with bar.progress:
        extra, history = hook(cfg, data, out, bar.batch, bar.epoch, dev)
    return Trained(cfg, out, data, history, extra, t0)
