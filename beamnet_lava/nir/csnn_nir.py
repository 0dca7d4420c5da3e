"""A CSNN file as a NIR graph: Conv2d, SumPool2d, Flatten, Linear and CubaLIF nodes.

The neuron mapping is the dense SNN's (:mod:`beamnet_lava.nir.bridge`, docs/nir.md): Lava's
fixed-point CUBA neuron is NIR's ``CubaLIF`` under forward Euler with step ``dt`` when
``tau_syn = dt 4096/iDecay``, ``w_in = 4096/iDecay``, ``tau_mem = dt 4096/vDecay``,
``r = 4096/vDecay``, ``v_threshold = vThMant/64`` and every weight is ``W/64``; here every
parameter is an array of the layer's own shape ((C, H, W) for conv and pool layers).

- ``conv``: ``Conv2d(weight W/64 (out, in/groups, kH, kW), stride, padding, dilation, groups,
  zero bias)`` -> ``CubaLIF``.
- ``pool``: slayer's sum pool multiplies the window's spike count by its kernel weight ``w``;
  NIR's ``SumPool2d`` has no weight, so ``w/64`` is folded into the next ``CubaLIF``'s input
  gain (``w_in = 4096/iDecay * w/64``: exact, the input enters the current linearly).
- ``flatten``: ``Flatten(start_dim=0, end_dim=-1)`` of the (C, H, W) map (NIR's shapes leave the
  batch out, as Sinabs writes it), in the (C, H, W) order of slayer and lava-dl.
- ``dense``: ``Linear(W/64)`` -> ``CubaLIF``.

Norse 1.1's ``from_nir`` builds this graph (one sample at a time: its ``Flatten`` takes the
NIR dims literally); tests/test_csnn.py runs it against our Lava spikes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import __version__
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.netx_export.csnn_file import CsnnFile, read_csnn
from beamnet_lava.neurons import fixed_point
from beamnet_lava.nir.bridge import DT, INTEGRATION, META_KEY


def _cuba(shape: tuple[int, ...], v_th_mant: int, i_decay: int, v_decay: int, dt: float,
          gain: float = 1.0):
    import nir

    if i_decay == 0 or v_decay == 0:
        raise BeamnetError(f"a layer has iDecay={i_decay}, vDecay={v_decay}: a decay of 0 is an "
                           "infinite NIR time constant (tau = dt*4096/decay); refused")
    full = lambda v: np.full(shape, float(v))   # noqa: E731
    unity = fixed_point.DECAY_UNITY
    return nir.CubaLIF(tau_syn=full(dt * unity / i_decay), tau_mem=full(dt * unity / v_decay),
                       r=full(unity / v_decay), v_leak=full(0.0),
                       v_threshold=full(v_th_mant / fixed_point.W_SCALE), v_reset=full(0.0),
                       w_in=full(unity / i_decay * gain))


def csnn_graph(net: CsnnFile, dt: float = DT):
    """The NIR graph of a validated CSNN file, with the metadata a round trip needs."""
    import nir

    nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array(net.input_shape)})}
    edges: list[tuple[str, str]] = []
    prev, shape = "input", tuple(net.input_shape)
    loihi = []
    for l in net.layers:
        i, spec = l.index, l.spec
        gain = 1.0
        if spec.kind == "conv":
            syn = f"conv{i}"
            nodes[syn] = nir.Conv2d(
                input_shape=(shape[1], shape[2]),
                weight=l.weight.astype(np.float64) / fixed_point.W_SCALE,
                stride=(spec.stride, spec.stride), padding=(spec.padding, spec.padding),
                dilation=(spec.dilation, spec.dilation), groups=spec.groups,
                bias=np.zeros(spec.channels))
        elif spec.kind == "pool":
            syn = f"pool{i}"
            nodes[syn] = nir.SumPool2d(kernel_size=np.array([spec.kernel] * 2),
                                       stride=np.array([spec.stride] * 2), padding=np.array([0, 0]))
            gain = float(l.weight.reshape(-1)[0]) / fixed_point.W_SCALE
        elif spec.kind == "flatten":
            nodes[f"flatten{i}"] = nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0,
                                               end_dim=-1)
            edges.append((prev, f"flatten{i}"))
            prev, shape = f"flatten{i}", l.shape
            continue
        else:
            syn = f"linear{i}"
            nodes[syn] = nir.Linear(weight=l.weight.astype(np.float64) / fixed_point.W_SCALE)
        lif = f"lif{i}"
        nodes[lif] = _cuba(l.shape, l.v_th_mant, l.i_decay, l.v_decay, dt, gain)
        edges += [(prev, syn), (syn, lif)]
        loihi.append({"layer": i, "kind": spec.kind, "iDecay": l.i_decay, "vDecay": l.v_decay,
                      "vThMant": l.v_th_mant})
        prev, shape = lif, l.shape
    nodes["output"] = nir.Output(output_type={"output": np.array(shape)})
    edges.append((prev, "output"))
    attrs = {k: v for k, v in net.attrs.items() if isinstance(v, (str, int, float, bool))}
    meta = {"dt": dt, "integration": INTEGRATION, "source": "beamnet-lava",
            "beamnet_lava_version": __version__, "family": "csnn", "seed": attrs.get("seed"),
            "loihi_layers": loihi, "netx_attrs": attrs, "dropped": []}
    graph = nir.NIRGraph(nodes=nodes, edges=edges, type_check=True)
    graph.metadata = {META_KEY: json.dumps(meta, sort_keys=True), "dt": dt, "integration": INTEGRATION}
    return graph


def csnn_to_nir(path: Path, deterministic: bool):
    if deterministic:
        raise BeamnetError(f"{path}: --deterministic applies to BEAM-Net files only")
    return csnn_graph(read_csnn(path))


# this module's hooks, attached by the registry (families.registry.load) through nir/__init__.py's providers()
PROVIDES = [
    provide("to_nir", csnn_to_nir, "csnn"),
]
