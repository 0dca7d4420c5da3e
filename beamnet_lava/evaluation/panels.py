"""Each family's spike raster of one sample (``raster.png`` of ``beamnet-lava evaluate``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from beamnet_lava.data.encoding import rate_encode, times_to_raster
from beamnet_lava.data.sequences import as_sequences
from beamnet_lava.families.registry import provide
from beamnet_lava.models.beamnet import encoder_intensity
from beamnet_lava.neurons.noise import sample_keys
from beamnet_lava.training.checkpoint import LoadedRun

Panels = list[tuple[str, np.ndarray]]   # (title, spikes (neurons, T))


def beamnet_panels(run: LoadedRun, x0: np.ndarray) -> Panels:
    cfg = run.config
    inten = encoder_intensity(x0, cfg)
    enc = times_to_raster(run.model.encode_times(inten), cfg.time_steps)[0]
    mem = run.model.infer(inten, sample_keys("test", 1), False, probe=False)["spikes"][0]
    return [("encoder (Eq. 7 latency)", enc), ("memory neurons", mem)]


def snn_panels(run: LoadedRun, x0: np.ndarray) -> Panels:
    inp = (np.asarray(x0, dtype=np.float32) if x0.ndim == 3
           else rate_encode(x0, run.config.time_steps))
    with torch.no_grad():
        outs = [o.numpy()[0] for o in run.model.layer_outputs(torch.from_numpy(inp))]
    first = ("input (events)" if x0.ndim == 3 else "input (rate code)", inp[0])
    return [first] + [(f"layer {i}", o) for i, o in enumerate(outs)]


def seq_panels(run: LoadedRun, x0: np.ndarray) -> Panels:
    with torch.no_grad():
        _, z = run.model(torch.from_numpy(np.ascontiguousarray(x0, dtype=np.float32)
                                          if x0.ndim == 3 else as_sequences(x0)))
    return [(f"hidden {run.config.model} neurons (input: one pixel per step)", z.numpy()[0])]


def no_panels(run: LoadedRun, x0: np.ndarray) -> Any:
    """An ANN has no spikes: no raster."""
    return None


# this module's hooks, attached by the registry (families.registry.load) through evaluation/__init__.py's providers()
PROVIDES = [
    provide("raster", beamnet_panels, "beamnet"),
    provide("raster", snn_panels, "snn"),
    provide("raster", seq_panels, "brf-rsnn", "rf-rsnn", "alif-rsnn"),
    provide("raster", no_panels, "ann"),
]
