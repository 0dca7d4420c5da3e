"""BRF / RF recurrent networks in NetX HDF5 (+ a versioned ``/brf`` group); see docs/brf.md.

- root attributes as every beamnet-lava export (``beamnet_format``, ``model``,
  ``dataset``, ``encoding="pixel-sequence"``, ``time_steps``, ``n_classes``,
  ``seed``) plus ``input_levels`` (integer input level that means 1.0);
- ``/layer/0``: NetX ``input``, ``shape=[1]``;
- ``/layer/1``: NetX ``dense_rec``: ``weight`` (H x 1) and ``weight_rec`` (H x H)
  integer weights (``mantissa << exp``), ``weight_exp``, ``weight_rec_exp``;
  ``neuron/type`` = ``BALANCED_RESONATOR`` (BRF) or ``RESONATOR`` (vanilla RF) --
  neither contains "RF", which lava-dl would load as its own RF neuron --
  with ``omega_dt``, ``b_dt`` (H each), ``frac_bits``, ``delta_int``, ``q_decay``;
- ``/layer/2``: NetX ``dense`` (K x H) + ``weight_exp``, ``neuron/type`` =
  ``LEAKY_INTEGRATOR_READOUT`` with ``alpha``, ``frac_bits``;
- ``/brf``: attribute ``extension_version`` (1) and ``config_json``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from beamnet_lava.data.sequences import LEVELS
from beamnet_lava.neurons import brf, fixed_point
from beamnet_lava.errors import BeamnetError
from beamnet_lava.rundir import RUN_ID_ATTR
from beamnet_lava.families.registry import provide
from beamnet_lava.netx_export.extension import open_extension, read_array, read_config
from beamnet_lava.netx_export.netx_file import FORMAT_VERSION, read_attrs, read_string
from beamnet_lava.netx_export.netx_writer import NetxWriter, leaky_readout, resonator

EXTENSION_VERSION = 1
NEURON_TYPES = {True: "BALANCED_RESONATOR", False: "RESONATOR"}
NEURON_OF_KIND = {"brf": NEURON_TYPES[True], "rf": NEURON_TYPES[False]}   # SeqConfig.kind -> its neurons
READOUT_TYPE = "LEAKY_INTEGRATOR_READOUT"
ROOT_ATTRS = ("beamnet_format", "model", "dataset", "encoding", "time_steps", "n_classes", "seed",
              "input_levels", "event_downsample", "event_polarity", "event_window_ms", RUN_ID_ATTR)


def write_brf(w: NetxWriter, model, cfg, input_levels: int) -> None:
    """Write a trained BRF/RF :class:`~beamnet_lava.models.brf.ResonatorRSNN`'s layers and
    ``/brf`` extension through ``w``."""
    layers = model.fixed_layers(input_levels)
    params: brf.FixedParams = layers["neuron"]
    (w_in, e_in), (w_rec, e_rec), (w_out, e_out) = layers["weight"], layers["weight_rec"], layers["weight_out"]
    w.input(w_in.shape[1])
    w.dense(w_in << e_in, resonator(NEURON_TYPES[params.balanced], params.omega_dt, params.b_dt, brf.FRAC,
                                    params.delta_int, brf.Q_DECAY_INT),
            features=False, weight_rec=w_rec << e_rec, extra={"weight_exp": e_in, "weight_rec_exp": e_rec})
    w.dense(w_out << e_out, leaky_readout(layers["alpha"], brf.FRAC, READOUT_TYPE), features=False,
            extra={"weight_exp": e_out})
    w.extension("brf", EXTENSION_VERSION, cfg)
    w.attrs(input_levels=int(input_levels))


@dataclass
class BrfFile:
    path: Path
    attrs: dict[str, Any]
    config: Any                    # SeqConfig
    layers: dict                   # as ResonatorRSNN.fixed_layers: what fixed_forward and Lava run

    @property
    def input_size(self) -> int:
        return int(self.layers["weight"][0].shape[1])

    @property
    def sizes(self) -> list[int]:
        return [int(self.layers["weight"][0].shape[0]), int(self.layers["weight_out"][0].shape[0])]

    @property
    def time_steps(self) -> int:
        return int(self.attrs["time_steps"])

    @property
    def input_levels(self) -> int:
        return int(self.attrs["input_levels"])

    @property
    def neuron_type(self) -> str:
        return NEURON_TYPES[self.layers["neuron"].balanced]

    def describe(self) -> str:
        h, k = self.sizes
        return (f"{self.path} (NetX + BRF extension v{EXTENSION_VERSION}: {self.input_size} input -> "
                f"{h} recurrent {self.neuron_type} neurons -> {k} leaky-integrator readout, "
                f"{self.time_steps}-step sequences)")


def read_brf(path: str | Path) -> BrfFile:
    """Read and validate a BRF export; every problem is a clear BeamnetError."""
    p = Path(path)
    with open_extension(p, "brf", EXTENSION_VERSION, "BRF") as (f, bad):
        keys = ("layer/1/weight", "layer/1/weight_rec", "layer/1/weight_exp", "layer/1/weight_rec_exp",
                "layer/1/neuron/type", "layer/1/neuron/omega_dt", "layer/1/neuron/b_dt",
                "layer/1/neuron/frac_bits", "layer/1/neuron/delta_int", "layer/1/neuron/q_decay",
                "layer/2/weight", "layer/2/weight_exp", "layer/2/neuron/type", "layer/2/neuron/alpha",
                "layer/2/neuron/frac_bits")
        missing = [k for k in keys if k not in f]
        if missing:
            raise bad(f"is missing {', '.join(missing)}")
        attrs = read_attrs(f, p, ROOT_ATTRS)

        def whole(key: str, ndim: int = 0) -> np.ndarray:
            return read_array(f, key, bad, ndim=ndim, integer=True, kinds="biu").astype(np.int64)

        for key in ("time_steps", "input_levels", "dataset", "n_classes"):
            if key not in attrs:
                raise bad(f"has no root attribute '{key}'")
        ntype = read_string(f["layer/1/neuron/type"])
        if ntype not in NEURON_TYPES.values():
            raise bad(f"layer 1 neuron type {ntype!r} is not {' or '.join(NEURON_TYPES.values())}")
        if read_string(f["layer/2/neuron/type"]) != READOUT_TYPE:
            raise bad(f"layer 2 neuron type must be {READOUT_TYPE}")
        for key, want in (("1/neuron/frac_bits", brf.FRAC), ("1/neuron/q_decay", brf.Q_DECAY_INT),
                          ("2/neuron/frac_bits", brf.FRAC)):
            if int(whole(f"layer/{key}")) != want:
                raise bad(f"layer/{key}={int(whole(f'layer/{key}'))}; this reader implements "
                          f"{want} only")
        params = brf.FixedParams(whole("layer/1/neuron/omega_dt", 1), whole("layer/1/neuron/b_dt", 1),
                                 ntype == NEURON_TYPES[True], int(whole("layer/1/neuron/delta_int")))
        if not 0 < params.delta_int <= brf.ONE:
            raise bad(f"layer/1/neuron/delta_int={params.delta_int} is outside 1..{brf.ONE}")
        try:
            params.check()
        except BeamnetError as exc:
            raise bad(str(exc)) from None

        def mantissas(key: str) -> tuple[np.ndarray, int]:
            w = whole(f"layer/{key}", 2)
            exp = int(whole(f"layer/{key}_exp"))
            if not 0 <= exp <= brf.MAX_WEIGHT_EXP:
                raise bad(f"layer/{key}_exp={exp} is outside 0..{brf.MAX_WEIGHT_EXP}")
            mant = w >> exp
            if (mant << exp != w).any() or mant.min(initial=0) < fixed_point.WEIGHT_MANT_MIN or \
                    mant.max(initial=0) > fixed_point.WEIGHT_MANT_MAX or (mant % 2).any():
                raise bad(f"layer/{key} is not (even 8-bit mantissa) << {key}_exp")
            return mant, exp

        layers = {"neuron": params, "weight": mantissas("1/weight"),
                  "weight_rec": mantissas("1/weight_rec"), "weight_out": mantissas("2/weight"),
                  "alpha": int(whole("layer/2/neuron/alpha"))}
        config = read_config(f, "brf", bad)
        if NEURON_OF_KIND.get(getattr(config, "kind", None)) != ntype:
            raise bad(f"brf config_json is a {config.model!r} config, which does not match "
                      f"its {ntype} neurons")
        for key, value in (("time_steps", config.time_steps), ("seed", config.seed),
                           ("dataset", config.dataset), ("model", config.model)):
            if attrs.get(key, value) != value:
                raise bad(f"root attribute {key}={attrs[key]!r} disagrees with its config_json "
                          f"{key}={value!r}")
    h = params.omega_dt.shape[0]
    if layers["weight"][0].shape[0] != h or layers["weight_rec"][0].shape != (h, h) or \
            layers["weight_out"][0].shape[1] != h:
        raise bad(f"layer shapes disagree with {h} hidden neurons")
    if config.hidden[0] != h:
        raise bad(f"config_json hidden={list(config.hidden)} disagrees with the {h} recurrent neurons")
    if not 0 <= layers["alpha"] <= brf.ONE:
        raise bad(f"readout alpha={layers['alpha']} is outside 0..{brf.ONE}")
    with h5py.File(p, "r") as f:
        for key, want in (("layer/0/type", "input"), ("layer/1/type", "dense_rec"),
                          ("layer/2/type", "dense")):
            if key not in f or read_string(f[key]) != want:
                raise bad(f"{key} must be '{want}' (the stock NetX part of the file)")
        for key, want in (("layer/0/shape", layers["weight"][0].shape[1]), ("layer/1/shape", h),
                          ("layer/2/shape", layers["weight_out"][0].shape[0])):
            ds = f.get(key)
            got = whole(key, 1) if isinstance(ds, h5py.Dataset) and ds.ndim == 1 else None
            if got is None or got.tolist() != [want]:
                raise bad(f"{key} must be [{want}] (the layer's neurons)")
    for key, value in (("encoding", "events" if config.dataset == "shd" else "pixel-sequence"),
                       ("event_downsample", config.event_downsample),
                       ("event_polarity", config.event_polarity),
                       ("event_window_ms", config.event_window_ms), ("beamnet_format", 1)):
        if attrs.get(key) != value:
            raise bad(f"root attribute {key}={attrs.get(key)!r} must be {value!r} (its config_json)")
    if layers["weight_out"][0].shape[0] != attrs["n_classes"]:
        raise bad(f"root attribute n_classes={attrs['n_classes']} disagrees with the "
                  f"{layers['weight_out'][0].shape[0]} readout neurons")
    return BrfFile(p, attrs, config, layers)


def export_brf_run(run, out: Path, force: bool = False) -> BrfFile:
    """Write ``run`` (a loaded BRF/RF run) to ``out`` atomically and return it read back."""
    cfg = run.config
    w = NetxWriter()
    write_brf(w, run.model, cfg, LEVELS[cfg.dataset])
    w.attrs(beamnet_format=FORMAT_VERSION, model=cfg.model, dataset=cfg.dataset,
            encoding="events" if cfg.dataset == "shd" else "pixel-sequence")
    w.attrs({key: getattr(cfg, key) for key in ("event_downsample", "event_polarity",
                                                 "event_window_ms")})   # Eq. 6 inputs
    w.attrs(time_steps=cfg.time_steps, n_classes=run.model.sizes[-1], seed=cfg.seed)
    w.stamp(run.run_dir)
    return w.publish(out, read_brf, force=force, run_dir=run.run_dir)


# this module's hooks, attached by the registry (families.registry.load) through netx_export/__init__.py's providers()
PROVIDES = [
    provide("read", read_brf, "brf-rsnn", "rf-rsnn"),
    provide("export", export_brf_run, "brf-rsnn", "rf-rsnn"),
]
