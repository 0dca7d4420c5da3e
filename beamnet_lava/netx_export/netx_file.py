"""Read and validate a NetX HDF5 network before anything is handed to Lava.

NetX layout (lava-dl 0.6, ``lava.lib.dl.netx.hdf5``): ``/layer/<i>`` groups with
``type`` ('input', 'dense', ...), ``shape``, ``weight`` (out x in, integers in
hardware units), optional ``bias`` and ``delay``, and ``neuron/`` with ``type``
('CUBA' or 'LOIHI'), ``vThMant``, ``iDecay``, ``vDecay`` (12-bit).

This toolkit runs networks of ``input`` and ``dense`` layers of CUBA neurons;
anything else is refused with a message naming the layer. Values are checked
against Loihi's fixed-point ranges (:mod:`beamnet_lava.neurons.fixed_point`), because
lava-dl would otherwise truncate or wrap them silently (NetDict casts weights
with ``astype(int)``; Lava wraps the 24-bit state).

Files we export carry root attributes ``beamnet_format`` (version) plus the
encoding they were trained with (``time_steps``, ``encoding``, ``dataset``,
``n_classes``); stock files have none and take those from the command line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from beamnet_lava.neurons import fixed_point
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import implements

FORMAT_VERSION = 1
RUNNABLE_NEURONS = ("CUBA", "LOIHI")


@dataclass
class Layer:
    """One validated layer. ``weight`` is None for an input layer."""

    index: int
    kind: str                      # 'input' or 'dense'
    size: int
    v_th_mant: int
    i_decay: int
    v_decay: int
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    delay: np.ndarray | None = None
    weight_rec: np.ndarray | None = None   # NetX 'dense_rec': this layer's own previous spikes

    def slayer_neuron_params(self) -> dict[str, float]:
        """slayer ``cuba.Neuron`` arguments reproducing these hardware values."""
        return {
            "threshold": self.v_th_mant / fixed_point.W_SCALE,
            "current_decay": self.i_decay / fixed_point.DECAY_UNITY,
            "voltage_decay": self.v_decay / fixed_point.DECAY_UNITY,
            "requires_grad": False,
        }


@dataclass
class NetxNetwork:
    path: Path
    layers: list[Layer]
    input_size: int
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def output_size(self) -> int:
        return self.layers[-1].size

    def describe(self) -> str:
        sizes = " -> ".join([str(self.input_size)] + [str(l.size) for l in self.layers])
        return f"{self.path} (NetX, {len(self.layers)} CUBA dense layers: {sizes})"

    def reference_unavailable(self) -> str | None:
        """Why no training-model reference can be rebuilt from this file (None: it can)."""
        for l in self.layers:
            if l.kind != "dense":
                return f"layer {l.index} is an '{l.kind}' layer"
            if l.bias is not None and np.any(l.bias):
                return f"layer {l.index} has a bias"
            if l.delay is not None and np.any(l.delay):
                return f"layer {l.index} has synaptic delays"
            if l.weight_rec is not None:
                return f"layer {l.index} is recurrent"
        return None


def _bad(path: Path, msg: str) -> BeamnetError:
    return BeamnetError(f"{path}: {msg}")


def _scalar(group: h5py.Group, key: str, path: Path, where: str) -> float:
    if key not in group:
        raise _bad(path, f"{where} has no '{key}'; a NetX CUBA neuron needs type, vThMant, iDecay, vDecay")
    value = np.asarray(group[key][()]).reshape(-1)
    if value.size != 1:
        raise _bad(path, f"{where}/{key} must be a scalar, found shape {value.shape}")
    return float(value[0])


def _string(ds: h5py.Dataset) -> str:
    value = ds[()]
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0]
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _in_range(path: Path, where: str, values: np.ndarray, lo: int, hi: int, what: str) -> None:
    if values.size and (values.min() < lo or values.max() > hi):
        raise _bad(path, f"{where} {what} out of the fixed-point range [{lo}, {hi}] "
                         f"(found {values.min()}..{values.max()})")


def _integers(path: Path, where: str, values: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        raise _bad(path, f"{where} holds non-integer values; NetX expects integers in hardware "
                         "units (export with slayer's quantization)")
    return values.astype(np.int64)


def _read_neuron(group: h5py.Group, path: Path, where: str) -> tuple[int, int, int]:
    if "neuron" not in group:
        raise _bad(path, f"{where} has no neuron description")
    neuron = group["neuron"]
    ntype = _string(neuron["type"]) if "type" in neuron else "?"
    if ntype not in RUNNABLE_NEURONS:
        raise _bad(path, f"{where} has neuron type '{ntype}'; beamnet-lava runs CUBA/LOIHI neurons only")
    vals = [_scalar(neuron, k, path, f"{where}/neuron") for k in ("vThMant", "iDecay", "vDecay")]
    arr = _integers(path, f"{where}/neuron", np.array(vals))
    _in_range(path, f"{where}/neuron", arr[:1], 0, fixed_point.VTH_MAX, "vThMant")
    _in_range(path, f"{where}/neuron", arr[1:], 0, fixed_point.DECAY_UNITY, "iDecay/vDecay")
    return int(arr[0]), int(arr[1]), int(arr[2])


def open_hdf5(path: str | Path) -> h5py.File:
    """``path`` opened read-only, or a clear BeamnetError (missing, a folder, not HDF5)."""
    p = Path(path)
    if not p.exists():
        raise BeamnetError(f"{p}: no such file")
    if not p.is_file():
        raise BeamnetError(f"{p}: not a file")
    try:
        return h5py.File(p, "r")
    except OSError as exc:
        raise BeamnetError(f"{p}: not a readable HDF5 file ({exc.__class__.__name__}: "
                           f"{str(exc).split(';')[0]}); was it exported completely?") from None


def root_attrs(f: h5py.File) -> dict[str, Any]:
    """The file's root attributes as Python scalars and strings."""
    attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}


