"""``train --device auto|cpu|cuda``: where the training loop puts models, losses and batches.

Only the training loop moves: every model is saved with its tensors on the CPU
(:func:`beamnet_lava.training.checkpoint.save_checkpoint`) and every evaluation after
training loads the CPU copy, so a run trained on a GPU loads and evaluates on a
CPU-only machine, and a CPU run is byte-for-byte what it was before this option.
Unverified on a GPU: the machines this was written on have none.
"""
from __future__ import annotations

import torch

from beamnet_lava.errors import BeamnetError

CHOICES = ("auto", "cpu", "cuda")


def resolve(name: str | None) -> torch.device:
    """``auto``: CUDA when torch sees a CUDA device, else the CPU; ``cuda`` without one is an error."""
    name = (name or "auto").lower()
    if name not in CHOICES:
        raise BeamnetError(f"--device {name!r} is not one of {', '.join(CHOICES)}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise BeamnetError("--device cuda: torch sees no CUDA device on this machine "
                           f"(torch {torch.__version__}); use --device cpu or auto")
    return torch.device(name)
