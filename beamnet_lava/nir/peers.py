"""What snnTorch and Norse compute for a NIR graph: each peer's own simulation, per layer.

Used by the tests and ``benchmarks/bench_nir.py`` to hold our Lava runs to the peers
(needs the ``test`` extra: snntorch, norse, nirtorch). Inputs ``(samples, steps, inputs)``
0/1; outputs: one ``(samples, steps, neurons)`` bool array per CubaLIF layer, in graph
order, every sample starting from the peer's zero state.

Neither peer simulates NIR's ``Delay`` node, so :func:`euler_layers` is a plain
float64 forward-Euler reading of the NIR equations (Input, Linear, Affine, Delay,
CubaLIF, Output; a back edge carries the previous step's output), written from the
node definitions in ``nir/ir/*.py``, to check delay branches.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from beamnet_lava.nir.bridge import DT, flatten_graph


def _run(module, layer_types, spikes: np.ndarray, step) -> list[np.ndarray]:
    return _run_modules([m for m in module.modules() if isinstance(m, layer_types)], spikes, step)


def _run_modules(mods, spikes: np.ndarray, step, graded: list[bool] | None = None) -> list[np.ndarray]:
    """Each module's output per step: bool spikes, or float64 values where ``graded``."""
    import torch

    records: dict[int, list] = {}
    hooks = []
    for k, m in enumerate(mods):
        def hook(_m, _inp, out, k=k):
            z = (out[0] if isinstance(out, tuple) else out).detach().numpy()
            records.setdefault(k, []).append(z.astype(np.float64) if graded and graded[k] else z.astype(bool))
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

    kinds = (snn.Synaptic, snn.RSynaptic, snn.Leaky, snn.RLeaky)     # CubaLIF / LIF nodes

    def step(x):
        for m in net.modules():
            if isinstance(m, kinds):
                m.reset_mem()
        for t in range(x.shape[1]):
            net(x[:, t])
    return _run(net, kinds, spikes, step)


