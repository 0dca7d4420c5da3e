"""Bayesian LIF memory layer (Eq. 8-10, Proposition 3.3): the one definition, fixed and float.

Neutral ground between training (``models/beamnet.py``, torch) and Lava
(``processes/bayes_lif``): the fixed_pt process model calls :func:`step`, the
floating_pt one calls :func:`step_float`, the torch model follows :func:`step`
with the same constants, and tests hold them to it bit for bit. All quantities
are in *state units*: a threshold of ``theta_0`` is ``theta_mant * W_SCALE``
(the 6-bit MSB alignment of Loihi's LIF), a synaptic weight mantissa ``w`` adds
``w * W_SCALE`` to the current (constants: :mod:`beamnet_lava.neurons.fixed_point`).

One time step, in this order (``dec(x, d) = sign(x) * ((|x| * (4096 - d)) // 4096)``,
Loihi's 12-bit decay; ``s'`` are the previous step's spikes):

1. current     ``u = dec(u, du) + drive * W_SCALE``              (Eq. 8, kappa of Eq. 21)
2. inhibition  ``i = dec(i, d_syn) + w_inh * (sum(s') - s')``     (Prop. 3.3, all-to-all but self)
3. spike trace ``h = dec(h, d_theta) + TRACE_UNIT * s'``          (Eq. 10)
4. voltage     ``v = dec(v, dv) + u - i``, clipped to 24 bits     (Eq. 8)
5. threshold   ``theta = theta_0 + (gamma * h) // TRACE_UNIT``    (Eq. 10)
6. spike       ``s = v > theta + eps``, ``eps`` from
   :func:`beamnet_lava.neurons.noise.logistic_noise` keyed by (seed, neuron, step)  (Eq. 9)
7. reset       ``v = 0`` where ``s``

:func:`step_float` is the same step without flooring: ``dec(x, d) = x (1 - d / 4096)``,
``theta = theta_0 + gamma h / TRACE_UNIT`` and continuous logistic noise
(:func:`~beamnet_lava.neurons.noise.logistic_noise_float`).

The inhibition needs no N x N matrix: ``sum(s') - s'`` is exact for uniform
all-to-all weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beamnet_lava.neurons.fixed_point import DECAY_UNITY, TRACE_UNIT, V_LIMIT, W_SCALE, decay_keep


@dataclass(frozen=True)
class BayesLIFParams:
    """Integer parameters of the memory layer (state units unless noted)."""

    du: int          # 12-bit current decay (tau_s)
    dv: int          # 12-bit voltage decay (tau_m)
    d_syn: int       # 12-bit inhibitory trace decay (tau_syn)
    d_theta: int     # 12-bit spike trace decay (tau_theta)
    theta: int       # theta_0
    gamma: int       # threshold rise per unit of spike trace
    w_inh: int       # inhibition per spike of another memory neuron
    delta: int       # logistic noise scale Delta (0: deterministic LIF)
    seed: int        # noise generator seed

    def __post_init__(self) -> None:
        for name in ("du", "dv", "d_syn", "d_theta"):
            if not 0 <= getattr(self, name) <= DECAY_UNITY:
                raise ValueError(f"{name} must be a 12-bit decay in [0, {DECAY_UNITY}]")
        if self.theta <= 0 or self.delta < 0 or self.w_inh < 0 or self.gamma < 0:
            raise ValueError("theta must be > 0 and delta, w_inh, gamma >= 0")


def dec(x: np.ndarray, d: int) -> np.ndarray:
    """Loihi's decay: magnitude times (4096 - d), shifted right 12, sign restored."""
    return np.sign(x) * ((np.abs(x) * (DECAY_UNITY - d)) // DECAY_UNITY)


@dataclass
class State:
    u: np.ndarray
    v: np.ndarray
    inh: np.ndarray
    h: np.ndarray
    s: np.ndarray   # spikes of the last step (0/1: int64 in step, float in step_float)

    @classmethod
    def zeros(cls, shape: tuple[int, ...]) -> "State":
        z = lambda: np.zeros(shape, dtype=np.int64)  # noqa: E731
        return cls(z(), z(), z(), z(), z())


def step(state: State, drive: np.ndarray, eps: np.ndarray, p: BayesLIFParams) -> State:
    """Advance one time step (numpy int64; leading axes are batch, last is neurons)."""
    u = dec(state.u, p.du) + np.asarray(drive, dtype=np.int64) * W_SCALE
    inh = dec(state.inh, p.d_syn) + p.w_inh * (state.s.sum(axis=-1, keepdims=True) - state.s)
    h = dec(state.h, p.d_theta) + TRACE_UNIT * state.s
    v = np.clip(dec(state.v, p.dv) + u - inh, -V_LIMIT, V_LIMIT)
    theta = p.theta + (p.gamma * h) // TRACE_UNIT
    s = (v > theta + eps).astype(np.int64)
    v = np.where(s == 1, 0, v)
    return State(u, v, inh, h, s)


def step_float(state: State, drive: np.ndarray, eps: np.ndarray, p: BayesLIFParams) -> State:
    """:func:`step` in floating point (float64 state; no flooring; ``eps`` continuous)."""
    u = state.u * decay_keep(p.du) + drive * W_SCALE
    inh = state.inh * decay_keep(p.d_syn) + p.w_inh * (state.s.sum(axis=-1, keepdims=True) - state.s)
    h = state.h * decay_keep(p.d_theta) + TRACE_UNIT * state.s
    v = np.clip(state.v * decay_keep(p.dv) + u - inh, -V_LIMIT, V_LIMIT)
    theta = p.theta + p.gamma * h / TRACE_UNIT
    s = v > theta + eps
    v = np.where(s, 0.0, v)
    return State(u, v, inh, h, s.astype(np.float64))
