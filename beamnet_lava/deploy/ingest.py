"""``beamnet-lava ingest``: a bundle's ``results.json`` back as run records ``compare`` reads.

Writes two run folders under ``out``: ``cpu-simulation`` (the bundle's expected outputs,
computed here with Lava's fixed_pt CPU simulation) and one for the results (``loihi2``,
or ``cpu-rerun`` when the job ran without lava-loihi). Each holds ``predictions.parquet``
(the schema of :mod:`beamnet_lava.evaluation.records`; probabilities = softmax(output
spike counts / T) with the file's validation temperature, or the stock BEAM-Net's
Dirichlet readout) and ``metrics.json`` with what
the job measured: agreement with the CPU outputs, energy per inference and time per step
when its profilers reported them. Figures are labelled with where they were measured.

Nothing in ``results.json``, ``bundle.json`` or the bundle's arrays is trusted: every field
used is checked (type, range, agreement with the others) before anything is written, and
``out`` is built aside and swapped in whole (:mod:`beamnet_lava.rundir`), so a refusal or
an interrupt leaves no half of the records behind.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import budget, outputs, rundir
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import write_json

CPU_RECORD = "cpu-simulation"
JSON_BYTES = 64 << 20            # a results.json / bundle.json larger than this is not one of ours
ARRAYS = ("expected_output_spikes.npy", "labels.npy")


# -- checking what the files carry -------------------------------------------------------------

class _Fields:
    """Typed access to one JSON object's fields; each problem is one line naming file and key."""

    def __init__(self, data: Any, path: Path, fix: str) -> None:
        self.path, self.fix = path, fix
        if not isinstance(data, dict):
            raise self.bad("", f"is a JSON {type(data).__name__}, not an object")
        self.data = data

    def bad(self, key: str, problem: str) -> BeamnetError:
        where = f"{self.path}" + (f": '{key}'" if key else "")
        return BeamnetError(f"{where} {problem}; {self.fix}")

    def get(self, key: str, optional: bool = False) -> Any:
        if key not in self.data:
            if optional:
                return None
            raise self.bad(key, "is missing")
        return self.data[key]

    def text(self, key: str, optional: bool = False, choices: tuple[str, ...] | None = None) -> str | None:
        v = self.get(key, optional)
        if v is None and optional:
            return None
        if not isinstance(v, str) or not v:
            raise self.bad(key, f"must be a non-empty string, found {v!r}"[:200])
        if choices and v not in choices:
            raise self.bad(key, f"must be one of {', '.join(choices)}, found {v!r}"[:200])
        return v

    def whole(self, key: str, lo: int = 0, hi: int | None = None, optional: bool = False) -> int | None:
        v = self.get(key, optional)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
            raise self.bad(key, f"must be a whole number {rng}, found {v!r}"[:200])
        return v

    def number(self, key: str, lo: float = -math.inf, hi: float = math.inf, *, low_open: bool = False,
               optional: bool = False) -> float | None:
        v = self.get(key, optional)
        if v is None and optional:
            return None
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) \
            and (v > lo if low_open else v >= lo) and v <= hi
        if not ok:
            rng = (f"> {lo:g}" if low_open else f">= {lo:g}") + ("" if hi == math.inf else f" and <= {hi:g}")
            raise self.bad(key, f"must be a finite number {rng}, found {v!r}"[:200])
        return float(v)

    def obj(self, key: str, optional: bool = False) -> _Fields | None:
        v = self.get(key, optional)
        if v is None and optional:
            return None
        if not isinstance(v, dict):
            raise self.bad(key, f"must be an object, found {type(v).__name__}")
        return _Fields(v, Path(f"{self.path}: '{key}'"), self.fix)

    def int_array(self, key: str, shape: tuple[int, ...], lo: int, hi: int) -> np.ndarray:
        """A (nested) list of whole numbers of ``shape``, each in ``lo..hi``."""
        v = self.get(key)
        try:
            arr = np.asarray(v)
        except (ValueError, TypeError):
            raise self.bad(key, f"must be a list of shape {shape}, found a ragged list") from None
        if arr.shape != shape:
            raise self.bad(key, f"must be a list of shape {shape}, found shape {arr.shape}")
        if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < lo or arr.max() > hi)):
            raise self.bad(key, f"must hold whole numbers in {lo}..{hi}")
        return arr.astype(np.int64)


