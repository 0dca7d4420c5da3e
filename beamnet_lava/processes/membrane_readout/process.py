"""A leaky integrator that sends its membrane voltage each step: NIR's LI (and CubaLI) readout."""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.proc.lif.process import AbstractLIF


class MembraneReadout(AbstractLIF):
    """lava-nc's CUBA neuron below threshold, with its voltage as the output.

    The current and voltage follow lava's LIF (``lava.proc.lif``; the fixed-point model is
    lava's own ``AbstractPyLifModelFixed.subthr_dynamics``, bit-accurate with Loihi)::

        u[t] = u[t-1] * (1 - du) + a_in
        v[t] = v[t-1] * (1 - dv) + u[t] + bias
        s_out = v[t]                       # every step, graded; no threshold, no reset

    so it is what lava-dl's netx builds for a NetX CUBA layer whose threshold is never
    reached, with the state that layer keeps inside made visible: the membrane values of a
    non-spiking readout (NIR ``LI``: ``du`` = 4096, the current is the input; ``CubaLI``).
    As lava's ``LIFReset``, ``u`` and ``v`` reset to 0 every ``reset_interval`` steps, at the
    step ``reset_offset`` (one window per sample).

    Parameters
    ----------
    shape : tuple(int)
        Number of neurons.
    du, dv : int
        12-bit decays as in lava's LIF (fixed point: ``du`` as netx passes it, one below the
        decay; float: fractions).
    bias_mant, bias_exp : int or array
        Neuron bias (fixed point: ``bias_mant << bias_exp`` in state units).
    reset_interval, reset_offset : int
        Build-time window constants, as lava's ``LIFReset``.
    """

    def __init__(self, *, shape: tuple[int, ...], du: float = 0, dv: float = 0,
                 bias_mant: ty.Union[float, np.ndarray] = 0, bias_exp: ty.Union[float, np.ndarray] = 0,
                 reset_interval: int = 1, reset_offset: int = 0, name: str | None = None) -> None:
        if reset_interval < 1 or reset_offset < 0:
            raise ValueError(f"reset_interval {reset_interval} must be >= 1 and reset_offset "
                             f"{reset_offset} >= 0")
        super().__init__(shape=shape, u=0, v=0, du=du, dv=dv, bias_mant=bias_mant, bias_exp=bias_exp,
                         name=name, log_config=None)
        self.proc_params["reset_interval"] = int(reset_interval)
        self.proc_params["reset_offset"] = int(reset_offset)
