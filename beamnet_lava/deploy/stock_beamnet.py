"""A BEAM-Net variant built from stock Lava processes only: ``export --target loihi2``.

The exact model's Bayesian LIF (noise, adaptive threshold, inhibition trace) needs INRC-only
microcode. This variant keeps what stock processes with public Loihi 2 models can do:

- coincidence synapses: lava ``DelayDense`` with the trained weights and delays (Eq. 21-22);
- memory neurons: lava ``LIFReset`` (fixed_pt, lava/proc/lif/models.py ``subthr_dynamics``),
  i.e. Delta -> 0 (no noise, Eq. 9), gamma -> 0 (no adaptive threshold, Eq. 10);
  its current decay is ``du - 1`` because lava's LIF adds ``ds_offset = 1`` to ``du``;
- lateral inhibition (Prop. 3.3): a recurrent lava ``Dense`` of ``-w_inh`` off the diagonal
  (8-bit mantissa << weight_exp), entering the *current* ``u`` one step later -- the exact
  model's separate inhibition trace (decay ``d_syn``) has no stock counterpart;
- readout (Eq. 12-15): on the host, from the memory spikes leaving the chip, with the
  exact model's trained readout.

Stock ``DelayDense`` buffers are not reset between samples, so each sample's window is
padded to ``T' = T + max delay + 2`` steps (no delayed input crosses into the next sample).
The training-side model of this variant is :func:`reference_spikes` (numpy, the same
integer equations); ``run`` checks Lava against it spike for spike.

File: NetX ``/layer/0`` input, ``/layer/1`` ``dense_rec`` (``weight``, ``delay``,
``weight_rec``, ``weight_rec_exp``, CUBA neuron with ``vThMant``/``iDecay``/``vDecay``),
plus ``/beamnet_stock`` (``extension_version``, readout, ``config_json``). lava-dl 0.6's
netx cannot build this layer (its RecurrentDense with delays reuses the N x d delay matrix
for the N x N recurrent synapse and drops ``weight_exp``: lib/dl/netx/blocks/process.py:
263-283), so beamnet-lava builds the graph from the stock processes itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from beamnet_lava.neurons.bayes_lif import dec
from beamnet_lava.neurons import fixed_point
from beamnet_lava.neurons.fixed_point import W_SCALE
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import implements, register_hook
from beamnet_lava.families.contracts import Loihi2VariantHook, RunOptions
from beamnet_lava.deploy.fit import NO_FILE
from beamnet_lava.netx_export.extension import open_extension, read_array, read_config
from beamnet_lava.netx_export.netx_writer import NetxWriter, cuba
from beamnet_lava.sim_cpu.graph import LavaGraph, LavaSpec

GROUP = "beamnet_stock"
EXTENSION_VERSION = 1
U_LIMIT = 1 << 23          # lava LIF: u wraps at 24 bits, v saturates (lif/models.py)


@dataclass
class StockBeamnet:
    path: Path
    config: Any                    # BeamnetConfig of the exact model it came from
    weight: np.ndarray             # (N, d) even 8-bit mantissas
    delay: np.ndarray              # (N, d)
    w_rec: np.ndarray              # (N, N) mantissas, -w on the off-diagonal
    w_rec_exp: int
    du: int                        # as given to lava's LIF (effective decay du + 1)
    dv: int
    vth: int                       # vThMant
    window: int                    # T' (padded)
    readout_logits: np.ndarray
    alpha_0: float
    eta: float

    @property
    def n_memory(self) -> int:
        return self.weight.shape[0]

    @property
    def input_size(self) -> int:
        return self.weight.shape[1]


def _inhibition(w_inh: int, n: int) -> tuple[np.ndarray, int]:
    """``-w_inh`` state units as an even 8-bit mantissa << exp (lava Dense, 8-bit weights)."""
    per_spike = w_inh // W_SCALE                # LIF shifts a_in by 6 bits into u
    exp = 0
    while round(per_spike / (1 << exp) / 2) * 2 > 254:
        exp += 1
    mant = int(round(per_spike / (1 << exp) / 2) * 2)
    w = -mant * (1 - np.eye(n, dtype=np.int64))
    return w.astype(np.int64), exp


def from_exact(bf) -> StockBeamnet:
    """The stock variant of an exact BEAM-Net export (:class:`BeamnetFile`)."""
    p = bf.params
    w_rec, exp = _inhibition(p.w_inh, bf.n_memory)
    window = bf.config.time_steps + int(bf.delay.max()) + 2
    return StockBeamnet(bf.path, bf.config, bf.weight, bf.delay, w_rec, exp, max(p.du - 1, 0),
                        p.dv, p.theta // W_SCALE, window, bf.readout_logits, bf.alpha_0, bf.eta)


def write_stock(sb: StockBeamnet, attrs: dict) -> NetxWriter:
    """The stock variant's file (``attrs``: the exact export's root attributes but ``model``)."""
    w = NetxWriter()
    w.attrs(attrs, model="beamnet-stock", time_steps=sb.window)
    w.input(sb.input_size)
    w.dense(sb.weight, cuba(sb.vth, sb.du, sb.dv, graded_spike=None), features=False, delay=sb.delay,
            weight_rec=sb.w_rec << sb.w_rec_exp, extra={"weight_rec_exp": sb.w_rec_exp})
    ext = w.extension(GROUP, EXTENSION_VERSION, sb.config)
    ext.create_dataset("readout/logits", data=sb.readout_logits.astype(np.float32))
    ext.create_dataset("readout/alpha_0", data=sb.alpha_0)
    ext.create_dataset("readout/eta", data=sb.eta)
    return w


@implements("beamnet-stock", hook="read")
def read_stock(path: str | Path) -> StockBeamnet:
    """Read and validate a stock BEAM-Net file; every problem is one clear BeamnetError.

    Each array and parameter is checked against what the stock processes accept (8-bit
    weight mantissas, delays 0..62, 12-bit decays, a 17-bit threshold mantissa) and
    against the training config it carries, before anything reaches Lava.
    """
    from beamnet_lava.netx_export.netx_file import read_string

    with open_extension(path, GROUP, EXTENSION_VERSION, "stock BEAM-Net") as (f, bad):
        config = read_config(f, GROUP, bad)
        if config.model != "beamnet":
            raise bad(f"{GROUP} config_json is a {config.model!r} config, not a BEAM-Net one")

        def whole(key: str, ndim: int = 0) -> np.ndarray:
            return read_array(f, key, bad, ndim=ndim, integer=True).astype(np.int64)

        def positive(key: str) -> float:
            value = float(read_array(f, key, bad, ndim=0))
            if not value > 0:
                raise bad(f"{key}={value!r} must be > 0")
            return value

        if "layer/1/type" not in f or read_string(f["layer/1/type"]) != "dense_rec":
            raise bad("layer/1 is not the dense_rec layer `export --target loihi2` writes")
        weight, delay = whole("layer/1/weight", 2), whole("layer/1/delay", 2)
        w_rec_exp = int(whole("layer/1/weight_rec_exp"))
        w_rec_full = whole("layer/1/weight_rec", 2)
        du, dv, vth = (int(whole(f"layer/1/neuron/{k}")) for k in ("iDecay", "vDecay", "vThMant"))
        logits = read_array(f, f"{GROUP}/readout/logits", bad, ndim=2)
        alpha_0, eta = positive(f"{GROUP}/readout/alpha_0"), positive(f"{GROUP}/readout/eta")
        window = f.attrs.get("time_steps")
        n, d = weight.shape
        if delay.shape != (n, d) or w_rec_full.shape != (n, n):
            raise bad(f"layer 1 weight {weight.shape}, delay {delay.shape} and weight_rec "
                      f"{w_rec_full.shape} shapes disagree")
        if logits.shape[1:] != (n,) or logits.shape[0] < 2:
            raise bad(f"{GROUP}/readout/logits has shape {logits.shape}; expected (classes, {n})")
        if not 0 <= w_rec_exp <= 7:
            raise bad(f"layer/1/weight_rec_exp={w_rec_exp} is outside lava Dense's 0..7")
        w_rec = w_rec_full >> w_rec_exp
        for key, w in (("weight", weight), ("weight_rec", w_rec)):
            if w.min() < fixed_point.WEIGHT_MANT_MIN or w.max() > fixed_point.WEIGHT_MANT_MAX:
                raise bad(f"layer/1/{key} mantissas {w.min()}..{w.max()} are outside the 8-bit range "
                          f"{fixed_point.WEIGHT_MANT_MIN}..{fixed_point.WEIGHT_MANT_MAX}")
        if (w_rec << w_rec_exp != w_rec_full).any():
            raise bad("layer/1/weight_rec is not an 8-bit mantissa << weight_rec_exp")
        if delay.min() < 0 or delay.max() > fixed_point.MAX_DELAY:
            raise bad(f"delays {delay.min()}..{delay.max()} are beyond Loihi's limit 0..{fixed_point.MAX_DELAY}")
        for key, value in (("iDecay", du), ("vDecay", dv)):
            if not 0 <= value < fixed_point.DECAY_UNITY:
                raise bad(f"layer/1/neuron/{key}={value} is outside 0..{fixed_point.DECAY_UNITY - 1}")
        if not 0 < vth <= fixed_point.VTH_MAX:
            raise bad(f"layer/1/neuron/vThMant={vth} is outside 1..{fixed_point.VTH_MAX}")
        if config.n_memory != n:
            raise bad(f"config_json n_memory={config.n_memory} disagrees with the {n} rows of layer/1/weight")
        want_window = config.time_steps + int(delay.max()) + 2
        if window is None or np.ndim(window) != 0 or window != want_window:
            raise bad(f"root attribute time_steps={window!r} must be the padded window "
                      f"T + max delay + 2 = {want_window}")
    return StockBeamnet(Path(path), config, weight, delay, w_rec, w_rec_exp, du, dv, vth,
                        int(window), logits, alpha_0, eta)


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
        from beamnet_lava.deploy import stock_graph

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


_NO_VARIANT = ("--target loihi2 makes BEAM-Net's stock-process variant; {what} (check any file "
               "with `beamnet-lava inspect`)")
_RESONATORS = _NO_VARIANT.format(what="resonators have no stock Lava process, so there is no stock "
                                      "variant of them")
register_hook("loihi2_variant", "deploy", Loihi2VariantHook, refuses={
    "snn": _NO_VARIANT.format(what="export snn runs without --target (they are stock already)"),
    "brf-rsnn": _RESONATORS, "rf-rsnn": _RESONATORS, "ann": NO_FILE, "alif-rsnn": NO_FILE,
    "beamnet-stock": "it is the stock variant already"})


@implements("beamnet", hook="loihi2_variant")
def export_stock(run_dir: str | Path, out: str | Path, force: bool = False) -> StockBeamnet:
    """``export RUN --target loihi2``: the stock variant of a trained BEAM-Net run, atomically."""
    import tempfile

    from beamnet_lava.io_utils import refuse_overwrite
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.netx_export.beamnet_file import read_beamnet

    out = Path(out)
    refuse_overwrite(out, force)
    with tempfile.TemporaryDirectory(prefix="beamnet-stock-") as folder:
        exact = Path(folder) / "exact.net"
        export_run(run_dir, exact)
        bf = read_beamnet(exact)
        with h5py.File(exact, "r") as f:
            attrs = {k: v for k, v in f.attrs.items() if k != "model"}
        sb = from_exact(bf)
        # refuse to publish a file we could not run
        return write_stock(sb, attrs).publish(out, read_stock, force=force, register=False)


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


@implements("beamnet-stock", hook="lava_run")
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
