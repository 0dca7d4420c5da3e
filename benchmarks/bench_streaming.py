"""Streaming N samples through one compiled Lava network vs compiling per sample.

Measured side by side in one run, on the same exported digits network and the
same samples; also re-checks fixed_pt parity on >= 100 test samples.

    python benchmarks/bench_streaming.py [--samples 100] [--per-sample 10] [--run-dir DIR]

Without --run-dir it trains the default digits SNN first (about 5 s).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava.config import SNNConfig
from beamnet_lava.data import load_split, rate_encode
from beamnet_lava.netx_export import export_run, read_netx
from beamnet_lava.sim_cpu import LavaNetwork
from beamnet_lava.sim_cpu.dataset_run import run_dataset
from _common import run_or_train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=100, help="samples streamed (and parity-checked)")
    ap.add_argument("--per-sample", type=int, default=10, help="samples compiled one by one")
    ap.add_argument("--run-dir", type=Path, help="an existing digits run dir (skips training)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="beamnet-bench-"))
    run_dir = run_or_train(args.run_dir, SNNConfig(), work)
    net_path = work / "model.net"
    export_run(run_dir, net_path)
    window = int(read_netx(net_path).attrs["time_steps"])

    report = run_dataset(net_path, "digits", args.samples, progress=False)

    x_test = load_split("digits", seed=int(read_netx(net_path).attrs["seed"])).x_test
    spikes = rate_encode(x_test[:args.per_sample], window)
    t0 = time.perf_counter()
    for k in range(len(spikes)):
        with LavaNetwork(net_path, window) as lava:
            lava.run(spikes[k:k + 1])
    per_sample_s = (time.perf_counter() - t0) / len(spikes)

    t0 = time.perf_counter()
    with LavaNetwork(net_path, window) as lava:
        lava.run(rate_encode(x_test[:args.samples], window))
    streamed_total = time.perf_counter() - t0   # build + compile + run + stop, like the loop above
    stream_s = streamed_total / args.samples

    figures = {
        "samples_streamed": args.samples,
        "parity_fixed_pt": report["parity"],
        "lava_accuracy": report["accuracy"],
        "stream_samples_per_s": args.samples / streamed_total,
        "stream_run_samples_per_s": report["samples_per_s"],
        "stream_steps_per_s": report["steps_per_s"],
        "compile_per_sample_samples_per_s": 1.0 / per_sample_s,
        "speedup_stream_vs_compile_per_sample": per_sample_s / stream_s,
    }
    print(f"parity (fixed_pt, {args.samples} digits test samples): {report['parity']:.1%}; "
          f"Lava accuracy {report['accuracy']:.4f}")
    print(f"streamed through one compiled network: {figures['stream_samples_per_s']:.1f} samples/s "
          f"end to end ({report['steps_per_s']:.0f} steps/s while running)")
    print(f"compiled per sample ({args.per_sample} samples): "
          f"{figures['compile_per_sample_samples_per_s']:.2f} samples/s")
    print(f"ratio stream / per-sample: {figures['speedup_stream_vs_compile_per_sample']:.1f}x")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
