"""Read and validate any NetX file lava-dl writes: conv, pool, flatten, dense, input blocks.

One reader for every file lava-dl 0.6's slayer blocks ``export_hdf5`` (and its netx
loader ``lava.lib.dl.netx.hdf5.Network`` reads): ``/layer/<i>`` groups of type

- ``input``: an input block; with ``neuron/`` its neurons take the inputs (graded values
  on ``a_in``, or a static image as their bias, which is how lava-dl's own tests drive
  tiny.net and PilotNet); without, it only declares the input ``shape``.
- ``conv``: ``weight`` (out, in/groups, kH, kW[, 1]), ``kernelSize``, ``stride``,
  ``padding``, ``dilation`` (each (H, W) or a scalar), ``groups``, optional ``bias``
  (per channel), ``neuron/``.
- ``pool``: slayer's sum pooling, a kernel of one repeated value ``weight`` (1, 1, kH, kW)
  applied to every channel, with a neuron group.
- ``flatten``: a reshape of (C, H, W) to C*H*W in C-order (torch's, and what netx connects
  as ``out.transpose([2, 1, 0]).flatten()``).
- ``dense``: ``weight`` (out, in), optional ``bias``; without ``neuron/`` it is a *current
  readout*: its synaptic currents are the output (lava-dl's bootstrap MNIST network).

Neuron groups: ``CUBA``/``LOIHI`` (``vThMant``, ``iDecay``, ``vDecay``) or ``SDNN`` (sigma-delta,
``vThMant``, ``activation`` relu; ``sigma_output`` on a last layer outputs its sigma).

Shapes are (C, H, W) as NetX stores them. Every parameter is checked before anything is
built (shapes chain, kernel within its input, stride/dilation >= 1, groups divide the
channels, integer weights in Loihi's 8-bit range, pooling kernels, neuron constants,
memory of the state): one :class:`BeamnetError` naming the layer.
"""
from __future__ import annotations

import contextvars

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from beamnet_lava import budget
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.neurons import fixed_point
from beamnet_lava.netx_export.netx_file import FLOAT_NEURON, layer_groups, open_hdf5, read_attrs, read_string

LAVADL = "lavadl"   # the family of stock lava-dl files this reader runs
KINDS = ("input", "dense", "conv", "pool", "flatten")
#: layer types lava-dl can write that no Lava process here (or in lava-dl 0.6's netx) runs
UNSUPPORTED = {
    "average": "an 'average' layer (slayer's population average readout; netx 0.6 raises "
               "NotImplementedError for it too): drop it and average the previous layer's "
               "output yourself",
    "concat": "a 'concat' layer (netx 0.6 cannot build it either)",
    "convT": "a transposed convolution (netx 0.6 cannot build it either)",
    "unpool": "an 'unpool' layer (netx 0.6 cannot build it either)",
    "dense_comp": "a complex-valued dense layer (resonator neurons), not a conv network layer",
    "dense_rec": "a recurrent dense layer; files of dense layers only run through the SNN path",
}
SPIKING = ("CUBA", "LOIHI")
#: the non-leaky integrator lava-dl's netx gives a dense layer without a neuron group
#: (hdf5.Network.create_dense: iDecay 0, vDecay 4096, vThMant ``1 << 18 - 1``)
READOUT = "readout"
CONV_WEIGHT_MIN, CONV_WEIGHT_MAX = fixed_point.WEIGHT_MANT_MIN, fixed_point.WEIGHT_MANT_MAX + 1
STATE_BYTES = 4 * 8          # int32 state variables a neuron keeps in Lava (u, v, ...), generously


@dataclass(frozen=True)
class Neuron:
    """A layer's neuron group: ``kind`` CUBA (LIF, CUBA/LOIHI in NetX), SDNN, or readout."""

    kind: str
    vth: int = 0
    i_decay: int = 0
    v_decay: int = 0
    sigma_output: bool = False

    @property
    def graded(self) -> bool:
        """Whether the layer sends graded values (SDNN, readout currents), not 0/1 spikes."""
        return self.kind != "CUBA"


