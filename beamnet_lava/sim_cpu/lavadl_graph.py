"""Run any lava-dl NetX file on Lava: build its graph of stock processes, stream samples through it.

Entry point: :func:`run_lavadl` ``(path or network, inputs, options) -> LavadlResult``.

Inputs, per sample, in NetX's (C, H, W) order (flat or not):

- ``(samples, steps, *input)``: one input per step. 0/1 spikes when the first layer has
  synapses; for an input block with neurons, the values its neurons receive on ``a_in``
  each step (graded integers, e.g. the frames of PilotNet SDNN's ``input.npy``).
- ``(samples, *input)`` with ``input_mode="bias"`` (the default for an input block given 2-D
  data): a static image held as the input neurons' bias for the whole window, which is how
  lava-dl's own tests drive tiny.net and PilotNet LIF (``neuron.bias_mant``).

Timing. Lava step ``t`` (from 1) sends input row ``t - 1``; an input block's neurons take
it the same step and every synapse (conv, pool, dense) adds one step, so a layer behind
``d`` synapses answers sample ``k``'s step ``j`` at Lava step ``k*T + j + 1 + d``. CUBA
layers reset (``LIFReset``) at the first step of each of their windows (``reset_offset = 1
+ d``), so samples do not leak into each other; the result holds, per layer, the ``T`` steps
of each sample's own window. SDNN layers (``Sigma``/``Delta``) have no reset in Lava, so
the samples of an SDNN run are one stream (as frames of a video), in order.

Compared with lava-dl's SLAYER (``delay_shift`` on every block), the Lava spikes are one
step earlier: SLAYER's step ``j + 1`` is Lava's window step ``j`` (tiny.net: docs/lavadl.md).
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from beamnet_lava import budget
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export.lavadl_file import READOUT, LavadlNetwork, read_lavadl
import beamnet_lava.sim_cpu.watchdog as watchdog
from beamnet_lava.sim_cpu.backends import run_config
from beamnet_lava.sim_cpu.lavadl_procs import port_shape

INPUT_MODES = ("auto", "spikes", "values", "bias")


@dataclass
class LavadlOptions:
    """How :func:`run_lavadl` runs a file (every field has a default)."""

    time_steps: int | None = None        # window T; None: the input's steps, else the file's
    precision: str = "fixed"
    backend: str = "cpu"
    input_mode: str = "auto"             # spikes | values | bias (see module doc)
    chunk_samples: int = 32              # samples per watched Lava run call
    timeout_s: float = 300.0
    progress: Callable[[int], None] | None = None   # told how many samples finished
    reset: bool = True                   # CUBA layers reset at each window start


@dataclass
class LavadlResult:
    """Each recorded layer's output per sample, ``(samples, T, neurons)`` in (C, H, W) order:
    uint8 spikes, or graded values (SDNN messages, readout currents)."""

    layers: list[np.ndarray]
    names: list[str]                     # "layer<NetX index>"
    delays: list[int]                    # synapses between the input and each layer
    window: int
    input_mode: str
    seconds: float
    compile_seconds: float
    steps: int
    streams: list[np.ndarray] = field(default_factory=list)   # raw per-step records (keep_streams)

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1]

    def scores(self) -> np.ndarray:
        """Per sample and output neuron: spike counts, or summed currents/values."""
        return self.output.astype(np.float64).sum(axis=1)


def _lava_order(values: np.ndarray, block) -> np.ndarray:
    """(..., C*H*W) values in NetX order as (..., prod(port shape)) in Lava's order."""
    shape = port_shape(block)
    if len(shape) == 1:
        return values
    lead = values.shape[:-1]
    return values.reshape(*lead, *block.shape).transpose(*range(len(lead)), -1, -2, -3).reshape(*lead, -1)


def _netx_order(values: np.ndarray, block) -> np.ndarray:
    shape = port_shape(block)
    if len(shape) == 1:
        return values
    lead = values.shape[:-1]
    c, h, w = block.shape
    return values.reshape(*lead, w, h, c).transpose(*range(len(lead)), -1, -2, -3).reshape(*lead, -1)


@dataclass
class _Stage:
    block: object
    delay: int
    out: object          # OutPort of what is recorded
    neuron: object       # the neuron process (None for a current readout)
    dtype: str


