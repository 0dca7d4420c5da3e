"""Convolutional NIR graphs -> lava-dl NetX conv / flatten / dense layers (docs/nir.md).

A chain ``Input -> ops -> neuron -> ops -> neuron ... -> Output`` where each ``ops`` is the
linear part of one layer, composed exactly into one NetX layer:

- ``[Pool ...] Conv2d``: a conv layer. A sum pool of kernel ``k`` (stride ``k``, no padding)
  followed by a convolution (kernel ``K``, stride ``S``, padding ``P``) is one convolution of
  kernel ``K k``, stride ``S k``, padding ``P k`` whose taps repeat each weight over a ``k x k``
  block (an average pool also divides by ``k^2``): the pooled values (0..k^2 spikes) never
  pass through a neuron, so no pooling layer is needed and nothing is approximated;
- ``[Pool ...] Flatten Linear/Affine``: a NetX ``flatten`` layer and a dense layer whose
  columns repeat over each pooling block (C-order (C, H, W), torch's and netx's flatten);
- ``Linear/Affine`` on a flat input: a dense layer.

Pools must tile their input (stride = kernel, no padding, sizes divisible by the kernel).
Neurons are the node table's (IF, LIF, CubaLIF without biases in the current); integers per
layer by the scale rule (:mod:`beamnet_lava.nir.scale`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.nir import float_import, scale
from beamnet_lava.nir.nodes import Conv, Neuron, Passive, Pool, Reshape


@dataclass
class Stage:
    """One NetX layer of a conv import (``kind`` input, conv, flatten or dense)."""

    kind: str
    shape: tuple[int, ...]                    # NetX (slayer) order: (C, H, W), or (N,)
    weight: np.ndarray | None = None          # integers
    v_th_mant: int = 0
    i_decay: int = 0
    v_decay: int = 0
    bias: np.ndarray | None = None            # Lava neuron bias per neuron (C*H*W order)
    conv: dict = field(default_factory=dict)  # in_channels, kernel_size, stride, padding, dilation, groups
    neuron_kind: str = ""
    name: str = ""


@dataclass
class ConvImport:
    path: Path
    dt: float
    stages: list[Stage]
    attrs: dict = field(default_factory=dict)
    worst: float = 0.0                        # largest weight rounding, fraction of the threshold
    worst_where: str = ""
    decay_error: float = 0.0
    decay_where: str = ""
    precision: str = "fixed"                  # "float": the graph's own values (nir/float_import.py)

    @property
    def max_rounding_error(self) -> float:
        return self.worst

    def describe(self) -> str:
        layers = [s for s in self.stages if s.kind in ("conv", "dense")]
        shapes = " -> ".join("x".join(str(d) for d in s.shape) for s in self.stages if s.kind != "flatten")
        kinds = "/".join(dict.fromkeys(s.neuron_kind for s in layers))
        where = f" ({self.worst_where})" if self.worst else ""
        decay = (f"; decays rounded: time constants within {100 * self.decay_error:.2g} % ({self.decay_where})"
                 if self.decay_error else "")
        head = (f"{self.path} (NetX for lava-dl, {sum(s.kind == 'conv' for s in layers)} conv + "
                f"{sum(s.kind == 'dense' for s in layers)} dense layers from NIR {kinds}: {shapes}; ")
        if self.precision == "float":
            return head + f"{float_import.DESCRIBE}; dt = {self.dt:g} s)"
        return head + (f"largest weight rounding {100 * self.worst:.2g} % of the threshold{where}{decay}; "
                       f"dt = {self.dt:g} s)")

    def write(self, out: Path, *, force: bool = False):
        """Publish the file through the one NetX writer, read back by the lava-dl reader."""
        from beamnet_lava.netx_export.lavadl_file import read_lavadl
        from beamnet_lava.netx_export.netx_writer import NetxWriter, cuba

        w = NetxWriter()
        kind = float_import.neuron_type(self.attrs)
        for st in self.stages:
            if st.kind == "input":
                w.input(list(st.shape))
            elif st.kind == "flatten":
                w.flatten(list(st.shape))
            elif st.kind == "pool":
                p = st.conv
                w.pool(st.weight.astype(np.float64), cuba(st.v_th_mant, st.i_decay, st.v_decay, type=kind),
                       shape=list(st.shape), kernel_size=p["kernel_size"], stride=p["stride"],
                       padding=p["padding"], dilation=p["dilation"])
            elif st.kind == "conv":
                p = st.conv
                w.conv(st.weight.astype(np.float64), cuba(st.v_th_mant, st.i_decay, st.v_decay, type=kind),
                       shape=list(st.shape), in_channels=p["in_channels"], out_channels=p["out_channels"],
                       kernel_size=p["kernel_size"], stride=p["stride"], padding=p["padding"],
                       dilation=p["dilation"], groups=p["groups"],
                       bias=None if st.bias is None else st.bias.astype(np.float64))
            else:
                w.dense(st.weight.astype(np.float64), cuba(st.v_th_mant, st.i_decay, st.v_decay, type=kind),
                        bias=None if st.bias is None else st.bias.astype(np.float64))
        w.attrs(self.attrs)
        return w.publish(out, read_lavadl, force=force, register=False)


def is_conv_graph(conv: dict) -> bool:
    return any(isinstance(v, (Conv, Pool, Reshape)) for v in conv.values())


def _conv_out(shape, c: Conv) -> tuple[int, int, int]:
    _, h, w = shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = c.weight.shape[2:], c.stride, c.padding, c.dilation
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    return c.weight.shape[0], oh, ow


def _fold_pools(pools: list[tuple[str, Pool]], shape, path: Path) -> tuple[tuple[int, int], float, tuple]:
    """The block size and scale of consecutive tiling pools, and the pooled shape."""
    kh = kw = 1
    factor = 1.0
    c, h, w = shape
    for name, p in pools:
        if p.stride != p.kernel or p.padding != (0, 0):
            raise BeamnetError(f"{path}: {p.kind} {name!r} (kernel {p.kernel}, stride {p.stride}, padding "
                               f"{p.padding}) does not tile its input; only pools with stride = kernel "
                               "and no padding compose exactly with the next layer")
        if h % p.kernel[0] or w % p.kernel[1]:
            raise BeamnetError(f"{path}: {p.kind} {name!r} kernel {p.kernel} does not divide its "
                               f"{h} x {w} input (rows or columns would be dropped)")
        h, w = h // p.kernel[0], w // p.kernel[1]
        kh, kw = kh * p.kernel[0], kw * p.kernel[1]
        if p.kind == "AvgPool2d":
            factor /= p.kernel[0] * p.kernel[1]
    return (kh, kw), factor, (c, h, w)


def walk(nodes, conv, preds, succs, inp: str, out: str, input_shape: tuple[int, ...], dt: float,
         round_off_grid: bool, path: Path, meta: dict | None = None, precision: str = "fixed") -> ConvImport:
    """The NetX stages of a convolutional chain graph."""
    attrs = {"nir_dt": dt, "nir_source": (meta or {}).get("source", "nir")}
    float_import.mark(attrs, precision)
    result = ConvImport(path, dt, [Stage("input", tuple(input_shape))], attrs, precision=precision)
    cur, shape = inp, tuple(input_shape)
    while True:
        ops: list[tuple[str, object]] = []
        node = _next(cur, succs, preds, path)
        while not isinstance(conv[node], Neuron) and node != out:
            if isinstance(conv[node], Passive):
                raise BeamnetError(f"{path}: {conv[node].kind} {node!r} in a convolutional graph; "
                                   "delays are not imported there")
            ops.append((node, conv[node]))
            node = _next(node, succs, preds, path)
        if node == out:
            if ops:
                raise BeamnetError(f"{path}: {', '.join(n for n, _ in ops)} reach the Output without a "
                                   "neuron layer; NetX layers end in neurons")
            break
        shape = _layer(result, ops, node, conv[node], shape, dt, round_off_grid, path)
        cur = node
    if len(result.stages) < 2:
        raise BeamnetError(f"{path}: no neuron layer between Input and Output")
    return result


def _next(name: str, succs, preds, path: Path) -> str:
    nxt = succs[name]
    if len(nxt) != 1:
        raise BeamnetError(f"{path}: {name!r} feeds {len(nxt)} nodes; a convolutional graph is imported "
                           "as a chain (one successor per node, no recurrence)")
    if len(preds[nxt[0]]) != 1:
        raise BeamnetError(f"{path}: {nxt[0]!r} has {len(preds[nxt[0]])} inputs; a chain needs one")
    return nxt[0]


def _layer(result: ConvImport, ops, name: str, nrn: Neuron, shape, dt: float, round_off_grid: bool,
           path: Path) -> tuple[int, ...]:
    """Append the stage(s) of ``ops -> nrn``; returns the neuron's shape."""
    pools = []
    k = 0
    while k < len(ops) and isinstance(ops[k][1], Pool):
        pools.append(ops[k])
        k += 1
    rest = ops[k:]
    kinds = [type(o).__name__ for _, o in rest]
    flat_in = len(shape) == 1
    if pools and flat_in:
        raise BeamnetError(f"{path}: {pools[0][1].kind} {pools[0][0]!r} on a flat input")
    block, factor, pooled = _fold_pools(pools, shape, path) if pools else ((1, 1), 1.0, shape)
    if kinds == ["Conv"] and not flat_in:
        cname, c = rest[0]
        if c.weight.shape[1] * c.groups != pooled[0]:
            raise BeamnetError(f"{path}: Conv2d {cname!r} takes {c.weight.shape[1] * c.groups} channels; its "
                               f"input has {pooled[0]}")
        if block != (1, 1) and c.dilation != (1, 1):
            raise BeamnetError(f"{path}: Conv2d {cname!r} is dilated after a pool; not composed")
        out_shape = _conv_out(pooled, c)
        if min(out_shape[1:]) < 1:
            raise BeamnetError(f"{path}: Conv2d {cname!r} kernel {c.weight.shape[2:]} is larger than its "
                               f"{pooled[1]} x {pooled[2]} input")
        w = np.repeat(np.repeat(c.weight, block[0], axis=2), block[1], axis=3) * factor
        params = {"in_channels": shape[0], "out_channels": c.weight.shape[0],
                  "kernel_size": list(w.shape[2:]),
                  "stride": [c.stride[0] * block[0], c.stride[1] * block[1]],
                  "padding": [c.padding[0] * block[0], c.padding[1] * block[1]],
                  "dilation": list(c.dilation), "groups": c.groups}
        bias = None if c.bias is None else np.repeat(c.bias, out_shape[1] * out_shape[2])
        _append(result, "conv", out_shape, w, bias, params, name, nrn, dt, round_off_grid, path, cname)
        return out_shape
    if kinds == ["Reshape", "Synapse"] and not flat_in:
        fname, f = rest[0]
        if f.end_dim != -1 or f.start_dim not in (0, 1):
            raise BeamnetError(f"{path}: Flatten {fname!r} (start_dim {f.start_dim}, end_dim {f.end_dim}) "
                               "does not flatten a (C, H, W) map to a vector")
        sname, syn = rest[1]
        c, h, wd = pooled
        if syn.weight.shape[1] != c * h * wd:
            raise BeamnetError(f"{path}: {syn.kind} {sname!r} takes {syn.weight.shape[1]} inputs; the "
                               f"flattened map has {c * h * wd}")
        wt = syn.weight.reshape(-1, c, h, wd)
        wt = np.repeat(np.repeat(wt, block[0], axis=2), block[1], axis=3).reshape(syn.weight.shape[0], -1) * factor
        n_flat = int(np.prod(shape))
        result.stages.append(Stage("flatten", (n_flat, 1, 1), name=fname))
        _append(result, "dense", (syn.weight.shape[0],), wt, syn.bias, {}, name, nrn, dt, round_off_grid,
                path, sname)
        return (syn.weight.shape[0],)
    if kinds == ["Synapse"] and flat_in and not pools:
        sname, syn = rest[0]
        if syn.weight.shape[1] != shape[0]:
            raise BeamnetError(f"{path}: {syn.kind} {sname!r} takes {syn.weight.shape[1]} inputs; the layer "
                               f"below has {shape[0]}")
        _append(result, "dense", (syn.weight.shape[0],), syn.weight, syn.bias, {}, name, nrn, dt,
                round_off_grid, path, sname)
        return (syn.weight.shape[0],)
    if len(pools) == 1 and not rest:                  # a pooling layer with its own neurons
        pname, p = pools[0]
        c, h, wd = shape
        oh = (h + 2 * p.padding[0] - p.kernel[0]) // p.stride[0] + 1
        ow = (wd + 2 * p.padding[1] - p.kernel[1]) // p.stride[1] + 1
        if min(oh, ow) < 1:
            raise BeamnetError(f"{path}: {p.kind} {pname!r} kernel {p.kernel} is larger than its {h} x {wd} input")
        tap = 1.0 if p.kind == "SumPool2d" else 1.0 / (p.kernel[0] * p.kernel[1])
        params = {"kernel_size": list(p.kernel), "stride": list(p.stride), "padding": list(p.padding),
                  "dilation": [1, 1]}
        _append(result, "pool", (c, oh, ow), np.full((1, 1, *p.kernel), tap), None, params, name, nrn, dt,
                round_off_grid, path, pname)
        return (c, oh, ow)
    seq = " -> ".join([p.kind for _, p in pools] + [getattr(o, "kind", type(o).__name__) for _, o in rest])
    raise BeamnetError(f"{path}: the nodes into {nrn.kind} {name!r} ({seq or 'none'}) are not one NetX layer; "
                       "imported: [pools] Conv2d, [pools] Flatten Linear/Affine, Linear/Affine, one pool")


