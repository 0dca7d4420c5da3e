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

from beamnet_lava.fixed_point import MAX_DELAY


class RingDelayDense(AbstractProcess):
    """Delayed dense connection: ``weights``/``delays`` of shape (outputs, inputs)."""

    def __init__(self, *, weights: np.ndarray, delays: np.ndarray, num_weight_bits: int = 8,
                 weight_exp: int = 0, lanes: int = 1, name: str | None = None) -> None:
        weights = np.asarray(weights)
        delays = np.asarray(delays)
        max_delay = int(delays.max()) if delays.size else 0
        super().__init__(weights=weights, delays=delays, num_weight_bits=num_weight_bits,
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
