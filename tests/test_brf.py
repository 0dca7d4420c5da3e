"""BRF / RF neurons (Higuchi et al., ICML 2024): equations, boundary, surrogate, training, Lava parity."""
import math

import numpy as np
import pytest
import torch

from beamnet_lava.neurons import brf
from beamnet_lava.config import SeqConfig, default_for
from beamnet_lava.errors import BeamnetError
from helpers import edited_copy


# -- the equations -----------------------------------------------------------------------------
def test_brf_float_step_by_hand():
    # omega=10, b'=0.5, x=0.5, y=0.2, q=0.3, I=2 (delta 0.01):
    # p(10) = (-1 + sqrt(0.99)) / 0.01 = -0.50125629; b = p - b' - q = -1.30125629
    # x' = 0.5 + 0.01 (b 0.5 - 10 0.2 + 2) = 0.49349372; y' = 0.2 + 0.01 (10 0.5 + b 0.2) = 0.24739749
    # z = [x' - 1 - 0.3 > 0] = 0; q' = 0.9 0.3 = 0.27
    state, z = brf.step(brf.State(0.5, 0.2, 0.3), 2.0, 10.0, 0.5)
    assert brf.p_omega(10.0) == pytest.approx(-0.50125629, abs=1e-8)
    assert state.x == pytest.approx(0.49349372, abs=1e-8)
    assert state.y == pytest.approx(0.24739749, abs=1e-8)
    assert z == 0 and state.q == pytest.approx(0.27)
    # a spike: x=1.5, y=0, q=0.1, omega=10, b'=0.5, I=0: b = -1.10125629,
    # x' = 1.5 + 0.01 (b 1.5) = 1.48348116 > 1.1 -> z = 1, q' = 0.09 + 1 = 1.09; y' = 0.15
    state, z = brf.step(brf.State(1.5, 0.0, 0.1), 0.0, 10.0, 0.5)
    assert state.x == pytest.approx(1.48348116, abs=1e-8) and state.y == pytest.approx(0.15)
    assert z == 1 and state.q == pytest.approx(1.09)


def test_rf_float_step_by_hand():
    # vanilla RF: b = -b' (no p(omega), no q): x' = 1.5 + 0.01 (-0.5 1.5 - 10 0.2 + 3) = 1.5025,
    # y' = 0.2 + 0.01 (10 1.5 - 0.5 0.2) = 0.349; threshold 1 (q ignored and unchanged)
    state, z = brf.step(brf.State(1.5, 0.2, 0.7), 3.0, 10.0, 0.5, balanced=False)
    assert state.x == pytest.approx(1.5025) and state.y == pytest.approx(0.349)
    assert z == 1 and state.q == 0.7


def test_brf_fixed_step_by_hand():
    p = brf.FixedParams(np.array([6554]), np.array([-100]), True, 655)
    # b  = -100 - ((30000 * 655) >> 16) = -100 - 299 = -399
    # x' = 70000 + ((-399 * 70000 - 6554 * -1000) >> 16) + 500 = 70000 - 327 + 500 = 70173
    # y' = -1000 + ((6554 * 70000 + -399 * -1000) >> 16) = -1000 + 7006 = 6006
    # z  = 70173 > 65536 + 30000 -> False;  q' = (30000 * 58982) >> 16 = 26999
    s, z = brf.step_fixed(brf.State(np.array([70000]), np.array([-1000]), np.array([30000])),
                          np.array([500]), p)
    assert (s.x[0], s.y[0], s.q[0], bool(z[0])) == (70173, 6006, 26999, False)
    # x = 97000, y = 0: x' = 97000 + (-38703000 >> 16) = 97000 - 591 = 96409 > 95536 -> spike,
    # q' = 26999 + 65536 = 92535; y' = (6554 * 97000) >> 16 = 9700
    s, z = brf.step_fixed(brf.State(np.array([97000]), np.array([0]), np.array([30000])),
                          np.array([0]), p)
    assert (s.x[0], s.y[0], s.q[0], bool(z[0])) == (96409, 9700, 92535, True)


