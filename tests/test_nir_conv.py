"""Convolutional NIR graphs on Lava (issue 26 item 5): pools folded exactly, the paper's CNN."""
import nir
import numpy as np
import pytest
import torch
from test_nir_paper import PAPER, runner

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
    on N-MNIST-format inputs Lava's spikes are those of the imported integers, close to
    Norse's simulation of the file (docs/nir.md: 20 samples x 300 steps measured)."""
    imported = import_nir(CNN, tmp_path / "cnn.net")
    net = read_lavadl(tmp_path / "cnn.net")
    assert [b.kind for b in net.blocks] == ["input", "conv", "conv", "conv", "flatten", "dense", "dense"]
    assert [int(np.prod(b.shape)) for b in net.layers] == [4096, 4096, 512, 256, 10]
    assert all((b.neuron.i_decay, b.neuron.v_decay) == (4096, 0) for b in net.layers)
    assert imported.max_rounding_error < 0.01
    n, steps = 2, 40
    x, _ = saccade_frames(n, steps, 0)
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
