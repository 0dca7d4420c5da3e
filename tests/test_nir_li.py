"""NIR leaky-integrator readouts (``LI``, ``CubaLI``) on Lava, against Norse and the Euler reference.

Tolerance: Lava's step truncates the decayed state toward zero, by less than one step of its
24-bit state (one LSB = ``1 / (64 s)`` in graph units, ``s`` the readout's factor) per step, and
the error decays like the membrane: ``|e| < 1/b`` LSB for an ``LI`` (its current is the input,
exact) and ``< (1/a + 1)/b`` for a ``CubaLI`` (``a``, ``b`` = iDecay/4096, vDecay/4096). With
parameters on Loihi's grid that is the whole difference, once the spiking layer below agrees.
"""
import warnings

import nir
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from beamnet_lava.cli import app
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export import read_netx
from beamnet_lava.neurons.fixed_point import DECAY_UNITY, VTH_MAX, W_SCALE
from beamnet_lava.nir import readout
from beamnet_lava.nir.bridge import DT, export_nir, import_nir, read_nir
from beamnet_lava.nir.peers import (euler_layers, norse_layers, norse_li_model, norse_sequential_layers,
                                    snntorch_li_readout)
from beamnet_lava.sim_cpu.spike_inputs import run_inputs

runner = CliRunner()


def _graph(rng, n_in=12, n_h=10, n_o=4, li=None, readout_bias=True):
    """Input -> Linear -> CubaLIF -> Affine -> LI, parameters on Loihi's grid (decays 1/4, 1/8,
    weights multiples of 1/8 and 1/16)."""
    li = li or nir.LI(tau=np.full(n_o, 8 * DT), r=np.ones(n_o), v_leak=np.zeros(n_o))
    nodes = {"input": nir.Input(input_type={"input": np.array([n_in])}),
             "lin1": nir.Linear(weight=rng.integers(-20, 40, (n_h, n_in)) / 8),
             "lif": nir.CubaLIF(tau_syn=np.full(n_h, 4 * DT), tau_mem=np.full(n_h, 8 * DT), r=np.ones(n_h),
                                v_leak=np.zeros(n_h), v_threshold=np.ones(n_h), v_reset=np.zeros(n_h),
                                w_in=np.ones(n_h)),
             "lin2": nir.Affine(weight=rng.integers(-30, 30, (n_o, n_h)) / 16,
                                bias=rng.integers(-8, 8, n_o) / 16 if readout_bias else np.zeros(n_o)),
             "li": li,
             "output": nir.Output(output_type={"output": np.array([n_o])})}
    return nir.NIRGraph(nodes=nodes, edges=[("input", "lin1"), ("lin1", "lif"), ("lif", "lin2"),
                                            ("lin2", "li"), ("li", "output")])


def _lsb(net_path):
    return 1.0 / (W_SCALE * readout.of(read_netx(net_path)))


def _integer_readout(net, hidden):
    """Lava's fixed-point LI step in numpy (lava-nc's LIF arithmetic), driven by ``hidden``
    spikes ``(n, steps, neurons)``: the membrane integers ``v``."""
    last = net.layers[-1]
    w = last.weight.astype(np.int64)
    bias = (np.zeros(last.size, np.int64) if last.bias is None else last.bias.astype(np.int64)) << 6
    v = np.zeros((hidden.shape[0], last.size), np.int64)
    out = []
    for t in range(hidden.shape[1]):
        u = (hidden[:, t].astype(np.int64) @ w.T) << 6
        decayed = v * (DECAY_UNITY - last.v_decay)
        v = np.sign(decayed) * (np.abs(decayed) >> 12) + u + bias
        out.append(v.copy())
    return np.stack(out, axis=1)


