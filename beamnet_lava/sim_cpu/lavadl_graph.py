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

Compared with lava-dl's SLAYER (``delay_shift`` on every block, its default), which keeps the
blocks' one-step latency in its time axis: a layer behind ``d`` synapses at SLAYER step ``j + d``
is its window step ``j`` here (docs/lavadl.md; lava-dl's tiny.net reference aligns at one step).
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
from beamnet_lava.neurons.fixed_point import DECAY_UNITY
from beamnet_lava.sim_cpu import lavadl_procs as procs

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
    lanes: int | str = 1                 # samples side by side per Lava step (or "auto")


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
    lanes: int = 1

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1]

    def scores(self) -> np.ndarray:
        """Per sample and output neuron: spike counts, or summed currents/values."""
        return self.output.astype(np.float64).sum(axis=1)


def entry_shape(net: LavadlNetwork) -> tuple[int, ...]:
    """The Lava port shape the input goes to: the input block's neurons, else the first
    synapse's input ((W, H, C) for a conv or pool, (N,) for a dense)."""
    if net.input_block is not None:
        return port_shape(net.input_block)
    first = next(b for b in net.blocks if b.kind not in ("input", "flatten"))
    c, h, w = first.in_shape
    return (w, h, c) if first.kind in ("conv", "pool") else (c * h * w,)


def netx_order(stream: np.ndarray, block) -> np.ndarray:
    """A one-lane raw record ``(steps, port)`` of a block in NetX's (C, H, W) order."""
    return unpack(stream[None], 1, 1, port_shape(block))[0]


def port_shape(block) -> tuple[int, ...]:
    """The Lava port shape of a block's neurons: (W, H, C), or (N,) for dense/flatten and
    1-D inputs (as netx)."""
    c, h, w = block.shape
    if block.kind in ("dense", "flatten") or (block.kind == "input" and h == w == 1):
        return (c * h * w,)
    return (w, h, c)


def _values(values: np.ndarray, block) -> np.ndarray:
    """Per-neuron values in NetX's (C, H, W) C-order as an array of the block's port shape."""
    values = np.asarray(values).reshape(-1)
    return values.reshape(block.shape).transpose(2, 1, 0) if len(port_shape(block)) == 3 else values


def _laned(shape: tuple[int, ...], lanes: int) -> tuple[int, ...]:
    """A port shape with ``lanes`` lanes stacked on its last (channel) axis."""
    return (*shape[:-1], shape[-1] * lanes)


