"""What snnTorch and Norse compute for a NIR graph: each peer's own simulation, per layer.

Used by the tests and ``benchmarks/bench_nir.py`` to hold our Lava runs to the peers
(needs the ``test`` extra: snntorch, norse, nirtorch). Inputs ``(samples, steps, inputs)``
0/1; outputs: one ``(samples, steps, neurons)`` bool array per CubaLIF layer, in graph
order, every sample starting from the peer's zero state.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from beamnet_lava.netx_export.nir_bridge import DT


def _run(module, layer_types, spikes: np.ndarray, step) -> list[np.ndarray]:
    import torch

    records: dict[int, list] = {}
    hooks = []
    mods = [m for m in module.modules() if isinstance(m, layer_types)]
    for k, m in enumerate(mods):
        def hook(_m, _inp, out, k=k):
            z = out[0] if isinstance(out, tuple) else out
            records.setdefault(k, []).append(z.detach().numpy().astype(bool))
        hooks.append(m.register_forward_hook(hook))
    try:
        x = torch.from_numpy(np.asarray(spikes, dtype=np.float32))
        with torch.no_grad():
            step(x)
    finally:
        for h in hooks:
            h.remove()
    return [np.stack(records[k], axis=1) for k in range(len(mods))]


def snntorch_layers(graph, spikes: np.ndarray) -> list[np.ndarray]:
    """snnTorch's ``import_from_nir`` network (dt = 1e-4 hard-coded) stepped over ``spikes``."""
    import snntorch as snn
    from snntorch.import_nir import import_from_nir

    with contextlib.redirect_stdout(io.StringIO()):      # snnTorch prints while importing
        net = import_from_nir(graph)

    def step(x):
        for m in net.modules():
            if isinstance(m, (snn.Synaptic, snn.RSynaptic)):
                m.reset_mem()
        for t in range(x.shape[1]):
            net(x[:, t])
    return _run(net, (snn.Synaptic, snn.RSynaptic), spikes, step)


def norse_layers(graph, spikes: np.ndarray, dt: float = DT) -> list[np.ndarray]:
    """Norse's ``from_nir(graph, dt=dt)`` network (Euler; recurrence via nirtorch's state)."""
    import warnings

    import norse.torch as norse
    from norse.torch.utils.import_nir import CubaLIF

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = norse.from_nir(graph, dt=dt)

    def step(x):
        state = None
        for t in range(x.shape[1]):
            _, state = net(x[:, t], state)
    return _run(net, (CubaLIF,), spikes, step)