def _read_json(path: Path, fix: str) -> Any:
    if path.stat().st_size > JSON_BYTES:
        raise BeamnetError(f"{path} has {path.stat().st_size:,} bytes, more than {JSON_BYTES >> 20} MiB: "
                           f"not written by a bundle; {fix}")
    try:
        return json.loads(path.read_bytes())
    except (ValueError, RecursionError) as exc:
        raise BeamnetError(f"{path} is not valid JSON ({str(exc).splitlines()[0][:120]}); "
                           "was the job interrupted?") from None


def _array(path: Path, kinds: str, ndim: int) -> np.ndarray:
    shape, dtype, _ = budget.npy_header(path)
    if dtype.kind not in kinds or len(shape) != ndim:
        raise BeamnetError(f"{path}: a {dtype} array of shape {shape}, not what `beamnet-lava bundle` "
                           "writes; bundle the network again")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise BeamnetError(f"{path}: not a readable .npy array ({str(exc).splitlines()[0]})") from None


def _readout(bundle: Path, n_out: int) -> dict | None:
    """The stock BEAM-Net's readout.npz, checked (None for plain NetX bundles)."""
    from beamnet_lava.deploy import job_readout

    path = bundle / job_readout.READOUT_FILE
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (ValueError, OSError, EOFError) as exc:
        raise BeamnetError(f"{path}: not a readable .npz file ({exc.__class__.__name__})") from None
    a, alpha_0, eta = arrays.get("a"), arrays.get("alpha_0"), arrays.get("eta")
    if a is None or alpha_0 is None or eta is None:
        raise BeamnetError(f"{path} must hold arrays a, alpha_0 and eta; bundle the network again")
    if a.dtype.kind not in "iuf" or a.ndim != 2 or a.shape[1] != n_out or not a.shape[0] \
            or not np.isfinite(a).all() or (a < 0).any():
        raise BeamnetError(f"{path}: 'a' must be a finite non-negative (classes, {n_out}) array")
    for name, v in (("alpha_0", alpha_0), ("eta", eta)):
        if v.shape != () or v.dtype.kind not in "iuf" or not math.isfinite(float(v)) or float(v) <= 0:
            raise BeamnetError(f"{path}: '{name}' must be one finite number > 0")
    return {"a": a.astype(np.float64), "alpha_0": float(alpha_0), "eta": float(eta)}


