"""The per-layer integer scale of a NIR import: Loihi's grid chosen to keep a layer's dynamics.

For a CUBA neuron with ``v_leak = 0`` and ``v_reset = 0`` the dynamics are linear below
threshold and the spike test compares ``v`` with the threshold, so multiplying every weight,
bias and the threshold of a layer by one common factor ``s`` leaves every spike time
unchanged. A layer's NetX integers are therefore ``W = round(s w)``, ``vThMant = s theta``
(an integer by construction: ``s = m / theta``), with ``s`` chosen per layer so that they
fit Loihi's ranges (:mod:`beamnet_lava.neurons.fixed_point`) with the least rounding:

- weights: 8-bit mantissas; lava-nc's fixed-point ``Dense`` keeps any integer in -128..127
  (NetX's weight exponent shifts it into the 8-bit field) and even integers in -256..254
  (the mixed-sign mantissa times 2): so the grid is 1 inside -128..127 and 2 beyond;
- threshold: ``1 <= vThMant <= 2^17 - 1`` (and ``< 4096`` when the layer drives an always-on
  neuron, whose bias must exceed it: nir/channels.py);
- a bias that enters the current is a weight of an always-on channel (same grid); a bias into
  a neuron without synaptic current is Lava's 13-bit neuron bias (-4096..4095).

The factor minimises the largest rounding error (in the parameters' own units); the first
exact factor (error below ``EXACT`` of a step: float32 noise) from the top wins, since a
larger factor leaves Lava's state truncation (2^-6 of a weight unit) relatively smaller;
a threshold recorded in the graph's metadata is tried first, so a graph exported from NetX
comes back with its own integers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beamnet_lava.neurons import fixed_point

EXACT = 1e-4                 # rounding error (in grid steps) below which a value is on the grid
MAX_CANDIDATES = 4096        # thresholds tried per layer (the largest ones; beyond, steps are tiny)
ALWAYS_ON_VTH_MAX = fixed_point.BIAS_MAX - 1   # an always-on neuron needs bias_mant > vThMant


@dataclass(frozen=True)
class Scaled:
    """A layer's integers at factor ``factor`` and the rounding they needed."""

    factor: float                  # NetX integer = factor * NIR value
    v_th_mant: int
    matrices: list[np.ndarray]     # integer versions of the weight matrices, in order
    neuron_bias: np.ndarray | None  # Lava neuron bias mantissas (voltage), or None
    worst: float                   # largest |integer / factor - value|, in the parameter's units
    worst_steps: float             # the same in grid steps (0.5 = half a step)
    worst_where: str

    @property
    def worst_of_threshold(self) -> float:
        return self.worst * self.factor / self.v_th_mant


def weight_grid(values: list[np.ndarray]) -> list[np.ndarray]:
    """A layer's scaled matrices on lava's weight grid. lava-dl's netx optimises one layer's
    matrices together (``weight`` and ``weight_rec`` stacked): integers when all of them lie
    within -128..127 (a weight exponent shifts them into the 8-bit field), else even integers
    (the mixed-sign 8-bit mantissa times 2, up to -256..254)."""
    rounded = [np.round(v) for v in values]
    if all(r.size == 0 or (r.min() >= -128 and r.max() <= 127) for r in rounded):
        return rounded
    return [2 * np.round(v / 2) for v in values]


def _fits(r: np.ndarray) -> bool:
    return bool(r.size == 0 or (r.min() >= fixed_point.WEIGHT_MANT_MIN and r.max() <= fixed_point.WEIGHT_MANT_MAX))


