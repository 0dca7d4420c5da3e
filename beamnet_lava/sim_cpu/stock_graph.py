"""The stock BEAM-Net variant's Lava graph from its NetX file (standalone: numpy, h5py, lava-nc).

``DelayDense`` (coincidence synapses) -> ``LIFReset`` (memory neurons) -> ``Dense``
(lateral inhibition) -> back into the same ``LIFReset``. Used by
:class:`beamnet_lava.sim_cpu.stock_run.StockSpec` and shipped as a copy inside INRC job
bundles, because lava-dl 0.6's netx loader cannot build this layer
(lib/dl/netx/blocks/process.py:263-283).
"""
from __future__ import annotations

import h5py
import numpy as np


def load(path) -> dict:
    """Layer 1 of a stock BEAM-Net file: integer arrays and neuron parameters."""
    with h5py.File(path, "r") as f:
        g = f["layer/1"]
        exp = int(g["weight_rec_exp"][()])
        return {"weight": np.asarray(g["weight"][()]).astype(np.int64),
                "delay": np.asarray(g["delay"][()]).astype(np.int64),
                "w_rec": np.asarray(g["weight_rec"][()]).astype(np.int64) >> exp, "w_rec_exp": exp,
                "du": int(g["neuron/iDecay"][()]), "dv": int(g["neuron/vDecay"][()]),
                "vth": int(g["neuron/vThMant"][()])}


def build(layer: dict, window: int, reset_offset: int):
    """Connect the stock processes; returns (input port, output port) of the memory layer."""
    from lava.proc.dense.process import DelayDense, Dense
    from lava.proc.lif.process import LIFReset

    n = layer["weight"].shape[0]
    syn = DelayDense(weights=layer["weight"], delays=layer["delay"], num_weight_bits=8)
    lif = LIFReset(shape=(n,), du=layer["du"], dv=layer["dv"], vth=layer["vth"],
                   bias_mant=np.zeros(n, dtype=int), reset_interval=window,
                   reset_offset=reset_offset)
    inh = Dense(weights=layer["w_rec"], weight_exp=layer["w_rec_exp"], num_weight_bits=8)
    syn.a_out.connect(lif.a_in)
    lif.s_out.connect(inh.s_in)
    inh.a_out.connect(lif.a_in)
    return syn.s_in, lif.s_out
