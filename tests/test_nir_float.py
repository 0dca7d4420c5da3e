"""``import --precision float``: a NIR graph's own float parameters on Lava's floating-point
models (lava-nc's float LIFReset/Dense/Conv), against the peers' simulations of the same file;
and the refusals on every Loihi path (docs/nir.md, "Float import")."""
import h5py
import numpy as np
import pytest
from test_nir_paper import BRAILLE, PAPER, _run, runner
from tests_paths import MNIST_DIR

from beamnet_lava.cli import app
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export import read_netx
from beamnet_lava.netx_export.lavadl_file import read_lavadl
from beamnet_lava.nir.bridge import export_nir, import_nir, read_nir
from beamnet_lava.nir.peers import norse_unbatched_layers, saccade_frames, snntorch_chain

LIF = PAPER / "01_lif/lif_norse.nir"
CNN = PAPER / "02_cnn/cnn_sinabs.nir"


def _float_import(src, out):
    result = runner.invoke(app, ["import", str(src), "-o", str(out), "--precision", "float"])
    assert result.exit_code == 0, result.output
    assert "nothing rounded" in " ".join(result.output.split())
    return out


def test_the_paper_lif_neuron_in_float_fires_at_the_exact_steps(tmp_path):
    """``lif_norse.nir`` kept in float (decay 163.84 unrounded, weight and threshold as given)
    fires at 460, 510, 710, 760 on the paper's input: the exact simulation's steps."""
    net = read_netx(_float_import(LIF, tmp_path / "lif.net"))
    assert net.attrs["precision"] == "float"
    assert net.layers[0].v_decay == pytest.approx(163.84, abs=1e-5)     # not 164 (the file: float32)
    exact = np.loadtxt(PAPER / "01_lif/lif_exact.csv", delimiter=",")
    ours = _run(tmp_path / "lif.net", exact[:, 0].reshape(1, -1, 1).astype(bool), tmp_path,
                "--precision", "float")[0][0, :, 0]
    assert np.flatnonzero(ours).tolist() == np.flatnonzero(exact[:, 2]).tolist() == [460, 510, 710, 760]


@pytest.mark.parametrize("path", BRAILLE[:2], ids=lambda p: p.stem)
def test_braille_graphs_in_float_match_snntorch_spike_for_spike(tmp_path, path):
    """The biased (recurrent, always-on bias channel) and bias-free Braille graphs: Lava's float
    models give snnTorch's own neurons' hidden and output spikes exactly (the fixed-point import
    reaches 64-99 % on the biased graph's output: 8-bit weights)."""
    _float_import(path, tmp_path / "b.net")
    x = np.random.default_rng(5).random((3, 96, 12)) < 0.1
    ours = _run(tmp_path / "b.net", x, tmp_path, "--precision", "float")
    peer = snntorch_chain(read_nir(path), x)
    assert len(ours) == 2 and ours[1].sum() > 0
    for a, b in zip(ours, peer):
        assert np.array_equal(a, b)


def test_the_paper_cnn_in_float_matches_norse_spike_for_spike(tmp_path):
    """``cnn_sinabs.nir`` through lava-dl's conv path on Lava's float Conv/Dense/LIF models,
    on an MNIST test digit's saccade events: every layer identical to Norse's ``from_nir``."""
    _float_import(CNN, tmp_path / "cnn.net")
    assert read_lavadl(tmp_path / "cnn.net").attrs["precision"] == "float"
    n, steps = 1, 40
    x, _ = saccade_frames(n, steps, 0, source="mnist", data_dir=str(MNIST_DIR))
    np.save(tmp_path / "x.npy", x.reshape(n, steps, -1))
    result = runner.invoke(app, ["run", str(tmp_path / "cnn.net"), "--inputs", str(tmp_path / "x.npy"),
                                 "--record", str(tmp_path / "rec.npz"), "--precision", "float"])
    assert result.exit_code == 0, result.output
    rec = np.load(tmp_path / "rec.npz")
    ours = [rec[k] for k in sorted(rec.files, key=lambda k: int(k[5:]))]     # NetX layer indices
    peer = norse_unbatched_layers(read_nir(CNN), x)
    assert len(ours) == 5 and all(a.sum() > 0 for a in ours[:4])
    for a, b in zip(ours, peer):
        assert np.array_equal(a.reshape(b.shape), b)


