"""Agreement of our Lava runs (fixed_pt; floating_pt on float imports) with snnTorch and Norse through NIR (docs/nir.md).

Measured side by side in one run, on the same input spikes:

1. the default digits SNN (64-128-10, trained here unless --run-dir) exported with
   ``export --format nir``: Lava vs snnTorch (``import_from_nir``) vs Norse
   (``from_nir(dt=1e-4)``) on real digit test images rate coded over --steps steps
   (>= 200), and on random spikes (p = 0.2): fraction of identical spike entries per
   layer, first step at which any train differs, spike counts;
2. the same network with its decays set to 2048 / 1024 (on-grid: Lava's rounding is
   exact for the first 6 steps): identical trains over those steps;
3. a graph built and exported by snnTorch itself (Linear -> Synaptic -> Linear ->
   Synaptic, reset to zero, reset_delay=False), imported and run on Lava vs snnTorch's
   own forward pass over --steps steps;
4. a recurrent NIR graph: Lava vs Norse (nirtorch's interpreter carries the back edge).

With ``--paper`` instead: the networks of the NIR paper (Pedersen et al., Nat. Commun.
15:8122, 2024) from the shared reference folder (``../shared/data/reference``):

5. the LIF neuron ``01_lif/lif_norse.nir`` on the paper's own input, imported with and
   without ``--round``: its spike steps against the exact simulation's;
6. the Braille graphs (``03_rnn/braille_noDelay_{bias_zero,noBias_subtract}.nir``, Norse's
   ``braille.nir``) on random 12-channel spikes (p = 0.1) and on Braille-shaped inputs (bursts
   of taxel events, see ``braille_shaped``) over --steps (256) steps: Lava vs snnTorch's own
   neurons (``peers.snntorch_chain``: its importer cannot build these graphs) and vs Norse's
   ``from_nir``: identical spike entries per layer, and the class (argmax of output spike
   counts) agreement;
7. the N-MNIST CNN ``02_cnn/cnn_sinabs.nir`` (Sinabs: Conv2d, IF, SumPool2d, Flatten, Affine)
   imported to lava-dl conv/flatten/dense layers and run through the lava-dl conv path, on
   N-MNIST-format inputs (the first --cnn-samples MNIST test digits, 28 x 28 on a 34 x 34 sensor
   as N-MNIST, through the simulated saccades of ``data saccade --source mnist``, 1 ms bins as
   the paper; ``--cnn-input digits``: scikit-learn digits upscaled 3x instead): per-layer
   identical spike entries against Norse's ``from_nir`` stepped one sample at a time, class
   agreement and each simulation's accuracy (300 steps). ``--only lif|braille|cnn`` runs parts;
   ``--precision float`` (repeatable with ``fixed``) runs 5-7 on ``import --precision float``
   files with Lava's floating-point models (the LIF also against the paper's own
   ``lif_lava_cpu_float.csv``).

With ``--li``: leaky-integrator readouts (NIR ``LI``), on graphs Norse writes itself:

8. ``Linear -> LIFBoxCell -> Linear -> LIBoxCell`` (``peers.norse_li_model``; 12 -> 32 -> 10,
   dt = 1 ms, decays 1/4 and 1/8) written with Norse's ``to_nir``, imported and run on Lava,
   against Norse's own forward pass of the model, with weights on Loihi's grid and with
   Norse's float weights, on random spikes (p = 0.2): hidden spike entries identical, the
   readout's largest membrane difference in LSB of Lava's state (``1 / (64 s)``) and in % of
   the membrane's range, the same for the readout alone (Norse's Linear + LIBoxCell driven by
   Lava's hidden spikes: the readout's own rounding, without the hidden layer's; also against
   snnTorch's ``Leaky`` without reset, ``peers.snntorch_li_readout``), and the class (argmax of
   the last step's membrane) agreement.

    python benchmarks/bench_nir.py [--run-dir DIR] [--samples 20] [--steps 200] [--json OUT]
    python benchmarks/bench_nir.py --paper [--samples 32] [--steps 256] [--cnn-samples 100]
                                   [--cnn-input mnist|digits] [--only lif|braille|cnn]
                                   [--precision fixed|float ...] [--json OUT]
With ``--split``: what exact weights beyond Loihi's 8-bit mantissa would buy on the Braille
graphs (docs/nir.md, "Splitting weights over stock Dense connections"):

9. a numpy emulation of Lava's integer CUBA step (lava-nc's LIF arithmetic: truncation toward
   zero, 24-bit current wrap, voltage clip) on ``braille_noDelay_bias_zero.nir`` with every
   weight an exact integer at threshold mantissas ``m`` = 18 (today's import), 64 ... 4096;
   such weights are a coarse stock ``Dense`` (8-bit mantissa, weight exponent 7) plus a
   residual ``Dense`` (exponent 0) from the same spikes into the same neurons (a Lava InPort
   sums its connections), and more coarse ones when a weight exceeds 254 << 7. Reported: spike
   entries identical to snnTorch's neurons and to Norse, the Dense connections each matrix
   needs, the largest per-step synaptic input (lava-nc's bit-accurate LIF declares ``a_in``
   16-bit) and 24-bit current wraps.

With ``--bias-exact``: whether the bias grid alone causes the biased Braille graph's output miss
(docs/nir.md, "Exact biases with 8-bit weights"):

10. the same integer emulation (``lava_integer_step``, checked equal to our Lava run of today's
    import) on ``braille_noDelay_bias_zero.nir`` with today's integers scaled by ``2^k``
    (k = 2, 4, 6, 8: the input and recurrent weights keep today's 8-bit rounding, the state's
    truncation becomes finer), the bias column (the always-on unit's weights: a stock ``Dense``
    of its own, which could take a finer weight exponent) kept on today's grid or exact at the
    finer one; spike entries identical to snnTorch's neurons and to Norse.

    python benchmarks/bench_nir.py --li [--samples 32] [--steps 256] [--json OUT]
    python benchmarks/bench_nir.py --split [--samples 32] [--steps 256] [--json OUT]
    python benchmarks/bench_nir.py --bias-exact [--samples 32] [--steps 256] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import h5py
import nir
import numpy as np
import torch

import beamnet_lava  # noqa: F401  (lava shim)
from beamnet_lava.config import SNNConfig
from beamnet_lava.data import load_split, rate_encode
from beamnet_lava.netx_export import export_run, read_netx
from beamnet_lava.nir.bridge import export_nir, import_nir, read_nir
from beamnet_lava.nir.peers import (norse_layers, norse_li_model, norse_sequential_layers, norse_unbatched_layers,
                                    saccade_frames, snntorch_chain, snntorch_layers, snntorch_li_readout,
                                    snntorch_sequential_spikes)
from beamnet_lava.sim_cpu.spike_inputs import run_inputs
from _common import run_or_train


def lava_layers(path: Path, x: np.ndarray, work: Path, precision: str = "fixed") -> list[np.ndarray]:
    np.save(work / "x.npy", x)
    run_inputs(path, work / "x.npy", record=work / "rec.npz", force=True, progress=False, precision=precision)
    rec = np.load(work / "rec.npz")
    return [rec[k] for k in sorted(rec.files, key=lambda k: int(k[len("layer"):]))]   # lava-dl files: NetX indices


def agreement(ours: list[np.ndarray], peer: list[np.ndarray]) -> dict:
    rows = {}
    for i, (a, b) in enumerate(zip(ours, peer)):
        differs = np.flatnonzero((a != b).any(axis=(0, 2)))
        rows[f"layer{i}"] = {"entries_identical": float((a == b).mean()),
                             "samples_identical": float((a == b).all(axis=(1, 2)).mean()),
                             "first_differing_step": int(differs[0]) if differs.size else None,
                             "spikes_lava": int(a.sum()), "spikes_peer": int(b.sum())}
    return rows


def snntorch_made(work: Path, x: np.ndarray) -> dict:
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(0)
    l1, l2 = torch.nn.Linear(16, 12, bias=False), torch.nn.Linear(12, 4, bias=False)
    with torch.no_grad():                       # on the 1/64 grid, as NetX integers need
        for lin in (l1, l2):
            lin.weight.copy_(torch.round(lin.weight * 2 * 64) / 64)
    s1 = snn.Synaptic(alpha=torch.full((12,), 0.75), beta=torch.full((12,), 0.875),
                      threshold=torch.full((12,), 0.5), reset_mechanism="zero",
                      reset_delay=False, init_hidden=True)
    s2 = snn.Synaptic(alpha=torch.full((4,), 0.5), beta=torch.full((4,), 0.75),
                      threshold=torch.full((4,), 0.25), reset_mechanism="zero",
                      reset_delay=False, init_hidden=True)
    net = torch.nn.Sequential(l1, s1, l2, s2)
    nir.write(work / "snntorch.nir", export_to_nir(net, torch.zeros(1, 16), ignore_dims=[0]))
    import_nir(work / "snntorch.nir", work / "snntorch.net", force=True)
    own = snntorch_sequential_spikes(net, (s1, s2), x)
    return agreement(lava_layers(work / "snntorch.net", x, work), own)


def recurrent(work: Path, x: np.ndarray) -> dict:
    rng = np.random.default_rng(0)
    n_in, n = x.shape[2], 8
    w = np.round(rng.normal(0, 0.5, (n, n_in)) * 64) / 64
    w_rec = np.round(rng.normal(0, 0.5, (n, n)) * 64) / 64
    lif = nir.CubaLIF(tau_syn=np.full(n, 4 * 1e-4), tau_mem=np.full(n, 8 * 1e-4), r=np.full(n, 8.0),
                      v_leak=np.zeros(n), v_threshold=np.full(n, 1.0), w_in=np.full(n, 4.0))
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([n_in])}),
                            "w": nir.Linear(weight=w), "lif": lif, "rec": nir.Linear(weight=w_rec),
                            "output": nir.Output(output_type={"output": np.array([n])})},
                     edges=[("input", "w"), ("w", "lif"), ("lif", "rec"), ("rec", "lif"),
                            ("lif", "output")])
    nir.write(work / "rec.nir", g)
    import_nir(work / "rec.nir", work / "rec.net", force=True)
    return agreement(lava_layers(work / "rec.net", x, work), norse_layers(read_nir(work / "rec.nir"), x))


def li_readout(work: Path, samples: int, steps: int) -> dict:
    """Item 8 of the module doc."""
    import norse.torch as norse

    from beamnet_lava.nir import readout

    dt, n_in = 1e-3, 12
    x = np.random.default_rng(4).random((samples, steps, n_in)) < 0.2
    report = {}
    for name, on_grid in (("weights on the grid", True), ("Norse's float weights", False)):
        model = norse_li_model(n_in, 32, 10, dt=dt, on_grid=on_grid)
        nir.write(work / "li.nir", norse.to_nir(model, torch.zeros(n_in), dt=1.0))
        imported = import_nir(work / "li.nir", work / "li.net", force=True, dt=dt)
        hidden, mem = lava_layers(work / "li.net", x, work)
        own_hidden, own_mem = norse_sequential_layers(model, x)
        lsb = 1.0 / (64 * readout.of(read_netx(work / "li.net")))
        err = np.abs(mem - own_mem)
        same = (hidden == own_hidden).all(axis=(1, 2))
        # the readout alone: Norse's own Linear + LIBoxCell driven by Lava's hidden spikes
        alone, state = [], None
        with torch.no_grad():
            for t in range(steps):
                v, state = model[3](model[2](torch.from_numpy(hidden[:, t].astype(np.float32))), state)
                alone.append(v.numpy().astype(np.float64))
        err_alone = np.abs(mem - np.stack(alone, axis=1))
        g = read_nir(work / "li.nir")          # and snnTorch's Leaky (no reset) as that readout
        li_name = next(k for k, v in g.nodes.items() if isinstance(v, nir.LI))
        affine = g.nodes[next(a for a, b in g.edges if b == li_name)]
        err_snn = np.abs(mem - snntorch_li_readout(affine, g.nodes[li_name], hidden, dt=dt))
        report[name] = {
            "weight_rounding_of_largest_weight": imported.max_rounding_error,
            "readout_alone_max_error_lsb": float(err_alone.max() / lsb),
            "readout_alone_max_error_percent_of_range": float(100 * err_alone.max() / np.abs(own_mem).max()),
            "readout_alone_vs_snntorch_leaky_max_error_lsb": float(err_snn.max() / lsb),
            "mean_error_percent_of_range": float(100 * err.mean() / np.abs(own_mem).max()),
            "hidden_entries_identical": float((hidden == own_hidden).mean()),
            "hidden_spikes_lava_norse": [int(hidden.sum()), int(own_hidden.sum())],
            "samples_hidden_identical": int(same.sum()),
            "membrane_lsb": lsb, "membrane_range": float(np.abs(own_mem).max()),
            "max_error_lsb": float(err.max() / lsb),
            "max_error_lsb_where_hidden_identical": float(err[same].max() / lsb) if same.any() else None,
            "bound_lsb_truncation": 4096 / read_netx(work / "li.net").layers[-1].v_decay,
            "max_error_percent_of_range": float(100 * err.max() / np.abs(own_mem).max()),
            "classes_agree_last_step": float((mem[:, -1].argmax(1) == own_mem[:, -1].argmax(1)).mean()),
        }
    return report


def split_weights(samples: int, steps: int) -> dict:
    """Item 9 of the module doc."""
    from beamnet_lava.nir.importer import layer_plans
    from beamnet_lava.nir import scale

    path = reference_dir() / "nir-paper/03_rnn/braille_noDelay_bias_zero.nir"
    graph = read_nir(path)
    plans = layer_plans(graph, path)
    coarse = 254 << 7                        # one Dense: even 8-bit mantissa, weight exponent 7

    def connections(w: np.ndarray) -> int:
        top = int(np.abs(w).max(initial=0))
        return 1 if top <= 127 else 1 + -(-(top - 127) // coarse)

    def emulate(x: np.ndarray, m: int):
        n = len(x)
        pre = np.concatenate([x, np.ones((n, steps, 1), bool)], axis=2).astype(np.int64)   # + always-on
        layers, stats = [], []
        for p in plans:
            s_ = m / p.neuron.threshold
            gain = p.neuron.gain[:, None]
            bias = np.zeros(len(gain)) if p.bias is None else p.bias * gain[:, 0]
            w = np.round(np.concatenate([p.weight * gain, bias[:, None]], axis=1) * s_).astype(np.int64)
            r = None if p.weight_rec is None else np.round(p.weight_rec * gain * s_).astype(np.int64)
            i_d, v_d = scale.decay(p.neuron.a, "").value, scale.decay(p.neuron.b, "").value
            u = np.zeros((n, len(gain)), np.int64)
            v, z = u.copy(), u.copy()
            out = np.zeros((n, steps, len(gain)), bool)
            a_max = wraps = 0
            for t in range(steps):
                a = pre[:, t] @ w.T + (0 if r is None else z @ r.T)
                a_max = max(a_max, int(np.abs(a).max()))
                du = u * (4096 - i_d)
                u = np.sign(du) * (np.abs(du) >> 12) + (a << 6)
                wraps += int((np.abs(u) >= 1 << 23).sum())
                u = (u + (1 << 23)) % (1 << 24) - (1 << 23)
                dv = v * (4096 - v_d)
                v = np.clip(np.sign(dv) * (np.abs(dv) >> 12) + u, -(1 << 23) + 1, (1 << 23) - 1)
                z = (v > (m << 6)).astype(np.int64)
                v[z == 1] = 0
                out[:, t] = z == 1
            layers.append(out)
            stats.append({"max_weight": int(max(np.abs(w).max(), 0 if r is None else np.abs(r).max())),
                          "dense_per_matrix": max(connections(w), 0 if r is None else connections(r)),
                          "max_synaptic_input_per_step": a_max, "current_wraps": wraps})
            pre = np.concatenate([out, np.ones((n, steps, 1), bool)], axis=2).astype(np.int64)
        return layers, stats

    report: dict = {}
    inputs = {"random p=0.1": np.random.default_rng(0).random((samples, steps, 12)) < 0.1,
              "Braille-shaped": braille_shaped(samples, steps, 1)}
    for name, x in inputs.items():
        sn, no = snntorch_chain(graph, x), norse_layers(graph, x)
        report[name] = {}
        for m in (18, 64, 256, 1024, 2048, 4096):
            ours, stats = emulate(x, m)
            report[name][m] = {"vs_snntorch": [float((a == b).mean()) for a, b in zip(ours, sn)],
                               "vs_norse": [float((a == b).mean()) for a, b in zip(ours, no)],
                               "layers": stats}
    return report


def lava_integer_step(layers, x: np.ndarray, steps: int, on_input: int) -> tuple[list[np.ndarray], list[int]]:
    """A numpy emulation of Lava's integer CUBA step (lava-nc's ``AbstractPyLifModelFixed``:
    decays truncated toward zero, synaptic input << 6, neuron bias << 6, 24-bit current wrap,
    voltage clip, strict threshold ``vth << 6``, reset to 0) on NetX-style integer layers
    ``(weight, weight_rec, bias, vth, iDecay, vDecay)`` in the input's time base. Returns every
    layer's spikes (always-on neurons included) and each layer's largest per-step synaptic input."""
    n = len(x)
    pre = x.astype(np.int64)
    if on_input:
        pre = np.concatenate([pre, np.ones((n, steps, 1), np.int64)], axis=2)
    out_layers, a_max = [], []
    for w, r, bias, vth, i_d, v_d in layers:
        size = w.shape[0]
        u = np.zeros((n, size), np.int64)
        v, z = u.copy(), u.copy()
        b = np.zeros(size, np.int64) if bias is None else bias.astype(np.int64) << 6
        out = np.zeros((n, steps, size), bool)
        top = 0
        for t in range(steps):
            a = pre[:, t] @ w.T + (0 if r is None else z @ r.T)
            top = max(top, int(np.abs(a).max()))
            du = u * (4096 - i_d)
            u = np.sign(du) * (np.abs(du) >> 12) + (a << 6)
            u = (u + (1 << 23)) % (1 << 24) - (1 << 23)
            dv = v * (4096 - v_d)
            v = np.clip(np.sign(dv) * (np.abs(dv) >> 12) + u + b, -(1 << 23) + 1, (1 << 23) - 1)
            z = (v > (vth << 6)).astype(np.int64)
            v[z == 1] = 0
            out[:, t] = z == 1
        out_layers.append(out)
        a_max.append(top)
        pre = out.astype(np.int64)
    return out_layers, a_max


def bias_exact(work: Path, samples: int, steps: int) -> dict:
    """Item 10 of the module doc."""
    from beamnet_lava.nir import channels
    from beamnet_lava.nir.importer import layer_plans

    path = reference_dir() / "nir-paper/03_rnn/braille_noDelay_bias_zero.nir"
    graph = read_nir(path)
    import_nir(path, work / "fixed.net", force=True)
    net = read_netx(work / "fixed.net")
    on = channels.of(net)
    plans = layer_plans(graph, path)
    today = [(l.weight.astype(np.int64), None if l.weight_rec is None else l.weight_rec.astype(np.int64),
              l.bias, int(l.v_th_mant), int(l.i_decay), int(l.v_decay)) for l in net.layers]
    # each layer's bias weights: the last column of its input weights (the always-on unit below)
    exact_bias = []
    for p, l in zip(plans, net.layers):
        s = l.v_th_mant / p.neuron.threshold
        col = np.zeros(l.size)
        if p.bias is not None:
            col[:p.neuron.size] = p.bias * p.neuron.gain * s
        exact_bias.append(col)
    inputs = {"random p=0.1": np.random.default_rng(3).random((samples, steps, 12)) < 0.1,
              "Braille-shaped": braille_shaped(samples, steps, 4)}
    report: dict = {"vThMant_today": [l[3] for l in today], "always_on": on}
    for name, x in inputs.items():
        sn, no = snntorch_chain(graph, x), norse_layers(graph, x)
        strip = lambda layers: channels.strip(net, layers, axis=2)   # noqa: E731
        lava = lava_layers(work / "fixed.net", x, work)
        emu, _ = lava_integer_step(today, x, steps, on[0])
        rows = {"emulation_equals_lava_run": all(np.array_equal(a, b) for a, b in zip(strip(emu), lava)),
                "today (Lava run)": {"vs_snntorch": [float((a == b).mean()) for a, b in zip(lava, sn)],
                                     "vs_norse": [float((a == b).mean()) for a, b in zip(lava, no)]}}
        for k in (2, 4, 6, 8):
            for variant in ("bias on today's grid", "bias exact"):
                layers = []
                for (w, r, b, vth, i_d, v_d), col in zip(today, exact_bias):
                    w = w << k
                    if variant == "bias exact" and np.any(col):
                        w = w.copy()
                        w[:, -1] = np.round(col * (1 << k)).astype(np.int64)
                    layers.append((w, None if r is None else r << k, None if b is None else b << k,
                                   vth << k, i_d, v_d))
                ours, a_max = lava_integer_step(layers, x, steps, on[0])
                ours = strip(ours)
                rows[f"x{1 << k} {variant}"] = {
                    "vs_snntorch": [float((a == b).mean()) for a, b in zip(ours, sn)],
                    "vs_norse": [float((a == b).mean()) for a, b in zip(ours, no)],
                    "bias_step_of_threshold": [1 / vth if variant != "bias exact" else 1 / (vth << k)
                                               for (_, _, _, vth, _, _) in today],
                    "max_synaptic_input_per_step": a_max}
        report[name] = rows
    return report


def reference_dir() -> Path:
    here = Path(__file__).resolve().parents[1]
    for p in (os.environ.get("BEAMNET_REFERENCE"), here.parent / "shared/data/reference",
              Path("/work/shared/data/reference")):
        if p and Path(p).is_dir():
            return Path(p)
    raise SystemExit("the shared reference folder (../shared/data/reference) is missing; set BEAMNET_REFERENCE")


def braille_shaped(samples: int, steps: int, seed: int) -> np.ndarray:
    """Spike trains shaped like the paper's Braille recordings (12 taxels, 5 ms bins, events
    only while a dot passes a taxel): per taxel a few bursts of 3-12 steps at random onsets,
    spiking with p = 0.6 inside a burst, silent elsewhere."""
    rng = np.random.default_rng(seed)
    x = np.zeros((samples, steps, 12), bool)
    for k in range(samples):
        for taxel in range(12):
            for _ in range(rng.integers(0, 4)):
                start, length = rng.integers(0, steps), rng.integers(3, 13)
                x[k, start:start + length, taxel] = rng.random(min(length, steps - start)) < 0.6
    return x


def classes_agree(a: np.ndarray, b: np.ndarray) -> float:
    return float((a.sum(axis=1).argmax(axis=1) == b.sum(axis=1).argmax(axis=1)).mean())


PARTS = ("lif", "braille", "cnn")


def paper(work: Path, samples: int, steps: int, cnn_samples: int = 20, parts: tuple[str, ...] = PARTS,
          cnn_input: str = "mnist", precisions: tuple[str, ...] = ("fixed",)) -> dict:
    """Fixed-point results at the top level, a float import's (``import --precision float`` run
    with ``--precision float``) under ``"float"``."""
    ref = reference_dir()
    report: dict = {"reference": str(ref)}
    for precision in precisions:
        sub: dict = {}
        if "lif" in parts:
            sub["lif"] = paper_lif(work, ref, precision)
        if "braille" in parts:
            sub["braille"] = paper_braille(work, ref, samples, steps, precision)
        if "cnn" in parts:
            sub["cnn"] = cnn(work, ref, cnn_samples, 300, cnn_input, precision)
        if precision == "fixed":
            report.update(sub)
        else:
            report[precision] = sub
    return report


def paper_lif(work: Path, ref: Path, precision: str = "fixed") -> dict:
    lif_dir = ref / "nir-paper/01_lif"
    exact = np.loadtxt(lif_dir / "lif_exact.csv", delimiter=",")
    report: dict = {}
    for rounded in ((False, True) if precision == "fixed" else (False,)):
        imported = import_nir(lif_dir / "lif_norse.nir", work / "lif.net", force=True, round_off_grid=rounded,
                              precision=precision)
        ours = lava_layers(work / "lif.net", exact[:, 0].reshape(1, -1, 1).astype(bool), work,
                           precision)[0][0, :, 0]
        report["--round" if rounded else "plain"] = {
            "lava_spike_steps": np.flatnonzero(ours).tolist(),
            "exact_spike_steps": np.flatnonzero(exact[:, 2]).tolist(),
            **{f"paper_lava_cpu_{p}_steps": np.flatnonzero(np.loadtxt(lif_dir / f"lif_lava_cpu_{p}.csv",
                                                                      delimiter=",")[:, 2]).tolist()
               for p in ("fixed", "float")},
            "import": imported.describe()}
    return report


def paper_braille(work: Path, ref: Path, samples: int, steps: int, precision: str = "fixed") -> dict:
    report: dict = {}
    inputs = {"random p=0.1": np.random.default_rng(3).random((samples, steps, 12)) < 0.1,
              "braille-shaped": braille_shaped(samples, steps, 4)}
    for path in (ref / "nir-paper/03_rnn/braille_noDelay_bias_zero.nir",
                 ref / "nir-paper/03_rnn/braille_noDelay_noBias_subtract.nir", ref / "norse/braille.nir"):
        name = f"{path.parent.name}/{path.name}"
        imported = import_nir(path, work / "braille.net", force=True, precision=precision)
        rows: dict = {"import": imported.describe()}
        for kind, x in inputs.items():
            t0 = time.perf_counter()
            ours = lava_layers(work / "braille.net", x, work, precision)
            t_lava = time.perf_counter() - t0
            sn = snntorch_chain(read_nir(path), x)
            no = norse_layers(read_nir(path), x)
            rows[kind] = {"vs_snntorch": agreement(ours, sn), "vs_norse": agreement(ours, no),
                          "snntorch_vs_norse": agreement(sn, no),
                          "classes_vs_snntorch": classes_agree(ours[-1], sn[-1]),
                          "classes_vs_norse": classes_agree(ours[-1], no[-1]), "lava_seconds": t_lava}
        report[name] = rows
    return report


def mnist_dir() -> Path:
    here = Path(__file__).resolve().parents[1]
    for p in (os.environ.get("BEAMNET_MNIST"), here.parent / "shared/data/mnist", Path("/work/shared/data/mnist")):
        if p and Path(p).is_dir():
            return Path(p)
    raise SystemExit("the MNIST IDX folder (../shared/data/mnist) is missing; set BEAMNET_MNIST")


def cnn(work: Path, ref: Path, samples: int, steps: int, source: str = "mnist", precision: str = "fixed") -> dict:
    path = ref / "nir-paper/02_cnn/cnn_sinabs.nir"
    imported = import_nir(path, work / "cnn.net", force=True, precision=precision)
    x, labels = saccade_frames(samples, steps, 0, source=source,
                               data_dir=str(mnist_dir()) if source == "mnist" else None)
    t0 = time.perf_counter()
    ours = [a.reshape(samples, steps, -1)
            for a in lava_layers(work / "cnn.net", x.reshape(samples, steps, -1), work, precision)]
    t_lava = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer = norse_unbatched_layers(read_nir(path), x)
    t_norse = time.perf_counter() - t0
    ca, cb = ours[-1].sum(axis=1).argmax(axis=1), peer[-1].sum(axis=1).argmax(axis=1)
    return {"import": imported.describe(), "samples": samples, "steps": steps,
            "vs_norse": agreement(ours, peer), "classes_vs_norse": float((ca == cb).mean()),
            "input": source, "lava_accuracy": float((ca == labels).mean()),
            "norse_accuracy": float((cb == labels).mean()),
            "lava_seconds": t_lava, "norse_seconds": t_norse}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run-dir", type=Path, help="an existing digits SNN run dir (skips training)")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--paper", action="store_true", help="the NIR paper's networks instead (docs/nir.md)")
    ap.add_argument("--cnn-samples", type=int, default=100, help="--paper: N-MNIST-format samples for the CNN")
    ap.add_argument("--cnn-input", choices=("mnist", "digits"), default="mnist",
                    help="--paper: the CNN's inputs, saccades of MNIST test digits (28 x 28 on 34 x 34, "
                         "as N-MNIST; IDX files in ../shared/data/mnist or $BEAMNET_MNIST) or of "
                         "scikit-learn digits upscaled 3x (the earlier stand-in)")
    ap.add_argument("--only", choices=PARTS, action="append", help="--paper: run only these parts")
    ap.add_argument("--precision", choices=("fixed", "float"), action="append",
                    help="--paper: Lava fixed_pt on the Loihi import (default) and/or Lava floating_pt on "
                         "`import --precision float` (results under \"float\"); repeat for both")
    ap.add_argument("--li", action="store_true", help="LI readouts on Norse-made graphs instead (docs/nir.md)")
    ap.add_argument("--split", action="store_true", help="exact >8-bit weights on the Braille graph, emulated")
    ap.add_argument("--bias-exact", action="store_true",
                    help="8-bit weights with exact biases on the biased Braille graph, emulated")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="beamnet-bench-nir-"))
    if args.paper or args.li or args.split or args.bias_exact:
        result = (paper(work, args.samples, args.steps, args.cnn_samples, tuple(args.only or PARTS),
                        args.cnn_input, tuple(args.precision or ("fixed",))) if args.paper
                  else li_readout(work, args.samples, args.steps) if args.li
                  else bias_exact(work, args.samples, args.steps) if args.bias_exact
                  else split_weights(args.samples, args.steps))
        text = json.dumps(result, indent=2)
        print(text)
        if args.json:
            args.json.write_text(text + "\n")
        return
    run_dir = run_or_train(args.run_dir, SNNConfig(), work)
    export_run(run_dir, work / "model.net")
    export_nir(work / "model.net", work / "model.nir")
    seed = int(read_netx(work / "model.net").attrs["seed"])
    images = load_split("digits", seed=seed).x_test[:args.samples]
    inputs = {"digits rate-coded": rate_encode(images, args.steps).transpose(0, 2, 1).astype(bool),
              "random p=0.2": np.random.default_rng(1).random((args.samples, args.steps, 64)) < 0.2}
    report: dict = {"samples": args.samples, "steps": args.steps, "trained_snn": {}}
    for name, x in inputs.items():
        t0 = time.perf_counter()
        ours = lava_layers(work / "model.net", x, work)
        t_lava = time.perf_counter() - t0
        t0 = time.perf_counter()
        sn = snntorch_layers(read_nir(work / "model.nir"), x)
        t_snn = time.perf_counter() - t0
        no = norse_layers(read_nir(work / "model.nir"), x)
        report["trained_snn"][name] = {
            "vs_snntorch": agreement(ours, sn), "vs_norse": agreement(ours, no),
            "snntorch_vs_norse_identical": all(np.array_equal(a, b) for a, b in zip(sn, no)),
            "lava_seconds": t_lava, "snntorch_seconds": t_snn}
    on_grid = work / "on_grid.net"
    export_run(run_dir, on_grid)
    with h5py.File(on_grid, "r+") as f:
        for g in f["layer"].values():
            g["neuron/iDecay"][()] = 2048
            g["neuron/vDecay"][()] = 1024
    export_nir(on_grid, work / "on_grid.nir")
    x6 = inputs["random p=0.2"][:, :6]
    report["on_grid_6_steps"] = {"vs_snntorch": agreement(lava_layers(on_grid, x6, work),
                                                          snntorch_layers(read_nir(work / "on_grid.nir"), x6))}
    rng = np.random.default_rng(2)
    report["snntorch_made"] = snntorch_made(work, rng.random((args.samples, args.steps, 16)) < 0.3)
    report["recurrent_vs_norse"] = recurrent(work, rng.random((args.samples, args.steps, 16)) < 0.3)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
