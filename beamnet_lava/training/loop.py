"""The epoch loop the gradient-trained baselines share (ANN, rate SNN, BRF/RF/ALIF RSNNs)."""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import torch

from beamnet_lava.errors import BeamnetError


def fit_epochs(cfg, model: torch.nn.Module, opt: torch.optim.Optimizer, x_tr: torch.Tensor,
               y_tr: torch.Tensor, batch_loss: Callable, validate: Callable,
               on_batch: Callable[[int, float], None], on_epoch: Callable[[int, float], None],
               save: Callable, after_step: Callable[[], None] | None = None,
               device: torch.device | str = "cpu") -> list[dict[str, Any]]:
    """Seeded shuffles (``cfg.seed``), optimiser steps, validation per epoch, best checkpoint.

    Batches are moved to ``device`` (where ``model`` already is); shuffles stay on the CPU.

    ``batch_loss(x, y) -> (loss, correct, spikes or None)``; ``validate(model) ->
    (accuracy, extra history fields)``; ``save(model, epoch, accuracy)`` keeps the best.
    """
    gen = torch.Generator().manual_seed(cfg.seed)
    history: list[dict[str, Any]] = []
    best_acc = -1.0
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        perm = torch.randperm(len(x_tr), generator=gen)
        total, correct, loss_sum, spikes = 0, 0, 0.0, None
        for i in range(0, len(perm), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            loss, n_correct, n_spikes = batch_loss(x_tr[idx].to(device), y_tr[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if after_step is not None:
                after_step()
            loss_sum += float(loss.detach()) * len(idx)
            total += len(idx)
            correct += n_correct
            if n_spikes is not None:
                spikes = (spikes or 0.0) + n_spikes
            on_batch(epoch, loss_sum / total)
        if not np.isfinite(loss_sum):
            raise BeamnetError(f"training diverged at epoch {epoch} (loss is not finite); lower --lr")
        val_acc, extra = validate(model)
        on_epoch(epoch, val_acc)
        row: dict[str, Any] = {"epoch": epoch, "loss": loss_sum / total, "train_accuracy": correct / total}
        if spikes is not None:
            row["train_spikes_per_sample"] = spikes / total
        row.update({"val_accuracy": val_acc, **extra, "seconds": time.perf_counter() - t0})
        history.append(row)
        if val_acc > best_acc:
            best_acc = val_acc
            save(model, epoch, val_acc)
    return history
