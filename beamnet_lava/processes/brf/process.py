"""BRF / RF neurons (Higuchi et al., ICML 2024) and a leaky-integrator readout: interfaces.

The dynamics are :func:`beamnet_lava.brf.step_fixed` (fixed_pt) and
:func:`beamnet_lava.brf.step` (floating_pt), the definitions the training model
also follows. Inputs are drives in state units (``delta * I * 2**FRAC``):
``a_in`` the feed-forward synapses, ``r_in`` the recurrent ones (ignored on
the first step of every window, so a sample never sees the previous sample's
spikes). State resets every ``window`` steps; local step 0 of the first window
is Lava step ``offset + 1`` (recorder row ``offset``, see
:mod:`beamnet_lava.sim_cpu.graph`).

:class:`LeakyReadout` integrates ``v_t = a v_{t-1} + (1 - a) I_t``, sums ``v``
over the window and, on the window's last step, emits one spike on the
neuron with the largest sum (ties: lowest index): the class decision; with
``lanes > 1`` its neurons are ``lanes`` blocks (lane-major) and each block
decides for its own sample.
"""
from __future__ import annotations

from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from beamnet_lava.brf import FixedParams


class _Windowed(AbstractProcess):
    def __init__(self, *, shape: tuple[int, ...], window: int, offset: int, name: str | None,
                 **params) -> None:
        if window < 1 or offset < 0:
            raise ValueError("window must be >= 1 and offset >= 0")
        super().__init__(shape=shape, window=window, offset=offset, name=name, **params)
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.neuron_updates = Var(shape=(1,), init=0)    # neuron-steps computed (energy accounting)


class BRF(_Windowed):
    """Recurrent layer of BRF (``params.balanced``) or vanilla RF neurons."""

    def __init__(self, *, shape: tuple[int, ...], params: FixedParams, window: int, offset: int = 1,
                 name: str | None = None) -> None:
        params.check()
        if params.omega_dt.shape != tuple(shape):
            raise ValueError(f"params hold {params.omega_dt.shape} neurons, shape is {shape}")
        super().__init__(shape=shape, window=window, offset=offset, name=name, params=params)
        self.r_in = InPort(shape=shape)
        for var in ("x", "y", "q"):
            setattr(self, var, Var(shape=shape, init=0))
        self.spike_count = Var(shape=shape, init=0)


class LeakyReadout(_Windowed):
    """Non-spiking leaky integrators; one decision spike per window."""

    def __init__(self, *, shape: tuple[int, ...], alpha_int: int, window: int, offset: int = 2,
                 lanes: int = 1, name: str | None = None) -> None:
        if lanes < 1 or shape[0] % lanes:
            raise ValueError(f"{shape[0]} readout neurons do not split into {lanes} lanes")
        super().__init__(shape=shape, window=window, offset=offset, name=name,
                         alpha_int=int(alpha_int), lanes=int(lanes))
        self.v = Var(shape=shape, init=0)
        self.total = Var(shape=shape, init=0)