def _connect(out, in_port, src_block, dst_shape: tuple[int, ...]) -> None:
    """``out`` -> ``in_port``, reshaped from the source's port shape when they differ
    (flatten: Lava's (W, H, C) to C-order (C, H, W), as netx)."""
    src_shape = port_shape(src_block)
    if tuple(src_shape) == tuple(dst_shape):
        out.connect(in_port)
    elif len(src_shape) == 3 and len(dst_shape) == 1:
        out.transpose([2, 1, 0]).flatten().connect(in_port)
    else:
        out.reshape(dst_shape).connect(in_port)


def build(net: LavadlNetwork, window: int | None, precision: str, input_mode: str):
    """The Lava graph of ``net``: ``(entry InPort or None, stages)``; ``window`` None: no resets."""
    from beamnet_lava.sim_cpu import lavadl_procs as procs

    entry, stages, prev_block, prev_out, delay = None, [], None, None, 0
    for block in net.blocks:
        if block.kind == "flatten":
            continue                      # a reshape: the next connection does it
        graded = block.neuron is not None and block.neuron.graded
        dtype = ("int32" if precision == "fixed" else "float64") if graded else "uint8"
        if block.kind == "input":
            if block.neuron is None:
                continue
            cell = procs.neuron(block, precision, window, 1, input_block=True)
            if input_mode != "bias":
                entry = cell.a_in
            stages.append(_Stage(block, 0, cell.s_out, cell, dtype))
            prev_block, prev_out = block, cell.s_out
            continue
        bits = 0 if prev_block is None and input_mode == "spikes" else \
            procs.message_bits(prev_block) if prev_block is not None else procs.SDNN_MESSAGE_BITS
        syn = procs.synapse(block, precision, bits)
        delay += 1
        if prev_out is None:
            entry = syn.s_in
        else:
            _connect(prev_out, syn.s_in, prev_block, syn.s_in.shape)
        cell = procs.neuron(block, precision, window, 1 + delay)
        if cell is None:                  # current readout: the synapse's output is recorded
            stages.append(_Stage(block, delay, syn.a_out, None, dtype))
            prev_block, prev_out = block, syn.a_out
            continue
        syn.a_out.connect(cell.a_in)
        stages.append(_Stage(block, delay, cell.s_out, cell, dtype))
        prev_block, prev_out = block, cell.s_out
    return entry, stages


def _resolve_mode(net: LavadlNetwork, inputs: np.ndarray, mode: str) -> str:
    if mode not in INPUT_MODES:
        raise BeamnetError(f"input mode {mode!r}: choose {', '.join(INPUT_MODES)}")
    has_input = net.input_block is not None
    if mode == "auto":
        if not has_input:
            mode = "spikes"
        else:
            mode = "bias" if inputs.ndim == 2 or inputs.ndim == 1 + len(net.input_shape) and \
                inputs.shape[1:] == net.input_shape else "values"
    if mode in ("bias", "values") and not has_input:
        raise BeamnetError(f"{net.path}: its first layer has synapses, so it takes input spikes "
                           f"(samples, steps, {net.input_size}), not {mode}")
    if mode == "spikes" and has_input:
        raise BeamnetError(f"{net.path}: its input block's neurons take values (per step) or "
                           "a static image (as their bias), not spikes of a first synapse")
    if mode == "bias" and net.input_block.neuron.kind != "CUBA":
        raise BeamnetError(f"{net.path}: its SDNN input block (a Delta encoder) has no bias; "
                           "give per-step values (samples, steps, inputs)")
    return mode


