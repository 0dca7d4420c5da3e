"""Training of the rate-coded SLAYER SNN (``--model snn``): slayer's spike-rate loss."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava._quiet import import_slayer
from beamnet_lava.budget import ADAM, F32, SLAYER_STATE, dense_params
from beamnet_lava.config import SNNConfig
from beamnet_lava.data.datasets import Split
from beamnet_lava.families.registry import provide
from beamnet_lava.models.snn import CubaSNN, predict_from_counts
from beamnet_lava.training.loop import fit_epochs


def evaluate_model(model: CubaSNN, spikes: np.ndarray, labels: np.ndarray,
                   batch_size: int = 256) -> tuple[float, np.ndarray]:
    """Accuracy and predictions of ``model`` (eval mode) on encoded ``spikes``."""
    preds = []
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        for i in range(0, len(spikes), batch_size):
            out = model(torch.from_numpy(spikes[i:i + batch_size]).to(device))
            preds.append(predict_from_counts(out.sum(-1).cpu().numpy()))
    pred = np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)
    return float((pred == labels).mean()) if len(labels) else 0.0, pred


def train_snn(cfg: SNNConfig, data: Split, out: Path, on_batch: Callable[[int, float], None],
              on_epoch: Callable[[int, float], None], device: torch.device | str = "cpu"):
    x_tr, x_va = (data.spikes(part, cfg.time_steps) for part in ("train", "val"))
    model = checkpoint.build_model(cfg, x_tr.shape[1], data.n_classes).to(device)
    slayer = import_slayer()
    loss_fn = slayer.loss.SpikeRate(true_rate=cfg.true_rate, false_rate=cfg.false_rate,
                                    reduction="sum")
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    def batch_loss(x, y):
        spikes_out = model(x)
        return loss_fn(spikes_out, y), int((spikes_out.sum(-1).argmax(1) == y).sum()), None

    history = fit_epochs(cfg, model, opt, torch.from_numpy(x_tr), torch.from_numpy(data.y_train),
                         batch_loss, lambda m: (evaluate_model(m, x_va, data.y_val)[0], {}),
                         on_batch, on_epoch, checkpoint.saver(out, cfg), device=device)
    return {}, history


def train_memory(cfg: SNNConfig, n_samples: int, n_inputs: int, n_classes: int) -> tuple[float, str]:
    """The SLAYER SNN: rate-coded spikes, weights with Adam moments, per-step neuron state."""
    T, b = int(cfg.time_steps), int(cfg.batch_size)
    sizes = [n_inputs, *list(cfg.hidden or ()), n_classes]
    return (n_samples * n_inputs * T * F32 + ADAM * F32 * dense_params(sizes)
            + max(b, 256) * sum(sizes[1:]) * T * F32 * SLAYER_STATE), "lower --hidden, --time-steps or --batch-size"


# this module's hooks, attached by the registry (families.registry.load) through training/__init__.py's providers()
PROVIDES = [
    provide("train", train_snn, "snn"),
    provide("train_memory", train_memory, "snn"),
]
