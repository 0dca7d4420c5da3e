"""Convolutional NIR graphs on Lava (issue 26 item 5): pools folded exactly, the paper's CNN."""
import nir
import numpy as np
import pytest
import torch
from test_nir_paper import PAPER, runner
from tests_paths import MNIST_DIR

from beamnet_lava.cli import app
from beamnet_lava.netx_export.lavadl_file import read_lavadl
from beamnet_lava.nir.bridge import import_nir, read_nir
from beamnet_lava.nir.importer import nir_to_layers
from beamnet_lava.nir.peers import norse_unbatched_layers, saccade_frames

CNN = PAPER / "02_cnn/cnn_sinabs.nir"


def test_a_pool_before_a_conv_or_a_dense_layer_folds_into_it_exactly():
    """conv(sumpool(x)) == conv'(x) with the kernel repeated over each 2 x 2 block, stride and
    padding doubled; flatten(sumpool(x)) @ W.T == flatten(x) @ W'.T (float, before rounding)."""
    from beamnet_lava.nir.conv import _fold_pools
    from beamnet_lava.nir.nodes import Pool

    rng = np.random.default_rng(0)
    x = torch.tensor(rng.random((1, 3, 8, 8)))
    w = torch.tensor(rng.normal(size=(4, 3, 3, 3)))
    pooled = torch.nn.functional.avg_pool2d(x, 2) * 4                      # a sum pool
    block, factor, shape = _fold_pools([("p", Pool("SumPool2d", (2, 2), (2, 2), (0, 0)))], (3, 8, 8), "x")
    assert (block, factor, shape) == ((2, 2), 1.0, (3, 4, 4))
    w2 = torch.tensor(np.repeat(np.repeat(w.numpy(), 2, axis=2), 2, axis=3))
    ref = torch.nn.functional.conv2d(pooled, w, stride=1, padding=1)
    assert torch.allclose(ref, torch.nn.functional.conv2d(x, w2, stride=2, padding=2))
    d = torch.tensor(rng.normal(size=(5, 3 * 4 * 4)))
    d2 = torch.tensor(np.repeat(np.repeat(d.numpy().reshape(5, 3, 4, 4), 2, axis=2), 2, axis=3).reshape(5, -1))
    assert torch.allclose(pooled.reshape(1, -1) @ d.T, x.reshape(1, -1) @ d2.T)


def test_the_paper_cnn_imports_and_runs_on_lava_close_to_norse(tmp_path):
    """``02_cnn/cnn_sinabs.nir`` (Sinabs: Conv2d, IF, SumPool2d, Flatten, Affine): 3 conv and
    2 dense layers of IF neurons (iDecay 4096, vDecay 0), read back by the lava-dl reader;
    on N-MNIST-format inputs (MNIST test digits through the simulated saccades) Lava's spikes
    are those of the imported integers, close to Norse's simulation of the file (docs/nir.md:
    100 samples x 300 steps measured)."""
    imported = import_nir(CNN, tmp_path / "cnn.net")
    net = read_lavadl(tmp_path / "cnn.net")
    assert [b.kind for b in net.blocks] == ["input", "conv", "conv", "conv", "flatten", "dense", "dense"]
    assert [int(np.prod(b.shape)) for b in net.layers] == [4096, 4096, 512, 256, 10]
    assert all((b.neuron.i_decay, b.neuron.v_decay) == (4096, 0) for b in net.layers)
    assert imported.max_rounding_error < 0.01
    n, steps = 2, 40
    x, _ = saccade_frames(n, steps, 0, source="mnist", data_dir=str(MNIST_DIR))
    np.save(tmp_path / "x.npy", x.reshape(n, steps, -1))
    result = runner.invoke(app, ["run", str(tmp_path / "cnn.net"), "--inputs", str(tmp_path / "x.npy"),
                                 "--record", str(tmp_path / "rec.npz")])
    assert result.exit_code == 0, result.output
    rec = np.load(tmp_path / "rec.npz")
    ours = [rec[k].reshape(n, steps, -1) for k in sorted(rec.files, key=lambda k: int(k[5:]))]
    peer = norse_unbatched_layers(read_nir(CNN), x)
    agree = [float((a == b).mean()) for a, b in zip(ours, peer)]
    assert len(ours) == 5 and agree[0] > 0.99 and min(agree) > 0.94, agree
    assert all(a.sum() > 0 for a in ours[:4])


