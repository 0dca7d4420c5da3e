"""Run an exported BEAM-Net on Lava: coincidence synapses, Bayesian LIF memory neurons and
the Dirichlet readout (Eq. 12-15) as Lava processes.

With the top-down loop (Eq. 16-17) each window is one Lava pass over all samples
(window index ``k`` keys the noise as in training); between windows the host
reads the posterior, applies the feedback to the encoding and stops samples that
converged — the loop is :meth:`BeamNet.infer`'s, with Lava computing the
windows. Parity is checked against the training model rebuilt from the same
file with the same noise keys: identical memory spike trains, windows used,
predictions and uncertainties.
"""
from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import budget
from beamnet_lava.budget import F64
from beamnet_lava.data import load_split, times_to_raster
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.families.contracts import RunOptions
from beamnet_lava.metrics.calibration import ece
from beamnet_lava.metrics.energy import Activity, breakdown_nJ, eq25_nJ, load_constants
from beamnet_lava.metrics.uncertainty import Uncertainty, dirichlet_uncertainty
from beamnet_lava.models.beamnet import encoder_intensity, probe_delta, probe_params
from beamnet_lava.neurons.bayes_lif import BayesLIFParams
from beamnet_lava.netx_export.beamnet_file import BeamnetFile, read_beamnet
from beamnet_lava.neurons.noise import sample_keys

from beamnet_lava.sim_cpu.graph import LavaGraph, LavaSpec
from beamnet_lava.sim_cpu.report import RunReport
from beamnet_lava.sim_cpu.common import delivered_events, lava_progress, take_samples
from beamnet_lava.sim_cpu.lanes import AUTO, choose_lanes, parse_lanes
from beamnet_lava.sim_cpu.runner import run_lanes
from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S


class BeamnetSpec(LavaSpec):
    """RingDelayDense (coincidence, Eq. 21-22) -> BayesLIF (Eq. 8-10, Prop. 3.3).

    ``lanes`` independent copies run side by side; one runner "sample" is then
    ``lanes`` consecutive samples packed lane-major (:mod:`beamnet_lava.sim_cpu.lanes`).
    """

    def __init__(self, bf: BeamnetFile, key_base: int, lanes: int = 1, window_index: int = 0,
                 readout_path: str | None = None, readout_rows: int = 0,
                 params: BayesLIFParams | None = None) -> None:
        self.bf = bf
        self.params = params or bf.params          # the probe window's differ (probe_params)
        self.readout_path, self.readout_rows = readout_path, int(readout_rows)
        self.key_base = int(key_base)
        self.lanes = int(lanes)
        self.window_index = int(window_index)
        self.path = bf.path
        self.input_size = self.lanes * bf.input_size
        self.sizes = [self.lanes * bf.n_memory]
        self.reset_offset = 1        # NetX's meaning: the synapse delivers one step after the source

    def build(self, window: int, precision: str) -> LavaGraph:
        import beamnet_lava.processes.bayes_lif.models  # noqa: F401  (register models)
        import beamnet_lava.processes.ring_delay_dense.models  # noqa: F401
        from beamnet_lava.processes.bayes_lif.process import BayesLIF
        from beamnet_lava.processes.ring_delay_dense.process import RingDelayDense

        synapses = RingDelayDense(weights=self.bf.weight, delays=self.bf.delay, lanes=self.lanes)
        start = self.reset_offset + 1                        # the layer's first step (LIFReset's)
        neurons = BayesLIF(shape=(self.lanes * self.bf.n_memory,), **dataclasses.asdict(self.params),
                           reset_interval=window, reset_offset=start, key_base=self.key_base,
                           key_span=self.bf.key_span, window_index=self.window_index,
                           lanes=self.lanes)
        synapses.a_out.connect(neurons.a_in)
        self.synapses, self.neurons = synapses, neurons      # their counters are read after a run
        if self.readout_path:
            import beamnet_lava.processes.dirichlet_readout.models  # noqa: F401
            from beamnet_lava.processes.dirichlet_readout.process import DirichletReadout

            cfg = self.bf.config
            readout = DirichletReadout(n_memory=self.bf.n_memory, logits=self.bf.readout_logits,
                                       alpha_0=self.bf.alpha_0, eta=self.bf.eta,
                                       reset_interval=window, path=self.readout_path,
                                       rows=self.readout_rows, lanes=self.lanes, reset_offset=start,
                                       burn_in=cfg.burn_in)
            neurons.s_out.connect(readout.a_in)
        return LavaGraph(synapses.s_in, [neurons.s_out], self.sizes, self.reset_offset)