def choose(threshold: float, matrices: list[tuple[str, np.ndarray]], neuron_bias: np.ndarray | None = None,
           always_on: bool = False, prefer: int | None = None) -> Scaled | str:
    """The best factor for one layer, or a one-line reason why none fits Loihi's ranges.

    ``matrices``: ``(name, float weights)`` in NIR units with the input gain folded in (the
    bias columns of always-on channels included); ``neuron_bias``: a voltage bias per neuron
    (NIR units), or None."""
    theta = float(threshold)
    if not theta > 0:
        return f"threshold {theta:g}: Loihi's thresholds are positive"
    largest = max((float(np.abs(w).max(initial=0.0)) for _, w in matrices), default=0.0)
    s_cap = np.inf if largest == 0 else fixed_point.WEIGHT_MANT_MAX / largest
    if neuron_bias is not None and np.any(neuron_bias):
        s_cap = min(s_cap, fixed_point.BIAS_MAX / float(np.abs(neuron_bias).max()))
    m_max = min(fixed_point.VTH_MAX, ALWAYS_ON_VTH_MAX if always_on else fixed_point.VTH_MAX,
                int(np.floor(theta * s_cap + 1e-9)) if np.isfinite(s_cap) else fixed_point.VTH_MAX)
    if m_max < 1:
        return (f"weights up to {largest:g} against a threshold of {theta:g}: no integer threshold "
                f"keeps the weights within {fixed_point.WEIGHT_MANT_MIN}..{fixed_point.WEIGHT_MANT_MAX}")
    if largest == 0 and (neuron_bias is None or not np.any(neuron_bias)):
        m_max = min(m_max, 64)           # nothing to resolve: NetX's customary 1/64
    best: Scaled | None = None
    candidates = list(range(m_max, max(0, m_max - MAX_CANDIDATES), -1))
    if prefer is not None and 1 <= prefer <= m_max:
        candidates.insert(0, prefer)             # the integers a graph's metadata records
    for m in candidates:
        cand = _at(m, theta, matrices, neuron_bias)
        if cand is None:
            continue
        if best is None or cand.worst < best.worst * (1 - 1e-9) - 1e-15:
            best = cand
        if best.worst_steps <= EXACT:
            break                                 # exact: the largest such (finest state) wins
    if best is None:
        return f"no threshold mantissa up to {m_max} puts the weights on Loihi's grid"
    return best


def _at(m: int, theta: float, matrices, neuron_bias) -> Scaled | None:
    s = m / theta
    ints, worst, worst_steps, where = [], 0.0, 0.0, ""
    scaled = [np.asarray(w, dtype=np.float64) * s for _, w in matrices]
    for (name, _), v, r in zip(matrices, scaled, weight_grid(scaled)):
        if not _fits(r):
            return None
        err = np.abs(r - v)
        if err.size and err.max() / s > worst:
            worst, worst_steps, where = float(err.max() / s), float(err.max()), name
        ints.append(r.astype(np.int64))
    bias = None
    if neuron_bias is not None:
        scaled = np.asarray(neuron_bias, dtype=np.float64) * s
        bias = np.round(scaled)
        if bias.min() < fixed_point.BIAS_MIN or bias.max() > fixed_point.BIAS_MAX:
            return None
        err = np.abs(bias - scaled)
        if err.size and err.max() / s > worst:
            worst, worst_steps, where = float(err.max() / s), float(err.max()), "neuron bias"
        bias = bias.astype(np.int64)
    return Scaled(s, m, ints, bias, worst, worst_steps, where)


@dataclass(frozen=True)
class Decay:
    """A 12-bit decay ``4096 dt / tau`` rounded to Loihi's grid."""

    value: int
    exact: float
    what: str

    @property
    def steps_off(self) -> float:
        return abs(self.value - self.exact)

    @property
    def relative(self) -> float:
        """The relative error of the time constant the rounding makes (0 for an exact decay)."""
        return 0.0 if self.exact == 0 else self.steps_off / self.exact


# A rounded decay changes the time constant by |rounded - exact| / exact. Up to this much it
# is taken without --round (and reported): the float32 peers' own time constants carry ~1e-7,
# Lava's state truncation ~2^-12 per step, and 1 % keeps every paper graph's spike times
# (docs/nir.md, "decays off the 12-bit grid"); beyond, `import --round` is needed.
DECAY_TOLERANCE = 0.01


def decay(fraction: float, what: str) -> Decay:
    """``fraction`` = dt / tau (0 = no leak, 1 = nothing kept) as a 12-bit decay."""
    exact = float(fraction) * fixed_point.DECAY_UNITY
    return Decay(int(round(exact)), exact, what)


# ---------------------------------------------------------------------------------------------
# a non-spiking readout (NIR LI, CubaLI): no threshold fixes the factor, the membrane range does


