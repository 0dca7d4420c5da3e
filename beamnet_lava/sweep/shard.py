"""``run FILE [--inputs X.npy] --workers N [--address HOST:PORT]``: samples sharded over Ray.

A dataset run hands :class:`RayMapper` to its family's run, which shards only the Lava
simulation (:mod:`beamnet_lava.sim_cpu.shards`). With ``--inputs``:

A Lava network that outgrows one machine's time is run on the Ray workers the sweep verb
uses (:class:`beamnet_lava.sweep.engine.Engine`: an embedded Ray, or a cluster at
``--address``). The inputs are cut into ``workers`` contiguous shards; each Ray task receives
the network file's bytes and its shard through Ray's object store (so cluster nodes need no
shared disk), runs the ordinary single-process path (:func:`beamnet_lava.sim_cpu.spike_inputs.
run_inputs`) and returns its report and recorded layers. Every sample starts from rest on its
own window (neurons reset per sample), so the merged result is identical to one process:
counts are summed, predictions and records concatenated in sample order. Sigma-delta (SDNN)
networks carry state from sample to sample (one stream) and are refused.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import atomic_path, refuse_overwrite

SUMMED = ("spikes", "synaptic_events")


def _shard_task(network: bytes, suffix: str, shard: np.ndarray, options: dict[str, Any]) -> dict[str, Any]:
    """One shard in a Ray worker: the ordinary run, layers returned for the driver to merge."""
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import beamnet_lava  # noqa: F401  (lava shim)
    from beamnet_lava.sim_cpu.spike_inputs import run_inputs

    with tempfile.TemporaryDirectory(prefix="beamnet-shard-") as tmp:
        net_path, x_path, rec = Path(tmp) / f"network{suffix}", Path(tmp) / "x.npy", Path(tmp) / "r.npz"
        net_path.write_bytes(network)
        np.save(x_path, shard)
        report = run_inputs(net_path, x_path, record=rec, progress=False, **options)
        with np.load(rec) as f:
            layers = {k: f[k] for k in f.files}
    return {"report": report, "layers": layers}


class RayMapper:
    """``mapper(fn, calls)``: ``[fn(*args) for args in calls]``, one Ray task per call (one CPU
    each) on an embedded Ray or the cluster at ``address``; a task's error is one line. What
    ``run FILE --workers N`` hands a dataset run (:mod:`beamnet_lava.sim_cpu.shards`)."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address

    def __call__(self, fn, calls: list[tuple]) -> list[Any]:
        from beamnet_lava.sweep.engine import Engine, _ray

        with Engine(self.address, len(calls), 1):
            ray = _ray()
            task = ray.remote(num_cpus=1, max_retries=0)(fn)
            refs = [task.remote(*args) for args in calls]
            try:
                return ray.get(refs)
            except Exception as exc:  # noqa: BLE001 - a task's BeamnetError arrives wrapped by Ray
                cause = getattr(exc, "cause", None) or exc
                raise BeamnetError(" ".join(str(cause).split()).split(" Traceback")[0]) from None


def run_inputs_sharded(path: str | Path, inputs: str | Path, *, workers: int, address: str | None = None,
                       record: str | Path | None = None, force: bool = False,
                       **options: Any) -> dict[str, Any]:
    """``run_inputs`` over ``workers`` Ray tasks; the report of one process, plus ``shards``."""
    from beamnet_lava.netx_export.export import file_family

    if workers < 1:
        raise BeamnetError(f"--workers {workers} must be >= 1")
    if record is not None:
        refuse_overwrite(Path(record), force)
    net = file_family(path).hook("spike_inputs", subject=path)(path)
    if getattr(net, "sdnn", False):
        raise BeamnetError(f"{path}: sigma-delta layers carry their state from sample to sample "
                           "(one stream), so its samples cannot be sharded; run without --workers")
    try:
        x = np.load(inputs, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise BeamnetError(f"{inputs}: not a .npy array ({str(exc).splitlines()[0]})") from None
    if not isinstance(x, np.ndarray) or x.ndim < 2 or not len(x):
        raise BeamnetError(f"{inputs}: inputs must be an array of samples (samples, ...)")
    shards = [s for s in np.array_split(np.arange(len(x)), min(workers, len(x))) if len(s)]
    network = Path(path).read_bytes()
    parts = RayMapper(address)(_shard_task, [(network, Path(path).suffix, x[s], options) for s in shards])
    report = _merge([p["report"] for p in parts], path, inputs, record)
    report["shards"] = [len(s) for s in shards]
    if record is not None:
        names = parts[0]["layers"].keys()
        with atomic_path(record) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{k: np.concatenate([p["layers"][k] for p in parts]) for k in names})
    return report


def _merge(reports: list[dict[str, Any]], path, inputs, record) -> dict[str, Any]:
    first = reports[0]
    n = sum(r["n_samples"] for r in reports)
    out = {**first, "file": str(path), "inputs": str(inputs), "n_samples": n,
           "record": None if record is None else str(record)}
    for key in SUMMED:
        out[key] = {k: sum(r[key][k] for r in reports) for k in first[key]}
    for key in ("input_spikes", "steps"):
        if first.get(key) is not None:
            out[key] = sum(r[key] for r in reports)
    out["run_seconds"] = max(r["run_seconds"] for r in reports)        # the shards run side by side
    out["compile_seconds"] = max(r["compile_seconds"] for r in reports)
    out["steps_per_s"] = out["steps"] / out["run_seconds"] if out["run_seconds"] else None
    if "predictions" in first:
        out["predictions"] = [p for r in reports for p in r["predictions"]]
    if "readout" in first:                  # an LI readout's membrane range over every shard
        out["readout"] = {**first["readout"], "min": min(r["readout"]["min"] for r in reports),
                          "max": max(r["readout"]["max"] for r in reports)}
    if "energy_per_inference" in first:
        weights = [r["n_samples"] / n for r in reports]
        e = first["energy_per_inference"]
        out["energy_per_inference"] = {**e, "breakdown_nJ": {
            k: sum(w * r["energy_per_inference"]["breakdown_nJ"][k] for w, r in zip(weights, reports))
            for k in e["breakdown_nJ"]}}
    return out
