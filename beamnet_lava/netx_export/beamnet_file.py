"""BEAM-Net in NetX HDF5: the stock layout where NetX can express it, plus a versioned extension.

Schema (version 1) — see docs/netx_extension.md for the reader's contract:

- root attributes as every beamnet-lava export (``beamnet_format``, ``model="beamnet"``,
  ``dataset``, ``encoding``, ``time_steps``, ``n_classes``, ``seed``);
- ``/layer/0``: NetX ``input`` layer of the encoder neurons (``shape=[d]``, no neuron);
- ``/layer/1``: NetX ``dense`` layer, the coincidence synapses: ``weight`` (N x d
  8-bit mantissas), ``delay`` (N x d steps, <= 62), ``neuron/type =
  BEAMNET_BAYES_LIF`` with ``vThMant``, ``iDecay``, ``vDecay`` for readers that
  only need the CUBA part (the name has no "RF", so lava-dl will not mistake it);
- ``/beamnet`` (attribute ``extension_version``): ``bayes_lif/*`` integer neuron
  parameters and noise seed (:class:`beamnet_lava.neurons.bayes_lif.BayesLIFParams`),
  ``readout/logits`` (K x N, A = softplus), ``readout/alpha_0``, ``readout/eta``,
  ``readout/probe_temperature`` (optional: the probe read-out's validation-fitted temperature),
  ``topdown/patterns`` (N x d, W_TD), ``pattern_class`` (N), ``noise/key_span``,
  and ``config_json`` (the full training config, for the encoder and the loop).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import h5py
import numpy as np

from beamnet_lava.neurons import fixed_point, noise
from beamnet_lava.neurons.bayes_lif import BayesLIFParams
from beamnet_lava.errors import BeamnetError
from beamnet_lava.rundir import RUN_ID_ATTR
from beamnet_lava.families.registry import provide
from beamnet_lava.netx_export.extension import open_extension, read_array, read_config
from beamnet_lava.netx_export.netx_writer import NetxWriter, bayes_lif

EXTENSION_VERSION = 1
NEURON_TYPE = "BEAMNET_BAYES_LIF"
ROOT_ATTRS = ("beamnet_format", "model", "dataset", "encoding", "time_steps", "n_classes", "seed",
              "event_downsample", "event_polarity", "event_window_ms", RUN_ID_ATTR)


def write_beamnet(w: NetxWriter, model, probe_temperature: float | None = None) -> None:
    """Write a trained :class:`BeamNet`'s layers and ``/beamnet`` extension through ``w``
    (``probe_temperature``: the run's validation-fitted probe read-out temperature, if any)."""
    cfg = model.cfg
    weight = model.weight_mantissa().detach().numpy().astype(np.int64)
    w.input(weight.shape[1])
    w.dense(weight, bayes_lif(cfg.theta_mant, model.hw.du, model.hw.dv, NEURON_TYPE), features=False,
            delay=model.delays.numpy().astype(np.int64))
    ext = w.extension("beamnet", EXTENSION_VERSION, cfg)
    for field in fields(BayesLIFParams):
        ext.create_dataset(f"bayes_lif/{field.name}", data=int(getattr(model.hw, field.name)))
    ext.create_dataset("readout/logits", data=model.readout.detach().numpy().astype(np.float32))
    ext.create_dataset("readout/alpha_0", data=float(cfg.alpha_0))
    ext.create_dataset("readout/eta", data=float(model.eta))
    if probe_temperature is not None:
        ext.create_dataset("readout/probe_temperature", data=float(probe_temperature))
    ext.create_dataset("topdown/patterns", data=model.patterns.numpy().astype(np.float32))
    ext.create_dataset("pattern_class", data=model.pattern_class.numpy())
    ext.create_dataset("noise/key_span", data=noise.key_span(cfg.max_windows, cfg.time_steps))


@dataclass
class BeamnetFile:
    path: Path
    config: object                 # BeamnetConfig
    weight: np.ndarray             # (N, d) int mantissas
    delay: np.ndarray              # (N, d) int
    params: BayesLIFParams
    readout_logits: np.ndarray     # (K, N)
    alpha_0: float
    eta: float
    patterns: np.ndarray           # (N, d)
    pattern_class: np.ndarray      # (N,)
    key_span: int
    probe_temperature: float = 1.0  # the probe read-out's validation-fitted T (1: file predates it)

    @property
    def input_size(self) -> int:
        return self.weight.shape[1]

    @property
    def n_memory(self) -> int:
        return self.weight.shape[0]

    def describe(self) -> str:
        return (f"{self.path} (NetX + BEAM-Net extension v{EXTENSION_VERSION}: {self.input_size} "
                f"encoder neurons -> {self.n_memory} Bayesian LIF memory neurons, delays <= "
                f"{int(self.delay.max())})")

    def to_model(self):
        """The training model with exactly these parameters (eval mode)."""
        import torch

        from beamnet_lava.models.beamnet import BeamNet

        model = BeamNet(self.config, self.input_size, self.readout_logits.shape[0])
        with torch.no_grad():
            model.weight.copy_(torch.from_numpy(self.weight / self.config.theta_mant))
            model.delays.copy_(torch.from_numpy(self.delay))
            model.readout.copy_(torch.from_numpy(self.readout_logits))
            model.patterns.copy_(torch.from_numpy(self.patterns))
            model.pattern_class.copy_(torch.from_numpy(self.pattern_class))
            model.eta.fill_(self.eta)
        if model.hw != self.params:
            raise BeamnetError(f"{self.path}: bayes_lif parameters do not match its config_json")
        return model.eval()


def _positive(f: h5py.File, key: str, bad) -> float:
    value = read_array(f, key, bad, ndim=0)
    if not value > 0:
        raise bad(f"{key}={float(value)!r} must be > 0")
    return float(value)


def read_beamnet(path: str | Path) -> BeamnetFile:
    """Read and validate a BEAM-Net export; every problem is a clear BeamnetError.

    Every field is checked: types, shapes against the weight matrix, finiteness,
    Loihi's ranges, and agreement with the training config it carries (the Lava
    processes read the file's values, the reference model the config's, so a
    disagreement would silently break their parity).
    """
    from beamnet_lava.netx_export.netx_file import read_attrs, read_string

    p = Path(path)
    with open_extension(p, "beamnet", EXTENSION_VERSION, "BEAM-Net") as (f, bad):
        ext = f["beamnet"]
        for key in ("layer/1/weight", "layer/1/delay", "beamnet/readout/logits",
                    "beamnet/readout/alpha_0", "beamnet/readout/eta",
                    "beamnet/topdown/patterns", "beamnet/pattern_class", "beamnet/noise/key_span"):
            if key not in f:
                raise bad(f"missing {key}")
        for field in fields(BayesLIFParams):
            if f"bayes_lif/{field.name}" not in ext:
                what = "noise seed" if field.name == "seed" else "parameter"
                raise bad(f"missing beamnet/bayes_lif/{field.name} (the Bayesian LIF {what})")
        attrs = read_attrs(f, p, ROOT_ATTRS)
        config = read_config(f, "beamnet", bad)
        if config.model != "beamnet":
            raise bad(f"beamnet config_json is a {config.model!r} config, not a BEAM-Net one")
        ntype = read_string(f["layer/1/neuron/type"]) if "layer/1/neuron/type" in f else "?"
        if ntype != NEURON_TYPE:
            raise bad(f"layer 1 neuron type {ntype!r} is not {NEURON_TYPE}")
        weight = read_array(f, "layer/1/weight", bad, ndim=2, integer=True).astype(np.int64)
        delay = read_array(f, "layer/1/delay", bad, ndim=2, integer=True).astype(np.int64)
        logits = read_array(f, "beamnet/readout/logits", bad, ndim=2).astype(np.float32)
        if not np.all(np.isfinite(logits)):
            raise bad("beamnet/readout/logits overflow float32")
        patterns = read_array(f, "beamnet/topdown/patterns", bad, ndim=2).astype(np.float32)
        pattern_class = read_array(f, "beamnet/pattern_class", bad, ndim=1, integer=True).astype(np.int64)
        values = {fl.name: read_array(f, f"beamnet/bayes_lif/{fl.name}", bad, ndim=0, integer=True)
                  for fl in fields(BayesLIFParams)}
        try:
            params = BayesLIFParams(**{k: int(v) for k, v in values.items()})
        except ValueError as exc:
            raise bad(f"beamnet/bayes_lif: {exc}") from None
        alpha_0 = _positive(f, "beamnet/readout/alpha_0", bad)
        eta = _positive(f, "beamnet/readout/eta", bad)
        probe_t = (_positive(f, "beamnet/readout/probe_temperature", bad)
                   if "beamnet/readout/probe_temperature" in f else 1.0)
        key_span = int(read_array(f, "beamnet/noise/key_span", bad, ndim=0, integer=True))
        n, d = weight.shape
        k = logits.shape[0]
        shapes = {"layer/1/delay": (delay.shape, (n, d)), "readout/logits": (logits.shape[1:], (n,)),
                  "topdown/patterns": (patterns.shape, (n, d)), "pattern_class": (pattern_class.shape, (n,))}
        for key, (got, want) in shapes.items():
            if tuple(got) != tuple(want):
                raise bad(f"{key} has shape {tuple(got)}, inconsistent with weight {weight.shape}")
        if k < 2 or attrs.get("n_classes", k) != k:
            raise bad(f"readout/logits has {k} class rows; the file records "
                      f"n_classes={attrs.get('n_classes')}")
        if delay.min() < 0 or delay.max() > fixed_point.MAX_DELAY:
            raise bad(f"delays {delay.min()}..{delay.max()} are beyond Loihi's limit 0..{fixed_point.MAX_DELAY}")
        if delay.max() > config.dt_max:
            raise bad(f"delays up to {delay.max()} exceed its config_json dt_max={config.dt_max}")
        if weight.min() < fixed_point.WEIGHT_MANT_MIN or weight.max() > fixed_point.WEIGHT_MANT_MAX:
            raise bad(f"weights {weight.min()}..{weight.max()} are outside the 8-bit mantissa range "
                      f"{fixed_point.WEIGHT_MANT_MIN}..{fixed_point.WEIGHT_MANT_MAX}")
        if patterns.min() < 0 or patterns.max() > 1:
            raise bad("topdown/patterns must lie in [0, 1] (stored input patterns c_j)")
        if pattern_class.min() < 0 or pattern_class.max() >= k:
            raise bad(f"pattern_class values must be classes 0..{k - 1}")
        want_span = config.max_windows * config.time_steps
        if key_span != want_span:
            raise bad(f"noise/key_span={key_span} must be max_windows x time_steps = {want_span} "
                      "(the noise keys of its config)")
        if alpha_0 != config.alpha_0:
            raise bad(f"readout/alpha_0={alpha_0} disagrees with its config_json alpha_0={config.alpha_0}")
        if config.n_memory != n:
            raise bad(f"config_json n_memory={config.n_memory} disagrees with the {n} rows of "
                      "layer/1/weight")
        for key, value in (("beamnet_format", 1), ("model", "beamnet"), ("time_steps", config.time_steps),
                           ("seed", config.seed), ("dataset", config.dataset),
                           ("encoding", config.encoding), ("n_classes", k),
                           ("event_downsample", config.event_downsample),
                           ("event_polarity", config.event_polarity),
                           ("event_window_ms", config.event_window_ms)):
            if key not in attrs:
                raise bad(f"has no root attribute '{key}' (every beamnet-lava export records it)")
            if attrs[key] != value:
                raise bad(f"root attribute {key}={attrs[key]!r} disagrees with its config_json "
                          f"{key}={value!r}")
        stock = {"layer/0/type": "input", "layer/1/type": "dense"}
        for key, want in stock.items():
            if key not in f or read_string(f[key]) != want:
                raise bad(f"{key} must be '{want}' (the stock NetX part of the file)")
        for key, want in (("layer/0/shape", d), ("layer/1/shape", n),
                          ("layer/1/neuron/vThMant", config.theta_mant),
                          ("layer/1/neuron/iDecay", params.du), ("layer/1/neuron/vDecay", params.dv),
                          ("layer/1/neuron/refDelay", 1)):
            if key not in f:
                raise bad(f"missing {key}")
            ds = f[key]
            got = read_array(f, key, bad, ndim=ds.ndim if isinstance(ds, h5py.Dataset) else 0).reshape(-1)
            if got.size != 1 or got[0] != want:
                raise bad(f"{key}={got.tolist()} disagrees with the extension ({want})")
        return BeamnetFile(p, config, weight, delay, params, logits, alpha_0, eta, patterns,
                           pattern_class, key_span, probe_t)


# this module's hooks, attached by the registry (families.registry.load) through netx_export/__init__.py's providers()
PROVIDES = [
    provide("read", read_beamnet, "beamnet"),
]