def _append(result: ConvImport, kind: str, shape, weight: np.ndarray, bias, params: dict, name: str,
            nrn: Neuron, dt: float, round_off_grid: bool, path: Path, syn_name: str) -> None:
    size = int(np.prod(shape))
    if nrn.size != size:
        raise BeamnetError(f"{path}: {nrn.kind} {name!r} has {nrn.size} neurons; {syn_name!r} gives {size}")
    if nrn.threshold is None:
        raise BeamnetError(f"{path}: {nrn.kind} {name!r} is a non-spiking readout; not imported yet")
    gain = np.unique(np.round(nrn.gain, 12))
    if gain.size != 1:
        raise BeamnetError(f"{path}: {nrn.kind} {name!r} has an input gain that differs between neurons; "
                           "a shared kernel needs one")
    g = float(gain[0])
    if bias is not None and nrn.current:
        raise BeamnetError(f"{path}: {syn_name!r} has a bias into the synaptic current of {name!r}; "
                           "in a convolutional graph only neurons without current (IF, LIF) take one")
    voltage_bias = None if bias is None else np.asarray(bias, dtype=np.float64) * g
    if result.precision == "float":          # the graph's values in the float models' units
        f = float_import.SCALE
        decays = float_import.decays(nrn.a, nrn.b, nrn.kind, name, path)
        result.stages.append(Stage(kind, tuple(int(x) for x in shape), weight * g * f, float(nrn.threshold) * f,
                                   decays[0], decays[1], None if voltage_bias is None else voltage_bias * f,
                                   params, nrn.kind, name))
        return
    s = scale.choose(nrn.threshold, [(f"weights of {syn_name!r}", weight * g)], voltage_bias)
    if isinstance(s, str):
        raise BeamnetError(f"{path}: {nrn.kind} {name!r}: {s}")
    if s.worst_of_threshold > result.worst:
        result.worst, result.worst_where = s.worst_of_threshold, s.worst_where
    decays = []
    for frac, what in ((nrn.a, "current decay"), (nrn.b, "voltage decay")):
        d = scale.decay(frac, f"{nrn.kind} {name!r} {what}")
        if d.relative > scale.DECAY_TOLERANCE and not round_off_grid:
            raise BeamnetError(f"{path}: {d.what} is {d.exact:.4g}, off Loihi's 12-bit grid by {d.steps_off:.2g} "
                               f"of a step ({100 * d.relative:.2g} % of the time constant); `beamnet-lava "
                               "import --round` rounds it")
        if d.relative > result.decay_error:
            result.decay_error, result.decay_where = d.relative, d.what
        decays.append(d.value)
    if decays[0] == 0 or (decays[1] == 0 and nrn.b > 0):
        raise BeamnetError(f"{path}: {nrn.kind} {name!r} decays by less than half a 12-bit step per dt")
    result.stages.append(Stage(kind, tuple(int(x) for x in shape), s.matrices[0], s.v_th_mant, decays[0],
                               decays[1], s.neuron_bias, params, nrn.kind, name))
