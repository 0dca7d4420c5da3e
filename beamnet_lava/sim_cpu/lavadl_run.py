"""``beamnet-lava run FILE --inputs X.npy`` for lava-dl NetX files (conv, pool, SDNN, readout).

The report has the keys of the dense path's (``spike_inputs.run_inputs``) plus the lava-dl
specifics: the input mode, each layer's delay, class predictions (most output spikes, or the
largest summed current of a readout) and energy per inference from measured counts, where a
conv or pool layer's synaptic events are each spike's actual fan-out (the non-zero taps of the
kernel that reach an output position from it, edges and stride included), not a dense count.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import budget
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.families.contracts import RunOptions
from beamnet_lava.io_utils import atomic_path, refuse_overwrite
from beamnet_lava.netx_export.lavadl_file import LavadlNetwork, read_file, read_lavadl
from beamnet_lava.sim_cpu.lavadl_graph import LavadlOptions, LavadlResult, predictions, run_lavadl



def load_inputs(path: str | Path) -> np.ndarray:
    """A numeric array from ``path`` (.npy): per-step inputs (samples, steps, ...) or static
    images (samples, ...); checked against the network by the runner."""
    p = Path(path)
    arr = budget.load_npy(p)                # shape and dtype from the header, before loading
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise BeamnetError(f"{p}: inputs must be a numeric .npy array")
    if arr.ndim < 2 or 0 in arr.shape:
        raise BeamnetError(f"{p}: inputs have shape {arr.shape}; give (samples, steps, inputs) "
                           "or static images (samples, inputs)")
    return arr


def synaptic_events(net: LavadlNetwork, inputs: np.ndarray | None, result: LavadlResult) -> list[int]:
    """Synaptic events delivered into each recorded layer: every non-zero message (a spike,
    or a graded SDNN message) times its actual fan-out into that layer (conv and pool: the
    kernel taps that reach an output position; dense: non-zero weights). An input block's
    neurons take their inputs directly (no synapses): 0."""
    events, pre = [], inputs
    layers = iter(result.layers)
    for block in net.blocks:
        if block.kind == "flatten" or (block.kind == "input" and block.neuron is None):
            continue
        out = next(layers)
        if block.kind == "input":
            events.append(0)
        else:
            active = np.count_nonzero(pre.reshape(-1, pre.shape[-1]), axis=0)   # per presynaptic neuron
            events.append(int(active.astype(np.int64) @ block.fan_out()))
        pre = out
    return events


def energy_per_inference(net: LavadlNetwork, result: LavadlResult, events: list[int],
                         constants: dict) -> dict[str, Any]:
    """Loihi's per-operation energy from the counts of this run, per sample (nJ)."""
    from beamnet_lava.metrics.energy import per_op_nJ

    n, window = result.layers[0].shape[:2]
    spiking = [(b, layer) for b, layer in zip(net.layers, result.layers) if b.neuron.kind != "readout"]
    updates = sum(b.size for b, _ in spiking) * window
    fired = sum(int(np.count_nonzero(layer)) for _, layer in spiking) / n
    return {"breakdown_nJ": per_op_nJ(sum(events) / n, updates, fired, fired, constants),
            "constants_source": constants.get("source", "")}


def run_lavadl_inputs(net: LavadlNetwork, inputs: str | Path, *, record: str | Path | None = None,
                      force: bool = False, options: LavadlOptions | None = None,
                      energy_constants: str | Path | None = None) -> dict[str, Any]:
    """Run the inputs in ``inputs`` (.npy) through ``net`` on Lava; optionally save every layer
    (``record``, .npz: ``layer<i>`` = (samples, steps, neurons), NetX (C, H, W) order)."""
    from beamnet_lava.metrics.energy import load_constants

    options = options or LavadlOptions()
    if record is not None:
        refuse_overwrite(Path(record), force)
    constants = load_constants("loihi1", energy_constants)
    x = load_inputs(inputs)
    result = run_lavadl(net, x, options)
    n = len(x)
    per_step = result.input_mode != "bias"
    feed = np.asarray(x).reshape(n, result.window, -1) if per_step else None
    events = synaptic_events(net, feed, result)
    if record is not None:
        with atomic_path(record) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{name: (a.astype(bool) if a.dtype == np.uint8 else a)
                                       for name, a in zip(result.names, result.layers)})
    graded = {name: b.neuron.graded for name, b in zip(result.names, net.layers)}
    return {
        "file": str(net.path), "inputs": str(inputs), "n_samples": n, "time_steps": result.window,
        "input_mode": result.input_mode, "precision": options.precision, "backend": options.backend,
        "input_spikes": int(np.count_nonzero(feed)) if per_step else None,
        "spikes": {k: int(np.count_nonzero(a)) for k, a in zip(result.names, result.layers)},
        "graded": graded,
        "neurons": {k: b.size for k, b in zip(result.names, net.layers)},
        "delays": dict(zip(result.names, result.delays)),
        "synaptic_events": dict(zip(result.names, events)),
        "predictions": predictions(result).tolist(),
        "energy_per_inference": energy_per_inference(net, result, events, constants),
        "record": None if record is None else str(record),
        "steps": result.steps, "run_seconds": result.seconds, "compile_seconds": result.compile_seconds,
        "steps_per_s": result.steps / result.seconds if result.seconds else None,
    }


