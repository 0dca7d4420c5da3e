"""The convolutional family (--model csnn): config, model, lava-dl export, Lava parity, pipeline."""
import json
import os
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import beamnet_lava.workflows.train  # noqa: F401  (registers every stage's hooks)
import beamnet_lava.sim_cpu  # noqa: F401
from beamnet_lava import config as config_mod
from beamnet_lava._quiet import import_slayer
from beamnet_lava.cli import app
from beamnet_lava.config import CSNNConfig
from beamnet_lava.data.encoding import rate_encode
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import get_family
from beamnet_lava.models.csnn import CSNN, encode, fan_outs, infer_input_shape
from beamnet_lava.netx_export import read_export
from beamnet_lava.netx_export.csnn_file import read_csnn
from beamnet_lava.sim_cpu.csnn_run import reference_layers, run_csnn

ROOT = Path(__file__).resolve().parents[1]
TINY = ("conv4k3p1", "pool2", "dense12")


def _model(layers=TINY, shape=(1, 8, 8), seed=0, scale=3.0) -> CSNN:
    torch.manual_seed(seed)
    cfg = CSNNConfig(layers=layers)
    model = CSNN(shape, cfg.stack, 10, cfg.neuron_params, cfg.pool_weight)
    with torch.no_grad():                    # livelier than slayer's default init
        for b in model.neuron_blocks[:-1] if len(model.neuron_blocks) > 1 else []:
            if hasattr(b.synapse, "weight_g"):
                b.synapse.weight_g.mul_(scale)
    return model.eval()


def _write(model: CSNN, path: Path) -> Path:
    """What the family's export writes (through the NetX writer), without a run directory."""
    from beamnet_lava.models.csnn import input_block
    from beamnet_lava.netx_export.netx_writer import NetxWriter

    w = NetxWriter()
    w.slayer_block(input_block(model.input_shape))
    w.slayer_blocks(model.clone().blocks)
    w.attrs({"model": "csnn"})
    path.write_bytes(w.getvalue())
    return path


def test_layer_stack_grammar_and_shapes():
    cfg = CSNNConfig(layers=("conv16k5s2p1", "conv16k3p1", "pool2", "conv8k3p1", "pool2", "dense256"),
                     input_shape=(2, 34, 34))
    kinds = [l.kind for l in cfg.stack]
    assert kinds == ["conv", "conv", "pool", "conv", "pool", "flatten", "dense"]   # flatten inserted
    conv = cfg.stack[0]
    assert (conv.channels, conv.kernel, conv.stride, conv.padding) == (16, 5, 2, 1)
    shapes = config_mod.layer_shapes(cfg.stack, (2, 34, 34))
    # the NIR paper's N-MNIST CNN: 16x16x16, 16x16x16, 16x8x8, 8x8x8, 8x4x4, 128, 256
    assert shapes == [(16, 16, 16), (16, 16, 16), (16, 8, 8), (8, 8, 8), (8, 4, 4), (128,), (256,)]
    assert infer_input_shape(784) == (1, 28, 28) and infer_input_shape(2 * 34 * 34) == (2, 34, 34)
    with pytest.raises(BeamnetError, match="cannot tell the image shape of 101 inputs"):
        infer_input_shape(101)
    assert infer_input_shape(150, (6, 5, 5)) == (6, 5, 5)


