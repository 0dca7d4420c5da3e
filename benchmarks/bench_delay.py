"""RingDelayDense vs lava-nc's DelayDense on the digits BEAM-Net coincidence layer.

Same weights, delays and input spikes (latency-coded digits test samples),
DelayDense both as lava-dl's NetX builds it (max_delay=62) and with the tight
max_delay, run side by side on the Lava CPU simulator (fixed_pt); prints steps/s of each,
their ratio, whether the outputs are identical, and the per-step arithmetic of
each measured alone (at this size Lava's per-step messaging dominates wall time).

Then the workload a user runs: ``--lanes`` test samples of T steps each.
DelayDense has one copy of the layer, so it streams them one after another
(``lanes x T`` Lava steps); RingDelayDense runs them as ``lanes`` side-by-side
copies of the layer in ``T`` steps (its ``lanes`` argument, as BEAM-Net's Lava
runner uses it). Prints samples/s of each, the ratio, and whether every
sample's output is identical.

    python benchmarks/bench_delay.py [--samples 5] [--lanes 100] [--dataset digits|mnist]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import beamnet_lava  # noqa: F401  (lava shim)
import beamnet_lava.processes.ring_delay_dense.models  # noqa: F401
from beamnet_lava.config import BeamnetConfig
from beamnet_lava.data import load_split, times_to_raster
from beamnet_lava.models.beamnet import BeamNet, encoder_intensity
from beamnet_lava.processes.ring_delay_dense.process import RingDelayDense
from beamnet_lava.sim_cpu import watchdog


def run(conn, spikes):
    """Run ``conn`` on ``spikes``; returns (output, steps/s of the run phase, compile seconds).

    The output is read back after the clock stops: lava's sink ``Var.get()`` sends
    every element as its own message (~15 s for a million values here), the same
    volume for every variant, so it is not part of either timing.
    """
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc import io

    steps = spikes.shape[1]
    src = io.source.RingBuffer(data=spikes)
    sink = io.sink.RingBuffer(shape=conn.a_out.shape, buffer=steps)
    src.s_out.connect(conn.s_in)
    conn.a_out.connect(sink.a_in)
    try:
        t0 = time.perf_counter()
        watchdog.guarded(lambda: src.create_runtime(run_cfg=Loihi2SimCfg(select_tag="fixed_pt")),
                         lambda: src.runtime, 600, "compile")
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        watchdog.guarded(lambda: src.run(condition=RunSteps(num_steps=steps)), lambda: src.runtime,
                         3600, "run")
        seconds = time.perf_counter() - t0
        return sink.data.get(), steps / seconds, compile_s
    finally:
        src.stop()


def compute_only(w: np.ndarray, d: np.ndarray, spikes: np.ndarray, max_delay: int) -> tuple[float, float]:
    """Per-step arithmetic alone (no Lava runtime): DelayDense's masked-matrix update vs the ring.

    Uses lava-nc's own ``AbstractPyDelayDenseModel.get_delay_wgts_mat`` as DelayDense's
    ``calc_act`` does every step; returns (DelayDense, ring) seconds per step.
    """
    from lava.proc.dense.models import AbstractPyDelayDenseModel

    steps = spikes.shape[1]
    buff = np.zeros((w.shape[0], max_delay + 1))
    t0 = time.perf_counter()
    for t in range(steps):
        mat = AbstractPyDelayDenseModel.get_delay_wgts_mat(w, d, max_delay)
        act = np.reshape(np.sum(mat * spikes[:, t], axis=1), (max_delay + 1, w.shape[0])).T
        buff[:, 0] = 0
        buff = np.roll(buff, -1)
        buff += act
    dense_s = (time.perf_counter() - t0) / steps
    ring = np.zeros((int(d.max()) + 2, w.shape[0]))
    rows = np.arange(w.shape[0])[:, None]
    t0 = time.perf_counter()
    for t in range(steps):
        ring[t % len(ring)] = 0
        active = np.flatnonzero(spikes[:, t])
        if active.size:
            target = (t + 1 + d[:, active]) % len(ring)
            np.add.at(ring, (target, np.broadcast_to(rows, target.shape)), w[:, active])
    ring_s = (time.perf_counter() - t0) / steps
    return dense_s, ring_s


def main() -> None:
    from lava.proc.dense.process import DelayDense

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--lanes", type=int, default=100, help="samples in the workload comparison")
    ap.add_argument("--dataset", default="digits", help="digits (N=100) or mnist (N=400)")
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared/data/mnist"))
    args = ap.parse_args()
    mnist = args.dataset == "mnist"
    cfg = BeamnetConfig(n_memory=400 if mnist else 100)
    data = load_split(args.dataset, data_dir=args.data_dir if mnist else None)
    x_train = encoder_intensity(data.x_train, cfg)
    model = BeamNet(cfg, x_train.shape[1], 10)
    model.init_from_data(x_train, data.y_train, seed=0)
    w = model.weight_mantissa().detach().numpy().astype(np.int64)
    d = model.delays.numpy()
    x = encoder_intensity(data.x_test[:args.samples], cfg)
    raster = times_to_raster(model.encode_times(x), cfg.time_steps)          # (n, d, T)
    spikes = raster.transpose(1, 0, 2).reshape(raster.shape[1], -1).astype(np.int32)
    ours, ours_sps, _ = run(RingDelayDense(weights=w, delays=d), spikes)
    # lava-dl's NetX builds every delayed Dense with max_delay=62 (netx/blocks/process.py)
    ref, ref_sps, _ = run(DelayDense(weights=w, delays=d, max_delay=62), spikes)
    tight, tight_sps, _ = run(DelayDense(weights=w, delays=d, max_delay=int(d.max())), spikes)
    print(f"{args.dataset} BEAM-Net coincidence layer: N={w.shape[0]}, inputs={w.shape[1]}, "
          f"max delay {d.max()}, {spikes.shape[1]} steps ({args.samples} samples x T={cfg.time_steps})")
    print(f"DelayDense (max_delay=62, as NetX builds it) {ref_sps:8.1f} steps/s")
    print(f"DelayDense (max_delay={int(d.max())})              {tight_sps:8.1f} steps/s")
    print(f"RingDelayDense                              {ours_sps:8.1f} steps/s")
    print(f"ratio vs NetX's DelayDense {ours_sps / ref_sps:.1f}x, vs tight DelayDense "
          f"{ours_sps / tight_sps:.1f}x; outputs identical: "
          f"{bool(np.array_equal(ours, ref) and np.array_equal(ours, tight))}")
    dense_s, ring_s = compute_only(w, d, spikes, 62)
    print(f"per-step arithmetic alone (no Lava runtime): DelayDense(max_delay=62) "
          f"{dense_s * 1e6:.0f} us, ring {ring_s * 1e6:.0f} us: {dense_s / ring_s:.0f}x")
    workload(model, cfg, data, w, d, args.lanes)


def workload(model: BeamNet, cfg: BeamnetConfig, data, w: np.ndarray, d: np.ndarray, n: int) -> None:
    """``n`` samples: DelayDense streams them (n x T steps), the ring runs n lanes (T steps)."""
    from lava.proc.dense.process import DelayDense

    from beamnet_lava.sim_cpu.lanes import pack as pack_lanes, unpack as unpack_lanes

    T = cfg.time_steps
    x = encoder_intensity(data.x_test[:n], cfg)
    raster = times_to_raster(model.encode_times(x), T).astype(np.int32)        # (n, d, T)
    n = len(raster)
    serial = raster.transpose(1, 0, 2).reshape(raster.shape[1], -1)
    ref, ref_sps, ref_compile = run(DelayDense(weights=w, delays=d, max_delay=62), serial)
    ours, ours_sps, ours_compile = run(RingDelayDense(weights=w, delays=d, lanes=n),
                                       pack_lanes(raster, n)[0])
    dense_run, ring_run = n * T / ref_sps, T / ours_sps
    dense_s, ring_s = ref_compile + dense_run, ours_compile + ring_run
    ref_per_sample = ref.reshape(w.shape[0], n, T).transpose(1, 0, 2)           # (n, N, T)
    ours_per_sample = unpack_lanes(ours[None], n, n)
    same = bool(np.array_equal(ref_per_sample, ours_per_sample))
    print(f"workload, {n} samples x T={T}: DelayDense(max_delay=62) streams them, RingDelayDense "
          f"runs {n} lanes; every sample's output identical: {same}")
    print(f"  run phase:     DelayDense {n / dense_run:8.1f} samples/s, RingDelayDense "
          f"{n / ring_run:8.1f} samples/s: {dense_run / ring_run:.1f}x")
    print(f"  compile + run: DelayDense {dense_s:6.2f} s, RingDelayDense {ring_s:6.2f} s: "
          f"{dense_s / ring_s:.1f}x (read-back through lava's sink not timed, see run())")


if __name__ == "__main__":
    main()
