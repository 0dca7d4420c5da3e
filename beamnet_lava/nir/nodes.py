"""NIR node types -> what a Loihi CUBA layer needs of them: one converter per node type.

``register_node(nir.X)`` records the converter of a node type; :func:`convert` looks it up, so a
node type without an entry is refused with the list of those that have one. Converters
return a :class:`Neuron` (CubaLIF, LIF, IF, LI, CubaLI: a forward-Euler step in Lava's form) or a
:class:`Synapse` (Linear, Affine: a weight matrix and a bias), or a :class:`Passive` (Input,
Output, Delay, which the chain walker reads directly).

Lava's CUBA neuron per step (units of the NIR values; docs/nir.md derives it)::

    I[t] = (1 - a) I[t-1] + x[t]            a = iDecay / 4096
    v[t] = (1 - b) v[t-1] + I[t] + bias     b = vDecay / 4096;  spike: v > theta, then v = 0

and each NIR neuron is this recursion with its input gain ``x = gain * (W s + bias)`` folded
into the incoming weights:

| node | a | b | gain | theta |
|---|---|---|---|---|
| CubaLIF | dt/tau_syn | dt/tau_mem | (dt/tau_syn) w_in (dt/tau_mem) r | v_threshold |
| LIF | 1 (no synaptic current) | dt/tau | (dt/tau) r | v_threshold |
| IF | 1 | 0 (no leak) | r (Norse's and Sinabs's step: ``v += r I``) | v_threshold |
| LI | 1 | dt/tau | (dt/tau) r | none: a non-spiking readout (nir/readout.py); ``v_leak``: a voltage bias ``b v_leak`` |
| CubaLI | dt/tau_syn | dt/tau_mem | (dt/tau_syn) w_in (dt/tau_mem) r | none: a non-spiking readout |
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nir
import numpy as np

from beamnet_lava.errors import BeamnetError


@dataclass(frozen=True)
class Neuron:
    """A neuron node in Lava's form (see the module table)."""

    kind: str                   # the NIR type name
    size: int
    a: float                    # current decay fraction per step (1: the current is the input)
    b: float                    # voltage decay fraction per step (0: no leak)
    gain: np.ndarray            # per neuron, folded into the incoming weights and biases
    threshold: float | None     # None: non-spiking (LI, CubaLI: the membrane is the output)
    v_bias: np.ndarray | None = None    # a constant voltage input per step (an LI's b * v_leak)

    @property
    def current(self) -> bool:
        """Whether the neuron filters its input into a synaptic current (a < 1)."""
        return self.a < 1 - 1e-9


@dataclass(frozen=True)
class Synapse:
    kind: str
    weight: np.ndarray          # (out, in)
    bias: np.ndarray | None     # (out,) or None


@dataclass(frozen=True)
class Passive:
    kind: str


Converter = Callable[[object, float, str, Path], "Neuron | Synapse | Passive"]
NODE_TABLE: dict[type, Converter] = {}


def register_node(*types: type) -> Callable[[Converter], Converter]:
    """Record ``fn`` as the converter of NIR node ``types`` (the one table of what imports)."""
    def deco(fn: Converter) -> Converter:
        for t in types:
            NODE_TABLE[t] = fn
        return fn
    return deco


def supported() -> str:
    return ", ".join(sorted(t.__name__ for t in NODE_TABLE))


def convert(node, dt: float, name: str, path: Path):
    fn = NODE_TABLE.get(type(node))
    if fn is None:
        raise BeamnetError(f"{path}: node {name!r} is a NIR {type(node).__name__}, which has no "
                           f"Lava CUBA equivalent here; beamnet-lava imports {supported()}")
    return fn(node, dt, name, path)


def _param(node, key: str, n: int, name: str, path: Path, default: float | None = None) -> np.ndarray:
    value = getattr(node, key, None)
    if value is None:
        if default is None:
            raise BeamnetError(f"{path}: {type(node).__name__} {name!r} has no {key}")
        value = default
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (ValueError, TypeError):
        raise BeamnetError(f"{path}: {type(node).__name__} {name!r} {key} must be numbers "
                           f"(found {np.asarray(value).dtype}); re-export the graph") from None
    if arr.size == 1:
        arr = np.full(n, float(arr[0]))
    if arr.size != n:
        raise BeamnetError(f"{path}: {type(node).__name__} {name!r} {key} has {arr.size} values "
                           f"for {n} neurons")
    return arr