@pytest.mark.parametrize("override, message", [
    ({"layers": ["conv16k5", "bogus"]}, "layers entry 'bogus' is not a layer"),
    ({"layers": ["conv16k3s0"]}, "stride must be >= 1"),
    ({"layers": ["conv16k0"]}, "kernel must be >= 1"),
    ({"layers": ["conv16k3d0"]}, "dilation must be >= 1"),
    ({"layers": ["conv6k3g4"], "input_shape": [2, 8, 8]}, "groups=4 must divide"),
    ({"layers": ["conv4k9"], "input_shape": [1, 8, 8]}, "kernel 9 .* larger than its input 8x8"),
    ({"layers": ["pool3"], "input_shape": [1, 8, 8]}, "pool3 needs an input whose height and width it tiles"),
    ({"layers": ["dense10", "conv4k3"]}, "conv layer after flatten/dense"),
    ({"layers": []}, "must list one or more layers"),
    ({"input_shape": [1, 8]}, "must be \\[channels, height, width\\]"),
    ({"pool_weight": 0.001}, "8-bit weight mantissa"),
    ({"encoding": "phase"}, "must be rate or latency"),
    ({"warmup_epochs": -1}, "warmup_epochs=-1.0 must be >= 0"),
    ({"warmup_epochs": 15, "epochs": 15}, "below epochs \\(15\\)"),
])
def test_bad_configs_are_one_line_errors(override, message):
    with pytest.raises(BeamnetError, match=message) as info:
        config_mod.from_dict({"model": "csnn", **override})
    assert "\n" not in str(info.value)


def test_lr_warmup_then_cosine():
    from beamnet_lava.training.csnn_train import lr_factor
    # no warm-up: the plain cosine from 1 to 0 over all steps
    assert [lr_factor(k, 4, 0, "cosine") for k in (0, 2)] == pytest.approx([1.0, 0.5])
    # 4 warm-up steps of 12: 1/4 .. 1, then the cosine over the 8 steps left
    f = [lr_factor(k, 12, 4, "cosine") for k in range(12)]
    assert f[:5] == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0]) and f[8] == pytest.approx(0.5)
    assert all(a > b for a, b in zip(f[4:], f[5:]))
    assert [lr_factor(k, 12, 2, "constant") for k in (0, 1, 2, 11)] == [0.5, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("shape", [["--set", "input_shape=[1, 8, 8]"], []])
def test_cli_refuses_a_stack_that_does_not_chain_and_writes_nothing(tmp_path, shape):
    """With input_shape the config refuses it; without, the data's shape (digits: 1 x 8 x 8) is
    checked by the family's train_memory hook before training starts."""
    out = tmp_path / "run"
    r = CliRunner().invoke(app, ["train", "--model", "csnn", "--set", "layers=[conv4k3, pool4]",
                                 "--out", str(out)] + shape)
    assert r.exit_code == 1 and "pool4 needs an input" in r.output and r.output.count("\n") == 1
    assert not out.exists()


def test_encodings_rate_latency_and_events():
    x = np.array([[0.0, 0.5, 1.0, 0.02]])
    rate = encode(CSNNConfig(time_steps=8), x)
    assert rate.shape == (1, 4, 8) and rate.sum(-1).tolist() == [[0, 4, 8, 0]]
    lat = encode(CSNNConfig(time_steps=8, encoding="latency"), x)
    assert lat.sum(-1).tolist() == [[0, 1, 1, 0]]                 # one spike per lit pixel
    assert lat[0, 2].argmax() == 0 and lat[0, 1].argmax() in (3, 4)   # brighter fires earlier
    events = (np.random.default_rng(0).random((2, 4, 8)) < 0.2).astype(np.float32)
    assert np.array_equal(encode(CSNNConfig(), events), events)


def test_fan_out_is_each_neurons_actual_synapses():
    """Brute force: a spike of one input neuron changes exactly its fan-out's synaptic inputs."""
    model = _model(("conv3k3s2p1", "pool2", "dense5"), shape=(2, 8, 8))
    fans = fan_outs(model)
    conv = model.blocks[0].synapse
    w = conv.pre_hook_fx(conv.weight).detach()
    for i in (0, 9, 63, 64 + 27, 127):
        x = torch.zeros(1, 2, 8, 8, 1)
        x.view(-1)[i] = 1
        z = torch.nn.functional.conv3d(x, w, stride=(2, 2, 1), padding=(1, 1, 0))
        assert fans[0][i] == int((z != 0).sum())
    assert fans[0].shape == (128,) and fans[1].tolist() == [1] * (3 * 4 * 4)   # pool: one window each
    assert fans[1].size == 48 and fans[2].shape == (12,)


def test_export_is_lava_dl_format_read_back_by_lava_dl_netx(tmp_path):
    """Without pooling, lava-dl's own netx.hdf5.Network builds the exported file."""
    model = _model(("conv4k3s2p1", "conv6k3p1", "dense12"), shape=(2, 10, 10))
    path = _write(model, tmp_path / "nopool.net")
    with h5py.File(path) as f:
        assert [f[f"layer/{i}/type"][0] for i in range(5)] == [b"input", b"conv", b"conv",
                                                              b"flatten", b"dense"]
        assert f["layer/0/shape"][()].tolist() == [2, 10, 10]
        assert f["layer/1/weight"].shape == (4, 2, 3, 3) and f["layer/1/stride"][()].tolist() == [2, 2]
    import_slayer()
    from lava.lib.dl.netx import hdf5

    net = hdf5.Network(net_config=str(path))
    assert [tuple(l.shape) for l in net.layers] == [(5, 5, 4), (5, 5, 6), (12,), (10,)]
    fam, back = read_export(path)
    assert fam.name == "csnn" and back.input_shape == (2, 10, 10)
    x = torch.from_numpy(rate_encode(np.random.default_rng(1).random((3, 200)), 6))
    with torch.no_grad():
        for a, b in zip(model.layer_outputs(x), back.to_model().layer_outputs(x)):
            assert torch.equal(a, b)        # the file rebuilds the training model bit for bit


def _damage(src: Path, dst: Path, fn) -> Path:
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "a") as f:
        fn(f)
    return dst