class LavaWindows:
    """BEAM-Net windows computed on Lava: ``(intensity, sample_keys, k) -> memory spikes``.

    The ``run_window`` of :meth:`BeamNet.infer`: one compiled Lava pass per call
    (all given samples, ``lanes`` side by side). Keeps the processes' counters in
    ``stats`` and the DirichletReadout process's rows of every call in ``rows``.
    ``probe=True`` runs the probe window instead (:func:`probe_params`: the same
    processes with ``w_inh = 0``, the probe's noise seed and scale, no readout process); its
    counters go to ``probe_stats``, apart from the inference windows'.
    """

    def __init__(self, bf: BeamnetFile, model, *, precision: str = "fixed", backend: str = "cpu",
                 lanes: int | str = AUTO, chunk_samples: int = 32,
                 timeout_s: float = DEFAULT_TIMEOUT_S, on_samples=None) -> None:
        self.bf, self.model, self.precision, self.backend = bf, model, precision, backend
        self.lanes, self.chunk_samples, self.timeout_s = parse_lanes(lanes), chunk_samples, timeout_s
        self.used_lanes = 0                   # most lanes of one window (``'auto'`` resolved)
        self.on_samples = on_samples or (lambda k: None)
        self.stats = {"seconds": 0.0, "compile": 0.0, "steps": 0, "input_spikes": 0, "events": 0,
                      "lava_synaptic_events": 0, "lava_neuron_updates": 0, "lava_memory_spikes": 0}
        self.probe_stats = dict.fromkeys(self.stats, 0)
        self.rows: list[np.ndarray] = []

    def __call__(self, x: np.ndarray, window_keys: np.ndarray, k: int, probe: bool = False) -> np.ndarray:
        from beamnet_lava.processes.dirichlet_readout.process import result_width

        bf, window = self.bf, self.bf.config.time_steps
        stats = self.probe_stats if probe else self.stats
        lanes = choose_lanes(self.lanes, len(x),
                             bf.input_size + bf.n_memory + bf.readout_logits.shape[0])
        self.used_lanes = max(self.used_lanes, lanes)
        raster = times_to_raster(self.model.encode_times(x), window)
        n_classes = bf.readout_logits.shape[0]
        with tempfile.TemporaryDirectory(prefix="beamnet-readout-") as folder:
            path = str(Path(folder) / "readout.f8")
            rows = np.memmap(path, dtype=np.float64, mode="w+", shape=(len(x), result_width(n_classes)))
            rows.flush()
            spec = (BeamnetSpec(bf, window_keys[0], lanes, window_index=k, params=probe_params(bf.params, probe_delta(bf.config, bf.params)))
                    if probe else BeamnetSpec(bf, window_keys[0], lanes, window_index=k,
                                              readout_path=path, readout_rows=len(x)))

            def read_counters() -> None:
                # the processes' own counters (energy accounting), read before the stop
                stats["lava_synaptic_events"] += int(spec.synapses.synaptic_events.get()[0])
                stats["lava_neuron_updates"] += int(spec.neurons.neuron_updates.get()[0])

            result = run_lanes(spec, raster, window, lanes, precision=self.precision,
                               backend=self.backend, chunk_samples=self.chunk_samples,
                               timeout_s=self.timeout_s, progress=self.on_samples,
                               before_stop=read_counters)
            if not probe:
                self.rows.append(np.array(rows))
        # every spike the BayesLIF process emitted (its spike_count summed, read from the
        # recorded stream rather than element by element through Var.get)
        stats["lava_memory_spikes"] += result.stream_spikes[0]
        stats["seconds"] += result.seconds
        stats["compile"] += result.compile_seconds
        stats["steps"] += result.steps
        stats["input_spikes"] += int(raster.sum())
        stats["events"] += delivered_events(raster, bf.weight)
        return result.output


