"""LaneDense against lava-nc's Dense: each lane identical to its own Dense, both precisions,
also after the weights are changed through their Var between two runs."""
import numpy as np
import pytest
from scipy.linalg import block_diag
from helpers import run_connection
from lava.proc.dense.process import Dense

import beamnet_lava.processes.lane_dense.models  # noqa: F401  (registers the models)
from beamnet_lava.processes.lane_dense.process import LaneDense


def _run(conn, spikes, tag, new_weights, split):
    """Run ``split`` steps, set the weights Var to ``new_weights``, run the rest."""
    return run_connection(conn, spikes, tag, [split, spikes.shape[1] - split],
                          between=lambda c: c.weights.set(new_weights))[0]


@pytest.mark.parametrize("tag", ["fixed_pt", pytest.param("floating_pt", marks=pytest.mark.slow)])
def test_each_lane_is_a_dense_also_after_a_weight_set(tag):
    rng = np.random.default_rng(1)
    lanes, n_out, n_in, T = 3, 5, 8, 24
    w1, w2 = (2 * rng.integers(-60, 60, size=(n_out, n_in)) for _ in range(2))
    spikes = (rng.random((lanes, n_in, T)) < 0.3).astype(np.int32)
    ours = _run(LaneDense(weights=w1, lanes=lanes), spikes.reshape(lanes * n_in, T), tag, w2, 10)
    # one stock Dense per lane, all in one Lava run: the block-diagonal Dense of the lanes
    ref = _run(Dense(weights=block_diag(*[w1] * lanes)), spikes.reshape(lanes * n_in, T), tag,
               block_diag(*[w2] * lanes), 10)
    for k in range(lanes):
        lane = ref[k * n_out:(k + 1) * n_out]
        assert np.abs(lane[:, :11]).sum() > 0 and np.abs(lane[:, 11:]).sum() > 0
        assert np.array_equal(ours[k * n_out:(k + 1) * n_out], lane)
    # the set took effect: the old weights give different sums after step 10
    stale = _run(LaneDense(weights=w1, lanes=lanes), spikes.reshape(lanes * n_in, T), tag, w1, 10)
    assert not np.array_equal(stale[:, 11:], ours[:, 11:]) and np.array_equal(stale[:, :11], ours[:, :11])
