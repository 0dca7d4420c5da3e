"""Issue 5 targets: BEAM-Net vs the ANN-MLP and rate-SNN baselines on one split, side by side.

Trains the three models with the same seed and split (or reuses run dirs under
--runs), evaluates each with every OOD set, times the evaluation, and prints
the DuckDB comparison plus the energy ratios. Usage:

    python benchmarks/bench_evaluation.py                       # digits
    python benchmarks/bench_evaluation.py --dataset mnist       # MNIST-10k split (../shared/data/mnist),
                                                                # BEAM-Net from configs/beamnet_mnist.yaml
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from beamnet_lava import config as config_mod
from beamnet_lava.evaluation.compare import compare
from beamnet_lava.evaluation.evaluate import evaluate_run
from beamnet_lava.training.checkpoint import METRICS

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="digits", choices=["digits", "mnist"])
    ap.add_argument("--data-dir", default=str(SHARED_MNIST))
    ap.add_argument("--runs", default="runs/bench_evaluation", help="where run dirs go (reused if present)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], help="BEAM-Net override key=value (repeatable)")
    ap.add_argument("--json", default=None, help="write all numbers to this JSON file")
    args = ap.parse_args()

    from beamnet_lava.workflows.train import train

    base = Path(args.runs) / args.dataset
    common = {"dataset": args.dataset, "seed": args.seed,
              "data_dir": args.data_dir if args.dataset == "mnist" else None}
    beam_over = dict(config_mod.parse_override(s) for s in args.set)
    # MNIST: BEAM-Net starts from the shipped preset (configs/beamnet_mnist.yaml)
    beam_base = (config_mod.load(ROOT / "configs" / "beamnet_mnist.yaml") if args.dataset == "mnist"
                 else config_mod.BeamnetConfig())
    beam_cfg = beam_base.replace(**common, **beam_over)
    from beamnet_lava.models.ann import beamnet_param_count

    n_in = 64 if args.dataset == "digits" else 784
    cfgs = {"beamnet": beam_cfg,
            "ann": config_mod.ANNConfig().replace(
                **common, param_budget=beamnet_param_count(n_in, beam_cfg.n_memory, 10)),
            "snn": config_mod.SNNConfig().replace(**common)}
    out: dict = {"dataset": args.dataset, "train_seconds": {}, "evaluate_seconds": {}}
    for name, cfg in cfgs.items():
        run = base / name
        if not (run / METRICS).exists():
            train(cfg, run, force=True)
        out["train_seconds"][name] = json.loads((run / METRICS).read_text())["train_seconds"]
        t0 = time.perf_counter()
        rep = evaluate_run(run, ood="all")
        out["evaluate_seconds"][name] = time.perf_counter() - t0
        out[f"{name}_n_test"] = rep["n_samples"]
    rows = compare([base / n for n in cfgs], figure=base / "comparison.png", force=True)
    out["rows"] = rows
    by = {r["model"]: r for r in rows}
    print(f"\n{args.dataset}: {rows[0]['n_samples']} test samples of {rows[0]['split']}")
    keys = ["parameters", "accuracy", "ece", "nll", "brier", "active_fraction", "spikes_per_sample",
            "energy_nJ", "energy_mem_nJ"]
    print(f"{'':22s}" + "".join(f"{m:>12s}" for m in by))
    for k in keys:
        print(f"{k:22s}" + "".join(f"{(by[m].get(k) or 0):12.4f}" if k != "parameters"
                                   else f"{by[m].get(k) or 0:12,d}" for m in by))
    for o in sorted(by["beamnet"]["ood_auroc"]):
        print(f"{'AUROC ' + o:22s}" + "".join(f"{by[m]['ood_auroc'][o]:12.4f}" for m in by))
    e_b = by["beamnet"]["energy_nJ"]
    out["ratios"] = {"ann_macs_only_over_beamnet": by["ann"]["energy_nJ"] / e_b,
                     "ann_with_memory_over_beamnet": by["ann"]["energy_mem_nJ"] / e_b,
                     "snn_over_beamnet": by["snn"]["energy_nJ"] / e_b}
    print(f"energy: ANN-MLP / BEAM-Net = {out['ratios']['ann_macs_only_over_beamnet']:.2f}x (MACs only), "
          f"{out['ratios']['ann_with_memory_over_beamnet']:.2f}x (MACs + weight reads); "
          f"rate SNN / BEAM-Net = {out['ratios']['snn_over_beamnet']:.2f}x")
    print("evaluate seconds (test set + 3 OOD sets, figures): "
          + ", ".join(f"{k} {v:.1f}" for k, v in out["evaluate_seconds"].items()))
    print("train seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in out["train_seconds"].items()))
    print(f"figure: {base / 'comparison.png'}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