@dataclass
class Block:
    """One validated NetX layer; shapes are (C, H, W)."""

    index: int
    kind: str
    in_shape: tuple[int, int, int]
    shape: tuple[int, int, int]
    neuron: Neuron | None = None
    weight: np.ndarray | None = None      # dense (out, in); conv (out, in/groups, kH, kW)
    bias: np.ndarray | None = None        # one value per neuron (broadcast from per channel)
    kernel: tuple[int, int] = (1, 1)      # (H, W)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    pool_weight: int = 0                  # pool: the kernel's one value
    transform: tuple[int, int] | None = None   # input block: slayer's (weight, bias) of its input

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def synapse(self) -> bool:
        """True when the layer has synapses (one step of latency in Lava)."""
        return self.kind in ("dense", "conv", "pool")

    def fan_out(self) -> np.ndarray:
        """Per input neuron (C, H, W flattened), how many non-zero synapses leave it into
        this layer: the synaptic events one spike of it causes (0 for a reshape)."""
        c, h, w = self.in_shape
        if self.kind == "dense":
            return (self.weight != 0).sum(axis=0).astype(np.int64)
        if self.kind not in ("conv", "pool"):
            return np.zeros(c * h * w, np.int64)
        # a spike at (ci, y, x) reaches every output position whose window covers it: count
        # them by correlating a ones-image of the output grid with the kernel's footprint
        kh, kw = self.kernel
        oc, oh, ow = self.shape
        if self.kind == "pool":
            taps = np.ones((c, 1, kh, kw), np.int64)
            groups = c
        else:
            taps = (self.weight != 0).astype(np.int64)
            groups = self.groups
        counts = np.zeros((c, h, w), np.int64)
        cin_g, cout_g = c // groups, oc // groups
        sy, sx = self.stride
        dy, dx = self.dilation
        py, px = self.padding
        for g in range(groups):
            outs = taps[g * cout_g:(g + 1) * cout_g]         # (cout_g, cin_g, kh, kw)
            per_tap = outs.sum(axis=0)                        # (cin_g, kh, kw): outputs per tap
            for i in range(kh):
                for j in range(kw):
                    ys = np.arange(oh) * sy - py + i * dy
                    xs = np.arange(ow) * sx - px + j * dx
                    ys, xs = ys[(ys >= 0) & (ys < h)], xs[(xs >= 0) & (xs < w)]
                    if ys.size and xs.size:
                        counts[g * cin_g:(g + 1) * cin_g, ys[:, None], xs[None, :]] += \
                            per_tap[:, i, j][:, None, None]
        return counts.reshape(-1)


