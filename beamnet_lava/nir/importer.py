"""``beamnet-lava import``: a NIR graph -> a NetX file of CUBA layers that keeps its dynamics.

The chain walker reads ``Input -> [Delay ->] Linear/Affine -> neuron -> ... -> Output`` (nested
subgraphs inlined, a Linear back edge from a neuron to itself as a recurrent layer); what each
node means is the node table's (:mod:`beamnet_lava.nir.nodes`); the integers of each layer are
the scale rule's (:mod:`beamnet_lava.nir.scale`); a bias into a synaptic current is an
always-on unit (:mod:`beamnet_lava.nir.channels`). docs/nir.md states the whole mapping.
"""
from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import checks, outputs
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export.netx_file import FORMAT_VERSION, Layer, read_netx
from beamnet_lava.netx_export.netx_writer import NetxWriter, cuba
from beamnet_lava.neurons import fixed_point
from beamnet_lava.nir import channels, float_import, readout, scale
from beamnet_lava.nir import conv as conv_mod
from beamnet_lava.nir.reading import DT, _our_metadata, _scalar_meta, flatten_graph, is_nir, read_nir
from beamnet_lava.nir.nodes import Neuron, Passive, Synapse, convert

GRID_TOLERANCE = 0.01            # delays: off the step grid by up to 1 % of a step without --round


@dataclass
class NirImport:
    path: Path
    layers: list[Layer]
    input_size: int
    attrs: dict[str, Any]
    max_rounding_error: float              # weights/biases: largest |integer/s - value| / threshold
    rounding_where: str
    dt: float
    decay_error: float = 0.0               # largest relative time-constant error of a rounded decay
    decay_where: str = ""
    neuron_kinds: list[str] = field(default_factory=list)
    always_on: list[int] = field(default_factory=list)

    def describe(self) -> str:
        sizes = " -> ".join([str(self.input_size - (self.always_on or [0])[0])]
                            + [str(l.size - c) for l, c in zip(self.layers, self.always_on[1:] or [0] * len(self.layers))])
        delayed = sum(l.delay is not None for l in self.layers)
        rec = sum(l.weight_rec is not None for l in self.layers)
        extra = (f", {delayed} with delays" if delayed else "") + (f", {rec} recurrent" if rec else "")
        if any(self.always_on):
            extra += f", {sum(self.always_on)} always-on bias unit(s)"
        li_scale = self.attrs.get(readout.ATTR)
        if li_scale:
            extra += (f", layer {len(self.layers) - 1} an {self.neuron_kinds[-1]} readout (membrane values "
                      f"in steps of {1 / (fixed_point.W_SCALE * li_scale):.3g})")
        kinds = "/".join(dict.fromkeys(self.neuron_kinds)) or "CUBA"
        where = f" ({self.rounding_where})" if self.max_rounding_error else ""
        decay = (f"; decays rounded: time constants within {100 * self.decay_error:.2g} % ({self.decay_where})"
                 if self.decay_error else "")
        if float_import.is_float(self.attrs):
            return (f"{self.path} (NetX, {len(self.layers)} CUBA layers from NIR {kinds}: {sizes}{extra}; "
                    f"{float_import.DESCRIBE}; dt = {self.dt:g} s)")
        return (f"{self.path} (NetX, {len(self.layers)} CUBA layers from NIR {kinds}: {sizes}{extra}; "
                f"largest weight rounding {100 * self.max_rounding_error:.2g} % of the threshold{where}"
                f"{decay}; dt = {self.dt:g} s)")


@dataclass
class _Grid:
    """Delays onto whole steps; remembers the worst error."""

    tolerance: float
    round_off_grid: bool
    path: Path

    def __call__(self, values: np.ndarray, where: str) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        ints = np.round(values)
        err = float(np.max(np.abs(values - ints), initial=0.0))
        if err > self.tolerance and not self.round_off_grid:
            raise BeamnetError(f"{self.path}: {where} is off the Loihi grid by up to {err:.3g} of "
                               f"a step (tolerance {self.tolerance:g}); `beamnet-lava import --round` rounds "
                               "it (and reports the largest rounding error)")
        return ints.astype(np.int64)


@dataclass
class _Plan:
    """One layer before scaling: float weights (NIR units, gain not yet folded)."""

    name: str
    neuron: Neuron
    weight: np.ndarray                 # (n, n_pre)
    delay: np.ndarray                  # (n, n_pre) steps
    weight_rec: np.ndarray | None
    bias: np.ndarray | None            # constant input (NIR units, before the gain)
    consumed: list[str]


