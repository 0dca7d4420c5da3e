"""Build the Lava process graph of a validated NetX network.

- ``fixed``: lava-dl's stock ``lava.lib.dl.netx.hdf5.Network`` (bit-accurate
  LIF and Dense models), so what runs is exactly what lava-dl users get.
- ``float``: the same topology from lava-nc's ``Dense`` and ``LIFReset``
  floating-point models (a ``dense_rec`` layer: a second ``Dense`` from the layer's
  spikes into its own input). NetX stores hardware integers, which the float models
  do not interpret, so parameters are converted to the float models' units:
  weights ``w * 2**exp`` (the float Dense ignores ``weight_exp``), decays
  ``iDecay / 4096`` and ``vDecay / 4096``, threshold ``vThMant`` and bias
  ``bias`` (the fixed model shifts state, input, bias and threshold all by
  6 bits, so dividing the state by 64 gives these values).

Timing (both precisions): the source feeds sample ``k``'s step ``j`` at
Lava step ``k*T + j + 1``; every Dense delivers one step later, and layer
``i`` resets every ``T`` steps at phase ``reset_offset + 1 + i``, which NetX
arranges when given ``reset_offset``. So layer ``i``'s window for sample ``k``
starts at sink index ``k*T + reset_offset + i``: ``reset_offset`` is NetX's
(``hdf5.Network(reset_offset=...)``); a layer's own process takes, as lava's
``LIFReset``, the step its windows start, ``reset_offset + 1 + i``.

Lanes (:mod:`beamnet_lava.sim_cpu.lanes`): with ``lanes > 1`` each layer is one
``LaneDense`` (``RingDelayDense`` for delayed synapses, bit-exact to NetX's
``DelayDense``) feeding one stock ``LIFReset`` of ``lanes`` blocks of neurons.
In fixed point the parameters are read from the processes lava-dl's NetX loader
builds for the file (its weight optimisation, exponents and neuron constants
included), so a laned run computes what the NetX graph computes, lane by lane.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beamnet_lava._quiet import import_slayer
from beamnet_lava.errors import BeamnetError
from beamnet_lava.neurons.fixed_point import DECAY_UNITY
from beamnet_lava.netx_export.netx_file import NetxNetwork
from beamnet_lava.sim_cpu import lanes as lanes_mod


class LavaSpec:
    """What the streaming runner needs of a network: sizes, latency and a graph builder.

    Layer ``i``'s window for sample ``k`` starts at step ``k * window + reset_offset + i``
    of the recorded stream.
    """

    path: object
    input_size: int
    sizes: list[int]
    reset_offset: int

    def check(self, precision: str) -> None:
        """Raise BeamnetError if this network cannot run at ``precision``."""

    def build(self, window: int, precision: str) -> "LavaGraph":
        raise NotImplementedError


class NetxSpec(LavaSpec):
    """A validated NetX network of CUBA dense layers."""

    def __init__(self, net: NetxNetwork, lanes: int = 1) -> None:
        self.net = net
        self.path = net.path
        self.lanes = int(lanes)
        self.input_size = self.lanes * net.input_size
        self.sizes = [self.lanes * l.size for l in net.layers]
        self.reset_offset = reset_offset_of(net)

    def check(self, precision: str) -> None:
        from beamnet_lava.errors import BeamnetError
        from beamnet_lava.nir import float_import

        if precision == "fixed":
            float_import.refuse(self.path, self.net.attrs, "run in fixed point (--precision fixed)")
        if precision == "fixed" and self.net.layers[0].kind == "input":
            # lava-dl 0.6's netx Input block fails to compile on lava-nc 0.10's CPU backend
            # ("No subcompiler exists for ... PyInputModel"); say so before Lava does.
            raise BeamnetError(f"{self.path}: its input layer has neurons (a NetX 'input' "
                               "block), which lava-dl 0.6 cannot compile for the CPU simulator "
                               "in fixed point; use --precision float, or export without an "
                               "input block")
        if precision == "float" and any(l.delay is not None for l in self.net.layers):
            raise BeamnetError(f"{self.path}: synaptic delays run only with --precision fixed")

    def build(self, window: int, precision: str) -> "LavaGraph":
        return build(self.net, window, precision, self.lanes)


@dataclass
class LavaGraph:
    entry: object                 # InPort the input spikes go to
    outputs: list                 # one OutPort per layer (spikes, or a readout's membrane values)
    sizes: list[int]
    reset_offset: int             # NetX's reset phase parameter of layer 0 (see module doc)
    graded: list[bool] | None = None    # per output: graded values (a readout), not 0/1 spikes

    def is_graded(self, i: int) -> bool:
        return bool(self.graded and self.graded[i])


def reset_offset_of(net: NetxNetwork) -> int:
    """Reset phase parameter of layer 0."""
    # an input layer takes the source's spikes the same step; a Dense adds one
    return 0 if net.layers[0].kind == "input" else 1


def build(net: NetxNetwork, window: int, precision: str, lanes: int = 1) -> LavaGraph:
    first = reset_offset_of(net)
    if precision == "fixed":
        import_slayer()  # netx imports slayer; do it quietly first
        from lava.lib.dl.netx import hdf5

        proc = hdf5.Network(net_config=str(net.path), reset_interval=window, reset_offset=first)
        if lanes == 1:
            outputs = [layer.out for layer in proc.layers]
            if has_readout(net):
                # lava-dl's own graph; the last layer's synapse also drives a MembraneReadout
                # with the parameters netx gave its (never-firing) LIF, whose voltage is the output
                last = proc.layers[-1]
                ro = _readout_of(last.neuron, 1)
                last.synapse.a_out.connect(ro.a_in)
                outputs[-1] = ro.s_out
            return LavaGraph(proc.inp, outputs, [l.size for l in net.layers], first, _graded(net))
        return _build_fixed_lanes(proc, net, first, lanes)
    return _build_float(net, window, first, lanes)


def has_readout(net: NetxNetwork) -> bool:
    """Whether ``net``'s last layer is a non-spiking (LI) readout (nir/readout.py)."""
    from beamnet_lava.nir import readout

    return readout.of(net) is not None


