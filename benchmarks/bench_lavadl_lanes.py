"""Lanes for conv networks on Lava: throughput against one lane, measured side by side in one run.

A conv network exported by slayer's own blocks (N-MNIST-shaped input 2x34x34 -> Conv 8, 5x5,
stride 2 -> sum Pool 2x2 -> Flatten -> Dense 10; random weights, seed 0) runs the same random
input spikes (p = 0.1) with ``--lanes`` 1 and each larger lane count. Lanes stack samples on the
channel axis of every port: a conv or pool of L lanes is one ``LaneConv`` (lanes as the batch axis
of one product per group), a dense one ``LaneDense``; ``--stock L`` adds L lanes as before
``LaneConv`` (one stock ``lava.proc.conv.Conv`` with L times the groups, its kernel repeated per
lane). Reported: samples/s, the ratio to one lane, whether every layer's spikes are identical to
the one-lane run, and the peak PSS of the Lava process tree.

    OMP_NUM_THREADS=1 python benchmarks/bench_lavadl_lanes.py [--samples 32] [--steps 16] \
        [--lanes 8,32] [--stock 8] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava._quiet import import_slayer
from bench_csnn_lanes import stock_conv_lanes
from bench_lanes import PeakMemory
from beamnet_lava.netx_export.lavadl_file import read_lavadl
from beamnet_lava.sim_cpu import lavadl_procs
from beamnet_lava.sim_cpu.lavadl_graph import LavadlOptions, run_lavadl


def network(path: Path) -> None:
    slayer = import_slayer()
    p = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03, "requires_grad": False}
    torch.manual_seed(0)
    blocks = [slayer.block.cuba.Conv(p, 2, 8, 5, stride=2, padding=1, weight_scale=3),
              slayer.block.cuba.Pool(p, 2, weight_scale=2), slayer.block.cuba.Flatten(),
              slayer.block.cuba.Dense(p, 8 * 8 * 8, 10, weight_scale=3)]
    x = torch.zeros(1, 2, 34, 34, 2)
    with torch.no_grad():
        for b in blocks:
            x = b(x)
    with h5py.File(path, "w") as f:
        layer = f.create_group("layer")
        for i, b in enumerate(blocks):
            b.export_hdf5(layer.create_group(str(i)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--lanes", default="8,32")
    ap.add_argument("--stock", type=int, default=0, help="also run L lanes as stock Conv x L groups")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "conv.net"
        network(path)
        net = read_lavadl(path, input_shape=(2, 34, 34))
        spikes = (np.random.default_rng(0).random((args.samples, args.steps, 2, 34, 34)) < 0.1).astype(np.uint8)
        rows, base = [], None
        runs = [("laneconv", 1)] + [("laneconv", int(v)) for v in args.lanes.split(",")]
        if args.stock:
            runs.insert(1, ("stock", args.stock))
        for kind, lanes in runs:
            original = lavadl_procs._synapse
            if kind == "stock":
                lavadl_procs._synapse = stock_conv_lanes
            t0 = time.perf_counter()
            try:
                with PeakMemory() as mem:
                    res = run_lavadl(net, spikes, LavadlOptions(lanes=lanes, chunk_samples=args.samples))
            finally:
                lavadl_procs._synapse = original
            wall = time.perf_counter() - t0
            if base is None:
                base = res
            same = all(np.array_equal(a, b) for a, b in zip(base.layers, res.layers))
            rows.append({"graph": kind, "lanes": res.lanes, "run_seconds": res.seconds,
                         "compile_seconds": res.compile_seconds, "wall_seconds": wall,
                         "samples_per_s": args.samples / res.seconds, "identical_to_one_lane": same,
                         "peak_memory_bytes": mem.peak})
    for r in rows:
        r["speedup"] = r["samples_per_s"] / rows[0]["samples_per_s"]
        print(f"{r['graph']:8s} lanes {r['lanes']:3d}: {r['samples_per_s']:8.2f} samples/s ({r['speedup']:.1f}x one "
              f"lane), compile {r['compile_seconds']:.1f} s, every layer identical to one lane: "
              f"{r['identical_to_one_lane']}, peak {r['peak_memory_bytes'] / 2**30:.2f} GiB")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps({"samples": args.samples, "steps": args.steps, "rows": rows,
                                         "load": os.getloadavg()[0]}, indent=1) + "\n")


if __name__ == "__main__":
    main()
