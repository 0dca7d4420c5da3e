"""Issue 29: does each model's uncertainty flag its own errors? BEAM-Net vs ANN-MLP vs rate SNN.

Per seed (default 0-4) trains BEAM-Net, the ANN-MLP (BEAM-Net's parameter count) and the
rate SNN on one split (or reuses the run dirs under --runs), evaluates each on the test
split with every OOD set, BEAM-Net twice from the same trained network: ``uncertainty:
window`` (Eq. 12-15 of the inference window, the default) and ``uncertainty: probe`` (plus
the probe window: docs/beamnet.md, "Uncertainty that flags errors"). Prints mean [95 %
bootstrap CI over seeds] per metric (misclassification-detection AUROC per score, AURC,
E-AURC, accuracy at 90 / 95 % coverage, epistemic wrong/correct among samples that
spiked, accuracy, ECE, OOD AUROC, energy per inference: per operation and Eq. 25), the
paired differences of BEAM-Net's total-uncertainty AUROC from each baseline's predictive
entropy, and, on seed 0's export, the Lava time of both BEAM-Net read-outs (with their
agreement with the training model). The test split is never used to choose anything.

    python benchmarks/bench_uncertainty.py                          # digits, seeds 0-4
    python benchmarks/bench_uncertainty.py --dataset mnist          # MNIST-10k split
                                        # (../shared/data/mnist; BEAM-Net: configs/beamnet_mnist.yaml)
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava import config as config_mod
from beamnet_lava.evaluation import records
from beamnet_lava.evaluation.evaluate import evaluate_file, evaluate_run
from beamnet_lava.evaluation.groups import SEEDS
from beamnet_lava.metrics import statistics
from beamnet_lava.training.checkpoint import METRICS

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
GROUPS = ("beamnet-probe", "beamnet-window", "snn", "ann")
OODS = ("inverted", "shuffled", "noise")
ROWS = [("auroc_wrong_total", "error AUROC, total uncertainty", "{:.3f}"),
        ("auroc_wrong_epistemic", "error AUROC, epistemic", "{:.3f}"),
        ("auroc_wrong_confidence", "error AUROC, 1 - confidence", "{:.3f}"),
        ("aurc", "AURC (total)", "{:.4f}"), ("eaurc", "E-AURC (total)", "{:.4f}"),
        ("accuracy_at_90_coverage", "accuracy at 90 % coverage", "{:.4f}"),
        ("accuracy_at_95_coverage", "accuracy at 95 % coverage", "{:.4f}"),
        ("epistemic_ratio_spiking", "epistemic wrong / correct (spiked)", "{:.2f}"),
        ("accuracy", "accuracy", "{:.4f}"), ("ece", "ECE (15 bins)", "{:.4f}"),
        *[(f"ood_{o}", f"OOD AUROC {o}", "{:.4f}") for o in OODS],
        ("energy_per_inference_nJ", "energy / inference, per op (nJ)", "{:.1f}"),
        ("energy_eq25_nJ", "energy / inference, Eq. 25 (nJ)", "{:.1f}"),
        ("spikes_per_sample", "spikes / sample", "{:.1f}")]


def configs(dataset: str, seed: int, data_dir: str | None) -> dict:
    from beamnet_lava.models.ann import beamnet_param_count

    common = {"dataset": dataset, "seed": seed, "data_dir": data_dir if dataset == "mnist" else None}
    beam = (config_mod.load(ROOT / "configs" / "beamnet_mnist.yaml") if dataset == "mnist"
            else config_mod.BeamnetConfig()).replace(**common)
    n_in = 64 if dataset == "digits" else 784
    return {"beamnet": beam,
            "ann": config_mod.ANNConfig().replace(**common, param_budget=beamnet_param_count(
                n_in, beam.n_memory, 10)),
            "snn": config_mod.SNNConfig().replace(**common)}


def measure(report: dict, folder: Path) -> dict[str, float]:
    """The per-run numbers of one evaluation (evaluation.json and predictions.parquet)."""
    out = {k: report.get(k) for k, _, _ in ROWS if k in report}
    out.update({f"ood_{o}": report["ood"][o]["auroc"] for o in OODS})
    out["energy_eq25_nJ"] = (report.get("energy_eq25_nJ") or {}).get("total")
    t = records.read_table(folder / records.PREDICTIONS)
    epi, ok, spoke = t["epistemic"], t["correct"].astype(bool), t["active_fraction"] > 0
    if np.isfinite(epi).all() and (~ok & spoke).any():
        out["epistemic_ratio_spiking"] = float(epi[~ok & spoke].mean() / epi[ok & spoke].mean())
    return {k: (np.nan if v is None else float(v)) for k, v in out.items()}


def lava_time(run: Path, work: Path, samples: int | None) -> dict[str, dict]:
    """Seed 0's export evaluated on Lava (test split, no OOD) with each read-out."""
    from beamnet_lava.netx_export import export_run

    net = work / "beamnet_s0.net"
    if not net.exists():
        export_run(run, net)
    out = {}
    for mode in ("window", "probe"):
        folder = work / "lava" / mode
        t0 = time.perf_counter()
        rep = evaluate_file(net, ood=None, samples=samples, out=folder, force=True, figures=False,
                            uncertainty=mode)
        seconds = time.perf_counter() - t0
        ref = evaluate_run(run, ood=None, samples=samples, out=work / "lava" / f"ref-{mode}",
                           force=True, figures=False, uncertainty=mode)
        a, b = (records.read_table(f / records.PREDICTIONS) for f in (folder, work / "lava" / f"ref-{mode}"))
        out[mode] = {"samples": rep["n_samples"], "seconds": seconds,
                     "samples_per_s": rep["n_samples"] / seconds,
                     "prediction_agreement": float((a["prediction"] == b["prediction"]).mean()),
                     "max_total_difference": float(np.abs(a["total"] - b["total"]).max()),
                     "accuracy": rep["accuracy"], "reference_accuracy": ref["accuracy"]}
    return out


