"""Dense synapses with per-synapse integer delays (Eq. 21-22), computed with a ring buffer.

Same interface and timing as lava-nc's ``DelayDense`` (a spike received at
step ``t`` through a synapse of delay ``d`` is delivered at ``t + 1 + d``) and,
in fixed point, the same 8-bit weight clipping and truncation, so the two are
interchangeable bit for bit. ``DelayDense`` rebuilds ``max_delay + 1`` masked
weight matrices every step; this process adds each incoming spike's weights
into the ring-buffer slot of its arrival step, so a step costs
``neurons x active inputs`` instead of ``neurons x inputs x (max_delay + 1)``.

``lanes > 1`` runs that many independent copies of the connection side by side
(ports of ``lanes * inputs`` and ``lanes * outputs``, lane-major): one Lava step
then advances ``lanes`` samples, as separate cores would on Loihi.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from beamnet_lava.neurons.fixed_point import MAX_DELAY


class RingDelayDense(AbstractProcess):
    """Dense synapses with per-synapse integer delays, delivered through a ring buffer.

    A spike received at step ``t`` through synapse ``(j, i)`` adds ``weights[j, i]``
    to output ``j`` at step ``t + 1 + delays[j, i]``, as lava-nc's ``DelayDense``.

    Parameters
    ----------
    weights : numpy.ndarray
        (outputs, inputs) weights; in fixed point 8-bit mantissas, clipped and
        truncated as lava-nc's bit-accurate ``Dense`` does (Var).
    delays : numpy.ndarray
        (outputs, inputs) integer delays in 0..62 (Loihi's limit) (Var; the ring
        buffer is sized for the largest delay given here).
    num_weight_bits : int
        Weight precision, as lava's ``Dense`` (a build-time constant there too).
    weight_exp : int
        Weights are scaled by ``2**weight_exp`` in fixed point, as lava's ``Dense``.
    lanes : int
        Independent copies side by side (build-time constant).

    Vars besides ``weights`` and ``delays``: ``ring`` (the buffer) and
    ``synaptic_events`` (spikes times non-zero fan-out delivered).
    """

    def __init__(self, *, weights: np.ndarray, delays: np.ndarray, num_weight_bits: int = 8,
                 weight_exp: int = 0, lanes: int = 1, name: str | None = None) -> None:
        weights = np.asarray(weights)
        delays = np.asarray(delays)
        max_delay = int(delays.max()) if delays.size else 0
        super().__init__(shape=weights.shape, num_weight_bits=num_weight_bits,
                         weight_exp=weight_exp, max_delay=max_delay, lanes=lanes, name=name)
        # checked after AbstractProcess.__init__ so a rejected process is still a valid object
        if weights.ndim != 2 or delays.shape != weights.shape:
            raise ValueError(f"weights {weights.shape} and delays {delays.shape} must be equal 2-D shapes")
        if delays.size and (delays.min() < 0 or delays.max() > MAX_DELAY):
            raise ValueError(f"delays must be integers in 0..{MAX_DELAY} (Loihi), got "
                             f"{delays.min()}..{delays.max()}")
        if lanes < 1:
            raise ValueError("lanes must be >= 1")
        n_out, n_in = weights.shape
        self.s_in = InPort(shape=(lanes * n_in,))
        self.a_out = OutPort(shape=(lanes * n_out,))
        self.weights = Var(shape=weights.shape, init=weights)
        self.delays = Var(shape=delays.shape, init=delays.astype(np.int32))
        self.ring = Var(shape=(max_delay + 2, lanes * n_out), init=0)
        self.synaptic_events = Var(shape=(1,), init=0)   # spikes x non-zero fan-out delivered
