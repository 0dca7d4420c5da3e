"""Pieces every ``beamnet-lava run`` back-end shares (SNN NetX files and BEAM-Net files)."""
from __future__ import annotations

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from beamnet_lava.errors import BeamnetError


def take_samples(x: np.ndarray, y: np.ndarray, samples: int | None, dataset: str,
                 part: str) -> tuple[np.ndarray, np.ndarray]:
    """The first ``samples`` of a split part (all when None), or a clear error."""
    n = len(x) if samples is None else int(samples)
    if n < 1 or n > len(x):
        raise BeamnetError(f"--samples {n} is outside 1..{len(x)} (the {dataset} {part} split "
                           f"has {len(x)} samples)")
    return x[:n], y[:n]


def delivered_events(pre_spikes: np.ndarray, weight: np.ndarray) -> int:
    """Synaptic events: each presynaptic spike ``(n, pre, T)`` times its non-zero fan-out."""
    fan_out = np.count_nonzero(weight, axis=0)
    return int((pre_spikes.sum(axis=(0, 2)) * fan_out).sum())


def lava_progress(precision: str, unit: str, enabled: bool) -> Progress:
    return Progress(TextColumn(f"[bold]lava {precision}[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn(unit), TimeElapsedColumn(), disable=not enabled)
