"""Bayesian LIF memory layer (Eq. 8-10, Proposition 3.3): the one definition, fixed and float.

Neutral ground between training (``models/beamnet.py``, torch) and Lava
(``processes/bayes_lif``): one :func:`step`, generic over numpy and torch (as
:func:`beamnet_lava.neurons.brf.step`), computed in one of three :class:`Arithmetic`
forms: :data:`FIXED` (integers; the fixed_pt process model), :data:`FLOAT` (the
floating_pt one, :func:`step_float`) and :meth:`Arithmetic.training` (the torch model:
the integer values of :data:`FIXED` with straight-through decays and a surrogate-gradient
spike); tests hold them to it bit for bit. All quantities
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
from typing import Any, Callable

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


def dec(x, d: int):
    """Loihi's decay: magnitude times (4096 - d), shifted right 12, sign restored.

    numpy (integer arrays) or torch (integer-valued float tensors: the same values)."""
    if hasattr(x, "detach"):                                   # a torch tensor
        return x.sign() * (x.abs() * (DECAY_UNITY - d) / DECAY_UNITY).floor()
    return np.sign(x) * ((np.abs(x) * (DECAY_UNITY - d)) // DECAY_UNITY)


def dec_float(x, d: int):
    """The decay without flooring, ``x (1 - d / 4096)`` (the floating-point step)."""
    return x * decay_keep(d)


def dec_ste(x, d: int):
    """:func:`dec` forward, :func:`dec_float`'s gradient backward (straight-through; torch)."""
    smooth = x * ((DECAY_UNITY - d) / DECAY_UNITY)
    return smooth + (dec(x, d) - smooth).detach()


@dataclass
class State:
    u: Any
    v: Any
    inh: Any
    h: Any
    s: Any   # spikes of the last step (0/1: int64 fixed, float64 float, a float tensor in training)

    @classmethod
    def zeros(cls, shape: tuple[int, ...]) -> "State":
        z = lambda: np.zeros(shape, dtype=np.int64)  # noqa: E731
        return cls(z(), z(), z(), z(), z())


@dataclass(frozen=True)
class Arithmetic:
    """How a step computes: the only things that differ between the integer step (Lava fixed_pt,
    the reference), the floating-point step (Lava floating_pt) and the training model (torch)."""

    decay: Callable[[Any, int], Any]       # 12-bit decay of a state variable
    rise: Callable[[Any], Any]             # threshold rise from gamma * h (TRACE_UNIT units)
    spike: Callable[[Any, Any], Any]       # (v, threshold + eps) -> spikes, in the state's dtype
    drive: Callable[[Any], Any] = lambda d: d * W_SCALE   # synaptic drive -> state units

    @classmethod
    def training(cls, spike_fn: Callable[[Any], Any]) -> "Arithmetic":
        """The torch training model: integer values exactly as :data:`FIXED` computes them,
        straight-through decays, and ``spike_fn(v - threshold)`` (a surrogate-gradient spike)."""
        return cls(dec_ste, lambda gh: (gh / TRACE_UNIT).floor(), lambda v, thr: spike_fn(v - thr))


#: integer state (numpy int64): Lava's fixed_pt model and the reference
FIXED = Arithmetic(dec, lambda gh: gh // TRACE_UNIT, lambda v, thr: (v > thr).astype(np.int64),
                   lambda d: np.asarray(d, dtype=np.int64) * W_SCALE)
#: float64 state, no flooring, continuous noise: Lava's floating_pt model
FLOAT = Arithmetic(dec_float, lambda gh: gh / TRACE_UNIT, lambda v, thr: (v > thr).astype(np.float64))


def step(state: State, drive, eps, p: BayesLIFParams, arith: Arithmetic = FIXED,
         potentials: list | None = None) -> State:
    """Advance one time step (leading axes are batch, the last is neurons): the one definition.

    numpy arrays (``arith`` :data:`FIXED` or :data:`FLOAT`) or torch tensors
    (:meth:`Arithmetic.training`: the inhibition and threshold traces are detached, the reset
    passes no gradient). ``potentials``, when given, receives ``(v - theta) / theta_0`` before
    the spike test (the training model's race loss).
    """
    torch_like = hasattr(state.v, "detach")
    keep = (lambda x: x.detach()) if torch_like else (lambda x: x)   # noqa: E731
    s_prev = keep(state.s)
    u = arith.decay(state.u, p.du) + arith.drive(drive)
    inh = keep(arith.decay(state.inh, p.d_syn)) + p.w_inh * (s_prev.sum(-1)[..., None] - s_prev)
    h = keep(arith.decay(state.h, p.d_theta)) + TRACE_UNIT * s_prev
    v = (arith.decay(state.v, p.dv) + u - inh).clip(-V_LIMIT, V_LIMIT)
    theta = p.theta + arith.rise(p.gamma * h)
    if potentials is not None:
        potentials.append((v - theta) / p.theta)
    s = arith.spike(v, theta + eps)
    v = v * (1 - s.detach()) if torch_like else np.where(s != 0, 0, v)
    return State(u, v, inh, h, s)


def step_float(state: State, drive: np.ndarray, eps: np.ndarray, p: BayesLIFParams) -> State:
    """:func:`step` in floating point (float64 state; no flooring; ``eps`` continuous)."""
    return step(state, drive, eps, p, FLOAT)