def _shape_inputs(net: LavadlNetwork, inputs: np.ndarray, mode: str, window: int | None) -> tuple[np.ndarray, int]:
    """``(n, T, n_in)`` (per-step modes) or ``(n, n_in)`` (bias), and the window T."""
    x = np.asarray(inputs)
    n_in, in_shape = net.input_size, net.input_shape
    if mode == "bias":
        if x.ndim >= 2 and int(np.prod(x.shape[1:])) == n_in and (x.ndim == 2 or x.shape[1:] == in_shape):
            x = x.reshape(len(x), n_in)
        else:
            raise BeamnetError(f"static input images have shape {x.shape}; {net.path} takes "
                               f"(samples, {n_in}) or (samples, {', '.join(map(str, in_shape))})")
        if not window:
            raise BeamnetError(f"{net.path}: static images need the number of time steps "
                               "(--time-steps) of each sample's window")
        return x, int(window)
    if x.ndim < 3 or int(np.prod(x.shape[2:])) != n_in or (x.ndim > 3 and x.shape[2:] != in_shape):
        raise BeamnetError(f"inputs have shape {x.shape}; {net.path} takes (samples, steps, "
                           f"{n_in}) or (samples, steps, {', '.join(map(str, in_shape))}) in "
                           "NetX's (C, H, W) order")
    x = x.reshape(x.shape[0], x.shape[1], n_in)
    steps = x.shape[1]
    if window and window != steps:
        raise BeamnetError(f"inputs have {steps} steps per sample but the window is {window} "
                           "steps; give inputs of the window's length")
    if mode == "spikes" and not np.isin(x, (0, 1)).all():
        raise BeamnetError(f"{net.path}: its first layer has synapses: inputs must be 0/1 spikes")
    return x, steps


def _check_values(net: LavadlNetwork, x: np.ndarray, mode: str, precision: str) -> None:
    if not np.all(np.isfinite(x)):
        raise BeamnetError("inputs hold NaN or infinite values")
    if precision == "fixed" and mode != "spikes":
        if not np.all(x == np.round(x)):
            raise BeamnetError("fixed-point inputs must be integers (hardware units)")
        from beamnet_lava.neurons import fixed_point

        lo, hi = (fixed_point.BIAS_MIN, fixed_point.BIAS_MAX) if mode == "bias" else (-(1 << 23), (1 << 23) - 1)
        if x.size and (x.min() < lo or x.max() > hi):
            raise BeamnetError(f"inputs out of the fixed-point range [{lo}, {hi}] of the input "
                               f"block's {'bias' if mode == 'bias' else 'a_in'} (found {x.min():g}..{x.max():g})")


