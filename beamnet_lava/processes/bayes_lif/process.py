"""Bayesian LIF memory neurons with lateral inhibition (Eq. 8-10, Proposition 3.3).

The interface only; the dynamics are :func:`beamnet_lava.bayes_lif.step` (the
definition the training model also follows). Input ``a_in`` is the synaptic
drive in weight-mantissa units (e.g. from :class:`RingDelayDense`); ``s_out``
the memory spikes. The state resets every ``window`` steps starting at step
``reset_offset + 1`` (the step the first sample's first input reaches the
layer). The noise of sample ``k`` of the stream (``k`` counts from
``key_base``), step ``t`` of the window, is keyed by
``k * key_span + window_index * window + t``, exactly as in training.

With ``lanes > 1`` the ``lanes * neurons`` neurons (lane-major) are that many
independent layers (inhibition stays within a lane); each Lava window then
holds ``lanes`` consecutive samples of the stream, lane ``l`` of window ``w``
being sample ``key_base + w * lanes + l``.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from beamnet_lava.bayes_lif import BayesLIFParams


class BayesLIF(AbstractProcess):
    def __init__(self, *, shape: tuple[int, ...], params: BayesLIFParams, window: int,
                 reset_offset: int = 0, key_base: int = 0, key_span: int | None = None,
                 window_index: int = 0, lanes: int = 1, name: str | None = None) -> None:
        super().__init__(shape=shape, params=params, window=window, reset_offset=reset_offset,
                         key_base=key_base, key_span=key_span or window, window_index=window_index,
                         lanes=lanes, name=name)
        if window < 1 or reset_offset < 0 or lanes < 1 or int(np.prod(shape)) % lanes:
            raise ValueError("window must be >= 1, reset_offset >= 0, and lanes divide the neurons")
        self.a_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        for var in ("u", "v", "inh", "h", "s_prev"):
            setattr(self, var, Var(shape=shape, init=0))
        self.spike_count = Var(shape=shape, init=0)      # total spikes (energy accounting)
        self.neuron_updates = Var(shape=(1,), init=0)    # neuron-steps computed
