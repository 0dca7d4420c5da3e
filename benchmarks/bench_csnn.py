"""The convolutional SNN (--model csnn) on the MNIST-10k split: accuracy over seeds, Lava parity.

    OMP_NUM_THREADS=1 python benchmarks/bench_csnn.py --data-dir ../shared/data/mnist \
        [--config configs/csnn_mnist.yaml] [--seeds 0 1 2 3 4] [--epochs N] [--samples 200] \
        [--json out.json] [--keep DIR]

For each seed: trains the preset (best epoch on validation), reports validation and test
accuracy of the training model, exports it to lava-dl's NetX format, and runs ``--samples``
test samples on the Lava CPU simulator (fixed point): spike parity (every layer's spike
trains identical to the training model's), prediction agreement, Lava accuracy and
throughput. The summary gives the mean test accuracy with a 95 % t interval over the
seeds (the issue's target: >= 98 %; the same-size-budget ANN-MLP reaches 94.4 % there,
docs/sweeps.md). ``--config configs/csnn_saccade_mnist.yaml`` runs the same on N-MNIST-format
saccade events of the split (2 x 34 x 34; the MNIST preset's pad-2 first convolution gives 17 x 17
maps there, which its 2 x 2 pool cannot tile).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava import config as config_mod
from beamnet_lava.workflows.train import train
from beamnet_lava.netx_export import export_run
from beamnet_lava.sim_cpu.dataset_run import run_dataset

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True, help="MNIST IDX folder (e.g. ../shared/data/mnist)")
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "csnn_mnist.yaml")
    ap.add_argument("--dataset", default=None, help="override the preset's dataset (e.g. saccade-mnist)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--set", dest="sets", action="append", default=[], help="key=value overrides")
    ap.add_argument("--samples", type=int, default=200, help="test samples run on Lava per seed")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", type=Path, help="keep run directories here (default: a temp folder)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="beamnet-bench-csnn-"))
    base = config_mod.load(args.config).replace(
        data_dir=args.data_dir, epochs=args.epochs, dataset=args.dataset,
        **dict(config_mod.parse_override(s) for s in args.sets))
    rows = []
    for seed in args.seeds:
        cfg = base.replace(seed=seed)
        run_dir = work / f"seed{seed}"
        t0 = time.perf_counter()
        m = train(cfg, run_dir, progress=False, force=True)
        train_s = time.perf_counter() - t0
        net = run_dir / "model.net"
        export_run(run_dir, net, force=True)
        rep = run_dataset(net, data_dir=args.data_dir, samples=args.samples, progress=False,
                          timeout_s=1800)
        row = {"seed": seed, "val_accuracy": m["val_accuracy"], "test_accuracy": m["test_accuracy"],
               "best_epoch": m["best_epoch"], "ece": m["ece"], "train_seconds": train_s,
               "energy_per_inference_nJ": m["energy_per_inference_nJ"],
               "lava_samples": rep.n_samples, "lava_accuracy": rep.accuracy,
               "spike_parity": rep.spike_parity, "prediction_agreement": rep.prediction_agreement,
               "lava_samples_per_s": rep.samples_per_s}
        rows.append(row)
        print(json.dumps(row), flush=True)
    acc = np.array([r["test_accuracy"] for r in rows])
    half = (stats.t.ppf(0.975, len(acc) - 1) * acc.std(ddof=1) / np.sqrt(len(acc))) if len(acc) > 1 else float("nan")
    summary = {"config": str(args.config), "dataset": base.dataset, "layers": list(base.layers),
               "epochs": base.epochs, "seeds": args.seeds, "test_accuracy_mean": float(acc.mean()),
               "test_accuracy_ci95": [float(acc.mean() - half), float(acc.mean() + half)],
               "val_accuracy_mean": float(np.mean([r["val_accuracy"] for r in rows])),
               "spike_parity_min": min(r["spike_parity"] for r in rows), "runs": rows}
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
