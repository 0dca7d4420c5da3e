"""Stock Lava processes for a lava-dl NetX network, built from its *plan* (standalone: numpy and
lava-nc only, so INRC job bundles ship this file and build the very same graph).

A plan (made by :func:`beamnet_lava.sim_cpu.lavadl_graph.plan` from a validated file) is a list
of stages, plain dicts of numbers and arrays already in Lava's units and (W, H, C) order.
Lanes (``lanes`` samples side by side in one graph) stack along the channel axis: a conv or
pool of ``lanes > 1`` lanes is one ``LaneConv`` (lanes as the batch axis of one product per
group, per lane bit-exact to stock ``Conv``), a dense one ``LaneDense``; one lane (and so every
job bundle) uses the stock processes. What
each NetX block becomes (``fixed``: the parameters lava-dl 0.6's ``netx.hdf5.Network`` would
give the same file, so a run computes what netx computes; ``float``: the same processes'
floating-point models, in the float units of :mod:`beamnet_lava.sim_cpu.graph`):

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
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

#: netx's defaults: graded spike exponent (hdf5.Network spike_exp), SDNN state exponent and
#: message bits, and the bias exponent of its LIF neurons
SPIKE_EXP, STATE_EXP, SDNN_MESSAGE_BITS, BIAS_EXP = 6, 6, 16, 6
TUPLES = ("shape", "in_shape", "stride", "padding", "dilation")


def _connect(out, in_port) -> None:
    """``out`` -> ``in_port``, reshaped when their shapes differ (flatten: Lava's (W, H, C) to
    C-order (C, H, W), as netx)."""
    src, dst = tuple(out.shape), tuple(in_port.shape)
    if src == dst:
        out.connect(in_port)
    elif len(src) == 3 and len(dst) == 1:
        out.transpose([2, 1, 0]).flatten().connect(in_port)
    else:
        out.reshape(dst).connect(in_port)


def _synapse(stage: dict, fixed: bool):
    lanes = int(stage.get("lanes", 1))
    if stage["kind"] == "dense" and lanes > 1:      # one weight matrix shared by the lanes
        from beamnet_lava.sim_cpu.lanes import synapse   # (beamnet-lava runs only; bundles: 1 lane)

        params = dict(num_message_bits=int(stage["message_bits"]))
        if fixed:
            params.update(weight_exp=int(stage["weight_exp"]), num_weight_bits=int(stage["num_weight_bits"]))
        return synapse(stage["weight"], lanes, **params)
    if stage["kind"] in ("conv", "pool") and lanes > 1:     # lanes as the batch of one product
        import beamnet_lava.processes.lane_conv.models  # noqa: F401  (register the models)
        from beamnet_lava.processes.lane_conv.process import LaneConv

        return LaneConv(weight=stage["weight"], lanes=lanes, input_shape=tuple(stage["in_shape"]),
                        padding=tuple(stage["padding"]), stride=tuple(stage["stride"]),
                        dilation=tuple(stage["dilation"]), groups=int(stage["groups"]),
                        num_message_bits=int(stage["message_bits"]))
    if stage["kind"] in ("conv", "pool"):
        from lava.proc.conv.process import Conv

        return Conv(weight=stage["weight"], input_shape=tuple(stage["in_shape"]),
                    padding=tuple(stage["padding"]), stride=tuple(stage["stride"]),
                    dilation=tuple(stage["dilation"]), groups=int(stage["groups"]),
                    num_message_bits=int(stage["message_bits"]))
    from lava.proc.dense.process import Dense

    if not fixed:
        return Dense(weights=stage["weight"], num_message_bits=int(stage["message_bits"]))
    return Dense(weights=stage["weight"], weight_exp=int(stage["weight_exp"]),
                 num_weight_bits=int(stage["num_weight_bits"]),
                 num_message_bits=int(stage["message_bits"]))


def _neuron(stage: dict, fixed: bool, window: int | None):
    shape, kind = tuple(stage["shape"]), stage["neuron"]
    if kind == "readout":
        return None
    exps = dict(spike_exp=SPIKE_EXP, state_exp=STATE_EXP) if fixed else {}
    if kind == "delta":
        from lava.proc.sdn.process import Delta

        return Delta(shape=shape, vth=int(stage["vth"]), **exps)
    if kind == "sigma":
        from lava.proc.sdn.process import Sigma

        return Sigma(shape=shape)
    if kind == "sigma_delta":
        from lava.proc.sdn.process import SigmaDelta

        return SigmaDelta(shape=shape, vth=int(stage["vth"]), bias=stage["bias"], **exps)
    from lava.proc.lif.process import LIF, LIFReset

    params = dict(du=stage["du"], dv=stage["dv"], vth=stage["vth"], bias_mant=stage["bias"])
    if fixed:
        params["bias_exp"] = BIAS_EXP
    if window is None:
        return LIF(shape=shape, **params)
    return LIFReset(shape=shape, reset_interval=int(window), reset_offset=1 + int(stage["delay"]), **params)


def build(plan: list[dict], window: int | None, precision: str, feed_input: bool = True):
    """Instantiate and connect the plan's processes. Returns ``(entry, stages)``: the InPort the
    input goes to (None when the input block's neurons take a static bias instead,
    ``feed_input`` False) and per stage ``(out port recorded, neuron process or None)``.
    ``window``: CUBA neurons reset at the start of each window (None: never)."""
    fixed = precision == "fixed"
    entry, built, prev = None, [], None
    for stage in plan:
        cell = _neuron(stage, fixed, window)
        if stage["kind"] == "input":
            if feed_input:
                entry = cell.a_in
            built.append((cell.s_out, cell))
            prev = cell.s_out
            continue
        syn = _synapse(stage, fixed)
        if prev is None:
            entry = syn.s_in
        else:
            _connect(prev, syn.s_in)
        if cell is None:
            built.append((syn.a_out, None))
            prev = syn.a_out
            continue
        syn.a_out.connect(cell.a_in)
        built.append((cell.s_out, cell))
        prev = cell.s_out
    return entry, built


def plan_arrays(plan: list[dict]) -> dict[str, np.ndarray]:
    """The plan as ``<stage>.<field>`` arrays (saved with ``np.savez`` into a job bundle)."""
    return {f"{i}.{k}": np.asarray(v) for i, stage in enumerate(plan) for k, v in stage.items()}


def load_plan(path) -> list[dict]:
    """A plan saved from :func:`plan_arrays`."""
    with np.load(Path(path), allow_pickle=False) as f:
        stages: dict[int, dict] = {}
        for key in f.files:
            i, field = key.split(".", 1)
            value = f[key]
            if value.ndim == 0:
                value = value.item()
            elif field in TUPLES:
                value = tuple(int(v) for v in value.tolist())
            stages.setdefault(int(i), {})[field] = value
    return [stages[i] for i in sorted(stages)]
