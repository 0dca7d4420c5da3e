"""BRF-RSNN vs RF-RSNN vs ALIF-RSNN: same hidden size, same budget, side by side.

Checks the claim of Higuchi et al. (ICML 2024, arXiv 2402.14603): BRF reaches
the best accuracy with 0.14-0.46x the spikes of ALIF and converges in fewer
epochs. Each model is trained with ``beamnet_lava.workflows.train.train``
(the code path of ``beamnet-lava train``) on the same split and seed.

    python benchmarks/bench_brf.py [--dataset digits-seq] [--epochs 15] [--hidden 64]
    python benchmarks/bench_brf.py --dataset mnist-seq --data-dir ../shared/data/mnist \\
        --time-batches 3     # S-MNIST: time per epoch from 3 timed batches per model

"Epochs to converge" = first epoch whose validation accuracy reaches 95% of
that model's best validation accuracy, and first epoch reaching a shared
target (``--target``, validation accuracy).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava.config import default_for

MODELS = ("brf-rsnn", "rf-rsnn", "alif-rsnn")
# Adam learning rate per model: the best of those tried on digits-seq (8 epochs, hidden 64):
# BRF 2e-2, 5e-2 -> 5e-2; ALIF 1e-3, 3e-3, 5e-3, 1e-2, 2e-2, 5e-2 -> 1e-2 (see docs/brf.md)
LR = {"brf-rsnn": 5e-2, "rf-rsnn": 5e-2, "alif-rsnn": 1e-2}


def first_epoch(history: list[dict], level: float) -> int | None:
    return next((h["epoch"] for h in history if h["val_accuracy"] >= level), None)


def time_batches(cfg, n_batches: int) -> dict:
    """Seconds per training batch (forward + BPTT + Adam) on the real data; per-epoch extrapolation."""
    import torch

    from beamnet_lava.data.sequences import as_sequences, load_sequences
    from beamnet_lava.training import checkpoint

    torch.set_num_threads(1)
    data = load_sequences(cfg.dataset, seed=cfg.seed, split=cfg.split, data_dir=cfg.data_dir)
    model = checkpoint.build_model(cfg, 1, data.n_classes)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    x = torch.from_numpy(as_sequences(data.x_train[:cfg.batch_size * n_batches]))
    y = torch.from_numpy(data.y_train[:cfg.batch_size * n_batches])
    seconds = []
    for i in range(n_batches):
        t0 = time.perf_counter()
        logits, _ = model(x[i * cfg.batch_size:(i + 1) * cfg.batch_size])
        loss = torch.nn.functional.cross_entropy(logits, y[i * cfg.batch_size:(i + 1) * cfg.batch_size])
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.project()
        seconds.append(time.perf_counter() - t0)
    per_batch = sum(seconds) / len(seconds)
    batches = -(-len(data.y_train) // cfg.batch_size)
    return {"model": cfg.model, "seconds_per_batch": per_batch, "batches_per_epoch": batches,
            "seconds_per_epoch_extrapolated": per_batch * batches, "timed_batches": n_batches,
            "n_train": len(data.y_train), "split": data.description}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="digits-seq")
    ap.add_argument("--data-dir")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", type=float, default=0.8, help="shared validation-accuracy target")
    ap.add_argument("--time-batches", type=int, default=0,
                    help="only time this many training batches per model (S-MNIST budget)")
    ap.add_argument("--out", type=Path, help="folder for the three run dirs [default: temporary]")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()

    cfgs = [default_for(m).replace(dataset=args.dataset, data_dir=args.data_dir, epochs=args.epochs,
                                   hidden=[args.hidden], seed=args.seed, lr=LR[m]) for m in MODELS]
    if args.time_batches:
        rows = [time_batches(cfg, args.time_batches) for cfg in cfgs]
        for r in rows:
            print(f"{r['model']:10s} {r['seconds_per_batch']:.2f} s/batch x {r['batches_per_epoch']} "
                  f"batches = {r['seconds_per_epoch_extrapolated'] / 60:.1f} min/epoch "
                  f"(extrapolated from {r['timed_batches']} batches; {r['split']})")
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2) + "\n")
        return

    from beamnet_lava.workflows.train import train

    out = args.out or Path(tempfile.mkdtemp(prefix="beamnet-bench-brf-"))
    rows = []
    for cfg in cfgs:
        m = train(cfg, out / cfg.model, force=True, progress=False)
        best = max(h["val_accuracy"] for h in m["history"])
        rows.append({"model": cfg.model, "test_accuracy": m["test_accuracy"],
                     "test_accuracy_fixed": m.get("test_accuracy_fixed"),
                     "spikes_per_sample": m["spikes_per_sample"], "best_val": best,
                     "best_epoch": m["best_epoch"], "parameters": m["parameters"],
                     "epochs_to_95pct_of_best": first_epoch(m["history"], 0.95 * best),
                     "epochs_to_target": first_epoch(m["history"], args.target),
                     "seconds_per_epoch": m["seconds_per_epoch"], "run_dir": str(out / cfg.model)})
        print(f"{cfg.model}: test {m['test_accuracy']:.4f}, {m['spikes_per_sample']:.1f} spikes/sample, "
              f"{m['seconds_per_epoch']:.1f} s/epoch", flush=True)
    alif = next(r for r in rows if r["model"] == "alif-rsnn")
    print(f"\n{args.dataset}, hidden {args.hidden}, {args.epochs} epochs, seed {args.seed}")
    print(f"{'model':10s} {'test acc':>8s} {'fixed':>6s} {'spikes':>8s} {'x ALIF':>7s} "
          f"{'ep->95%':>7s} {'ep->' + str(args.target):>7s} {'params':>7s} {'s/epoch':>7s}")
    for r in rows:
        r["spike_ratio_vs_alif"] = r["spikes_per_sample"] / alif["spikes_per_sample"] \
            if alif["spikes_per_sample"] else None
        fixed = "-" if r["test_accuracy_fixed"] is None else f"{r['test_accuracy_fixed']:.3f}"
        ratio = "-" if r["spike_ratio_vs_alif"] is None else f"{r['spike_ratio_vs_alif']:.2f}"
        print(f"{r['model']:10s} {r['test_accuracy']:8.4f} {fixed:>6s} {r['spikes_per_sample']:8.1f} "
              f"{ratio:>7s} {str(r['epochs_to_95pct_of_best']):>7s} {str(r['epochs_to_target']):>7s} "
              f"{r['parameters']:7d} {r['seconds_per_epoch']:7.1f}")
    if args.json:
        args.json.write_text(json.dumps({"dataset": args.dataset, "epochs": args.epochs,
                                         "hidden": args.hidden, "seed": args.seed, "rows": rows},
                                        indent=2) + "\n")


if __name__ == "__main__":
    main()