@pytest.mark.parametrize("edit,msg", [
    (lambda g: setattr(g.nodes["4"], "stride", np.array([1, 1])), "does not tile"),
    (lambda g: setattr(g.nodes["2"], "bias", np.ones(16)), None),
])
def test_conv_graphs_that_do_not_compose_are_refused_or_imported(tmp_path, edit, msg):
    g = read_nir(CNN)
    edit(g)
    if msg is None:                    # a conv bias into IF neurons is Lava's neuron bias
        imp = nir_to_layers(g, tmp_path / "g.nir")
        assert imp.stages[2].bias is not None and np.all(imp.stages[2].bias == imp.stages[2].bias[0])
        return
    from beamnet_lava.errors import BeamnetError

    with pytest.raises(BeamnetError, match=msg):
        nir_to_layers(g, tmp_path / "g.nir")


def test_a_cnn_file_nir_cannot_type_check_is_one_line(tmp_path):
    g = read_nir(CNN)
    g.nodes["9"] = nir.Affine(weight=np.ones((256, 100)), bias=np.zeros(256))
    nir.write(tmp_path / "bad.nir", g)
    result = runner.invoke(app, ["import", str(tmp_path / "bad.nir"), "-o", str(tmp_path / "bad.net")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "bad.net").exists()


def test_a_pool_into_neurons_is_a_netx_pool_layer_spike_for_spike(tmp_path):
    """Input -> Conv2d -> IF -> SumPool2d -> IF -> Flatten -> Linear -> IF (a CSNN's shape):
    the pool with its own neurons is a lava-dl pool layer (conv-run runs it as a depthwise
    conv); on grid weights Lava equals Norse's simulation of the file."""
    rng = np.random.default_rng(1)

    def if_(shape):
        return nir.IF(r=np.ones(shape), v_threshold=np.full(shape, 1.0), v_reset=np.zeros(shape))
    g = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([2, 8, 8])}),
        "c": nir.Conv2d(input_shape=(8, 8), weight=np.round(rng.normal(0, 0.5, (3, 2, 3, 3)) * 8) / 8,
                        stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(3)),
        "n1": if_((3, 8, 8)), "p": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                                  padding=np.array([0, 0])),
        "n2": if_((3, 4, 4)), "f": nir.Flatten(input_type={"input": np.array([3, 4, 4])}, start_dim=0),
        "l": nir.Linear(weight=np.round(rng.normal(0, 0.5, (4, 48)) * 8) / 8), "n3": if_((4,)),
        "output": nir.Output(output_type={"output": np.array([4])})},
        edges=[("input", "c"), ("c", "n1"), ("n1", "p"), ("p", "n2"), ("n2", "f"), ("f", "l"), ("l", "n3"),
               ("n3", "output")])
    nir.write(tmp_path / "p.nir", g)
    import_nir(tmp_path / "p.nir", tmp_path / "p.net")
    assert [b.kind for b in read_lavadl(tmp_path / "p.net").blocks] == ["input", "conv", "pool", "flatten", "dense"]
    x = rng.random((2, 12, 2, 8, 8)) < 0.3
    np.save(tmp_path / "x.npy", x.reshape(2, 12, -1))
    result = runner.invoke(app, ["run", str(tmp_path / "p.net"), "--inputs", str(tmp_path / "x.npy"),
                                 "--record", str(tmp_path / "rec.npz")])
    assert result.exit_code == 0, result.output
    rec = np.load(tmp_path / "rec.npz")
    ours = [rec[k].reshape(2, 12, -1) for k in sorted(rec.files, key=lambda k: int(k[5:]))]
    peer = norse_unbatched_layers(read_nir(tmp_path / "p.nir"), x)
    assert len(ours) == 3 and all(np.array_equal(a, b) for a, b in zip(ours, peer))
    assert all(a.sum() > 0 for a in ours)
