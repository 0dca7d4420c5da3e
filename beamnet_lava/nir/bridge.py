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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from beamnet_lava import __version__, outputs
from beamnet_lava.neurons import fixed_point
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import get_family
from beamnet_lava.families.registry import Feature, provide
from beamnet_lava.families.contracts import ToNirHook
from beamnet_lava.io_utils import atomic_path
from beamnet_lava.nir import channels, readout
from beamnet_lava.nir.reading import (  # noqa: F401  (importable from here too)
    DT, META_KEY, _our_metadata, _scalar_meta, _unknown_node_types, flatten_graph, is_nir, read_nir,
)
from beamnet_lava.netx_export.netx_file import (
    Layer,
    NetxNetwork,
    read_netx,
)

INTEGRATION = "forward-euler"


# ---------------------------------------------------------------------------------------------
# the family hook: every family exports to NIR through its ``to_nir`` hook or refuses it with
# its reason (``Family.refuses["to_nir"]``, declared in families/catalog.py)

# why a family has no NIR form (docs/nir.md "What is refused"): declared with the hook, below
NIR_BRF = ("BRF cannot be represented in NIR: its damping multiplies the neuron state, NIR has no "
           "such node and rejects custom node types")
NIR_RF = ("RF (resonate-and-fire) cannot be represented exactly in NIR: Lava's fixed-point rotation "
          "of the complex state has no composition of NIR's real nodes")


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
    for u in unfold(net):
        l = u.layer
        where = f"{net.path}: layer {l.index}"
        if l.kind != "dense":
            raise BeamnetError(f"{where} is a NetX input block with neurons; NIR export takes "
                               "files whose first layer is dense")
        if l.i_decay == 0 or (l.v_decay == 0 and l.i_decay != fixed_point.DECAY_UNITY):
            raise BeamnetError(f"{where} has iDecay={l.i_decay}, vDecay={l.v_decay}: a decay of 0 "
                               "is an infinite NIR time constant (tau = dt*4096/decay); only a "
                               "layer without current and leak (iDecay 4096, vDecay 0: NIR's IF) "
                               "has one; refused")
        if u.readout and l.v_decay == 0:
            raise BeamnetError(f"{where} is an LI readout without leak (vDecay 0); NIR's LI needs a "
                               "finite time constant")
        if u.voltage_bias is not None and l.i_decay != fixed_point.DECAY_UNITY and not u.readout:
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


@dataclass
class Unfolded:
    """A layer without its always-on units (nir/channels.py): ``current_bias`` is the weight
    column of the always-on source (a constant input current, NIR units), ``voltage_bias``
    Lava's neuron bias (NIR units); either may be None."""

    layer: Layer
    current_bias: np.ndarray | None
    voltage_bias: np.ndarray | None
    unit: float = fixed_point.W_SCALE       # NetX integers per NIR unit (an LI readout's factor)
    readout: bool = False                   # an LI / CubaLI readout (nir/readout.py)


def unfold(net: NetxNetwork) -> list[Unfolded]:
    """``net``'s layers with the always-on units an import added folded back into biases."""
    on = channels.of(net)
    li_scale = readout.of(net)
    out = []
    for k, l in enumerate(net.layers):
        is_readout = li_scale is not None and k == len(net.layers) - 1
        unit = li_scale if is_readout else fixed_point.W_SCALE
        weight, delay, rec = l.weight, delay_matrix(l), l.weight_rec
        bias = None if l.bias is None else np.broadcast_to(l.bias, (l.size,)).astype(np.float64)
        size = l.size - on[k + 1]
        weight, delay, current = weight[:size], delay[:size], None
        if rec is not None:
            rec = rec[:size, :size]
        if bias is not None:
            bias = bias[:size]
        if on[k]:
            current = weight[:, -1].astype(np.float64) / unit
            weight, delay = weight[:, :-1], delay[:, :-1]
        plain = replace(l, size=size, weight=weight, delay=delay if np.any(delay) else None,
                        weight_rec=rec, bias=bias)
        out.append(Unfolded(plain, current if current is not None and np.any(current) else None,
                            bias / unit if bias is not None and np.any(bias) else None, unit, is_readout))
    return out


def neuron_node(u: Unfolded, dt: float):
    """The layer's neuron node: IF (no current, no leak), a LIF (snnTorch's Leaky) when a
    layer without synaptic current has a bias, else a CubaLIF (whose bias, an always-on
    channel on Lava, is a constant input current)."""
    import nir

    l, n = u.layer, u.layer.size
    if u.readout:
        return readout_node(u, dt)
    vth = np.full(n, l.v_th_mant / fixed_point.W_SCALE)
    if l.i_decay == fixed_point.DECAY_UNITY and l.v_decay == 0:
        return nir.IF(r=np.ones(n), v_threshold=vth, v_reset=np.zeros(n))
    if u.voltage_bias is not None:
        return nir.LIF(tau=np.full(n, dt * fixed_point.DECAY_UNITY / l.v_decay),
                       r=np.full(n, fixed_point.DECAY_UNITY / l.v_decay), v_leak=np.zeros(n),
                       v_threshold=vth, v_reset=np.zeros(n))
    return nir.CubaLIF(
        tau_syn=np.full(n, dt * fixed_point.DECAY_UNITY / l.i_decay),
        tau_mem=np.full(n, dt * fixed_point.DECAY_UNITY / l.v_decay),
        r=np.full(n, fixed_point.DECAY_UNITY / l.v_decay),
        v_leak=np.zeros(n),
        v_threshold=vth,
        v_reset=np.zeros(n),
        w_in=np.full(n, fixed_point.DECAY_UNITY / l.i_decay))


