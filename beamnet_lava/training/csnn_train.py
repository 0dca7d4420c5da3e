"""Training of the convolutional SLAYER CUBA network (``--model csnn``): slayer's spike-rate loss.

Inputs are encoded once (rate or latency coded images, or binned event frames, Eq. 6) and
kept as 0/1 bytes; ``augment_shift`` moves each training sample by up to that many pixels
(the same shift in every frame, zeros shifted in), drawn from a generator seeded by the
config's seed. The learning rate follows a cosine from ``lr`` to 0 over all steps
(``lr_schedule: cosine``) or stays constant, after an optional linear warm-up over the first
``warmup_epochs`` (:func:`lr_factor`).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch

import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava._quiet import import_slayer
from beamnet_lava.config import CSNNConfig
from beamnet_lava.data.datasets import Split
from beamnet_lava.families.registry import provide
from beamnet_lava.models.csnn import CSNN, encode, train_bytes
from beamnet_lava.models.snn import predict_from_counts
from beamnet_lava.training.loop import fit_epochs

BATCH = 256


def split_spikes(cfg: CSNNConfig, data: Split, part: str) -> np.ndarray:
    """A split part as the network's 0/1 input spikes ``(n, inputs, T)`` in uint8."""
    x = data.spikes(part, cfg.time_steps) if data.events is not None else data.part(part)[0]
    return np.concatenate([encode(cfg, x[i:i + BATCH]).astype(np.uint8)
                           for i in range(0, len(x), BATCH)]) if len(x) else \
        np.zeros((0, 1, cfg.time_steps), dtype=np.uint8)


def counts(model: CSNN, spikes: np.ndarray, batch_size: int = BATCH) -> np.ndarray:
    """Output spike counts ``(n, classes)`` of ``model`` (eval mode) on 0/1 ``spikes``."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for i in range(0, len(spikes), batch_size):
            x = torch.from_numpy(np.asarray(spikes[i:i + batch_size], dtype=np.float32)).to(device)
            out.append(model(x).sum(-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.sizes[-1]))


def shift(x: torch.Tensor, shape: tuple[int, int, int], max_shift: int,
          gen: torch.Generator) -> torch.Tensor:
    """Each sample of ``x`` ``(n, C*H*W, T)`` moved by its own (dy, dx) in
    ``[-max_shift, max_shift]``, zeros shifted in."""
    n, _, steps = x.shape
    c, h, w = shape
    img = x.reshape(n, c, h, w, steps)
    pad = torch.nn.functional.pad(img, (0, 0, max_shift, max_shift, max_shift, max_shift))
    d = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=gen)
    out = torch.stack([pad[i, :, dy:dy + h, dx:dx + w] for i, (dy, dx) in enumerate(d.tolist())])
    return out.reshape(n, -1, steps)


def lr_factor(step: int, steps: int, warmup: int, schedule: str) -> float:
    """The learning rate of optimiser step ``step`` (0-based) of ``steps`` as a fraction of
    ``lr``: ``(step + 1) / warmup`` during the first ``warmup`` steps, then 1 (``constant``) or
    a cosine from 1 to 0 over the remaining steps (``cosine``)."""
    if step < warmup:
        return (step + 1) / warmup
    if schedule != "cosine":
        return 1.0
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(steps - warmup, 1)))


def train_csnn(cfg: CSNNConfig, data: Split, out: Path, on_batch: Callable[[int, float], None],
               on_epoch: Callable[[int, float], None], device: torch.device | str = "cpu"):
    x_tr, x_va = split_spikes(cfg, data, "train"), split_spikes(cfg, data, "val")
    model = checkpoint.build_model(cfg, x_tr.shape[1], data.n_classes).to(device)
    slayer = import_slayer()
    loss_fn = slayer.loss.SpikeRate(true_rate=cfg.true_rate, false_rate=cfg.false_rate,
                                    reduction="sum")
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    per_epoch = math.ceil(len(x_tr) / cfg.batch_size)
    steps, warmup = cfg.epochs * per_epoch, round(cfg.warmup_epochs * per_epoch)
    sched = (torch.optim.lr_scheduler.LambdaLR(opt, lambda k: lr_factor(k, steps, warmup, cfg.lr_schedule))
             if cfg.lr_schedule == "cosine" or warmup else None)
    gen = torch.Generator().manual_seed(cfg.seed + 1)

    def batch_loss(x, y):
        x = x.float()
        if cfg.augment_shift:
            x = shift(x, model.input_shape, cfg.augment_shift, gen)
        spikes_out = model(x)
        return loss_fn(spikes_out, y), int((spikes_out.sum(-1).argmax(1) == y).sum()), None

    def validate(m):
        pred = predict_from_counts(counts(m, x_va))
        return (float((pred == data.y_val).mean()) if len(pred) else 0.0), {}

    history = fit_epochs(cfg, model, opt, torch.from_numpy(x_tr), torch.from_numpy(data.y_train),
                         batch_loss, validate, on_batch, on_epoch, checkpoint.saver(out, cfg),
                         after_step=None if sched is None else sched.step, device=device)
    return {}, history


def train_memory(cfg: CSNNConfig, n_samples: int, n_inputs: int, n_classes: int) -> tuple[float, str]:
    """The split's input spikes, parameters with Adam moments, every layer's state for a batch
    (:func:`beamnet_lava.models.csnn.train_bytes`); a stack that does not chain on the data's
    input shape is refused here, before training starts."""
    return train_bytes(cfg, n_samples, n_inputs, n_classes), ("lower the channels in layers, "
                                                              "--time-steps or --batch-size")


# this module's hooks, attached by the registry (families.registry.load) through training/__init__.py's providers()
PROVIDES = [
    provide("train", train_csnn, "csnn"),
    provide("train_memory", train_memory, "csnn"),
]
