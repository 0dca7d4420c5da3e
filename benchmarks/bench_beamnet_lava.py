"""BEAM-Net on the Lava CPU simulator: fixed_pt parity and throughput, side by side.

Trains the default digits BEAM-Net (about 10 s), exports it, runs the test split
on Lava with 1 lane and with 16 lanes (samples simulated side by side), and in
floating point; prints parity with the training model and samples/s of each.

    python benchmarks/bench_beamnet_lava.py [--samples 360]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava.config import BeamnetConfig
from beamnet_lava.netx_export import export_run
from beamnet_lava.sim_cpu.dataset_run import run_dataset
from beamnet_lava.workflows.train import train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=360)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="beamnet-bench-"))
    metrics = train(BeamnetConfig(), work / "run", progress=False)
    export_run(work / "run", work / "bn.net")
    print(f"training model: test accuracy {metrics['single_window']['accuracy']:.4f} (one window)")
    rows = []
    for precision, lanes in (("fixed", 1), ("fixed", 16), ("float", 16)):
        r = run_dataset(work / "bn.net", "digits", args.samples, precision=precision, lanes=lanes,
                        progress=False)
        rows.append(r)
        print(f"{precision:5} lanes={lanes:2}: parity {r['parity']:.1%}, predictions agree "
              f"{r['prediction_agreement']:.1%}, max |uncertainty diff| "
              f"{r['max_uncertainty_difference']:.2g}, accuracy {r['accuracy']:.4f}, "
              f"{r['samples_per_s']:.1f} samples/s ({r['steps_per_s']:.0f} steps/s)")
    print(f"ratio 16 lanes / 1 lane (fixed): {rows[1]['samples_per_s'] / rows[0]['samples_per_s']:.1f}x")


if __name__ == "__main__":
    main()
