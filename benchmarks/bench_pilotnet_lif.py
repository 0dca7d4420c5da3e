"""PilotNet LIF (lava-dl's gts/pilotnet_lif) on Lava's CPU simulator, against lava-dl's reference.

Runs lava-dl's PilotNet LIF NetX file (input block 3x66x200 -> 5 conv -> flatten -> 4 dense,
1 million synapses per step) through beamnet-lava's lava-dl path (stock lava.proc.conv Conv,
Dense and LIFReset processes) with the reference image as the input neurons' bias, and reports:

1. per layer (input, conv-0..4, fc-0..2), identical spike entries with lava-dl's recorded spikes
   over all 24 recorded steps (reset every 17 steps, as the reference was recorded);
2. compile time, simulated steps per second and samples per second for --samples images of
   --steps steps each, streamed through one compiled network;
3. peak resident memory of this process and of the Lava children (ru_maxrss).

Reference data: lava-nc/lava-dl tests/lava/lib/dl/netx/gts/pilotnet_lif (BSD-3-Clause), read from
../shared/data/reference/lava-dl/ (README there).

    python benchmarks/bench_pilotnet_lif.py [--samples 4] [--steps 17] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava.netx_export.lavadl_file import read_lavadl
from beamnet_lava.sim_cpu.lavadl_graph import LavadlOptions, netx_order, run_lavadl

REF = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference" / "lava-dl" / "gts" / "pilotnet_lif"
NAMES = ["input"] + [f"conv-{i}" for i in range(5)] + [f"fc-{i}" for i in range(3)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--steps", type=int, default=17)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    net = read_lavadl(REF / "network.net")
    image = np.load(REF / "image.npy").transpose(2, 1, 0)            # (W, H, C) -> (C, H, W)
    t0 = time.perf_counter()
    parity_run = run_lavadl(net, np.stack([image, image]), LavadlOptions(time_steps=17), keep_streams=True)
    parity_wall = time.perf_counter() - t0
    layers = {}
    for k, name in enumerate(NAMES):
        gt = np.load(REF / f"{name}.npy")
        gt = gt.transpose(2, 1, 0, 3) if gt.ndim == 4 else gt
        gt = gt.reshape(-1, gt.shape[-1]).T
        ours = netx_order(parity_run.streams[k], net.layers[k])[:len(gt)]
        layers[name] = {"neurons": int(gt.shape[1]), "reference_spikes": int(gt.sum()),
                        "identical_entries": float((ours == gt).mean()),
                        "identical": bool(np.array_equal(ours, gt))}

    images = np.stack([np.roll(image, s, axis=2) for s in range(args.samples)])   # shifted views
    result = run_lavadl(net, images, LavadlOptions(time_steps=args.steps))
    report = {
        "file": str(REF / "network.net"), "source": "lava-nc/lava-dl tests/lava/lib/dl/netx/gts/pilotnet_lif",
        "parity": layers, "all_layers_identical": all(v["identical"] for v in layers.values()),
        "parity_run_seconds": parity_wall,
        "throughput": {"samples": args.samples, "steps_per_sample": args.steps,
                       "compile_seconds": result.compile_seconds, "run_seconds": result.seconds,
                       "steps_per_s": result.steps / result.seconds,
                       "samples_per_s": args.samples / result.seconds,
                       "output_spikes": int(result.output.sum())},
        "peak_rss_MiB": {"this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                         "largest_lava_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024},
    }
    for name, v in layers.items():
        print(f"{name:7s} {v['neurons']:6d} neurons, {v['reference_spikes']:7d} reference spikes: "
              f"{v['identical_entries']:.2%} identical entries")
    tp = report["throughput"]
    print(f"all 9 layers identical to lava-dl's reference: {report['all_layers_identical']}")
    print(f"{args.samples} samples x {args.steps} steps: compile {tp['compile_seconds']:.1f} s, "
          f"{tp['steps_per_s']:.2f} steps/s, {tp['samples_per_s']:.3f} samples/s; peak RSS "
          f"{report['peak_rss_MiB']['this_process']:.0f} MiB here, "
          f"{report['peak_rss_MiB']['largest_lava_child']:.0f} MiB largest Lava child")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