def read_bundle(bundle: Path) -> tuple[dict[str, Any], np.ndarray, np.ndarray, dict | None]:
    """``bundle.json`` (checked), the expected outputs, the labels and the readout of a bundle."""
    fix = "bundle the network again with `beamnet-lava bundle`"
    for name in ("bundle.json", *ARRAYS):
        if not (bundle / name).is_file():
            raise BeamnetError(f"{bundle / name} is missing: keep results.json inside its bundle "
                               "folder (it holds the expected CPU outputs)")
    path = bundle / "bundle.json"
    m = _Fields(_read_json(path, fix), path, fix)
    n = m.whole("n_samples", 1)
    window = m.whole("time_steps", 1)
    n_out = m.whole("n_classes", 1)            # output neurons (the memory neurons: stock BEAM-Net)
    sha = m.text("network_sha256")
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise m.bad("network_sha256", "must be 64 hexadecimal digits")
    graph = m.text("graph", optional=True, choices=("netx", "stock_beamnet")) or "netx"
    meta = {"n_samples": n, "time_steps": window, "n_outputs": n_out, "network_sha256": sha,
            "graph": graph, "family": m.text("family"), "dataset": m.text("dataset"),
            "part": m.text("part"), "split": m.text("split"),
            "model": m.text("model", optional=True),
            "temperature": m.number("temperature", 0.0, low_open=True, optional=True) or 1.0,
            "burn_in": m.whole("burn_in", 0, window - 1, optional=True) or 0}
    seed = m.get("seed", optional=True)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise m.bad("seed", f"must be a whole number >= 0 or null, found {seed!r}"[:200])
    meta["seed"] = seed

    known = m.get("labels_known", optional=True)
    if known is not None and not isinstance(known, bool):
        raise m.bad("labels_known", f"must be true or false, found {known!r}"[:200])
    if known is False:
        raise BeamnetError(f"{path}: the bundle was made from --inputs without labels, so its results "
                           "cannot be scored as run records; compare its output spikes with "
                           "expected_output_spikes.npy directly")
    expected = _array(bundle / "expected_output_spikes.npy", "biu", 3)
    labels = _array(bundle / "labels.npy", "iu", 1)
    if expected.shape != (n, n_out, window):
        raise BeamnetError(f"{bundle / 'expected_output_spikes.npy'} has shape {expected.shape}, but "
                           f"{path} records ({n}, {n_out}, {window}); {fix}")
    if expected.size and (expected.min() < 0 or expected.max() > 1):
        raise BeamnetError(f"{bundle / 'expected_output_spikes.npy'} must hold spikes (0 or 1); {fix}")
    readout = _readout(bundle, n_out) if graph == "stock_beamnet" else None
    if graph == "stock_beamnet" and readout is None:
        raise BeamnetError(f"{bundle} is a stock BEAM-Net bundle without its readout.npz; {fix}")
    meta["classes"] = classes = n_out if readout is None else len(readout["a"])
    if labels.shape != (n,) or labels.min() < 0 or labels.max() >= classes:
        raise BeamnetError(f"{bundle / 'labels.npy'} must hold {n} labels in 0..{classes - 1}; {fix}")
    return meta, expected.astype(np.uint8), labels.astype(np.int64), readout


def read_results(rp: Path, meta: dict[str, Any], labels: np.ndarray, readout: dict | None) -> dict[str, Any]:
    """The fields of ``results.json`` that ingest uses, each checked against the bundle."""
    from beamnet_lava.deploy import job_readout

    fix = "not written by this bundle's run_loihi2.py (run it again)"
    r = _Fields(_read_json(rp, fix), rp, fix)
    n, classes, window = meta["n_samples"], meta["classes"], meta["time_steps"]
    sha = r.text("network_sha256")
    if sha != meta["network_sha256"]:
        raise BeamnetError(f"{rp} was measured on another network (sha256 differs from "
                           f"{rp.parent / 'bundle.json'})")
    if r.whole("n_samples", 1, optional=True) not in (None, n):
        raise r.bad("n_samples", f"disagrees with the bundle's {n} samples")
    if r.whole("time_steps", 1, optional=True) not in (None, window):
        raise r.bad("time_steps", f"disagrees with the bundle's {window} steps")
    got_labels = r.int_array("labels", (n,), 0, classes - 1)
    if not np.array_equal(got_labels, labels):
        raise r.bad("labels", "differ from the bundle's labels.npy")
    out = {"backend": r.text("backend", choices=("loihi2", "cpu")), "measured_on": r.text("measured_on"),
           "counts": r.int_array("output_counts", (n, meta["n_outputs"]), 0, window),
           "predictions": r.int_array("predictions", (n,), 0, classes - 1)}
    decided = job_readout.decide(out["counts"][..., None], {}, readout)[2]
    if not np.array_equal(decided, out["predictions"]):
        raise r.bad("predictions", "disagree with its own output_counts")
    agreement = r.obj("agreement")
    out["agreement"] = {k: agreement.number(k, 0.0, 1.0) for k in ("spike_trains", "counts", "predictions")}
    fallbacks = r.get("host_fallbacks", optional=True)
    if fallbacks is not None and not isinstance(fallbacks, list):
        raise r.bad("host_fallbacks", "must be a list")
    out["host_fallbacks"] = len(fallbacks or [])
    partition = r.get("partition", optional=True)
    if partition is not None and not isinstance(partition, str):
        raise r.bad("partition", "must be a string or null")
    out["partition"] = partition
    table = r.get("per_core_table", optional=True)
    if table is not None and not (isinstance(table, list) and all(isinstance(row, dict) for row in table)):
        raise r.bad("per_core_table", "must be a list of rows (objects) or null")
    out["per_core_table"] = table
    energy = r.obj("energy", optional=True)
    out["time_per_step_us"] = out["energy_per_inference_mJ"] = out["energy_rejected"] = None
    if energy is not None:
        out["time_per_step_us"] = energy.number("time_per_step_us", 0.0, low_open=True, optional=True)
        rejected = energy.get("rejected", optional=True)
        if rejected is not None and not isinstance(rejected, str):
            raise energy.bad("rejected", "must be a string or null")
        out["energy_rejected"] = rejected
        per = energy.obj("energy_per_inference_mJ", optional=True)
        if per is not None:
            if rejected is not None:
                raise energy.bad("energy_per_inference_mJ", "is given although the power measurement "
                                                             "was rejected")
            total = per.number("total", 0.0, low_open=True)
            dynamic = per.number("dynamic", 0.0, low_open=True)
            if dynamic > total:
                raise per.bad("dynamic", "exceeds the total energy")
            out["energy_per_inference_mJ"] = {"total": total, "dynamic": dynamic}
    return out


