"""lava-dl NetX files on Lava: lava-dl's own reference data reproduced bit for bit (tiny.net,
PilotNet LIF, PilotNet SDNN), the current readout of its bootstrap MNIST network, and every
parameter of a crafted conv file checked before Lava sees it."""
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export import file_family, read_export
from beamnet_lava.netx_export.lavadl_file import is_lavadl, read_lavadl
from beamnet_lava.sim_cpu.lavadl_graph import LavadlOptions, run_lavadl
from beamnet_lava.sim_cpu.spike_inputs import run_inputs

LAVA_DL = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference" / "lava-dl"
TINY = LAVA_DL / "tiny.net"
PILOTNET_LIF = LAVA_DL / "gts" / "pilotnet_lif"
PILOTNET_SDNN = LAVA_DL / "gts" / "pilotnet_sdnn"
BOOTSTRAP = LAVA_DL / "tutorials" / "bootstrap_mnist_network.net"


def test_tiny_net_reproduces_lava_dl_reference_spikes_exactly():
    """lava-dl's test_tinynet data (SLAYER's spikes of tiny.net, image as the input bias): the
    Lava run's window step j is SLAYER's step j + 1 (SLAYER delays every block's output by one
    step), for layer 1 and the output alike."""
    bias = np.load(LAVA_DL / "gts" / "tinynet" / "input_bias.npy")          # (W, H, C)
    result = run_lavadl(TINY, bias.transpose(2, 1, 0)[None], LavadlOptions(time_steps=17))
    assert result.input_mode == "bias" and result.delays == [0, 1, 2]
    for ours, name in ((result.layers[1][0], "layer1"), (result.layers[2][0], "output")):
        gt = np.load(LAVA_DL / "gts" / "tinynet" / f"{name}.npy")[0]
        gt = gt.reshape(-1, gt.shape[-1]).T                                  # (16 steps, neurons)
        assert gt.sum() > 50
        np.testing.assert_array_equal(ours[:15], gt[1:])
        assert np.abs(ours[1:16].astype(int) - gt[1:]).sum() > 0           # the offset matters


@pytest.mark.slow
def test_pilotnet_lif_every_layer_identical_to_lava_dl_reference():
    """gts/pilotnet_lif: the input layer, 5 conv and 3 dense layers' spikes over all 24 recorded
    steps. The reference indexes raw Lava steps (index t = step t + 1, no per-layer shift) and
    was recorded with resets every 17 steps; run with two windows of 17 steps."""
    img = np.load(PILOTNET_LIF / "image.npy").transpose(2, 1, 0)
    net = read_lavadl(PILOTNET_LIF / "network.net")
    result = run_lavadl(net, np.stack([img, img]), LavadlOptions(time_steps=17), keep_streams=True)
    names = ["input"] + [f"conv-{i}" for i in range(5)] + [f"fc-{i}" for i in range(3)]
    from beamnet_lava.sim_cpu.lavadl_graph import netx_order

    for k, name in enumerate(names):
        gt = np.load(PILOTNET_LIF / f"{name}.npy")
        gt = gt.transpose(2, 1, 0, 3) if gt.ndim == 4 else gt               # (C, H, W, T)
        gt = gt.reshape(-1, gt.shape[-1]).T
        ours = netx_order(result.streams[k], net.layers[k])[:24]
        assert gt.sum() > 0
        np.testing.assert_array_equal(ours, gt, err_msg=name)


def test_bootstrap_mnist_current_readout_runs_and_reads(tmp_path):
    """lava-dl's bootstrap MNIST network ends in a dense layer without neurons: its currents are
    the readout, equal to its weights times the previous layer's spikes, step for step."""
    fam, net = read_export(BOOTSTRAP)
    assert fam.name == "lavadl" and net.output.neuron.kind == "readout" and net.output.size == 10
    images = np.random.default_rng(0).integers(0, 80, (3, 784))
    np.save(tmp_path / "images.npy", images)
    report = run_inputs(BOOTSTRAP, tmp_path / "images.npy", time_steps=8, record=tmp_path / "r.npz",
                        progress=False)
    assert report["input_mode"] == "bias" and report["graded"]["layer3"]
    rec = np.load(tmp_path / "r.npz")
    with h5py.File(BOOTSTRAP) as f:
        w = f["layer/3/weight"][()]
    assert rec["layer2"].any() and rec["layer3"].shape == (3, 8, 10)
    np.testing.assert_array_equal(rec["layer3"], np.einsum("oi,nti->nto", w, rec["layer2"].astype(int)))
    assert report["predictions"] == rec["layer3"].sum(axis=1).argmax(axis=1).tolist()