def run_beamnet_dataset(path: str | Path, options: RunOptions) -> RunReport:
    """A BEAM-Net export on Lava, against the training model rebuilt from the same file."""
    o = options
    dataset, samples, part, precision, backend = o.dataset, o.samples, o.part, o.precision, o.backend
    data_dir, timeout_s, chunk_samples, progress = o.data_dir, o.timeout_s, o.chunk_samples, o.progress
    lanes = AUTO if o.lanes is None else o.lanes
    bidirectional, energy_constants, time_steps, seed = o.bidirectional, o.energy_constants, o.time_steps, o.seed
    bf = read_beamnet(path)
    cfg = bf.config
    for flag, given, recorded in (("--time-steps", time_steps, cfg.time_steps),
                                  ("--seed", seed, cfg.seed)):
        if given is not None and int(given) != recorded:
            raise BeamnetError(f"{flag} {given} does not apply to {bf.path}: a BEAM-Net file runs "
                               f"with the {flag[2:]} it was trained with ({recorded}); drop {flag}")
    dataset = dataset or cfg.dataset
    data = load_split(dataset, seed=cfg.seed, split=cfg.split, data_dir=data_dir or cfg.data_dir,
                      options=cfg.to_dict())
    x, y = take_samples(*data.part(part), samples, dataset, part)
    n = len(x)
    budget.check_run(n, bf.input_size, [bf.n_memory] * 2, cfg.time_steps, state=F64)
    intensity = encoder_intensity(x, cfg)
    if intensity.shape[1] != bf.input_size:
        raise BeamnetError(f"{dataset} gives {intensity.shape[1]} encoder neurons but {bf.path} "
                           f"expects {bf.input_size}")
    model = bf.to_model()
    keys = sample_keys(part, n)
    window = cfg.time_steps

    lanes = parse_lanes(lanes)
    loop = cfg.bidirectional if bidirectional is None else bool(bidirectional)
    if loop and cfg.max_windows < 2:
        raise BeamnetError(f"{bf.path} was trained with max_windows={cfg.max_windows}: no top-down "
                           "loop to run (Theorem 3.6 bound); drop --loop")
    from beamnet_lava.processes.dirichlet_readout.process import RESULT_COLUMNS

    n_classes = bf.readout_logits.shape[0]
    n_windows = cfg.max_windows if loop else 1

    with lava_progress(precision, "samples x windows", progress) as bar:
        task = bar.add_task("run", total=n * n_windows)
        lava_window = LavaWindows(bf, model, precision=precision, backend=backend, lanes=lanes,
                                  chunk_samples=chunk_samples, timeout_s=timeout_s,
                                  on_samples=lambda k: bar.advance(task, k))
        stats, lava_rows = lava_window.stats, lava_window.rows
        res = model.infer(intensity, keys, bidirectional=loop, run_window=lava_window)
        bar.update(task, completed=n * n_windows)

    spikes = res["spikes"].astype(np.int64)                        # (n, N, T), final windows
    counts = res["counts"]
    # what the Lava readout process computed for each sample's final window: its rows are
    # alpha[0..K-1] then RESULT_COLUMNS (prediction, total, aleatoric, epistemic, vacuity)
    final = np.stack([lava_rows[w - 1][i] for i, w in enumerate(res["windows"])])
    alpha_lava = final[:, :n_classes]
    col = {name: final[:, n_classes + j] for j, name in enumerate(RESULT_COLUMNS)}
    u = Uncertainty(alpha_lava / alpha_lava.sum(1, keepdims=True), col["total"], col["aleatoric"],
                    col["epistemic"], col["vacuity"])
    probing = "probe_spikes" in res
    if probing:          # uncertainty: probe, from the Lava windows' spikes (metrics/uncertainty.py)
        u = model.probe_uncertainty(alpha_lava, counts, res["probe_spikes"], bf.probe_temperature)
    report = RunReport(
        file=str(bf.path), model="beamnet", dataset=dataset, split=data.description, part=part,
        n_samples=n, time_steps=window, precision=precision, backend=backend,
        accuracy=float((u.prediction == y).mean()), spikes={"memory": int(spikes.sum())},
        synaptic_events={"memory": stats["events"]}, neurons={"memory": bf.n_memory},
        steps=stats["steps"], run_seconds=stats["seconds"], compile_seconds=stats["compile"],
        steps_per_s=stats["steps"] / stats["seconds"], samples_per_s=n / stats["seconds"],
        predictions=u.prediction.tolist(),
        details={
            "bidirectional": loop, "lanes": lava_window.used_lanes,
            "windows_mean": float(res["windows"].mean()),
            "windows_histogram": np.bincount(res["windows"], minlength=n_windows + 1)[1:].tolist(),
            "ece": ece(u.prob, y), "input_spikes": stats["input_spikes"],
            "active_fraction": float((counts > 0).mean()),
            "readout_process_max_difference": float(np.abs(alpha_lava - res["alpha"]).max()),
            # counted inside the Lava processes over every step they ran, all windows, including
            # the pipeline tail and padding lanes (so spikes >= the per-sample sum above)
            "lava_counters": {"synaptic_events": stats["lava_synaptic_events"],
                              "neuron_updates": stats["lava_neuron_updates"],
                              "memory_spikes": stats["lava_memory_spikes"]}})
    t0 = time.perf_counter()
    ref = model.infer(intensity, keys, bidirectional=loop)
    ref_u = dirichlet_uncertainty(ref["alpha"])
    # spike parity: identical memory spike trains and windows used (and probe windows)
    same = ((ref["spikes"].astype(np.int64) == spikes).reshape(n, -1).all(axis=1)
            & (ref["windows"] == res["windows"]))
    if probing:
        ref_u = model.probe_uncertainty(ref["alpha"], ref["counts"], ref["probe_spikes"],
                                        bf.probe_temperature)
        same &= (ref["probe_spikes"] == res["probe_spikes"]).reshape(n, -1).all(axis=1)
        report.details["probe"] = {"tau": cfg.probe_tau, "delta": cfg.probe_delta,
                                   "temperature": bf.probe_temperature, "spikes": int(res["probe_spikes"].sum()),
                                   **{k: v for k, v in lava_window.probe_stats.items()}}
    report.spike_parity = float(same.mean())
    report.layer_parity = {"memory": float(same.mean())}
    report.prediction_agreement = float((ref_u.prediction == u.prediction).mean())
    report.reference_accuracy = float((ref_u.prediction == y).mean())
    report.reference_seconds = time.perf_counter() - t0
    report.details.update({
        "max_uncertainty_difference": float(max(np.abs(ref_u.epistemic - u.epistemic).max(),
                                                np.abs(ref_u.aleatoric - u.aleatoric).max())),
        "samples": [{"index": i, "label": int(y[i]), "prediction": int(u.prediction[i]),
                     "total": float(u.total[i]), "aleatoric": float(u.aleatoric[i]),
                     "epistemic": float(u.epistemic[i]), "vacuity": float(u.vacuity[i]),
                     "memory_spikes": int(counts[i].sum()), "windows": int(res["windows"][i])}
                    for i in range(n)],
    })
    report.energy_per_inference = energy_report(report, bf.n_memory, window, energy_constants)
    return report


