"""NetX CUBA networks <-> the Neuromorphic Intermediate Representation (NIR, PyPI ``nir`` 1.0).

The mapping (docs/nir.md derives it). Lava's fixed-point CUBA neuron (lava-nc
``AbstractPyLifModelFixed``, NetX ``iDecay``/``vDecay``/``vThMant``, integer weights
``W``) computes, in float units ``u/4096`` and ``v/4096``::

    I[t] = (1 - iDecay/4096) I[t-1] + (W/64) s[t]
    v[t] = (1 - vDecay/4096) v[t-1] + I[t]           spike: v[t] > vThMant/64, then v = 0

(state rounded toward zero on a 2^-12 grid). NIR's ``CubaLIF``
(``tau_syn dI/dt = -I + w_in S``, ``tau_mem dv/dt = v_leak - v + r I``) integrated
by forward Euler with step ``dt`` is the same recursion when

    tau_syn = dt 4096/iDecay,  w_in = 4096/iDecay,  tau_mem = dt 4096/vDecay,
    r = 4096/vDecay,  v_leak = 0,  v_reset = 0,  v_threshold = vThMant/64,
    Linear weight = W/64,

which is what snnTorch (``dt = 1e-4``, hard-coded both ways) and Norse
(``from_nir(graph, dt=1e-4)``) simulate. On import any ``w_in``, ``r`` is accepted:
the per-neuron input gain ``(dt/tau_syn) w_in (dt/tau_mem) r`` is folded into the
incoming Linear weights (exact: the dynamics are linear below threshold).

Per-synapse delays become one ``Delay(d dt) -> Linear(W masked to delay d)`` branch per
distinct delay; a recurrent layer (NetX ``dense_rec``) a ``Linear`` back edge, which
carries the previous step's spikes (as nirtorch's interpreter and Lava's Dense do).

Which family exports what is the registry's: each family's ``to_nir`` hook (the SNN's here,
BEAM-Net's core in :mod:`beamnet_lava.nir.beamnet`) or its one-line refusal
(families/catalog.py); everything else here is family-agnostic.
"""
from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from beamnet_lava import __version__, budget, checks, outputs
from beamnet_lava.neurons import fixed_point
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import get_family, implements, register_hook
from beamnet_lava.families.contracts import ToNirHook
from beamnet_lava.io_utils import atomic_path
from beamnet_lava.netx_export.netx_writer import NetxWriter, cuba
from beamnet_lava.netx_export.netx_file import (
    FORMAT_VERSION,
    Layer,
    NetxNetwork,
    read_netx,
)

DT = 1e-4                        # snnTorch's hard-coded NIR time step; Norse: from_nir(dt=1e-4)
INTEGRATION = "forward-euler"
GRID_TOLERANCE = 0.01            # off-grid parameters accepted up to 1 % of a grid step
META_KEY = "beamnet_lava"        # graph metadata: one JSON string (NIR keeps scalars/strings only)
_SUPPORTED = ("Input, Output, Linear, Affine (a bias only into LIF), Delay, CubaLIF, LIF "
              "(snnTorch's Leaky)")


# ---------------------------------------------------------------------------------------------
# the family hook: every family exports to NIR through its ``to_nir`` hook or refuses it with
# its reason (``Family.refuses["to_nir"]``, declared in families/catalog.py)

register_hook("to_nir", "nir", ToNirHook)   # refused by: families/catalog.py (NIR_BRF, ...)


@implements("snn", hook="to_nir")
def snn_to_nir(path: Path, deterministic: bool):
    """A CUBA SNN file (ours, stock lava-dl, NIR-imported): its layers map exactly."""
    if deterministic:
        raise BeamnetError(f"{path}: --deterministic applies to BEAM-Net files only")
    return netx_to_nir(read_netx(path))


def _neuron_extras(path: Path) -> dict[int, dict[str, Any]]:
    """``refDelay`` / ``gradedSpike`` of every layer (read_netx does not keep them)."""
    extras: dict[int, dict[str, Any]] = {}
    with h5py.File(path, "r") as f:
        for name, g in f["layer"].items():
            if "neuron" in g:
                n = g["neuron"]
                extras[int(name)] = {k: np.asarray(n[k][()]).reshape(-1)[0].item()
                                     for k in ("refDelay", "gradedSpike") if k in n}
    return extras