class LavadlRun:
    """One compiled Lava graph of a lava-dl file; a context manager that always stops it."""

    def __init__(self, net: LavadlNetwork, options: LavadlOptions) -> None:
        self.net, self.options = net, options
        if options.precision == "float" and net.sdnn:
            raise BeamnetError(f"{net.path}: SDNN layers run in fixed point, as lava-dl's netx "
                               "builds them (their exponents have no float form); use --precision fixed")
        self.run_cfg = run_config(options.precision, options.backend)
        self._anchor = None
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> "LavadlRun":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _runtime(self):
        return None if self._anchor is None else getattr(self._anchor, "runtime", None)

    def close(self) -> None:
        runtime = self._runtime()
        if runtime is not None:
            if getattr(runtime, "_is_started", False):
                try:
                    watchdog.guarded(runtime.stop, lambda: None, 30.0, "stop")
                except BeamnetError:
                    watchdog.kill(runtime)
            else:
                watchdog.kill(runtime)
        self._anchor = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _steps(self, n: int) -> None:
        from lava.magma.core.run_conditions import RunSteps

        watchdog.guarded(lambda: self._anchor.run(condition=RunSteps(num_steps=n)),
                         self._runtime, self.options.timeout_s, "run")

    def run(self, inputs: np.ndarray, keep_streams: bool = False) -> LavadlResult:
        opt, net = self.options, self.net
        mode = _resolve_mode(net, np.asarray(inputs), opt.input_mode)
        x, window = _shape_inputs(net, inputs, mode, opt.time_steps)
        _check_values(net, x, mode, opt.precision)
        n = len(x)
        if n == 0:
            raise BeamnetError("no samples to run")
        entry, stages = build(net, window if (opt.reset and not net.sdnn) else None, opt.precision, mode)
        tail = max(s.delay for s in stages)
        total = n * window + tail
        sizes = [s.block.size for s in stages]
        item = {"uint8": 1, "int32": 4, "float64": 8}
        need = total * (net.input_size * 8 + sum(z * item[s.dtype] for z, s in zip(sizes, stages))) * 2
        budget.check(need, f"running {n} samples of {window} steps through {net.path}",
                     "lower the number of samples or steps")

        self._tmp = tempfile.TemporaryDirectory(prefix="beamnet-lavadl-")
        folder = Path(self._tmp.name)
        import beamnet_lava.processes.array_io.models  # noqa: F401  (register the models)
        from beamnet_lava.processes.array_io.process import ArrayRecorder, ArraySource

        records = []
        for i, (stage, size) in enumerate(zip(stages, sizes)):
            path = folder / f"layer{i}.bin"
            records.append(np.memmap(path, dtype=stage.dtype, mode="w+", shape=(total, size)))
            records[-1].flush()
            shape = tuple(stage.out.shape)
            stage.out.connect(ArrayRecorder(shape=shape, path=str(path), steps=total,
                                                  dtype=stage.dtype).a_in)
        first = stages[0].block if stages[0].delay == 0 else None
        if mode == "bias":
            cell = stages[0].neuron
            cell.bias_mant.init = _lava_order(x[0], first).reshape(cell.bias_mant.shape).astype(
                np.int32 if opt.precision == "fixed" else float)
        else:
            dtype = "uint8" if mode == "spikes" else ("int32" if opt.precision == "fixed" else "float64")
            src_path = folder / "input.bin"
            feed = np.memmap(src_path, dtype=dtype, mode="w+", shape=(total, net.input_size))
            rows = x.reshape(n * window, net.input_size)
            if len(tuple(entry.shape)) == 3:              # (C, H, W) rows -> Lava's (W, H, C)
                c, h, w = net.input_shape
                rows = rows.reshape(-1, c, h, w).transpose(0, 3, 2, 1).reshape(n * window, -1)
            feed[:n * window] = rows
            feed.flush()
            source = ArraySource(shape=tuple(entry.shape), path=str(src_path), steps=total, dtype=dtype)
            source.s_out.connect(entry)
        self._anchor = stages[0].neuron if stages[0].neuron is not None else stages[-1].neuron
        if self._anchor is None:
            raise BeamnetError(f"{net.path}: nothing to run (a readout alone)")
        t0 = time.perf_counter()
        watchdog.guarded(lambda: self._anchor.create_runtime(run_cfg=self.run_cfg),
                         self._runtime, opt.timeout_s, "compilation")
        compile_s = time.perf_counter() - t0

        t_run, step, done = 0.0, 0, 0
        per_call = 1 if mode == "bias" else max(1, opt.chunk_samples)
        while step < total:
            if mode == "bias" and 0 < done < n and step == done * window:
                cell = stages[0].neuron
                cell.bias_mant.set(_lava_order(x[done], first).reshape(cell.bias_mant.shape).astype(
                    np.int32 if opt.precision == "fixed" else float))
            todo = min(per_call * window if done < n else total - step, total - step)
            t0 = time.perf_counter()
            self._steps(todo)
            t_run += time.perf_counter() - t0
            step += todo
            newly = min(n, step // window) - done
            done += newly
            if opt.progress and newly:
                opt.progress(newly)
        layers = []
        for stage, rec in zip(stages, records):
            d = stage.delay
            seg = np.asarray(rec[d:d + n * window]).reshape(n, window, -1)
            layers.append(_netx_order(seg, stage.block).copy())
        streams = [np.asarray(r).copy() for r in records] if keep_streams else []
        return LavadlResult(layers, [f"layer{s.block.index}" for s in stages], [s.delay for s in stages],
                            window, mode, t_run, compile_s, step, streams)


def run_lavadl(path, inputs: np.ndarray, options: LavadlOptions | None = None,
               keep_streams: bool = False) -> LavadlResult:
    """Run ``inputs`` through a lava-dl NetX file (path or :class:`LavadlNetwork`) on Lava."""
    net = path if isinstance(path, LavadlNetwork) else read_lavadl(path)
    with LavadlRun(net, options or LavadlOptions()) as lava:
        return lava.run(inputs, keep_streams=keep_streams)


def predictions(result: LavadlResult) -> np.ndarray:
    """Class per sample: the output neuron with the most spikes (or largest summed current)."""
    return result.scores().argmax(axis=1)


__all__ = ["LavadlOptions", "LavadlResult", "LavadlRun", "READOUT", "build", "predictions", "run_lavadl"]
