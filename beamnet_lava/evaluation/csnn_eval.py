"""The CSNN family's evaluation hooks: calibration, predictions, raster, ``evaluate FILE``.

Probabilities are ``softmax(counts / T)`` of the output spike counts with the temperature
``T`` fitted on validation (as the dense SNN's). Energy counts every synaptic event from the
actual fan-out of each spike (:func:`beamnet_lava.models.csnn.fan_outs`: a conv neuron
reaches only the windows that cover it), never as if the layers were dense.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava.data.loading import model_inputs
from beamnet_lava.evaluation.predict import Predictions, in_batches
from beamnet_lava.families.registry import provide
from beamnet_lava.metrics.calibration import fit_temperature, softmax
from beamnet_lava.metrics.energy import per_op_nJ
from beamnet_lava.metrics.uncertainty import entropy
from beamnet_lava.models.csnn import encode, fan_outs
from beamnet_lava.sim_cpu.csnn_run import run_csnn
from beamnet_lava.training.checkpoint import LoadedRun


def forward(run: LoadedRun, x: np.ndarray, raster: bool = False) -> list[np.ndarray]:
    """Per layer ``[input, layer 1, ...]``: each neuron's spike count ``(n, neurons)`` int32
    over the window, or (``raster``) the spike trains ``(n, neurons, T)`` uint8."""
    def layers(xb: np.ndarray) -> list[np.ndarray]:
        inp = encode(run.config, xb)
        outs = [torch.from_numpy(inp)] + run.model.layer_outputs(torch.from_numpy(inp))
        return [t.numpy().astype(np.uint8) if raster else t.sum(-1).numpy().astype(np.int32) for t in outs]

    return in_batches(x, layers)


def csnn_predictions(prob: np.ndarray, y: np.ndarray, counts: list[np.ndarray],
                     fans: list[np.ndarray], steps: int, t: float, constants: dict) -> Predictions:
    """Predictions of a CSNN from each layer's per-neuron spike counts ``[input, layer 1, ...]``
    ``(n, neurons)``: synaptic events = every presynaptic spike times its neuron's actual
    fan-out; neuron updates = neurons x steps; spikes routed = input and layer spikes."""
    n = len(y)
    synaptic = sum(pre.astype(np.float64) @ fan.astype(np.float64) for pre, fan in zip(counts[:-1], fans))
    spikes = sum(c.sum(1, dtype=np.int64) for c in counts[1:])
    neurons = sum(c.shape[1] for c in counts[1:])
    fired = np.concatenate([c > 0 for c in counts[1:]], axis=1)
    e = per_op_nJ(synaptic, neurons * steps, spikes, counts[0].sum(1, dtype=np.int64) + spikes, constants)
    nan = np.full(n, np.nan)
    total = entropy(prob)
    return Predictions(prob, y, total, nan, nan, nan, total, spikes, fired.mean(1), np.ones(n),
                       e["total"], e["total"], "predictive entropy",
                       "per operation, " + str(constants.get("source", "user constants")).split(",")[0],
                       {"temperature": t, "breakdown_nJ": {k: float(np.mean(v)) for k, v in e.items()}})


def calibrate(run: LoadedRun, data) -> dict[str, float]:
    """Fit the temperature of ``softmax(counts / T)`` on validation; stored in the checkpoint."""
    counts = forward(run, model_inputs(run.config, data, "val"))[-1]
    t = fit_temperature(counts.astype(np.float64), data.y_val)
    checkpoint.save_checkpoint(run.run_dir / checkpoint.CHECKPOINT, run.model, run.config,
                               run.epoch, run.val_accuracy, calibration={"temperature": t})
    return {"temperature": t}


def predict_csnn(run: LoadedRun, x: np.ndarray, y: np.ndarray, part: str, *,
                 temperature_: float | None, constants: dict, **_: Any) -> Predictions:
    t = temperature_ if temperature_ is not None else run.calibration.get("temperature")
    layers = forward(run, x)
    if t is None:
        raise ValueError("this CSNN run has no fitted temperature; calibrate it first")
    prob = softmax(layers[-1].astype(np.float64) / float(t))
    return csnn_predictions(prob, y, layers, fan_outs(run.model), run.config.time_steps, float(t),
                            constants)


def csnn_panels(run: LoadedRun, x0: np.ndarray) -> list[tuple[str, np.ndarray]]:
    layers = forward(run, x0, raster=True)
    kinds = [l.kind for l in run.model.stack if l.kind != "flatten"]
    first = ("input (events)" if np.ndim(x0) == 3 else f"input ({run.config.encoding} code)",
             layers[0][0])
    return [first] + [(f"layer {i + 1} ({k})", o[0]) for i, (k, o) in enumerate(zip(kinds, layers[1:]))]


def csnn_file(net, *, part: str, loop: bool | None, constants: dict, precision: str, backend: str,
              lanes: int | str | None, timeout_s: float, mapper: Any = None, workers: int | None = None):
    """A CSNN file on Lava; probabilities softmax(counts / T) with the file's temperature."""
    from beamnet_lava.errors import BeamnetError

    attrs = net.attrs
    if "temperature" not in attrs or "time_steps" not in attrs:
        raise BeamnetError(f"{net.path} records no temperature/time steps: re-export its run with "
                           "`beamnet-lava export RUN_DIR -o FILE --force`")
    t = float(attrs["temperature"])
    cfg = net.config()
    run = LoadedRun(Path(net.path), cfg, net.to_model(), 0, float("nan"), {"temperature": t})
    fans = fan_outs(run.model)

    def predictor(xx: np.ndarray, yy: np.ndarray) -> Predictions:
        spikes = encode(cfg, xx)
        result = run_csnn(net, spikes, cfg.time_steps, precision=precision, backend=backend,
                          timeout_s=timeout_s, progress=False, lanes="auto" if lanes is None else lanes,
                          mapper=mapper, workers=workers)
        counts = [spikes.sum(-1).astype(np.int32)] + [l.sum(-1, dtype=np.int32) for l in result.layers]
        prob = softmax(counts[-1].astype(np.float64) / t)
        return csnn_predictions(prob, yy, counts, fans, cfg.time_steps, t, constants)
    return run, predictor


# this module's hooks, attached by the registry (families.registry.load) through evaluation/__init__.py's providers()
PROVIDES = [
    provide("calibrate", calibrate, "csnn"),
    provide("predict", predict_csnn, "csnn"),
    provide("raster", csnn_panels, "csnn"),
    provide("file_predictor", csnn_file, "csnn"),
]