def _check_exportable(net: NetxNetwork) -> None:
    extras = _neuron_extras(net.path)
    for l in net.layers:
        where = f"{net.path}: layer {l.index}"
        if l.kind != "dense":
            raise BeamnetError(f"{where} is a NetX input block with neurons; NIR export takes "
                               "files whose first layer is dense")
        if l.i_decay == 0 or l.v_decay == 0:
            raise BeamnetError(f"{where} has iDecay={l.i_decay}, vDecay={l.v_decay}: a decay of 0 "
                               "is an infinite NIR time constant (tau = dt*4096/decay); refused")
        if l.bias is not None and np.any(l.bias) and l.i_decay != fixed_point.DECAY_UNITY:
            raise BeamnetError(f"{where} has a neuron bias and a synaptic current (iDecay="
                               f"{l.i_decay}); NIR's CubaLIF has no voltage bias (v_leak would "
                               "change the leak too); only a layer with iDecay 4096 (a NIR LIF) "
                               "carries one, as an Affine bias")
        ex = extras.get(l.index, {})
        if ex.get("gradedSpike"):
            raise BeamnetError(f"{where} emits graded spikes; NIR's CubaLIF spikes are binary")
        if "refDelay" in ex and int(ex["refDelay"]) != 1:
            raise BeamnetError(f"{where} has refDelay={ex['refDelay']}; NIR's CubaLIF has no "
                               "refractory period (only refDelay 1 maps)")


def delay_matrix(l: Layer) -> np.ndarray:
    """Per-synapse delays ``(out, in)`` as lava-dl's netx reads a layer's ``delay``:
    a scalar, one per output neuron (slayer's axonal delay), one per input, or a matrix."""
    shape = l.weight.shape
    if l.delay is None:
        return np.zeros(shape, dtype=np.int64)
    d = np.asarray(l.delay, dtype=np.int64)
    if d.ndim == 1 and d.size == shape[0]:
        return np.repeat(d.reshape(-1, 1), shape[1], axis=1)
    if d.ndim == 1 and d.size == shape[1]:
        return np.repeat(d.reshape(1, -1), shape[0], axis=0)
    try:
        return np.broadcast_to(d, shape).copy()
    except ValueError:
        raise BeamnetError(f"layer {l.index} delay shape {d.shape} does not fit weight {shape}") from None


def _biased(l: Layer) -> bool:
    return l.bias is not None and bool(np.any(l.bias))


def neuron_node(l: Layer, dt: float):
    """The layer's neuron node: a CubaLIF, or a LIF (snnTorch's Leaky) when the layer has a
    bias, which only a layer without synaptic current (iDecay 4096) can carry."""
    import nir

    n = l.size
    if _biased(l):
        return nir.LIF(tau=np.full(n, dt * fixed_point.DECAY_UNITY / l.v_decay),
                       r=np.full(n, fixed_point.DECAY_UNITY / l.v_decay), v_leak=np.zeros(n),
                       v_threshold=np.full(n, l.v_th_mant / fixed_point.W_SCALE), v_reset=np.zeros(n))
    return nir.CubaLIF(
        tau_syn=np.full(n, dt * fixed_point.DECAY_UNITY / l.i_decay),
        tau_mem=np.full(n, dt * fixed_point.DECAY_UNITY / l.v_decay),
        r=np.full(n, fixed_point.DECAY_UNITY / l.v_decay),
        v_leak=np.zeros(n),
        v_threshold=np.full(n, l.v_th_mant / fixed_point.W_SCALE),
        v_reset=np.zeros(n),
        w_in=np.full(n, fixed_point.DECAY_UNITY / l.i_decay))


def delay_branches(nodes: dict, edges: list, l: Layer, prev: str, prev_size: int, lif: str,
                    i: int, dt: float) -> None:
    """``prev -> [Delay(d dt) ->] Linear(W masked to delay d) -> lif``, one per distinct delay."""
    import nir

    w = l.weight.astype(np.float64) / fixed_point.W_SCALE
    delay = delay_matrix(l)
    for k, d in enumerate(np.unique(delay[l.weight != 0]) if np.any(l.weight) else [0]):
        d = int(d)
        lin = f"linear{i}" if d == 0 else f"linear{i}_d{d}"
        weight = np.where(delay == d, w, 0.0)
        nodes[lin] = (nir.Affine(weight=weight, bias=np.broadcast_to(l.bias, (l.size,)).astype(np.float64)
                                 / fixed_point.W_SCALE)
                      if _biased(l) and k == 0 else nir.Linear(weight=weight))
        if d == 0:
            edges.append((prev, lin))
        else:
            nodes[f"delay{i}_d{d}"] = nir.Delay(delay=np.full(prev_size, d * dt))
            edges += [(prev, f"delay{i}_d{d}"), (f"delay{i}_d{d}", lin)]
        edges.append((lin, lif))


