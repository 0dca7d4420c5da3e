"""The data a config trains and is evaluated on, in the form its model family takes.

The family record says which (``Family.inputs``): ``images`` (features in [0, 1],
also an event dataset's first-spike latencies), ``spikes`` (images, which the model
rate-codes, or an event dataset's binned raster, Eq. 6) or ``sequences`` (one input
per step, :mod:`beamnet_lava.data.sequences`).
"""
from __future__ import annotations

import numpy as np

from beamnet_lava.data.datasets import Split, load_split
from beamnet_lava.data.sequences import load_sequences, sequence_inputs
from beamnet_lava.families import family_of


def load_data(cfg, data_dir: str | None = None) -> Split:
    """The seeded split a config trains and is evaluated on (``data_dir`` overrides the config's)."""
    data_dir = data_dir or cfg.data_dir
    loader = load_sequences if family_of(cfg).inputs == "sequences" else load_split
    return loader(cfg.dataset, seed=cfg.seed, split=cfg.split, data_dir=data_dir,
                  options=cfg.to_dict())


def model_inputs(cfg, data: Split, part: str) -> np.ndarray:
    """What ``predict`` takes for a split part: images (or event latencies), the binned event
    raster of an event dataset (Eq. 6) for a ``spikes`` family, or sequences."""
    inputs = family_of(cfg).inputs
    if inputs == "sequences":
        return sequence_inputs(data, part, cfg.time_steps)
    if inputs == "spikes" and data.events is not None:
        return data.spikes(part, cfg.time_steps)
    return data.part(part)[0]
