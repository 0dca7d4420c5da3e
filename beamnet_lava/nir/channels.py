"""Always-on units: how a constant input current (an Affine bias into a CubaLIF) runs on Loihi.

A bias ``b`` into a neuron with a synaptic current is filtered by the current's decay like any
input, so it is not Lava's neuron bias (which enters the voltage). It is exactly a synapse of
weight ``b`` from a unit that spikes at every step:

- into the first layer: an extra input channel, the last one, always 1, which the runner
  appends to the user's spikes (:func:`drive`);
- into layer ``k > 0``: an extra neuron, the last one of layer ``k - 1``, with no inputs and a
  Lava neuron bias above its threshold, so it fires at every step of every window; the runner
  removes it from what it reports (:func:`strip`).

The NetX file records the units in its root attribute ``nir_always_on``: one count per stage
(the input, then each layer) of trailing always-on units, as a string ``"1,1,0"`` (NetX root
attributes are scalars). Files without it have none.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

ATTR = "nir_always_on"


def always_on(attrs: Mapping[str, Any], n_layers: int) -> list[int]:
    """Trailing always-on units of the input and of each layer (zeros when none)."""
    raw = attrs.get(ATTR)
    if raw is None:
        return [0] * (n_layers + 1)
    from beamnet_lava.errors import BeamnetError

    try:
        counts = [int(c) for c in str(raw.decode() if isinstance(raw, bytes) else raw).split(",")]
    except ValueError:
        counts = []
    if len(counts) != n_layers + 1 or any(c not in (0, 1) for c in counts):
        raise BeamnetError(f"root attribute {ATTR}={counts} does not fit {n_layers} layers "
                           "(one 0/1 per stage: the input, then each layer)")
    return counts


def of(net) -> list[int]:
    return always_on(net.attrs, len(net.layers))


def encode(counts: list[int]) -> str:
    return ",".join(str(int(c)) for c in counts)


def user_input_size(net) -> int:
    """The inputs a user drives: the file's inputs without its always-on channel."""
    return net.input_size - of(net)[0]


def drive(net, spikes: np.ndarray) -> np.ndarray:
    """``spikes (samples, inputs, steps)`` with the always-on input channel appended."""
    if not of(net)[0]:
        return spikes
    on = np.ones((spikes.shape[0], 1, spikes.shape[2]), dtype=spikes.dtype)
    return np.concatenate([spikes, on], axis=1)


def strip(net, layers: list[np.ndarray], axis: int = 1) -> list[np.ndarray]:
    """Each layer's array without its always-on neuron (``axis``: the neuron axis)."""
    counts = of(net)[1:]
    return [np.delete(a, np.s_[a.shape[axis] - c:], axis=axis) if c else a
            for a, c in zip(layers, counts)]


def user_sizes(net) -> list[int]:
    return [l.size - c for l, c in zip(net.layers, of(net)[1:])]


def add_units(weight: np.ndarray, weight_rec: np.ndarray | None, delay: np.ndarray,
              bias: np.ndarray | None, *, extra_in: bool, own_unit: bool, unit_bias: float):
    """A layer's matrices with its always-on units: a zero-delay column for the source stage's
    unit (``extra_in``; ``weight`` already holds its column, the bias) and, with ``own_unit``,
    one more neuron without inputs whose Lava bias ``unit_bias`` (above its threshold) fires
    it at every step. Returns ``(size, weight, weight_rec, delay, bias)``, in ``weight``'s dtype
    (Loihi's integers or a float import's values)."""
    if extra_in:
        delay = np.concatenate([delay, np.zeros((delay.shape[0], 1), np.int64)], axis=1)
    size = weight.shape[0]
    if own_unit:
        size += 1
        weight = np.concatenate([weight, np.zeros((1, weight.shape[1]), weight.dtype)])
        delay = np.concatenate([delay, np.zeros((1, delay.shape[1]), np.int64)])
        if weight_rec is not None:
            weight_rec = np.pad(weight_rec, ((0, 1), (0, 1)))
        bias = np.zeros(size, weight.dtype) if bias is None else np.append(bias, 0)
        bias[-1] = unit_bias
    return size, weight, weight_rec, delay, bias
