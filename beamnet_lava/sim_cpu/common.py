"""Pieces every ``beamnet-lava run`` back-end shares (SNN NetX files and BEAM-Net files)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class DatasetSamples:
    """The dataset samples ``run`` feeds a file: its recorded dataset, seed and window unless
    overridden, the first ``n`` samples of a split part, checked against the file's inputs."""
    data: Any                      # the loaded split (beamnet_lava.data.load_split)
    x: np.ndarray
    labels: np.ndarray
    dataset: str
    part: str
    window: int
    seed: int

    @property
    def n(self) -> int:
        return len(self.x)

    def spikes(self) -> np.ndarray:
        """The split's encoded spikes ``(n, inputs, T)`` (rate-coded images, binned events)."""
        return self.data.spikes(self.part, self.window, self.n)


def dataset_samples(net: Any, dataset: str | None, samples: int | None, part: str,
                    data_dir: str | None, seed: int | None, time_steps: int | None, *,
                    layer_sizes: list[int], steps_hint: str = "; pass --time-steps",
                    shape_note: str = "") -> DatasetSamples:
    """Load the samples a file's dataset run takes (``net`` has ``path``, ``attrs`` and
    ``input_size``), with one-line errors for a missing window, inputs that do not fit the file
    and sample counts out of range, and the memory estimate checked before anything runs."""
    from beamnet_lava import budget
    from beamnet_lava.data import load_split

    attrs = net.attrs
    dataset = dataset or attrs.get("dataset") or "digits"
    window = int(time_steps or attrs.get("time_steps") or 0)
    if window < 1:
        raise BeamnetError(f"{net.path} does not record its time steps{steps_hint}")
    seed = int(attrs.get("seed", 0) if seed is None else seed)
    data = load_split(dataset, seed=seed, data_dir=data_dir, options=attrs)
    x, y = data.part(part)
    if x.shape[1] != net.input_size:
        raise BeamnetError(f"{dataset} samples have {x.shape[1]} features but {net.path} expects "
                           f"{net.input_size} inputs{shape_note}")
    x, labels = take_samples(x, y, samples, dataset, part)
    budget.check_run(len(x), net.input_size, layer_sizes, window)
    return DatasetSamples(data, x, labels, dataset, part, window, seed)


def delivered_events(pre_spikes: np.ndarray, weight: np.ndarray) -> int:
    """Synaptic events: each presynaptic spike ``(n, pre, T)`` times its non-zero fan-out."""
    fan_out = np.count_nonzero(weight, axis=0)
    return int((pre_spikes.sum(axis=(0, 2)) * fan_out).sum())


def lava_progress(precision: str, unit: str, enabled: bool) -> Progress:
    return Progress(TextColumn(f"[bold]lava {precision}[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn(unit), TimeElapsedColumn(), disable=not enabled)
