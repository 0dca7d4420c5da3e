"""Neuron equations and fixed-point conventions, numpy only: the one place for each.

Training (torch, ``models/``), export (``netx_export/``) and Lava (``processes/``,
``sim_cpu/``) all take these definitions from here; this package imports neither
torch nor Lava.

- :mod:`~beamnet_lava.neurons.fixed_point`: the table of Loihi fixed-point constants.
- :mod:`~beamnet_lava.neurons.noise`: the integer noise generator and its key layout (Eq. 9).
- :mod:`~beamnet_lava.neurons.bayes_lif`: the Bayesian LIF step, fixed and float (Eq. 8-10).
- :mod:`~beamnet_lava.neurons.brf`: the resonate-and-fire (BRF / RF) step, fixed and float.
"""
