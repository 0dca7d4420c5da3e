"""Stock Lava processes for each block of a lava-dl NetX file (conv, pool, flatten, dense, input).

What each block becomes (``fixed``: the parameters lava-dl 0.6's ``netx.hdf5.Network`` would
give the same file, so a run computes what netx computes; ``float``: the same processes'
floating-point models in the float units of :mod:`beamnet_lava.sim_cpu.graph`):

- conv: ``lava.proc.conv.Conv`` (what maps to Loihi 2's convolution), its kernel flipped and
  transposed to Lava's (out, kW, kH, in) as netx does (``create_conv``).
- pool: ``lava.proc.conv.Conv`` too, as a *depthwise* convolution (``groups`` = channels)
  whose kernel is the pooling kernel's one value at every tap. slayer's sum pooling
  (``slayer.synapse.Pool``) is exactly that: one (1, 1, kH, kW) kernel applied to each
  channel on its own. lava-dl 0.6's netx cannot build pooling at all (``create_pool`` raises
  ``NotImplementedError``), and Lava has no pooling process, so this is the stock process
  that computes it, and the one Loihi 2's compiler maps.
- flatten: no process, a reshape of the port (netx's ``out.transpose([2, 1, 0]).flatten()``:
  Lava's (W, H, C) in C-order of (C, H, W), torch's order).
- dense: ``lava.proc.dense.Dense`` with netx's weight optimisation (``optimize_weight_bits``).
- CUBA neurons: ``lava.proc.lif.LIFReset`` (``du = iDecay - 1``, ``dv = vDecay``,
  ``bias_exp = 6`` as netx), resetting once per window.
- SDNN: ``lava.proc.sdn`` ``Delta`` (input block), ``SigmaDelta`` (hidden, relu) and ``Sigma``
  (a ``sigma_output`` layer), ``spike_exp = state_exp = 6`` and 16 message bits, as netx.
- a dense layer without neurons (current readout): the ``Dense`` alone; its output
  currents are recorded.

Host I/O: :mod:`beamnet_lava.processes.array_io` (memory-mapped files, graded values too).
"""
from __future__ import annotations

import numpy as np

from beamnet_lava.neurons.fixed_point import DECAY_UNITY
from beamnet_lava.netx_export.lavadl_file import READOUT, Block

#: netx's defaults: graded spike exponent (hdf5.Network spike_exp), SDNN state exponent and
#: message bits, and the bias exponent of its LIF neurons
SPIKE_EXP, STATE_EXP, SDNN_MESSAGE_BITS, BIAS_EXP = 6, 6, 16, 6


# -- blocks --------------------------------------------------------------------------------------

def whc(shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """Lava's (W, H, C) of a NetX (C, H, W) shape."""
    c, h, w = shape
    return (w, h, c)


def port_shape(block: Block) -> tuple[int, ...]:
    """The Lava port shape of a block's neurons: (W, H, C), or (N,) for dense/flatten and
    1-D inputs (as netx)."""
    c, h, w = block.shape
    if block.kind in ("dense", "flatten") or (block.kind == "input" and h == w == 1):
        return (c * h * w,)
    return (w, h, c)


def lava_values(values: np.ndarray, block: Block) -> np.ndarray:
    """Per-neuron values in NetX's (C, H, W) C-order as an array of the block's port shape."""
    shape = port_shape(block)
    values = np.asarray(values).reshape(-1)
    return values.reshape(block.shape).transpose(2, 1, 0) if len(shape) == 3 else values


def lava_kernel(block: Block) -> np.ndarray:
    """A conv/pool block's kernel as lava.proc.conv takes it: (out, kW, kH, in/groups)."""
    if block.kind == "pool":
        kh, kw = block.kernel
        return np.full((block.in_shape[0], kw, kh, 1), block.pool_weight, np.int64)
    # netx create_conv: weight[:, :, ::-1, ::-1] transposed (0, 3, 2, 1)
    return np.ascontiguousarray(block.weight[:, :, ::-1, ::-1].transpose(0, 3, 2, 1))


def synapse(block: Block, precision: str, message_bits: int):
    """The synapse process of a conv, pool or dense block."""
    fixed = precision == "fixed"
    if block.kind in ("conv", "pool"):
        from lava.proc.conv.process import Conv

        kernel = lava_kernel(block)
        return Conv(weight=kernel if fixed else kernel.astype(float), input_shape=whc(block.in_shape),
                    padding=block.padding[::-1], stride=block.stride[::-1],
                    dilation=block.dilation[::-1], groups=block.groups,
                    num_message_bits=message_bits)
    from lava.proc.dense.process import Dense

    if not fixed:
        return Dense(weights=block.weight.astype(float), num_message_bits=message_bits)
    weight, bits, exp = optimized_weights(block.weight)
    return Dense(weights=weight, weight_exp=exp, num_weight_bits=bits, num_message_bits=message_bits)


def optimized_weights(weight: np.ndarray) -> tuple[np.ndarray, int, int]:
    """netx's ``optimize_weight_bits`` (an all-zero matrix, which it divides by, kept as is)."""
    if not np.any(weight):
        return weight.astype(int), 8, 0
    from beamnet_lava._quiet import import_slayer

    import_slayer()
    from lava.lib.dl.netx.utils import optimize_weight_bits

    w, bits, exp, _ = optimize_weight_bits(weight)
    return w, bits, exp


def neuron(block: Block, precision: str, window: int | None, reset_step: int, input_block: bool = False):
    """The neuron process of a block (None for a current readout). ``reset_step``: the Lava
    time step (mod ``window``) at which its windows start; ``window`` None: no resets."""
    n = block.neuron
    shape = port_shape(block)
    fixed = precision == "fixed"
    bias = np.zeros(shape) if block.bias is None else lava_values(block.bias, block)
    if n.kind == READOUT:
        return None
    if n.kind == "SDNN":
        from lava.proc.sdn.process import Delta, Sigma, SigmaDelta

        exps = dict(spike_exp=SPIKE_EXP, state_exp=STATE_EXP) if fixed else {}
        if input_block:
            return Delta(shape=shape, vth=n.vth, **exps)
        if n.sigma_output:
            return Sigma(shape=shape)
        return SigmaDelta(shape=shape, vth=n.vth, bias=bias.astype(np.int32 if fixed else float), **exps)
    from lava.proc.lif.process import LIF, LIFReset

    if fixed:
        params = dict(du=n.i_decay - 1, dv=n.v_decay, vth=n.vth, bias_mant=bias.astype(np.int32),
                      bias_exp=BIAS_EXP)
    else:
        params = dict(du=n.i_decay / DECAY_UNITY, dv=n.v_decay / DECAY_UNITY, vth=float(n.vth),
                      bias_mant=bias.astype(float))
    if window is None:
        return LIF(shape=shape, **params)
    return LIFReset(shape=shape, reset_interval=window, reset_offset=reset_step, **params)


def message_bits(block: Block) -> int:
    """Bits of the messages a block's neurons send (0: binary spikes)."""
    return SDNN_MESSAGE_BITS if block.neuron is not None and block.neuron.graded else 0
