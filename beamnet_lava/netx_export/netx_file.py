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
from beamnet_lava import budget
from beamnet_lava.errors import BeamnetError
from beamnet_lava.rundir import RUN_ID_ATTR
from beamnet_lava.families.registry import provide

FORMAT_VERSION = 1
RUNNABLE_NEURONS = ("CUBA", "LOIHI")
#: the neuron type of a float NIR import (nir/float_import.py): CUBA dynamics with float
#: constants. A name lava-dl's netx does not build (no "RF" in it), so lava-dl refuses such a
#: file instead of casting its float constants and weights to integers (a wrong network)
FLOAT_NEURON = "CUBA_FLOAT"


def neuron_types(floats: bool) -> tuple[str, ...]:
    """The neuron types a file may hold: a float import's (root attribute ``precision =
    "float"``) only ``FLOAT_NEURON``, any other file CUBA/LOIHI."""
    return (FLOAT_NEURON,) if floats else RUNNABLE_NEURONS


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


# root attributes beamnet-lava writes: name -> (kind, lowest allowed value or allowed strings)
ATTRS: dict[str, tuple[str, Any]] = {
    "beamnet_format": ("int", 1), "time_steps": ("int", 1), "n_classes": ("int", 2),
    "seed": ("int", 0), "input_levels": ("int", 1), "event_downsample": ("int", 1),
    "temperature": ("float", 0.0), "event_window_ms": ("float", 0.0),
    "model": ("str", None), "dataset": ("str", None), "encoding": ("str", None),
    "event_polarity": ("str", ("split", "merge", "on_only")),
    RUN_ID_ATTR: ("str", None), "nir_dt": ("float", 0.0), "nir_source": ("str", None),
    "precision": ("str", ("fixed", "float")),     # "float": a float NIR import (nir/float_import.py)
}


def read_attrs(f: h5py.File, path: Path, known: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The file's root attributes as Python values, each of beamnet-lava's checked
    (type, range): a bad one is refused before it can reach a run. ``known``: the only
    attributes a format allows (our extensions); None allows any (stock NetX files)."""
    unknown = sorted(set(f.attrs) - set(known)) if known is not None else []
    if unknown:
        raise _bad(path, f"root attribute(s) {', '.join(unknown)} are not part of this format "
                         f"(it records {', '.join(known)})")
    from beamnet_lava.checks import SEED_MAX

    attrs = {k: (v.item() if isinstance(v, np.ndarray) and v.size == 1 else v)
             for k, v in f.attrs.items()}
    attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in attrs.items()}
    attrs = {k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else v) for k, v in attrs.items()}
    for key, (kind, low) in ATTRS.items():
        if key not in attrs:
            continue
        value = attrs[key]
        if kind == "str":
            if not isinstance(value, str) or (low and value not in low):
                raise _bad(path, f"root attribute {key}={value!r} must be "
                                 + (f"one of {', '.join(low)}" if low else "a string"))
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not np.isfinite(value) or (kind == "int" and value != int(value)):
            raise _bad(path, f"root attribute {key}={value!r} must be a finite "
                             f"{'whole number' if kind == 'int' else 'number'}")
        if value < low or (key == "temperature" and value <= 0) or (key == "seed" and value > SEED_MAX):
            bound = {"temperature": "> 0", "seed": f"in 0..{SEED_MAX}"}.get(key, f">= {low}")
            raise _bad(path, f"root attribute {key}={value!r} must be {bound}")
        attrs[key] = int(value) if kind == "int" else float(value)
    if attrs.get("beamnet_format", FORMAT_VERSION) != FORMAT_VERSION:
        raise _bad(path, f"beamnet_format {attrs['beamnet_format']} is not the version this "
                         f"beamnet-lava reads ({FORMAT_VERSION}); re-export it")
    return attrs


def _numeric(path: Path, where: str, ds: Any) -> np.ndarray:
    """A dataset as float64 numbers, or a clear error (strings, compound types)."""
    if not isinstance(ds, h5py.Dataset):
        raise _bad(path, f"{where} is a group, not an array")
    if ds.dtype.kind not in "biuf":
        raise _bad(path, f"{where} holds {ds.dtype} values, not numbers")
    return np.asarray(ds[()], dtype=np.float64)


def _size(path: Path, where: str, ds: Any) -> int:
    """A layer's ``shape``: positive whole numbers; the layer size is their product."""
    shape = _numeric(path, f"{where}/shape", ds).reshape(-1)
    if not shape.size or not np.all(np.isfinite(shape)) or np.any(shape < 1) \
            or np.any(shape > 2**31) or np.any(shape != np.round(shape)):
        raise _bad(path, f"{where}/shape {shape.tolist()} must be positive whole numbers")
    return int(np.prod(shape.astype(np.int64)))


def _scalar(group: h5py.Group, key: str, path: Path, where: str) -> float:
    if key not in group:
        raise _bad(path, f"{where} has no '{key}'; a NetX CUBA neuron needs type, vThMant, iDecay, vDecay")
    value = _numeric(path, f"{where}/{key}", group[key]).reshape(-1)
    if value.size != 1:
        raise _bad(path, f"{where}/{key} must be a scalar, found shape {value.shape}")
    return float(value[0])


def read_string(ds: Any) -> str:
    """A NetX string field (``[b'dense']``, ``b'CUBA'``); '?' when it is not one."""
    if not isinstance(ds, h5py.Dataset):
        return "?"
    value = ds[()]
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0] if value.size else b"?"
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def _in_range(path: Path, where: str, values: np.ndarray, lo: int, hi: int, what: str) -> None:
    if values.size and (values.min() < lo or values.max() > hi):
        raise _bad(path, f"{where} {what} out of the fixed-point range [{lo}, {hi}] "
                         f"(found {values.min()}..{values.max()})")


