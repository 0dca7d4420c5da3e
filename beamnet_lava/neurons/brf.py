"""Balanced resonate-and-fire (BRF) and vanilla RF neurons: the one definition.

Higuchi, Kairat, Bohte, Otte, "Balanced Resonate-and-Fire Neurons", ICML 2024
(arXiv 2402.14603), Sec. 3. Neutral ground between training
(:mod:`beamnet_lava.models.brf`, torch) and Lava (:mod:`beamnet_lava.processes.brf`):
both call :func:`step` (floating point, torch or numpy arrays) or
:func:`step_fixed` (integers), and tests hold them to it bit for bit.

One Euler step of the complex membrane ``u = x + i y`` (only ``x`` takes input):

- ``b_t = p(omega) - b' - q_{t-1}``                       (BRF smooth reset; RF: ``b = -b'``)
- ``x_t = x_{t-1} + delta (b_t x_{t-1} - omega y_{t-1} + I_t)``
- ``y_t = y_{t-1} + delta (omega x_{t-1} + b_t y_{t-1})``
- ``z_t = [x_t - theta - q_{t-1} > 0]``                     (RF: ``[x_t - theta > 0]``)
- ``q_t = 0.9 q_{t-1} + z_t``                                (RF: no refractory trace)

with the divergence boundary ``p(omega) = (-1 + sqrt(1 - (delta omega)^2)) / delta``,
defined for ``|omega| <= 1/delta`` only (:func:`check_params` refuses the rest:
the reference implementation silently produces NaN there).

Fixed point (documented in docs/brf.md): ``x``, ``y``, ``q`` and the synaptic
drive ``delta * I`` are integers in units of ``2**-FRAC`` (theta = ``1 << FRAC``);
the per-neuron coefficients ``delta*omega`` and ``delta*(p(omega) - b')`` are
integers in the same units; products are floored by one arithmetic right shift.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.neurons.fixed_point import WEIGHT_MANT_MAX, WEIGHT_MANT_MIN

# Constants of the paper (Sec. 3 and 4, Appendix; reference code of the authors)
DELTA = 0.01            # Euler step size delta
THETA = 1.0             # spike threshold theta
Q_DECAY = 0.9           # refractory trace decay gamma (q_t = gamma q_{t-1} + z_t)
SURROGATE = {"p": 0.15, "sigma1": 0.5, "sigma2": 3.0, "scale": 0.5}   # double Gaussian
INIT = {                # omega ~ U(a, b), b' ~ U(a, b) (paper, Sec. 4)
    "smnist": {"omega": (15.0, 50.0), "b_offset": (0.1, 1.0)},
    "shd": {"omega": (5.0, 10.0), "b_offset": (2.0, 3.0)},
}

# Fixed-point form (ours; see docs/brf.md)
FRAC = 16                                   # fractional bits of x, y, q, coefficients, drive
ONE = 1 << FRAC                             # theta in state units
Q_DECAY_INT = int(round(Q_DECAY * ONE))     # 58982
STATE_LIMIT = (1 << 31) - 1                 # x, y saturate to 32-bit signed
MAX_WEIGHT_EXP = 15


def omega_limit(delta: float = DELTA) -> float:
    """The largest angular frequency with a real divergence boundary: ``1 / delta``."""
    return 1.0 / delta


def check_params(omega: Any, b_offset: Any, delta: float = DELTA, where: str = "") -> None:
    """Refuse ``|omega| > 1/delta`` (no divergence boundary) and ``b' < 0`` (growing oscillation)."""
    omega = np.asarray(omega, dtype=float)
    b_offset = np.asarray(b_offset, dtype=float)
    prefix = f"{where}: " if where else ""
    if not np.isfinite(omega).all() or not np.isfinite(b_offset).all():
        raise BeamnetError(f"{prefix}BRF omega and b' must be finite numbers")
    if (np.abs(omega) > omega_limit(delta) * (1 + 1e-12)).any():
        worst = float(np.abs(omega).max())
        raise BeamnetError(f"{prefix}BRF omega={worst:g} exceeds 1/delta={omega_limit(delta):g}: the "
                           f"divergence boundary p(omega) is undefined there (sqrt of a negative "
                           f"number); lower omega or the step size delta={delta:g}")
    if (b_offset < 0).any():
        raise BeamnetError(f"{prefix}BRF b'={float(b_offset.min()):g} is negative: b' >= 0 is what "
                           "keeps the oscillation inside the divergence boundary")


