"""``beamnet-lava run`` of the stock-process BEAM-Net variant (``export --target loihi2``): its
Lava graph of stock processes only (:mod:`beamnet_lava.sim_cpu.stock_graph`), its training-side
model (:func:`reference_spikes`, numpy, the same integer equations) and the run that checks Lava
against it spike for spike (the ``lava_run`` hook of the file-only ``beamnet-stock`` family).

Stock ``DelayDense`` buffers are not reset between samples, so each sample's window is
padded to ``T' = T + max delay + 2`` steps (no delayed input crosses into the next sample).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.contracts import RunOptions
from beamnet_lava.families.registry import provide
from beamnet_lava.netx_export.stock_file import StockBeamnet, read_stock
from beamnet_lava.neurons.bayes_lif import dec
from beamnet_lava.neurons.fixed_point import W_SCALE
from beamnet_lava.sim_cpu.graph import LavaGraph, LavaSpec

U_LIMIT = 1 << 23          # lava LIF: u wraps at 24 bits, v saturates (lif/models.py)


class StockSpec(LavaSpec):
    """DelayDense -> LIFReset, LIFReset -> Dense (inhibition) -> LIFReset: stock lava only."""

    reset_offset = 1            # NetX's meaning (graph.py): the layer's window starts at row k*T + 1
    lif_reset_offset = 2        # LIFReset(reset_offset=...): the first step of each window

    def __init__(self, sb: StockBeamnet) -> None:
        self.sb, self.path = sb, sb.path
        self.input_size, self.sizes = sb.input_size, [sb.n_memory]

    def check(self, precision: str) -> None:
        if precision != "fixed":
            raise BeamnetError(f"{self.path}: the stock variant runs in fixed point only")

    def build(self, window: int, precision: str) -> LavaGraph:
        from beamnet_lava.sim_cpu import stock_graph

        sb = self.sb
        layer = {"weight": sb.weight, "delay": sb.delay, "w_rec": sb.w_rec,
                 "w_rec_exp": sb.w_rec_exp, "du": sb.du, "dv": sb.dv, "vth": sb.vth}
        entry, out = stock_graph.build(layer, window, self.lif_reset_offset)
        return LavaGraph(entry, [out], self.sizes, self.reset_offset)


def reference_spikes(sb: StockBeamnet, raster: np.ndarray) -> np.ndarray:
    """The variant's training-side model: memory spikes ``(n, N, T')`` of a stream of samples.

    Exactly the stock processes' integer equations (lava lif/models.py ``subthr_dynamics``:
    ``u = wrap24(dec(u, du + 1) + (a << 6))``, ``v = clip(dec(v, dv) + u)``, spike ``v >
    vth << 6``, ``v = 0``; ``a`` = delayed drive + inhibition from the previous step's
    spikes). ``u``, ``v`` reset at each window; in-flight inhibition does not (as on Lava).
    """
    n, _, steps = raster.shape
    drive = np.zeros((n, sb.n_memory, steps), dtype=np.int64)
    ks, ins, ts = np.nonzero(raster)              # input spike of input i at t arrives at t + d_ji
    arrive = ts[:, None] + sb.delay[:, ins].T     # (input spikes, N)
    ok = arrive < steps
    kk = np.broadcast_to(ks[:, None], arrive.shape)
    jj = np.broadcast_to(np.arange(sb.n_memory)[None, :], arrive.shape)
    np.add.at(drive, (kk[ok], jj[ok], arrive[ok]), sb.weight[:, ins].T[ok])
    theta = sb.vth * W_SCALE
    out = np.zeros((n, sb.n_memory, steps), dtype=np.uint8)
    s_prev = np.zeros(sb.n_memory, dtype=np.int64)
    for k in range(n):
        u = np.zeros(sb.n_memory, dtype=np.int64)
        v = np.zeros(sb.n_memory, dtype=np.int64)
        for t in range(steps):
            a = drive[k, :, t] + ((sb.w_rec @ s_prev) << sb.w_rec_exp)
            u = dec(u, sb.du + 1) + (a * W_SCALE)
            u = np.where(u > U_LIMIT, u - 2 * U_LIMIT, u)
            u = np.where(u <= -U_LIMIT, u + 2 * U_LIMIT, u)
            v = np.clip(dec(v, sb.dv) + u, -U_LIMIT + 1, U_LIMIT - 1)
            s = (v > theta).astype(np.int64)
            v[s == 1] = 0
            out[k, :, t] = s
            s_prev = s
    return out


def stock_inputs(sb: StockBeamnet, dataset: str | None, samples: int | None, part: str,
                 data_dir: str | None) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Latency-coded input spikes ``(n, d, T')`` (Eq. 7, padded window), labels, dataset, split."""
    from beamnet_lava.data import load_split, times_to_raster
    from beamnet_lava.data.encoding import latency_times
    from beamnet_lava.models.beamnet import encoder_intensity
    from beamnet_lava.sim_cpu.common import take_samples

    cfg = sb.config
    dataset = dataset or cfg.dataset
    data = load_split(dataset, seed=cfg.seed, split=cfg.split, data_dir=data_dir or cfg.data_dir,
                      options=cfg.to_dict())
    x, y = take_samples(*data.part(part), samples, dataset, part)
    intensity = encoder_intensity(x, cfg)
    if intensity.shape[1] != sb.input_size:
        raise BeamnetError(f"{dataset} gives {intensity.shape[1]} encoder neurons but {sb.path} "
                           f"expects {sb.input_size}")
    times = latency_times(intensity, cfg.t_ref, cfg.tau_spread, cfg.input_floor)
    return (times_to_raster(times, sb.window).astype(np.uint8), np.asarray(y, dtype=np.int64),
            dataset, data.description)


