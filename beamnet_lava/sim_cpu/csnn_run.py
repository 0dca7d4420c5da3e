"""``beamnet-lava run`` of a CSNN file: lava-dl's netx conv and dense blocks on Lava, with parity.

lava-dl 0.6's ``netx.hdf5.Network`` builds ``conv``, ``flatten`` and ``dense`` layers from
stock Lava processes (``lava.proc.conv`` convolutions, ``Dense``, CUBA ``LIF`` neurons with
resets) but not ``pool`` layers. A sum-pooling layer with weight ``w`` and a k x k window is
the depthwise convolution of kernel ``w * ones(k, k)``, stride k, one group per channel:
the pool layer is handed to netx as exactly that ``conv`` layer (:func:`pool_as_conv`), so
pooling runs on the same stock ``lava.proc.conv`` process as the convolutions (which is what
maps onto Loihi 2's convolution support) and the file itself stays lava-dl's pool layer.

Input spikes come flat in the (channel, row, column) order of the data; netx's processes are
(x, y, channel), so the source is connected through a reshape/transpose of the first
layer's input port and each recorded layer through the transpose back (as netx's own
flatten does).

Fixed point only: netx's blocks are its bit-accurate models.
"""
from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path
import h5py
import numpy as np
import torch

from beamnet_lava import budget
from beamnet_lava.data import load_split
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import implements
from beamnet_lava.families.contracts import RunOptions
from beamnet_lava.models.csnn import encode, fan_outs
from beamnet_lava.models.snn import predict_from_counts
from beamnet_lava.netx_export.csnn_file import CsnnFile, read_csnn
from beamnet_lava.sim_cpu.common import lava_progress, take_samples
from beamnet_lava.sim_cpu.graph import LavaGraph, LavaSpec
from beamnet_lava.sim_cpu.report import RunReport
from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S, LavaNetwork, StreamResult


def pool_as_conv(src: h5py.File, dst: h5py.File) -> None:
    """Copy ``src`` into ``dst`` with every ``pool`` layer written as the ``conv`` layer it is:
    depthwise (groups = channels), kernel ``w * ones(k, k)`` per channel, same stride."""
    src.copy(src["layer"], dst, "layer")
    for g in dst["layer"].values():
        if bytes(g["type"][0]).decode() != "pool":
            continue
        w = np.asarray(g["weight"][()]).reshape(-1)[0]
        k = int(np.asarray(g["kernelSize"][()]).reshape(-1)[0])
        c = int(np.asarray(g["shape"][()])[0])
        del g["type"], g["weight"]
        g.create_dataset("type", (1,), "S10", [b"conv"])
        g.create_dataset("weight", data=np.full((c, 1, k, k), w, dtype=np.float32))
        g.create_dataset("inChannels", data=c)
        g.create_dataset("outChannels", data=c)
        g.create_dataset("groups", data=c)


class CsnnSpec(LavaSpec):
    """A validated CSNN file for the streaming runner (:class:`LavaNetwork`)."""

    def __init__(self, net: CsnnFile) -> None:
        self.net = net
        self.path = net.path
        self.input_size = net.input_size
        self.sizes = [l.size for l in net.neuron_layers]
        self.reset_offset = 1              # the first layer is a synapse: one step in
        self._tmp: tempfile.TemporaryDirectory | None = None

    def check(self, precision: str) -> None:
        if precision != "fixed":
            raise BeamnetError(f"{self.path}: a CSNN file runs with --precision fixed (lava-dl's "
                               "bit-accurate netx blocks); float conv processes are not built yet")

    def build(self, window: int, precision: str) -> LavaGraph:
        from beamnet_lava._quiet import import_slayer

        import_slayer()
        from lava.lib.dl.netx import hdf5

        buffer = io.BytesIO()
        with h5py.File(self.path, "r") as src, h5py.File(buffer, "w") as dst:
            pool_as_conv(src, dst)
        self._tmp = tempfile.TemporaryDirectory(prefix="beamnet-lava-csnn-")
        path = Path(self._tmp.name) / "network.net"
        path.write_bytes(buffer.getvalue())
        proc = hdf5.Network(net_config=str(path), reset_interval=window,
                            reset_offset=self.reset_offset)
        c, h, w = self.net.input_shape
        def entry_view(port):           # flat (C, H, W) order -> netx's (x, y, channel)
            return port.reshape((c, h, w)).transpose([2, 1, 0])
        outputs = []
        for block, layer in zip(proc.layers, self.net.neuron_layers):
            out = block.out
            outputs.append(out.transpose([2, 1, 0]).flatten() if len(layer.shape) == 3 else out)
        return LavaGraph(proc.inp, outputs, self.sizes, self.reset_offset, entry_view)


