"""``beamnet-lava import --precision float``: a NIR graph's own float parameters, for Lava's
floating-point models (docs/nir.md, "Float import").

The fixed-point import puts each layer on Loihi's integers (8-bit weight mantissas, 12-bit
decays, the scale rule of :mod:`beamnet_lava.nir.scale`). A float import keeps every parameter
as the graph gives it, in the float units ``run --precision float`` hands to lava-nc's
floating-point ``LIFReset``/``Dense``/``Conv`` models (:mod:`beamnet_lava.sim_cpu.graph`):
weights, biases and thresholds times ``SCALE`` (64, NetX's ``W = 64 w`` convention: a power of
two, so the factor adds no rounding), decays ``4096 dt / tau`` unrounded (the float model's
``du = iDecay / 4096`` is then ``dt / tau`` exactly). The gain folding, always-on bias units and
readouts are the fixed import's. No Loihi register holds such values: the file's root attribute
``precision = "float"`` says so, and every Loihi path (a fixed-point run, ``bundle``, the fit of
``inspect``) refuses it in one line. lava-dl's own netx reads NetX parameters as integers
(``NetDict`` casts ``vThMant``/``iDecay``/``vDecay`` with ``astype(int)``, ``optimize_weight_bits``
shifts ``weight.astype(int32)``), so it would build a different network from it: the neurons are
written as ``CUBA_FLOAT`` (netx_file.FLOAT_NEURON), a type lava-dl's netx does not build.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.neurons import fixed_point
from beamnet_lava.nir import channels

ATTR = "precision"                   # root attribute of a float import: "float"
PRECISIONS = ("fixed", "float")
SCALE = float(fixed_point.W_SCALE)   # weights, biases, thresholds: 64 x the graph's values
DESCRIBE = ("float parameters as in the graph, nothing rounded (Lava's floating-point models: "
            "`run --precision float` only, no Loihi)")


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise BeamnetError(f"--precision must be fixed or float, got {precision!r}")
    return precision


def mark(attrs: dict[str, Any], precision: str) -> None:
    """Record a float import in the file's root attributes (a fixed one carries none)."""
    if precision == "float":
        attrs[ATTR] = "float"
    else:
        attrs.pop(ATTR, None)


def is_float(attrs: Mapping[str, Any]) -> bool:
    return attrs.get(ATTR) == "float"


def neuron_type(attrs: Mapping[str, Any]) -> str:
    """The NetX neuron type to write: ``CUBA_FLOAT`` for a float import (a type lava-dl's netx
    does not build, so it refuses the file rather than casting its floats to integers), else
    ``CUBA``."""
    from beamnet_lava.netx_export.netx_file import FLOAT_NEURON

    return FLOAT_NEURON if is_float(attrs) else "CUBA"


def refuse(path: object, attrs: Mapping[str, Any], what: str) -> None:
    """One line for a Loihi path (``what``) given a float import."""
    if is_float(attrs):
        raise BeamnetError(f"{path}: a float import (`beamnet-lava import --precision float`: the "
                           f"graph's float parameters, no Loihi integers) cannot {what}; it runs with "
                           "`run --precision float`; import without --precision float for Loihi")


def decays(a: float, b: float, kind: str, name: str, path: Path) -> tuple[float, float]:
    """``4096 a``, ``4096 b`` unrounded; an infinite current time constant is refused."""
    if not 0 < a <= 1 or not 0 <= b <= 1:
        raise BeamnetError(f"{path}: {kind} {name!r} decays by dt/tau = {a:g} (current), {b:g} "
                           "(voltage) per step; Euler needs 0 < dt/tau_syn <= 1 and 0 <= dt/tau_mem <= 1")
    return fixed_point.DECAY_UNITY * float(a), fixed_point.DECAY_UNITY * float(b)


def layer(k: int, plan, nrn, mats: list[tuple[str, np.ndarray]], voltage_bias: np.ndarray | None,
          on: list[int], path: Path):
    """Layer ``k`` of a dense chain in float units (``mats``: input weights, with the always-on
    column when ``on[k]``, and recurrent weights, the gain folded in)."""
    from beamnet_lava.netx_export.netx_file import Layer

    i_decay, v_decay = decays(nrn.a, nrn.b, nrn.kind, plan.name, path)
    weight = mats[0][1] * SCALE
    weight_rec = mats[1][1] * SCALE if plan.weight_rec is not None else None
    v_th = fixed_point.VTH_MAX if nrn.threshold is None else float(nrn.threshold) * SCALE
    bias = None if voltage_bias is None else np.asarray(voltage_bias, np.float64) * SCALE
    size, weight, weight_rec, delay, bias = channels.add_units(
        weight, weight_rec, plan.delay, bias, extra_in=bool(on[k]), own_unit=bool(on[k + 1]),
        unit_bias=2 * v_th)              # this layer's always-on neuron: a bias above its threshold
    return Layer(k, "dense", size, v_th, i_decay, v_decay, weight, bias,
                 delay if np.any(delay) else None, weight_rec)