def run_stock_dataset(path: str | Path, dataset: str | None = None, samples: int | None = None,
                      *, part: str = "test", precision: str = "fixed", backend: str = "cpu",
                      data_dir: str | None = None, timeout_s: float = 300.0,
                      chunk_samples: int = 32, progress: bool = True) -> dict[str, Any]:
    """The stock variant on Lava, its host readout, and spike parity with :func:`reference_spikes`."""
    import time

    from beamnet_lava.metrics.calibration import ece
    from beamnet_lava.metrics.uncertainty import dirichlet_uncertainty
    from beamnet_lava.sim_cpu.common import delivered_events, lava_progress
    from beamnet_lava.sim_cpu.runner import LavaNetwork

    sb = read_stock(path)
    cfg = sb.config
    raster, y, dataset, description = stock_inputs(sb, dataset, samples, part, data_dir)
    with LavaNetwork(StockSpec(sb), sb.window, precision=precision, backend=backend,
                     chunk_samples=chunk_samples, timeout_s=timeout_s) as lava:
        with lava_progress(precision, "samples", progress) as bar:
            task = bar.add_task("run", total=len(raster))
            result = lava.run(raster, progress=lambda k: bar.advance(task, k))
    spikes = result.output

    def readout(s: np.ndarray):
        counts = s[..., cfg.burn_in:].sum(-1).astype(np.float64)
        a = np.logaddexp(0.0, sb.readout_logits)          # softplus (Eq. 12), as the Lava readout
        return counts, dirichlet_uncertainty(sb.alpha_0 + sb.eta * counts @ a.T)

    counts, u = readout(spikes)
    t0 = time.perf_counter()
    ref = reference_spikes(sb, raster)
    ref_u = readout(ref)[1]
    same = (ref == spikes).reshape(len(y), -1).all(axis=1)
    n = len(y)
    return {
        "file": str(sb.path), "model": "beamnet-stock", "dataset": dataset,
        "split": description, "part": part, "n_samples": n, "time_steps": sb.window,
        "precision": precision, "backend": backend,
        "accuracy": float((u.prediction == y).mean()), "ece": ece(u.prob, y),
        "spikes": {"memory": int(spikes.sum())}, "spikes_per_sample": float(spikes.sum()) / n,
        "active_fraction": float((counts > 0).mean()), "input_spikes": int(raster.sum()),
        "neurons": {"memory": sb.n_memory},
        # input spikes x non-zero fan-out, plus each memory spike onto the N - 1 others
        "synaptic_events": {"memory": delivered_events(raster, sb.weight)
                            + int(spikes.sum()) * (sb.n_memory - 1)},
        "parity": float(same.mean()), "layer_parity": {"memory": float(same.mean())},
        "prediction_agreement": float((ref_u.prediction == u.prediction).mean()),
        "reference_accuracy": float((ref_u.prediction == y).mean()),
        "reference_seconds": time.perf_counter() - t0,
        "steps": result.steps, "run_seconds": result.seconds,
        "compile_seconds": result.compile_seconds,
        "steps_per_s": result.steps / result.seconds if result.seconds else None,
        "samples_per_s": n / result.seconds if result.seconds else None,
        "predictions": u.prediction.tolist(),
    }


def run_stock(path: str | Path, options: RunOptions):
    """``beamnet-lava run`` of a stock variant file: :func:`run_stock_dataset` as a RunReport."""
    from beamnet_lava.sim_cpu.report import RunReport

    o = options
    for flag, value in (("--time-steps", o.time_steps), ("--seed", o.seed)):
        if value is not None:
            raise BeamnetError(f"{flag} does not apply to {path}: a stock BEAM-Net file runs the "
                               "window and split it was exported with")
    d = run_stock_dataset(path, o.dataset, o.samples, part=o.part, precision=o.precision,
                          backend=o.backend, data_dir=o.data_dir, timeout_s=o.timeout_s,
                          chunk_samples=o.chunk_samples, progress=o.progress)
    fields = ("file", "model", "dataset", "split", "part", "n_samples", "time_steps", "precision",
              "backend", "accuracy", "spikes", "synaptic_events", "neurons", "steps",
              "run_seconds", "compile_seconds", "steps_per_s", "samples_per_s", "predictions",
              "prediction_agreement", "layer_parity", "reference_accuracy", "reference_seconds")
    return RunReport(**{k: d[k] for k in fields}, spike_parity=d["parity"],
                     details={k: v for k, v in d.items() if k not in fields and k != "parity"})


# this module's hooks (loaded by the registry through sim_cpu/__init__.py's providers())
PROVIDES = [provide("lava_run", run_stock, "beamnet-stock")]