def netx_to_nir(net: NetxNetwork, dt: float = DT):
    """The NIR graph of a validated NetX CUBA network, with the metadata a round trip needs."""
    import nir

    _check_exportable(net)
    nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array([net.input_size])})}
    edges: list[tuple[str, str]] = []
    prev, prev_size = "input", net.input_size
    loihi = []
    for i, l in enumerate(net.layers):
        lif = f"lif{i}"
        delay_branches(nodes, edges, l, prev, prev_size, lif, i, dt)
        nodes[lif] = neuron_node(l, dt)
        if l.weight_rec is not None:
            nodes[f"rec{i}"] = nir.Linear(weight=l.weight_rec.astype(np.float64) / fixed_point.W_SCALE)
            edges += [(lif, f"rec{i}"), (f"rec{i}", lif)]
        loihi.append({"iDecay": l.i_decay, "vDecay": l.v_decay, "vThMant": l.v_th_mant})
        prev, prev_size = lif, l.size
    nodes["output"] = nir.Output(output_type={"output": np.array([prev_size])})
    edges.append((prev, "output"))
    attrs = {k: v for k, v in net.attrs.items() if isinstance(v, (str, int, float, bool))}
    meta = {"dt": dt, "integration": INTEGRATION, "source": "beamnet-lava",
            "beamnet_lava_version": __version__, "family": attrs.get("model", "netx"),
            "seed": attrs.get("seed"), "loihi_layers": loihi, "netx_attrs": attrs,
            "dropped": []}
    graph = nir.NIRGraph(nodes=nodes, edges=edges, type_check=True)
    graph.metadata = {META_KEY: json.dumps(meta, sort_keys=True), "dt": dt, "integration": INTEGRATION}
    return graph


@dataclass
class NirExport:
    path: Path
    layers: int
    neurons: list[int]
    delay_branches: int
    recurrent: int
    dropped: list[str] = field(default_factory=list)
    neuron_nodes: str = "CubaLIF"          # the NIR node type(s) of its layers

    def describe(self) -> str:
        extra = []
        if self.delay_branches:
            extra.append(f"{self.delay_branches} Delay->Linear branches")
        if self.recurrent:
            extra.append(f"{self.recurrent} recurrent Linear")
        sizes = " -> ".join(str(n) for n in self.neurons)
        return (f"{self.path} (NIR {_nir_version()}: {self.layers} {self.neuron_nodes} layers {sizes}"
                f"{', ' + ', '.join(extra) if extra else ''}; dt = {DT:g} s, forward Euler)")


def _nir_version() -> str:
    import nir

    return nir.version


def export_nir(source: str | Path, out: str | Path, *, force: bool = False,
               deterministic: bool = False) -> NirExport:
    """Write ``source`` (a run directory or a NetX file) to ``out`` as NIR, atomically."""
    import nir

    source, out = Path(source), Path(out)
    outputs.check([outputs.Out(out, "--output", force=force)], inputs=[source])
    with _as_export_file(source) as (path, family):
        graph = family.hook("to_nir")(path, deterministic)
    meta = _our_metadata(graph)
    kinds = [type(node).__name__ for node in graph.nodes.values()]
    neurons = [k for k, node in graph.nodes.items() if isinstance(node, (nir.CubaLIF, nir.LIF))]
    sizes = [int(np.prod(list(graph.nodes["input"].input_type.values())[0]))] + \
        [int(np.asarray(graph.nodes[k].v_threshold).size) for k in neurons]
    recurrent = sum(1 for a, b in graph.edges if isinstance(graph.nodes[a], nir.Linear)
                    and any(e == (b, a) for e in graph.edges))
    with atomic_path(out) as tmp:
        nir.write(tmp, graph)
        read_nir(tmp)                      # refuse to publish a file we could not read back
    return NirExport(out, len(neurons), sizes, kinds.count("Delay"), recurrent,
                     list(meta.get("dropped", [])),
                     "/".join(k for k in ("CubaLIF", "LIF") if k in kinds))