def p_omega(omega: Any, delta: float = DELTA) -> Any:
    """Divergence boundary ``p(omega) = (-1 + sqrt(1 - (delta omega)^2)) / delta`` (Eq. 6)."""
    return (-1.0 + (1.0 - (delta * omega) ** 2) ** 0.5) / delta


@dataclass
class State:
    """Neuron state: membrane ``x`` (real), ``y`` (imaginary), refractory trace ``q``."""

    x: Any
    y: Any
    q: Any


def heaviside(v: Any) -> Any:
    return (v > 0) * 1.0


def step(state: State, drive: Any, omega: Any, b_offset: Any, *, balanced: bool = True,
         delta: float = DELTA, spike_fn: Callable[[Any], Any] = heaviside) -> tuple[State, Any]:
    """One floating-point step; ``drive`` is ``I_t``. Works on torch tensors and numpy arrays.

    ``spike_fn`` maps ``x_t - theta - q_{t-1}`` to spikes (training passes the
    double-Gaussian surrogate). Returns the new state and ``z_t``.
    """
    x, y, q = state.x, state.y, state.q
    if balanced:
        b = p_omega(omega, delta) - b_offset - q
    else:
        b = -b_offset
    x_new = x + delta * (b * x - omega * y + drive)
    y_new = y + delta * (omega * x + b * y)
    z = spike_fn(x_new - THETA - q) if balanced else spike_fn(x_new - THETA)
    q_new = Q_DECAY * q + z if balanced else q
    return State(x_new, y_new, q_new), z


def double_gaussian(v: Any) -> Any:
    """Surrogate derivative of the spike: ``scale * ((1+p) N(v; s1) - 2p N(v; s2))``.

    The double Gaussian of Yin et al. (2021) used by the BRF paper, with its
    constants :data:`SURROGATE` (p = 0.15, sigma1 = 0.5, sigma2 = 3.0, scale 0.5).
    Works on torch tensors and numpy arrays.
    """
    s = SURROGATE
    exp = (lambda a: a.exp()) if hasattr(v, "exp") else np.exp   # torch tensor or numpy array

    def gauss(sigma: float) -> Any:
        return exp(-(v ** 2) / (2 * sigma ** 2)) / (math.sqrt(2 * math.pi) * sigma)

    return s["scale"] * ((1 + s["p"]) * gauss(s["sigma1"]) - 2 * s["p"] * gauss(s["sigma2"]))


# -- fixed point -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FixedParams:
    """Integer per-neuron coefficients (units ``2**-FRAC``).

    ``omega_dt = round(delta omega 2^FRAC)``; ``b_dt = round(delta (p(omega) - b') 2^FRAC)``
    for BRF, ``round(-delta b' 2^FRAC)`` for RF; ``delta_int = round(delta 2^FRAC)``
    scales the refractory trace into ``b``.
    """

    omega_dt: np.ndarray
    b_dt: np.ndarray
    balanced: bool
    delta_int: int

    def check(self) -> None:
        if self.omega_dt.shape != self.b_dt.shape:
            raise BeamnetError("BRF omega_dt and b_dt must have one value per neuron")
        if (np.abs(self.omega_dt) > ONE).any():
            raise BeamnetError(f"BRF omega_dt={int(np.abs(self.omega_dt).max())} exceeds {ONE} "
                               "(delta*omega > 1: beyond the divergence boundary)")
        if (self.b_dt > 0).any():
            raise BeamnetError("BRF b_dt must be <= 0 (b' >= 0 and p(omega) <= 0)")