def uniform(values: np.ndarray, what: str, name: str, path: Path) -> float:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.allclose(v, v[0], rtol=1e-6, atol=0):
        raise BeamnetError(f"{path}: {name!r} {what} differs between neurons ({v.min():g}..{v.max():g}); "
                           "a NetX layer has one value per layer")
    return float(v[0])


def _size(node) -> int:
    return int(np.asarray(node.v_threshold if hasattr(node, "v_threshold") else node.tau).size)


def _no_offsets(node, name: str, path: Path, n: int) -> None:
    kind = type(node).__name__
    if np.any(_param(node, "v_leak", n, name, path, 0.0) != 0):
        raise BeamnetError(f"{path}: {kind} {name!r} has v_leak != 0; Loihi's CUBA neuron leaks to 0")
    if hasattr(node, "v_reset") and np.any(_param(node, "v_reset", n, name, path, 0.0) != 0):
        raise BeamnetError(f"{path}: {kind} {name!r} has v_reset != 0; Loihi's CUBA neuron resets to 0")


def _fraction(tau: np.ndarray, dt: float, what: str, name: str, kind: str, path: Path) -> float:
    if np.any(tau <= 0):
        raise BeamnetError(f"{path}: {kind} {name!r} has a non-positive {what}")
    f = dt / uniform(tau, what, name, path)
    if f > 1 + 1e-6:                    # float32 peers: tau = dt to ~1e-7
        raise BeamnetError(f"{path}: {kind} {name!r} has {what} shorter than dt = {dt:g} s (forward "
                           "Euler would overshoot; Loihi's decays are at most 4096/4096)")
    return min(f, 1.0)


def _threshold(node, n: int, name: str, path: Path) -> float:
    return uniform(_param(node, "v_threshold", n, name, path), "v_threshold", name, path)


@register_node(nir.CubaLIF)
def cuba_lif(node, dt: float, name: str, path: Path) -> Neuron:
    n = _size(node)
    _no_offsets(node, name, path, n)
    a = _fraction(_param(node, "tau_syn", n, name, path), dt, "tau_syn", name, "CubaLIF", path)
    b = _fraction(_param(node, "tau_mem", n, name, path), dt, "tau_mem", name, "CubaLIF", path)
    gain = a * _param(node, "w_in", n, name, path, 1.0) * b * _param(node, "r", n, name, path, 1.0)
    return Neuron("CubaLIF", n, a, b, gain, _threshold(node, n, name, path))


@register_node(nir.LIF)
def lif(node, dt: float, name: str, path: Path) -> Neuron:
    n = _size(node)
    _no_offsets(node, name, path, n)
    b = _fraction(_param(node, "tau", n, name, path), dt, "tau", name, "LIF", path)
    return Neuron("LIF", n, 1.0, b, b * _param(node, "r", n, name, path, 1.0), _threshold(node, n, name, path))


@register_node(nir.IF)
def integrate_and_fire(node, dt: float, name: str, path: Path) -> Neuron:
    n = _size(node)
    _no_offsets(node, name, path, n)
    return Neuron("IF", n, 1.0, 0.0, _param(node, "r", n, name, path, 1.0), _threshold(node, n, name, path))


def _leak_bias(node, b: float, n: int, name: str, path: Path) -> np.ndarray | None:
    """An integrator's ``v_leak`` as the constant voltage input it is: Euler's
    ``v += b (v_leak - v + r I)`` adds ``b v_leak`` per step, which is Lava's neuron bias
    (exact for a neuron that never resets; a spiking neuron resets to 0, not v_leak)."""
    leak = b * _param(node, "v_leak", n, name, path, 0.0)
    return leak if np.any(leak) else None


@register_node(nir.LI)
def leaky_integrator(node, dt: float, name: str, path: Path) -> Neuron:
    n = int(np.asarray(node.tau).size)
    b = _fraction(_param(node, "tau", n, name, path), dt, "tau", name, "LI", path)
    return Neuron("LI", n, 1.0, b, b * _param(node, "r", n, name, path, 1.0), None,
                  _leak_bias(node, b, n, name, path))


@register_node(nir.CubaLI)
def cuba_leaky_integrator(node, dt: float, name: str, path: Path) -> Neuron:
    n = int(np.asarray(node.tau_mem).size)
    a = _fraction(_param(node, "tau_syn", n, name, path), dt, "tau_syn", name, "CubaLI", path)
    b = _fraction(_param(node, "tau_mem", n, name, path), dt, "tau_mem", name, "CubaLI", path)
    gain = a * _param(node, "w_in", n, name, path, 1.0) * b * _param(node, "r", n, name, path, 1.0)
    return Neuron("CubaLI", n, a, b, gain, None, _leak_bias(node, b, n, name, path))


