"""The BayesLIF Lava process against the neutral fixed-point definition (bayes_lif.step)."""
import dataclasses

import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc import io

import beamnet_lava.processes.bayes_lif.models  # noqa: F401  (registers the models)
from beamnet_lava.neurons import bayes_lif, noise
from beamnet_lava.processes.bayes_lif.process import BayesLIF
from beamnet_lava.sim_cpu import watchdog

PARAMS = bayes_lif.BayesLIFParams(du=410, dv=410, d_syn=2048, d_theta=410, theta=65536,
                                  gamma=32768, w_inh=196608, delta=6554, seed=11)


def _lava(drive: np.ndarray, window: int, tag: str, key_base: int = 5):
    n, steps = drive.shape
    src = io.source.RingBuffer(data=drive)
    neurons = BayesLIF(shape=(n,), **dataclasses.asdict(PARAMS), reset_interval=window, key_base=key_base)
    sink = io.sink.RingBuffer(shape=(n,), buffer=steps)
    src.s_out.connect(neurons.a_in)
    neurons.s_out.connect(sink.a_in)
    try:
        watchdog.guarded(lambda: src.create_runtime(run_cfg=Loihi2SimCfg(select_tag=tag)),
                         lambda: src.runtime, 120, "compile")
        watchdog.guarded(lambda: src.run(condition=RunSteps(num_steps=steps)),
                         lambda: src.runtime, 120, "run")
        out = sink.data.get()
        counts = neurons.spike_count.get()
    finally:
        src.stop()
    return out, counts


def _reference(drive: np.ndarray, window: int, key_base: int = 5) -> np.ndarray:
    n, steps = drive.shape
    out = np.zeros((n, steps), dtype=np.int64)
    state = bayes_lif.State.zeros((1, n))
    for step in range(steps):
        sample, t = key_base + step // window, step % window
        if t == 0:
            state = bayes_lif.State.zeros((1, n))
        eps = noise.logistic_noise(PARAMS.seed, np.arange(n), sample * window + t, PARAMS.delta)[None]
        state = bayes_lif.step(state, drive[:, step][None], eps, PARAMS)
        out[:, step] = state.s[0]
    return out


@pytest.fixture(scope="module")
def drive():
    rng = np.random.default_rng(2)
    d = np.zeros((8, 48), dtype=np.int64)
    hits = rng.random(d.shape) < 0.25
    d[hits] = rng.integers(100, 700, size=hits.sum())
    return d


def test_fixed_pt_is_bit_exact(drive):
    ref = _reference(drive, window=16)
    ours, counts = _lava(drive, 16, "fixed_pt")
    assert ref.sum() > 3
    assert np.array_equal(ours.astype(np.int64), ref)
    assert np.array_equal(counts, ref.sum(axis=1))


def test_floating_pt_agrees_closely(drive):
    ref = _reference(drive, window=16)
    ours, _ = _lava(drive.astype(float), 16, "floating_pt")
    assert (ours.astype(np.int64) == ref).mean() > 0.95
