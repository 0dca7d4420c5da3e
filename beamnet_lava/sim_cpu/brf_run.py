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

Lanes (:mod:`beamnet_lava.sim_cpu.lanes`): with ``lanes > 1`` the three
connections are ``LaneDense`` (the recurrent one maps each lane's spikes back
to that lane only), ``BRF`` holds ``lanes`` blocks of hidden neurons with the
per-neuron coefficients repeated, and ``LeakyReadout`` decides per lane.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import budget
from beamnet_lava.budget import F64
from beamnet_lava.neurons import brf
from beamnet_lava.data.sequences import LENGTHS, SEQ_DATASETS, load_sequences, sequence_levels
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.families.contracts import RunOptions
from beamnet_lava.metrics.energy import load_constants, per_op_nJ
from beamnet_lava.models.brf import fixed_forward
from beamnet_lava.netx_export.brf_file import BrfFile, read_brf
from beamnet_lava.sim_cpu.common import delivered_events, lava_progress, take_samples
from beamnet_lava.sim_cpu.graph import LavaGraph, LavaSpec
from beamnet_lava.sim_cpu.report import RunReport
from beamnet_lava.sim_cpu.lanes import AUTO, choose_lanes, tile
from beamnet_lava.sim_cpu.runner import run_lanes
from beamnet_lava.sim_cpu.lanes import synapse as laned_synapse


class BrfSpec(LavaSpec):
    """A validated BRF export for :class:`~beamnet_lava.sim_cpu.runner.LavaNetwork`, in ``lanes``."""

    graded_input = True            # the source sends pixel levels, not 0/1 spikes
    reset_offset = 1               # NetX's meaning: hidden layer's window starts at recorder row k*T + 1

    def __init__(self, net: BrfFile, lanes: int = 1) -> None:
        self.net = net
        self.path = net.path
        self.lanes = int(lanes)
        self.input_size = self.lanes * net.input_size
        self.sizes = [self.lanes * s for s in net.sizes]

    def build(self, window: int, precision: str) -> LavaGraph:
        import beamnet_lava.processes.brf.models  # noqa: F401  (register the models)
        from beamnet_lava.processes.brf.process import BRF, LeakyReadout

        if window != self.net.time_steps:
            raise BeamnetError(f"{self.path} was exported for {self.net.time_steps}-step sequences, "
                               f"not {window}")
        L = self.net.layers
        fixed = precision == "fixed"
        lanes = self.lanes

        def dense(key: str, message_bits: int = 0):
            mant, exp = L[key]
            if fixed:
                return laned_synapse(mant, lanes, weight_exp=exp, num_weight_bits=8,
                                     num_message_bits=message_bits)
            return laned_synapse((mant << exp) / brf.ONE, lanes, num_message_bits=message_bits)

        h, k = self.sizes
        p = L["neuron"]
        neuron = BRF(shape=(h,), omega_dt=tile(p.omega_dt, lanes), b_dt=tile(p.b_dt, lanes),
                     balanced=p.balanced, delta_int=p.delta_int, reset_interval=window,
                     reset_offset=self.reset_offset + 1)
        readout = LeakyReadout(shape=(k,), alpha_int=L["alpha"], reset_interval=window,
                               reset_offset=self.reset_offset + 2, lanes=lanes)
        w_in, w_rec, w_out = dense("weight", message_bits=8), dense("weight_rec"), dense("weight_out")
        w_in.a_out.connect(neuron.a_in)
        neuron.s_out.connect(w_rec.s_in)
        w_rec.a_out.connect(neuron.r_in)
        neuron.s_out.connect(w_out.s_in)
        w_out.a_out.connect(readout.a_in)
        return LavaGraph(w_in.s_in, [neuron.s_out, readout.s_out], [h, k], self.reset_offset)


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