def test_li_readout_is_lava_integer_state_and_matches_euler_and_norse(tmp_path):
    rng = np.random.default_rng(1)
    nir.write(tmp_path / "g.nir", _graph(rng))
    x = rng.random((12, 60, 12)) < 0.3
    np.save(tmp_path / "x.npy", x)
    imp = import_nir(tmp_path / "g.nir", tmp_path / "g.net")
    assert imp.neuron_kinds == ["CubaLIF", "LI"] and imp.max_rounding_error == 0
    assert "layer 1 an LI readout" in imp.describe()
    net = read_netx(tmp_path / "g.net")
    last = net.layers[-1]
    assert (last.v_th_mant, last.i_decay, last.v_decay) == (VTH_MAX, DECAY_UNITY, 512)
    report = run_inputs(tmp_path / "g.net", tmp_path / "x.npy", record=tmp_path / "r.npz", progress=False)
    assert report["readout"]["layer"] == "layer1" and report["graded"] == {"layer0": False, "layer1": True}
    rec = np.load(tmp_path / "r.npz")
    hidden, mem = rec["layer0"], rec["layer1"]
    assert hidden.dtype == bool and mem.dtype == np.float64 and mem.shape == (12, 60, 4)
    lsb = _lsb(tmp_path / "g.net")
    ints = mem / lsb
    assert np.array_equal(ints, np.round(ints))            # Lava's 24-bit state, in graph units
    assert np.array_equal(np.round(ints).astype(np.int64), _integer_readout(net, hidden))
    assert report["readout"]["min"] == mem.min() and report["readout"]["max"] == mem.max()
    bound = DECAY_UNITY / last.v_decay                       # 1/b LSB: truncation only (module doc)
    g = read_nir(tmp_path / "g.nir")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peers = {"euler": euler_layers(g, x), "norse": norse_layers(g, x)}
    for name, (p_hidden, p_mem) in peers.items():
        same = np.array([np.array_equal(a, b) for a, b in zip(hidden, p_hidden)])
        assert same.sum() >= 10, name                        # spike trains equal on the grid
        err = np.abs(mem[same] - p_mem[same]) / lsb
        assert err.max() < bound + (1e-6 / lsb if name == "norse" else 1e-9), (name, err.max())
        assert err.max() > 0                                 # the truncation is there: the check can fail
    # snnTorch's own Leaky (no reset) as the readout, driven by Lava's hidden spikes
    theirs = snntorch_li_readout(g.nodes["lin2"], g.nodes["li"], hidden)
    err = np.abs(mem - theirs) / lsb
    assert 0 < err.max() < bound + 1e-6 / lsb, err.max()


@pytest.mark.slow   # two more Lava runs; the fixed-point readout is checked above
def test_li_readout_in_float_models_and_in_lanes(tmp_path):
    from beamnet_lava.sim_cpu.snn_run import run_snn

    rng = np.random.default_rng(1)
    nir.write(tmp_path / "g.nir", _graph(rng))
    x = rng.random((4, 60, 12)) < 0.3
    np.save(tmp_path / "x.npy", x)
    import_nir(tmp_path / "g.nir", tmp_path / "g.net")
    net = read_netx(tmp_path / "g.net")
    one, two = (run_snn(net, x.transpose(0, 2, 1).astype(np.uint8), 60, lanes=k, progress=False)[1]
                for k in (1, 2))
    assert one.layers[-1].dtype == np.int32 and np.abs(one.layers[-1]).max() > 0
    assert all(np.array_equal(a, b) for a, b in zip(one.layers, two.layers))   # lanes: same membranes
    run_inputs(tmp_path / "g.net", tmp_path / "x.npy", record=tmp_path / "f.npz", precision="float",
               progress=False)
    f, euler = np.load(tmp_path / "f.npz"), euler_layers(read_nir(tmp_path / "g.nir"), x)
    assert np.array_equal(f["layer0"], euler[0]) and f["layer1"].dtype == np.float64
    assert np.allclose(f["layer1"], euler[1], rtol=0, atol=1e-9) and np.abs(euler[1]).max() > 0.1