def energy_report(report: RunReport, n_memory: int, window: int,
                  constants_path: str | Path | None = None) -> dict[str, Any]:
    """Eq. 25 and the per-operation breakdown from this run's counts, per inference."""
    n, d = report.n_samples, report.details
    spikes = d["lava_counters"]["memory_spikes"] / n           # every window run
    probe = d.get("probe", {})                                  # uncertainty: probe, one more window
    windows = d["windows_mean"] + bool(probe)
    activity = Activity(encoder_spikes=(d["input_spikes"] + probe.get("input_spikes", 0)) / n,
                        synaptic_events=(report.synaptic_events["memory"] + probe.get("events", 0)) / n,
                        memory_spikes=spikes + probe.get("lava_memory_spikes", 0) / n,
                        inhibitory_events=spikes * (n_memory - 1),     # the probe has no inhibition
                        neuron_updates=n_memory * window * windows,
                        windows=windows, n_memory=n_memory)
    constants = load_constants("loihi1", constants_path)
    return {"activity": dataclasses.asdict(activity), "eq25_nJ": eq25_nJ(activity),
            "breakdown_nJ": breakdown_nJ(activity, constants),
            "constants_source": constants.get("source", str(constants_path))}


# this module's hooks, attached by the registry (families.registry.load) through sim_cpu/__init__.py's providers()
PROVIDES = [
    provide("lava_run", run_beamnet_dataset, "beamnet"),
]