@pytest.mark.parametrize("src", [BRAILLE[0], CNN], ids=["dense", "conv"])
def test_a_float_import_is_refused_on_every_loihi_path(tmp_path, src):
    """Fixed-point run, bundle and inspect: one line, exit 1, nothing written; a plain ``run``
    takes the file in float."""
    net = _float_import(src, tmp_path / "f.net")
    shape = (1, 4, 12) if src != CNN else (1, 4, 2 * 34 * 34)
    np.save(tmp_path / "x.npy", np.zeros(shape, bool))
    result = runner.invoke(app, ["run", str(net), "--inputs", str(tmp_path / "x.npy"), "--json", "-"])
    assert result.exit_code == 0 and '"precision": "float"' in result.output, result.output
    for args, what in ((["run", str(net), "--inputs", str(tmp_path / "x.npy"), "--precision", "fixed"],
                        "fixed point"),
                       (["bundle", str(net), "-o", str(tmp_path / "job"), "--inputs", str(tmp_path / "x.npy")],
                        "bundled"),
                       (["inspect", str(net)], "fitted to Loihi 2")):
        result = runner.invoke(app, args)
        text = " ".join(result.output.split())
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
        assert "float import" in text and what in text, result.output
    assert not (tmp_path / "job").exists()


def test_a_norse_li_readout_in_float_follows_norse_within_float32(tmp_path):
    """Norse's ``Linear -> LIFBoxCell -> Linear -> LIBoxCell`` with its float weights (off
    Loihi's grid: the fixed import keeps 8 bits, 0.33 % of the range, docs/nir.md): the float
    import's hidden spikes are Norse's and the readout's membrane is within float32 noise."""
    import warnings

    import nir
    import torch

    from beamnet_lava.nir.peers import norse_li_model, norse_sequential_layers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import norse.torch as norse
    dt, n_in = 1e-3, 12
    model = norse_li_model(n_in, 16, 5, dt=dt, on_grid=False)
    nir.write(tmp_path / "norse.nir", norse.to_nir(model, torch.zeros(n_in), dt=1.0))
    result = runner.invoke(app, ["import", str(tmp_path / "norse.nir"), "-o", str(tmp_path / "n.net"),
                                 "--dt", str(dt), "--precision", "float"])
    assert result.exit_code == 0, result.output
    x = np.random.default_rng(0).random((4, 120, n_in)) < 0.2
    hidden, mem = _run(tmp_path / "n.net", x, tmp_path, "--precision", "float")
    own_hidden, own_mem = norse_sequential_layers(model, x)
    assert np.array_equal(hidden, own_hidden) and hidden.sum() > 50
    assert np.abs(mem - own_mem).max() < 1e-5 * np.abs(own_mem).max(), np.abs(mem - own_mem).max()


def test_run_of_a_nir_file_in_float_takes_its_float_import(tmp_path):
    """``run G.nir --precision float`` imports the graph in float on the fly: the biased Braille
    graph's output matches snnTorch exactly (a fixed-point import run in float would not)."""
    x = np.random.default_rng(6).random((2, 64, 12)) < 0.1
    ours = _run(BRAILLE[0], x, tmp_path, "--precision", "float")
    for a, b in zip(ours, snntorch_chain(read_nir(BRAILLE[0]), x)):
        assert np.array_equal(a, b)


def test_float_and_round_together_and_a_bad_precision_are_one_line(tmp_path):
    result = runner.invoke(app, ["import", str(LIF), "-o", str(tmp_path / "a.net"), "--precision", "float",
                                 "--round"])
    assert result.exit_code == 1 and "one or the other" in result.output and not (tmp_path / "a.net").exists()
    with pytest.raises(BeamnetError, match="fixed or float"):
        import_nir(LIF, tmp_path / "b.net", precision="double")


