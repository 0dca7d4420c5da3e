"""The BayesLIF Lava process against the neutral definitions (bayes_lif.step, step_float)."""
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


def _reference(drive: np.ndarray, window: int, key_base: int = 5, precision: str = "fixed") -> np.ndarray:
    """The neutral step (fixed: ``bayes_lif.step``, float: ``bayes_lif.step_float``) over the stream."""
    n, steps = drive.shape
    fixed = precision == "fixed"
    step = bayes_lif.step if fixed else bayes_lif.step_float
    draw = noise.logistic_noise if fixed else noise.logistic_noise_float
    zeros = lambda: bayes_lif.State(*(np.zeros((1, n), np.int64 if fixed else float) for _ in range(5)))  # noqa: E731
    out = np.zeros((n, steps), dtype=np.int64)
    state = zeros()
    for i in range(steps):
        sample, t = key_base + i // window, i % window
        if t == 0:
            state = zeros()
        key = noise.noise_step(sample, 0, t, window, window)
        eps = draw(PARAMS.seed, np.arange(n), key, PARAMS.delta)[None]
        state = step(state, drive[:, i][None], eps, PARAMS)
        out[:, i] = state.s[0]
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


def test_floating_pt_is_the_float_step(drive):
    """floating_pt is exactly ``bayes_lif.step_float``; and that step spikes where the fixed one does."""
    ref = _reference(drive.astype(float), window=16, precision="float")
    ours, counts = _lava(drive.astype(float), 16, "floating_pt")
    assert np.array_equal(ours.astype(np.int64), ref)
    assert np.array_equal(counts, ref.sum(axis=1))
    fixed = _reference(drive, window=16)
    both = (ref & fixed).sum()
    # a silent float model fails both; flooring moves a spike at most now and then
    assert both >= 0.8 * fixed.sum() and both >= 0.8 * ref.sum()


def test_parameters_are_vars(drive):
    """theta, w_inh, the noise seed, ... are Vars: readable, and a set takes effect."""
    n, steps = drive.shape
    src = io.source.RingBuffer(data=drive)
    neurons = BayesLIF(shape=(n,), **dataclasses.asdict(PARAMS), reset_interval=16, key_base=5)
    sink = io.sink.RingBuffer(shape=(n,), buffer=steps)
    src.s_out.connect(neurons.a_in)
    neurons.s_out.connect(sink.a_in)
    run = lambda: watchdog.guarded(lambda: src.run(condition=RunSteps(num_steps=steps)),  # noqa: E731
                                   lambda: src.runtime, 120, "run")
    try:
        watchdog.guarded(lambda: src.create_runtime(run_cfg=Loihi2SimCfg(select_tag="fixed_pt")),
                         lambda: src.runtime, 120, "compile")
        run()
        assert [int(getattr(neurons, k).get()[0]) for k in ("theta", "w_inh", "seed", "du")] == \
            [PARAMS.theta, PARAMS.w_inh, PARAMS.seed, PARAMS.du]
        before = neurons.spike_count.get().sum()
        assert before == _reference(drive, window=16).sum() > 3
        neurons.theta.set(np.array([1 << 22]))           # far above any voltage: silence
        run()                                            # the source repeats the same drive
        assert int(neurons.theta.get()[0]) == 1 << 22
        assert neurons.spike_count.get().sum() == before
    finally:
        src.stop()