def test_norse_made_graph_ending_in_li_runs_from_the_cli(tmp_path):
    """Norse writes Linear -> LIFBoxCell -> Linear -> LIBoxCell with its own ``to_nir``; the
    import runs it on Lava and the membrane follows Norse's own forward pass."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import norse.torch as norse
    dt, n_in = 1e-3, 12
    model = norse_li_model(n_in, 16, 5, dt=dt, on_grid=True)   # off the grid: bench_nir.py --li
    # Norse 1.1's to_nir writes tau = dt / tau_mem_inv (norse/norse#411): dt = 1 writes seconds
    nir.write(tmp_path / "norse.nir", norse.to_nir(model, torch.zeros(n_in), dt=1.0))
    rng = np.random.default_rng(0)
    x = rng.random((8, 150, n_in)) < 0.2
    np.save(tmp_path / "x.npy", x)
    result = runner.invoke(app, ["import", str(tmp_path / "norse.nir"), "-o", str(tmp_path / "n.net"),
                                 "--dt", str(dt)])
    assert result.exit_code == 0 and "LIF/LI" in result.output, result.output
    result = runner.invoke(app, ["run", str(tmp_path / "n.net"), "--inputs", str(tmp_path / "x.npy"),
                                 "--record", str(tmp_path / "r.npz")])
    assert result.exit_code == 0 and "LI readout" in " ".join(result.output.split()), result.output
    rec = np.load(tmp_path / "r.npz")
    hidden, mem = norse_sequential_layers(model, x)              # Norse's own forward pass
    assert np.array_equal(rec["layer0"], hidden) and hidden.sum() > 100
    lsb = _lsb(tmp_path / "n.net")
    err = np.abs(rec["layer1"] - mem) / lsb
    assert 0 < err.max() < DECAY_UNITY / 512 + 1e-6 / lsb, err.max()      # b = 1/8: 8 LSB


def test_cuba_li_with_leak_and_bias_matches_euler(tmp_path):
    """A CubaLI readout straight on the input: its Affine bias enters the current (an always-on
    channel), its v_leak the voltage (Lava's neuron bias, ``b v_leak`` per step)."""
    rng = np.random.default_rng(3)
    n_in, n_o = 6, 3
    g = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([n_in])}),
        "aff": nir.Affine(weight=rng.integers(-16, 16, (n_o, n_in)) / 8, bias=np.array([0.25, -0.5, 0.125])),
        "cli": nir.CubaLI(tau_syn=np.full(n_o, 2 * DT), tau_mem=np.full(n_o, 16 * DT), r=np.full(n_o, 2.0),
                          v_leak=np.array([1.0, -2.0, 0.0]), w_in=np.ones(n_o)),
        "output": nir.Output(output_type={"output": np.array([n_o])})},
        edges=[("input", "aff"), ("aff", "cli"), ("cli", "output")])
    nir.write(tmp_path / "c.nir", g)
    x = rng.random((4, 80, n_in)) < 0.4
    np.save(tmp_path / "x.npy", x)
    imp = import_nir(tmp_path / "c.nir", tmp_path / "c.net")
    assert imp.always_on == [1, 0] and imp.layers[0].bias is not None
    run_inputs(tmp_path / "c.net", tmp_path / "x.npy", record=tmp_path / "r.npz", progress=False)
    mem = np.load(tmp_path / "r.npz")["layer0"]
    lsb = _lsb(tmp_path / "c.net")
    err = np.abs(mem - euler_layers(read_nir(tmp_path / "c.nir"), x)[0]) / lsb
    assert 0 < err.max() < (2 + 1) * 16, err.max()          # (1/a + 1)/b LSB with a = 1/2, b = 1/16


def test_li_round_trips_keep_the_integers(tmp_path):
    rng = np.random.default_rng(5)
    g = _graph(rng)
    g.nodes["lin2"] = nir.Affine(weight=rng.normal(0, 0.3, (4, 10)), bias=rng.normal(0, 0.1, 4))  # off grid
    nir.write(tmp_path / "g.nir", g)
    first = import_nir(tmp_path / "g.nir", tmp_path / "a.net")
    assert 0 < first.max_rounding_error < 0.01 and "LI readout" in first.rounding_where
    export_nir(tmp_path / "a.net", tmp_path / "b.nir")
    back = read_nir(tmp_path / "b.nir")
    li = [n for n in back.nodes.values() if isinstance(n, nir.LI)]
    assert len(li) == 1 and np.allclose(li[0].tau, 8 * DT)
    import_nir(tmp_path / "b.nir", tmp_path / "c.net")
    a, c = read_netx(tmp_path / "a.net"), read_netx(tmp_path / "c.net")
    assert a.attrs[readout.ATTR] == c.attrs[readout.ATTR]
    for x, y in zip(a.layers, c.layers):
        assert (x.v_th_mant, x.i_decay, x.v_decay) == (y.v_th_mant, y.i_decay, y.v_decay)
        assert np.array_equal(x.weight, y.weight)
        assert (x.bias is None and y.bias is None) or np.array_equal(x.bias, y.bias)
    # the exported graph is what Lava runs: its LI weights are the integers over the factor
    assert np.allclose(back.nodes["linear1"].weight * a.attrs[readout.ATTR], a.layers[1].weight, rtol=1e-12, atol=0)
    # a CubaLI's neuron bias goes back as its v_leak, and comes back the same
    nir.write(tmp_path / "c.nir", nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([3])}),
        "lin": nir.Linear(weight=np.eye(3) / 4),
        "cli": nir.CubaLI(tau_syn=np.full(3, 2 * DT), tau_mem=np.full(3, 4 * DT), r=np.ones(3),
                          v_leak=np.array([0.5, 0.0, -1.0]), w_in=np.ones(3)),
        "output": nir.Output(output_type={"output": np.array([3])})},
        edges=[("input", "lin"), ("lin", "cli"), ("cli", "output")]))
    import_nir(tmp_path / "c.nir", tmp_path / "d.net")
    export_nir(tmp_path / "d.net", tmp_path / "d.nir")
    cli = read_nir(tmp_path / "d.nir").nodes["lif0"]
    assert isinstance(cli, nir.CubaLI) and np.allclose(cli.v_leak, [0.5, 0.0, -1.0])
    import_nir(tmp_path / "d.nir", tmp_path / "e.net")
    d, e = read_netx(tmp_path / "d.net"), read_netx(tmp_path / "e.net")
    assert np.array_equal(d.layers[0].bias, e.layers[0].bias) and np.array_equal(d.layers[0].weight, e.layers[0].weight)