def test_quantize_neuron_matches_the_float_coefficients():
    p = brf.quantize_neuron(np.array([15.0, 50.0, 100.0]), np.array([0.1, 1.0, 0.0]), True)
    assert p.omega_dt.tolist() == [round(0.15 * 65536), 32768, 65536]
    assert p.b_dt.tolist() == [round(0.01 * (brf.p_omega(15.0) - 0.1) * 65536),
                               round(0.01 * (brf.p_omega(50.0) - 1.0) * 65536), -65536]
    assert brf.quantize_neuron(np.array([15.0]), np.array([0.5]), False).b_dt.tolist() == [-328]


@pytest.mark.parametrize("omega", [15.0, 50.0, 99.0, 100.0])
def test_divergence_boundary_keeps_free_oscillation_bounded(omega):
    """b' = 0, no input: the BRF membrane rides exactly on the boundary for 10,000 steps."""
    s = brf.State(np.array(0.5), np.array(0.0), np.array(0.0))
    peak = 0.0
    for _ in range(10_000):
        s, z = brf.step(s, 0.0, omega, 0.0)
        peak = max(peak, math.hypot(float(s.x), float(s.y)))
        assert z == 0
    assert 0.45 < peak <= 0.5 * (1 + 1e-6)
    # the same in fixed point stays within a few percent (rounding, floor shifts)
    params = brf.quantize_neuron(np.array([omega]), np.array([0.0]), True)
    fs = brf.State(np.array([brf.ONE // 2]), np.array([0]), np.array([0]))
    fpeak = 0
    for _ in range(10_000):
        fs, _ = brf.step_fixed(fs, np.array([0]), params)
        fpeak = max(fpeak, abs(int(fs.x[0])), abs(int(fs.y[0])))
    assert fpeak <= 1.1 * brf.ONE // 2


def test_without_the_boundary_the_oscillation_diverges():
    """Vanilla RF with b' = 0 (no p(omega)) grows: |1 + i delta omega| > 1 (the paper's point)."""
    s = brf.State(np.array(0.5), np.array(0.0), np.array(0.0))
    for _ in range(2_000):
        s, _ = brf.step(s, 0.0, 50.0, 0.0, balanced=False)
    assert math.hypot(float(s.x), float(s.y)) > 1e6


def test_double_gaussian_surrogate_shape():
    v = np.linspace(-6, 6, 1201)
    g = brf.double_gaussian(v)
    peak = 0.5 * (1.15 / (math.sqrt(2 * math.pi) * 0.5) - 0.3 / (math.sqrt(2 * math.pi) * 3.0))
    assert g[600] == pytest.approx(peak) and g.argmax() == 600
    assert np.allclose(g, g[::-1])                       # symmetric
    assert g[np.abs(v) > 2].max() < 0 and g[np.abs(v) > 2].min() > -0.03   # small negative side lobes
    # torch autograd of the spike uses exactly this derivative
    from beamnet_lava.models.brf import spike
    t = torch.tensor([-1.0, 0.0, 0.3, 2.5], requires_grad=True)
    spike(t).sum().backward()
    assert np.allclose(t.grad.numpy(), brf.double_gaussian(t.detach().numpy()), atol=1e-6)
    assert spike(torch.tensor([-0.1, 0.1])).tolist() == [0.0, 1.0]


# -- bad parameters ------------------------------------------------------------------------------
def test_bad_omega_and_negative_b_offset_are_refused():
    with pytest.raises(BeamnetError, match="exceeds 1/delta=100"):
        brf.check_params([10.0, 100.5], [0.1, 0.1])
    with pytest.raises(BeamnetError, match="b'=-0.2 is negative"):
        brf.check_params([10.0], [-0.2])
    with pytest.raises(BeamnetError, match="exceeds 1/delta"):
        brf.quantize_neuron(np.array([101.0]), np.array([0.1]), True)
    with pytest.raises(BeamnetError, match="omega_init"):
        default_for("brf-rsnn").replace(omega_init=[50, 150])
    with pytest.raises(BeamnetError, match="negative"):
        default_for("brf-rsnn").replace(b_offset_init=[-1, 1])
    brf.check_params([100.0], [0.0])      # exactly on the limit is allowed


def test_seq_config_lengths_and_datasets():
    cfg = default_for("rf-rsnn")
    assert (cfg.kind, cfg.dataset, cfg.time_steps) == ("rf", "digits-seq", 64)
    assert cfg.replace(dataset="mnist-seq").time_steps == 784
    with pytest.raises(BeamnetError, match="fixed by the data"):
        cfg.replace(time_steps=50)
    with pytest.raises(BeamnetError, match="digits-seq, mnist-seq"):
        cfg.replace(dataset="digits")
    with pytest.raises(BeamnetError, match="one positive size"):
        cfg.replace(hidden=[16, 16])


# -- training ------------------------------------------------------------------------------------
def test_model_parameters_stay_valid_after_projection():
    from beamnet_lava.models.brf import ResonatorRSNN

    model = ResonatorRSNN(True, 1, 8, 10, SeqConfig())
    with torch.no_grad():
        model.hidden.neuron.omega[0] = 250.0
        model.hidden.neuron.b_offset[1] = -3.0
    model.project()
    brf.check_params(model.hidden.neuron.omega.detach().numpy(), model.hidden.neuron.b_offset.detach().numpy())


@pytest.mark.slow
def test_tiny_brf_training_beats_chance(tmp_path):
    """Four epochs on every training sample learn (slow; the fast suite's BRF tests use the
    shared one-epoch run ``brf32``)."""
    from beamnet_lava.workflows.train import train

    out = tmp_path / "run"
    m = train(SeqConfig(model="brf-rsnn", epochs=4, hidden=(32,), seed=1), out, progress=False)
    assert {"config.json", "checkpoint.pt", "metrics.json"} <= {p.name for p in out.iterdir()}
    assert len(m["history"]) == 4 and m["spikes_per_sample"] > 0
    assert m["test_accuracy"] > 0.2                   # chance: 0.1 (10 digits)
    assert m["test_accuracy_fixed"] > 0.2


@pytest.mark.slow   # two trainings; the SNN's and BEAM-Net's same-seed tests are the fast ones
def test_brf_checkpoint_is_byte_deterministic(rf8, tmp_path):
    """The same config trained again (here, later in the same process) gives the same bytes."""
    from beamnet_lava.workflows.train import train
    from beamnet_lava.training.checkpoint import load_run

    cfg = SeqConfig(model="rf-rsnn", epochs=1, hidden=(8,), seed=2, split=(0.2, 0.1, 0.7))
    assert load_run(rf8 / "run").config == cfg            # the config the shared run trained
    train(cfg, tmp_path / "b", progress=False)
    assert (rf8 / "run/checkpoint.pt").read_bytes() == (tmp_path / "b/checkpoint.pt").read_bytes()


@pytest.mark.slow  # end to end training
def test_alif_rsnn_trains_and_keeps_no_state(tmp_path):
    from beamnet_lava.training.checkpoint import load_run
    from beamnet_lava.workflows.train import train

    cfg = SeqConfig(model="alif-rsnn", epochs=1, hidden=(8,), seed=2, split=(0.2, 0.1, 0.7))
    m = train(cfg, tmp_path / "a", progress=False)
    assert m["spikes_per_sample"] > 0 and "test_accuracy_fixed" not in m
    model = load_run(tmp_path / "a").model
    x = torch.rand(3, 1, 64)
    first, _ = model(x)
    again, _ = model(x)                                  # no state carried between calls
    assert torch.equal(first, again)
    from beamnet_lava.netx_export import export_run
    with pytest.raises(BeamnetError, match="supports brf-rsnn and rf-rsnn"):
        export_run(tmp_path / "a", tmp_path / "alif.net")
    assert not (tmp_path / "alif.net").exists()


# -- export -> load -> run on Lava ---------------------------------------------------------------
@pytest.fixture(scope="module")
def brf_net(brf32):
    return brf32 / "seq.net"


def test_export_roundtrip_matches_the_training_model(brf32, brf_net):
    from beamnet_lava.data.sequences import load_sequences, to_levels
    from beamnet_lava.models.brf import fixed_forward
    from beamnet_lava.netx_export.brf_file import read_brf
    from beamnet_lava.training.checkpoint import load_run

    net = read_brf(brf_net)
    assert net.neuron_type == "BALANCED_RESONATOR" and "RF" not in net.neuron_type
    model = load_run(brf32 / "run").model
    x = to_levels(load_sequences("digits-seq").x_test[:30], "digits-seq")
    a, b = model.forward_fixed(x, 16), fixed_forward(net.layers, x)
    assert (a.predictions == b.predictions).all() and (a.hidden_spikes == b.hidden_spikes).all()


def test_lava_fixed_run_is_identical_to_the_fixed_point_forward(brf_net):
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    r = run_dataset(brf_net, samples=12, progress=False)
    assert r["n_samples"] == 12 and r["spikes"]["layer1"] == 12      # one decision per sample
    assert r["parity"] == 1.0 and r["layer_parity"]["layer0"] == 1.0
    assert r["spike_bit_agreement"] == 1.0 and r["spikes"]["layer0"] > 0
    assert r["neuron_updates"]["layer0"] == 12 * 64 * 32
    assert r["synaptic_events"]["layer1"] > 0


@pytest.mark.slow   # the fixed-point run above is the fast one
def test_lava_float_run(brf_net):
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    r = run_dataset(brf_net, samples=6, precision="float", progress=False)
    assert r["spikes"]["layer1"] == 6 and r["spikes"]["layer0"] > 0
    # spike bits that differ from the fixed-point reference, against the spikes fired: a
    # silent layer (agreement ~0.95 here) or one firing at random would miss most of them
    mismatched = (1 - r["spike_bit_agreement"]) * 6 * 64 * 32
    assert mismatched <= 0.1 * r["spikes"]["layer0"]
    assert r["prediction_agreement"] >= 5 / 6


def test_bad_inputs_for_brf_files(brf_net, tmp_path):
    from beamnet_lava.netx_export.brf_file import read_brf
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    with pytest.raises(BeamnetError, match="exported for 64-step sequences"):
        run_dataset(brf_net, samples=2, time_steps=100, progress=False)
    with pytest.raises(BeamnetError, match="784 steps"):
        run_dataset(brf_net, dataset="mnist-seq", samples=2, data_dir="/nonexistent", progress=False)
    with pytest.raises(BeamnetError, match="sequence model"):
        run_dataset(brf_net, dataset="digits", samples=2, progress=False)
    omega_up = edited_copy(brf_net, tmp_path, lambda f: f["layer/1/neuron/omega_dt"].__setitem__(0, 70000))
    with pytest.raises(BeamnetError, match="exceeds 65536"):
        read_brf(omega_up)
    odd = edited_copy(brf_net, tmp_path, lambda f: f["layer/2/weight"].__setitem__((0, 0), 3), "odd.net")
    with pytest.raises(BeamnetError, match="mantissa"):
        read_brf(odd)


def test_stock_netx_refuses_a_brf_file(brf_net):
    """lava-dl would load any *RF* type as its RF neuron; ours is refused instead of mis-loaded."""
    from beamnet_lava._quiet import import_slayer

    import_slayer()
    from lava.lib.dl.netx import hdf5

    with pytest.raises(AttributeError):
        hdf5.Network(net_config=str(brf_net))


@pytest.mark.slow  # end to end training
def test_cli_rf_rsnn_train_export_run(tmp_path):
    """Vanilla RF through the command line: train, export (RESONATOR type), Lava run with parity."""
    import json

    from typer.testing import CliRunner

    from beamnet_lava.cli import app

    runner = CliRunner()
    run_dir, net, report = tmp_path / "rf", tmp_path / "rf.net", tmp_path / "r.json"
    r = runner.invoke(app, ["train", "--model", "rf-rsnn", "--dataset", "digits-seq", "--out",
                            str(run_dir), "--epochs", "1", "--hidden", "8", "--set", "split=[0.2,0.1,0.7]"])
    assert r.exit_code == 0, r.output
    assert "test accuracy" in r.output
    r = runner.invoke(app, ["export", str(run_dir), "-o", str(net)])
    assert r.exit_code == 0 and "RESONATOR" in r.output, r.output
    r = runner.invoke(app, ["run", str(net), "--samples", "8", "--json", str(report)])
    assert r.exit_code == 0, r.output
    data = json.loads(report.read_text())
    assert data["neuron_type"] == "RESONATOR" and data["parity"] == 1.0
    assert data["layer_parity"]["layer0"] == 1.0
    r = runner.invoke(app, ["train", "--model", "brf-rsnn", "--dataset", "digits", "--out", str(tmp_path / "x")])
    assert r.exit_code == 1 and "digits-seq, mnist-seq" in r.output
    r = runner.invoke(app, ["train", "--model", "brf-rsnn", "--out", str(tmp_path / "y"),
                            "--set", "omega_init=[20,120]"])
    assert r.exit_code == 1 and "exceeds 1/delta" in r.output


@pytest.mark.slow   # a training, a Lava run and an evaluation; the BRF Lava run above is the fast one
def test_brf_on_shd_train_export_run_evaluate(tmp_path, monkeypatch):
    """SHD (tonic layout, format-exact tiny files) -> BRF-RSNN -> export -> Lava parity -> evaluate."""
    from test_events import write_shd

    from beamnet_lava.config import SeqConfig
    from beamnet_lava.evaluation import records
    from beamnet_lava.evaluation.evaluate import evaluate_run
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.sim_cpu.dataset_run import run_dataset
    from beamnet_lava.workflows.train import train

    monkeypatch.setenv("BEAMNET_LAVA_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)

    def sample(label):       # class 0 fires low channels early, class 1 high channels late
        n = 30
        t = np.sort(rng.uniform(0.0, 0.5, n) + 0.4 * label)
        u = rng.integers(0, 350, n) + 350 * label
        return t, u

    labels = rng.integers(0, 2, 60)
    write_shd(tmp_path / "SHD", "shd_train", [sample(c) for c in labels[:45]], labels[:45])
    write_shd(tmp_path / "SHD", "shd_test", [sample(c) for c in labels[45:]], labels[45:])
    cfg = SeqConfig(dataset="shd", data_dir=str(tmp_path), hidden=(12,), time_steps=20, epochs=3,
                    event_downsample=10, seed=1, lr=2e-2)
    assert cfg.time_steps == 20
    run = tmp_path / "run"
    metrics = train(cfg, run, progress=False)
    # two classes, 12 test samples: chance is 0.5 (6 of 12), measured 0.75 (9 of 12, seed 1);
    # a network that says one class for everything fails the second check
    assert metrics["test_accuracy"] >= 0.75 and metrics["spikes_per_sample"] > 0
    assert set(records.read_table(run / records.PREDICTIONS)["prediction"].tolist()) == {0, 1}
    net = tmp_path / "brf.net"
    export_run(run, net)
    rep = run_dataset(net, samples=8, data_dir=str(tmp_path), progress=False)
    assert rep["dataset"] == "shd" and rep["n_samples"] == 8
    assert rep["prediction_agreement"] == 1.0 and rep["parity"] == 1.0
    ev = evaluate_run(run, ood="shuffled", out=tmp_path / "eval")
    assert ev["model"] == "brf-rsnn" and ev["spikes_per_sample"] > 0