def readout_node(u: Unfolded, dt: float):
    """An LI readout layer's node: NIR ``LI`` (no synaptic current: iDecay 4096; a neuron bias
    is the Affine's bias, as for a LIF) or ``CubaLI`` (a neuron bias is its ``v_leak``: Euler's
    ``v += b (v_leak - v + r I)`` adds ``b v_leak`` to the voltage per step, Lava's neuron bias)."""
    import nir

    l, n = u.layer, u.layer.size
    unity = fixed_point.DECAY_UNITY
    r = np.full(n, unity / l.v_decay)
    if l.i_decay == unity:
        return nir.LI(tau=np.full(n, dt * unity / l.v_decay), r=r, v_leak=np.zeros(n))
    leak = np.zeros(n) if u.voltage_bias is None else u.voltage_bias * unity / l.v_decay
    return nir.CubaLI(tau_syn=np.full(n, dt * unity / l.i_decay), tau_mem=np.full(n, dt * unity / l.v_decay),
                      r=r, v_leak=leak, w_in=np.full(n, unity / l.i_decay))


def delay_branches(nodes: dict, edges: list, u: Unfolded, prev: str, prev_size: int, lif: str,
                    i: int, dt: float) -> None:
    """``prev -> [Delay(d dt) ->] Linear(W masked to delay d) -> lif``, one per distinct delay;
    the first is an Affine carrying the layer's bias, if any."""
    import nir

    l = u.layer
    as_leak = u.readout and l.i_decay != fixed_point.DECAY_UNITY     # a CubaLI's v_leak (readout_node)
    bias = sum(b for b in (u.current_bias, None if as_leak else u.voltage_bias) if b is not None)
    w = l.weight.astype(np.float64) / u.unit
    delay = delay_matrix(l)
    for k, d in enumerate(np.unique(delay[l.weight != 0]) if np.any(l.weight) else [0]):
        d = int(d)
        lin = f"linear{i}" if d == 0 else f"linear{i}_d{d}"
        weight = np.where(delay == d, w, 0.0)
        nodes[lin] = (nir.Affine(weight=weight, bias=np.asarray(bias, dtype=np.float64))
                      if k == 0 and not np.isscalar(bias) else nir.Linear(weight=weight))
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
    n_in = channels.user_input_size(net)
    nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array([n_in])})}
    edges: list[tuple[str, str]] = []
    prev, prev_size = "input", n_in
    loihi = []
    for i, u in enumerate(unfold(net)):
        l = u.layer
        lif = f"lif{i}"
        delay_branches(nodes, edges, u, prev, prev_size, lif, i, dt)
        nodes[lif] = neuron_node(u, dt)
        if l.weight_rec is not None:
            nodes[f"rec{i}"] = nir.Linear(weight=l.weight_rec.astype(np.float64) / fixed_point.W_SCALE)
            edges += [(lif, f"rec{i}"), (f"rec{i}", lif)]
        loihi.append({"iDecay": l.i_decay, "vDecay": l.v_decay, "vThMant": l.v_th_mant})
        prev, prev_size = lif, l.size
    nodes["output"] = nir.Output(output_type={"output": np.array([prev_size])})
    edges.append((prev, "output"))
    attrs = {k: v for k, v in net.attrs.items() if isinstance(v, (str, int, float, bool))
             and k != channels.ATTR}
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
    kinds_out = (nir.CubaLIF, nir.LIF, nir.IF, nir.LI, nir.CubaLI)
    neurons = [k for k, node in graph.nodes.items() if isinstance(node, kinds_out)]
    sizes = [int(np.prod(list(graph.nodes["input"].input_type.values())[0]))] + \
        [int(np.prod(list(graph.nodes[k].output_type.values())[0])) for k in neurons]
    recurrent = sum(1 for a, b in graph.edges if isinstance(graph.nodes[a], nir.Linear)
                    and any(e == (b, a) for e in graph.edges))
    with atomic_path(out) as tmp:
        nir.write(tmp, graph)
        read_nir(tmp)                      # refuse to publish a file we could not read back
    return NirExport(out, len(neurons), sizes, kinds.count("Delay"), recurrent,
                     list(meta.get("dropped", [])),
                     "/".join(k for k in ("CubaLIF", "LIF", "IF", "LI", "CubaLI") if k in kinds))


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


# the import side lives in nir/importer.py (it reads graphs with read_nir / flatten_graph above);
# these names stay importable from here
from beamnet_lava.nir.importer import (  # noqa: E402
    NirImport,
    import_nir,
    netx_view,
    nir_to_layers,
    write_netx_layers,
)

__all__ = ["DT", "NirExport", "NirImport", "export_nir", "import_nir", "is_nir", "netx_to_nir",
           "netx_view", "nir_to_layers", "read_nir", "write_netx_layers"]


# this module's hook, who refuses it and why, and the SNN's implementation (attached by the
# registry, families.registry.load, through nir/__init__.py's providers(); beamnet's and csnn's
# are in nir/beamnet.py and nir/csnn_nir.py)
DECLARES = [Feature("to_nir", "nir", ToNirHook, refuses={
    "ann": "an ANN-MLP baseline has no spiking network to export",
    "brf-rsnn": NIR_BRF, "rf-rsnn": NIR_RF,
    "alif-rsnn": "alif-rsnn runs are a training baseline; export supports brf-rsnn and rf-rsnn",
    "beamnet-stock": "export its BEAM-Net run with `--format nir --deterministic` (the same "
                     "deterministic core, with its inhibition trace's decay listed)",
    "lavadl": "export of lava-dl conv networks to NIR is not supported"})]
PROVIDES = [provide("to_nir", snn_to_nir, "snn")]