def pack(x: np.ndarray, lanes: int, shape: tuple[int, ...]) -> np.ndarray:
    """``(n, T, C*H*W)`` (NetX order) -> ``(groups, T, prod(laned port))``: ``lanes`` samples
    side by side on the channel axis of a port of ``shape`` (W, H, C) or (N,), zero-padded."""
    n, steps = x.shape[:2]
    groups = -(-n // lanes)
    padded = np.zeros((groups * lanes, steps, x.shape[2]), x.dtype)
    padded[:n] = x
    if len(shape) == 3:
        w, h, c = shape
        v = padded.reshape(groups, lanes, steps, c, h, w).transpose(0, 2, 5, 4, 1, 3)
    else:
        v = padded.reshape(groups, lanes, steps, -1).transpose(0, 2, 1, 3)
    return v.reshape(groups, steps, -1)


def unpack(x: np.ndarray, lanes: int, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`pack`: ``(groups, T, laned port)`` -> the first ``n`` ``(n, T, C*H*W)``."""
    groups, steps = x.shape[:2]
    if len(shape) == 3:
        w, h, c = shape
        v = x.reshape(groups, steps, w, h, lanes, c).transpose(0, 4, 1, 5, 3, 2)
    else:
        v = x.reshape(groups, steps, lanes, -1).transpose(0, 2, 1, 3)
    return v.reshape(groups * lanes, steps, -1)[:n]


def _neuron_kind(block) -> str:
    n = block.neuron
    if n.kind == "SDNN":
        return "delta" if block.kind == "input" else "sigma" if n.sigma_output else "sigma_delta"
    return "readout" if n.kind == READOUT else "cuba"


def plan(net: LavadlNetwork, precision: str, input_mode: str, lanes: int = 1) -> list[dict]:
    """The stages :func:`beamnet_lava.sim_cpu.lavadl_procs.build` instantiates: each block with
    neurons (or a readout) with its synapse, in Lava's units and (W, H, C) order (module doc of
    :mod:`~beamnet_lava.sim_cpu.lavadl_procs`)."""
    fixed = precision == "fixed"
    stages, delay, prev = [], 0, None
    for block in net.blocks:
        if block.kind == "flatten" or block.neuron is None:
            continue
        n = block.neuron
        stage = {"kind": block.kind, "neuron": _neuron_kind(block), "shape": _laned(port_shape(block), lanes),
                 "lanes": lanes}
        if block.kind != "input":
            delay += 1
            if prev is None:
                bits = 0 if input_mode == "spikes" else procs.SDNN_MESSAGE_BITS
            else:
                bits = procs.SDNN_MESSAGE_BITS if prev.neuron.graded else 0
            stage["message_bits"] = bits
            if block.kind in ("conv", "pool"):
                kernel = _lava_kernel(block)
                c, h, w = block.in_shape                       # one lane's (lanes: LaneConv)
                stage.update(weight=kernel if fixed else kernel.astype(float), in_shape=(w, h, c),
                             stride=block.stride[::-1], padding=block.padding[::-1],
                             dilation=block.dilation[::-1], groups=block.groups)
            elif fixed:
                weight, bits_w, exp = _optimized(block.weight)
                stage.update(weight=weight, weight_exp=exp, num_weight_bits=bits_w)
            else:
                stage["weight"] = block.weight.astype(float)
        stage["delay"] = delay
        bias = np.zeros(port_shape(block)) if block.bias is None else _values(block.bias, block)
        bias = np.tile(bias, (1,) * (bias.ndim - 1) + (lanes,))     # along channels / neurons
        if stage["neuron"] == "cuba":
            if fixed:
                stage.update(du=n.i_decay - 1, dv=n.v_decay, vth=n.vth, bias=bias.astype(np.int32))
            else:
                stage.update(du=n.i_decay / DECAY_UNITY, dv=n.v_decay / DECAY_UNITY, vth=float(n.vth),
                             bias=bias.astype(float))
        elif stage["neuron"] in ("delta", "sigma_delta"):
            stage.update(vth=n.vth, bias=bias.astype(np.int32))
        stages.append(stage)
        prev = block
    return stages


def _lava_kernel(block) -> np.ndarray:
    """A conv/pool block's kernel as lava.proc.conv takes it: (out, kW, kH, in/groups)."""
    if block.kind == "pool":
        kh, kw = block.kernel
        return np.full((block.in_shape[0], kw, kh, 1), block.pool_weight, np.int64)
    # netx create_conv: weight[:, :, ::-1, ::-1] transposed (0, 3, 2, 1)
    return np.ascontiguousarray(block.weight[:, :, ::-1, ::-1].transpose(0, 3, 2, 1))


def _optimized(weight: np.ndarray) -> tuple[np.ndarray, int, int]:
    """netx's ``optimize_weight_bits`` (an all-zero matrix, which it divides by, kept as is)."""
    if not np.any(weight):
        return weight.astype(int), 8, 0
    from beamnet_lava._quiet import import_slayer

    import_slayer()
    from lava.lib.dl.netx.utils import optimize_weight_bits

    w, bits, exp, _ = optimize_weight_bits(weight)
    return w, bits, exp


def _dtype(block, precision: str) -> str:
    if not block.neuron.graded:
        return "uint8"
    return "int32" if precision == "fixed" else "float64"


def resolve_mode(net: LavadlNetwork, inputs: np.ndarray, mode: str) -> str:
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


def shape_inputs(net: LavadlNetwork, inputs: np.ndarray, mode: str, window: int | None) -> tuple[np.ndarray, int]:
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
        if options.precision == "fixed":
            from beamnet_lava.nir import float_import

            float_import.refuse(net.path, net.attrs, "run in fixed point (--precision fixed)")
        if options.precision == "float" and net.sdnn:
            raise BeamnetError(f"{net.path}: SDNN layers run in fixed point, as lava-dl's netx "
                               "builds them (their exponents have no float form); use --precision fixed")
        self.run_cfg = run_config(options.precision, options.backend)
        self._anchor = None
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> "LavadlRun":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(interrupted=exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, SystemExit)))

    def _runtime(self):
        return None if self._anchor is None else getattr(self._anchor, "runtime", None)

    def close(self, interrupted: bool = False) -> None:
        """Stop the runtime (see :meth:`LavaNetwork.close <beamnet_lava.sim_cpu.runner.LavaNetwork.close>`)."""
        try:
            watchdog.shut_down(self._runtime(), interrupted)
        finally:
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
        mode = resolve_mode(net, np.asarray(inputs), opt.input_mode)
        x, window = shape_inputs(net, inputs, mode, opt.time_steps)
        _check_values(net, x, mode, opt.precision)
        n = len(x)
        if n == 0:
            raise BeamnetError("no samples to run")
        blocks = net.layers
        lanes = self._lanes(n)
        groups = -(-n // lanes)
        steps = plan(net, opt.precision, mode, lanes)
        delays = [st["delay"] for st in steps]
        dtypes = [_dtype(b, opt.precision) for b in blocks]
        total = groups * window + max(delays)
        sizes = [lanes * b.size for b in blocks]
        item = {"uint8": 1, "int32": 4, "float64": 8}
        need = total * (lanes * net.input_size * 8 + sum(z * item[d] for z, d in zip(sizes, dtypes))) * 2
        budget.check(need, f"running {n} samples of {window} steps through {net.path}",
                     "lower the number of samples or steps")
        entry, built = procs.build(steps, window if (opt.reset and not net.sdnn) else None,
                                   opt.precision, feed_input=mode != "bias")

        self._tmp = tempfile.TemporaryDirectory(prefix="beamnet-lavadl-")
        folder = Path(self._tmp.name)
        import beamnet_lava.processes.array_io.models  # noqa: F401  (register the models)
        from beamnet_lava.processes.array_io.process import ArrayRecorder, ArraySource

        records = []
        for i, ((out, _), size, dtype) in enumerate(zip(built, sizes, dtypes)):
            path = folder / f"layer{i}.bin"
            records.append(np.memmap(path, dtype=dtype, mode="w+", shape=(total, size)))
            records[-1].flush()
            out.connect(ArrayRecorder(shape=tuple(out.shape), path=str(path), steps=total, dtype=dtype).a_in)
        cell0 = built[0][1]
        in_port = entry_shape(net)
        if mode == "bias":
            images = pack(x[:, None, :], lanes, in_port)[:, 0]          # (groups, laned port)
            cast = np.int32 if opt.precision == "fixed" else float
            cell0.bias_mant.init = images[0].reshape(cell0.bias_mant.shape).astype(cast)
        else:
            dtype = "uint8" if mode == "spikes" else ("int32" if opt.precision == "fixed" else "float64")
            src_path = folder / "input.bin"
            feed = np.memmap(src_path, dtype=dtype, mode="w+", shape=(total, lanes * net.input_size))
            feed[:groups * window] = pack(x, lanes, in_port).reshape(groups * window, -1)
            feed.flush()
            source = ArraySource(shape=tuple(entry.shape), path=str(src_path), steps=total, dtype=dtype)
            source.s_out.connect(entry)
        self._anchor = next((cell for _, cell in built if cell is not None), None)
        if self._anchor is None:
            raise BeamnetError(f"{net.path}: nothing to run (a readout alone)")
        t0 = time.perf_counter()
        watchdog.guarded(lambda: self._anchor.create_runtime(run_cfg=self.run_cfg),
                         self._runtime, opt.timeout_s, "compilation")
        compile_s = time.perf_counter() - t0

        t_run, step, done = 0.0, 0, 0
        per_call = 1 if mode == "bias" else max(1, opt.chunk_samples // lanes)
        while step < total:
            if mode == "bias" and 0 < done < groups and step == done * window:
                cell0.bias_mant.set(images[done].reshape(cell0.bias_mant.shape).astype(cast))
            todo = min(per_call * window if done < groups else total - step, total - step)
            t0 = time.perf_counter()
            self._steps(todo)
            t_run += time.perf_counter() - t0
            step += todo
            newly = min(groups, step // window) - done
            if opt.progress and newly:
                opt.progress(min(n, (done + newly) * lanes) - min(n, done * lanes))
            done += newly
        layers = []
        for block, d, rec in zip(blocks, delays, records):
            seg = np.asarray(rec[d:d + groups * window]).reshape(groups, window, -1)
            layers.append(unpack(seg, lanes, n, port_shape(block)).copy())
        streams = [np.asarray(r).copy() for r in records] if keep_streams else []
        return LavadlResult(layers, [f"layer{b.index}" for b in blocks], delays,
                            window, mode, t_run, compile_s, step, streams, lanes)

    def _lanes(self, n: int) -> int:
        """Lanes for ``n`` samples: 1 for SDNN (one stream), else as asked (``auto``: within
        the memory bound of :mod:`beamnet_lava.sim_cpu.lanes`)."""
        from beamnet_lava.sim_cpu.lanes import choose_lanes

        if self.net.sdnn:
            if self.options.lanes not in (1, "auto"):
                raise BeamnetError(f"{self.net.path}: sigma-delta layers are one stream; they run "
                                   "in one lane (--lanes 1)")
            return 1
        return choose_lanes(self.options.lanes, n, self.net.input_size + sum(b.size for b in self.net.layers))


def run_lavadl(path, inputs: np.ndarray, options: LavadlOptions | None = None,
               keep_streams: bool = False) -> LavadlResult:
    """Run ``inputs`` through a lava-dl NetX file (path or :class:`LavadlNetwork`) on Lava."""
    net = path if isinstance(path, LavadlNetwork) else read_lavadl(path)
    with LavadlRun(net, options or LavadlOptions()) as lava:
        return lava.run(inputs, keep_streams=keep_streams)


def predictions(result: LavadlResult) -> np.ndarray:
    """Class per sample: the output neuron with the most spikes (or largest summed current)."""
    return result.scores().argmax(axis=1)


__all__ = ["LavadlOptions", "LavadlResult", "LavadlRun", "plan", "predictions", "run_lavadl"]
