"""``beamnet-lava run FILE --inputs SPIKES.npy [--record OUT.npz]``: the user's own spikes.

A graph made elsewhere (snnTorch, Norse, via NIR) can be checked against its own library's
simulation without our datasets: inputs are a bool array ``(samples, steps, inputs)``,
each layer's spikes come back as ``(samples, steps, neurons)`` arrays (``layer0`` ...; an LI
readout's membrane values as float64 in the NIR graph's units: nir/readout.py),
aligned step for step with the input (the runner removes the one-step hop Lava's
Dense adds per layer; docs/nir.md). Every sample starts from rest: neurons reset between
samples, and for recurrent or delayed networks each window is padded with silent steps
(a sample whose predecessor was still spiking at the end of its padding is rerun alone).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import budget
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import atomic_path, refuse_overwrite
from beamnet_lava.netx_export.lavadl_file import InputShapeUnknown, LavadlNetwork, read_lavadl
from beamnet_lava.neurons import fixed_point
from beamnet_lava.nir import channels, readout
from beamnet_lava.sim_cpu.snn_run import carry_steps, run_snn, synaptic_events
from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S


def load_spikes(path: str | Path) -> np.ndarray:
    """A ``(samples, steps, inputs)`` 0/1 array from ``path`` (.npy), validated."""
    p = Path(path)
    dtype = budget.npy_header(p)[1]          # sizes and dtype from the header, before loading
    if dtype.kind not in "biuf":
        raise BeamnetError(f"{p}: input spikes have dtype {dtype}; give a bool or 0/1 integer array")
    arr = budget.load_npy(p)
    if not isinstance(arr, np.ndarray) or arr.ndim != 3:
        raise BeamnetError(f"{p}: input spikes must be a 3-D array (samples, steps, inputs), "
                           f"found shape {getattr(arr, 'shape', None)}")
    if arr.dtype != bool and not np.isin(arr, (0, 1)).all():
        raise BeamnetError(f"{p}: input spikes must be bool or 0/1")
    if 0 in arr.shape:
        raise BeamnetError(f"{p}: input spikes have an empty dimension {arr.shape}")
    return arr.astype(np.uint8)


def run_inputs(netx_path: str | Path, inputs: str | Path, *, record: str | Path | None = None,
               force: bool = False, precision: str = "fixed", backend: str = "cpu",
               chunk_samples: int = 32, timeout_s: float = DEFAULT_TIMEOUT_S,
               progress: bool = True, time_steps: int | None = None,
               input_mode: str = "auto") -> dict[str, Any]:
    """Run the user's input spikes through a NetX SNN on Lava; optionally save every layer.
    lava-dl files (conv, pool, SDNN, input blocks: :mod:`beamnet_lava.sim_cpu.lavadl_run`)
    also take static images (``time_steps`` steps each) or graded values."""
    from beamnet_lava.netx_export.export import file_family

    read = file_family(netx_path).hook("spike_inputs", subject=netx_path)
    if record is not None:
        refuse_overwrite(Path(record), force)
    try:
        net = read(netx_path)
    except InputShapeUnknown:               # a conv-first slayer export: shape from the inputs
        from beamnet_lava.sim_cpu.lavadl_run import load_inputs

        x = load_inputs(inputs)
        if x.ndim != 5:
            raise
        net = read_lavadl(netx_path, input_shape=tuple(x.shape[2:]))
    if isinstance(net, LavadlNetwork):      # conv, pool, SDNN, input block, readout
        from beamnet_lava.sim_cpu.lavadl_graph import LavadlOptions
        from beamnet_lava.sim_cpu.lavadl_run import run_lavadl_inputs

        return run_lavadl_inputs(net, inputs, record=record, force=force, options=LavadlOptions(
            time_steps=time_steps, precision=precision, backend=backend, chunk_samples=chunk_samples,
            timeout_s=timeout_s, input_mode=input_mode))
    if time_steps is not None or input_mode != "auto":
        raise BeamnetError(f"{netx_path}: --time-steps and input modes apply to lava-dl files "
                           "(static images); this network takes spike trains of their own length")
    shape, dtype, _ = budget.npy_header(inputs)
    if len(shape) == 3:                      # memory for the whole run, before loading anything
        budget.check_inputs_run(*shape, [l.size for l in net.layers], carry_steps(net), dtype.itemsize)
    spikes = load_spikes(inputs)
    n, steps, n_in = spikes.shape
    if n_in != channels.user_input_size(net):
        raise BeamnetError(f"{inputs}: {n_in} inputs per step, but {netx_path} has "
                           f"{channels.user_input_size(net)} inputs")
    spikes_nit = channels.drive(net, spikes.transpose(0, 2, 1))    # + always-on bias channel
    n_in = spikes_nit.shape[1]
    carry = carry_steps(net)

    def run(x: np.ndarray):
        return run_snn(net, x, steps + 2 * carry, precision=precision, backend=backend,
                       chunk_samples=chunk_samples, timeout_s=timeout_s, progress=progress)[1]

    padded = np.concatenate([spikes_nit, np.zeros((n, n_in, 2 * carry), np.uint8)], axis=2)
    result = run(padded)
    seconds, compile_s, lava_steps = result.seconds, result.compile_seconds, result.steps
    full = [l.copy() for l in result.layers]
    if carry:
        # a spike in the last `carry` steps of a padded window is still in flight (a recurrent
        # back edge or a synaptic delay) when the next sample starts: rerun that sample alone
        for k in range(1, n):
            if not in_flight(net, [l[k - 1] for l in full]):
                continue
            alone = run(padded[k:k + 1])
            for f, a in zip(full, alone.layers):
                f[k] = a[0]
            seconds, compile_s, lava_steps = (seconds + alone.seconds, compile_s + alone.compile_seconds,
                                              lava_steps + alone.steps)
    li_scale = readout.of(net)
    every = [l[:, :, :steps].transpose(0, 2, 1) for l in full]          # (n, steps, neurons)
    every = [readout.membrane(net, a, precision) if li_scale is not None and i == len(every) - 1
             else a.astype(bool) for i, a in enumerate(every)]
    layers = channels.strip(net, every, axis=2)       # without always-on bias neurons
    if record is not None:
        with atomic_path(record) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{f"layer{i}": a for i, a in enumerate(layers)})
    report = {
        "file": str(netx_path), "inputs": str(inputs), "n_samples": n, "time_steps": steps,
        "precision": precision, "backend": backend, "input_spikes": int(spikes.sum()),
        "spikes": {f"layer{i}": int(np.count_nonzero(a)) for i, a in enumerate(layers)},
        "neurons": {f"layer{i}": n for i, n in enumerate(channels.user_sizes(net))},
        "synaptic_events": {f"layer{i}": e for i, e in
                            enumerate(synaptic_events(net, spikes_nit, [l.transpose(0, 2, 1) for l in every]))},
        "record": None if record is None else str(record),
        "steps": lava_steps, "run_seconds": seconds, "compile_seconds": compile_s,
        "steps_per_s": lava_steps / seconds if seconds else None,
    }
    if li_scale is not None:
        # the last layer is an LI readout: its membrane values (graph units) are the output
        last = f"layer{len(layers) - 1}"
        report["graded"] = {f"layer{i}": i == len(layers) - 1 for i in range(len(layers))}
        report["readout"] = {
            "layer": last, "values": "LI membrane, in the NIR graph's units (saved by --record)",
            "unit": 1.0 / (li_scale * (fixed_point.W_SCALE if precision == "fixed" else 1.0)),
            "min": float(layers[-1].min()), "max": float(layers[-1].max()),
        }
    return report


def in_flight(net, layers: list[np.ndarray]) -> bool:
    """Whether one padded window's spikes ``(neurons, steps)`` per layer reach into the next
    window: a recurrent layer's spike on its last step (its back edge delivers one step later),
    or a spike of the layer below a delayed layer within its largest delay of the end. A layer
    without either (an output layer, even a bias-driven one that never falls silent) cannot."""
    for i, layer in enumerate(net.layers):
        if layer.weight_rec is not None:
            senders = np.any(layer.weight_rec != 0, axis=0)       # neurons with a back edge
            if layers[i][senders, -1:].any():
                return True
        if i and layer.delay is not None and layer.delay.size and int(layer.delay.max()) > 0:
            if layers[i - 1][:, -int(layer.delay.max()):].any():
                return True
    return False