def fmt(e: statistics.Estimate, f: str) -> str:
    if not np.isfinite(e.mean):
        return "-"
    if not np.isfinite(e.low):
        return f.format(e.mean)
    return f"{f.format(e.mean)} [{f.format(e.low)}, {f.format(e.high)}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="digits", choices=["digits", "mnist"])
    ap.add_argument("--data-dir", default=str(SHARED_MNIST))
    ap.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds")
    ap.add_argument("--runs", default="runs/bench_uncertainty", help="where run dirs go (reused if present)")
    ap.add_argument("--lava-samples", type=int, default=None,
                    help="test samples of the Lava timing (default: all; 0 skips it)")
    ap.add_argument("--json", default=None, help="write every number to this JSON file")
    ap.add_argument("--reuse", action="store_true",
                    help="read evaluations already in --runs instead of evaluating again")
    args = ap.parse_args()
    from beamnet_lava.workflows.train import train

    seeds = [int(s) for s in args.seeds.split(",")]
    base = Path(args.runs) / args.dataset
    per: dict[str, dict[int, dict[str, float]]] = {g: {} for g in GROUPS}
    for seed in seeds:
        for name, cfg in configs(args.dataset, seed, args.data_dir).items():
            run = base / f"{name}_s{seed}"
            if not (run / METRICS).exists():
                train(cfg, run, force=True, progress=False)
            modes = ("window", "probe") if name == "beamnet" else (None,)
            for mode in modes:
                group = f"{name}-{mode}" if mode else name
                folder = base / "evaluation" / f"{group}_s{seed}"
                if args.reuse and (folder / "evaluation.json").is_file():
                    rep = json.loads((folder / "evaluation.json").read_text())
                else:
                    rep = evaluate_run(run, ood="all", out=folder, force=True, uncertainty=mode)
                per[group][seed] = measure(rep, folder)
                print(f"seed {seed} {group:15s} accuracy {rep['accuracy']:.4f}  error AUROC total "
                      f"{rep.get('auroc_wrong_total') or float('nan'):.3f}", flush=True)
    est = {g: {k: statistics.estimate([per[g][s].get(k, np.nan) for s in seeds], SEEDS)
               for k, _, _ in ROWS} for g in GROUPS}
    diffs = {}
    for g in ("beamnet-window", "snn", "ann"):
        a = [per["beamnet-probe"][s]["auroc_wrong_total"] for s in seeds]
        b = [per[g][s]["auroc_wrong_total"] for s in seeds]
        diffs[g] = statistics.difference(a, b, SEEDS, paired=True)
    split = json.loads((base / f"beamnet_s{seeds[0]}" / "config.json").read_text()).get("dataset")
    print(f"\n{split}: seeds {','.join(map(str, seeds))}; mean [95 % bootstrap CI over seeds]\n")
    print("| | BEAM-Net, probe | BEAM-Net, window (default) | rate SNN | ANN-MLP |")
    print("|---|---|---|---|---|")
    for key, label, f in ROWS:
        print(f"| {label} | " + " | ".join(fmt(est[g][key], f) for g in GROUPS) + " |")
    print("\nerror AUROC of BEAM-Net (probe) total uncertainty minus:")
    for g, d in diffs.items():
        print(f"  {g:15s} {d.delta:+.3f} [{d.low:+.3f}, {d.high:+.3f}] {d.verdict}")
    lava = {}
    if args.lava_samples != 0 and 0 in seeds:
        lava = lava_time(base / "beamnet_s0", base, args.lava_samples)
        for mode, r in lava.items():
            print(f"Lava ({mode}): {r['samples']} samples in {r['seconds']:.1f} s "
                  f"({r['samples_per_s']:.1f} samples/s, compile included), prediction agreement "
                  f"{r['prediction_agreement']:.1%}, max |total difference| {r['max_total_difference']:.1e}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"seeds": seeds, "per_seed": per, "estimates": {g: {k: e.to_dict() for k, e in v.items()}
                                                            for g, v in est.items()},
             "differences": {g: d.to_dict() for g, d in diffs.items()}, "lava": lava},
            indent=2, default=float))


if __name__ == "__main__":
    main()
