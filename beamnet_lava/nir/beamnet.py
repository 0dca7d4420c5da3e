"""BEAM-Net's NIR form: its Delta -> 0 deterministic core (``export --format nir --deterministic``).

The family's own NIR stage (the ``to_nir`` hook of :mod:`beamnet_lava.nir.bridge`):
what NIR can carry of BEAM-Net and what it must drop, decided here and nowhere else.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import __version__
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.neurons import fixed_point
from beamnet_lava.netx_export.netx_file import Layer
from beamnet_lava.nir.bridge import DT, INTEGRATION, META_KEY, Unfolded, delay_branches, neuron_node

NOT_DETERMINISTIC = ("BEAM-Net's stochastic threshold (Eq. 9), adaptive threshold (Eq. 10) and "
                     "Dirichlet readout (Eq. 12-15) have no NIR node; only its Delta -> 0 core "
                     "could be exported, with --deterministic")


def beamnet_to_nir(path: Path, deterministic: bool):
    """The ``to_nir`` hook: the deterministic core of a BEAM-Net file, only when asked for."""
    from beamnet_lava.netx_export.beamnet_file import read_beamnet

    if not deterministic:
        raise BeamnetError(f"{path}: cannot export to NIR: {NOT_DETERMINISTIC}")
    graph, _dropped = beamnet_core_to_nir(read_beamnet(path))
    return graph


def beamnet_core_to_nir(bf, dt: float = DT):
    """BEAM-Net's Delta -> 0 core as NIR, and the list of what was dropped.

    Kept: the coincidence synapses (one Delay -> Linear branch per distinct delay), the
    memory neurons' CUBA dynamics (du, dv, theta_0; Eq. 8) and the lateral inhibition as a
    recurrent Linear of weight -w_inh (Prop. 3.3) into the memory current. Dropped: the
    logistic threshold noise (Eq. 9, Delta -> 0), the adaptive threshold (Eq. 10, gamma ->
    0), the inhibition trace's own decay (it takes the current decay du) and the Dirichlet
    readout with the top-down loop (Eq. 12-17).
    """
    import nir

    p = bf.params
    n, d_in = bf.weight.shape
    core = Layer(1, "dense", n, p.theta // fixed_point.W_SCALE, p.du, p.dv, bf.weight, None, bf.delay,
                 None)
    if p.du == 0 or p.dv == 0:
        raise BeamnetError(f"{bf.path}: du={p.du}, dv={p.dv}: a decay of 0 is an infinite NIR "
                           "time constant; refused")
    nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array([d_in])})}
    edges: list[tuple[str, str]] = []
    delay_branches(nodes, edges, Unfolded(core, None, None), "input", d_in, "memory", 0, dt)
    lif = neuron_node(Unfolded(core, None, None), dt)
    lif.v_threshold = np.full(n, p.theta / fixed_point.DECAY_UNITY)     # theta in state units
    nodes["memory"] = lif
    inhibition = -(p.w_inh / fixed_point.DECAY_UNITY) * (np.ones((n, n)) - np.eye(n))
    nodes["inhibition"] = nir.Linear(weight=inhibition)
    edges += [("memory", "inhibition"), ("inhibition", "memory")]
    nodes["output"] = nir.Output(output_type={"output": np.array([n])})
    edges.append(("memory", "output"))
    dropped = [f"stochastic threshold (Eq. 9): Delta = {p.delta} state units -> 0",
               f"adaptive threshold (Eq. 10): gamma = {p.gamma} -> 0",
               "Dirichlet readout and top-down loop (Eq. 12-17): the graph outputs memory spikes",
               "the current/voltage state is not rounded toward zero on a 2^-12 grid (NIR is real-valued)"]
    if p.d_syn != p.du:
        dropped.append(f"inhibition trace decay d_syn = {p.d_syn}: the recurrent Linear decays "
                       f"with the current decay du = {p.du} instead")
    meta = {"dt": dt, "integration": INTEGRATION, "source": "beamnet-lava",
            "beamnet_lava_version": __version__, "family": "beamnet",
            "seed": int(getattr(bf.config, "seed", 0)), "deterministic_core": True,
            "loihi_layers": [{"iDecay": p.du, "vDecay": p.dv, "vThMant": p.theta // fixed_point.W_SCALE,
                              "w_inh": p.w_inh, "d_syn": p.d_syn}],
            "time_steps": int(bf.config.time_steps), "dropped": dropped}
    graph = nir.NIRGraph(nodes=nodes, edges=edges, type_check=True)
    graph.metadata = {META_KEY: json.dumps(meta, sort_keys=True), "dt": dt, "integration": INTEGRATION}
    return graph, dropped


# this module's hooks, attached by the registry (families.registry.load) through nir/__init__.py's providers()
PROVIDES = [
    provide("to_nir", beamnet_to_nir, "beamnet"),
]