def run_csnn(net: CsnnFile, spikes: np.ndarray, window: int, *, precision: str = "fixed",
             backend: str = "cpu", chunk_samples: int = 32, timeout_s: float = DEFAULT_TIMEOUT_S,
             progress: bool = True) -> StreamResult:
    """Stream input spikes ``(n, inputs, window)`` through the CSNN on Lava (compiled once)."""
    spec = CsnnSpec(net)
    with lava_progress(precision, "samples", progress) as bar:
        task = bar.add_task("run", total=len(spikes))
        with LavaNetwork(spec, window, precision=precision, backend=backend,
                         chunk_samples=chunk_samples, timeout_s=timeout_s) as lava:
            result = lava.run(spikes, progress=lambda k: bar.advance(task, k))
    return result


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


@implements("csnn", hook="lava_run")
def run_csnn_dataset(path: str | Path, options: RunOptions) -> RunReport:
    """A CSNN file on Lava, against the training model rebuilt from the same file."""
    o = options
    dataset, samples, part, precision, backend = o.dataset, o.samples, o.part, o.precision, o.backend
    time_steps, data_dir, seed, timeout_s = o.time_steps, o.data_dir, o.seed, o.timeout_s
    chunk_samples, progress = o.chunk_samples, o.progress
    net = read_csnn(path)
    attrs = net.attrs
    cfg = net.config()
    dataset = dataset or attrs.get("dataset") or "digits"
    window = int(time_steps or attrs.get("time_steps") or 0)
    if window < 1:
        raise BeamnetError(f"{net.path} does not record its time steps; pass --time-steps")
    cfg = cfg.replace(time_steps=window)
    seed = int(attrs.get("seed", 0) if seed is None else seed)
    data = load_split(dataset, seed=seed, data_dir=data_dir, options=attrs)
    x, y = data.part(part)
    if x.shape[1] != net.input_size:
        raise BeamnetError(f"{dataset} samples have {x.shape[1]} features but {net.path} expects "
                           f"{net.input_size} inputs ({'x'.join(map(str, net.input_shape))})")
    x, labels = take_samples(x, y, samples, dataset, part)
    n = len(x)
    budget.check_run(n, net.input_size, [l.size for l in net.neuron_layers], window)
    spikes = encode(cfg, data.spikes(part, window, n) if data.events is not None else x)
    result = run_csnn(net, spikes, window, precision=precision, backend=backend,
                      chunk_samples=chunk_samples, timeout_s=timeout_s, progress=progress)
    pred = predict_from_counts(result.output.sum(axis=-1))
    names = [f"layer{l.index}" for l in net.neuron_layers]
    report = RunReport(
        file=str(net.path), model="csnn", dataset=dataset, split=data.description, part=part,
        n_samples=n, time_steps=window, precision=precision, backend=backend,
        accuracy=float((pred == labels).mean()),
        spikes={k: c for k, c in zip(names, result.spike_counts())},
        synaptic_events=dict(zip(names, layer_events(net, spikes, result.layers))),
        neurons={k: l.size for k, l in zip(names, net.neuron_layers)},
        steps=result.steps, run_seconds=result.seconds, compile_seconds=result.compile_seconds,
        steps_per_s=result.steps / result.seconds if result.seconds else None,
        samples_per_s=n / result.seconds if result.seconds else None,
        predictions=pred.tolist(), details={"input_spikes": int(spikes.sum()), "lanes": 1})
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