@dataclass
class _Parsed:
    """A graph's nodes in Lava's form (the node table's), wired, before the chain walk."""

    nodes: dict
    conv: dict
    preds: dict[str, list[str]]
    succs: dict[str, list[str]]
    inp: str
    out: str
    input_shape: tuple[int, ...]
    meta: dict
    dt: float


def nir_to_layers(graph, path: Path, *, dt: float | None = None, tolerance: float = GRID_TOLERANCE,
                  round_off_grid: bool = False, precision: str = "fixed") -> NirImport:
    """NetX CUBA layers computing what ``graph`` computes (forward Euler at ``dt``): Loihi's
    integers (``precision="fixed"``), or the graph's own float parameters for Lava's
    floating-point models (``"float"``: :mod:`beamnet_lava.nir.float_import`)."""
    precision = float_import.check_precision(precision)
    g = _parse(graph, path, dt)
    if conv_mod.is_conv_graph(g.conv):
        return conv_mod.walk(g.nodes, g.conv, g.preds, g.succs, g.inp, g.out, g.input_shape, g.dt,
                             round_off_grid, path, g.meta, precision=precision)
    grid = _Grid(tolerance, round_off_grid, path)
    plans = _walk(g.nodes, g.conv, g.preds, g.succs, g.inp, g.out, g.dt, grid, path)
    return _scale_layers(plans, int(np.prod(g.input_shape)), g.meta, g.dt, round_off_grid, path, precision)


def layer_plans(graph, path: Path, *, dt: float | None = None) -> list[_Plan]:
    """A dense chain's layers before the scale rule: float weights in NIR units, each neuron's
    gain not yet folded in (``benchmarks/bench_nir.py --split`` studies other integer grids)."""
    g = _parse(graph, path, dt)
    return _walk(g.nodes, g.conv, g.preds, g.succs, g.inp, g.out, g.dt, _Grid(GRID_TOLERANCE, True, path), path)


