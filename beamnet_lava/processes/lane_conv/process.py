"""Convolution synapses for ``lanes`` independent samples side by side, with stock ``Conv`` semantics.

``lanes`` copies of one lava.proc.conv ``Conv``: ports of shape ``(W, H, lanes * C)`` in and
``(W', H', lanes * C')`` out (Lava's (W, H, C) order, lanes stacked on the channel axis,
lane-major: lane ``l`` owns channels ``l * C .. (l + 1) * C - 1``), one kernel shared by every
lane, so activity never crosses from one lane to another. Per lane the arithmetic is exactly
lava-nc's ``Conv`` process models (``PyConvModelFixed``: integer kernel as given, binary spikes
when ``num_message_bits`` is 0 else graded messages, the sum wrapped to 24 signed bits as
``utils.signed_clamp``; ``PyConvModelFloat``: no clamp), and like ``Conv`` it delivers what it
received at step ``t`` at step ``t + 1``.

Why not one stock ``Conv`` with ``lanes`` times the groups (its kernel repeated per lane): its
CPU models convolve every (group, output channel, input channel) triple with its own
``scipy.signal.convolve2d`` call in Python (lava 0.10 disables its torch path), so the lanes
multiply its work instead of sharing one step, and it keeps ``groups`` in an 8-bit Var (lanes
x groups <= 127). This process gathers the patches of all lanes once and does one matrix
product per group, lanes as the batch axis (``benchmarks/bench_lavadl_lanes.py`` measures
both). With ``lanes == 1`` the runners use stock ``Conv`` itself (what Loihi 2 maps).
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var
from lava.proc.conv import utils


class LaneConv(AbstractProcess):
    """``weight`` (C_out, kW, kH, C_in / groups) convolved over each of ``lanes`` samples of
    ``input_shape`` (W, H, C) (one lane's shape); ``padding``, ``stride``, ``dilation`` in (W, H)
    as lava.proc.conv's ``Conv``."""

    def __init__(self, *, weight: np.ndarray, lanes: int, input_shape: tuple[int, int, int],
                 padding=0, stride=1, dilation=1, groups: int = 1, num_message_bits: int = 0,
                 name: str | None = None) -> None:
        weight = np.asarray(weight)
        lanes, groups = int(lanes), int(groups)
        input_shape = tuple(int(v) for v in input_shape)
        pairs = {k: tuple(int(v) for v in utils.make_tuple(value))
                 for k, value in (("padding", padding), ("stride", stride), ("dilation", dilation))}
        super().__init__(weight=weight, lanes=lanes, input_shape=input_shape, groups=groups,
                         num_message_bits=int(num_message_bits), name=name, **pairs)
        if weight.ndim != 4:
            raise ValueError(f"weight must be 4-D (C_out, kW, kH, C_in / groups), got shape {weight.shape}")
        if lanes < 1:
            raise ValueError("lanes must be >= 1")
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (W, H, C), got {input_shape}")
        for key, least in (("padding", 0), ("stride", 1), ("dilation", 1)):
            if min(pairs[key]) < least:
                raise ValueError(f"{key} must be >= {least}, got {pairs[key]}")
        c_in, c_out = input_shape[2], weight.shape[0]
        if groups < 1 or c_in % groups or c_out % groups or weight.shape[3] != c_in // groups:
            raise ValueError(f"groups {groups} must divide {c_in} input and {c_out} output channels "
                             f"with {weight.shape[3]} input channels per group in the kernel")
        size = zip(input_shape[:2], weight.shape[1:3], pairs["stride"], pairs["padding"], pairs["dilation"])
        out_shape = (*[(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in size], c_out)
        if min(out_shape) < 1:
            raise ValueError(f"a {weight.shape[1:3]} kernel does not fit the input {input_shape}")
        self.input_shape = input_shape
        self.output_shape = out_shape
        self.s_in = InPort(shape=(*input_shape[:2], lanes * c_in))
        self.a_out = OutPort(shape=(*out_shape[:2], lanes * c_out))
        self.weight = Var(shape=weight.shape, init=weight)
        self.a_buf = Var(shape=self.a_out.shape, init=0)
