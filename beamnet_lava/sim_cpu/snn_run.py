"""The SNN family's ``lava_run``: a NetX CUBA SNN (ours or any stock lava-dl dense network) on
Lava, against the training model rebuilt from the same file (its siblings: beamnet_run.py,
brf_run.py; the dispatcher ``run_dataset`` is in evaluate.py)."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from beamnet_lava.data import rate_encode
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import family_of_file
from beamnet_lava.families.registry import provide
from beamnet_lava.families.contracts import RunOptions
from beamnet_lava.models.snn import CubaSNN, predict_from_counts
from beamnet_lava.netx_export.netx_file import NetxNetwork, read_netx
from beamnet_lava.nir import channels, readout
from beamnet_lava.sim_cpu import shards
from beamnet_lava.sim_cpu.common import dataset_samples, delivered_events, lava_progress
from beamnet_lava.sim_cpu.report import RunReport
from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S
from beamnet_lava.sim_cpu.graph import NetxSpec
from beamnet_lava.sim_cpu.lanes import AUTO, choose_lanes
from beamnet_lava.sim_cpu.runner import StreamResult, run_lanes


def synaptic_events(net: NetxNetwork, input_spikes: np.ndarray, layers: list[np.ndarray]) -> list[int]:
    """Synaptic events delivered into each layer: presynaptic spikes x their non-zero fan-out."""
    events = []
    pre = input_spikes
    for layer, post in zip(net.layers, layers):
        if layer.weight is None:
            events.append(int(pre.sum()))   # input layer: one event per input spike
        else:
            events.append(delivered_events(pre, layer.weight))
        pre = post
    return events


def reference_outputs(net: NetxNetwork, spikes: np.ndarray, batch: int = 256) -> list[np.ndarray] | None:
    """Per-layer spike trains of the training model (eval mode) rebuilt from ``net``."""
    if net.reference_unavailable():
        return None
    model = CubaSNN.from_netx_layers(net.layers)
    outs: list[list[np.ndarray]] = [[] for _ in net.layers]
    with torch.no_grad():
        for i in range(0, len(spikes), batch):
            for acc, o in zip(outs, model.layer_outputs(torch.from_numpy(spikes[i:i + batch]))):
                acc.append(o.numpy().astype(np.uint8))
    return [np.concatenate(o) for o in outs]


def carry_steps(net) -> int:
    """Steps a spike can stay in flight past its sample's window: the largest synaptic
    delay, at least 1 for a recurrent layer (0 for a plain feed-forward net, whose
    staggered layer resets already keep samples apart)."""
    carry = 0
    for layer in net.layers:
        if layer.delay is not None and layer.delay.size:
            carry = max(carry, int(layer.delay.max()))
        if layer.weight_rec is not None:
            carry = max(carry, 1)
    return carry


def run_snn(net: NetxNetwork, spikes: np.ndarray, window: int, *, precision: str = "fixed",
            backend: str = "cpu", chunk_samples: int = 32, timeout_s: float = DEFAULT_TIMEOUT_S,
            progress: bool = True, lanes: int | str = 1):
    """Stream input spikes ``(n, inputs, T)`` through a NetX SNN on Lava (compiled once),
    ``lanes`` samples side by side (:mod:`beamnet_lava.sim_cpu.lanes`).

    2-D ``spikes`` are images, rate coded here. Returns the spikes, the unpacked
    result and the lanes used."""
    if spikes.ndim == 2:
        spikes = rate_encode(spikes, window)
    lanes = choose_lanes(lanes, len(spikes), net.input_size + sum(l.size for l in net.layers))
    with lava_progress(precision, "samples", progress) as bar:
        task = bar.add_task("run", total=len(spikes))
        result = run_lanes(NetxSpec(net, lanes), spikes, window, lanes, precision=precision,
                           backend=backend, chunk_samples=chunk_samples, timeout_s=timeout_s,
                           progress=lambda k: bar.advance(task, k))
    return spikes, result, lanes


def _block(network: bytes, suffix: str, spikes: np.ndarray, window: int, kwargs: dict):
    """One block of a NetX SNN run (a Ray task): the ordinary :func:`run_snn`."""
    with tempfile.TemporaryDirectory(prefix="beamnet-shard-") as tmp:
        net = read_netx(shards.file_copy(network, suffix, tmp))
        return run_snn(net, spikes, window, progress=False, **kwargs)


def run_snn_sharded(net, spikes: np.ndarray, window: int, *, mapper: shards.Mapper | None, workers: int | None,
        **kwargs: Any):
    """:func:`run_snn`, its samples sharded over ``mapper`` (:mod:`beamnet_lava.sim_cpu.shards`)."""
    k = shards.check(mapper, workers, kwargs.get("backend", "cpu"))
    if k == 1 or len(spikes) < 2:
        return run_snn(net, spikes, window, **kwargs)
    kwargs = {**{key: v for key, v in kwargs.items() if key != "progress"}, "backend": "cpu"}
    network, suffix = Path(net.path).read_bytes(), Path(net.path).suffix
    parts = mapper(_block, [(network, suffix, spikes[b], window, kwargs)
                                for b in shards.blocks(len(spikes), k)])
    results = [p[1] for p in parts]
    streams = [r.stream_spikes for r in results]
    merged = StreamResult(
        layers=[np.concatenate(ls) for ls in zip(*(r.layers for r in results))],
        seconds=max(r.seconds for r in results),
        compile_seconds=max(r.compile_seconds for r in results),
        steps=sum(r.steps for r in results),
        stream_spikes=None if any(s is None for s in streams) else [sum(c) for c in zip(*streams)])
    return np.concatenate([p[0] for p in parts]), merged, parts[0][2]


def run_snn_dataset(path: str | Path, options: RunOptions) -> RunReport:
    """A NetX SNN (ours or any stock CUBA dense network) on Lava, against the training model."""
    o = options
    dataset, samples, part, precision, backend = o.dataset, o.samples, o.part, o.precision, o.backend
    time_steps, data_dir, seed, timeout_s = o.time_steps, o.data_dir, o.seed, o.timeout_s
    chunk_samples, progress, lanes = o.chunk_samples, o.progress, AUTO if o.lanes is None else o.lanes
    net = read_netx(path)
    if (o.workers or 1) > 1 and carry_steps(net):
        raise BeamnetError(f"{net.path}: its samples stream back to back through recurrent or delayed "
                           "layers, so shards would not be one run; drop --workers, or shard "
                           "--inputs (whose samples are isolated)")
    if any(channels.of(net)):
        raise BeamnetError(f"{net.path} has always-on bias units (a NIR import, docs/nir.md); run it "
                           "with --inputs SPIKES.npy, which drives them")
    if readout.of(net) is not None:
        raise BeamnetError(f"{net.path} ends in an LI readout (membrane values, not spikes to count: "
                           "docs/nir.md); run it with --inputs SPIKES.npy --record OUT.npz")
    got = dataset_samples(net, dataset, samples, part, data_dir, seed, time_steps,
                          layer_sizes=[l.size for l in net.layers],
                          steps_hint=" (not exported by beamnet-lava); pass --time-steps")
    dataset, data, labels, n, window = got.dataset, got.data, got.labels, got.n, got.window
    spikes = got.spikes()
    spikes, result, lanes = run_snn_sharded(net, spikes, window, mapper=o.mapper, workers=o.workers,
                                       precision=precision, backend=backend,
                                       chunk_samples=chunk_samples, timeout_s=timeout_s,
                                       progress=progress, lanes=lanes)

    counts = result.output.sum(axis=-1)
    pred = predict_from_counts(counts)
    report = RunReport(
        file=str(net.path), model=family_of_file(net.path, net.attrs, True).name, dataset=dataset,
        split=data.description, part=part, n_samples=n, time_steps=window, precision=precision,
        backend=backend, accuracy=float((pred == labels).mean()),
        spikes={f"layer{i}": c for i, c in enumerate(result.spike_counts())},
        synaptic_events={f"layer{i}": e for i, e in
                         enumerate(synaptic_events(net, spikes, result.layers))},
        neurons={f"layer{i}": l.size for i, l in enumerate(net.layers)},
        steps=result.steps, run_seconds=result.seconds, compile_seconds=result.compile_seconds,
        steps_per_s=result.steps / result.seconds if result.seconds else None,
        samples_per_s=n / result.seconds if result.seconds else None,
        predictions=pred.tolist(), details={"input_spikes": int(spikes.sum()), "lanes": lanes})
    t0 = time.perf_counter()
    ref = reference_outputs(net, spikes)
    if ref is None:
        report.parity_note = f"no training-model reference: {net.reference_unavailable()}"
    else:
        same = [(a == b).reshape(n, -1).all(axis=1) for a, b in zip(result.layers, ref)]
        ref_pred = predict_from_counts(ref[-1].sum(axis=-1))
        report.spike_parity = float(np.logical_and.reduce(same).mean())
        report.layer_parity = {f"layer{i}": float(s.mean()) for i, s in enumerate(same)}
        report.prediction_agreement = float((ref_pred == pred).mean())
        report.reference_accuracy = float((ref_pred == labels).mean())
        report.reference_seconds = time.perf_counter() - t0
    return report


# this module's hooks, attached by the registry (families.registry.load) through sim_cpu/__init__.py's providers()
PROVIDES = [
    provide("lava_run", run_snn_dataset, "snn"),
]
