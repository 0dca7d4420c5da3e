"""The stock-process BEAM-Net variant's file (``export --target loihi2``): the record, the writer
and the validated reader (the ``read`` hook of the file-only ``beamnet-stock`` family).

File: NetX ``/layer/0`` input, ``/layer/1`` ``dense_rec`` (``weight``, ``delay``,
``weight_rec``, ``weight_rec_exp``, CUBA neuron with ``vThMant``/``iDecay``/``vDecay``),
plus ``/beamnet_stock`` (``extension_version``, readout, ``config_json``). lava-dl 0.6's
netx cannot build this layer (its RecurrentDense with delays reuses the N x d delay matrix
for the N x N recurrent synapse and drops ``weight_exp``: lib/dl/netx/blocks/process.py:
263-283), so beamnet-lava builds the graph from the stock processes itself
(:mod:`beamnet_lava.sim_cpu.stock_run`). What the variant keeps of BEAM-Net and why:
:mod:`beamnet_lava.deploy.stock_beamnet`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava.neurons import fixed_point
from beamnet_lava.neurons.fixed_point import W_SCALE
from beamnet_lava.netx_export.extension import open_extension, read_array, read_config
from beamnet_lava.families.registry import provide
from beamnet_lava.netx_export.netx_writer import NetxWriter, cuba

GROUP = "beamnet_stock"
EXTENSION_VERSION = 1


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


# this module's hooks (loaded by the registry through netx_export/__init__.py's providers())
PROVIDES = [provide("read", read_stock, "beamnet-stock")]
