"""Issue 20: a sweep of 6 digits BEAM-Net runs on 2 Ray workers vs the same 6 runs one after
another, side by side in one process; the embedded Ray's start-up cost; determinism.

    python benchmarks/bench_sweep.py [--epochs 10] [--workers 2] [--json out.json]

Measured (--epochs 2, shared machine at load 5.6-8.7): sequential 361 s, sweep 66 / 57 s,
6.4x (contention on the busy machine inflates it; 2 cores bound pure parallelism near 2x),
identical metrics and checkpoints twice; docs/sweeps.md.

Sequential: :func:`beamnet_lava.training.trainer.train` in a loop in this process with
torch on every core (what a plain shell loop gets). Parallel: ``beamnet-lava sweep``'s
library call (embedded Ray, ``workers`` tasks of cores / workers threads each), timed from
before Ray starts to after it stops. The parallel sweep is run twice: its per-run metrics
and checkpoints must be identical. The load average is printed before and after: on a
shared machine other jobs take cores and the ratio says so.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

TIMING = ("train_seconds", "seconds_per_epoch", "history")


def _metrics(run: Path) -> dict:
    m = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in m.items() if k not in TIMING}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ray_start_seconds(workers: int) -> dict:
    """Embedded Ray: start, one no-op task per worker, shutdown (what a sweep pays once)."""
    from beamnet_lava.sweep.engine import Engine, _ray

    ray = _ray()
    t0 = time.perf_counter()
    with Engine(None, workers, 1) as eng:
        t1 = time.perf_counter()
        ray.get([ray.remote(num_cpus=1)(lambda: os.getpid()).remote() for _ in range(workers)])
        t2 = time.perf_counter()
    return {"init_s": eng.seconds_to_start, "first_tasks_s": t2 - t1,
            "shutdown_s": time.perf_counter() - t2, "total_s": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=10, help="BEAM-Net epochs per run (default config: 10)")
    ap.add_argument("--runs", type=int, default=6, help="runs: seeds 0..runs-1")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from beamnet_lava.config import BeamnetConfig
    from beamnet_lava.sweep import Sweep, run_sweep
    from beamnet_lava.workflows.train import train

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    seeds = list(range(args.runs))
    base = BeamnetConfig(epochs=args.epochs).to_dict()
    out: dict = {"epochs": args.epochs, "runs": args.runs, "workers": args.workers,
                 "cores": os.cpu_count(), "load_before": os.getloadavg()}
    try:
        out["ray_start"] = ray_start_seconds(args.workers)

        import torch

        torch.set_num_threads(os.cpu_count() or 1)     # a plain loop uses every core for torch
        t0 = time.perf_counter()
        for s in seeds:
            train(BeamnetConfig(epochs=args.epochs, seed=s), tmp / "seq" / f"seed={s}", progress=False)
        out["sequential_s"] = time.perf_counter() - t0

        sweeps = []
        for name in ("par1", "par2"):
            t0 = time.perf_counter()
            summary = run_sweep(Sweep(tmp / name, base, seeds, {}), workers=args.workers, progress=False)
            sweeps.append({"wall_s": time.perf_counter() - t0, "ray_init_s": summary["engine"]["seconds_to_start"],
                           "counts": summary["counts"]})
        out["parallel"] = sweeps
        out["load_after"] = os.getloadavg()

        runs = {name: [tmp / name / "runs" / f"seed={s}" for s in seeds] for name in ("par1", "par2")}
        out["parallel_twice_identical_metrics"] = all(
            _metrics(a) == _metrics(b) for a, b in zip(runs["par1"], runs["par2"]))
        out["parallel_twice_identical_checkpoints"] = all(
            _sha(a / "checkpoint.pt") == _sha(b / "checkpoint.pt") for a, b in zip(runs["par1"], runs["par2"]))
        out["sequential_vs_parallel_identical_metrics"] = all(
            _metrics(tmp / "seq" / f"seed={s}") == _metrics(b) for s, b in zip(seeds, runs["par1"]))
        out["test_accuracy"] = [_metrics(b)["test_accuracy"] for b in runs["par1"]]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    best = min(p["wall_s"] for p in out["parallel"])
    out["speedup"] = out["sequential_s"] / best
    out["speedup_without_ray_start"] = out["sequential_s"] / min(p["wall_s"] - p["ray_init_s"] for p in out["parallel"])
    rs = out["ray_start"]
    print(f"{args.runs} digits BEAM-Net runs ({args.epochs} epochs), {os.cpu_count()} cores, "
          f"load average before {out['load_before'][0]:.1f}, after {out['load_after'][0]:.1f}")
    print(f"sequential (one process, torch on every core): {out['sequential_s']:.1f} s")
    for i, p in enumerate(out["parallel"], 1):
        print(f"sweep {i}, {args.workers} Ray workers: {p['wall_s']:.1f} s wall (Ray start {p['ray_init_s']:.1f} s), "
              f"{p['counts']}")
    print(f"speed-up {out['speedup']:.2f}x (without Ray's start: {out['speedup_without_ray_start']:.2f}x); "
          f"aim >= 1.7x")
    print(f"embedded Ray alone: init {rs['init_s']:.1f} s + first tasks {rs['first_tasks_s']:.1f} s + "
          f"shutdown {rs['shutdown_s']:.1f} s = {rs['total_s']:.1f} s")
    print(f"same sweep twice: identical per-run metrics {out['parallel_twice_identical_metrics']}, "
          f"identical checkpoints {out['parallel_twice_identical_checkpoints']}; sequential (all cores) "
          f"vs sweep (1 thread per worker) metrics identical {out['sequential_vs_parallel_identical_metrics']}")
    print("test accuracy per seed: " + ", ".join(f"{a:.4f}" for a in out["test_accuracy"]))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