def readout_bound(matrices: list[np.ndarray], neuron_bias: np.ndarray | None, i_decay: int, v_decay: int) -> float:
    """The largest ``|v|`` (in units of ``W_SCALE`` state steps: ``vThMant`` units) a readout
    layer can reach, for integer weights ``matrices`` and neuron bias mantissas.

    Lava's step truncates the decayed state toward zero, so ``|u[t]| <= |u[t-1]| (1 - a) + U``
    and ``|v[t]| <= |v[t-1]| (1 - b) + |u| + |bias|`` with ``a = iDecay/4096``, ``b = vDecay/4096``,
    ``U`` the largest input of one step (every presynaptic unit active, one sign): so
    ``|u| <= U / a`` and ``|v| <= (U / a + |bias|) / b`` whatever the inputs."""
    drive = sum((np.maximum(np.clip(m, 0, None).sum(axis=1), -np.clip(m, None, 0).sum(axis=1))
                 for m in matrices if m.size), np.zeros(1))
    bias = np.zeros(1) if neuron_bias is None else np.abs(np.asarray(neuron_bias, dtype=np.float64))
    unity = fixed_point.DECAY_UNITY
    return float(np.max((drive * unity / i_decay + bias) * unity / v_decay, initial=0.0))


def choose_readout(matrices: list[tuple[str, np.ndarray]], neuron_bias: np.ndarray | None,
                   i_decay: int, v_decay: int, prefer: float | None = None) -> Scaled | str:
    """The factor of a non-spiking readout layer (NIR LI, CubaLI), or a one-line reason.

    Below threshold the layer is linear, so any factor ``s`` gives the same membrane values in
    units of ``1 / (W_SCALE s)`` of a state step; the layer keeps ``vThMant = VTH_MAX``
    (Loihi's largest 17-bit threshold), and ``s`` is the largest factor that keeps the weights
    and bias on Loihi's grid and every reachable ``|v|`` (:func:`readout_bound`) at or below that
    threshold: the neuron never fires and its 24-bit state never saturates, so Lava computes the
    membrane exactly (up to its truncation toward zero). Candidates put the largest weight (else
    the largest bias) on an integer ``m``; the first exact one from the top wins, as in
    :func:`choose`; ``prefer`` (a factor recorded in the graph's metadata) is tried first.
    ``Scaled.v_th_mant`` is ``VTH_MAX``; ``worst`` is in the parameters' units."""
    weights = [np.asarray(w, dtype=np.float64) for _, w in matrices]
    largest = max((float(np.abs(w).max(initial=0.0)) for w in weights), default=0.0)
    bias_max = 0.0 if neuron_bias is None else float(np.abs(neuron_bias).max(initial=0.0))
    ref = largest or bias_max
    if ref == 0:
        prefer = prefer or float(fixed_point.W_SCALE)       # nothing to resolve: NetX's 1/64
    caps = [fixed_point.VTH_MAX / max(readout_bound(weights, neuron_bias, i_decay, v_decay), 1e-300)]
    if largest:
        caps.append(fixed_point.WEIGHT_MANT_MAX / largest)
    if bias_max:
        caps.append(fixed_point.BIAS_MAX / bias_max)
    s_cap = min(caps)
    by_range = len(caps) > 1 and caps[0] < min(caps[1:])     # the membrane bound, not the 8 bits, binds
    tries: list[float] = [] if prefer is None else [float(prefer)]
    if ref:
        m_max = int(np.floor(ref * s_cap + 1e-9))
        tries += [m / ref for m in range(m_max, max(0, m_max - MAX_CANDIDATES), -1)]
    best: Scaled | None = None
    for s in tries:
        cand = _at(s, 1.0, matrices, neuron_bias)
        if cand is None or readout_bound(cand.matrices, cand.neuron_bias, i_decay, v_decay) > fixed_point.VTH_MAX:
            continue
        if best is None or cand.worst < best.worst * (1 - 1e-9) - 1e-15:
            best = cand
        if best.worst_steps <= EXACT:
            break
    if best is None:
        return (f"weights up to {largest:g} (bias {bias_max:g}) leave no factor that keeps the membrane "
                f"within Loihi's threshold {fixed_point.VTH_MAX} and the weights on the 8-bit grid")
    where = best.worst_where
    if by_range and best.worst:
        where += "; the factor is capped by the membrane's range (fan-in x time constant), not the 8-bit weights"
    return Scaled(best.factor, fixed_point.VTH_MAX, best.matrices, best.neuron_bias, best.worst,
                  best.worst_steps, where)
