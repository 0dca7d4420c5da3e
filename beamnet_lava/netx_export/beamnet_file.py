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
  ``topdown/patterns`` (N x d, W_TD), ``pattern_class`` (N), ``noise/key_span``,
  and ``config_json`` (the full training config, for the encoder and the loop).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import h5py
import numpy as np

from beamnet_lava.config import from_dict
from beamnet_lava.neurons import fixed_point, noise
from beamnet_lava.neurons.bayes_lif import BayesLIFParams
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import implements
from beamnet_lava.netx_export.extension import open_extension

EXTENSION_VERSION = 1
NEURON_TYPE = "BEAMNET_BAYES_LIF"


def write_beamnet(f: h5py.File, model) -> None:
    """Write a trained :class:`BeamNet` into an open HDF5 file."""
    cfg = model.cfg
    w = model.weight_mantissa().detach().numpy().astype(np.int64)
    d = model.delays.numpy().astype(np.int64)
    layer = f.create_group("layer")
    inp = layer.create_group("0")
    inp.create_dataset("type", data=[b"input"])
    inp.create_dataset("shape", data=np.array([w.shape[1]]))
    dense = layer.create_group("1")
    dense.create_dataset("type", data=[b"dense"])
    dense.create_dataset("shape", data=np.array([w.shape[0]]))
    dense.create_dataset("weight", data=w)
    dense.create_dataset("delay", data=d)
    neuron = dense.create_group("neuron")
    neuron.create_dataset("type", data=[NEURON_TYPE.encode()])
    neuron.create_dataset("vThMant", data=cfg.theta_mant)
    neuron.create_dataset("iDecay", data=model.hw.du)
    neuron.create_dataset("vDecay", data=model.hw.dv)
    neuron.create_dataset("refDelay", data=1)
    ext = f.create_group("beamnet")
    ext.attrs["extension_version"] = EXTENSION_VERSION
    ext.attrs["config_json"] = json.dumps(cfg.to_dict(), sort_keys=True)
    for field in fields(BayesLIFParams):
        ext.create_dataset(f"bayes_lif/{field.name}", data=int(getattr(model.hw, field.name)))
    ext.create_dataset("readout/logits", data=model.readout.detach().numpy().astype(np.float32))
    ext.create_dataset("readout/alpha_0", data=float(cfg.alpha_0))
    ext.create_dataset("readout/eta", data=float(model.eta))
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


@implements("beamnet", hook="read")
def read_beamnet(path: str | Path) -> BeamnetFile:
    """Read and validate a BEAM-Net export; every problem is a clear BeamnetError."""
    p = Path(path)
    with open_extension(p, "beamnet", EXTENSION_VERSION, "BEAM-Net") as (f, bad):
        ext = f["beamnet"]
        for key in ("layer/1/weight", "layer/1/delay", "beamnet/readout/logits",
                    "beamnet/topdown/patterns", "beamnet/pattern_class", "beamnet/noise/key_span"):
            if key not in f:
                raise bad(f"missing {key}")
        for field in fields(BayesLIFParams):
            if f"bayes_lif/{field.name}" not in ext:
                what = "noise seed" if field.name == "seed" else "parameter"
                raise bad(f"missing beamnet/bayes_lif/{field.name} (the Bayesian LIF {what})")
        try:
            config = from_dict(json.loads(ext.attrs["config_json"]))
        except (KeyError, ValueError) as exc:
            raise bad(f"beamnet config_json is missing or invalid ({exc})") from None
        weight = np.asarray(f["layer/1/weight"][()]).astype(np.int64)
        delay = np.asarray(f["layer/1/delay"][()]).astype(np.int64)
        logits = np.asarray(ext["readout/logits"][()], dtype=np.float32)
        patterns = np.asarray(ext["topdown/patterns"][()], dtype=np.float32)
        pattern_class = np.asarray(ext["pattern_class"][()]).astype(np.int64)
        params = BayesLIFParams(**{fl.name: int(ext[f"bayes_lif/{fl.name}"][()]) for fl in fields(BayesLIFParams)})
        n, d = weight.shape
        shapes = {"layer/1/delay": (delay.shape, (n, d)), "readout/logits": (logits.shape[1:], (n,)),
                  "topdown/patterns": (patterns.shape, (n, d)), "pattern_class": (pattern_class.shape, (n,))}
        for key, (got, want) in shapes.items():
            if tuple(got) != tuple(want):
                raise bad(f"{key} has shape {tuple(got)}, inconsistent with weight {weight.shape}")
        if delay.min() < 0 or delay.max() > fixed_point.MAX_DELAY:
            raise bad(f"delays {delay.min()}..{delay.max()} are beyond Loihi's limit 0..{fixed_point.MAX_DELAY}")
        if weight.min() < fixed_point.WEIGHT_MANT_MIN or weight.max() > fixed_point.WEIGHT_MANT_MAX:
            raise bad(f"weights {weight.min()}..{weight.max()} are outside the 8-bit mantissa range "
                      f"{fixed_point.WEIGHT_MANT_MIN}..{fixed_point.WEIGHT_MANT_MAX}")
        return BeamnetFile(p, config, weight, delay, params, logits, float(ext["readout/alpha_0"][()]),
                           float(ext["readout/eta"][()]), patterns, pattern_class,
                           int(ext["noise/key_span"][()]))
