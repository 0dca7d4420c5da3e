"""Training of the ANN-MLP baseline (``--model ann``): cross-entropy, plain torch, fp32."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava.budget import ADAM, F32, dense_params
from beamnet_lava.config import ANNConfig
from beamnet_lava.data.datasets import Split
from beamnet_lava.families.registry import provide
from beamnet_lava.training.loop import fit_epochs


def train_ann(cfg: ANNConfig, data: Split, out: Path, on_batch: Callable[[int, float], None],
              on_epoch: Callable[[int, float], None], device: torch.device | str = "cpu"):
    model = checkpoint.build_model(cfg, data.x_train.shape[1], data.n_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    x_tr, y_tr = torch.from_numpy(data.x_train.astype(np.float32)), torch.from_numpy(data.y_train)
    x_va = torch.from_numpy(data.x_val.astype(np.float32)).to(device)

    def batch_loss(x, y):
        logits = model(x)
        return torch.nn.functional.cross_entropy(logits, y), int((logits.argmax(1) == y).sum()), None

    def validate(m):
        m.eval()
        with torch.no_grad():
            return float((m(x_va).argmax(1).cpu().numpy() == data.y_val).mean()), {}

    history = fit_epochs(cfg, model, opt, x_tr, y_tr, batch_loss, validate, on_batch, on_epoch,
                         checkpoint.saver(out, cfg), device=device)
    return {"hidden": model.sizes[1:-1]}, history


def train_memory(cfg: ANNConfig, n_samples: int, n_inputs: int, n_classes: int) -> tuple[float, str]:
    """The MLP: the images, weights with Adam moments, activations of a 256-sample batch."""
    hidden = list(cfg.hidden or ())
    sizes = [n_inputs, *(hidden or [cfg.param_budget // max(1, n_inputs + n_classes) or 1]), n_classes]
    data = n_samples * n_inputs * F32
    return data + ADAM * F32 * dense_params(sizes) + 256 * sum(sizes) * F32 * ADAM, "lower --hidden, --time-steps or --batch-size"


# this module's hooks, attached by the registry (families.registry.load) through training/__init__.py's providers()
PROVIDES = [
    provide("train", train_ann, "ann"),
    provide("train_memory", train_memory, "ann"),
]
