"""Reading NIR graphs: ``nir.read`` behind one-line errors, nested graphs flattened, and the
metadata beamnet-lava writes into a graph. Used by the export side (nir/bridge.py) and the
import side (nir/importer.py) alike."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from beamnet_lava import budget
from beamnet_lava.errors import BeamnetError

DT = 1e-4                        # snnTorch's hard-coded NIR time step; Norse: from_nir(dt=1e-4)
META_KEY = "beamnet_lava"        # graph metadata: one JSON string (NIR keeps scalars/strings only)


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
    from beamnet_lava.nir.nodes import supported

    unknown = _unknown_node_types(p)
    if unknown:
        raise BeamnetError(f"{p}: unknown NIR node type {unknown[0]!r} (nir {nir.version} has no "
                           f"such node); beamnet-lava imports {supported()}")
    try:
        return nir.read(p)          # with nir's own type check: a graph nir.read rejects is refused
    except ValueError as exc:
        raise BeamnetError(f"{p}: nir.read rejects it ({str(exc).splitlines()[0]})") from None
    except (KeyError, TypeError, AssertionError, AttributeError) as exc:
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


def _our_metadata(graph) -> dict[str, Any]:
    raw = (graph.metadata or {}).get(META_KEY)
    if raw is None:
        return {}
    if isinstance(raw, bytes):
        raw = raw.decode()
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError:
        return {}
    return meta if isinstance(meta, dict) else {}     # not ours: ignored like unreadable JSON


def _scalar_meta(graph, key: str) -> float | None:
    value = (graph.metadata or {}).get(key)
    try:
        return None if value is None else float(np.asarray(value).reshape(-1)[0])
    except (TypeError, ValueError):
        return None