@dataclass
class LavadlNetwork:
    """A validated lava-dl NetX file."""

    path: Path
    blocks: list[Block]
    input_shape: tuple[int, int, int]
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def input_size(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def layers(self) -> list[Block]:
        """The blocks with neurons (what a run records), in order."""
        return [b for b in self.blocks if b.neuron is not None]

    @property
    def input_block(self) -> Block | None:
        first = self.blocks[0]
        return first if first.kind == "input" and first.neuron is not None else None

    @property
    def output(self) -> Block:
        return self.layers[-1]

    @property
    def sdnn(self) -> bool:
        return any(b.neuron.kind == "SDNN" for b in self.layers)

    def describe(self) -> str:
        parts = ["x".join(map(str, self.input_shape))]
        for b in self.blocks:
            if b.kind == "input":
                continue
            what = {"conv": f"conv{b.kernel[0]}x{b.kernel[1]}", "pool": f"pool{b.kernel[0]}x{b.kernel[1]}"}
            shape = "x".join(map(str, b.shape)) if b.kind in ("conv", "pool") else str(b.size)
            tag = "" if b.neuron is None or b.neuron.kind == "CUBA" else f" {b.neuron.kind}"
            parts.append(f"{what.get(b.kind, b.kind)} {shape}{tag}")
        return f"{self.path} (lava-dl NetX, {len(self.layers)} layers: {' -> '.join(parts)})"

    def state_bytes(self, lanes: int = 1) -> int:
        """Bytes of neuron state and synaptic buffers Lava will allocate (estimate)."""
        neurons = sum(b.size for b in self.layers)
        return lanes * neurons * STATE_BYTES


class InputShapeUnknown(BeamnetError):
    """A file without an input layer whose first layer is a conv or pool: its input (C, H, W)
    must come from the data (``read_lavadl(path, input_shape=...)``)."""


def _bad(path: Path, msg: str) -> BeamnetError:
    return BeamnetError(f"{path}: {msg}")


def _array(path: Path, where: str, ds: Any) -> np.ndarray:
    if not isinstance(ds, h5py.Dataset):
        raise _bad(path, f"{where} is a group, not an array")
    if ds.dtype.kind not in "biuf":
        raise _bad(path, f"{where} holds {ds.dtype} values, not numbers")
    arr = np.asarray(ds[()], dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise _bad(path, f"{where} holds NaN or infinite values")
    return arr


#: set while reading a float NIR import (root attribute precision = "float", nir/float_import.py):
#: its weights, biases and neuron constants are the graph's float values, not Loihi integers
_FLOATS: contextvars.ContextVar[bool] = contextvars.ContextVar("lavadl_floats", default=False)


def _param(path: Path, where: str, ds: Any, low: int | None = None, high: int | None = None,
           what: str = "") -> np.ndarray:
    """A parameter dataset: whole numbers in [low, high] (:func:`_ints`), or for a float import
    any finite numbers (weights, biases) and neuron constants within the same range."""
    if not _FLOATS.get():
        return _ints(path, where, ds, low, high, what)
    arr = _array(path, where, ds)
    if "weight" in where or "bias" in where:
        return arr
    if arr.size and ((low is not None and arr.min() < low) or (high is not None and arr.max() > high)):
        raise _bad(path, f"{where}: {what or 'values'} out of range [{low}, {high}] (found "
                         f"{arr.min():g}..{arr.max():g})")
    return arr


def _ints(path: Path, where: str, ds: Any, low: int | None = None, high: int | None = None,
          what: str = "") -> np.ndarray:
    """A dataset of whole numbers within [low, high], as int64."""
    arr = _array(path, where, ds)
    if not np.all(arr == np.round(arr)):
        raise _bad(path, f"{where} holds non-integer values; NetX stores integers in hardware "
                         "units (export with slayer's quantization)")
    if arr.size and ((low is not None and arr.min() < low) or (high is not None and arr.max() > high)):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise _bad(path, f"{where}: {what or 'values'} out of range {bound} (found "
                         f"{arr.min():g}..{arr.max():g})")
    return arr.astype(np.int64)


def _pair(path: Path, g: h5py.Group, key: str, where: str, default: int, low: int) -> tuple[int, int]:
    """A (H, W) pair field (a scalar means both), each >= ``low``."""
    if key not in g:
        return (default, default)
    arr = _ints(path, f"{where}/{key}", g[key], low, 1 << 16, f"{key} (must be >= {low})").reshape(-1)
    if arr.size == 1:
        return (int(arr[0]), int(arr[0]))
    if arr.size != 2:
        raise _bad(path, f"{where}/{key} must be one value or (H, W), found {arr.tolist()}")
    return (int(arr[0]), int(arr[1]))


def _scalar(path: Path, g: h5py.Group, key: str, where: str, low: int, high: int) -> int:
    arr = _ints(path, f"{where}/{key}", g[key], low, high, key).reshape(-1)
    if arr.size != 1:
        raise _bad(path, f"{where}/{key} must be a single value, found shape {arr.shape}")
    return int(arr[0])


def _constant(path: Path, g: h5py.Group, key: str, where: str, low: int, high: int) -> float:
    """A neuron constant: an integer, or a float in a float import."""
    arr = _param(path, f"{where}/{key}", g[key], low, high, key).reshape(-1)
    if arr.size != 1:
        raise _bad(path, f"{where}/{key} must be a single value, found shape {arr.shape}")
    return float(arr[0]) if _FLOATS.get() else int(arr[0])


def _shape(path: Path, g: h5py.Group, where: str) -> tuple[int, int, int]:
    """A layer's ``shape`` as (C, H, W): (C,), (C, H, W), or dense's (N, 1, 1)."""
    if "shape" not in g:
        raise _bad(path, f"{where} has no 'shape'")
    s = _ints(path, f"{where}/shape", g["shape"], 1, 1 << 24, "sizes (must be positive)").reshape(-1)
    if s.size == 1:
        return (int(s[0]), 1, 1)
    if s.size == 2:                     # (H, W) of a one-channel image
        return (1, int(s[0]), int(s[1]))
    if s.size == 3:
        return (int(s[0]), int(s[1]), int(s[2]))
    raise _bad(path, f"{where}/shape {s.tolist()} must have 1 to 3 dimensions (C, H, W)")


def _neuron(path: Path, g: h5py.Group, where: str, input_block: bool = False) -> Neuron | None:
    if "neuron" not in g:
        return None
    n = g["neuron"]
    if not isinstance(n, h5py.Group):
        raise _bad(path, f"{where}/neuron is not a group")
    kind = read_string(n["type"]) if "type" in n else "?"
    w = f"{where}/neuron"
    if kind == FLOAT_NEURON and not _FLOATS.get():
        raise _bad(path, f"{w} has neuron type {FLOAT_NEURON}, a float import's, but the file lacks "
                         "the root attribute precision = 'float'")
    if _FLOATS.get() and kind in SPIKING:
        raise _bad(path, f"{w} has neuron type {kind}; a float import (root attribute precision = "
                         f"'float') holds {FLOAT_NEURON} neurons only")
    if kind in SPIKING or kind == FLOAT_NEURON:
        for key in ("vThMant", "iDecay", "vDecay"):
            if key not in n:
                raise _bad(path, f"{w} ({kind}) has no '{key}'; a CUBA neuron needs vThMant, "
                                 "iDecay and vDecay")
        vth = _constant(path, n, "vThMant", w, 0, fixed_point.VTH_MAX)
        i_decay = _constant(path, n, "iDecay", w, 0, fixed_point.DECAY_UNITY)
        v_decay = _constant(path, n, "vDecay", w, 0, fixed_point.DECAY_UNITY)
        if "refDelay" in n and _scalar(path, n, "refDelay", w, 0, 1 << 16) > 1:
            raise _bad(path, f"{w} refDelay > 1: lava's LIF has no refractory period "
                             "(lava-dl's netx ignores it too)")
        if "gradedSpike" in n and _scalar(path, n, "gradedSpike", w, 0, 1):
            raise _bad(path, f"{w} has graded spikes, which lava's LIF does not send")
        return Neuron("CUBA", vth, i_decay, v_decay)
    if kind == "SDNN":
        if "vThMant" not in n:
            raise _bad(path, f"{w} (SDNN) has no 'vThMant'")
        vth = _scalar(path, n, "vThMant", w, 0, fixed_point.VTH_MAX)
        act = read_string(n["activation"]) if "activation" in n else "relu"
        if act != "relu":
            raise _bad(path, f"{w} has activation {act!r}; lava's SigmaDelta runs relu only")
        sigma = "sigma_output" in n and bool(_scalar(path, n, "sigma_output", w, 0, 1))
        return Neuron("SDNN", vth, sigma_output=sigma)
    reason = ("resonate-and-fire neurons (run them through the BRF/RF path)" if "RF" in kind
              else f"neuron type {kind!r}")
    raise _bad(path, f"{w} has {reason}; lava-dl conv networks here run CUBA/LOIHI or SDNN neurons")


def _bias(path: Path, g: h5py.Group, where: str, shape: tuple[int, int, int]) -> np.ndarray | None:
    """Per-neuron bias (C*H*W) from a scalar, per-channel or per-neuron ``bias``."""
    if "bias" not in g:
        return None
    b = _param(path, f"{where}/bias", g["bias"], fixed_point.BIAS_MIN, fixed_point.BIAS_MAX,
              "bias (13-bit mantissa)").reshape(-1)
    c, h, w = shape
    if b.size == 1:
        return np.full(c * h * w, b[0], b.dtype)
    if b.size == c:
        return np.repeat(b, h * w)
    if b.size == c * h * w:
        return b
    raise _bad(path, f"{where}/bias has {b.size} values for {c} channels of {h}x{w}")


def _out_size(n: int, k: int, s: int, p: int, d: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _window(path: Path, where: str, in_shape, kernel, stride, padding, dilation) -> tuple[int, int]:
    _, h, w = in_shape
    for axis, n, k, p, d in (("height", h, kernel[0], padding[0], dilation[0]),
                             ("width", w, kernel[1], padding[1], dilation[1])):
        if d * (k - 1) + 1 > n + 2 * p:
            raise _bad(path, f"{where}: its kernel spans {d * (k - 1) + 1} along the {axis} "
                             f"(kernel {k}, dilation {d}) but its input is {n} (+{2 * p} padding)")
    return (_out_size(h, kernel[0], stride[0], padding[0], dilation[0]),
            _out_size(w, kernel[1], stride[1], padding[1], dilation[1]))


def _conv(path: Path, g: h5py.Group, where: str, i: int, in_shape, shape) -> Block:
    if "weight" not in g:
        raise _bad(path, f"{where} (conv) has no weight")
    weight = _param(path, f"{where}/weight", g["weight"], CONV_WEIGHT_MIN, CONV_WEIGHT_MAX,
                   "weights (Loihi's 8-bit mantissas)")
    if weight.ndim == 5 and weight.shape[-1] == 1:        # slayer's Conv3d-shaped kernel
        weight = weight[..., 0]
    if weight.ndim != 4:
        raise _bad(path, f"{where}/weight has shape {weight.shape}; a conv kernel is "
                         "(out channels, in channels / groups, kH, kW)")
    out_c, in_per_group, kh, kw = weight.shape
    groups = _scalar(path, g, "groups", where, 1, 1 << 16) if "groups" in g else 1
    c = in_shape[0]
    if c % groups or out_c % groups:
        raise _bad(path, f"{where}: groups={groups} does not divide its {c} input and {out_c} "
                         "output channels")
    if in_per_group * groups != c:
        raise _bad(path, f"{where}: its kernel takes {in_per_group * groups} input channels "
                         f"({in_per_group} x {groups} groups) but the layer below has {c} "
                         "(conv shapes do not chain)")
    for key, n in (("inChannels", c), ("outChannels", out_c)):
        if key in g and _scalar(path, g, key, where, 0, 1 << 24) != n:
            raise _bad(path, f"{where}/{key} disagrees with its weight {weight.shape} and input {in_shape}")
    kernel = _pair(path, g, "kernelSize", where, 0, 1) if "kernelSize" in g else (kh, kw)
    if kernel != (kh, kw):
        raise _bad(path, f"{where}/kernelSize {kernel} disagrees with its weight {weight.shape}")
    stride = _pair(path, g, "stride", where, 1, 1)
    padding = _pair(path, g, "padding", where, 0, 0)
    dilation = _pair(path, g, "dilation", where, 1, 1)
    oh, ow = _window(path, where, in_shape, kernel, stride, padding, dilation)
    if shape != (out_c, oh, ow):
        raise _bad(path, f"{where}: a {kh}x{kw} conv (stride {stride}, padding {padding}, "
                         f"dilation {dilation}) of {in_shape} gives {(out_c, oh, ow)}, but its "
                         f"shape says {shape} (conv shapes do not chain)")
    return Block(i, "conv", in_shape, shape, weight=weight, kernel=kernel, stride=stride,
                 padding=padding, dilation=dilation, groups=groups)


def _pool(path: Path, g: h5py.Group, where: str, i: int, in_shape, shape) -> Block:
    if "weight" not in g:
        raise _bad(path, f"{where} (pool) has no weight")
    weight = _param(path, f"{where}/weight", g["weight"], CONV_WEIGHT_MIN, CONV_WEIGHT_MAX,
                   "weights (Loihi's 8-bit mantissas)")
    kernel = _pair(path, g, "kernelSize", where, 0, 1) if "kernelSize" in g else None
    flat = weight.reshape(-1)
    kh, kw = kernel if kernel else weight.shape[-2:] if weight.ndim >= 2 else (0, 0)
    lead = weight.shape[:-2] if weight.ndim >= 2 else ()
    if (weight.ndim < 2 or weight.shape[-2:] != (kh, kw) or any(n != 1 for n in lead)
            or not flat.size or np.any(flat != flat[0]) or flat[0] == 0):
        raise _bad(path, f"{where} (pool) weight of shape {weight.shape} (values "
                         f"{np.unique(flat)[:4].tolist()}) is not a pooling kernel: slayer's sum "
                         f"pooling writes (1, 1, kH, kW) of one non-zero value")
    stride = _pair(path, g, "stride", where, 1, 1) if "stride" in g else (kh, kw)
    padding = _pair(path, g, "padding", where, 0, 0)
    dilation = _pair(path, g, "dilation", where, 1, 1)
    c, h, w = in_shape
    if h % kh or w % kw:
        # slayer's Pool pads the bottom/right edge of an input not divisible by the kernel;
        # lava.proc.conv pads symmetrically, so that grid cannot be expressed
        raise _bad(path, f"{where}: a {kh}x{kw} pool of a {h}x{w} input: slayer pads the "
                         "bottom/right edge when the kernel does not divide the input, which "
                         "lava's symmetric conv padding cannot express; make the input divisible")
    oh, ow = _window(path, where, in_shape, (kh, kw), stride, padding, dilation)
    if shape != (c, oh, ow):
        raise _bad(path, f"{where}: a {kh}x{kw} pool of {in_shape} gives {(c, oh, ow)}, but its "
                         f"shape says {shape} (shapes do not chain)")
    return Block(i, "pool", in_shape, shape, kernel=(kh, kw), stride=stride, padding=padding,
                 dilation=dilation, groups=c, pool_weight=int(flat[0]))


def _dense(path: Path, g: h5py.Group, where: str, i: int, in_shape, shape) -> Block:
    if "weight" not in g:
        raise _bad(path, f"{where} (dense) has no weight")
    if isinstance(g["weight"], h5py.Group):
        raise _bad(path, f"{where}: {UNSUPPORTED['dense_comp']}")
    weight = _param(path, f"{where}/weight", g["weight"], CONV_WEIGHT_MIN, CONV_WEIGHT_MAX,
                   "weights (Loihi's 8-bit mantissas)")
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(shape))
    if weight.ndim == 1 and weight.size == n_in * n_out:
        weight = weight.reshape(n_out, n_in)
    if weight.shape != (n_out, n_in):
        raise _bad(path, f"{where}/weight has shape {weight.shape}; its {n_out} neurons after "
                         f"{n_in} inputs {in_shape} take ({n_out}, {n_in}) (shapes do not chain)")
    for key, n in (("inFeatures", n_in), ("outFeatures", n_out)):
        if key in g and _scalar(path, g, key, where, 0, 1 << 30) != n:
            raise _bad(path, f"{where}/{key} disagrees with its weight of shape {weight.shape}")
    if "delay" in g and np.any(_array(path, f"{where}/delay", g["delay"])):
        raise _bad(path, f"{where} has synaptic delays; the conv-network path runs none (dense "
                         "networks with delays run through the SNN path)")
    return Block(i, "dense", in_shape, (n_out, 1, 1), weight=weight)


def _blocks(f, p: Path, group, names: list[str], attrs: dict, input_shape) -> list[Block]:
    """The file's layers as validated blocks (read_lavadl)."""
    blocks: list[Block] = []
    prev: tuple[int, int, int] | None = None
    for i, name in enumerate(names):
        g, where = group[name], f"layer {i}"
        if not isinstance(g, h5py.Group):
            raise _bad(p, f"{where} is not a group of layer fields")
        kind = read_string(g["type"]) if "type" in g else "?"
        if kind in UNSUPPORTED:
            raise _bad(p, f"{where} is {UNSUPPORTED[kind]}")
        if kind not in KINDS:
            raise _bad(p, f"{where} has type {kind!r}; lava-dl NetX layers are "
                          f"{', '.join(KINDS + tuple(UNSUPPORTED))}")
        shape = _shape(p, g, where) if (kind != "dense" or "shape" in g) else None
        if kind == "input":
            if i != 0:
                raise _bad(p, f"{where}: an input layer must come first")
            neuron = _neuron(p, g, where, input_block=True)
            block = Block(i, "input", shape, shape, neuron=neuron)
            if neuron is not None:
                # slayer's input transform w * x + b: recorded, not applied (lava-dl's netx
                # keeps it in Input.transform; its tests drive the input neurons directly)
                block.transform = tuple(_scalar(p, g, key, where, -(1 << 24), 1 << 24)
                                        if key in g else default
                                        for key, default in (("weight", 64), ("bias", 0)))
            blocks.append(block)
            prev = shape
            continue
        if prev is None:
            prev = _first_input(p, g, kind, where, input_shape)
        if kind == "flatten":
            size = int(np.prod(prev))
            if shape is not None and int(np.prod(shape)) != size:
                raise _bad(p, f"{where}: flatten to {shape} from {prev} changes the size")
            blocks.append(Block(i, "flatten", prev, (size, 1, 1)))
            prev = (size, 1, 1)
            continue
        if kind == "dense":
            if shape is None:
                w = g["weight"] if "weight" in g else None
                shape = (int(w.shape[0]) if isinstance(w, h5py.Dataset) and w.ndim else 1, 1, 1)
            block = _dense(p, g, where, i, prev, shape)
        elif kind == "conv":
            block = _conv(p, g, where, i, prev, shape)
        else:
            block = _pool(p, g, where, i, prev, shape)
        block.neuron = _neuron(p, g, where)
        if block.neuron is None:
            if kind != "dense":
                raise _bad(p, f"{where} ({kind}) has no neuron group; only a last dense "
                              "layer may be a current readout")
            if i != len(names) - 1:
                raise _bad(p, f"{where} is a dense layer without neurons (a current "
                              "readout) but is not the last layer")
            block.neuron = Neuron(READOUT)
        block.bias = _bias(p, g, where, block.shape)
        if block.neuron.kind == READOUT and block.bias is not None and np.any(block.bias):
            raise _bad(p, f"{where}: a current readout with a bias (lava-dl's netx would "
                          "feed it to an integrator neuron); export it with a neuron group")
        blocks.append(block)
        prev = block.shape
    return blocks


def read_lavadl(path: str | Path, check_memory: bool = True,
                input_shape: tuple[int, ...] | None = None) -> LavadlNetwork:
    """Open ``path`` and return its validated description, or raise one BeamnetError.
    ``input_shape`` (C, H, W): the input of a file without an input layer whose first layer
    is a conv or pool (slayer exports the blocks only; lava-dl's netx asks for it too)."""
    p = Path(path)
    with open_hdf5(p) as f:
        group, names = layer_groups(f, p)
        attrs = read_attrs(f, p)
        token = _FLOATS.set(attrs.get("precision") == "float")
        try:
            blocks = _blocks(f, p, group, names, attrs, input_shape)
        finally:
            _FLOATS.reset(token)
        net = LavadlNetwork(p, blocks, blocks[0].in_shape, attrs)
    _check_network(net)
    if check_memory:
        budget.check(net.state_bytes(), f"{p}: the neuron state of its {sum(b.size for b in net.layers):,} "
                     "neurons", "this network does not fit this machine's memory")
    return net


def _first_input(path: Path, g: h5py.Group, kind: str, where: str,
                 given: tuple[int, ...] | None) -> tuple[int, int, int]:
    """The input shape of a file without an input layer: ``given``, else from its first
    (dense) layer's weight."""
    if given is not None:
        shape = tuple(int(v) for v in given)
        if len(shape) == 1:
            shape = (shape[0], 1, 1)
        if len(shape) != 3 or min(shape) < 1:
            raise _bad(path, f"input shape {given} must be (C, H, W)")
        return shape
    if kind == "dense" and "weight" in g and isinstance(g["weight"], h5py.Dataset) and g["weight"].ndim == 2:
        return (int(g["weight"].shape[1]), 1, 1)
    raise InputShapeUnknown(f"{path}: {where}: the file has no input layer, so the input shape of its first "
                     f"layer ({kind}) is unknown; give inputs shaped (samples, steps, C, H, W) "
                     "(or export an input block; lava-dl's netx needs input_shape too)")


def _check_network(net: LavadlNetwork) -> None:
    layers = net.layers
    if not layers:
        raise _bad(net.path, "has no layer with neurons")
    kinds = {b.neuron.kind for b in layers if b.neuron.kind != READOUT}
    if len(kinds) > 1:
        raise _bad(net.path, "mixes spiking (CUBA) and sigma-delta (SDNN) neurons; lava-dl "
                             "networks use one kind")
    for b in layers[:-1]:
        if b.neuron.sigma_output:
            raise _bad(net.path, f"layer {b.index}: only the last layer may output its sigma")
    n = net.attrs.get("n_classes")
    if n is not None and n != net.output.size:
        raise _bad(net.path, f"root attribute n_classes={n} disagrees with its {net.output.size} outputs")


def is_lavadl(path: str | Path) -> bool:
    """True when a NetX file needs this reader: a conv/pool/flatten layer, an input block
    with neurons, SDNN neurons or a current readout (dense CUBA files go the SNN path)."""
    with open_hdf5(path) as f:
        if "layer" not in f or not isinstance(f["layer"], h5py.Group):
            return False
        for g in f["layer"].values():
            if not isinstance(g, h5py.Group):
                continue
            kind = read_string(g["type"]) if "type" in g else "?"
            if kind in ("conv", "pool", "flatten") or (kind in UNSUPPORTED and kind not in ("dense_rec", "dense_comp")):
                return True
            if kind == "input" and "neuron" in g:
                return True
            if kind == "dense" and "neuron" not in g:
                return True
            if "neuron" in g and isinstance(g["neuron"], h5py.Group) and "type" in g["neuron"] \
                    and read_string(g["neuron"]["type"]) == "SDNN":
                return True
    return False


def read_file(path: Path) -> LavadlNetwork:
    """The family's ``read`` hook: :func:`read_lavadl` of a file with an input layer (or a dense
    first layer)."""
    return read_lavadl(path)


# this module's hooks, attached by the registry (families.registry.load) through netx_export/__init__.py's providers()
PROVIDES = [
    provide("read", read_file, LAVADL),
]