def _graded(net: NetxNetwork) -> list[bool]:
    return [i == len(net.layers) - 1 and has_readout(net) for i in range(len(net.layers))]


def _readout_of(cell, lanes: int):
    """A :class:`MembraneReadout` with the constants lava-dl's netx gave ``cell`` (a LIFReset),
    for ``lanes`` lanes."""
    import beamnet_lava.processes.membrane_readout.models  # noqa: F401  (register the models)
    from beamnet_lava.processes.membrane_readout.process import MembraneReadout

    p = cell.proc_params
    return MembraneReadout(shape=(lanes * cell.a_in.shape[0],), du=cell.du.init, dv=cell.dv.init,
                           bias_mant=lanes_mod.tile(cell.bias_mant.init, lanes),
                           bias_exp=lanes_mod.tile(cell.bias_exp.init, lanes),
                           reset_interval=p["reset_interval"], reset_offset=p["reset_offset"])


def _build_fixed_lanes(proc, net: NetxNetwork, first: int, lanes: int) -> LavaGraph:
    """``lanes`` copies of the NetX graph ``proc``: its blocks' parameters, laned processes."""
    from lava.proc.lif.process import LIFReset

    import beamnet_lava.processes.ring_delay_dense.models  # noqa: F401  (register the models)
    from beamnet_lava.processes.ring_delay_dense.process import RingDelayDense

    pairs = []
    for k, block in enumerate(proc.layers):
        cell = block.neuron
        if not isinstance(cell, LIFReset):
            raise BeamnetError(f"{net.path}: lanes run CUBA neurons with resets, not "
                               f"{type(cell).__name__}; use --lanes 1")
        p = cell.proc_params
        neuron = _readout_of(cell, lanes) if _graded(net)[k] else LIFReset(
            shape=(lanes * cell.a_in.shape[0],), du=cell.du.init, dv=cell.dv.init,
            vth=cell.vth.init, bias_mant=lanes_mod.tile(cell.bias_mant.init, lanes),
            bias_exp=lanes_mod.tile(cell.bias_exp.init, lanes),
            reset_interval=p["reset_interval"], reset_offset=p["reset_offset"])
        syn = block.synapse
        q = syn.proc_params
        if hasattr(syn, "delays"):
            if int(syn.num_message_bits.init) != 0:
                raise BeamnetError(f"{net.path}: delayed graded synapses do not run in lanes; "
                                   "use --lanes 1")
            laned = RingDelayDense(weights=syn.weights.init, delays=syn.delays.init,
                                   num_weight_bits=q["num_weight_bits"],
                                   weight_exp=q["weight_exp"], lanes=lanes)
        else:
            w = syn.weights.init
            laned = lanes_mod.synapse(w.toarray() if hasattr(w, "toarray") else np.asarray(w), lanes,
                                      weight_exp=q["weight_exp"],
                                      num_weight_bits=q["num_weight_bits"],
                                      num_message_bits=int(syn.num_message_bits.init))
        pairs.append((laned, neuron))
    return _chain(pairs, [lanes * l.size for l in net.layers], first, _graded(net))


def _build_float(net: NetxNetwork, window: int, first: int, lanes: int = 1) -> LavaGraph:
    from lava.proc.lif.process import LIFReset

    import beamnet_lava.processes.membrane_readout.models  # noqa: F401  (register the models)
    from beamnet_lava.processes.membrane_readout.process import MembraneReadout

    pairs, graded = [], _graded(net)
    for i, layer in enumerate(net.layers):
        bias = np.zeros(layer.size) if layer.bias is None else layer.bias.astype(float)
        constants = dict(shape=(lanes * layer.size,), du=layer.i_decay / DECAY_UNITY,
                         dv=layer.v_decay / DECAY_UNITY, bias_mant=lanes_mod.tile(bias, lanes),
                         reset_interval=window, reset_offset=first + 1 + i)
        neuron = MembraneReadout(**constants) if graded[i] else LIFReset(vth=float(layer.v_th_mant), **constants)
        syn = None if layer.kind == "input" else lanes_mod.synapse(layer.weight.astype(float), lanes)
        if layer.weight_rec is not None:
            # a dense_rec layer: its own spikes through a second Dense into the same InPort
            # (Lava sums an InPort's connections); the Dense's one-step buffer makes a spike at
            # step t reach the current at t + 1, as lava-dl's recurrent block and nirtorch's back edge
            rec = lanes_mod.synapse(layer.weight_rec.astype(float), lanes)
            neuron.s_out.connect(rec.s_in)
            rec.a_out.connect(neuron.a_in)
        pairs.append((syn, neuron))
    return _chain(pairs, [lanes * l.size for l in net.layers], first, graded)


def _chain(pairs: list, sizes: list[int], first: int, graded: list[bool] | None = None) -> LavaGraph:
    """Wire ``(synapse or None, neuron)`` layers in order: synapse -> neuron -> next synapse."""
    entry, prev_out, outputs = None, None, []
    for syn, neuron in pairs:
        port_in = neuron.a_in
        if syn is not None:
            syn.a_out.connect(neuron.a_in)
            port_in = syn.s_in
        if prev_out is None:
            entry = port_in
        else:
            prev_out.connect(port_in)
        prev_out = neuron.s_out
        outputs.append(neuron.s_out)
    return LavaGraph(entry, outputs, sizes, first, graded)
