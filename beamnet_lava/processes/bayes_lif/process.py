"""Bayesian LIF memory neurons with lateral inhibition (Eq. 8-10, Proposition 3.3): the interface."""
from __future__ import annotations

from dataclasses import fields

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from beamnet_lava.neurons.bayes_lif import BayesLIFParams

PARAMETERS = tuple(f.name for f in fields(BayesLIFParams))   # du, dv, d_syn, d_theta, theta, ...
STATE = ("u", "v", "inh", "h", "s_prev")


class BayesLIF(AbstractProcess):
    """Bayesian LIF memory neurons with lateral inhibition (Eq. 8-10, Proposition 3.3).

    Dynamics: :func:`beamnet_lava.neurons.bayes_lif.step` (``fixed_pt``) and
    :func:`~beamnet_lava.neurons.bayes_lif.step_float` (``floating_pt``), the
    definitions the training model follows too. ``a_in`` is the synaptic drive in
    weight-mantissa units (e.g. from :class:`RingDelayDense`), ``s_out`` the spikes.

    As lava's ``LIFReset``, the state resets every ``reset_interval`` steps (one
    window); the first window starts at time step ``reset_offset`` (>= 1; the
    steps before it are idle: the stream has not reached the layer). The noise of
    step ``t`` of the stream's ``w``-th window in lane ``l`` draws at
    :func:`~beamnet_lava.neurons.noise.noise_step` of sample key
    ``key_base + w * lanes + l`` and window ``window_index``, exactly as in training.

    With ``lanes > 1`` the ``shape`` neurons (lane-major) are that many
    independent layers (inhibition stays within a lane), so each Lava window
    holds ``lanes`` consecutive samples of the stream.

    Every parameter below except ``shape``, ``reset_interval``, ``reset_offset``
    and ``lanes`` (build-time constants) is a Var: readable and settable.

    Parameters
    ----------
    shape : tuple(int)
        ``lanes * n_memory`` neurons.
    du, dv, d_syn, d_theta : int
        12-bit decays of the current (tau_s), voltage (tau_m), inhibitory trace
        (tau_syn) and spike trace (tau_theta), as ``fixed_point.decay_of_tau``.
    theta : int
        Base threshold theta_0, in state units.
    gamma : int
        Threshold rise per unit of spike trace (Eq. 10), state units.
    w_inh : int
        Inhibition per spike of another neuron of the lane (Prop. 3.3), state units.
    delta : int
        Logistic noise scale Delta (Eq. 9), state units; 0 is a deterministic LIF.
    seed : int
        Noise generator seed.
    reset_interval : int
        Steps per window (``time_steps``).
    reset_offset : int
        Time step of the first window's first step (default 1).
    key_base : int
        Noise key of the stream's first sample.
    key_span : int
        Generator steps reserved per sample (default ``reset_interval``).
    window_index : int
        Window of the top-down loop these windows are (keys the noise).
    lanes : int
        Independent layers side by side (default 1).
    """

    def __init__(self, *, shape: tuple[int, ...], du: int, dv: int, d_syn: int, d_theta: int,
                 theta: int, gamma: int, w_inh: int, delta: int, seed: int, reset_interval: int,
                 reset_offset: int = 1, key_base: int = 0, key_span: int | None = None,
                 window_index: int = 0, lanes: int = 1, name: str | None = None) -> None:
        params = BayesLIFParams(du=du, dv=dv, d_syn=d_syn, d_theta=d_theta, theta=theta, gamma=gamma,
                                w_inh=w_inh, delta=delta, seed=seed)   # validates the values
        super().__init__(shape=shape, reset_interval=reset_interval, reset_offset=reset_offset,
                         lanes=lanes, name=name)
        if reset_interval < 1 or reset_offset < 1 or lanes < 1 or int(np.prod(shape)) % lanes:
            raise ValueError("reset_interval must be >= 1, reset_offset >= 1, and lanes divide "
                             "the neurons")
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        for field in PARAMETERS:
            setattr(self, field, Var(shape=(1,), init=int(getattr(params, field))))
        self.key_base = Var(shape=(1,), init=int(key_base))
        self.key_span = Var(shape=(1,), init=int(key_span or reset_interval))
        self.window_index = Var(shape=(1,), init=int(window_index))
        for var in STATE:
            setattr(self, var, Var(shape=shape, init=0))
        self.spike_count = Var(shape=shape, init=0)      # total spikes (energy accounting)
        self.neuron_updates = Var(shape=(1,), init=0)    # neuron-steps computed
