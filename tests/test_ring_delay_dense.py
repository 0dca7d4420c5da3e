"""RingDelayDense against lava-nc's DelayDense: identical outputs, both precisions."""
import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc import io
from lava.proc.dense.process import DelayDense

import beamnet_lava.processes.ring_delay_dense.models  # noqa: F401  (registers the models)
from beamnet_lava.processes.ring_delay_dense.process import RingDelayDense
from beamnet_lava.sim_cpu import watchdog


def _run(conn_factory, spikes, tag):
    steps = spikes.shape[1] + 8
    src = io.source.RingBuffer(data=np.pad(spikes, ((0, 0), (0, 8))))
    conn = conn_factory()
    sink = io.sink.RingBuffer(shape=conn.a_out.shape, buffer=steps)
    src.s_out.connect(conn.s_in)
    conn.a_out.connect(sink.a_in)
    cfg = Loihi2SimCfg(select_tag=tag)
    try:
        watchdog.guarded(lambda: src.create_runtime(run_cfg=cfg), lambda: src.runtime, 120, "compile")
        watchdog.guarded(lambda: src.run(condition=RunSteps(num_steps=steps)), lambda: src.runtime, 120, "run")
        out = sink.data.get()
        events = conn.synaptic_events.get() if hasattr(conn, "synaptic_events") else None
    finally:
        src.stop()
    return out, events


@pytest.mark.parametrize("tag", ["fixed_pt", "floating_pt"])
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
