"""``beamnet-lava train``, the whole stage: train, calibrate, then the run's records.

Training (:func:`beamnet_lava.training.trainer.train`) knows nothing of evaluation; this
function, one layer above, calls it, then the family's ``calibrate`` hook (a temperature
on validation for the baselines, eta for BEAM-Net, Eq. 12), then writes
``history.parquet``, the per-sample test ``predictions.parquet`` (evaluation/records.py)
and ``metrics.json``.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Callable

import beamnet_lava.evaluation.records as records
import beamnet_lava.training  # noqa: F401  (registers the train / calibrate hooks)
import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava import config as config_mod, rundir
from beamnet_lava.data.datasets import Split
from beamnet_lava.data.loading import model_inputs
from beamnet_lava.evaluation.evaluate import run_meta, summarize
from beamnet_lava.evaluation.predict import predict
from beamnet_lava.families import family_of
from beamnet_lava.io_utils import write_json
from beamnet_lava.training import trainer


def train(cfg: config_mod.TrainConfig, out_dir: str | Path, *, force: bool = False,
          progress: bool = True, device: str = "cpu",
          listener: Callable | None = None) -> dict[str, Any]:
    """Train ``cfg`` and write config, best (calibrated) checkpoint, records and metrics into
    ``out_dir``; returns the metrics (``metrics.json``).

    The run directory is built aside and swapped in when complete (rundir.py):
    ``force`` replaces an earlier run there, never anything else. ``device`` and
    ``listener``: as :func:`beamnet_lava.training.trainer.train`.
    """
    with rundir.building(Path(out_dir), rundir.RUN, force=force) as out:
        return _train(cfg, out, progress, device, listener)


def _train(cfg: config_mod.TrainConfig, out: Path, progress: bool, device: str,
           listener: Callable | None) -> dict[str, Any]:
    done = trainer.train(cfg, out, progress=progress, device=device, listener=listener)
    out, data, history = done.out, done.data, done.history
    extra = dict(done.metrics)
    # the checkpoint is re-saved with the config trained, not the one read back from it
    trained = dataclasses.replace(checkpoint.load_run(out), config=cfg)
    extra.update(family_of(cfg).hook("calibrate")(trained, data))
    for key, value in write_records(out, cfg, data, history).items():
        extra.setdefault(key, value)          # a model's own evaluation keeps its figures
    best = max(history, key=lambda h: (h["val_accuracy"], -h["epoch"]))
    metrics = {
        "model": cfg.model, "dataset": cfg.dataset, "split": data.description, "seed": cfg.seed,
        "n_train": len(data.y_train), "n_val": len(data.y_val), "n_test": len(data.y_test),
        "history": history, "best_epoch": best["epoch"], "val_accuracy": best["val_accuracy"],
        "train_seconds": time.perf_counter() - done.started, **extra,
    }
    write_json(out / checkpoint.METRICS, metrics)
    return metrics


def write_records(out: Path, cfg, data: Split, history: list[dict]) -> dict[str, Any]:
    """history.parquet and the per-sample test predictions.parquet (evaluation/records.py);
    returns the test metrics computed from those predictions."""
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