@register_node(nir.Linear)
def linear(node, dt: float, name: str, path: Path) -> Synapse:
    return Synapse("Linear", _matrix(node, name, path), None)


@register_node(nir.Affine)
def affine(node, dt: float, name: str, path: Path) -> Synapse:
    w = _matrix(node, name, path)
    bias = None if node.bias is None else np.broadcast_to(
        np.asarray(node.bias, dtype=np.float64).reshape(-1), (w.shape[0],)).copy()
    return Synapse("Affine", w, bias if bias is not None and np.any(bias) else None)


def _matrix(node, name: str, path: Path) -> np.ndarray:
    w = np.asarray(node.weight, dtype=np.float64)
    if w.ndim != 2:
        raise BeamnetError(f"{path}: {type(node).__name__} {name!r} has a weight of shape {w.shape}; "
                           "a 2-D (out, in) matrix is needed")
    return w


@register_node(nir.Input, nir.Output, nir.Delay)
def passive(node, dt: float, name: str, path: Path) -> Passive:
    return Passive(type(node).__name__)


# --- convolutional nodes: composed with what follows them into one NetX layer (nir/conv.py)

@dataclass(frozen=True)
class Conv:
    kind: str
    weight: np.ndarray          # (out, in / groups, kH, kW)
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    bias: np.ndarray | None     # (out,) or None


@dataclass(frozen=True)
class Pool:
    kind: str                   # SumPool2d or AvgPool2d
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Reshape:
    kind: str                   # Flatten
    start_dim: int
    end_dim: int


def _pair(value, what: str, name: str, path: Path) -> tuple[int, int]:
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (ValueError, TypeError):
        raise BeamnetError(f"{path}: {name!r} {what} must be numbers (found "
                           f"{np.asarray(value).dtype}); re-export the graph") from None
    if arr.size == 1:
        arr = np.repeat(arr, 2)
    if arr.size != 2 or np.any(arr != np.round(arr)) or np.any(arr < 0):
        raise BeamnetError(f"{path}: {name!r} {what} is {value!r}; two whole numbers >= 0 are needed")
    return int(arr[0]), int(arr[1])


@register_node(nir.Conv2d)
def conv2d(node, dt: float, name: str, path: Path) -> Conv:
    w = np.asarray(node.weight, dtype=np.float64)
    if w.ndim != 4:
        raise BeamnetError(f"{path}: Conv2d {name!r} has a weight of shape {w.shape}; (out, in, kH, kW) is needed")
    if isinstance(node.padding, str):
        raise BeamnetError(f"{path}: Conv2d {name!r} has padding {node.padding!r}; give it in pixels")
    stride, dilation = _pair(node.stride, "stride", name, path), _pair(node.dilation, "dilation", name, path)
    if min(stride) < 1 or min(dilation) < 1:
        raise BeamnetError(f"{path}: Conv2d {name!r} has stride {stride} / dilation {dilation}; both must be >= 1")
    groups = int(node.groups)
    if groups < 1 or w.shape[0] % groups:
        raise BeamnetError(f"{path}: Conv2d {name!r} has {groups} groups for {w.shape[0]} output channels")
    bias = None if node.bias is None else np.broadcast_to(
        np.asarray(node.bias, dtype=np.float64).reshape(-1), (w.shape[0],)).copy()
    return Conv("Conv2d", w, stride, _pair(node.padding, "padding", name, path), dilation, groups,
                bias if bias is not None and np.any(bias) else None)


@register_node(nir.SumPool2d, nir.AvgPool2d)
def pool2d(node, dt: float, name: str, path: Path) -> Pool:
    kernel = _pair(node.kernel_size, "kernel_size", name, path)
    stride = _pair(node.stride, "stride", name, path)
    if min(kernel) < 1 or min(stride) < 1:
        raise BeamnetError(f"{path}: {type(node).__name__} {name!r} has kernel {kernel} / stride {stride}; "
                           "both must be >= 1")
    return Pool(type(node).__name__, kernel, stride, _pair(node.padding, "padding", name, path))


@register_node(nir.Flatten)
def flatten(node, dt: float, name: str, path: Path) -> Reshape:
    return Reshape("Flatten", int(node.start_dim), int(node.end_dim))
