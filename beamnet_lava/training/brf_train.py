"""Training loop of the sequence models (``brf-rsnn``, ``rf-rsnn``, ``alif-rsnn``).

Cross-entropy on the leaky-integrator readout (time-averaged membrane), Adam,
BPTT through the whole sequence; after each step ``omega`` and ``b'`` are
projected back into their valid region (:meth:`ResonatorNeuron.project`).
Spikes per sample count the hidden layer's spikes (the readout does not spike).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava.budget import ADAM, F32, SLAYER_STATE, dense_params
from beamnet_lava.config import SeqConfig
from beamnet_lava.data.datasets import Split
from beamnet_lava.data.sequences import LEVELS, inputs_to_levels, sequence_inputs
from beamnet_lava.families.registry import provide
from beamnet_lava.training.loop import fit_epochs


def evaluate_seq(model, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> tuple[float, float, np.ndarray]:
    """Accuracy, hidden spikes per sample and predictions (eval mode) on inputs ``x`` (n, C, T)."""
    model.eval()
    preds, spikes = [], 0.0
    device = next(model.parameters()).device
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            logits, z = model(torch.from_numpy(x[i:i + batch_size]).to(device))
            preds.append(logits.argmax(1).cpu().numpy())
            spikes += float(z.sum())
    pred = np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)
    n = max(len(y), 1)
    return float((pred == y).mean()) if len(y) else 0.0, spikes / n, pred


def evaluate_fixed(model, x: np.ndarray, y: np.ndarray, dataset: str, batch_size: int = 256) -> dict[str, float]:
    """The fixed-point forward (what Lava fixed_pt runs) on inputs ``x`` (n, C, T)."""
    preds, spikes = [], 0
    for i in range(0, len(x), batch_size):
        out = model.forward_fixed(inputs_to_levels(x[i:i + batch_size], dataset), LEVELS[dataset])
        preds.append(out.predictions)
        spikes += int(out.hidden_spikes.sum())
    pred = np.concatenate(preds)
    return {"test_accuracy_fixed": float((pred == y).mean()),
            "spikes_per_sample_fixed": spikes / len(y)}


def train_seq(cfg: SeqConfig, data: Split, out: Path, on_batch: Callable[[int, float], None],
              on_epoch: Callable[[int, float], None], device: torch.device | str = "cpu",
              ) -> tuple[dict[str, Any], list[dict[str, float]]]:
    # One intra-op thread: the per-step ops are tiny, and on this 2-core machine torch's
    # default threading made an epoch of digits-seq ~10x slower (21 s vs 2 s, measured).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_seq(cfg, data, out, on_batch, on_epoch, device)
    finally:
        torch.set_num_threads(threads)


def _train_seq(cfg, data, out, on_batch, on_epoch, device):
    x_tr, x_va, x_te = (sequence_inputs(data, part, cfg.time_steps) for part in ("train", "val", "test"))
    model = checkpoint.build_model(cfg, x_tr.shape[1], data.n_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    def batch_loss(x, y):
        logits, z = model(x)
        return (torch.nn.functional.cross_entropy(logits, y), int((logits.argmax(1) == y).sum()),
                float(z.detach().sum()))

    def validate(m):
        val_acc, val_spikes, _ = evaluate_seq(m, x_va, data.y_val)
        return val_acc, {"val_spikes_per_sample": val_spikes}

    history = fit_epochs(cfg, model, opt, torch.from_numpy(x_tr), torch.from_numpy(data.y_train),
                         batch_loss, validate, on_batch, on_epoch, checkpoint.saver(out, cfg),
                         after_step=model.project, device=device)
    best = checkpoint.load_run(out).model
    test_acc, test_spikes, _ = evaluate_seq(best, x_te, data.y_test)
    extra: dict[str, Any] = {
        "test_accuracy": test_acc, "spikes_per_sample": test_spikes,
        "hidden_neurons": int(cfg.hidden[0]), "time_steps": cfg.time_steps,
        "parameters": int(sum(p.numel() for p in best.parameters() if p.requires_grad)),
        "seconds_per_epoch": history[-1]["seconds"] / len(history),
    }
    if best.fixed_point:       # BRF / RF: the integer network Lava runs, on the test split
        extra.update(evaluate_fixed(best, x_te, data.y_test, cfg.dataset))
    return extra, history


def train_memory(cfg: SeqConfig, n_samples: int, n_inputs: int, n_classes: int) -> tuple[float, str]:
    """A recurrent SNN: the input sequences, weights (recurrent too) with Adam moments, per-step state."""
    T, b = int(cfg.time_steps), int(cfg.batch_size)
    h = int(cfg.hidden[0])
    params = dense_params([n_inputs, h, n_classes]) + h * h
    return (n_samples * n_inputs * T * F32 + ADAM * F32 * params
            + b * (h + n_classes) * T * F32 * SLAYER_STATE), "lower --hidden, --time-steps or --batch-size"


# this module's hooks, attached by the registry (families.registry.load) through training/__init__.py's providers()
PROVIDES = [
    provide("train", train_seq, "brf-rsnn", "rf-rsnn", "alif-rsnn"),
    provide("train_memory", train_memory, "brf-rsnn", "rf-rsnn", "alif-rsnn"),
]
