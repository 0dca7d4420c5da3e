"""Dense synapses for ``lanes`` independent samples side by side, with stock ``Dense`` semantics.

``lanes`` copies of one ``(outputs, inputs)`` connection: ports of ``lanes *
inputs`` and ``lanes * outputs`` (lane-major: lane ``l`` owns entries
``l * n .. (l + 1) * n - 1``), one weight matrix shared by every lane, so
activity never crosses from one lane to another. Per lane the arithmetic is
exactly lava-nc's ``Dense`` (fixed_pt: the same 8-bit clipping, truncation to
``num_weight_bits``, accumulation, then the ``weight_exp`` shift of the sum;
graded messages when ``num_message_bits > 0``), and like ``Dense`` it delivers
what it received at step ``t`` at step ``t + 1``.

Why not stock ``Dense``/``Sparse`` holding a block-diagonal matrix: ``Dense``
would store ``lanes**2`` blocks, and ``Sparse``'s per-step column slicing of a
CSR matrix with ``lanes`` blocks costs far more than one matrix product over
lanes (``benchmarks/bench_lanes.py`` measures both). With ``lanes == 1`` the
runners use stock ``Dense`` itself.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var


class LaneDense(AbstractProcess):
    """``weights`` (outputs, inputs) applied to each of ``lanes`` samples."""

    def __init__(self, *, weights: np.ndarray, lanes: int, weight_exp: int = 0,
                 num_weight_bits: int = 8, num_message_bits: int = 0,
                 name: str | None = None) -> None:
        weights = np.asarray(weights)
        super().__init__(weights=weights, lanes=int(lanes), weight_exp=int(weight_exp),
                         num_weight_bits=int(num_weight_bits),
                         num_message_bits=int(num_message_bits), name=name)
        if weights.ndim != 2:
            raise ValueError(f"weights must be 2-D (outputs, inputs), got shape {weights.shape}")
        if lanes < 1:
            raise ValueError("lanes must be >= 1")
        n_out, n_in = weights.shape
        self.s_in = InPort(shape=(lanes * n_in,))
        self.a_out = OutPort(shape=(lanes * n_out,))
        self.weights = Var(shape=weights.shape, init=weights)
        self.a_buff = Var(shape=(lanes * n_out,), init=0)
