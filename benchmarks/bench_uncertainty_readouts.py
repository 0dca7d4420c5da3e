"""Issue 29, fourth round: read-outs of BEAM-Net's race that change the inference graph.

For trained BEAM-Net run directories (e.g. ``beamnet-lava train --model beamnet --seed S``, or
``bench_uncertainty.py``'s runs), on the validation and the test split: the error AUROC (ROC AUC
of the read-out's predictive entropy for "this prediction is wrong", each read-out judged on
its own predictions) and the accuracy of

- ``window``: the inference window's Dirichlet (Eq. 12-15), the default read-out;
- ``probe``: the probe mixture over every probe neuron (``uncertainty: probe``, as kept);
- ``K=k``: K winners, the probe mixture restricted to the k earliest probe neurons (ties by
  index): what a window whose inhibition lets k neurons fire holds at most;
- ``counts``: every memory neuron's spike count in the probe window (no inhibition, so a
  neuron far above threshold fires several times), a softmax over neurons summed into the
  classes through the readout's evidence weights: more than one spike per neuron;
- ``peak`` and ``race`` (bounds, not spike read-outs): the same softmax of each neuron's peak
  *free* potential over the window (no threshold, reset, inhibition or noise) and of the
  potentials when the first memory spike fell (the race the weights are trained on).

Softmax temperatures are fitted on the validation split (NLL); the probe mixtures are
untempered except the row ``probe, tempered`` (the run's validation-fitted
``probe_temperature``, as ``evaluate --uncertainty probe`` reads it). ECE (15 bins) per
read-out. Prints one table per run and the mean over runs.

    OMP_NUM_THREADS=1 python benchmarks/bench_uncertainty_readouts.py RUN_DIR [RUN_DIR ...] \
        [--data-dir ../shared/data/mnist] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava.data.loading import load_data
from beamnet_lava.metrics.calibration import ece, softmax
from beamnet_lava.metrics.uncertainty import entropy, first_spike_steps, probe_mixture, temper
from beamnet_lava.models.beamnet import encoder_intensity
from beamnet_lava.neurons.fixed_point import DECAY_UNITY, W_SCALE
from beamnet_lava.neurons.noise import sample_keys
from beamnet_lava.training.checkpoint import load_run

KS = (1, 2, 3, 5)
BATCH = 250


def free_peak(model, intensity: np.ndarray) -> np.ndarray:
    """Each memory neuron's peak potential over the window without threshold, reset,
    inhibition or noise (theta_0 units): the CUBA filter of its delayed drive (float)."""
    hw, out = model.hw, []
    times = torch.from_numpy(model.encode_times(intensity))
    for i in range(0, len(times), BATCH):
        d = model.drive(times[i:i + BATCH]).detach().double().numpy() * W_SCALE    # (B, N, T)
        u = np.zeros(d.shape[:2])
        v = np.zeros(d.shape[:2])
        peak = np.full(d.shape[:2], -np.inf)
        for t in range(d.shape[2]):
            u = u * (1 - hw.du / DECAY_UNITY) + d[..., t]
            v = v * (1 - hw.dv / DECAY_UNITY) + u
            peak = np.maximum(peak, v)
        out.append(peak / hw.theta)
    return np.concatenate(out)


def split_features(model, x: np.ndarray, part: str) -> dict[str, np.ndarray]:
    intensity = encoder_intensity(x, model.cfg)
    keys = sample_keys(part, len(x))
    feats: dict[str, list[np.ndarray]] = {k: [] for k in ("alpha", "counts", "probe_spikes", "race")}
    with torch.no_grad():
        for i in range(0, len(x), BATCH):
            xb, kb = intensity[i:i + BATCH], keys[i:i + BATCH]
            win = model.forward(xb, kb)       # the inference window (no loop), with its race
            for k in ("alpha", "counts", "race"):
                feats[k].append(getattr(win, k).numpy())
            feats["probe_spikes"].append(model.window_spikes(xb, kb, probe=True).numpy())
    out = {k: np.concatenate(v) for k, v in feats.items()}
    out["peak"] = free_peak(model, intensity)
    out["probe_counts"] = out["probe_spikes"].sum(-1)
    return out


def judged(prob: np.ndarray, y: np.ndarray, score: np.ndarray | None = None) -> dict[str, float]:
    wrong = prob.argmax(1) != y
    score = entropy(prob) if score is None else score
    auroc = float(roc_auc_score(wrong, score)) if 0 < wrong.sum() < len(y) else float("nan")
    return {"accuracy": float(1 - wrong.mean()), "error_auroc": auroc, "ece": ece(prob, y)}


def neuron_softmax(z: np.ndarray, t: float, mix: np.ndarray) -> np.ndarray:
    return softmax(z / t) @ mix.T


def readouts(run_dir: Path, data_dir: str | None) -> dict[str, dict[str, dict[str, float]]]:
    run = load_run(run_dir)
    model, cfg = run.model.eval(), run.config
    data = load_data(cfg, data_dir)
    a = model.evidence_weights()                        # (K, N)
    mix = a / a.sum(0, keepdims=True)                   # neuron -> class shares
    eta = float(model.eta)
    probe_t = float(run.calibration.get("probe_temperature", 1.0))     # fitted at training
    feats = {part: split_features(model, data.part(part)[0], part) for part in ("val", "test")}
    ys = {part: np.asarray(data.part(part)[1]) for part in ("val", "test")}
    out: dict[str, dict[str, dict[str, float]]] = {"val": {}, "test": {}}
    # a softmax over neurons (of class-summed probabilities): its temperature by validation NLL
    temps = {}
    for kind in ("probe_counts", "peak", "race"):
        z = feats["val"][kind]
        grid = np.exp(np.linspace(np.log(1e-3), np.log(10), 81))
        temps[kind] = float(min(grid, key=lambda t: -np.mean(np.log(np.maximum(
            neuron_softmax(z, t, mix)[np.arange(len(z)), ys["val"]], 1e-300)))))
    for part in ("val", "test"):
        f, y = feats[part], ys[part]
        win = f["alpha"] / f["alpha"].sum(1, keepdims=True)
        out[part]["window"] = judged(win, y)
        first = first_spike_steps(f["probe_spikes"])
        for k in (None, *KS):
            fk = first
            if k is not None:
                order = np.where(first >= 0, first * first.shape[1] + np.arange(first.shape[1]), np.iinfo(np.int64).max)
                rank = order.argsort(1).argsort(1)
                fk = np.where(rank < k, first, -1)
            u = probe_mixture(f["alpha"], f["counts"].sum(1), fk, a, cfg.alpha_0, eta, cfg.probe_tau)
            out[part]["probe" if k is None else f"K={k}"] = judged(u.prob, y, u.total)
            if k is None:      # the probe as `evaluate --uncertainty probe` reads it: tempered
                ut = temper(u, probe_t)
                out[part]["probe, tempered"] = judged(ut.prob, y, ut.total)
        for kind, name in (("probe_counts", "counts"), ("peak", "peak (bound)"), ("race", "race (bound)")):
            out[part][name] = judged(neuron_softmax(f[kind], temps[kind], mix), y)
    out["temperatures"] = {**temps, "probe": probe_t}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="trained BEAM-Net run directories")
    ap.add_argument("--data-dir", default=None, help="MNIST IDX folder for MNIST runs")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = {}
    for run_dir in args.runs:
        r = readouts(run_dir, args.data_dir)
        results[str(run_dir)] = r
        print(f"\n{run_dir}")
        print(f"{'read-out':16} {'error AUROC val':>16} {'test':>8} {'accuracy val':>13} {'test':>8} "
              f"{'ECE val':>8} {'test':>8}")
        for name in r["val"]:
            v, t = r["val"][name], r["test"][name]
            print(f"{name:16} {v['error_auroc']:16.4f} {t['error_auroc']:8.4f} {v['accuracy']:13.4f} "
                  f"{t['accuracy']:8.4f} {v['ece']:8.4f} {t['ece']:8.4f}")
    names = list(next(iter(results.values()))["val"])
    print(f"\nmean over {len(results)} run(s)")
    print("| read-out | error AUROC, validation | error AUROC, test | accuracy, validation | accuracy, test "
          "| ECE, validation | ECE, test |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        m = {(p, k): float(np.mean([r[p][name][k] for r in results.values()]))
             for p in ("val", "test") for k in ("error_auroc", "accuracy", "ece")}
        print(f"| {name} | {m['val', 'error_auroc']:.3f} | {m['test', 'error_auroc']:.3f} | "
              f"{m['val', 'accuracy']:.4f} | {m['test', 'accuracy']:.4f} | {m['val', 'ece']:.4f} | "
              f"{m['test', 'ece']:.4f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