def _integers(path: Path, where: str, values: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        raise _bad(path, f"{where} holds non-integer values; NetX expects integers in hardware "
                         "units (export with slayer's quantization)")
    if values.size and np.abs(values).max() > 2**53:
        raise _bad(path, f"{where} holds values beyond any fixed-point range (up to {np.abs(values).max():g})")
    return values.astype(np.int64)


#: a layer lava-dl's slayer exported from a cuba.Affine block, and what to do (read_netx, inspect)
AFFINE = (f"a lava-dl Affine layer (vThMant {fixed_point.SLAYER_AFFINE_VTH}: slayer's never-fire "
          "threshold, a readout of currents, not spikes)")
AFFINE_FIX = "export that layer as slayer.block.cuba.Dense"


def _finite(path: Path, where: str, values: np.ndarray) -> np.ndarray:
    """A float import's values (``precision = "float"``): any finite numbers."""
    if not np.all(np.isfinite(values)):
        raise _bad(path, f"{where} holds NaN or inf")
    return np.asarray(values, dtype=np.float64)


def _read_neuron(group: h5py.Group, path: Path, where: str, floats: bool = False) -> tuple:
    if "neuron" not in group:
        raise _bad(path, f"{where} has no neuron description")
    neuron = group["neuron"]
    ntype = read_string(neuron["type"]) if "type" in neuron else "?"
    if ntype not in neuron_types(floats):
        raise _bad(path, f"{where} has neuron type '{ntype}'; " + (
            f"a float import (root attribute precision = 'float') holds {FLOAT_NEURON} neurons only"
            if floats else f"a {FLOAT_NEURON} neuron belongs to a float import, whose root attribute "
            "precision = 'float' this file lacks" if ntype == FLOAT_NEURON else
            "beamnet-lava runs CUBA/LOIHI neurons only"))
    vals = [_scalar(neuron, k, path, f"{where}/neuron") for k in ("vThMant", "iDecay", "vDecay")]
    arr = (_finite if floats else _integers)(path, f"{where}/neuron", np.array(vals))
    if "refDelay" in neuron and _scalar(neuron, "refDelay", path, f"{where}/neuron") != 1:
        raise _bad(path, f"{where}/neuron refDelay must be 1 (beamnet-lava runs CUBA neurons "
                         "without a refractory period)")
    if "gradedSpike" in neuron and _scalar(neuron, "gradedSpike", path, f"{where}/neuron"):
        raise _bad(path, f"{where}/neuron has graded spikes; beamnet-lava runs binary spikes only")
    if arr[0] == fixed_point.SLAYER_AFFINE_VTH:
        raise _bad(path, f"{where} is {AFFINE}; beamnet-lava reads predictions from output "
                         f"spikes: {AFFINE_FIX}")
    _in_range(path, f"{where}/neuron", arr[:1], 0, fixed_point.VTH_MAX, "vThMant")
    _in_range(path, f"{where}/neuron", arr[1:], 0, fixed_point.DECAY_UNITY, "iDecay/vDecay")
    if floats:
        return float(arr[0]), float(arr[1]), float(arr[2])
    return int(arr[0]), int(arr[1]), int(arr[2])


def open_hdf5(path: str | Path) -> h5py.File:
    """``path`` opened read-only, or a clear BeamnetError (missing, a folder, not HDF5)."""
    p = Path(path)
    if not p.exists():
        raise BeamnetError(f"{p}: no such file")
    if not p.is_file():
        raise BeamnetError(f"{p}: not a file")
    budget.check_hdf5(p)                    # declared sizes, before any dataset is read
    try:
        return h5py.File(p, "r")
    except OSError as exc:
        raise BeamnetError(f"{p}: not a readable HDF5 file ({exc.__class__.__name__}: "
                           f"{str(exc).split(';')[0]}); was it exported completely?") from None


def root_attrs(f: h5py.File) -> dict[str, Any]:
    """The file's root attributes as Python scalars and strings."""
    attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}


def layer_groups(f: h5py.File, path: Path) -> tuple[h5py.Group, list[str]]:
    """The ``/layer`` group of an open NetX file and its layer names in order (0, 1, ...),
    or a one-line BeamnetError when the file has no layers or misnames them."""
    if "layer" not in f or not isinstance(f["layer"], h5py.Group) or len(f["layer"]) == 0:
        raise _bad(path, "is HDF5 but not a NetX network (no '/layer' group of layers)")
    group = f["layer"]
    names = sorted(group.keys(), key=lambda s: int(s) if s.isdigit() else -1)
    if names != [str(i) for i in range(len(names))]:
        raise _bad(path, f"NetX layers must be named 0..{len(names) - 1}, found {names}")
    return group, names


