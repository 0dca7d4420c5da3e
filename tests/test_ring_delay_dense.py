"""RingDelayDense against lava-nc's DelayDense: identical outputs, both precisions."""
import numpy as np
import pytest
from helpers import run_connection
from lava.proc.dense.process import DelayDense

import beamnet_lava.processes.ring_delay_dense.models  # noqa: F401  (registers the models)
from beamnet_lava.processes.ring_delay_dense.process import RingDelayDense


def _run(conn_factory, spikes, tag):
    steps = spikes.shape[1] + 8
    return run_connection(conn_factory(), np.pad(spikes, ((0, 0), (0, 8))), tag, [steps])


@pytest.mark.parametrize("tag", ["fixed_pt", pytest.param("floating_pt", marks=pytest.mark.slow)])
def test_identical_to_delay_dense(tag):
    rng = np.random.default_rng(0)
    n_out, n_in, T = 7, 12, 30
    weights = 2 * rng.integers(-60, 60, size=(n_out, n_in))
    weights[rng.random(weights.shape) < 0.2] = 0
    delays = rng.integers(0, 13, size=(n_out, n_in))
    spikes = (rng.random((n_in, T)) < 0.15).astype(np.int32)
    ours, events = _run(lambda: RingDelayDense(weights=weights, delays=delays), spikes, tag)
    ref, _ = _run(lambda: DelayDense(weights=weights, delays=delays, max_delay=int(delays.max())),
                  spikes, tag)
    assert np.abs(ref).sum() > 0
    assert np.array_equal(ours, ref)
    assert events[0] == int(((weights != 0).astype(int) @ spikes).sum())


def test_rejects_delays_beyond_the_hardware_limit():
    with pytest.raises(ValueError, match="0..62"):
        RingDelayDense(weights=np.ones((2, 2)), delays=np.full((2, 2), 63))
