"""``beamnet-lava run`` for BRF/RF exports: the Lava graph, the run, the parity report.

Graph (both precisions)::

    SpikeSource (pixel levels, graded) -> Dense W (8-bit message) -> BRF.a_in
    BRF.s_out -> Dense R -> BRF.r_in            (recurrence: Dense adds one step, z_{t-1})
    BRF.s_out -> Dense W_out -> LeakyReadout    (one decision spike per sample)

fixed: lava's bit-accurate ``Dense`` (mantissas + ``weight_exp``) and the
fixed_pt models of :mod:`beamnet_lava.processes.brf`; float: lava's float Dense
with ``weight / 2**FRAC`` and the floating_pt models. The reference is the
training model's fixed-point forward (:func:`beamnet_lava.models.brf.fixed_forward`)
on the same integer inputs.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import budget
from beamnet_lava.budget import F64
from beamnet_lava import brf
from beamnet_lava.data.sequences import LENGTHS, SEQ_DATASETS, load_sequences, sequence_levels
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export.brf_file import BrfFile, read_brf
from beamnet_lava.sim_cpu.common import delivered_events, lava_progress, take_samples
from beamnet_lava.sim_cpu.graph import LavaGraph, LavaSpec
from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S, LavaNetwork


class BrfSpec(LavaSpec):
    """A validated BRF export for :class:`~beamnet_lava.sim_cpu.runner.LavaNetwork`."""

    graded_input = True            # the source sends pixel levels, not 0/1 spikes
    first_offset = 1               # hidden layer's window starts at recorder row k*T + 1

    def __init__(self, net: BrfFile) -> None:
        self.net = net
        self.path = net.path
        self.input_size = net.input_size
        self.sizes = net.sizes

    def build(self, window: int, precision: str) -> LavaGraph:
        import beamnet_lava.processes.brf.models  # noqa: F401  (register the models)
        from lava.proc.dense.process import Dense

        from beamnet_lava.processes.brf.process import BRF, LeakyReadout

        if window != self.net.time_steps:
            raise BeamnetError(f"{self.path} was exported for {self.net.time_steps}-step sequences, "
                               f"not {window}")
        L = self.net.layers
        fixed = precision == "fixed"

        def dense(key: str, message_bits: int = 0):
            mant, exp = L[key]
            if fixed:
                return Dense(weights=mant, weight_exp=exp, num_weight_bits=8,
                             num_message_bits=message_bits)
            return Dense(weights=(mant << exp) / brf.ONE, num_message_bits=message_bits)

        h, k = self.sizes
        neuron = BRF(shape=(h,), params=L["neuron"], window=window, offset=self.first_offset)
        readout = LeakyReadout(shape=(k,), alpha_int=L["alpha"], window=window,
                               offset=self.first_offset + 1)
        w_in, w_rec, w_out = dense("weight", message_bits=8), dense("weight_rec"), dense("weight_out")
        w_in.a_out.connect(neuron.a_in)
        neuron.s_out.connect(w_rec.s_in)
        w_rec.a_out.connect(neuron.r_in)
        neuron.s_out.connect(w_out.s_in)
        w_out.a_out.connect(readout.a_in)
        return LavaGraph(w_in.s_in, [neuron.s_out, readout.s_out], [h, k], self.first_offset)


def check_sequences(net: BrfFile, dataset: str, time_steps: int | None) -> int:
    """The window: the file's sequence length, refusing data or flags of another length."""
    if time_steps is not None and int(time_steps) != net.time_steps:
        raise BeamnetError(f"--time-steps {time_steps} does not match {net.path}, exported for "
                           f"{net.time_steps}-step sequences ({net.attrs.get('dataset')})")
    if dataset not in SEQ_DATASETS:
        raise BeamnetError(f"{net.path} is a sequence model; run it on {', '.join(SEQ_DATASETS)}, "
                           f"not {dataset!r}")
    if dataset in LENGTHS and LENGTHS[dataset] != net.time_steps:
        raise BeamnetError(f"{dataset} sequences have {LENGTHS[dataset]} steps but {net.path} was "
                           f"exported for {net.time_steps}-step sequences")
    return net.time_steps


