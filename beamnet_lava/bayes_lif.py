"""Fixed-point Bayesian LIF memory layer (Eq. 8-10, Proposition 3.3): the one definition.

Neutral ground between training (``models/beamnet.py``, torch) and Lava
(``processes/``): both implement exactly :func:`step` below, and tests hold
them to it bit for bit. All quantities are integers in *state units*: a
threshold of ``theta_0`` is ``theta_mant << 6`` (the 6-bit MSB alignment of
Loihi's LIF), a synaptic weight mantissa ``w`` adds ``w << 6`` to the current.

One time step, in this order (``dec(x, d) = sign(x) * ((|x| * (4096 - d)) >> 12)``,
Loihi's 12-bit decay; ``s'`` are the previous step's spikes):

1. current     ``u = dec(u, du) + (drive << 6)``                 (Eq. 8, kappa of Eq. 21)
2. inhibition  ``i = dec(i, d_syn) + w_inh * (sum(s') - s')``     (Prop. 3.3, all-to-all but self)
3. spike trace ``h = dec(h, d_theta) + 4096 * s'``                (Eq. 10)
4. voltage     ``v = dec(v, dv) + u - i``, clipped to 24 bits     (Eq. 8)
5. threshold   ``theta = theta_0 + ((gamma * h) >> 12)``          (Eq. 10)
6. spike       ``s = v > theta + eps``, ``eps`` from
   :func:`beamnet_lava.noise.logistic_noise` keyed by (seed, neuron, step)  (Eq. 9)
7. reset       ``v = 0`` where ``s``

The inhibition needs no N x N matrix: ``sum(s') - s'`` is exact for uniform
all-to-all weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beamnet_lava.fixed_point import DECAY_UNITY

ACT_SHIFT = 6
TRACE_UNIT = 1 << 12
V_LIMIT = (1 << 23) - 1


def decay_of_tau(tau: float, dt: float = 1.0) -> int:
    """12-bit decay constant for time constant ``tau`` (Euler: fraction dt / tau)."""
    return int(round(DECAY_UNITY * min(1.0, dt / tau)))


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
                raise ValueError(f"{name} must be a 12-bit decay in [0, 4096]")
        if self.theta <= 0 or self.delta < 0 or self.w_inh < 0 or self.gamma < 0:
            raise ValueError("theta must be > 0 and delta, w_inh, gamma >= 0")


def dec(x: np.ndarray, d: int) -> np.ndarray:
    """Loihi's decay: magnitude times (4096 - d), shifted right 12, sign restored."""
    return np.sign(x) * ((np.abs(x) * (DECAY_UNITY - d)) >> 12)


@dataclass
class State:
    u: np.ndarray
    v: np.ndarray
    inh: np.ndarray
    h: np.ndarray
    s: np.ndarray   # spikes of the last step (0/1 int64)

    @classmethod
    def zeros(cls, shape: tuple[int, ...]) -> "State":
        z = lambda: np.zeros(shape, dtype=np.int64)  # noqa: E731
        return cls(z(), z(), z(), z(), z())


def step(state: State, drive: np.ndarray, eps: np.ndarray, p: BayesLIFParams) -> State:
    """Advance one time step (numpy int64; leading axes are batch, last is neurons)."""
    u = dec(state.u, p.du) + (np.asarray(drive, dtype=np.int64) << ACT_SHIFT)
    inh = dec(state.inh, p.d_syn) + p.w_inh * (state.s.sum(axis=-1, keepdims=True) - state.s)
    h = dec(state.h, p.d_theta) + TRACE_UNIT * state.s
    v = np.clip(dec(state.v, p.dv) + u - inh, -V_LIMIT, V_LIMIT)
    theta = p.theta + ((p.gamma * h) >> 12)
    s = (v > theta + eps).astype(np.int64)
    v = np.where(s == 1, 0, v)
    return State(u, v, inh, h, s)
