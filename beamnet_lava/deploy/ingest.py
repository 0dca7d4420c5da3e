"""``beamnet-lava ingest``: a bundle's ``results.json`` back as run records ``compare`` reads.

Writes two run folders under ``out``: ``cpu-simulation`` (the bundle's expected outputs,
computed here with Lava's fixed_pt CPU simulation) and one for the results (``loihi2``,
or ``cpu-rerun`` when the job ran without lava-loihi). Each holds ``predictions.parquet``
(the schema of :mod:`beamnet_lava.evaluation.records`; probabilities = softmax(output
spike counts / T) with the file's validation temperature, or the stock BEAM-Net's
Dirichlet readout) and ``metrics.json`` with what
the job measured: agreement with the CPU outputs, energy per inference and time per step
when its profilers reported them. Figures are labelled with where they were measured.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import write_json

CPU_RECORD = "cpu-simulation"


def _predictions(counts: np.ndarray, labels: np.ndarray, temperature: float, readout: dict | None):
    from beamnet_lava.evaluation.predict import Predictions
    from beamnet_lava.metrics.uncertainty import entropy
    from beamnet_lava.metrics.calibration import softmax

    from beamnet_lava.deploy import job_readout

    n = len(labels)
    if readout is None:
        prob = softmax(counts / temperature)
    else:               # the stock BEAM-Net's Dirichlet readout; counts are already after burn_in
        prob = job_readout.decide(counts[..., None], {}, readout)[1]
    total = entropy(prob)
    nan = np.full(n, np.nan)
    # no per-operation energy model here (hidden spikes are not recorded); a measured energy
    # per inference goes to metrics.json, never into the modelled-energy column
    return Predictions(prob, labels, total, nan, nan, nan, total, counts.sum(1),
                       (counts > 0).mean(1), np.ones(n), nan, nan, "predictive entropy", "none")


def _write_record(folder: Path, counts: np.ndarray, labels: np.ndarray, meta: dict,
                  metrics: dict, readout: dict | None) -> None:
    from beamnet_lava.evaluation import records

    folder.mkdir(parents=True, exist_ok=True)
    pred = _predictions(counts, labels, float(meta.get("temperature", 1.0)), readout)
    records.write_table(folder / records.PREDICTIONS, pred.table(),
                        {"model": meta.get("model") or meta["family"], "dataset": meta["dataset"],
                         "split": meta["split"], "seed": meta.get("seed", ""), "part": meta["part"],
                         "set": meta["part"], "run_dir": str(folder)})
    write_json(folder / "metrics.json", metrics)


def ingest(results_path: str | Path, out: str | Path, force: bool = False) -> dict[str, Any]:
    """Write the CPU and result run records under ``out``; returns the results record's metrics."""
    rp, out = Path(results_path), Path(out)
    if not rp.is_file():
        raise BeamnetError(f"{rp}: no such file; give the results.json a bundle's run_loihi2.py wrote")
    bundle = rp.parent
    for name in ("bundle.json", "expected_output_spikes.npy", "labels.npy"):
        if not (bundle / name).is_file():
            raise BeamnetError(f"{bundle / name} is missing: keep results.json inside its bundle "
                               "folder (it holds the expected CPU outputs)")
    if out.exists() and any(out.iterdir()) and not force:
        raise BeamnetError(f"{out} exists and is not empty; pass --force to replace its records")
    try:
        res = json.loads(rp.read_text())
    except json.JSONDecodeError as exc:
        raise BeamnetError(f"{rp} is not valid JSON ({exc}); was the job interrupted?") from None
    meta = json.loads((bundle / "bundle.json").read_text())
    expected = np.load(bundle / "expected_output_spikes.npy")
    labels = np.load(bundle / "labels.npy")
    for key in ("network_sha256", "output_counts", "predictions", "labels", "backend",
                "measured_on", "agreement"):
        if key not in res:
            raise BeamnetError(f"{rp} has no '{key}': not written by a bundle's run_loihi2.py")
    if res["network_sha256"] != meta["network_sha256"]:
        raise BeamnetError(f"{rp} was measured on another network (sha256 differs from "
                           f"{bundle / 'bundle.json'})")
    counts = np.asarray(res["output_counts"], dtype=np.int64)
    if counts.shape != expected.shape[:2] or res["labels"] != labels.tolist():
        raise BeamnetError(f"{rp}: {counts.shape} output counts or its labels do not match the "
                           f"bundle's {expected.shape[:2]} expected outputs")

    from beamnet_lava.deploy import job_readout

    readout = job_readout.load(bundle)
    cpu_counts, _, cpu_pred = job_readout.decide(expected, meta, readout)
    cpu_metrics = {"measured_on": "Lava CPU simulation (Loihi2SimCfg fixed_pt), at bundle time",
                   "accuracy": float((cpu_pred == labels).mean()),
                   "n_samples": len(labels), "bundle": str(bundle)}
    _write_record(out / CPU_RECORD, cpu_counts, labels, meta, cpu_metrics, readout)

    energy = res.get("energy") or {}
    metrics = {"measured_on": res["measured_on"], "backend": res["backend"],
               "accuracy": float((np.asarray(res["predictions"]) == labels).mean()),
               "n_samples": len(labels),
               "agreement_with_cpu": res["agreement"], "host_fallbacks": len(res.get("host_fallbacks", [])),
               "time_per_step_us": energy.get("time_per_step_us"),
               "energy_per_inference_mJ": energy.get("energy_per_inference_mJ"),
               "energy_rejected": energy.get("rejected"), "partition": res.get("partition"),
               "per_core_table": res.get("per_core_table"), "results": str(rp)}
    name = "loihi2" if res["backend"] == "loihi2" else "cpu-rerun"
    _write_record(out / name, counts, labels, meta, metrics, readout)
    metrics["records"] = [str(out / CPU_RECORD), str(out / name)]
    return metrics
