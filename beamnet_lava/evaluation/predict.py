"""Per-sample predictions of any trained model, in one schema every report uses.

Every model (``beamnet``, ``snn``, ``ann``) yields class probabilities, its
uncertainties, the uncertainty score used for out-of-distribution detection,
the activity it spent (spikes, active neurons, windows) and the energy of that
activity per sample. Probabilities use the one scalar each model fits on the
validation split after training: BEAM-Net's evidence scale eta (Eq. 12), the
baselines' temperature over logits (the SNN's logits are output spike counts).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava.data.encoding import rate_encode
from beamnet_lava.data.loading import model_inputs
from beamnet_lava.data.sequences import as_sequences
from beamnet_lava.families import family_of
from beamnet_lava.families.registry import provide
from beamnet_lava.metrics.calibration import brier_per_sample, fit_temperature, softmax
from beamnet_lava.metrics import selective
from beamnet_lava.metrics.energy import Activity, ann_nJ, breakdown_nJ, eq25_nJ, load_constants, per_op_nJ
from beamnet_lava.metrics.uncertainty import dirichlet_uncertainty, entropy
from beamnet_lava.models.beamnet import encoder_intensity
from beamnet_lava.neurons.noise import KEY_BASE, sample_keys
from beamnet_lava.training.checkpoint import LoadedRun

__all__ = ["Predictions", "logits", "model_inputs", "predict", "snn_predictions", "temperature"]

BATCH = 256


@dataclass
class Predictions:
    """Per-sample results; uncertainties a model does not define are NaN."""

    prob: np.ndarray            # (n, K) class probabilities
    labels: np.ndarray          # (n,)
    total: np.ndarray           # predictive entropy H[p]
    aleatoric: np.ndarray       # Eq. 15 (Dirichlet models only)
    epistemic: np.ndarray       # Eq. 14 (Dirichlet models only)
    vacuity: np.ndarray         # K / S (Dirichlet models only)
    ood_score: np.ndarray       # the uncertainty that ranks OOD samples
    spikes: np.ndarray          # spikes emitted by the model's neurons (0 for an ANN)
    active_fraction: np.ndarray  # fraction of memory / hidden+output neurons active
    windows: np.ndarray         # windows used (Theorem 3.6); 1 for single-pass models
    energy_nJ: np.ndarray       # per-operation model of the platform
    energy_mem_nJ: np.ndarray   # ... including weight-memory reads (ANN; equal for Loihi)
    score_name: str
    energy_model: str
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def prediction(self) -> np.ndarray:
        return self.prob.argmax(axis=1)

    def score_columns(self) -> dict[str, np.ndarray]:
        """``correct`` and the uncertainty scores, as the records name them (metrics/selective.py)."""
        return {"correct": self.prediction == self.labels, "total": self.total,
                "aleatoric": self.aleatoric, "epistemic": self.epistemic,
                "confidence": self.prob.max(1)}

    def table(self) -> dict[str, np.ndarray]:
        """Columns of ``predictions.parquet`` (one row per sample)."""
        n = len(self.labels)
        pred = self.prediction
        cols: dict[str, np.ndarray] = {
            "index": np.arange(n, dtype=np.int64), "label": self.labels.astype(np.int64),
            "prediction": pred.astype(np.int64), "correct": pred == self.labels,
            "confidence": self.prob.max(1), "p_label": self.prob[np.arange(n), self.labels],
            "brier": brier_per_sample(self.prob, self.labels), "total": self.total,
            "aleatoric": self.aleatoric, "epistemic": self.epistemic, "vacuity": self.vacuity,
            "ood_score": self.ood_score, "spikes": self.spikes.astype(np.int64),
            "active_fraction": self.active_fraction, "windows": self.windows.astype(np.int64),
            "energy_nJ": self.energy_nJ, "energy_mem_nJ": self.energy_mem_nJ,
            "accept_coverage": selective.acceptance_coverage(self.total),
        }
        for c in range(self.prob.shape[1]):
            cols[f"p{c}"] = self.prob[:, c]
        return cols


def _per_op_label(constants: dict) -> str:
    return "per operation, " + str(constants.get("source", "user constants")).split(",")[0]




def in_batches(x: np.ndarray, fn: Callable[[np.ndarray], Sequence[np.ndarray]],
               batch: int = BATCH) -> list[np.ndarray]:
    """``fn`` over ``x`` in batches of ``batch`` samples (no autograd); each of its outputs
    concatenated over the batches (the training model's forward passes: baselines, CSNN)."""
    with torch.no_grad():
        outs = [fn(x[i:i + batch]) for i in range(0, len(x), batch)]
    return [np.concatenate([o[j] for o in outs]) for j in range(len(outs[0]))]


def logits(run: LoadedRun, x: np.ndarray) -> np.ndarray:
    """The baselines' pre-softmax scores: output spike counts (SNN, RSNN readout) or MLP logits."""
    if family_of(run.config).probabilities != "temperature":
        raise ValueError(f"{run.config.model} has no logits: its probabilities come from Dirichlet "
                         "evidence")
    return _forward(run, x)[0]


def _forward(run: LoadedRun, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Logits and every layer's per-sample activity (spike trains or activations)."""
    model, cfg = run.model, run.config
    inputs = family_of(cfg).inputs
    if inputs == "sequences":     # recurrent SNN on pixel sequences (models/brf.py)
        def recurrent(xb: np.ndarray) -> list[np.ndarray]:
            inp = np.ascontiguousarray(xb, dtype=np.float32) if xb.ndim == 3 else as_sequences(xb)
            logit, z = model(torch.from_numpy(inp))
            return [logit.numpy(), inp, z.numpy()]

        logit, inp, z = in_batches(x, recurrent)
        return logit.astype(np.float64), [inp, z]

    def feedforward(xb: np.ndarray) -> list[np.ndarray]:
        if inputs == "images":
            inp = torch.from_numpy(np.asarray(xb, dtype=np.float32))
        else:      # images are rate coded; event rasters (n, inputs, T) go in as they are
            inp = torch.from_numpy(np.asarray(xb, dtype=np.float32) if np.ndim(xb) == 3
                                   else rate_encode(xb, cfg.time_steps))
        return [t.numpy() for t in [inp] + model.layer_outputs(inp)]

    layers = in_batches(x, feedforward)
    # activations (n, K) are the logits; spike trains (n, K, T) count over time
    scores = layers[-1] if layers[-1].ndim == 2 else layers[-1].sum(-1)
    return scores.astype(np.float64), layers


def temperature(run: LoadedRun, x_val: np.ndarray | None = None,
                y_val: np.ndarray | None = None) -> float:
    """The run's validation-fitted temperature; fitted now if the run predates it."""
    t = run.calibration.get("temperature")
    if t is None:
        if x_val is None:
            raise ValueError("this run has no fitted temperature; pass its validation split")
        t = fit_temperature(logits(run, x_val), y_val)
    return float(t)


def probe_temperature(run: LoadedRun) -> float:
    """BEAM-Net's probe read-out temperature, fitted on the validation split at training
    (``calibration["probe_temperature"]``; an export's ``/beamnet/readout/probe_temperature``);
    1 (the mixture as it is) for a run or file that predates it."""
    return float(run.calibration.get("probe_temperature", 1.0))


def predict(run: LoadedRun, x: np.ndarray, y: np.ndarray, part: str = "test", *,
            loop: bool | None = None, temperature_: float | None = None,
            constants: dict | None = None, run_window=None) -> Predictions:
    """Per-sample predictions of ``run`` on images ``x`` (labels ``y``).

    ``part`` chooses BEAM-Net's noise keys (the same keys a Lava run of that part
    uses); ``loop`` turns BEAM-Net's top-down loop on/off (default: as trained);
    ``run_window`` computes BEAM-Net's windows elsewhere (e.g. on Lava, see
    :class:`beamnet_lava.sim_cpu.beamnet_run.LavaWindows`).
    """
    constants = constants or load_constants("loihi1")
    y = np.asarray(y, dtype=np.int64)
    return family_of(run.config).hook("predict")(run, x, y, part, loop=loop,
                                                 temperature_=temperature_, constants=constants,
                                                 run_window=run_window)


def _softmax_of(run: LoadedRun, x: np.ndarray, temperature_: float | None):
    """A baseline's temperature-scaled probabilities, its layers and the temperature."""
    t = temperature_ if temperature_ is not None else temperature(run)
    scores, layers = _forward(run, x)
    return softmax(scores / t), layers, t


def calibrate_temperature(run: LoadedRun, data) -> dict[str, float]:
    """Fit the baselines' temperature on validation and store it in the checkpoint."""
    t = fit_temperature(logits(run, model_inputs(run.config, data, "val")), data.y_val)
    checkpoint.save_checkpoint(run.run_dir / checkpoint.CHECKPOINT, run.model, run.config,
                               run.epoch, run.val_accuracy, calibration={"temperature": t})
    return {"temperature": t}


def _predict_ann(run: LoadedRun, x: np.ndarray, y: np.ndarray, part: str, *,
                 temperature_: float | None, constants: dict, **_: Any) -> Predictions:
    """An fp32 MLP: no spikes; energy from its MACs and weight reads (Horowitz 2014)."""
    prob, layers, t = _softmax_of(run, x, temperature_)
    n = len(y)
    nan = np.full(n, np.nan)
    total = entropy(prob)
    e = ann_nJ(run.model.macs, run.model.adds, run.model.n_params)
    hidden = np.concatenate([a.reshape(n, -1) for a in layers[1:-1]], axis=1)
    return Predictions(prob, y, total, nan, nan, nan, total, np.zeros(n),
                       (hidden > 0).mean(1), np.ones(n), np.full(n, e["macs_only"]),
                       np.full(n, e["with_memory"]), "predictive entropy",
                       "fp32 MACs, Horowitz 2014",
                       {"energy": e, "temperature": t})


def _predict_seq_run(run: LoadedRun, x: np.ndarray, y: np.ndarray, part: str, *,
                     temperature_: float | None, constants: dict, **_: Any) -> Predictions:
    prob, layers, t = _softmax_of(run, x, temperature_)
    return _predict_seq(prob, y, layers, entropy(prob), t, constants)


def _predict_snn_run(run: LoadedRun, x: np.ndarray, y: np.ndarray, part: str, *,
                     temperature_: float | None, constants: dict, **_: Any) -> Predictions:
    prob, layers, t = _softmax_of(run, x, temperature_)
    return _predict_snn(run, prob, y, layers, entropy(prob), t, constants)


def _predict_seq(prob, y, layers, total, t, constants) -> Predictions:
    """A recurrent SNN: graded input every step into H neurons; hidden spikes fan out to
    the H recurrent and K readout synapses; H hidden + K readout neurons updated per step."""
    inp, z = (np.asarray(a, dtype=np.float64) for a in layers)
    n, hidden, steps = z.shape
    k = prob.shape[1]
    spikes = z.reshape(n, -1).sum(1)
    synaptic = (inp != 0).reshape(n, -1).sum(1) * hidden + spikes * (hidden + k)
    e = per_op_nJ(synaptic, (hidden + k) * steps, spikes, spikes, constants)
    nan = np.full(n, np.nan)
    return Predictions(prob, y, total, nan, nan, nan, total, spikes, (z.sum(-1) > 0).mean(1),
                       np.ones(n), e["total"], e["total"], "predictive entropy",
                       _per_op_label(constants) + " (resonator updates priced as LIF: lower bound)",
                       {"temperature": t, "breakdown_nJ": {kk: float(np.mean(v)) for kk, v in e.items()}})


def _predict_snn(run, prob, y, layers, total, t, constants) -> Predictions:
    fan_outs = []
    for block in run.model.blocks:
        w = block.synapse.weight if block.synapse.pre_hook_fx is None else \
            block.synapse.pre_hook_fx(block.synapse.weight)
        fan_outs.append((w.detach().reshape(w.shape[0], -1) != 0).sum(0).numpy())
    return snn_predictions(prob, y, layers, fan_outs, t, constants)


def snn_predictions(prob: np.ndarray, y: np.ndarray, layers: list[np.ndarray],
                    fan_outs: list[np.ndarray], t: float, constants: dict) -> Predictions:
    """Predictions of a feed-forward SNN from its spike trains ``[input, layer 1, ...]``
    (each ``(n, neurons, T)``) and each layer's non-zero fan-out per presynaptic neuron."""
    n = len(y)
    steps = layers[0].shape[-1]
    layers = [np.asarray(l, dtype=np.float64) for l in layers]      # exact integer counts
    synaptic = sum(pre.sum(-1) @ fan_out for pre, fan_out in zip(layers[:-1], fan_outs))
    spikes = sum(l.reshape(n, -1).sum(1) for l in layers[1:])
    neurons = sum(l.shape[1] for l in layers[1:])
    fired = np.concatenate([l.sum(-1) > 0 for l in layers[1:]], axis=1)
    e = per_op_nJ(synaptic, neurons * steps, spikes, layers[0].reshape(n, -1).sum(1) + spikes, constants)
    nan = np.full(n, np.nan)
    total = entropy(prob)
    return Predictions(prob, y, total, nan, nan, nan, total, spikes, fired.mean(1), np.ones(n),
                       e["total"], e["total"], "predictive entropy",
                       _per_op_label(constants),
                       {"temperature": t, "breakdown_nJ": {k: float(np.mean(v)) for k, v in e.items()}})


def _predict_beamnet(run: LoadedRun, x: np.ndarray, y: np.ndarray, part: str, *,
                     loop: bool | None, constants: dict, run_window=None, **_: Any) -> Predictions:
    """BEAM-Net's windows (on the training model, or ``run_window``, e.g. Lava), Eq. 12-15;
    with ``uncertainty: probe`` also the probe window (``BeamNet.probe_uncertainty``, at the run's validation-fitted
    :func:`probe_temperature`), paid for in the
    energy: its encoder spikes, synaptic events, memory spikes and neuron updates."""
    model, cfg = run.model, run.config
    intensity = encoder_intensity(x, cfg)
    keys = sample_keys(part if part in KEY_BASE else "test", len(x))
    fan_out = (model.weight_mantissa().detach() != 0).sum(0).numpy()       # per encoder neuron
    names = ("encoder_spikes", "synaptic_events", "memory_spikes")
    parts: list[dict[str, np.ndarray]] = []
    for i in range(0, len(x), BATCH):
        per_window: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        probe: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

        def window(xx, kk, k, probe_=False, per_window=per_window, probe=probe):
            fired = model.encode_times(xx) >= 0
            if run_window is not None:
                s = np.asarray(run_window(xx, kk, k, probe=probe_) if probe_ else run_window(xx, kk, k))
            else:
                s = model.window_spikes(xx, kk, k, probe=probe_).numpy()
            (probe if probe_ else per_window).append((fired.sum(1), fired @ fan_out, s.sum((1, 2))))
            return s

        res = model.infer(intensity[i:i + BATCH], keys[i:i + BATCH], loop,
                          run_window=lambda xx, kk, k, probe=False: window(xx, kk, k, probe))
        used = res["windows"]
        taken = np.arange(len(per_window))[:, None] < used[None, :]          # (windows, B)
        res.update({name: (np.stack([w[j] for w in per_window]) * taken).sum(0)
                    for j, name in enumerate(names)})
        res.update({f"probe_{name}": (probe[0][j] if probe else np.zeros(len(used)))
                    for j, name in enumerate(names)})
        parts.append(res)
    res = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n_mem = model.n_memory
    probing = "probe_spikes" in res
    probe_t = probe_temperature(run)
    if probing:
        u = model.probe_uncertainty(res["alpha"], res["counts"], res["probe_spikes"], probe_t)
        score, score_name = u.vacuity, "vacuity K/S of the inference window (Eq. 12)"
    else:
        u = dirichlet_uncertainty(res["alpha"])
        score, score_name = u.epistemic, "epistemic (Eq. 14)"
    windows = res["windows"] + probing                     # the probe is one more window
    activity = Activity(encoder_spikes=res["encoder_spikes"] + res["probe_encoder_spikes"],
                        synaptic_events=res["synaptic_events"] + res["probe_synaptic_events"],
                        memory_spikes=res["memory_spikes"] + res["probe_memory_spikes"],
                        # the probe window has no lateral inhibition: no inhibitory events
                        inhibitory_events=res["memory_spikes"] * (n_mem - 1),
                        neuron_updates=n_mem * cfg.time_steps * windows,
                        windows=windows, n_memory=n_mem)
    e = breakdown_nJ(activity, constants)
    return Predictions(u.prob, y, u.total, u.aleatoric, u.epistemic, u.vacuity, score,
                       activity.memory_spikes, (res["counts"] > 0).mean(1), res["windows"],
                       e["total"], e["total"], score_name,
                       _per_op_label(constants),
                       {"eta": float(model.eta), "activity": activity,
                        "breakdown_nJ": {k: float(np.mean(v)) for k, v in e.items()},
                        "eq25_nJ": {k: float(np.mean(v)) for k, v in eq25_nJ(activity).items()},
                        "active_fraction_per_step": float(res["spikes"].mean()),
                        "counts": res["counts"], "raster_spikes": res["spikes"][:1],
                        **({"probe_spikes_per_sample": float(res["probe_memory_spikes"].mean()),
                            "probe_temperature": probe_t,
                            "probe_spikes": res["probe_spikes"]} if probing else {})})


# this module's hooks, attached by the registry (families.registry.load) through evaluation/__init__.py's providers()
PROVIDES = [
    provide("calibrate", calibrate_temperature, "snn", "ann", "brf-rsnn", "rf-rsnn", "alif-rsnn"),
    provide("predict", _predict_ann, "ann"),
    provide("predict", _predict_seq_run, "brf-rsnn", "rf-rsnn", "alif-rsnn"),
    provide("predict", _predict_snn_run, "snn"),
    provide("predict", _predict_beamnet, "beamnet"),
]