@contextlib.contextmanager
def _as_export_file(source: Path) -> Iterator[tuple[Path, Any]]:
    """``(file, family)`` for ``source``: the file itself, or a run directory exported to a
    temporary NetX file; refused here, before any export, when the family has no NIR form."""
    from beamnet_lava.netx_export.export import export_run, file_family

    if source.is_dir():
        from beamnet_lava.training.checkpoint import load_run

        family = get_family(load_run(source).config.model)
    elif source.exists():
        family = file_family(source)
    else:
        raise BeamnetError(f"{source}: no such file or run directory")
    reason = family.refusal("to_nir")
    if reason:
        raise BeamnetError(f"{source}: cannot export to NIR: {reason}")
    if not source.is_dir():
        yield source, family
        return
    with tempfile.TemporaryDirectory(prefix="beamnet-nir-") as tmp:
        path = Path(tmp) / "model.net"
        export_run(source, path)
        yield path, family


# ---------------------------------------------------------------------------------------------
# import: NIR -> NetX


def is_nir(path: str | Path) -> bool:
    """Whether ``path`` is an HDF5 file in NIR's layout (``/version`` and ``/node``)."""
    try:
        with h5py.File(path, "r") as f:
            return "node" in f and "version" in f
    except OSError:
        return False


def read_nir(path: str | Path):
    """Read a NIR file with ``nir.read``; every problem is a one-line BeamnetError."""
    import nir

    p = Path(path)
    if not p.is_file():
        raise BeamnetError(f"{p}: no such file")
    budget.check_hdf5(p)                    # declared sizes, before any dataset is read
    try:
        with h5py.File(p, "r") as f:
            layout = "node" in f and "version" in f
    except OSError:
        raise BeamnetError(f"{p}: not an HDF5 file (NIR files are HDF5, written by nir.write)") from None
    if not layout:
        raise BeamnetError(f"{p}: HDF5 but not a NIR graph (no /node and /version)")
    unknown = _unknown_node_types(p)
    if unknown:
        raise BeamnetError(f"{p}: unknown NIR node type {unknown[0]!r} (nir {nir.version} has no "
                           f"such node); beamnet-lava imports {_SUPPORTED}")
    try:
        return nir.read(p, type_check=False)
    except ValueError as exc:
        raise BeamnetError(f"{p}: not a readable NIR graph ({str(exc).splitlines()[0]})") from None
    except (KeyError, TypeError, AssertionError) as exc:
        raise BeamnetError(f"{p}: not a readable NIR graph ({exc.__class__.__name__}: {exc})") from None


def _unknown_node_types(path: Path) -> list[str]:
    """Node ``type`` strings in the file that the installed nir does not define."""
    import nir

    known = {name for name in dir(nir) if isinstance(getattr(nir, name), type)
             and issubclass(getattr(nir, name), nir.NIRNode)}
    found: list[str] = []

    def walk(group: h5py.Group) -> None:
        if "type" in group and isinstance(group["type"], h5py.Dataset):
            t = group["type"][()]
            found.append(t.decode() if isinstance(t, bytes) else str(t))
        if "nodes" in group and isinstance(group["nodes"], h5py.Group):
            for child in group["nodes"].values():
                if isinstance(child, h5py.Group):
                    walk(child)

    with h5py.File(path, "r") as f:
        walk(f["node"])
    return [t for t in found if t not in known]