def read_netx(path: str | Path) -> NetxNetwork:
    """Open ``path`` and return its validated description, or raise a clear BeamnetError."""
    p = Path(path)
    with open_hdf5(p) as f:
        group, names = layer_groups(f, p)
        attrs = read_attrs(f, p)
        floats = attrs.get("precision") == "float"          # a float NIR import: no integer grid
        number = _finite if floats else _integers
        layers: list[Layer] = []
        prev_size: int | None = None
        input_size: int | None = None
        for i, name in enumerate(names):
            g = group[name]
            where = f"layer {i}"
            if not isinstance(g, h5py.Group):
                raise _bad(p, f"{where} is not a group of layer fields")
            kind = read_string(g["type"]) if "type" in g else None
            if kind is None:
                raise _bad(p, f"{where} has no 'type'")
            if kind == "input":
                if i != 0:
                    raise _bad(p, f"{where}: an input layer must come first")
                if "shape" not in g:
                    raise _bad(p, f"{where} (input) has no 'shape'")
                if "neuron" not in g:
                    input_size = _size(p, where, g["shape"])
                    prev_size = input_size
                    continue
                size = _size(p, where, g["shape"])
                vth, idec, vdec = _read_neuron(g, p, where, floats)
                layers.append(Layer(i, "input", size, vth, idec, vdec))
                input_size = input_size or size
                prev_size = size
                continue
            if kind not in ("dense", "dense_rec"):
                raise _bad(p, f"{where} is a '{kind}' layer; beamnet-lava runs input, dense and "
                              "dense_rec layers only")
            if "weight" not in g:
                raise _bad(p, f"{where} has no weight")
            weight = _numeric(p, f"{where} weight", g["weight"])
            size = _size(p, where, g["shape"]) if "shape" in g else (weight.shape or (0,))[0]
            if weight.ndim == 1 and weight.size and weight.size % size == 0:
                weight = weight.reshape(size, -1)
            if weight.ndim != 2 or weight.shape[0] != size or weight.shape[1] < 1:
                raise _bad(p, f"{where} weight has shape {weight.shape}, expected ({size}, inputs)")
            if prev_size is not None and weight.shape[1] != prev_size:
                raise _bad(p, f"{where} weight expects {weight.shape[1]} inputs but the layer "
                              f"below has {prev_size} neurons")
            for key, n in (("outFeatures", size), ("inFeatures", weight.shape[1])):
                if key in g and _scalar(g, key, p, where) != n:
                    raise _bad(p, f"{where}/{key}={_scalar(g, key, p, where):g} disagrees with its "
                                  f"weight of shape {weight.shape}")
            weight = number(p, f"{where} weight", weight)
            if not floats:
                # a stock file may hold an odd 255: lava truncates it to the mantissa bound 254
                _in_range(p, where, weight, fixed_point.WEIGHT_MANT_MIN, fixed_point.WEIGHT_MANT_MAX + 1,
                          "weight")
            vth, idec, vdec = _read_neuron(g, p, where, floats)
            if vth <= 0:      # an input layer's neuron may pass spikes through at threshold 0
                raise _bad(p, f"{where}/neuron vThMant is 0: a zero threshold fires on any "
                              "positive input (a threshold rounded away?); NetX thresholds of "
                              "dense layers are >= 1 (1/64)")
            bias = delay = None
            if "bias" in g:
                bias = number(p, f"{where} bias", _numeric(p, f"{where} bias", g["bias"]).reshape(-1))
                if bias.size not in (1, size):
                    raise _bad(p, f"{where} bias has {bias.size} values for {size} neurons")
                if not floats:
                    _in_range(p, where, bias, fixed_point.BIAS_MIN, fixed_point.BIAS_MAX, "bias")
            if "delay" in g:
                delay = _integers(p, f"{where} delay", _numeric(p, f"{where} delay", g["delay"]))
                if delay.shape not in (weight.shape, weight.shape[:1]):   # per synapse or per neuron
                    raise _bad(p, f"{where} delay has shape {delay.shape}; its weight {weight.shape} "
                                  f"takes {weight.shape} (per synapse) or {weight.shape[:1]} (per neuron)")
                _in_range(p, where, delay, 0, fixed_point.MAX_DELAY, "delay")
            weight_rec = None
            if kind == "dense_rec":
                if "weight_rec" not in g:
                    raise _bad(p, f"{where} is 'dense_rec' but has no weight_rec")
                weight_rec = number(p, f"{where} weight_rec",
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
        if attrs.get("n_classes", layers[-1].size) != layers[-1].size:
            raise _bad(p, f"root attribute n_classes={attrs['n_classes']} disagrees with the "
                          f"{layers[-1].size} output neurons")
    return NetxNetwork(p, layers, int(input_size), attrs)


# this module's hooks, attached by the registry (families.registry.load) through netx_export/__init__.py's providers()
PROVIDES = [
    provide("read", read_netx, "snn"),
]