def quantize_neuron(omega: Any, b_offset: Any, balanced: bool, delta: float = DELTA) -> FixedParams:
    """Integer coefficients of neurons with float ``omega``, ``b'`` (checked first)."""
    omega = np.asarray(omega, dtype=np.float64)
    b_offset = np.asarray(b_offset, dtype=np.float64)
    check_params(omega, b_offset, delta)
    b = p_omega(np.clip(omega, -1 / delta, 1 / delta), delta) - b_offset if balanced else -b_offset
    return FixedParams(np.rint(delta * omega * ONE).astype(np.int64),
                       np.rint(delta * b * ONE).astype(np.int64), bool(balanced),
                       int(round(delta * ONE)))


def zero_state_fixed(shape: tuple[int, ...]) -> State:
    return State(np.zeros(shape, np.int64), np.zeros(shape, np.int64), np.zeros(shape, np.int64))


def step_fixed(state: State, drive: np.ndarray, params: FixedParams) -> tuple[State, np.ndarray]:
    """One integer step; ``drive`` is ``delta * I_t`` in units of ``2**-FRAC`` (int64).

    1. ``b  = b_dt - ((q * delta_int) >> FRAC)``              (BRF; RF: ``b = b_dt``)
    2. ``x' = x + ((b x - omega_dt y) >> FRAC) + drive``, saturated to 32 bits
    3. ``y' = y + ((omega_dt x + b y) >> FRAC)``, saturated to 32 bits
    4. ``z  = x' > ONE + q``                                   (RF: ``x' > ONE``)
    5. ``q' = ((q * Q_DECAY_INT) >> FRAC) + z * ONE``          (RF: ``q' = 0``)
    """
    x, y, q = state.x, state.y, state.q
    w = params.omega_dt
    b = params.b_dt - ((q * params.delta_int) >> FRAC) if params.balanced else params.b_dt
    x_new = np.clip(x + ((b * x - w * y) >> FRAC) + drive, -STATE_LIMIT, STATE_LIMIT)
    y_new = np.clip(y + ((w * x + b * y) >> FRAC), -STATE_LIMIT, STATE_LIMIT)
    if params.balanced:
        z = x_new > ONE + q
        q_new = ((q * Q_DECAY_INT) >> FRAC) + z.astype(np.int64) * ONE
    else:
        z = x_new > ONE
        q_new = q
    return State(x_new, y_new, q_new), z


def quantize_weights(w: np.ndarray, unit: float) -> tuple[np.ndarray, int]:
    """8-bit mantissas and a shared exponent for float weights ``w`` (drive ``w * unit``).

    ``unit`` converts one weight unit times one input unit into drive units
    (``delta * 2^FRAC / input_levels`` for the BRF layer's inputs,
    ``2^FRAC`` for the readout). Mantissas are even values in
    [``WEIGHT_MANT_MIN``, ``WEIGHT_MANT_MAX``], so lava's fixed-point Dense keeps
    them unchanged in every sign mode (:mod:`~beamnet_lava.neurons.fixed_point`); the
    effective integer weight is ``mantissa << exp`` with the smallest exp >= 0
    that fits the largest weight.
    """
    target = np.asarray(w, dtype=np.float64) * unit
    peak = float(np.abs(target).max()) if target.size else 0.0
    exp = 0
    while exp < MAX_WEIGHT_EXP and peak / (1 << exp) > WEIGHT_MANT_MAX + 1:
        exp += 1
    mant = 2 * np.rint(target / (1 << (exp + 1)))
    return np.clip(mant, WEIGHT_MANT_MIN, WEIGHT_MANT_MAX).astype(np.int64), exp


def dense_fixed(mant: np.ndarray, exp: int, pre: np.ndarray) -> np.ndarray:
    """lava's fixed-point Dense: ``(mant @ pre) << exp`` for integer inputs ``pre`` (..., in)."""
    return (np.asarray(pre, dtype=np.int64) @ mant.T.astype(np.int64)) << exp


# -- leaky-integrator readout ----------------------------------------------------------------
def readout_alpha_int(alpha: float) -> int:
    return int(round(alpha * ONE))


def readout_step_fixed(v: np.ndarray, drive: np.ndarray, alpha_int: int) -> np.ndarray:
    """``v' = (alpha v + (1 - alpha) I) `` in units ``2**-FRAC``, floored."""
    return (v * alpha_int + drive * (ONE - alpha_int)) >> FRAC