def run_brf_dataset(path: str | Path, options: RunOptions) -> RunReport:
    """Run ``samples`` pixel sequences of ``dataset``'s ``part`` through a BRF export on Lava."""
    o = options
    dataset, samples, part, precision, backend = o.dataset, o.samples, o.part, o.precision, o.backend
    time_steps, data_dir, seed, timeout_s = o.time_steps, o.data_dir, o.seed, o.timeout_s
    chunk_samples, progress, lanes = o.chunk_samples, o.progress, AUTO if o.lanes is None else o.lanes
    energy_constants = o.energy_constants
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

    lanes = choose_lanes(lanes, n, net.input_size + sum(net.sizes))
    with lava_progress(precision, "sequences", progress) as bar:
        task = bar.add_task("run", total=n)
        result = run_lanes(BrfSpec(net, lanes), levels, window, lanes, precision=precision,
                           backend=backend, chunk_samples=chunk_samples, timeout_s=timeout_s,
                           progress=lambda k: bar.advance(task, k))

    hidden, decision = result.layers
    pred = decision.sum(axis=-1).argmax(axis=1)
    h, k = net.sizes
    # graded input: one message per non-zero pixel level, times its non-zero fan-out
    breakdown = {"input": int((np.count_nonzero(levels, axis=(0, 1))).sum()
                              * np.count_nonzero(net.layers["weight"][0])),
                 "recurrent": delivered_events(hidden[:, :, :-1], net.layers["weight_rec"][0]),
                 "readout": delivered_events(hidden, net.layers["weight_out"][0])}
    events = {"layer0": breakdown["input"] + breakdown["recurrent"], "layer1": breakdown["readout"]}
    report = RunReport(
        file=str(net.path), model=str(net.attrs.get("model")), dataset=dataset,
        split=data.description, part=part, n_samples=n, time_steps=window, precision=precision,
        backend=backend, accuracy=float((pred == labels).mean()),
        spikes={"layer0": int(hidden.sum()), "layer1": int(decision.sum())},
        synaptic_events=events, neurons={"layer0": h, "layer1": k},
        steps=result.steps, run_seconds=result.seconds, compile_seconds=result.compile_seconds,
        steps_per_s=result.steps / result.seconds if result.seconds else None,
        samples_per_s=n / result.seconds if result.seconds else None,
        predictions=pred.tolist(),
        details={"neuron_type": net.neuron_type, "lanes": lanes, "spikes_per_sample": float(hidden.sum()) / n,
                 "input_messages": int(np.count_nonzero(levels)),
                 "synaptic_events_breakdown": breakdown,
                 "neuron_updates": {"layer0": n * window * h, "layer1": n * window * k}})
    t0 = time.perf_counter()
    ref = fixed_forward(net.layers, levels)
    same_train = (hidden == ref.hidden_spikes).reshape(n, -1).all(axis=1)
    # the readout's one decision spike per sample is identical exactly when the label is
    same_decision = ref.predictions == pred
    report.spike_parity = float((same_train & same_decision).mean())
    report.prediction_agreement = float(same_decision.mean())
    report.layer_parity = {"layer0": float(same_train.mean()), "layer1": float(same_decision.mean())}
    report.details["spike_bit_agreement"] = float((hidden == ref.hidden_spikes).mean())
    report.reference_accuracy = float((ref.predictions == labels).mean())
    report.reference_seconds = time.perf_counter() - t0
    report.parity_note = ("reference: the training model's fixed-point forward "
                          "(beamnet_lava.models.brf.fixed_forward)")
    report.energy_per_inference = energy_report(report, energy_constants)
    return report


def energy_report(report: RunReport, constants_path: str | Path | None) -> dict[str, Any]:
    """Per-operation energy per sequence from the counted activity (:mod:`beamnet_lava.metrics.energy`).

    Approximation: the table's neuron-update energies are Loihi's LIF updates; a BRF
    update (two coupled state variables and a trace) costs more, so this is a lower bound.
    """
    n = report.n_samples
    table = load_constants(path=constants_path)
    hidden_spikes = report.spikes["layer0"] / n          # per sequence
    breakdown = per_op_nJ(sum(report.synaptic_events.values()) / n,
                          sum(report.details["neuron_updates"].values()) / n, hidden_spikes,
                          report.details["input_messages"] / n + hidden_spikes, table)
    return {"breakdown_nJ": breakdown,
            "constants_source": table.get("source", str(constants_path)),
            "note": "neuron updates priced as Loihi LIF updates: a lower bound for BRF"}


# this module's hooks, attached by the registry (families.registry.load) through sim_cpu/__init__.py's providers()
PROVIDES = [
    provide("lava_run", run_brf_dataset, "brf-rsnn", "rf-rsnn"),
]
