"""A non-spiking readout (NIR ``LI``/``CubaLI``) in a NetX file: which layer, and its units.

NetX has no non-spiking layer type that leaks (lava-dl's dense layer without neurons is a
plain current readout, slayer's ``cuba.Affine`` sets a threshold beyond Loihi's 17 bits), so
an imported leaky integrator is a stock CUBA layer whose threshold is Loihi's largest,
``vThMant = 2^17 - 1``, with weights small enough that the membrane never reaches it
(:func:`beamnet_lava.nir.scale.choose_readout`): lava-dl's netx reads it as a CUBA LIF layer
that never spikes. Its weights are the NIR weights times a factor ``s`` chosen per graph, so the
membrane in the graph's units is Lava's state divided by ``W_SCALE * s`` (fixed point: ``v`` in
units of 2^-6 of a weight mantissa step) or by ``s`` (float models, whose ``v`` is in weight
units). The file records ``s`` in its root attribute ``nir_li_scale``; a file with it has an
LI readout as its last layer, which ``run --inputs`` records as membrane values (docs/nir.md).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.neurons import fixed_point

ATTR = "nir_li_scale"


def scale_of(attrs: Mapping[str, Any]) -> float | None:
    """The readout's factor ``s`` (NetX weight integers per NIR weight unit), or None."""
    raw = attrs.get(ATTR)
    if raw is None:
        return None
    try:
        s = float(raw)
    except (TypeError, ValueError):
        s = math.nan
    if not (math.isfinite(s) and s > 0):
        raise BeamnetError(f"root attribute {ATTR}={raw!r} must be a positive number (the LI "
                           "readout's weight factor)")
    return s


def of(net) -> float | None:
    """``net``'s readout factor when its last layer is an LI readout, else None (a file whose
    attribute names a layer that cannot be one is refused in one line)."""
    s = scale_of(net.attrs)
    if s is None:
        return None
    last = net.layers[-1]
    if last.kind != "dense" or last.v_th_mant != fixed_point.VTH_MAX or last.weight_rec is not None:
        raise BeamnetError(f"{net.path}: root attribute {ATTR} marks layer {last.index} as an LI "
                           f"readout, which needs a feed-forward dense layer with vThMant "
                           f"{fixed_point.VTH_MAX} (found {last.kind}, vThMant {last.v_th_mant}"
                           f"{', recurrent' if last.weight_rec is not None else ''})")
    return s


def recorded_scale(meta: Mapping[str, Any]) -> float | None:
    """The factor a graph exported by beamnet-lava records (its NetX attributes), if any."""
    attrs = meta.get("netx_attrs")
    if not isinstance(attrs, Mapping):
        return None
    try:
        return scale_of(attrs)
    except BeamnetError:
        return None                       # an edited graph: choose the factor afresh


def membrane(net, values: np.ndarray, precision: str) -> np.ndarray:
    """Lava's recorded readout state in the NIR graph's units (float64)."""
    unit = of(net) * (fixed_point.W_SCALE if precision == "fixed" else 1.0)
    return np.asarray(values, dtype=np.float64) / unit
