"""``beamnet-lava run`` of a CSNN file: conv-run's Lava path for lava-dl files, with parity.

The file is lava-dl's own format (conv / pool / flatten / dense layers), so it runs through
the one Lava builder of lava-dl files (:mod:`beamnet_lava.sim_cpu.lavadl_graph`: stock
``lava.proc.conv`` convolutions, a sum pool as the depthwise convolution of its constant
kernel, flatten as a port reshape, ``Dense``, CUBA neurons with per-sample resets; lanes and
both precisions), and every layer's spikes are compared with the training model rebuilt
from the same file (:meth:`CsnnFile.to_model`). The CSNN's blocks have ``delay_shift=False``,
so layer ``i``'s step ``j`` answers input step ``j`` in both (the runner removes Lava's
per-layer synapse latency).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
import numpy as np
import torch

from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.families.contracts import RunOptions
from beamnet_lava.models.csnn import encode, fan_outs
from beamnet_lava.models.snn import predict_from_counts
from beamnet_lava.netx_export.csnn_file import CsnnFile, read_csnn
from beamnet_lava.sim_cpu.common import dataset_samples, lava_progress
from beamnet_lava.netx_export.lavadl_file import read_file
from beamnet_lava.sim_cpu.lanes import AUTO
from beamnet_lava.netx_export.lavadl_file import read_lavadl
from beamnet_lava.sim_cpu import shards
from beamnet_lava.sim_cpu.lavadl_graph import LavadlOptions
from beamnet_lava.sim_cpu.report import RunReport
from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S



def run_csnn(net: CsnnFile, spikes: np.ndarray, window: int, *, precision: str = "fixed",
             backend: str = "cpu", chunk_samples: int = 32, timeout_s: float = DEFAULT_TIMEOUT_S,
             progress: bool = True, lanes: int | str = 1, mapper=None, workers: int | None = None) -> CsnnRun:
    """Stream input spikes ``(n, inputs, window)`` through the CSNN file on Lava; every neuron
    layer's spikes come back as ``(n, neurons, window)`` uint8 in (C, H, W) order. ``workers``
    > 1: the samples sharded over ``mapper`` (:mod:`beamnet_lava.sim_cpu.shards`)."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 3 or spikes.shape[1] != net.input_size or spikes.shape[2] != window:
        raise BeamnetError(f"input spikes have shape {spikes.shape}; {net.path} needs "
                           f"(samples, {net.input_size}, {window})")
    with lava_progress(precision, "samples", progress) as bar:
        task = bar.add_task("run", total=len(spikes))
        res = shards.lavadl(read_lavadl(net.path), spikes.astype(np.uint8).transpose(0, 2, 1), LavadlOptions(
            time_steps=window, precision=precision, backend=backend, input_mode="spikes",
            chunk_samples=chunk_samples, timeout_s=timeout_s, lanes=lanes,
            progress=lambda k: bar.advance(task, k)), mapper=mapper, workers=workers)
    layers = [np.ascontiguousarray(l.transpose(0, 2, 1)) for l in res.layers]
    return CsnnRun(layers, res.names, res.seconds, res.compile_seconds, res.steps, res.lanes)


@dataclass
class CsnnRun:
    layers: list[np.ndarray]          # (n, neurons, T) per neuron layer
    names: list[str]                  # "layer<NetX index>"
    seconds: float
    compile_seconds: float
    steps: int
    lanes: int

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1]

    def spike_counts(self) -> list[int]:
        return [int(l.sum(dtype=np.int64)) for l in self.layers]


def reference_layers(net: CsnnFile, spikes: np.ndarray, batch: int = 256) -> list[np.ndarray]:
    """Every neuron layer's spikes ``(n, neurons, T)`` of the training model rebuilt from ``net``."""
    model = net.to_model()
    outs: list[list[np.ndarray]] = [[] for _ in net.neuron_layers]
    with torch.no_grad():
        for i in range(0, len(spikes), batch):
            x = torch.from_numpy(np.asarray(spikes[i:i + batch], dtype=np.float32))
            for acc, o in zip(outs, model.layer_outputs(x)):
                acc.append(o.numpy().astype(np.uint8))
    return [np.concatenate(o) for o in outs]