def norse_from_nir(graph, dt: float = DT):
    """Norse 1.1's ``from_nir(graph, dt=dt)``, plus the one entry its importer lacks: NIR's ``LI``
    as Norse's own ``LIBoxCell`` (``v += dt / tau (v_leak - v + I)``), the cell Norse's ``to_nir``
    writes as an ``LI`` (Norse 1.1 maps no ``LI`` node and its executor then silently drops it:
    norse/norse pull request 424 adds the import). The same nirtorch executor runs the graph."""
    import warnings
    from functools import partial

    import nir

    with warnings.catch_warnings():      # Norse's import and from_nir warn about torch APIs
        warnings.simplefilter("ignore")
        import nirtorch
        import norse.torch as norse
        from norse.torch.module.leaky_integrator_box import LIBoxCell, LIBoxParameters
        from norse.torch.utils.import_nir import _import_norse_module

    nodes, _ = flatten_graph(graph)
    if not any(isinstance(v, nir.LI) for v in nodes.values()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return norse.from_nir(graph, dt=dt)
    import torch

    def module(node):
        if isinstance(node, nir.LI):
            if not np.allclose(node.r, 1):
                raise ValueError("Norse's LIBoxCell has no r; give the LI r = 1 (Norse's to_nir writes 1)")
            return LIBoxCell(LIBoxParameters(tau_mem_inv=torch.as_tensor(1 / np.asarray(node.tau), dtype=torch.float32),
                                             v_leak=torch.as_tensor(np.asarray(node.v_leak), dtype=torch.float32)), dt=dt)
        return _import_norse_module(node, dt=dt)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nirtorch.load(graph, partial(module))


def snntorch_li_readout(affine, li, spikes: np.ndarray, dt: float = DT) -> np.ndarray:
    """An ``Affine``/``Linear -> LI`` readout as snnTorch users build one, stepped by snnTorch's
    own neuron over presynaptic ``spikes`` ``(n, steps, inputs)``: ``Leaky(beta = 1 - dt/tau,
    reset_mechanism="none")`` (``mem = beta mem + x``) fed ``x = (dt/tau) r (W s + b)``, NIR's
    Euler step. snnTorch 1.0 maps no ``LI`` node either way (its exporter writes every
    ``Leaky`` as ``LIF``), so this is its neuron, wired as the node's equation says. Returns the
    membrane ``(n, steps, neurons)`` float64."""
    import nir
    import snntorch as snn
    import torch

    frac = dt / np.asarray(li.tau, dtype=np.float64)
    if not np.allclose(frac, frac.flat[0]) or np.any(np.asarray(li.v_leak)):
        raise ValueError("snntorch_li_readout takes one tau per layer and v_leak = 0")
    gain = torch.tensor(frac * np.asarray(li.r, dtype=np.float64), dtype=torch.float32)
    w = torch.tensor(np.asarray(affine.weight), dtype=torch.float32)
    b = torch.tensor(np.asarray(affine.bias if isinstance(affine, nir.Affine) else 0.0), dtype=torch.float32)
    cell = snn.Leaky(beta=float(1 - frac.flat[0]), reset_mechanism="none", threshold=1e30)
    x = torch.from_numpy(np.asarray(spikes, dtype=np.float32))
    mem, out = cell.reset_mem(), []
    with torch.no_grad():
        for t in range(x.shape[1]):
            _, mem = cell(gain * (x[:, t] @ w.T + b), mem)
            out.append(mem.numpy().astype(np.float64))
    return np.stack(out, axis=1)


def norse_li_model(n_in: int, n_hidden: int, n_out: int, *, dt: float = 1e-3, on_grid: bool = False,
                   seed: int = 0):
    """A Norse network ending in a leaky integrator, ``Linear -> LIFBoxCell -> Linear(bias) ->
    LIBoxCell`` (decays dt/tau = 1/4 and 1/8 at ``dt``), as a Norse user builds a classifier
    with a membrane readout; ``on_grid`` rounds its weights to multiples of 1/16 and 1/32 (then
    Lava holds them exactly). Write it with ``norse.torch.to_nir(model, torch.zeros(n_in),
    dt=1.0)``: Norse 1.1's exporter writes ``tau = dt / tau_mem_inv`` (norse/norse#411), so
    ``dt = 1`` gives time constants in seconds; import the file with ``--dt`` = ``dt``."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import norse.torch as norse
    torch.manual_seed(seed)
    lin1, lin2 = torch.nn.Linear(n_in, n_hidden, bias=False), torch.nn.Linear(n_hidden, n_out)
    with torch.no_grad():
        lin1.weight.mul_(8.0)
        if on_grid:
            lin1.weight.copy_(torch.round(lin1.weight * 16) / 16)
            lin2.weight.copy_(torch.round(lin2.weight * 32) / 32)
            lin2.bias.copy_(torch.round(lin2.bias * 32) / 32)
    lif = norse.LIFBoxCell(norse.LIFBoxParameters(tau_mem_inv=torch.full((n_hidden,), 0.25 / dt),
                                                  v_th=torch.ones(n_hidden), v_leak=torch.zeros(n_hidden)), dt=dt)
    li = norse.LIBoxCell(norse.LIBoxParameters(tau_mem_inv=torch.full((n_out,), 0.125 / dt),
                                               v_leak=torch.zeros(n_out)), dt=dt)
    return norse.SequentialState(lin1, lif, lin2, li)


def norse_sequential_layers(model, spikes: np.ndarray) -> list[np.ndarray]:
    """Norse's own forward pass of a ``SequentialState`` over ``spikes`` ``(n, steps, inputs)``:
    each cell's output per step (LIFBoxCell: bool spikes; LIBoxCell: float64 membrane)."""
    from norse.torch.module.leaky_integrator_box import LIBoxCell
    from norse.torch.module.lif_box import LIFBoxCell

    cells = [m for m in model if isinstance(m, (LIFBoxCell, LIBoxCell))]

    def step(x):
        state = None
        for t in range(x.shape[1]):
            _, state = model(x[:, t], state)
    return _run_modules(cells, spikes, step, graded=[isinstance(m, LIBoxCell) for m in cells])


def norse_layers(graph, spikes: np.ndarray, dt: float = DT) -> list[np.ndarray]:
    """Norse's ``from_nir(graph, dt=dt)`` network (Euler; recurrence via nirtorch's state;
    ``LI`` as :func:`norse_from_nir` adds it): the spikes of every neuron module (CubaLIF,
    LIF, IF), or an LI's float membrane values, in graph order."""
    import warnings

    with warnings.catch_warnings():      # Norse's import and from_nir warn about torch APIs
        warnings.simplefilter("ignore")
        from norse.torch.module.iaf import IAFCell
        from norse.torch.module.leaky_integrator_box import LIBoxCell
        from norse.torch.module.lif_box import LIFBoxCell
        from norse.torch.utils.import_nir import CubaLIF

        net = norse_from_nir(graph, dt=dt)

    nodes, edges = flatten_graph(graph)
    order = {k: i for i, k in enumerate(_topological(nodes, edges, [k for k, v in nodes.items()
                                                                    if type(v).__name__ == "Input"]))}
    kinds = (CubaLIF, IAFCell, LIFBoxCell, LIBoxCell)
    named = [(name, m) for name, m in net.named_modules() if isinstance(m, kinds)]
    tops = [(name, m) for name, m in named
            if not any(name.startswith(other + ".") for other, _ in named if other != name)]
    tops.sort(key=lambda nm: order.get(nm[0].replace("_", "."), order.get(nm[0], len(order))))

    def step(x):
        state = None
        for t in range(x.shape[1]):
            _, state = net(x[:, t], state)
    return _run_modules([m for _, m in tops], spikes, step,
                        graded=[isinstance(m, LIBoxCell) for _, m in tops])


def _topological(nodes: dict, edges: list, roots: list[str]) -> list[str]:
    """Nodes in dependency order; edges closing a cycle (found depth first) are back edges."""
    succs: dict[str, list[str]] = {k: [] for k in nodes}
    for a, b in edges:
        succs[a].append(b)
    back, on_stack, seen = set(), set(), set()

    def visit(k: str) -> None:
        seen.add(k)
        on_stack.add(k)
        for b in succs[k]:
            if b in on_stack:
                back.add((k, b))
            elif b not in seen:
                visit(b)
        on_stack.discard(k)

    for r in roots:
        visit(r)
    indeg = {k: 0 for k in seen}
    for a, b in edges:
        if (a, b) not in back and a in seen:
            indeg[b] += 1
    order, ready = [], [k for k in roots]
    while ready:
        k = ready.pop(0)
        order.append(k)
        for b in succs[k]:
            if (k, b) not in back:
                indeg[b] -= 1
                if indeg[b] == 0:
                    ready.append(b)
    return order


def euler_layers(graph, spikes: np.ndarray, dt: float = DT) -> list[np.ndarray]:
    """The NIR equations integrated by forward Euler at ``dt`` (float64), per neuron node
    (CubaLIF, LIF, IF: bool spikes; LI, CubaLI: float64 membrane values)."""
    import nir

    nodes, edges = flatten_graph(graph)
    preds: dict[str, list[str]] = {k: [] for k in nodes}
    for a, b in edges:
        preds[b].append(a)
    order = _topological(nodes, edges, [k for k, v in nodes.items() if isinstance(v, nir.Input)])
    rank = {k: i for i, k in enumerate(order)}      # a pred ranked later is a back edge
    lifs = [k for k in order if isinstance(nodes[k], (nir.CubaLIF, nir.LIF, nir.IF, nir.LI, nir.CubaLI))]
    x = np.asarray(spikes, dtype=np.float64)
    n, steps = x.shape[:2]
    # a back edge carries the previous step's output; before the first step a back-edge
    # Affine outputs its bias (zero spikes in: snnTorch's RSynaptic; nirtorch starts it at 0)
    prev: dict[str, np.ndarray] = {p: np.broadcast_to(np.asarray(nodes[p].bias, dtype=np.float64),
                                                      (n, np.asarray(nodes[p].weight).shape[0]))
                                   for p in nodes if isinstance(nodes[p], nir.Affine)
                                   and any(rank.get(b, -1) <= rank.get(p, -1) for a, b in edges if a == p)}
    state: dict[str, list] = {}
    history: dict[str, list] = {}
    out = {k: np.zeros((n, steps, int(np.prod(list(nodes[k].output_type.values())[0]))),
                       float if isinstance(nodes[k], (nir.LI, nir.CubaLI)) else bool) for k in lifs}
    for t in range(steps):
        cur: dict[str, np.ndarray] = {}
        for k in order:
            node = nodes[k]
            if isinstance(node, nir.Input):
                cur[k] = x[:, t]
                continue
            ins = [cur[p] if rank[p] < rank[k] else prev.get(p) for p in preds[k]]
            ins = [i for i in ins if i is not None]
            h = np.sum(ins, axis=0) if ins else 0.0
            if isinstance(node, (nir.Linear, nir.Affine)):
                cur[k] = np.atleast_2d(h) @ np.asarray(node.weight, dtype=np.float64).T
                if isinstance(node, nir.Affine):
                    cur[k] = cur[k] + node.bias
            elif isinstance(node, nir.Delay):
                d = np.rint(np.asarray(node.delay, dtype=np.float64) / dt).astype(int)
                history.setdefault(k, []).append(np.broadcast_to(h, (n, d.size)))
                past = history[k]
                cur[k] = np.stack([past[-1 - di][:, j] if len(past) > di else np.zeros(n)
                                   for j, di in enumerate(d)], axis=1)
            elif isinstance(node, (nir.LI, nir.CubaLI)):       # no threshold: the membrane is the output
                i_syn, v = state.get(k, (0.0, 0.0))
                if isinstance(node, nir.CubaLI):
                    i_syn = i_syn + dt / node.tau_syn * (-i_syn + node.w_in * h)
                    v = v + dt / node.tau_mem * (node.v_leak - v + node.r * i_syn)
                else:
                    v = v + dt / node.tau * (node.v_leak - v + node.r * h)
                state[k] = (i_syn, v)
                cur[k] = v
                out[k][:, t] = v
            elif isinstance(node, (nir.CubaLIF, nir.LIF, nir.IF)):
                i_syn, v = state.get(k, (0.0, 0.0))
                if isinstance(node, nir.CubaLIF):
                    i_syn = i_syn + dt / node.tau_syn * (-i_syn + node.w_in * h)
                    v = v + dt / node.tau_mem * (node.v_leak - v + node.r * i_syn)
                elif isinstance(node, nir.LIF):
                    v = v + dt / node.tau * (node.v_leak - v + node.r * h)
                else:                        # IF: v += r I per step (Norse's IAFCell, Sinabs)
                    v = v + node.r * h
                z = v > node.v_threshold
                v = np.where(z, node.v_reset, v)
                state[k] = (i_syn, v)
                cur[k] = z.astype(np.float64)
                out[k][:, t] = z
            elif isinstance(node, nir.Output):
                cur[k] = h
        prev = cur
    return [out[k] for k in lifs]


def snntorch_sequential_spikes(net, neurons, spikes: np.ndarray) -> list[np.ndarray]:
    """snnTorch's own simulation of ``net`` (a ``Sequential`` alternating Linear and spiking
    layers ``neurons``, ``init_hidden=True``) on ``spikes`` ``(n, steps, inputs)``: every spiking
    layer's output as a bool ``(n, steps, neurons)`` array."""
    import torch

    own: list[list[np.ndarray]] = [[] for _ in neurons]
    for m in neurons:
        m.reset_mem()
    with torch.no_grad():
        for t in range(spikes.shape[1]):
            h = torch.from_numpy(spikes[:, t].astype(np.float32))
            for k, module in enumerate(net):
                h = module(h)
                if k % 2:
                    own[k // 2].append(h.numpy().astype(bool))
    return [np.stack(o, axis=1) for o in own]


def snntorch_chain(graph, spikes: np.ndarray, dt: float = DT) -> list[np.ndarray]:
    """snnTorch's own neurons stepping a chain graph whose importer fails on it.

    snnTorch 1.0's ``import_from_nir`` cannot build the NIR paper's Braille graphs (nirtorch
    2.6: ``'GraphModule' object has no attribute 'items'`` on the recurrent subgraph) and its
    ``RSynaptic(reset_delay=False)`` raises in its own forward (``rsynaptic.py``: an undefined
    ``spk``). So each CubaLIF node becomes what snnTorch's importer maps it to,
    ``Synaptic(alpha, beta, threshold / w_scale, reset_mechanism="zero", reset_delay=False)``
    (``import_nir.py``), fed ``Linear(x[t]) + Linear_rec(spikes[t - 1])`` with torch's own
    Linear layers, which is ``RSynaptic``'s recurrence (its ``recurrent(self.spk)``, zero spikes
    before the first step: a recurrent Affine's bias counts from step 0)."""
    import nir
    import snntorch as snn
    import torch

    nodes, edges = flatten_graph(graph)
    lifs = [k for k in _topological(nodes, edges, [k for k, v in nodes.items() if isinstance(v, nir.Input)])
            if isinstance(nodes[k], nir.CubaLIF)]

    def linear(node):
        m = torch.nn.Linear(node.weight.shape[1], node.weight.shape[0], bias=isinstance(node, nir.Affine))
        m.weight.data = torch.tensor(np.asarray(node.weight), dtype=torch.float32)
        if isinstance(node, nir.Affine):
            m.bias.data = torch.tensor(np.asarray(node.bias), dtype=torch.float32)
        return m

    layers = []
    for k in lifs:
        node = nodes[k]
        ins = [a for a, b in edges if b == k]
        rec = [a for a in ins if (k, a) in edges]
        ff = [a for a in ins if a not in rec]
        if len(ff) != 1 or len(rec) > 1:
            raise ValueError(f"{k}: snntorch_chain takes one Linear in and at most one back edge")
        w_scale = float(np.ravel(node.w_in * dt / node.tau_syn)[0])
        cell = snn.Synaptic(alpha=float(1 - dt / np.ravel(node.tau_syn)[0]),
                            beta=float(1 - dt / np.ravel(node.tau_mem)[0]),
                            threshold=float(np.ravel(node.v_threshold)[0] / w_scale),
                            reset_mechanism="zero", reset_delay=False)
        layers.append((linear(nodes[ff[0]]), linear(nodes[rec[0]]) if rec else None, cell))
    x = torch.from_numpy(np.asarray(spikes, dtype=np.float32))
    out: list[list[np.ndarray]] = [[] for _ in layers]
    state = [None] * len(layers)
    with torch.no_grad():
        for t in range(x.shape[1]):
            h = x[:, t]
            for i, (ff, rc, cell) in enumerate(layers):
                if state[i] is None:
                    syn, mem = cell.init_synaptic()
                    spk = torch.zeros(x.shape[0], ff.out_features)
                else:
                    syn, mem, spk = state[i]
                cur = ff(h) + (rc(spk) if rc is not None else 0)
                spk, syn, mem = cell(cur, syn, mem)
                state[i] = (syn, mem, spk)
                out[i].append(spk.numpy().astype(bool))
                h = spk
    return [np.stack(o, axis=1) for o in out]


def norse_unbatched_layers(graph, spikes: np.ndarray, dt: float = DT) -> list[np.ndarray]:
    """Norse's ``from_nir`` network stepped one sample at a time (``spikes`` ``(samples, steps,
    *input_shape)``): graphs exported unbatched, such as Sinabs's N-MNIST CNN whose ``Flatten``
    has ``start_dim = 0``, only run that way. Returns per neuron module ``(samples, steps,
    neurons)`` bool arrays, neurons in C-order of the module's (C, H, W) output."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import norse.torch as norse
        from norse.torch.module.iaf import IAFCell
        from norse.torch.module.lif_box import LIFBoxCell
        from norse.torch.utils.import_nir import CubaLIF

        net = norse.from_nir(graph, dt=dt)
    nodes, edges = flatten_graph(graph)
    order = {k: i for i, k in enumerate(_topological(nodes, edges, [k for k, v in nodes.items()
                                                                    if type(v).__name__ == "Input"]))}
    kinds = (CubaLIF, IAFCell, LIFBoxCell)
    named = [(name, m) for name, m in net.named_modules() if isinstance(m, kinds)]
    mods = [m for name, m in sorted(named, key=lambda nm: order.get(nm[0], len(order)))
            if not any(name.startswith(o + ".") for o, _ in named if o != name)]
    current: list = []
    hooks = [m.register_forward_hook(lambda _m, _i, out, k=k: current.__setitem__(
        k, (out[0] if isinstance(out, tuple) else out).detach().numpy().reshape(-1).astype(bool)))
        for k, m in enumerate(mods)]
    out: list[list] = [[] for _ in mods]
    try:
        with torch.no_grad():
            for sample in np.asarray(spikes, dtype=np.float32):
                state, steps = None, [[] for _ in mods]
                for t in range(sample.shape[0]):
                    current[:] = [None] * len(mods)
                    _, state = net(torch.from_numpy(sample[t]), state)
                    for k in range(len(mods)):
                        steps[k].append(current[k])
                for k in range(len(mods)):
                    out[k].append(np.stack(steps[k]))
    finally:
        for h in hooks:
            h.remove()
    return [np.stack(o) for o in out]


def saccade_frames(n: int, steps: int = 300, seed: int = 0, source: str = "mnist",
                   data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """N-MNIST-format inputs, binned at 1 ms as the NIR paper feeds its CNN (tonic's ``ToFrame``,
    ``time_window=1e3``: channel = polarity) and clipped to 0/1. ``source="mnist"``: the first
    ``n`` MNIST test digits (IDX files in ``data_dir``), 28 x 28 on a 34 x 34 sensor as N-MNIST
    records them, through the simulated saccades of :mod:`beamnet_lava.data.saccade` with
    ``beamnet-lava data saccade --source mnist``'s defaults; ``source="digits"``: ``n``
    scikit-learn digits (drawn with ``seed``, upscaled 3x to 24 x 24, amplitude 10 px). Returns
    ``(frames (n, steps, 2, 34, 34) bool, labels)``."""
    from beamnet_lava.data.saccade import DEFAULTS, SaccadeParams, images_to_events

    if source == "mnist":
        from beamnet_lava.data.images import mnist_parts

        parts = dict((name, (x, y)) for name, x, y in mnist_parts(data_dir))
        if "t10k" not in parts:
            raise ValueError(f"{data_dir}: no MNIST test set (t10k-*) found")
        x, y = parts["t10k"]
        if n > len(x):
            raise ValueError(f"{n} samples asked, the MNIST test set has {len(x)}")
        images, labels, params = x[:n].reshape(n, 28, 28), y[:n], DEFAULTS["mnist"]
    else:
        from beamnet_lava.data.images import load_digits

        x, y, _ = load_digits()
        pick = np.random.default_rng(seed).choice(len(x), n, replace=False)
        images, labels, params = x[pick].reshape(n, 8, 8), y[pick], SaccadeParams(scale=3, amplitude=10.0)
    frames = np.zeros((n, steps, 2, 34, 34), bool)
    for k, ev in enumerate(images_to_events(images, params)):
        t = ev["t"] // 1000
        keep = t < steps
        frames[k, t[keep], ev["p"][keep], ev["y"][keep], ev["x"][keep]] = True
    return frames, labels