def run_lavadl_dataset(path: str | Path, options: RunOptions):
    """A dataset through a lava-dl file: its encoded spikes (rate-coded images, binned events)
    into the first synapse, or as per-step 0/1 values into an input block's neurons. There is no
    training model to compare with, so the report has accuracy and activity, no parity. An input
    block's neurons receive the image intensities scaled by the block's ``weight`` every step
    (binned events for event datasets), as slayer's input block scales its input."""
    o = options
    dataset, samples, part, precision, backend = o.dataset, o.samples, o.part, o.precision, o.backend
    time_steps, data_dir, seed, timeout_s = o.time_steps, o.data_dir, o.seed, o.timeout_s
    chunk_samples, progress, lanes = o.chunk_samples, o.progress, "auto" if o.lanes is None else o.lanes
    from beamnet_lava.metrics.energy import load_constants
    from beamnet_lava.names import EVENT_DATASETS
    from beamnet_lava.sim_cpu import shards
    from beamnet_lava.sim_cpu.common import dataset_samples, lava_progress
    from beamnet_lava.sim_cpu.report import RunReport

    net = read_lavadl(path)
    if net.sdnn:
        raise BeamnetError(f"{net.path}: sigma-delta networks take graded frames, not a dataset's "
                           "spikes; run them with --inputs X.npy")
    got = dataset_samples(net, dataset, samples, part, data_dir, seed, time_steps,
                          layer_sizes=[b.size for b in net.layers],
                          steps_hint=" (a lava-dl file); pass --time-steps, or run your own "
                                     "inputs with --inputs X.npy",
                          shape_note=f" {net.input_shape}")
    dataset, data, x, labels, n, window = got.dataset, got.data, got.x, got.labels, got.n, got.window
    spikes = data.spikes(part, window, n).astype(np.uint8).transpose(0, 2, 1)     # (n, T, inputs)
    mode = "values" if net.input_block is not None else "spikes"
    feed = spikes
    if net.input_block is not None:
        # the input neurons take slayer's input scaling w * x of the image intensities each step
        # (binned events for event data); the block's exported bias is left out: lava-dl's
        # bootstrap MNIST network reaches 99 % on the first 100 MNIST test images that way and
        # 20 % with it (measured here), and lava-dl's netx applies neither
        w = net.input_block.transform[0]
        if dataset in EVENT_DATASETS:
            feed = spikes.astype(np.int64) * w
        else:
            feed = np.repeat(np.round(np.asarray(x, np.float64) * w).astype(np.int64)[:, None], window, axis=1)
    with lava_progress(precision, "samples", progress) as bar:
        task = bar.add_task("run", total=n)
        result = shards.lavadl(net, feed, LavadlOptions(
            time_steps=window, precision=precision, backend=backend, input_mode=mode,
            chunk_samples=chunk_samples, timeout_s=timeout_s, lanes=lanes,
            progress=lambda k: bar.advance(task, k)), mapper=o.mapper, workers=o.workers)
    events = synaptic_events(net, spikes, result)
    pred = predictions(result)
    why = ("layer 0 is an input block with neurons" if net.input_block is not None else
           "it has conv/pool layers" if any(b.kind in ("conv", "pool") for b in net.blocks) else
           "it has a current readout")
    report = RunReport(
        file=str(net.path), model="lavadl", dataset=dataset, split=data.description, part=part,
        n_samples=n, time_steps=window, precision=precision, backend=backend,
        accuracy=float((pred == labels).mean()),
        spikes={k: int(np.count_nonzero(a)) for k, a in zip(result.names, result.layers)},
        synaptic_events=dict(zip(result.names, events)),
        neurons={k: b.size for k, b in zip(result.names, net.layers)},
        steps=result.steps, run_seconds=result.seconds, compile_seconds=result.compile_seconds,
        steps_per_s=result.steps / result.seconds if result.seconds else None,
        samples_per_s=n / result.seconds if result.seconds else None,
        predictions=pred.tolist(),
        parity_note=f"no training-model reference: a lava-dl network from elsewhere ({why})",
        details={"input_spikes": int(spikes.sum()) if mode == "spikes" else None, "lanes": result.lanes,
                 "input_mode": mode})
    report.energy_per_inference = energy_per_inference(net, result, events, load_constants("loihi1"))
    return report


# this module's hooks, attached by the registry (families.registry.load) through sim_cpu/__init__.py's providers()
PROVIDES = [
    provide("spike_inputs", read_file, "lavadl"),
    provide("lava_run", run_lavadl_dataset, "lavadl"),
]