def _parse(graph, path: Path, dt: float | None) -> _Parsed:
    nodes, edges = flatten_graph(graph)
    meta = _our_metadata(graph)
    if dt is not None:                          # --dt: 0, negative or NaN is refused, never replaced
        dt = checks.seconds("--dt", dt)
    else:
        found = meta.get("dt") if meta.get("dt") is not None else _scalar_meta(graph, "dt")
        dt = DT if found is None else checks.seconds(f"{path}: metadata dt", found)
    for name, node in nodes.items():
        for key, val in vars(node).items():
            if isinstance(val, np.ndarray) and val.dtype.kind not in "biufc" and key != "padding":
                raise BeamnetError(f"{path}: node {name!r} parameter {key} must be numbers (found "
                                   f"dtype {val.dtype}); re-export the graph")
            if isinstance(val, np.ndarray) and val.dtype.kind in "fc" and not np.all(np.isfinite(val)):
                raise BeamnetError(f"{path}: node {name!r} parameter {key} holds NaN or inf")
    conv = {name: convert(node, dt, name, path) for name, node in nodes.items()}
    inputs = [k for k, v in conv.items() if isinstance(v, Passive) and v.kind == "Input"]
    outputs = [k for k, v in conv.items() if isinstance(v, Passive) and v.kind == "Output"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise BeamnetError(f"{path}: the graph needs exactly one Input and one Output node "
                           f"(found {len(inputs)} Input, {len(outputs)} Output)")
    preds: dict[str, list[str]] = {k: [] for k in nodes}
    succs: dict[str, list[str]] = {k: [] for k in nodes}
    for a, b in edges:
        if a not in nodes or b not in nodes:
            raise BeamnetError(f"{path}: edge {a!r} -> {b!r} names a node that does not exist")
        preds[b].append(a)
        succs[a].append(b)
    input_shape = tuple(int(v) for v in np.asarray(list(nodes[inputs[0]].input_type.values())[0]).reshape(-1))
    return _Parsed(nodes, conv, preds, succs, inputs[0], outputs[0], input_shape, meta, dt)


def _walk(nodes, conv, preds, succs, inp: str, out: str, dt: float, grid: _Grid, path: Path) -> list[_Plan]:
    plans: list[_Plan] = []
    source, n_pre = inp, int(np.prod(list(nodes[inp].input_type.values())[0]))
    visited: set[str] = set()
    while True:
        nxt = [b for b in succs[source] if b not in visited]
        if source != inp and out in nxt:
            if len(nxt) != 1:
                raise BeamnetError(f"{path}: {source!r} feeds the Output and other nodes; "
                                   "beamnet-lava imports chains of layers")
            break
        if not nxt:
            raise BeamnetError(f"{path}: {source!r} leads nowhere (no path to the Output node)")
        branches: list[tuple[str, int]] = []        # (synapse node, delay steps)
        for b in nxt:
            d_steps, syn = 0, b
            if isinstance(conv[b], Passive) and conv[b].kind == "Delay":
                if len(succs[b]) != 1 or not isinstance(conv[succs[b][0]], Synapse):
                    raise BeamnetError(f"{path}: Delay {b!r} must feed exactly one Linear")
                d = np.asarray(nodes[b].delay, dtype=np.float64).reshape(-1)
                steps = grid(d / dt, f"Delay {b!r} (in steps of dt = {dt:g} s)")
                if np.unique(steps).size != 1:
                    raise BeamnetError(f"{path}: Delay {b!r} delays its inputs by different amounts; "
                                       "beamnet-lava expects one delay per branch")
                d_steps = int(steps[0])
                if not 0 <= d_steps <= fixed_point.MAX_DELAY:
                    raise BeamnetError(f"{path}: Delay {b!r} is {d_steps} steps; Loihi allows 0..{fixed_point.MAX_DELAY}")
                visited.add(b)
                syn = succs[b][0]
            elif not isinstance(conv[b], Synapse):
                raise BeamnetError(f"{path}: {source!r} feeds a {type(nodes[b]).__name__} ({b!r}); a layer "
                                   "is Linear/Affine (optionally after a Delay) into a neuron node")
            if len(preds[syn]) != 1:
                raise BeamnetError(f"{path}: {type(nodes[syn]).__name__} {syn!r} has {len(preds[syn])} inputs; it needs one")
            branches.append((syn, d_steps))
        targets = {t for s, _ in branches for t in succs[s]}
        if len(targets) != 1 or not isinstance(conv[next(iter(targets))], Neuron):
            raise BeamnetError(f"{path}: the Linear nodes after {source!r} must all feed one neuron "
                               f"node (found {sorted(targets)})")
        name = next(iter(targets))
        plan = _plan(conv, preds, name, branches, source, n_pre, path)
        if neuron_feeds_on(plan, succs, out):
            raise BeamnetError(f"{path}: {plan.neuron.kind} {name!r} is a non-spiking readout (membrane "
                               "values, not spikes) and must feed the Output node alone; it feeds "
                               f"{sorted(set(succs[name]) - set(plan.consumed))}")
        plans.append(plan)
        visited.update([s for s, _ in branches] + plan.consumed + [name])
        source, n_pre = name, plan.neuron.size
    unused = set(nodes) - visited - {inp, out}
    if unused:
        raise BeamnetError(f"{path}: nodes {sorted(unused)} are not on the Input -> Output chain")
    return plans


def neuron_feeds_on(plan: _Plan, succs, out: str) -> bool:
    """Whether a non-spiking readout feeds anything but the Output (its values are not spikes)."""
    return plan.neuron.threshold is None and set(succs[plan.name]) - set(plan.consumed) != {out}


def _plan(conv, preds, name: str, branches, source: str, n_pre: int, path: Path) -> _Plan:
    neuron: Neuron = conv[name]
    n = neuron.size
    weight = np.zeros((n, n_pre))
    delay = np.zeros((n, n_pre), dtype=np.int64)
    bias = np.zeros(n)
    for syn_name, d in branches:
        syn: Synapse = conv[syn_name]
        if syn.weight.shape != (n, n_pre):
            raise BeamnetError(f"{path}: {syn.kind} {syn_name!r} has weight shape {syn.weight.shape}; "
                               f"expected ({n}, {n_pre}) to chain")
        if np.any((weight != 0) & (syn.weight != 0)):
            raise BeamnetError(f"{path}: synapses into {name!r} appear in two branches; a NetX "
                               "synapse has one weight and one delay")
        weight += syn.weight
        delay[syn.weight != 0] = d
        if syn.bias is not None:
            bias += syn.bias
    rec = [p for p in preds[name] if p not in {s for s, _ in branches}]
    weight_rec = None
    for r in rec:
        syn = conv[r]
        if not isinstance(syn, Synapse) or preds[r] != [name]:
            raise BeamnetError(f"{path}: {neuron.kind} {name!r} has an input {r!r} that is neither from "
                               f"the layer below ({source!r}) nor a Linear back edge from itself")
        if weight_rec is not None:
            raise BeamnetError(f"{path}: {neuron.kind} {name!r} has more than one recurrent Linear")
        if syn.weight.shape != (n, n):
            raise BeamnetError(f"{path}: recurrent {syn.kind} {r!r} has weight shape {syn.weight.shape}; "
                               f"expected ({n}, {n})")
        weight_rec = syn.weight
        if syn.bias is not None:
            # a back edge's Affine adds its bias at every step, from the first (snnTorch's
            # RSynaptic; nirtorch starts it one step late: docs/nir.md)
            bias += syn.bias
    if weight_rec is not None and np.any(delay):
        raise BeamnetError(f"{path}: {neuron.kind} {name!r} is recurrent and has synaptic delays; "
                           "lava-dl's RecurrentDense applies one delay matrix to both synapse sets, "
                           "so NetX cannot hold it")
    if neuron.threshold is None and weight_rec is not None:
        raise BeamnetError(f"{path}: {neuron.kind} {name!r} is a non-spiking readout with a recurrent "
                           "Linear; its back edge would carry membrane values, which Lava's spiking "
                           "synapses cannot (a readout imports as the last layer, feed-forward)")
    return _Plan(name, neuron, weight, delay, weight_rec, bias if np.any(bias) else None, rec)


def _scale_layers(plans: list[_Plan], input_size: int, meta: dict, dt: float, round_off_grid: bool,
                  path: Path, precision: str = "fixed") -> NirImport:
    # which biases need an always-on unit: those into a synaptic current (the others are
    # Lava's neuron bias, exact for a neuron whose current is its input)
    needs = [p.bias is not None and p.neuron.current for p in plans]
    on = [int(needs[0])] + [int(needs[k + 1]) if k + 1 < len(plans) else 0 for k in range(len(plans))]
    recorded = meta.get("loihi_layers") if isinstance(meta.get("loihi_layers"), list) else None
    layers: list[Layer] = []
    worst, worst_where, d_worst, d_where = 0.0, "", 0.0, ""
    li_scale: float | None = None
    for k, p in enumerate(plans):
        nrn = p.neuron
        gain = nrn.gain
        extra_in = on[k]                                  # always-on unit of the source stage
        w = p.weight * gain[:, None]
        if extra_in:
            w = np.concatenate([w, (p.bias * gain)[:, None]], axis=1)
        mats = [(f"input weights of {p.name!r}", w)]
        if p.weight_rec is not None:
            mats.append((f"recurrent weights of {p.name!r}", p.weight_rec * gain[:, None]))
        voltage_bias = p.bias * gain if p.bias is not None and not nrn.current else None
        if nrn.v_bias is not None:                        # an integrator's v_leak (nodes.py)
            voltage_bias = nrn.v_bias if voltage_bias is None else voltage_bias + nrn.v_bias
        if precision == "float":
            layers.append(float_import.layer(k, p, nrn, mats, voltage_bias, on, path))
            if nrn.threshold is None:
                li_scale = float_import.SCALE
            continue
        decays = []
        for frac, what in ((nrn.a, "current decay 4096*dt/tau_syn"), (nrn.b, "voltage decay 4096*dt/tau_mem")):
            d = scale.decay(frac, f"{nrn.kind} {p.name!r} {what}")
            if d.relative > scale.DECAY_TOLERANCE and not round_off_grid:
                raise BeamnetError(f"{path}: {d.what} is {d.exact:.4g}, off Loihi's 12-bit grid by "
                                   f"{d.steps_off:.2g} of a step ({100 * d.relative:.2g} % of the time "
                                   f"constant, more than {100 * scale.DECAY_TOLERANCE:g} %); "
                                   "`beamnet-lava import --round` rounds it (and reports the error)")
            if d.relative > d_worst:
                d_worst, d_where = d.relative, d.what
            decays.append(d.value)
        i_decay, v_decay = decays
        if i_decay == 0 or (v_decay == 0 and nrn.b > 0):
            raise BeamnetError(f"{path}: {nrn.kind} {p.name!r} decays by less than half a 12-bit step "
                               "per dt (iDecay or vDecay would be 0, which is no leak); refused")
        if nrn.threshold is None:               # a non-spiking readout: the membrane range sets s
            s = scale.choose_readout(mats, voltage_bias, i_decay, v_decay, prefer=readout.recorded_scale(meta))
            if isinstance(s, str):
                raise BeamnetError(f"{path}: {nrn.kind} {p.name!r}: {s}")
            largest = max([float(np.abs(m).max(initial=0.0)) for _, m in mats]
                          + [0.0 if voltage_bias is None else float(np.abs(voltage_bias).max())])
            rel, li_scale = (s.worst / largest if largest else 0.0), s.factor
            base, _, note = s.worst_where.partition("; ")
            where = (f"{base}, in % of the LI readout's largest weight" + (f"; {note}" if note else "")
                     if s.worst else "")
        else:
            prefer = None
            if recorded and len(recorded) == len(plans):
                prefer = int(recorded[k].get("vThMant", 0)) or None
            s = scale.choose(nrn.threshold, mats, voltage_bias, always_on=bool(on[k + 1]), prefer=prefer)
            if isinstance(s, str):
                raise BeamnetError(f"{path}: {nrn.kind} {p.name!r}: {s}")
            rel, where = s.worst_of_threshold, s.worst_where
        if rel > worst:
            worst, worst_where = rel, where
        size, weight, weight_rec, delay, bias = channels.add_units(
            s.matrices[0], s.matrices[1] if p.weight_rec is not None else None, p.delay,
            s.neuron_bias, extra_in=bool(extra_in), own_unit=bool(on[k + 1]), unit_bias=s.v_th_mant + 1)
        layers.append(Layer(k, "dense", size, s.v_th_mant, i_decay, v_decay, weight, bias,
                            delay if np.any(delay) else None, weight_rec))
    if recorded and len(recorded) == len(layers) and precision == "fixed":
        for l, rec in zip(layers, recorded):
            if (l.i_decay, l.v_decay, l.v_th_mant) != (rec["iDecay"], rec["vDecay"], rec["vThMant"]):
                raise BeamnetError(f"{path}: layer {l.index} parameters disagree with the Loihi "
                                   "integers recorded in the graph metadata (edited after export?)")
    attrs = dict(meta.get("netx_attrs") or {})
    attrs.setdefault("model", "snn")      # a chain of CUBA LIF layers: the SNN family (registry)
    attrs["beamnet_format"] = FORMAT_VERSION
    attrs["nir_dt"] = dt
    attrs["nir_source"] = meta.get("source", "nir")
    float_import.mark(attrs, precision)
    if any(on):
        attrs[channels.ATTR] = channels.encode(on)
    else:
        attrs.pop(channels.ATTR, None)
    if li_scale is None:
        attrs.pop(readout.ATTR, None)
    else:
        attrs[readout.ATTR] = li_scale
    return NirImport(path, layers, input_size + on[0], attrs, worst, worst_where, dt, d_worst, d_where,
                     [p.neuron.kind for p in plans], on)


def write_netx_layers(imported: NirImport) -> NetxWriter:
    """Stock NetX ``layer/<i>`` groups (slayer's keys) for CUBA layers, through the one writer."""
    w = NetxWriter()
    kind = float_import.neuron_type(imported.attrs)
    for l in imported.layers:
        w.dense(l.weight.astype(np.float64), cuba(l.v_th_mant, l.i_decay, l.v_decay, type=kind), shape=l.size,
                weight_rec=None if l.weight_rec is None else l.weight_rec.astype(np.float64),
                delay=None if l.delay is None else l.delay.astype(np.float64),
                bias=None if l.bias is None else l.bias.astype(np.float64))
    w.attrs(imported.attrs)
    return w


def import_nir(source: str | Path, out: str | Path, *, force: bool = False, dt: float | None = None,
               tolerance: float = GRID_TOLERANCE, round_off_grid: bool = False, precision: str = "fixed"):
    """Write the NIR graph in ``source`` as a NetX file ``out`` (atomic; never overwrites
    without ``force``; read back before it is published); nothing is written if the graph
    cannot be carried. Returns a NirImport (dense chains) or a ConvImport (conv graphs)."""
    source, out = Path(source), Path(out)
    outputs.check([outputs.Out(out, "--output", force=force)], inputs=[source])
    graph = read_nir(source)
    imported = nir_to_layers(graph, source, dt=dt, tolerance=tolerance, round_off_grid=round_off_grid,
                             precision=precision)
    if isinstance(imported, conv_mod.ConvImport):
        imported.write(out, force=force)
    else:
        write_netx_layers(imported).publish(out, read_netx, force=force, register=False)
    imported.path = out
    return imported


@contextlib.contextmanager
def netx_view(path: str | Path, precision: str = "fixed") -> Iterator[Path]:
    """``path`` itself for a NetX file; for a NIR file, a temporary imported NetX copy (Loihi's
    integers, or with ``precision="float"`` the graph's float parameters)."""
    path = Path(path)
    if not is_nir(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="beamnet-nir-") as tmp:
        converted = Path(tmp) / f"{path.stem}.net"
        try:
            yield import_nir(path, converted, precision=precision).path
        except BeamnetError as exc:         # name the user's file, never our temporary copy
            message = str(exc).replace(str(converted), str(path))
            raise (type(exc)(message) if message != str(exc) else exc) from None