def test_a_readout_whose_range_caps_its_factor_says_so(tmp_path):
    """256 inputs into an LI of tau = 256 dt: every input at every step could drive |v| to
    256 x the fan-in's weight sum, so the factor that keeps that below the threshold is far below
    the 8-bit weights' own limit, and the import says which limit binds."""
    rng = np.random.default_rng(2)
    g = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([256])}),
        "lin": nir.Linear(weight=rng.normal(0, 0.5, (3, 256))),
        "li": nir.LI(tau=np.full(3, 256 * DT), r=np.full(3, 256.0), v_leak=np.zeros(3)),
        "output": nir.Output(output_type={"output": np.array([3])})},
        edges=[("input", "lin"), ("lin", "li"), ("li", "output")])
    nir.write(tmp_path / "g.nir", g)
    imp = import_nir(tmp_path / "g.nir", tmp_path / "g.net")
    net = read_netx(tmp_path / "g.net")
    w = net.layers[0].weight
    one_sign = np.maximum(np.clip(w, 0, None).sum(axis=1), -np.clip(w, None, 0).sum(axis=1))
    bound = one_sign.max() * DECAY_UNITY / net.layers[0].v_decay      # every input of one sign, every step
    assert bound <= VTH_MAX and np.abs(w).max() < 127           # range-bound: the 8 bits are not used up
    assert "capped by the membrane's range" in imp.rounding_where


def _li_inside(rng):
    g = _graph(rng)
    nodes = dict(g.nodes)
    nodes["lin3"] = nir.Linear(weight=np.ones((2, 4)))
    nodes["lif3"] = nir.LIF(tau=np.full(2, 4 * DT), r=np.ones(2), v_leak=np.zeros(2),
                            v_threshold=np.ones(2), v_reset=np.zeros(2))
    nodes["output"] = nir.Output(output_type={"output": np.array([2])})
    edges = [e for e in g.edges if e != ("li", "output")] + [("li", "lin3"), ("lin3", "lif3"), ("lif3", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _li_recurrent(rng):
    g = _graph(rng)
    nodes = dict(g.nodes, rec=nir.Linear(weight=np.eye(4) / 8))
    return nir.NIRGraph(nodes=nodes, edges=list(g.edges) + [("li", "rec"), ("rec", "li")])


@pytest.mark.parametrize("make,msg", [
    (_li_inside, "must feed the Output node alone"),
    (_li_recurrent, "non-spiking readout with a recurrent Linear"),
    (lambda rng: _graph(rng, li=nir.LI(tau=np.full(4, DT / 2), r=np.ones(4), v_leak=np.zeros(4))),
     "shorter than dt"),
])
def test_li_refusals_are_one_line_exit_1_nothing_written(tmp_path, make, msg):
    nir.write(tmp_path / "g.nir", make(np.random.default_rng(0)))
    result = runner.invoke(app, ["import", str(tmp_path / "g.nir"), "-o", str(tmp_path / "g.net")])
    assert result.exit_code == 1 and msg in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output and not (tmp_path / "g.net").exists()


def test_li_files_run_with_inputs_only_and_a_bad_marker_is_refused(tmp_path):
    import h5py

    nir.write(tmp_path / "g.nir", _graph(np.random.default_rng(0)))
    import_nir(tmp_path / "g.nir", tmp_path / "g.net")
    result = runner.invoke(app, ["run", str(tmp_path / "g.net"), "--dataset", "digits", "--time-steps", "5",
                                 "--samples", "2"])
    assert result.exit_code == 1 and "--inputs" in result.output, result.output
    np.save(tmp_path / "x.npy", np.zeros((1, 4, 12), bool))
    result = runner.invoke(app, ["bundle", str(tmp_path / "g.net"), "-o", str(tmp_path / "job"),
                                 "--inputs", str(tmp_path / "x.npy")])
    assert result.exit_code == 1 and "LI readout" in result.output and not (tmp_path / "job").exists()
    with h5py.File(tmp_path / "g.net", "r+") as f:            # the marker on a spiking layer
        f["layer/1/neuron/vThMant"][()] = 100
    with pytest.raises(BeamnetError, match="marks layer 1 as an LI readout"):
        readout.of(read_netx(tmp_path / "g.net"))