def _replace(f, key, value):
    del f[key]
    f[key] = value


@pytest.mark.parametrize("damage, message", [
    (lambda f: _replace(f, "layer/2/weight", np.array([[[[96.0, 95.0], [96.0, 96.0]]]])),
     "not a pooling kernel"),
    (lambda f: _replace(f, "layer/1/weight", np.full((4, 1, 3, 3), np.nan)), "non-integer"),
    (lambda f: _replace(f, "layer/1/weight", np.full((4, 1, 3, 3), 999.0)), "fixed-point range"),
    (lambda f: _replace(f, "layer/1/stride", np.array([0, 0])), "stride .* must be >= 1"),
    (lambda f: _replace(f, "layer/1/kernelSize", np.array([9, 9])), "disagrees with kernelSize"),
    (lambda f: _replace(f, "layer/1/groups", np.int64(3)), "groups=3 must divide"),
    (lambda f: _replace(f, "layer/0/shape", np.array([1, 7, 7])), "pool2 needs an input"),
    (lambda f: _replace(f, "layer/4/weight", np.zeros((12, 63))), "expects 63 inputs"),
    (lambda f: _replace(f, "layer/2/type", np.array([b"average"])), "'average' layer"),
])
def test_damaged_files_are_refused_in_one_line(tmp_path, damage, message):
    good = _write(_model(), tmp_path / "good.net")
    read_csnn(good)
    bad = _damage(good, tmp_path / "bad.net", damage)
    with pytest.raises(BeamnetError, match=message) as info:
        read_csnn(bad)
    assert "\n" not in str(info.value) and str(bad) in str(info.value)


def test_lava_run_has_full_spike_parity_with_pooling(tmp_path):
    """Pool as a depthwise conv on stock lava.proc.conv: every layer's spikes identical."""
    model = _model(("conv4k3p1", "pool2", "conv6k3s1p1", "pool2", "dense16"), shape=(2, 8, 8))
    net = read_csnn(_write(model, tmp_path / "pool.net"))
    spikes = (np.random.default_rng(2).random((3, 128, 10)) < 0.3).astype(np.float32)
    result = run_csnn(net, spikes, 10, progress=False, timeout_s=120)
    ref = reference_layers(net, spikes)
    assert [l.shape for l in result.layers] == [r.shape for r in ref]
    assert all(np.array_equal(a, b) for a, b in zip(result.layers, ref))
    assert all(int(l.sum()) > 0 for l in ref[:-1])          # a test of something: layers fire
    laned = run_csnn(net, spikes, 10, progress=False, timeout_s=120, lanes=3)   # side by side
    assert laned.lanes == 3 and all(np.array_equal(a, b) for a, b in zip(laned.layers, ref))


