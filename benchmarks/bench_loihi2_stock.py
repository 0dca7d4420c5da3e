"""Exact (stochastic) BEAM-Net vs its stock-process Loihi 2 variant, side by side on Lava's CPU simulator.

Trains the default digits BEAM-Net (or takes --run), exports it twice (`export` and
`export --target loihi2`), runs both on the same test split with Lava fixed_pt and prints
accuracy, ECE, spikes per sample, active fraction and each one's spike parity with its own
training-side model. These are CPU-simulator figures, not chip measurements.

    python benchmarks/bench_loihi2_stock.py [--run RUN_DIR] [--samples 360] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava.config import BeamnetConfig
from beamnet_lava.deploy.stock_beamnet import export_stock
from beamnet_lava.netx_export import export_run
from beamnet_lava.sim_cpu.dataset_run import run_dataset
from _common import run_or_train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, help="a trained BEAM-Net run [default: train the digits default]")
    ap.add_argument("--samples", type=int, default=None, help="first N test samples [default: all]")
    ap.add_argument("--json", type=Path, help="also write both reports' summaries here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="beamnet-stock-bench-"))
    run = run_or_train(args.run, BeamnetConfig(), work)
    export_run(run, work / "exact.net")
    export_stock(run, work / "stock.net")
    rows = {name: run_dataset(work / f"{name}.net", samples=args.samples, progress=False)
            for name in ("exact", "stock")}
    same = sum(a == b for a, b in zip(rows["exact"]["predictions"], rows["stock"]["predictions"]))
    keys = ("accuracy", "ece", "spikes_per_sample", "active_fraction", "parity", "time_steps")
    print(f"{rows['exact']['n_samples']} {rows['exact']['dataset']} test samples "
          f"({rows['exact']['split']}), Lava CPU simulation (fixed_pt): NOT chip figures")
    print(f"{'metric':<20}{'exact (microcode)':>20}{'stock (Loihi 2)':>20}")
    for k in keys:
        e = rows["exact"].get(k)
        if k == "spikes_per_sample" and e is None:
            e = rows["exact"]["spikes"]["memory"] / rows["exact"]["n_samples"]
        print(f"{k:<20}{e:>20.4f}{rows['stock'][k]:>20.4f}")
    print(f"prediction agreement between the two models: {same / len(rows['stock']['predictions']):.4f}")
    if args.json:
        args.json.write_text(json.dumps({n: {k: r.get(k) for k in keys + ("n_samples", "split")}
                                         for n, r in rows.items()}, indent=1))


if __name__ == "__main__":
    main()
