"""Lanes: many samples simulated side by side in one Lava step, for every model family.

A *lane* is one of ``lanes`` copies of a network placed next to each other in
one Lava graph: every process holds ``lanes`` blocks of its neurons
(lane-major, lane ``l`` owns entries ``l * n .. (l + 1) * n - 1``), synapses
connect each lane only to itself (:class:`~beamnet_lava.processes.lane_dense.process.LaneDense`,
:class:`~beamnet_lava.processes.ring_delay_dense.process.RingDelayDense`), and
resets happen at the same window phase in every lane, so recurrence and resets
stay within a lane. One Lava step then advances ``lanes`` samples: Lava's
per-step messaging cost, which dominates a one-sample run, is paid once for all.
Samples are packed into groups of ``lanes`` (:func:`pack`), the last group
zero-padded; the runner streams the groups one window after another.

``--lanes auto`` (:func:`choose_lanes`): as many lanes as samples, unless the
lanes' resident state would exceed :data:`MEMORY_BUDGET` (an estimate of
:data:`BYTES_PER_NEURON` per simulated neuron or input channel of one lane);
then the fewest groups that fit, filled evenly. ``--lanes 1`` runs today's graph
of stock processes one sample at a time.
"""
from __future__ import annotations


import numpy as np

from beamnet_lava.errors import BeamnetError

AUTO = "auto"
# Resident bytes one lane costs per neuron (or input channel) it simulates, all processes
# together: state vectors, the send/receive buffers of each port (Lava's channels hold
# several messages), the int64/float64 temporaries of a step. Measured: an S-MNIST BRF
# (1 + 32 + 10 neurons per lane) on its 2,000 test sequences peaked at 0.650 GiB (PSS of
# the Lava process tree) in 2,000 lanes and 0.586 GiB in 250: ~900 bytes per neuron-lane.
BYTES_PER_NEURON = 1024
MEMORY_BUDGET = 1 << 30            # 1 GiB for the lanes' state; spike records come on top


def parse_lanes(value: int | str) -> int | str:
    """``--lanes`` value: a positive integer or ``'auto'``."""
    if isinstance(value, str):
        if value.strip().lower() == AUTO:
            return AUTO
        try:
            value = int(value)
        except ValueError:
            raise BeamnetError(f"--lanes {value}: must be a positive integer or 'auto'") from None
    if int(value) < 1:
        raise BeamnetError(f"--lanes {value}: must be >= 1 or 'auto'")
    return int(value)


def choose_lanes(requested: int | str, n_samples: int, neurons_per_lane: int,
                 budget: int = MEMORY_BUDGET) -> int:
    """Lanes to use for ``n_samples``: ``requested`` (capped at the samples), or for
    ``'auto'`` all samples at once within ``budget`` bytes, in evenly filled groups."""
    requested = parse_lanes(requested)
    if n_samples < 1:
        raise BeamnetError("no samples to run")
    if requested != AUTO:
        return min(requested, n_samples)
    fit = max(1, budget // max(1, neurons_per_lane * BYTES_PER_NEURON))
    groups = -(-n_samples // min(fit, n_samples))
    return -(-n_samples // groups)


def pack(x: np.ndarray, lanes: int) -> np.ndarray:
    """``(n, k, T)`` -> ``(ceil(n / lanes), lanes * k, T)``, lane-major, zero-padded."""
    groups = -(-len(x) // lanes)
    padded = np.zeros((groups * lanes,) + x.shape[1:], dtype=x.dtype)
    padded[:len(x)] = x
    return padded.reshape(groups, lanes * x.shape[1], x.shape[2])


def unpack(x: np.ndarray, lanes: int, n: int) -> np.ndarray:
    """Inverse of :func:`pack`: ``(groups, lanes * k, T)`` -> the first ``n`` of ``(.., k, T)``."""
    groups, width, steps = x.shape
    return x.reshape(groups * lanes, width // lanes, steps)[:n]


def tile(values, lanes: int):
    """Per-neuron parameters repeated for every lane (scalars stay scalars)."""
    values = np.asarray(values)
    return values if values.ndim == 0 else np.tile(values, lanes)


def synapse(weights: np.ndarray, lanes: int, **params):
    """A dense connection for ``lanes`` lanes: stock ``Dense`` for one lane, else ``LaneDense``
    (same arithmetic per lane, one shared weight matrix; ``params`` as for ``Dense``)."""
    if lanes == 1:
        from lava.proc.dense.process import Dense

        return Dense(weights=weights, **params)
    import beamnet_lava.processes.lane_dense.models  # noqa: F401  (register the models)
    from beamnet_lava.processes.lane_dense.process import LaneDense

    return LaneDense(weights=weights, lanes=lanes, **params)
