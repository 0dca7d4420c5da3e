"""Lanes for a trained CSNN on Lava: throughput against one lane and against the training model's
batched inference, spike parity and peak memory, side by side in one run.

    beamnet-lava train --model csnn --dataset digits --epochs 2 --out runs/csnn_digits
    beamnet-lava export runs/csnn_digits -o csnn_digits.net
    OMP_NUM_THREADS=1 python benchmarks/bench_csnn_lanes.py csnn_digits.net \
        [--lanes 1,16,32,auto] [--stock 8] [--samples N] [--data-dir DIR] [--json OUT]

Every lane count runs the same test samples (``--samples``, default all) through the file on
Lava's CPU simulator (fixed point). Reported per run: samples/s of the run (compilation
apart), the ratio to one lane, spike parity (every layer's spike trains identical to the
training model's, per sample) and the peak PSS of the Lava process tree. ``--stock L`` adds
the representation lanes had before ``LaneConv``: each conv and pool of L lanes one stock
``lava.proc.conv.Conv`` with L times the groups (its kernel repeated per lane; lanes x groups
<= 127). The training model (the CSNN rebuilt from the file, slayer blocks, torch with the
threads the environment allows) is timed on the same encoded spikes in batches of 256,
forward only, best of three.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

import beamnet_lava  # noqa: F401  (lava shim)
from bench_lanes import PeakMemory
from beamnet_lava.netx_export.csnn_file import read_csnn
from beamnet_lava.sim_cpu import lavadl_procs
from beamnet_lava.sim_cpu.csnn_run import dataset_spikes
from beamnet_lava.sim_cpu.dataset_run import run_dataset


def stock_conv_lanes(stage: dict, fixed: bool, _laned=lavadl_procs._synapse):
    """The pre-LaneConv graph: a conv or pool of L lanes as one stock Conv of L x groups."""
    lanes = int(stage.get("lanes", 1))
    if stage["kind"] not in ("conv", "pool") or lanes == 1:
        return _laned(stage, fixed)
    from lava.proc.conv.process import Conv

    w, h, c = stage["in_shape"]
    return Conv(weight=np.tile(stage["weight"], (lanes, 1, 1, 1)), input_shape=(w, h, lanes * c),
                padding=tuple(stage["padding"]), stride=tuple(stage["stride"]),
                dilation=tuple(stage["dilation"]), groups=lanes * int(stage["groups"]),
                num_message_bits=int(stage["message_bits"]))


def training_model_rate(path: Path, samples: int | None, data_dir: str | None, batch: int = 256) -> float:
    net = read_csnn(path)
    spikes = dataset_spikes(net, None, samples, "test", data_dir, None, None)[0]
    model = net.to_model().eval()
    best = float("inf")
    with torch.no_grad():
        for _ in range(3):
            t0 = time.perf_counter()
            for i in range(0, len(spikes), batch):
                model(torch.from_numpy(np.asarray(spikes[i:i + batch], dtype=np.float32)))
            best = min(best, time.perf_counter() - t0)
    return len(spikes) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path, help="an exported CSNN (NetX)")
    ap.add_argument("--lanes", default="1,16,32,auto", help="comma separated lane counts; 1 first")
    ap.add_argument("--stock", type=int, default=0, help="also run L lanes as stock Conv x L groups")
    ap.add_argument("--samples", type=int)
    ap.add_argument("--data-dir")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    load0 = os.getloadavg()
    print(f"load average at start {load0[0]:.1f} on {os.cpu_count()} cores, torch threads "
          f"{torch.get_num_threads()}", flush=True)
    runs = [("laneconv", v if v == "auto" else int(v)) for v in args.lanes.split(",")]
    if args.stock:
        runs.insert(1, ("stock", args.stock))
    rows = []
    for kind, lanes in runs:
        original = lavadl_procs._synapse
        if kind == "stock":
            lavadl_procs._synapse = stock_conv_lanes
        try:
            with PeakMemory() as mem:
                r = run_dataset(args.file, None, args.samples, lanes=lanes, data_dir=args.data_dir,
                                progress=False)
        finally:
            lavadl_procs._synapse = original
        rows.append({"graph": kind, "lanes": r.details["lanes"], "n_samples": r.n_samples,
                     "samples_per_s": r.samples_per_s, "run_seconds": r.run_seconds,
                     "compile_seconds": r.compile_seconds, "spike_parity": r.spike_parity,
                     "prediction_agreement": r.prediction_agreement, "accuracy": r.accuracy,
                     "peak_memory_bytes": mem.peak, "predictions": list(r.predictions)})
    torch_rate = training_model_rate(args.file, args.samples, args.data_dir)
    base = rows[0]["samples_per_s"]
    for r in rows:
        r["vs_one_lane"] = r["samples_per_s"] / base
        r["vs_training_model"] = r["samples_per_s"] / torch_rate
        same = r["predictions"] == rows[0]["predictions"]
        print(f"{r['graph']:8s} lanes {r['lanes']:4d}: {r['samples_per_s']:8.1f} samples/s "
              f"({r['vs_one_lane']:5.1f}x one lane, {r['vs_training_model']:.2f}x the training model), "
              f"run {r['run_seconds']:.2f} s, compile {r['compile_seconds']:.1f} s, spike parity "
              f"{r['spike_parity']:.1%}, predictions as one lane: {same}, peak "
              f"{r['peak_memory_bytes'] / 2**30:.2f} GiB", flush=True)
    load1 = os.getloadavg()
    print(f"training model (batches of 256, forward): {torch_rate:,.1f} samples/s on {rows[0]['n_samples']} "
          f"samples; load average at end {load1[0]:.1f}")
    if args.json:
        for r in rows:
            r.pop("predictions")
        args.json.write_text(json.dumps({"file": str(args.file), "training_model_samples_per_s": torch_rate,
                                         "load": [load0[0], load1[0]], "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
