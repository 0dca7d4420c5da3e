"""The CUBA SNN and BEAM-Net trained end to end on saccade digits, exported, run on Lava.

    python benchmarks/bench_event_models.py [--samples 360] [--json out.json]

saccade-digits: scikit-learn's 1,797 digits turned into N-MNIST-format events
by simulated saccades (generated once into the cache). The SNN takes the events
binned into T frames (ON/OFF inputs, 20 x 20 x 2); BEAM-Net takes the first-spike
latency of ON events (Eq. 6) over the first 60 ms, 2 x 2 pooled (10 x 10 inputs),
with 300 memory neurons. Reports test accuracy of the training model, accuracy
and parity of the Lava fixed_pt run, the fraction of active neurons, and
(BEAM-Net) energy per inference from the run's measured counts.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava import config as config_mod
from beamnet_lava.data import load_split
from beamnet_lava.netx_export import export_run
from beamnet_lava.sim_cpu.dataset_run import run_dataset
from beamnet_lava.training.checkpoint import load_run
from beamnet_lava.workflows.train import train

BEAMNET_EVENTS = dict(event_polarity="on_only", event_downsample=2, event_window_ms=60.0,
                      n_memory=300, epochs=3)


def snn_active_fraction(run_dir: Path, cfg) -> float:
    """Fraction of hidden neurons that spike at least once per test sample (training model)."""
    model = load_run(run_dir).model
    data = load_split(cfg.dataset, seed=cfg.seed, split=cfg.split, options=cfg.to_dict())
    with torch.no_grad():
        outs = model.layer_outputs(torch.from_numpy(data.spikes("test", cfg.time_steps)))
    hidden = torch.cat([o.sum(-1) > 0 for o in outs[:-1]], dim=1)
    return float(hidden.float().mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=360, help="test samples run on Lava")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="beamnet-bench-evmodels-"))
    res = {}
    for name, overrides in (("snn", {}), ("beamnet", BEAMNET_EVENTS)):
        cfg = config_mod.default_for(name).replace(dataset="saccade-digits", seed=args.seed, **overrides)
        t0 = time.perf_counter()
        metrics = train(cfg, work / name, progress=False)
        train_s = time.perf_counter() - t0
        net = work / f"{name}.net"
        export_run(work / name, net)
        report = run_dataset(net, samples=args.samples, progress=False)
        r = {"config_overrides": overrides, "train_seconds": train_s,
             "test_accuracy": metrics["test_accuracy"], "n_test": metrics["n_test"],
             "lava_accuracy": report["accuracy"], "lava_parity": report["parity"],
             "lava_samples": report["n_samples"], "lava_samples_per_s": report["samples_per_s"],
             "input_spikes_per_sample": report["input_spikes"] / report["n_samples"],
             "synaptic_events_per_sample": {k: v / report["n_samples"]
                                            for k, v in report["synaptic_events"].items()}}
        if name == "beamnet":
            r.update(active_fraction=report["active_fraction"], ece=report["ece"],
                     train_active_fraction=metrics["active_fraction"], train_ece=metrics["ece"],
                     energy_eq25_nJ=report["energy_per_inference"]["eq25_nJ"]["total"],
                     energy_breakdown_nJ=report["energy_per_inference"]["breakdown_nJ"])
        else:
            r["active_fraction"] = snn_active_fraction(work / name, cfg)
        res[name] = r
        print(f"{name}: test accuracy {r['test_accuracy']:.4f} (training model, {r['n_test']} samples), "
              f"Lava fixed_pt {r['lava_accuracy']:.4f} on {r['lava_samples']} (parity "
              f"{r['lava_parity']:.1%}), active {r['active_fraction']:.2%}, trained in {train_s:.0f} s"
              + (f", ECE {r['ece']:.3f}, energy Eq. 25 {r['energy_eq25_nJ']:.1f} nJ, per operation "
                 f"{r['energy_breakdown_nJ']['total']:.1f} nJ" if name == "beamnet" else ""), flush=True)
    res["load_average"] = list(np.round(__import__("os").getloadavg(), 2))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