def test_dense_only_stock_files_stay_on_the_snn_path():
    assert not is_lavadl(LAVA_DL / "tutorials" / "mnist_network.net")
    assert file_family(LAVA_DL / "tutorials" / "mnist_network.net").name == "snn"
    assert is_lavadl(TINY) and is_lavadl(BOOTSTRAP) and is_lavadl(PILOTNET_SDNN / "network.net")


# -- crafted conv files: every parameter checked --------------------------------------------------

def _conv_file(path, *, in_shape=(2, 8, 8), out_c=4, kernel=3, stride=2, padding=1, dilation=1,
               groups=1, weight=None, shape=None, pool=None, extra=None):
    """input (no neurons) -> conv -> [pool] -> flatten -> dense 3, as slayer's blocks write them."""
    rng = np.random.default_rng(0)
    c, h, w = in_shape
    oh = (h + 2 * padding - dilation * (kernel - 1) - 1) // max(stride, 1) + 1 if stride else h
    ow = (w + 2 * padding - dilation * (kernel - 1) - 1) // max(stride, 1) + 1 if stride else w
    if weight is None:
        weight = rng.integers(-20, 21, (out_c, c // max(groups, 1), kernel, kernel)).astype(np.float32)
    neuron = {"type": "CUBA", "iDecay": 1024, "vDecay": 128, "vThMant": 80, "refDelay": 1}
    with h5py.File(path, "w") as f:
        g = f.create_group("layer")
        g.create_dataset("0/type", (1,), "S10", [b"input"])
        g["0/shape"] = np.array(in_shape)
        g.create_dataset("1/type", (1,), "S10", [b"conv"])
        g["1/shape"] = np.array(shape or (out_c, oh, ow))
        g["1/weight"] = weight
        for key, v in (("kernelSize", [kernel, kernel]), ("stride", [stride, stride]),
                       ("padding", [padding, padding]), ("dilation", [dilation, dilation])):
            g[f"1/{key}"] = np.array(v)
        g["1/groups"] = groups
        for k, v in neuron.items():
            g[f"1/neuron/{k}"] = v
        prev = (out_c, oh, ow)
        i = 2
        if pool is not None:
            g.create_dataset(f"{i}/type", (1,), "S10", [b"pool"])
            g[f"{i}/weight"] = pool
            g[f"{i}/kernelSize"] = np.array([2, 2])
            g[f"{i}/stride"] = np.array([2, 2])
            prev = (out_c, oh // 2, ow // 2)
            g[f"{i}/shape"] = np.array(prev)
            for k, v in neuron.items():
                g[f"{i}/neuron/{k}"] = v
            i += 1
        g.create_dataset(f"{i}/type", (1,), "S10", [b"flatten"])
        g[f"{i}/shape"] = np.array([int(np.prod(prev)), 1, 1])
        g.create_dataset(f"{i + 1}/type", (1,), "S10", [b"dense"])
        g[f"{i + 1}/shape"] = np.array([3])
        g[f"{i + 1}/weight"] = rng.integers(-30, 31, (3, int(np.prod(prev)))).astype(np.float32)
        for k, v in neuron.items():
            g[f"{i + 1}/neuron/{k}"] = v
        for key, value in (extra or {}).items():
            if key in f:
                del f[key]
            f[key] = value
    return path


@pytest.mark.parametrize("kwargs, message", [
    (dict(shape=(4, 5, 5)), "conv shapes do not chain"),
    (dict(kernel=11, padding=0, shape=(4, 1, 1)), "kernel spans 11 along the height"),
    (dict(stride=0), r"layer 1/stride: stride \(must be >= 1\) out of range"),
    (dict(dilation=0), r"layer 1/dilation: dilation \(must be >= 1\) out of range"),
    (dict(in_shape=(3, 8, 8), out_c=4, groups=2), "groups=2 does not divide"),
    (dict(weight=np.full((4, 2, 3, 3), np.nan, np.float32)), "NaN"),
    (dict(weight=np.full((4, 2, 3, 3), 300, np.float32)), r"layer 1/weight: weights \(Loihi's 8-bit mantissas\) out of range \[-256, 255\]"),
    (dict(weight=np.full((4, 2, 3, 3), 1.5, np.float32)), "non-integer"),
    (dict(pool=np.array([[[[1, 2], [1, 1]]]], np.float32)), "is not a pooling kernel"),
    (dict(pool=np.ones((2, 2, 3), np.float32)), "is not a pooling kernel"),
    (dict(extra={"layer/1/neuron/iDecay": 5000}), r"neuron/iDecay: iDecay out of range \[0, 4096\]"),
    (dict(extra={"layer/1/neuron/type": "FOO"}), "neuron type 'FOO'"),
])
def test_bad_conv_files_are_refused_in_one_line(tmp_path, kwargs, message):
    path = _conv_file(tmp_path / "bad.net", **kwargs)
    with pytest.raises(BeamnetError, match=message) as info:
        read_lavadl(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_state_memory_is_estimated_before_anything_is_allocated(tmp_path, monkeypatch):
    path = _conv_file(tmp_path / "ok.net")
    read_lavadl(path)
    monkeypatch.setenv("BEAMNET_LAVA_MEMORY_GIB", "1e-9")
    with pytest.raises(BeamnetError, match="neuron state .* needs ~.* GiB of memory"):
        read_lavadl(path)


def test_conv_pool_network_fixed_and_float_agree_with_a_numpy_model(tmp_path):
    """A crafted conv -> sum pool -> flatten -> dense file: Lava's stock Conv (pooling as a
    depthwise Conv of one repeated value) in fixed and float point gives the spikes of a plain
    torch model of the same integer arithmetic (float LIF with exact decays)."""
    path = _conv_file(tmp_path / "pool.net", in_shape=(2, 8, 8), out_c=4, stride=1, padding=1,
                      pool=np.full((1, 1, 2, 2), 24, np.float32))
    net = read_lavadl(path)
    spikes = (np.random.default_rng(1).random((3, 12, 2, 8, 8)) < 0.3).astype(np.uint8)
    fixed = run_lavadl(net, spikes, LavadlOptions(precision="fixed"))
    flt = run_lavadl(net, spikes, LavadlOptions(precision="float"))
    ref = _torch_reference(net, spikes)
    assert [d for d in fixed.delays] == [1, 2, 3]
    for ours_f, ours_x, r in zip(fixed.layers, flt.layers, ref):
        assert r.sum() > 0
        np.testing.assert_array_equal(ours_x, r)
        assert (ours_f == r).mean() > 0.99      # fixed point rounds the decays


def _torch_reference(net, spikes):
    """Float CUBA dynamics of ``net`` on ``spikes`` (n, T, C, H, W), from rest in every sample
    (each Lava layer's window starts its synapses' steps later: step j answers input step j)."""
    n, T = spikes.shape[:2]
    x = torch.tensor(spikes, dtype=torch.float64)
    outs = []
    for b in net.blocks[1:]:
        if b.kind == "flatten":
            x = x.reshape(n, T, -1)
            continue
        if b.kind == "conv":
            a = torch.nn.functional.conv2d(x.reshape(n * T, *x.shape[2:]), torch.tensor(b.weight, dtype=torch.float64),
                                           stride=b.stride, padding=b.padding, dilation=b.dilation, groups=b.groups)
        elif b.kind == "pool":
            c = b.in_shape[0]
            k = torch.full((c, 1, *b.kernel), float(b.pool_weight), dtype=torch.float64)
            a = torch.nn.functional.conv2d(x.reshape(n * T, *x.shape[2:]), k, stride=b.stride, groups=c)
        else:
            a = x.reshape(n * T, -1) @ torch.tensor(b.weight, dtype=torch.float64).T
        a = a.reshape(n, T, *a.shape[1:])
        u = torch.zeros_like(a[:, 0])
        v = torch.zeros_like(a[:, 0])
        s_all = []
        for t in range(T):
            u = u * (1 - b.neuron.i_decay / 4096) + a[:, t]
            v = v * (1 - b.neuron.v_decay / 4096) + u
            s = (v > b.neuron.vth).double()
            v = v * (1 - s)
            s_all.append(s)
        x = torch.stack(s_all, dim=1)
        outs.append(x.reshape(n, T, -1).numpy().astype(np.uint8))
    return outs


def test_conv_fan_out_counts_each_spikes_actual_synapses(tmp_path):
    """A conv layer's synaptic events per input spike equal the non-zero entries of its column
    in the dense matrix of the same convolution (edges, stride and zero taps included)."""
    path = _conv_file(tmp_path / "f.net", in_shape=(2, 7, 7), out_c=3, kernel=3, stride=2, padding=1)
    block = read_lavadl(path).blocks[1]
    block.weight[0, 0, 1, 1] = 0                                         # a zero tap does not count
    eye = torch.eye(2 * 7 * 7, dtype=torch.float64).reshape(-1, 2, 7, 7)
    # non-zero per (input neuron, output neuron) through a non-zero tap: |w| avoids cancellation
    dense = torch.nn.functional.conv2d(eye, torch.tensor(np.abs(block.weight), dtype=torch.float64),
                                       stride=2, padding=1)
    expected = (dense.reshape(eye.shape[0], -1) != 0).sum(dim=1).numpy()
    np.testing.assert_array_equal(block.fan_out(), expected)
    assert expected.min() < expected.max()


@pytest.mark.slow
def test_pilotnet_sdnn_output_identical_to_lava_dl_reference():
    """lava-dl's test_pilotnet_sdnn: input.npy's frame on the input Delta's a_in for 9 steps,
    the Sigma readout's 9 values (raw Lava steps: index t = step t + 1) exactly."""
    frame = np.load(PILOTNET_SDNN / "input.npy")[..., 0].transpose(2, 1, 0)      # (C, H, W)
    result = run_lavadl(PILOTNET_SDNN / "network.net", np.repeat(frame[None, None], 9, axis=1),
                        LavadlOptions(), keep_streams=True)
    assert result.input_mode == "values" and result.delays[-1] == 8
    gt = np.load(PILOTNET_SDNN / "output.npy")[0]
    assert np.abs(gt).sum() > 0
    np.testing.assert_array_equal(result.streams[-1][:9, 0], gt)


def test_sdnn_float_is_refused_with_the_reason():
    with pytest.raises(BeamnetError, match="SDNN layers run in fixed point"):
        run_lavadl(PILOTNET_SDNN / "network.net", np.zeros((1, 2, 3, 33, 100)), LavadlOptions(precision="float"))


# -- INRC bundles of lava-dl files ---------------------------------------------------------------

def _run_job(bundle: Path) -> dict:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"})
    res = subprocess.run([sys.executable, "run_loihi2.py", "--cpu"], cwd=bundle, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    return __import__("json").loads((bundle / "results.json").read_text())


@pytest.mark.parametrize("case", ["tiny_static_image", "conv_pool_spikes"])
def test_bundle_of_a_lava_dl_file_reproduces_its_expected_outputs(tmp_path, case):
    """`bundle FILE --inputs X.npy [--time-steps T]`: the job builds the same stock processes
    from the shipped plan (lavadl_procs.py) and its CPU branch reproduces the expected outputs."""
    from beamnet_lava.deploy.bundle import write_bundle

    if case == "tiny_static_image":
        src = TINY
        bias = np.load(LAVA_DL / "gts" / "tinynet" / "input_bias.npy").transpose(2, 1, 0)
        np.save(tmp_path / "x.npy", np.stack([bias, bias[:, ::-1]]).astype(np.int64))
        steps = 12
    else:
        src = _conv_file(tmp_path / "pool.net", in_shape=(2, 8, 8), out_c=4, stride=1, padding=1,
                         pool=np.full((1, 1, 2, 2), 24, np.float32))
        np.save(tmp_path / "x.npy", np.random.default_rng(2).random((3, 10, 2, 8, 8)) < 0.3)
        steps = None
    meta = write_bundle(src, tmp_path / "job", samples=4, inputs=tmp_path / "x.npy", time_steps=steps)
    assert meta["graph"] == "plan" and meta["expected"]["accuracy"] is None
    expected = np.load(tmp_path / "job" / "expected_output_spikes.npy")
    assert expected.sum() > 0
    result = _run_job(tmp_path / "job")
    assert result["agreement"]["spike_trains"] == 1.0 and result["accuracy"] is None


def test_bundle_of_a_lava_dl_file_needs_inputs(tmp_path):
    from beamnet_lava.deploy.bundle import write_bundle

    with pytest.raises(BeamnetError, match="records no dataset encoding: give --inputs"):
        write_bundle(TINY, tmp_path / "job")


def test_inspect_reads_the_current_readout_and_pooling():
    """lava-dl's bootstrap MNIST network (a dense layer without neurons) fits; no '?' neuron."""
    from beamnet_lava.deploy.fit import inspect_file

    fit = inspect_file(BOOTSTRAP)
    assert not fit.failures and "?" not in str(fit.to_dict())


@pytest.mark.slow
def test_run_sharded_over_ray_is_identical_to_one_process(tmp_path):
    """`run FILE --inputs X --workers 2`: two Ray tasks, merged report and record identical to
    one process (counts, predictions, every layer's spikes)."""
    from beamnet_lava.sweep.shard import run_inputs_sharded

    src = _conv_file(tmp_path / "pool.net", in_shape=(2, 8, 8), out_c=4, stride=1, padding=1,
                     pool=np.full((1, 1, 2, 2), 24, np.float32))
    np.save(tmp_path / "x.npy", np.random.default_rng(3).random((5, 10, 2, 8, 8)) < 0.3)
    one = run_inputs(src, tmp_path / "x.npy", record=tmp_path / "one.npz", progress=False)
    two = run_inputs_sharded(src, tmp_path / "x.npy", workers=2, record=tmp_path / "two.npz")
    assert two["shards"] == [3, 2]
    for key in ("n_samples", "spikes", "synaptic_events", "predictions", "input_spikes"):
        assert one[key] == two[key], key
    a, b = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    np.testing.assert_allclose(one["energy_per_inference"]["breakdown_nJ"]["total"],
                               two["energy_per_inference"]["breakdown_nJ"]["total"], rtol=1e-12)


@pytest.mark.parametrize("precision", ["fixed", "float"])
def test_lanes_give_the_spikes_of_one_lane(tmp_path, precision):
    """Lanes stack samples on the channel axis (LaneConv, LaneDense): every layer's
    spikes equal the one-lane run's, the last group zero-padded (5 samples in lanes of 2)."""
    path = _conv_file(tmp_path / "pool.net", in_shape=(2, 8, 8), out_c=4, stride=1, padding=1,
                      pool=np.full((1, 1, 2, 2), 24, np.float32))
    spikes = (np.random.default_rng(4).random((5, 10, 2, 8, 8)) < 0.3).astype(np.uint8)
    one = run_lavadl(path, spikes, LavadlOptions(precision=precision))
    two = run_lavadl(path, spikes, LavadlOptions(precision=precision, lanes=2))
    assert two.lanes == 2 and two.steps < one.steps
    for a, b in zip(one.layers, two.layers):
        assert a.sum() > 0
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("precision", ["fixed", pytest.param("float", marks=pytest.mark.slow)])
def test_lanes_beyond_stock_convs_8_bit_groups_give_the_spikes_of_one_lane(tmp_path, precision):
    """LaneConv has no groups cap: 33 lanes of a 2-group dilated conv and a 6-channel pool
    (198 groups, beyond the 127 lava.proc.conv's int8 Var holds) spike as one lane each."""
    path = _conv_file(tmp_path / "groups.net", in_shape=(4, 8, 8), out_c=6, stride=1, padding=2,
                      dilation=2, groups=2, pool=np.full((1, 1, 2, 2), 24, np.float32))
    spikes = (np.random.default_rng(5).random((33, 6, 4, 8, 8)) < 0.3).astype(np.uint8)
    one = run_lavadl(path, spikes, LavadlOptions(precision=precision, chunk_samples=33))
    laned = run_lavadl(path, spikes, LavadlOptions(precision=precision, lanes=33, chunk_samples=33))
    assert laned.lanes == 33 and one.lanes == 1
    for a, b in zip(one.layers, laned.layers):
        assert a.sum() > 0 and len(np.unique(a.reshape(33, -1), axis=0)) > 1
        np.testing.assert_array_equal(a, b)


def test_lanes_with_static_images_on_an_input_block():
    bias = np.load(LAVA_DL / "gts" / "tinynet" / "input_bias.npy").transpose(2, 1, 0)
    images = np.stack([bias, bias[:, ::-1], bias[:, :, ::-1]])
    one = run_lavadl(TINY, images, LavadlOptions(time_steps=8))
    laned = run_lavadl(TINY, images, LavadlOptions(time_steps=8, lanes=3))
    for a, b in zip(one.layers, laned.layers):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(one.layers[-1][0], one.layers[-1][1])


def test_a_slayer_exported_conv_pool_network_matches_slayer_spike_for_spike(tmp_path):
    """slayer's own Conv -> Pool -> Flatten -> Dense blocks (no input layer: the input shape
    comes from the data), exported with export_hdf5: every Lava layer's spikes equal SLAYER's
    forward pass. Every slayer block delays its output by one step (delay_shift, the default)
    as every Lava synapse does, so a layer behind d synapses at SLAYER step j + d is Lava's
    window step j (a window starts d steps later in Lava's stream)."""
    from beamnet_lava._quiet import import_slayer

    slayer = import_slayer()
    p = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03, "requires_grad": False}
    torch.manual_seed(0)
    blocks = [slayer.block.cuba.Conv(p, 2, 6, 3, padding=1, weight_scale=3),
              slayer.block.cuba.Pool(p, 2, weight_scale=2), slayer.block.cuba.Flatten(),
              slayer.block.cuba.Dense(p, 6 * 4 * 4, 5, weight_scale=3)]
    spikes = (torch.rand(3, 2, 8, 8, 12) < 0.3).float()
    outs, x = [], spikes
    with torch.no_grad():
        for b in blocks:
            x = b(x)
            if not isinstance(b, slayer.block.cuba.Flatten):
                outs.append(x.reshape(x.shape[0], -1, x.shape[-1]).permute(0, 2, 1).numpy())
    path = tmp_path / "slayer.net"
    with h5py.File(path, "w") as f:
        layer = f.create_group("layer")
        for i, b in enumerate(blocks):
            b.export_hdf5(layer.create_group(str(i)))
    np.save(tmp_path / "x.npy", spikes.permute(0, 4, 1, 2, 3).numpy().astype(bool))   # (n, T, C, H, W)
    report = run_inputs(path, tmp_path / "x.npy", record=tmp_path / "r.npz", progress=False)
    rec = np.load(tmp_path / "r.npz")
    assert report["delays"] == {"layer0": 1, "layer1": 2, "layer3": 3}
    for (name, d), ref in zip(report["delays"].items(), outs):
        assert ref.sum() > 0, name
        np.testing.assert_array_equal(rec[name][:, :12 - d], ref[:, d:].astype(bool), err_msg=name)


@pytest.mark.slow
def test_bootstrap_mnist_runs_on_the_mnist_split_from_its_file_alone():
    """`run bootstrap_mnist_network.net --dataset mnist --time-steps 16`: the input block's
    neurons take the images scaled by the block's weight; lava-dl's trained network keeps its
    accuracy on Lava (first 100 test images of the MNIST-10k split)."""
    from beamnet_lava.sim_cpu.dataset_run import run_dataset
    from tests_paths import MNIST_DIR

    report = run_dataset(BOOTSTRAP, "mnist", 100, time_steps=16, data_dir=str(MNIST_DIR), lanes=50,
                         progress=False)
    assert report["model"] == "lavadl" and report["accuracy"] >= 0.97
    assert report["spikes"]["layer3"] > 0 and report["parity"] is None


def test_cli_refuses_a_bad_conv_file_in_one_line_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from beamnet_lava.cli import app

    path = _conv_file(tmp_path / "bad.net", in_shape=(3, 8, 8), out_c=4, groups=2)
    np.save(tmp_path / "x.npy", np.zeros((2, 4, 3, 8, 8), bool))
    r = CliRunner().invoke(app, ["run", str(path), "--inputs", str(tmp_path / "x.npy"),
                                 "--record", str(tmp_path / "out.npz")])
    assert r.exit_code == 1 and "groups=2 does not divide" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) <= 3   # one (wrapped) line
    assert not (tmp_path / "out.npz").exists()
    r = CliRunner().invoke(app, ["bundle", str(path), "-o", str(tmp_path / "job"), "--inputs",
                                 str(tmp_path / "x.npy")])
    assert r.exit_code == 1 and not (tmp_path / "job").exists()
