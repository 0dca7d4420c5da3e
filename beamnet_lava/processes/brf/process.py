"""BRF / RF neurons (Higuchi et al., ICML 2024) and a leaky-integrator readout: interfaces.

The dynamics are :func:`beamnet_lava.neurons.brf.step_fixed` (fixed_pt) and
:func:`beamnet_lava.neurons.brf.step` (floating_pt), the definitions the training model
also follows. Inputs are drives in state units (``delta * I * 2**FRAC``):
``a_in`` the feed-forward synapses, ``r_in`` the recurrent ones (ignored on
the first step of every window, so a sample never sees the previous sample's
spikes). State resets every ``reset_interval`` steps; the first window starts at
Lava step ``reset_offset`` (recorder row ``reset_offset - 1``, see
:mod:`beamnet_lava.sim_cpu.graph`).

:class:`LeakyReadout` integrates ``v_t = a v_{t-1} + (1 - a) I_t``, sums ``v``
over the window and, on the window's last step, emits one spike on the
neuron with the largest sum (ties: lowest index): the class decision; with
``lanes > 1`` its neurons are ``lanes`` blocks (lane-major) and each block
decides for its own sample.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from beamnet_lava.neurons.brf import FixedParams


class _Windowed(AbstractProcess):
    def __init__(self, *, shape: tuple[int, ...], reset_interval: int, reset_offset: int,
                 name: str | None, **build: int) -> None:
        if reset_interval < 1 or reset_offset < 1:
            raise ValueError("reset_interval and reset_offset must be >= 1")
        super().__init__(shape=shape, reset_interval=int(reset_interval),
                         reset_offset=int(reset_offset), name=name, **build)
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.neuron_updates = Var(shape=(1,), init=0)    # neuron-steps computed (energy accounting)


class BRF(_Windowed):
    """Recurrent layer of balanced (BRF) or vanilla resonate-and-fire (RF) neurons.

    Dynamics: :func:`beamnet_lava.neurons.brf.step_fixed` (``fixed_pt``) and
    :func:`~beamnet_lava.neurons.brf.step` (``floating_pt``). ``a_in`` takes the
    feed-forward drive, ``r_in`` the recurrent one (ignored on each window's first
    step), both in state units ``delta * I * 2**FRAC``.

    Parameters
    ----------
    shape : tuple(int)
        Number of neurons.
    omega_dt : numpy.ndarray
        Per-neuron ``round(delta omega 2**FRAC)`` (Var).
    b_dt : numpy.ndarray
        Per-neuron ``round(delta (p(omega) - b') 2**FRAC)`` for BRF, ``round(-delta b' 2**FRAC)``
        for RF (Var).
    balanced : bool
        BRF (smooth reset and refractory trace) or RF (Var, 0/1).
    delta_int : int
        ``round(delta 2**FRAC)``, the Euler step that scales the trace into ``b`` (Var).
    reset_interval : int
        Steps per window (one sequence); the state resets every window.
    reset_offset : int
        Time step of the first window's first step (>= 1), as lava's ``LIFReset``.

    Vars besides the parameters: ``x``, ``y``, ``q`` (state), ``spike_count``, ``neuron_updates``.
    """

    def __init__(self, *, shape: tuple[int, ...], omega_dt: np.ndarray, b_dt: np.ndarray,
                 balanced: bool, delta_int: int, reset_interval: int, reset_offset: int = 1,
                 name: str | None = None) -> None:
        params = FixedParams(np.asarray(omega_dt, dtype=np.int64), np.asarray(b_dt, dtype=np.int64),
                             bool(balanced), int(delta_int))
        params.check()
        if params.omega_dt.shape != tuple(shape):
            raise ValueError(f"params hold {params.omega_dt.shape} neurons, shape is {shape}")
        super().__init__(shape=shape, reset_interval=reset_interval, reset_offset=reset_offset,
                         name=name)
        self.r_in = InPort(shape=shape)
        self.omega_dt = Var(shape=shape, init=params.omega_dt)
        self.b_dt = Var(shape=shape, init=params.b_dt)
        self.balanced = Var(shape=(1,), init=int(params.balanced))
        self.delta_int = Var(shape=(1,), init=params.delta_int)
        for var in ("x", "y", "q"):
            setattr(self, var, Var(shape=shape, init=0))
        self.spike_count = Var(shape=shape, init=0)


class LeakyReadout(_Windowed):
    """Non-spiking leaky integrators ``v_t = a v_{t-1} + (1 - a) I_t``; one decision spike per window.

    Dynamics: :func:`beamnet_lava.neurons.brf.readout_step_fixed` (``fixed_pt``) and its
    float form (``floating_pt``). On a window's last step the neuron with the largest
    ``v`` summed over the window spikes (ties: lowest index).

    Parameters
    ----------
    shape : tuple(int)
        Number of classes.
    alpha_int : int
        Leak ``round(a 2**FRAC)`` (Var).
    reset_interval : int
        Steps per window.
    reset_offset : int
        Time step of the first window's first step (>= 1).
    lanes : int
        Samples side by side (``shape[0] = lanes * classes``); one decision per lane.
    """

    def __init__(self, *, shape: tuple[int, ...], alpha_int: int, reset_interval: int,
                 reset_offset: int = 1, lanes: int = 1, name: str | None = None) -> None:
        if lanes < 1 or shape[0] % lanes:
            raise ValueError(f"{shape[0]} readout neurons do not split into {lanes} lanes")
        super().__init__(shape=shape, reset_interval=reset_interval, reset_offset=reset_offset,
                         name=name, lanes=int(lanes))
        self.alpha_int = Var(shape=(1,), init=int(alpha_int))
        self.v = Var(shape=shape, init=0)
        self.total = Var(shape=shape, init=0)