@implements("snn", hook="read")
def read_netx(path: str | Path) -> NetxNetwork:
    """Open ``path`` and return its validated description, or raise a clear BeamnetError."""
    p = Path(path)
    with open_hdf5(p) as f:
        if "layer" not in f or not isinstance(f["layer"], h5py.Group) or len(f["layer"]) == 0:
            raise _bad(p, "is HDF5 but not a NetX network (no '/layer' group of layers)")
        attrs = root_attrs(f)
        group = f["layer"]
        names = sorted(group.keys(), key=lambda s: int(s) if s.isdigit() else -1)
        if [n for n in names] != [str(i) for i in range(len(names))]:
            raise _bad(p, f"NetX layers must be named 0..{len(names) - 1}, found {names}")
        layers: list[Layer] = []
        prev_size: int | None = None
        input_size: int | None = None
        for i, name in enumerate(names):
            g = group[name]
            where = f"layer {i}"
            kind = _string(g["type"]) if "type" in g else None
            if kind is None:
                raise _bad(p, f"{where} has no 'type'")
            if kind == "input":
                if i != 0:
                    raise _bad(p, f"{where}: an input layer must come first")
                if "neuron" not in g:
                    input_size = int(np.prod(g["shape"][()]))
                    prev_size = input_size
                    continue
                size = int(np.prod(g["shape"][()]))
                vth, idec, vdec = _read_neuron(g, p, where)
                layers.append(Layer(i, "input", size, vth, idec, vdec))
                input_size = input_size or size
                prev_size = size
                continue
            if kind not in ("dense", "dense_rec"):
                raise _bad(p, f"{where} is a '{kind}' layer; beamnet-lava runs input, dense and "
                              "dense_rec layers only")
            if "weight" not in g:
                raise _bad(p, f"{where} has no weight")
            weight = np.asarray(g["weight"][()], dtype=np.float64)
            size = int(np.prod(g["shape"][()])) if "shape" in g else weight.shape[0]
            if weight.ndim == 1:
                weight = weight.reshape(size, -1)
            if weight.ndim != 2 or weight.shape[0] != size:
                raise _bad(p, f"{where} weight has shape {weight.shape}, expected ({size}, inputs)")
            if prev_size is not None and weight.shape[1] != prev_size:
                raise _bad(p, f"{where} weight expects {weight.shape[1]} inputs but the layer "
                              f"below has {prev_size} neurons")
            weight = _integers(p, f"{where} weight", weight)
            vth, idec, vdec = _read_neuron(g, p, where)
            bias = delay = None
            if "bias" in g:
                bias = _integers(p, f"{where} bias", np.asarray(g["bias"][()], dtype=np.float64))
                _in_range(p, where, bias, fixed_point.BIAS_MIN, fixed_point.BIAS_MAX, "bias")
            if "delay" in g:
                delay = _integers(p, f"{where} delay", np.asarray(g["delay"][()], dtype=np.float64))
                _in_range(p, where, delay, 0, fixed_point.MAX_DELAY, "delay")
            weight_rec = None
            if kind == "dense_rec":
                if "weight_rec" not in g:
                    raise _bad(p, f"{where} is 'dense_rec' but has no weight_rec")
                weight_rec = _integers(p, f"{where} weight_rec",
                                       np.asarray(g["weight_rec"][()], dtype=np.float64).reshape(size, -1))
                if weight_rec.shape != (size, size):
                    raise _bad(p, f"{where} weight_rec has shape {weight_rec.shape}, expected ({size}, {size})")
                if delay is not None:
                    raise _bad(p, f"{where}: synaptic delays on a recurrent layer are not supported")
            if input_size is None:
                input_size = weight.shape[1]
            layers.append(Layer(i, "dense", size, vth, idec, vdec, weight, bias, delay, weight_rec))
            prev_size = size
        if not layers:
            raise _bad(p, "has no layer with neurons")
    return NetxNetwork(p, layers, int(input_size), attrs)