def flatten_graph(graph, prefix: str = "") -> tuple[dict, list]:
    """Inline nested NIRGraph nodes (snnTorch's RSynaptic subgraphs) into one node/edge list."""
    import nir

    nodes, edges, entry, exit_ = {}, [], {}, {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = flatten_graph(node, full + ".")
            ins = [k for k, v in sub_nodes.items() if isinstance(v, nir.Input) and k.count(".") == full.count(".") + 1]
            outs = [k for k, v in sub_nodes.items() if isinstance(v, nir.Output) and k.count(".") == full.count(".") + 1]
            if len(ins) != 1 or len(outs) != 1:
                raise BeamnetError(f"nested graph {full!r} needs exactly one Input and one Output")
            entry[full] = [b for a, b in sub_edges if a == ins[0]]
            exit_[full] = [a for a, b in sub_edges if b == outs[0]]
            nodes.update({k: v for k, v in sub_nodes.items() if k not in (ins[0], outs[0])})
            edges += [(a, b) for a, b in sub_edges if a != ins[0] and b != outs[0]]
        else:
            nodes[full] = node
    for a, b in graph.edges:
        for src in exit_.get(prefix + a, [prefix + a]):
            for dst in entry.get(prefix + b, [prefix + b]):
                edges.append((src, dst))
    return nodes, list(dict.fromkeys(edges))


@dataclass
class _Grid:
    """Rounds float parameters onto Loihi's integer grid and remembers the worst error."""

    tolerance: float
    round_off_grid: bool
    path: Path
    worst: float = 0.0
    worst_where: str = ""

    def __call__(self, values: np.ndarray, where: str) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        ints = np.round(values)
        err = float(np.max(np.abs(values - ints), initial=0.0))
        if err > self.worst:
            self.worst, self.worst_where = err, where
        if err > self.tolerance and not self.round_off_grid:
            raise BeamnetError(f"{self.path}: {where} is off the Loihi grid by up to {err:.3g} of "
                               f"a step (tolerance {self.tolerance:g}); `beamnet-lava import --round` rounds "
                               "it (and reports the largest rounding error)")
        return ints.astype(np.int64)


def _uniform(values: np.ndarray, what: str, where: str, path: Path) -> float:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.allclose(v, v[0], rtol=1e-6, atol=0):
        raise BeamnetError(f"{path}: {where} {what} differs between neurons ({v.min():g}..{v.max():g}); "
                           "a NetX layer has one value per layer")
    return float(v[0])


@dataclass
class NirImport:
    path: Path
    layers: list[Layer]
    input_size: int
    attrs: dict[str, Any]
    max_rounding_error: float
    rounding_where: str
    dt: float

    def describe(self) -> str:
        sizes = " -> ".join([str(self.input_size)] + [str(l.size) for l in self.layers])
        delayed = sum(l.delay is not None for l in self.layers)
        rec = sum(l.weight_rec is not None for l in self.layers)
        extra = (f", {delayed} with delays" if delayed else "") + (f", {rec} recurrent" if rec else "")
        where = f" ({self.rounding_where})" if self.max_rounding_error else ""
        return (f"{self.path} (NetX, {len(self.layers)} CUBA layers {sizes}{extra}; largest "
                f"rounding error {self.max_rounding_error:.2g} of a grid step{where}, dt = {self.dt:g} s)")


def nir_to_layers(graph, path: Path, *, dt: float | None = None, tolerance: float = GRID_TOLERANCE,
                  round_off_grid: bool = False) -> NirImport:
    """NetX CUBA layers computing what ``graph`` computes (forward Euler at ``dt``)."""
    import nir

    nodes, edges = flatten_graph(graph)
    meta = _our_metadata(graph)
    if dt is not None:                          # --dt: 0, negative or NaN is refused, never replaced
        dt = checks.seconds("--dt", dt)
    else:
        found = meta.get("dt") if meta.get("dt") is not None else _scalar_meta(graph, "dt")
        dt = DT if found is None else checks.seconds(f"{path}: metadata dt", found)
    grid = _Grid(tolerance, round_off_grid, path)
    for name, node in nodes.items():
        if not isinstance(node, (nir.Input, nir.Output, nir.Linear, nir.Affine, nir.Delay, nir.CubaLIF,
                                 nir.LIF)):
            raise BeamnetError(f"{path}: node {name!r} is a NIR {type(node).__name__}, which has no "
                               f"Lava CUBA equivalent; beamnet-lava imports {_SUPPORTED}")
        for key, val in vars(node).items():
            if isinstance(val, np.ndarray) and val.dtype.kind in "fc" and not np.all(np.isfinite(val)):
                raise BeamnetError(f"{path}: node {name!r} parameter {key} holds NaN or inf")
    voltage_only = {name for name, node in nodes.items() if isinstance(node, nir.LIF)}
    for name in voltage_only:
        nodes[name] = lif_as_cuba(nodes[name], dt)
    inputs = [k for k, v in nodes.items() if isinstance(v, nir.Input)]
    outputs = [k for k, v in nodes.items() if isinstance(v, nir.Output)]
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

    def size_of(name: str) -> int:
        node = nodes[name]
        if isinstance(node, nir.Input):
            return int(np.prod(list(node.input_type.values())[0]))
        if isinstance(node, nir.CubaLIF):
            return layer_size[name]
        raise AssertionError(name)

    # walk the chain Input -> (branches) -> CubaLIF -> ... -> Output
    layers: list[Layer] = []
    layer_size: dict[str, int] = {}
    source = inputs[0]
    input_size = size_of(source)
    visited: set[str] = set()
    while True:
        nxt = [b for b in succs[source] if b not in visited]
        if source != inputs[0] and outputs[0] in nxt:
            if len(nxt) != 1:
                raise BeamnetError(f"{path}: {source!r} feeds the Output and other nodes; "
                                   "beamnet-lava imports chains of layers")
            break
        if not nxt:
            raise BeamnetError(f"{path}: {source!r} leads nowhere (no path to the Output node)")
        branches: list[tuple[str, int]] = []        # (Linear node, delay steps)
        for b in nxt:
            node = nodes[b]
            d_steps = 0
            lin = b
            if isinstance(node, nir.Delay):
                d = np.asarray(node.delay, dtype=np.float64).reshape(-1)
                if succs[b] == [] or len(succs[b]) != 1 or not isinstance(nodes[succs[b][0]], (nir.Linear, nir.Affine)):
                    raise BeamnetError(f"{path}: Delay {b!r} must feed exactly one Linear")
                steps = grid(d / dt, f"Delay {b!r} (in steps of dt = {dt:g} s)")
                if np.unique(steps).size != 1:
                    raise BeamnetError(f"{path}: Delay {b!r} delays its inputs by different amounts; "
                                       "beamnet-lava expects one delay per branch")
                d_steps = int(steps[0])
                if not 0 <= d_steps <= fixed_point.MAX_DELAY:
                    raise BeamnetError(f"{path}: Delay {b!r} is {d_steps} steps; Loihi allows 0..{fixed_point.MAX_DELAY}")
                visited.add(b)
                lin = succs[b][0]
            elif not isinstance(node, (nir.Linear, nir.Affine)):
                raise BeamnetError(f"{path}: {source!r} feeds a {type(node).__name__} ({b!r}); a layer "
                                   "is Linear (optionally after a Delay) into CubaLIF")
            if len(preds[lin]) != 1:
                raise BeamnetError(f"{path}: Linear {lin!r} has {len(preds[lin])} inputs; it needs one")
            branches.append((lin, d_steps))
        targets = {t for lin, _ in branches for t in succs[lin]}
        if len(targets) != 1 or not isinstance(nodes[next(iter(targets))], nir.CubaLIF):
            raise BeamnetError(f"{path}: the Linear nodes after {source!r} must all feed one CubaLIF "
                               f"node (found {sorted(targets)})")
        lif_name = next(iter(targets))
        layer, rec_names = _make_layer(nodes, preds, lif_name, branches, source, len(layers),
                                       size_of(source), dt, grid, path, lif_name in voltage_only)
        layer_size[lif_name] = layer.size
        layers.append(layer)
        visited.update([lin for lin, _ in branches] + rec_names + [lif_name])
        source = lif_name
    if meta.get("loihi_layers") and len(meta["loihi_layers"]) == len(layers):
        for l, rec in zip(layers, meta["loihi_layers"]):
            if (l.i_decay, l.v_decay, l.v_th_mant) != (rec["iDecay"], rec["vDecay"], rec["vThMant"]):
                raise BeamnetError(f"{path}: layer {l.index} parameters disagree with the Loihi "
                                   "integers recorded in the graph metadata (edited after export?)")
    unused = set(nodes) - visited - {inputs[0], outputs[0]}
    if unused:
        raise BeamnetError(f"{path}: nodes {sorted(unused)} are not on the Input -> Output chain")
    attrs = dict(meta.get("netx_attrs") or {})
    attrs.setdefault("model", "snn")      # a chain of CUBA LIF layers: the SNN family (registry)
    attrs["beamnet_format"] = FORMAT_VERSION
    attrs["nir_dt"] = dt
    attrs["nir_source"] = meta.get("source", "nir")
    return NirImport(path, layers, input_size, attrs, grid.worst, grid.worst_where, dt)


def lif_as_cuba(node, dt: float):
    """NIR's ``LIF`` (``tau dv/dt = (v_leak - v) + r I``, the input ``I`` itself: snnTorch's
    Leaky) as the ``CubaLIF`` it equals under forward Euler at ``dt``: a synaptic current
    that keeps nothing from one step to the next (``tau_syn = dt``, ``w_in = 1``:
    ``I = input``), which is Lava's CUBA neuron with ``iDecay = 4096``."""
    import nir

    tau = np.asarray(node.tau, dtype=np.float64)
    return nir.CubaLIF(tau_syn=np.full_like(tau, dt), tau_mem=tau, r=node.r, v_leak=node.v_leak,
                       v_threshold=node.v_threshold,
                       v_reset=np.zeros_like(tau) if node.v_reset is None else node.v_reset,
                       w_in=np.ones_like(tau))


def _make_layer(nodes, preds, lif_name, branches, source, index, n_pre, dt, grid, path,
                voltage_only=False):
    """One NetX CUBA layer from a CubaLIF node and the Linear branches into it.

    ``voltage_only``: the node was a NIR ``LIF`` (its current is the input itself), so an
    Affine bias into it is a constant voltage input per step, Lava's neuron bias
    (``bias_mant << 6`` added to ``v`` each step: ``bias_mant = 64 * gain * b``)."""
    import nir

    lif = nodes[lif_name]
    first = nodes[branches[0][0]]
    n = int(np.asarray(first.weight).shape[0])
    where = f"CubaLIF {lif_name!r}"
    params = {k: np.broadcast_to(np.asarray(getattr(lif, k), dtype=np.float64), (n,))
              for k in ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")}
    if np.any(params["v_leak"] != 0):
        raise BeamnetError(f"{path}: {where} has v_leak != 0; Loihi's CUBA neuron leaks to 0")
    if np.any(params["v_reset"] != 0):
        raise BeamnetError(f"{path}: {where} has v_reset != 0; Loihi's CUBA neuron resets to 0")
    if np.any(params["tau_syn"] <= 0) or np.any(params["tau_mem"] <= 0):
        raise BeamnetError(f"{path}: {where} has a non-positive time constant")
    a = dt / params["tau_syn"]
    b = dt / params["tau_mem"]
    if np.any(a > 1 + 1e-6) or np.any(b > 1 + 1e-6):     # float32 peers: tau = dt to ~1e-7
        raise BeamnetError(f"{path}: {where} has a time constant shorter than dt = {dt:g} s "
                           "(forward Euler would overshoot; Loihi's decays are at most 4096/4096)")
    i_decay = int(grid(np.array([_uniform(a, "tau_syn", where, path) * fixed_point.DECAY_UNITY]),
                       f"{where} current decay 4096*dt/tau_syn")[0])
    v_decay = int(grid(np.array([_uniform(b, "tau_mem", where, path) * fixed_point.DECAY_UNITY]),
                       f"{where} voltage decay 4096*dt/tau_mem")[0])
    if i_decay == 0 or v_decay == 0:
        raise BeamnetError(f"{path}: {where} decays by less than half a 12-bit step per dt "
                           "(iDecay or vDecay would be 0); refused")
    vth = _uniform(params["v_threshold"], "v_threshold", where, path)
    if vth < 0:
        raise BeamnetError(f"{path}: {where} has a negative threshold")
    v_th_mant = int(grid(np.array([vth * fixed_point.W_SCALE]), f"{where} threshold*64")[0])
    if v_th_mant > fixed_point.VTH_MAX:
        raise BeamnetError(f"{path}: {where} threshold {vth:g} exceeds Loihi's 17-bit mantissa")
    if v_th_mant == 0:
        raise BeamnetError(f"{path}: {where} has threshold 0, which fires on any positive input; "
                           "refused (Lava's thresholds are >= 1/64)")
    gain = a * params["w_in"] * b * params["r"]              # folded into the incoming weights

    def weights(name: str, n_in: int) -> np.ndarray:
        node = nodes[name]
        w = np.asarray(node.weight, dtype=np.float64)
        if w.ndim != 2 or w.shape != (n, n_in):
            raise BeamnetError(f"{path}: Linear {name!r} has weight shape {w.shape}; expected "
                               f"({n}, {n_in}) to chain")
        if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
            if not voltage_only:
                raise BeamnetError(f"{path}: Affine {name!r} has a non-zero bias into a CubaLIF; a "
                                   "constant input current has no Loihi CUBA equivalent here (into "
                                   "a LIF it is Lava's neuron bias)")
            biases.append(grid(np.broadcast_to(np.asarray(node.bias, dtype=np.float64), (n,))
                               * gain * fixed_point.W_SCALE, f"Affine {name!r} bias*64"))
        scaled = w * gain[:, None] * fixed_point.W_SCALE
        ints = grid(scaled, f"Linear {name!r} weight*64")
        if ints.min(initial=0) < fixed_point.WEIGHT_MANT_MIN or ints.max(initial=0) > fixed_point.WEIGHT_MANT_MAX:
            raise BeamnetError(f"{path}: Linear {name!r} weights span {ints.min()}..{ints.max()} in "
                               f"units of 1/64; NetX holds {fixed_point.WEIGHT_MANT_MIN}..{fixed_point.WEIGHT_MANT_MAX} "
                               "(lower the threshold and weights together)")
        return ints

    biases: list[np.ndarray] = []
    weight = np.zeros((n, n_pre), dtype=np.int64)
    delay = np.zeros((n, n_pre), dtype=np.int64)
    for lin, d in branches:
        w = weights(lin, n_pre)
        if np.any((weight != 0) & (w != 0)):
            raise BeamnetError(f"{path}: synapses into {lif_name!r} appear in two branches; a NetX "
                               "synapse has one weight and one delay")
        weight += w
        delay[w != 0] = d
    rec = [p for p in preds[lif_name] if p not in {lin for lin, _ in branches}]
    weight_rec = None
    for r in rec:
        node = nodes[r]
        if not isinstance(node, (nir.Linear, nir.Affine)) or preds[r] != [lif_name]:
            raise BeamnetError(f"{path}: {where} has an input {r!r} that is neither from the layer "
                               f"below ({source!r}) nor a Linear back edge from itself")
        if weight_rec is not None:
            raise BeamnetError(f"{path}: {where} has more than one recurrent Linear")
        weight_rec = weights(r, n)
    if weight_rec is not None and np.any(delay):
        raise BeamnetError(f"{path}: {where} is recurrent and has synaptic delays; lava-dl's "
                           "RecurrentDense applies one delay matrix to both synapse sets, so "
                           "NetX cannot hold it")
    bias = np.sum(biases, axis=0) if biases else None
    if bias is not None and (bias.min() < fixed_point.BIAS_MIN or bias.max() > fixed_point.BIAS_MAX):
        raise BeamnetError(f"{path}: {where} bias spans {bias.min()}..{bias.max()} in units of 1/64; "
                           f"Lava's 13-bit bias mantissa holds {fixed_point.BIAS_MIN}..{fixed_point.BIAS_MAX}")
    return (Layer(index, "dense", n, v_th_mant, i_decay, v_decay, weight, bias,
                  delay if np.any(delay) else None, weight_rec), rec)


def _our_metadata(graph) -> dict[str, Any]:
    raw = (graph.metadata or {}).get(META_KEY)
    if raw is None:
        return {}
    if isinstance(raw, bytes):
        raw = raw.decode()
    try:
        return json.loads(str(raw))
    except json.JSONDecodeError:
        return {}


def _scalar_meta(graph, key: str) -> float | None:
    value = (graph.metadata or {}).get(key)
    try:
        return None if value is None else float(np.asarray(value).reshape(-1)[0])
    except (TypeError, ValueError):
        return None


def write_netx_layers(imported: NirImport) -> NetxWriter:
    """Stock NetX ``layer/<i>`` groups (slayer's keys) for CUBA layers, through the one writer."""
    w = NetxWriter()
    for l in imported.layers:
        w.dense(l.weight.astype(np.float64), cuba(l.v_th_mant, l.i_decay, l.v_decay), shape=l.size,
                weight_rec=None if l.weight_rec is None else l.weight_rec.astype(np.float64),
                delay=None if l.delay is None else l.delay.astype(np.float64),
                bias=None if l.bias is None else l.bias.astype(np.float64))
    w.attrs(imported.attrs)
    return w


def import_nir(source: str | Path, out: str | Path, *, force: bool = False, dt: float | None = None,
               tolerance: float = GRID_TOLERANCE, round_off_grid: bool = False) -> NirImport:
    """Write the NIR graph in ``source`` as a NetX file ``out`` (atomic; never overwrites
    without ``force``); nothing is written if the graph cannot be carried exactly."""
    source, out = Path(source), Path(out)
    outputs.check([outputs.Out(out, "--output", force=force)], inputs=[source])
    graph = read_nir(source)
    imported = nir_to_layers(graph, source, dt=dt, tolerance=tolerance, round_off_grid=round_off_grid)
    write_netx_layers(imported).publish(out, read_netx, force=force, register=False)   # read back first
    imported.path = out
    return imported


@contextlib.contextmanager
def netx_view(path: str | Path) -> Iterator[Path]:
    """``path`` itself for a NetX file; for a NIR file, a temporary imported NetX copy."""
    path = Path(path)
    if not is_nir(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="beamnet-nir-") as tmp:
        converted = Path(tmp) / f"{path.stem}.net"
        try:
            yield import_nir(path, converted).path
        except BeamnetError as exc:         # name the user's file, never our temporary copy
            message = str(exc).replace(str(converted), str(path))
            raise (type(exc)(message) if message != str(exc) else exc) from None