def run_brf_dataset(path: str | Path, dataset: str | None = None, samples: int | None = None, *,
                    part: str = "test", precision: str = "fixed", backend: str = "cpu",
                    time_steps: int | None = None, data_dir: str | None = None,
                    seed: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                    chunk_samples: int = 32, progress: bool = True,
                    energy_constants: str | Path | None = None) -> dict[str, Any]:
    """Run ``samples`` pixel sequences of ``dataset``'s ``part`` through a BRF export on Lava."""
    from beamnet_lava.models.brf import fixed_forward

    net = read_brf(path)
    dataset = dataset or str(net.attrs.get("dataset"))
    window = check_sequences(net, dataset, time_steps)
    seed = int(net.attrs.get("seed", 0) if seed is None else seed)
    data = load_sequences(dataset, seed=seed, data_dir=data_dir, options=net.attrs)
    _, labels = take_samples(*data.part(part), samples, dataset, part)
    budget.check_run(len(labels), net.input_size, net.sizes, window, state=F64)
    levels = sequence_levels(data, part, window, len(labels))
    if levels.shape[1] != net.input_size:
        raise BeamnetError(f"{dataset} gives {levels.shape[1]} input channels but {net.path} expects "
                           f"{net.input_size}")
    if int(levels.max(initial=0)) > net.input_levels:
        raise BeamnetError(f"{dataset} pixel levels exceed the file's input_levels={net.input_levels}")
    n = len(levels)

    with LavaNetwork(BrfSpec(net), window, precision=precision, backend=backend,
                     chunk_samples=chunk_samples, timeout_s=timeout_s) as lava:
        with lava_progress(precision, "sequences", progress) as bar:
            task = bar.add_task("run", total=n)
            result = lava.run(levels, progress=lambda k: bar.advance(task, k))

    hidden, decision = result.layers
    pred = decision.sum(axis=-1).argmax(axis=1)
    h, k = net.sizes
    # graded input: one message per non-zero pixel level, times its non-zero fan-out
    breakdown = {"input": int((np.count_nonzero(levels, axis=(0, 1))).sum()
                              * np.count_nonzero(net.layers["weight"][0])),
                 "recurrent": delivered_events(hidden[:, :, :-1], net.layers["weight_rec"][0]),
                 "readout": delivered_events(hidden, net.layers["weight_out"][0])}
    events = {"layer0": breakdown["input"] + breakdown["recurrent"], "layer1": breakdown["readout"]}
    report: dict[str, Any] = {
        "file": str(net.path), "model": net.attrs.get("model"), "neuron_type": net.neuron_type,
        "dataset": dataset, "split": data.description, "part": part, "n_samples": n,
        "time_steps": window, "precision": precision, "backend": backend,
        "accuracy": float((pred == labels).mean()),
        "spikes": {"layer0": int(hidden.sum()), "layer1": int(decision.sum())},
        "spikes_per_sample": float(hidden.sum()) / n,
        "input_messages": int(np.count_nonzero(levels)),
        "synaptic_events": events, "synaptic_events_breakdown": breakdown,
        "neuron_updates": {"layer0": n * window * h, "layer1": n * window * k},
        "neurons": {"layer0": h, "layer1": k},
        "steps": result.steps, "run_seconds": result.seconds,
        "compile_seconds": result.compile_seconds,
        "steps_per_s": result.steps / result.seconds if result.seconds else None,
        "samples_per_s": n / result.seconds if result.seconds else None,
    }
    t0 = time.perf_counter()
    ref = fixed_forward(net.layers, levels)
    same_train = (hidden == ref.hidden_spikes).reshape(n, -1).all(axis=1)
    report["parity"] = float((ref.predictions == pred).mean())
    report["prediction_agreement"] = report["parity"]
    report["layer_parity"] = {"layer0": float(same_train.mean()), "layer1": report["parity"]}
    report["spike_bit_agreement"] = float((hidden == ref.hidden_spikes).mean())
    report["reference_accuracy"] = float((ref.predictions == labels).mean())
    report["reference_seconds"] = time.perf_counter() - t0
    report["parity_note"] = ("reference: the training model's fixed-point forward "
                             "(beamnet_lava.models.brf.fixed_forward)")
    report["energy_per_inference"] = energy_report(report, energy_constants)
    report["predictions"] = pred.tolist()
    return report


def energy_report(report: dict[str, Any], constants_path: str | Path | None) -> dict[str, Any]:
    """Per-operation energy per sequence from the counted activity (:mod:`beamnet_lava.metrics.energy`).

    Approximation: the table's neuron-update energies are Loihi's LIF updates; a BRF
    update (two coupled state variables and a trace) costs more, so this is a lower bound.
    """
    from beamnet_lava.metrics.energy import Activity, breakdown_nJ, load_constants

    n = report["n_samples"]
    table = load_constants(path=constants_path)
    activity = Activity(encoder_spikes=report["input_messages"] / n,
                        synaptic_events=sum(report["synaptic_events"].values()) / n,
                        memory_spikes=report["spikes"]["layer0"] / n, inhibitory_events=0.0,
                        neuron_updates=sum(report["neuron_updates"].values()) / n, windows=1.0,
                        n_memory=report["neurons"]["layer0"])
    return {"breakdown_nJ": breakdown_nJ(activity, table),
            "constants_source": table.get("source", str(constants_path)),
            "note": "neuron updates priced as Loihi LIF updates: a lower bound for BRF"}