def layer_events(net: CsnnFile, spikes: np.ndarray, layers: list[np.ndarray]) -> list[int]:
    """Synaptic events delivered into each neuron layer: every presynaptic spike times its
    neuron's actual non-zero fan-out (a conv neuron's is not a dense row)."""
    fans = fan_outs(net.to_model())
    pres = [spikes] + list(layers[:-1])
    return [int((pre.sum(axis=(0, 2), dtype=np.int64) * fan).sum()) for pre, fan in zip(pres, fans)]


def dataset_spikes(net: CsnnFile, dataset: str | None, samples: int | None, part: str,
                   data_dir: str | None, seed: int | None, time_steps: int | None
                   ) -> tuple[np.ndarray, np.ndarray, dict]:
    """The encoded input spikes ``(n, inputs, T)``, labels and description of the dataset samples
    a CSNN file records (its dataset, seed and encoding unless overridden), as ``run`` feeds them."""
    got = dataset_samples(net, dataset, samples, part, data_dir, seed, time_steps,
                          layer_sizes=[l.size for l in net.neuron_layers],
                          shape_note=f" ({'x'.join(map(str, net.input_shape))})")
    cfg = net.config().replace(time_steps=got.window)
    spikes = encode(cfg, got.spikes() if got.data.events is not None else got.x)
    return (np.asarray(spikes), np.asarray(got.labels, dtype=np.int64),
            {"dataset": got.dataset, "part": part, "split": got.data.description,
             "window": got.window, "seed": got.seed})


def run_csnn_dataset(path: str | Path, options: RunOptions) -> RunReport:
    """A CSNN file on Lava, against the training model rebuilt from the same file."""
    o = options
    dataset, samples, part, precision, backend = o.dataset, o.samples, o.part, o.precision, o.backend
    time_steps, data_dir, seed, timeout_s = o.time_steps, o.data_dir, o.seed, o.timeout_s
    chunk_samples, progress = o.chunk_samples, o.progress
    net = read_csnn(path)
    spikes, labels, info = dataset_spikes(net, dataset, samples, part, data_dir, seed, time_steps)
    n, window, dataset = len(spikes), info["window"], info["dataset"]
    result = run_csnn(net, spikes, window, precision=precision, backend=backend,
                      chunk_samples=chunk_samples, timeout_s=timeout_s, progress=progress,
                      lanes=AUTO if o.lanes is None else o.lanes, mapper=o.mapper, workers=o.workers)
    pred = predict_from_counts(result.output.sum(axis=-1))
    names = result.names
    report = RunReport(
        file=str(net.path), model="csnn", dataset=dataset, split=info["split"], part=part,
        n_samples=n, time_steps=window, precision=precision, backend=backend,
        accuracy=float((pred == labels).mean()),
        spikes={k: c for k, c in zip(names, result.spike_counts())},
        synaptic_events=dict(zip(names, layer_events(net, spikes, result.layers))),
        neurons={k: l.size for k, l in zip(names, net.neuron_layers)},
        steps=result.steps, run_seconds=result.seconds, compile_seconds=result.compile_seconds,
        steps_per_s=result.steps / result.seconds if result.seconds else None,
        samples_per_s=n / result.seconds if result.seconds else None,
        predictions=pred.tolist(), details={"input_spikes": int(spikes.sum()), "lanes": result.lanes})
    t0 = time.perf_counter()
    ref = reference_layers(net, spikes)
    same = [(a == b).reshape(n, -1).all(axis=1) for a, b in zip(result.layers, ref)]
    ref_pred = predict_from_counts(ref[-1].sum(axis=-1))
    report.spike_parity = float(np.logical_and.reduce(same).mean())
    report.layer_parity = {k: float(s.mean()) for k, s in zip(names, same)}
    report.prediction_agreement = float((ref_pred == pred).mean())
    report.reference_accuracy = float((ref_pred == labels).mean())
    report.reference_seconds = time.perf_counter() - t0
    return report


# this module's hooks, attached by the registry (families.registry.load) through sim_cpu/__init__.py's providers()
PROVIDES = [
    provide("spike_inputs", read_file, "csnn"),  # run --inputs: lava-dl's reader and runner
    provide("lava_run", run_csnn_dataset, "csnn"),
]