def test_a_fixed_file_marked_float_by_hand_is_read_as_floats_and_a_nan_refused(tmp_path):
    """The root attribute decides how values are read: a float file with NaN is refused."""
    net = _float_import(BRAILLE[1], tmp_path / "f.net")
    with h5py.File(net, "r+") as f:
        w = f["layer/0/weight"][()]
        w[0, 0] = np.nan
        f["layer/0/weight"][...] = w
    with pytest.raises(BeamnetError, match="NaN"):
        read_netx(net)


@pytest.mark.parametrize("path", BRAILLE[:2], ids=lambda p: p.stem)
def test_float_round_trip_nir_netx_nir_netx_keeps_the_values(tmp_path, path):
    """NIR -> float NetX -> NIR -> float NetX: the same parameters (float64 rounding only)."""
    first = read_netx(import_nir(path, tmp_path / "a.net", precision="float").path)
    export_nir(tmp_path / "a.net", tmp_path / "a.nir")
    second = read_netx(import_nir(tmp_path / "a.nir", tmp_path / "b.net", precision="float").path)
    assert second.attrs["precision"] == "float"
    for la, lb in zip(first.layers, second.layers):
        for key in ("weight", "weight_rec", "bias"):
            a, b = getattr(la, key), getattr(lb, key)
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose([lb.v_th_mant, lb.i_decay, lb.v_decay],
                                   [la.v_th_mant, la.i_decay, la.v_decay], rtol=1e-12)


@pytest.mark.parametrize("src", [BRAILLE[0], CNN], ids=["dense", "conv"])
def test_lava_dl_refuses_a_float_import_and_our_readers_need_its_mark(tmp_path, src):
    """A float import's neurons are ``CUBA_FLOAT``, a type lava-dl's netx does not build, so
    lava-dl fails on the file instead of casting its float constants and weights to integers
    (a different network). Our readers take that type only under the root attribute
    ``precision = "float"``, and a file so marked only with that type: one line otherwise."""
    import beamnet_lava.sim_cpu  # noqa: F401  (lava-nc's Python 3.11 shim, before lava-dl)
    from lava.lib.dl import netx

    net = _float_import(src, tmp_path / "f.net")
    reader = read_lavadl if src == CNN else read_netx
    with h5py.File(net, "r") as f:
        types = {f[f"layer/{k}/neuron/type"][()].decode() for k in f["layer"] if "neuron" in f[f"layer/{k}"]}
    assert types == {"CUBA_FLOAT"}
    reader(net)                             # ours reads it
    copy = tmp_path / "for_lava_dl.net"     # (lava-dl leaves its handle open when it fails)
    copy.write_bytes(net.read_bytes())
    with pytest.raises(AttributeError, match="NoneType"):   # lava-dl 0.6: no parameters for the type
        netx.hdf5.Network(net_config=str(copy))
    unmarked = tmp_path / "unmarked.net"
    unmarked.write_bytes(net.read_bytes())
    with h5py.File(unmarked, "r+") as f:
        del f.attrs["precision"]
    with pytest.raises(BeamnetError) as info:     # its float values are not NetX integers
        reader(unmarked)
    assert "\n" not in str(info.value) and str(unmarked) in str(info.value)
    fixed = import_nir(src, tmp_path / "fixed.net").path     # integers, CUBA, no mark
    with h5py.File(fixed, "r+") as f:
        layer = next(k for k in f["layer"] if "neuron" in f[f"layer/{k}"])
        del f[f"layer/{layer}/neuron/type"]
        f[f"layer/{layer}/neuron/type"] = b"CUBA_FLOAT"
    with pytest.raises(BeamnetError, match="CUBA_FLOAT.*precision = 'float'") as info:
        reader(fixed)
    assert "\n" not in str(info.value)
    with h5py.File(net, "r+") as f:
        layer = next(k for k in f["layer"] if "neuron" in f[f"layer/{k}"])
        del f[f"layer/{layer}/neuron/type"]
        f[f"layer/{layer}/neuron/type"] = b"CUBA"
    with pytest.raises(BeamnetError, match="holds CUBA_FLOAT neurons only"):
        reader(net)
