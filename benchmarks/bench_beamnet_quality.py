"""BEAM-Net quality over seeds: the issue-3 targets in one table.

Trains BEAM-Net once per seed (default 0, 1, 2) with the default config plus any
``--set key=value`` overrides, and prints per seed and as a mean: test accuracy
(one window and with the top-down loop), ECE (15 bins) with the eta fitted on
the validation split and with the trained readout and eta, the fitted eta and
readout temperature, the fraction of
memory neurons that fire at least once per sample, the per-step active
fraction, memory spikes per sample, the epistemic wrong/correct ratio (over all test
samples, and over those at least one memory neuron fired for: "w/c spkg"), the
share of silent samples and training time.

    python benchmarks/bench_beamnet_quality.py                       # digits
    python benchmarks/bench_beamnet_quality.py --config configs/beamnet_mnist.yaml \\
        --data-dir ../shared/data/mnist                              # the MNIST-10k preset
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava import config as config_mod
from beamnet_lava.config import BeamnetConfig, parse_override
from beamnet_lava.workflows.train import train

COLUMNS = [("acc", "accuracy", "{:.2%}"), ("acc loop", "loop_accuracy", "{:.2%}"),
           ("ECE", "ece", "{:.3f}"), ("ECE raw", "ece_raw_eta", "{:.3f}"), ("eta", "eta", "{:.3g}"), ("T", "readout_temperature", "{:.2f}"),
           ("active", "active_fraction", "{:.2%}"), ("per step", "active_fraction_per_step", "{:.3%}"),
           ("spikes", "memory_spikes_per_sample", "{:.2f}"),
           ("epi w/c", "epistemic_ratio_wrong_correct", "{:.2f}"),
           ("w/c spkg", "epistemic_ratio_spiking", "{:.2f}"), ("silent", "silent_fraction", "{:.2%}"),
           ("train s", "train_seconds", "{:.0f}")]


def row(metrics: dict) -> dict[str, float]:
    one = metrics["single_window"]
    loop = metrics.get("bidirectional", {}).get("accuracy", float("nan"))
    return {"accuracy": one["accuracy"], "loop_accuracy": loop, "ece": one["ece"],
            "ece_raw_eta": one["ece_raw_eta"], "eta": metrics["eta"],
            "readout_temperature": metrics.get("readout_temperature", 1.0),
            "active_fraction": one["active_fraction"],
            "active_fraction_per_step": one["active_fraction_per_step"],
            "memory_spikes_per_sample": one["memory_spikes_per_sample"],
            "epistemic_ratio_wrong_correct": one["epistemic_ratio_wrong_correct"],
            "epistemic_ratio_spiking": one["epistemic_ratio_spiking"],
            "silent_fraction": one["silent_fraction"],
            "train_seconds": metrics["train_seconds"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=None, help="digits (default) or mnist; default: the --config's")
    ap.add_argument("--config", default=None, help="a BEAM-Net YAML/JSON config to start from (a preset)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="config key=value")
    ap.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = ap.parse_args()
    overrides = dict(parse_override(s) for s in args.overrides)
    try:
        base = config_mod.load(args.config) if args.config else BeamnetConfig()
    except config_mod.BeamnetError as exc:
        ap.error(str(exc))
    if not isinstance(base, BeamnetConfig):
        ap.error(f"{args.config} is a {base.model} config, not a BEAM-Net one")
    base = base.replace(**{k: v for k, v in (("dataset", args.dataset), ("data_dir", args.data_dir))
                           if v is not None})
    work = Path(tempfile.mkdtemp(prefix="beamnet-quality-"))
    rows = {}
    header = f"{'seed':>5} " + " ".join(f"{c[0]:>9}" for c in COLUMNS)
    print(f"BEAM-Net, {base.dataset}, {args.config or 'default config'}, overrides {overrides or 'none'} (test split; ECE uses eta and "
          "readout temperature T fitted on the validation split, ECE raw the trained readout and eta)")
    print(header)
    for seed in (int(s) for s in args.seeds.split(",")):
        cfg = base.replace(seed=seed, **overrides)
        rows[seed] = row(train(cfg, work / f"seed{seed}", progress=False))
        print(f"{seed:>5} " + " ".join(f"{fmt.format(rows[seed][key]):>9}" for _, key, fmt in COLUMNS),
              flush=True)
    mean = {key: float(np.mean([r[key] for r in rows.values()])) for _, key, _ in COLUMNS}
    print(f"{'mean':>5} " + " ".join(f"{fmt.format(mean[key]):>9}" for _, key, fmt in COLUMNS))
    if args.json:
        Path(args.json).write_text(json.dumps({"config": args.config, "overrides": overrides, "rows": rows, "mean": mean}, indent=1))


if __name__ == "__main__":
    main()