@pytest.fixture(scope="module")
def csnn_run(tmp_path_factory):
    from beamnet_lava.workflows.train import train
    from beamnet_lava.netx_export import export_run

    root = tmp_path_factory.mktemp("csnn")
    cfg = CSNNConfig(dataset="digits", epochs=2, time_steps=8, layers=("conv4k3p1", "pool2", "dense16"),
                     split=(0.5, 0.2, 0.3), seed=1, lr=0.01, lr_schedule="constant")
    metrics = train(cfg, root / "run", progress=False)
    export_run(root / "run", root / "run" / "model.net")
    return root / "run", metrics


def test_train_export_run_evaluate_through_the_registry(csnn_run):
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    run_dir, metrics = csnn_run
    fam = get_family("csnn")
    assert all(fam.has(h) for h in fam.expected_hooks())
    assert metrics["model"] == "csnn" and 0.4 < metrics["test_accuracy"] <= 1.0   # chance: 0.1
    assert metrics["temperature"] > 0 and metrics["energy_per_inference_nJ"] > 0
    report = run_dataset(run_dir / "model.net", samples=6, progress=False, timeout_s=120)
    assert report.model == "csnn" and report.spike_parity == 1.0 and report.prediction_agreement == 1.0
    assert list(report.neurons.values()) == [256, 64, 16, 10]
    laned = run_dataset(run_dir / "model.net", samples=6, lanes=3, progress=False, timeout_s=120)
    assert laned.details["lanes"] == 3 and laned.spike_parity == 1.0
    assert laned.predictions == report.predictions
    r = CliRunner().invoke(app, ["evaluate", str(run_dir / "model.net"), "--samples", "5", "--ood", "none",
                                 "--json", "-"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output[r.output.index("{"):])["model"] == "csnn"


def test_bundle_of_a_csnn_file_feeds_its_dataset_and_reproduces_on_the_cpu(csnn_run, tmp_path):
    """`bundle FILE` of a CSNN export: the dataset samples the file records, labelled, as a
    lava-dl plan job whose CPU branch reproduces the expected outputs; its predictions are
    `run`'s."""
    import subprocess
    import sys

    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    run_dir, _ = csnn_run
    r = CliRunner().invoke(app, ["bundle", str(run_dir / "model.net"), "-o", str(tmp_path / "job"),
                                 "--samples", "6"])
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "job" / "bundle.json").read_text())
    assert meta["graph"] == "plan" and meta["model"] == "csnn" and meta["dataset"] == "digits"
    assert meta["labels_known"] and meta["time_steps"] == 8 and meta["n_samples"] == 6
    report = run_dataset(run_dir / "model.net", samples=6, progress=False, timeout_s=120)
    expected = np.load(tmp_path / "job" / "expected_output_spikes.npy")
    assert expected.shape == (6, 10, 8) and expected.sum() > 0
    assert expected.sum(-1).argmax(1).tolist() == report.predictions
    assert meta["expected"]["accuracy"] == pytest.approx(report.accuracy)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"})
    res = subprocess.run([sys.executable, "run_loihi2.py", "--cpu"], cwd=tmp_path / "job", env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    result = json.loads((tmp_path / "job" / "results.json").read_text())
    assert result["agreement"]["spike_trains"] == 1.0
    assert result["accuracy"] == pytest.approx(report.accuracy)


def test_sharded_csnn_run_equals_one_process(csnn_run):
    """`run --workers`: the CSNN's Lava simulation in two shards (in-process mapper) merges into
    the report of one run."""
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    run_dir, _ = csnn_run
    one = run_dataset(run_dir / "model.net", samples=5, progress=False, timeout_s=120)
    two = run_dataset(run_dir / "model.net", samples=5, progress=False, timeout_s=120, workers=2)
    a, b = one.to_dict(), two.to_dict()
    timings = {"run_seconds", "compile_seconds", "reference_seconds", "steps", "steps_per_s",
               "samples_per_s", "lanes"}
    assert {k for k in a if a[k] != b[k]} <= timings
    assert two.spike_parity == 1.0 and len(two.predictions) == 5


def test_inspect_counts_the_cores_of_an_exported_csnn(csnn_run):
    """The per-core model on a CSNN export (conv4k3p1 -> pool2 -> dense16 -> 10 on 8x8
    digits), under both compiler settings: the conv and the pool as Conv(x, y, c) tiles,
    the flatten a reshape without a core, the input on the host."""
    from beamnet_lava.deploy.cores import COMPILERS
    from beamnet_lava.deploy.fit import inspect_file

    run_dir, _ = csnn_run
    for compiler in COMPILERS:
        r = inspect_file(run_dir / "model.net", compiler=compiler)
        per = {lc["index"]: lc for lc in r.estimate["per_core"]}
        assert sorted(per) == [1, 2, 4, 5] and r.estimate["cores"] == 4 and not r.failures
        assert (per[1]["kind"], tuple(per[1]["tile"]), per[1]["neurons"]) == ("conv", (8, 8, 4), 256)
        assert (per[2]["kind"], tuple(per[2]["tile"])) == ("pool", (4, 4, 4))
        assert (per[4]["axon_in"], per[5]["axon_in"]) == (64, 16)
        assert r.estimate["compiler"] == compiler and r.estimate["chips"] == 1


def test_memory_estimate_grows_with_the_stack():
    from beamnet_lava.models.csnn import train_bytes

    small = train_bytes(CSNNConfig(layers=("conv4k3p1", "dense16")), 1000, 784, 10)
    big = train_bytes(CSNNConfig(layers=("conv64k3p1", "dense16")), 1000, 784, 10)
    assert big > 4 * small > 0


def _write_gestures(root: Path, users: int = 10) -> None:
    """DVS Gesture's on-disk format (tonic's preprocessed .npy: x, y, p, t in ms): each gesture
    a bar of events at its own row, so the classes are learnable."""
    rng = np.random.default_rng(0)
    folder = root / "DVSGesture" / "ibmGestureTrain"
    for u in range(1, users + 1):
        d = folder / f"user{u:02d}_fluorescent"
        d.mkdir(parents=True)
        for label in range(11):
            n = 300
            x = rng.integers(0, 128, n)
            y = np.clip(label * 11 + rng.integers(0, 8, n), 0, 127)
            t = np.sort(rng.integers(0, 1400, n))
            np.save(d / f"{label}.npy", np.stack([x, y, rng.integers(0, 2, n), t], 1).astype(np.int64))
    (root / "DVSGesture" / "ibmGestureTrain.tar.gz").write_bytes(b"")


@pytest.mark.slow
def test_dvs_gesture_format_trains_exports_and_runs_with_parity(tmp_path, monkeypatch):
    from beamnet_lava.workflows.train import train
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    monkeypatch.setenv("BEAMNET_LAVA_CACHE", str(tmp_path / "cache"))
    _write_gestures(tmp_path / "dvs")
    cfg = config_mod.load(ROOT / "configs" / "csnn_dvsgesture.yaml").replace(
        data_dir=str(tmp_path / "dvs"), epochs=1, time_steps=6, event_downsample=8,
        layers=["conv4k3p1", "pool2", "dense16"])
    metrics = train(cfg, tmp_path / "run", progress=False)
    assert metrics["dataset"] == "dvsgesture" and metrics["n_train"] == 66
    net = export_run(tmp_path / "run", tmp_path / "dvs.net")
    assert net.input_shape == (2, 16, 16)             # 128 x 128 pooled 8 x 8, ON/OFF split
    report = run_dataset(tmp_path / "dvs.net", data_dir=str(tmp_path / "dvs"), samples=4,
                         progress=False, timeout_s=120)
    assert report.spike_parity == 1.0 and report.details["input_spikes"] > 0


def test_nir_paper_preset_has_the_reference_graphs_layers_and_shapes():
    """configs/csnn_nmnist_nir_paper.yaml against paper/02_cnn/cnn_sinabs.nir (NIR repository,
    ../shared/data/reference/nir-paper): same kernels, strides, paddings and output shapes."""
    import nir

    ref = ROOT.parent / "shared" / "data" / "reference" / "nir-paper" / "02_cnn" / "cnn_sinabs.nir"
    graph = nir.read(str(ref))
    order, node = [], "input"
    edges = dict(graph.edges)
    while node in edges:
        node = edges[node]
        order.append(graph.nodes[node])
    ours, theirs = [], []
    for n in order:
        if isinstance(n, nir.Conv2d):
            theirs.append(("conv", n.weight.shape[0], n.weight.shape[2], int(n.stride[0]),
                           int(n.padding[0]), tuple(int(v) for v in n.output_type["output"])))
        elif isinstance(n, nir.SumPool2d):
            theirs.append(("pool", 0, int(n.kernel_size[0]), int(n.stride[0]), 0,
                           tuple(int(v) for v in n.output_type["output"])))
        elif isinstance(n, nir.Affine):
            theirs.append(("dense", n.weight.shape[0], 1, 1, 0, (n.weight.shape[0],)))
    cfg = config_mod.load(ROOT / "configs" / "csnn_nmnist_nir_paper.yaml")
    stack = cfg.full_stack(10)
    for layer, shape in zip(stack, config_mod.layer_shapes(stack, tuple(cfg.input_shape))):
        if layer.kind != "flatten":
            ours.append((layer.kind, layer.channels, layer.kernel, layer.stride, layer.padding, shape))
    assert ours == theirs and len(ours) == 7


def test_nir_export_is_read_by_norse_which_reproduces_our_lava_spikes(csnn_run, tmp_path):
    """export --format nir: Conv2d, SumPool2d, Flatten, Linear, CubaLIF nodes; Norse 1.1's own
    from_nir simulation of the file (one sample at a time, dt = 1e-4) gives the output spikes of
    our Lava run of the NetX export."""
    import nir
    import norse.torch as norse

    from beamnet_lava.data import load_split
    from beamnet_lava.nir.bridge import export_nir, read_nir

    run_dir, _ = csnn_run
    result = export_nir(run_dir, tmp_path / "csnn.nir")
    graph = read_nir(tmp_path / "csnn.nir")
    kinds = sorted({type(n).__name__ for n in graph.nodes.values()})
    assert kinds == ["Conv2d", "CubaLIF", "Flatten", "Input", "Linear", "Output", "SumPool2d"]
    assert result.neurons == [64, 256, 64, 16, 10]
    net = read_csnn(run_dir / "model.net")
    cfg = net.config()
    spikes = encode(cfg, load_split("digits", seed=1, split=(0.5, 0.2, 0.3)).x_test[:8])
    lava = run_csnn(net, spikes, cfg.time_steps, progress=False, timeout_s=120).output
    module = norse.from_nir(graph, dt=1e-4)
    peer = np.zeros_like(lava)
    with torch.no_grad():
        for k in range(len(spikes)):
            state = None
            for t in range(spikes.shape[-1]):
                z, state = module(torch.from_numpy(spikes[k, :, t].reshape(net.input_shape)), state)
                peer[k, :, t] = z.numpy()
    assert lava.sum() > 0 and (peer == lava).mean() >= 0.99
    assert np.array_equal(peer.sum(-1).argmax(1), lava.sum(-1).argmax(1))
    assert isinstance(graph.nodes["pool2"], nir.SumPool2d)
