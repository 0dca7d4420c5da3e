"""Pixel-sequence tasks: an image read one pixel per time step (row-major).

- ``digits-seq``: scikit-learn's 8x8 digits as 64-step sequences (sequential digits).
- ``mnist-seq``: MNIST as 784-step sequences (S-MNIST), from the folder of
  IDX files :func:`beamnet_lava.data.datasets.load_split` reads.

The images and their seeded split are exactly those of the image datasets
(``digits``, ``mnist``); only the reading differs. Pixels are analog inputs
(one input channel), given to the network as ``(n, 1, T)`` float32 values in
[0, 1]. Their integer form (what a Lava spike source sends as a graded
message) is the dataset's native intensity level: 0..16 for digits, 0..255
for MNIST (:data:`LEVELS`); ``level / levels`` is exactly the float value.

- ``shd``: the Spiking Heidelberg Digits (tonic's layout, read by
  :mod:`beamnet_lava.data.events`): 700 input channels (fewer with
  ``event_downsample``) binned into ``time_steps`` frames (Eq. 6) over
  ``event_window_ms``; binary spikes, so one level (:data:`LEVELS`).
"""
from __future__ import annotations

import numpy as np

from beamnet_lava.data.datasets import Split, load_split
from beamnet_lava.names import SEQUENCE_DATASETS, SEQUENCE_LENGTHS, SHD_STEPS  # noqa: F401
from beamnet_lava.errors import BeamnetError

SOURCES = {"digits-seq": "digits", "mnist-seq": "mnist", "shd": "shd"}
LEVELS = {"digits-seq": 16, "mnist-seq": 255, "shd": 1}
LENGTHS = SEQUENCE_LENGTHS
SEQ_DATASETS = SEQUENCE_DATASETS


def load_sequences(name: str, seed: int = 0, split: tuple[float, float, float] = (0.6, 0.2, 0.2),
                   data_dir: str | None = None, options=None) -> Split:
    """The split of ``name``'s source dataset; each row is one sequence."""
    if name not in SOURCES:
        raise BeamnetError(f"unknown sequence dataset {name!r}; choose one of {', '.join(SEQ_DATASETS)}")
    if SOURCES[name] == "shd":
        return load_split("shd", seed=seed, split=split, data_dir=data_dir, options=options)
    data = load_split(SOURCES[name], seed=seed, split=split, data_dir=data_dir)
    return Split(name, data.x_train, data.y_train, data.x_val, data.y_val, data.x_test,
                 data.y_test, data.n_classes,
                 f"{data.description}; read as {LENGTHS[name]}-step pixel sequences ({name})")


def as_sequences(x: np.ndarray) -> np.ndarray:
    """Images ``(n, pixels)`` -> float input sequences ``(n, 1, pixels)``."""
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32)[:, None, :])


def to_levels(x: np.ndarray, name: str) -> np.ndarray:
    """Images ``(n, pixels)`` in [0, 1] -> integer levels ``(n, 1, pixels)`` (uint8)."""
    return inputs_to_levels(as_sequences(x), name)


def sequence_inputs(data: Split, part: str, time_steps: int, n: int | None = None) -> np.ndarray:
    """A part's network inputs ``(n, channels, T)`` float32: pixel sequences, or event frames."""
    if data.events is not None:
        return np.ascontiguousarray(data.spikes(part, time_steps, n), dtype=np.float32)
    x = data.part(part)[0]
    return as_sequences(x if n is None else x[:n])


def sequence_levels(data: Split, part: str, time_steps: int, n: int | None = None) -> np.ndarray:
    """The same inputs as integer levels ``(n, channels, T)`` (what a Lava source sends)."""
    if data.events is not None:
        return sequence_inputs(data, part, time_steps, n).astype(np.uint8)
    x = data.part(part)[0]
    return to_levels(x if n is None else x[:n], data.name)


def inputs_to_levels(x: np.ndarray, name: str) -> np.ndarray:
    """Network inputs ``(n, channels, T)`` -> integer levels, exactly (level / LEVELS[name])."""
    levels = LEVELS[name]
    q = np.rint(np.asarray(x, dtype=np.float64) * levels)
    if not np.allclose(q / levels, x, atol=1e-6):
        raise BeamnetError(f"{name} inputs are not multiples of 1/{levels}; cannot send them as "
                           "integer levels")
    return q.astype(np.uint8)