# -- writing the records -----------------------------------------------------------------------

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


def _write_record(folder: Path, final: Path, counts: np.ndarray, labels: np.ndarray, meta: dict,
                  metrics: dict, readout: dict | None) -> None:
    """``predictions.parquet`` and ``metrics.json`` in ``folder`` (built aside; ``final`` is
    where it will live, the name the record carries)."""
    from beamnet_lava.evaluation import records

    folder.mkdir(parents=True, exist_ok=True)
    pred = _predictions(counts, labels, float(meta["temperature"]), readout)
    records.write_table(folder / records.PREDICTIONS, pred.table(),
                        {"model": meta.get("model") or meta["family"], "dataset": meta["dataset"],
                         "split": meta["split"], "seed": "" if meta["seed"] is None else meta["seed"],
                         "part": meta["part"], "set": meta["part"], "run_dir": str(final)})
    write_json(folder / "metrics.json", metrics)


def ingest(results_path: str | Path, out: str | Path, force: bool = False) -> dict[str, Any]:
    """Write the CPU and result run records under ``out``; returns the results record's metrics."""
    from beamnet_lava.deploy import job_readout

    rp, out = Path(results_path), Path(out)
    if not rp.exists():
        raise BeamnetError(f"{rp}: no such file; give the results.json a bundle's run_loihi2.py wrote")
    outputs.input_file(rp, "results file")
    bundle = rp.parent
    outputs.check([outputs.Out(out, "--out", folder=True, force=force, kind=rundir.INGEST)],
                  inputs=[rp, bundle])
    meta, expected, labels, readout = read_bundle(bundle)
    res = read_results(rp, meta, labels, readout)

    cpu_counts, _, cpu_pred = job_readout.decide(expected, meta, readout)
    cpu_metrics = {"measured_on": "Lava CPU simulation (Loihi2SimCfg fixed_pt), at bundle time",
                   "accuracy": float((cpu_pred == labels).mean()),
                   "n_samples": len(labels), "bundle": str(bundle)}
    metrics = {"measured_on": res["measured_on"], "backend": res["backend"],
               "accuracy": float((res["predictions"] == labels).mean()),
               "n_samples": len(labels),
               "agreement_with_cpu": res["agreement"], "host_fallbacks": res["host_fallbacks"],
               "time_per_step_us": res["time_per_step_us"],
               "energy_per_inference_mJ": res["energy_per_inference_mJ"],
               "energy_rejected": res["energy_rejected"], "partition": res["partition"],
               "per_core_table": res["per_core_table"], "results": str(rp)}
    name = "loihi2" if res["backend"] == "loihi2" else "cpu-rerun"
    with rundir.building(out, rundir.INGEST, force=force) as built:
        _write_record(built / CPU_RECORD, out / CPU_RECORD, cpu_counts, labels, meta, cpu_metrics, readout)
        _write_record(built / name, out / name, res["counts"], labels, meta, metrics, readout)
    metrics["records"] = [str(out / CPU_RECORD), str(out / name)]
    return metrics
