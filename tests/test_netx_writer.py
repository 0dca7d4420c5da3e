"""The one NetX writer (beamnet_lava/netx_export/netx_writer.py): lava-dl's own format, field for
field what lava-dl's slayer blocks write, read back by our readers and by lava-dl's netx loader."""
import io
import os
import re
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from beamnet_lava._quiet import import_slayer
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export import read_netx
from beamnet_lava.netx_export.netx_writer import (LAYER_TYPE_DTYPE, NetxWriter, bayes_lif, cuba,
                                                  lavadl_buildable, lavadl_network, leaky_readout, resonator)

NEURON = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03, "requires_grad": False}
HW = (80, 1024, 123)        # vThMant, iDecay, vDecay of NEURON (slayer's device_params)


def _contents(f: h5py.File) -> dict:
    """Every dataset as (dtype, shape, value) and every attribute, by path."""
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = (obj.dtype.str if obj.dtype.kind != "O" else "object", obj.shape, obj[()])
        for key, value in obj.attrs.items():
            out[f"{name}@{key}"] = value
    f.visititems(visit)
    out.update({f"@{k}": v for k, v in f.attrs.items()})
    return out


def _assert_same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        if isinstance(a[key], tuple):
            (da, sa, va), (db, sb, vb) = a[key], b[key]
            assert (key, da, sa) == (key, db, sb)
            assert np.array_equal(va, vb), key
        else:
            assert np.array_equal(a[key], b[key]), key


def _slayer_conv_net():
    """Input -> Conv -> Pool -> Flatten -> Dense slayer blocks, shapes set by one forward pass."""
    slayer = import_slayer()
    torch.manual_seed(3)
    blocks = torch.nn.ModuleList([
        slayer.block.cuba.Input(NEURON),
        slayer.block.cuba.Conv(NEURON, 2, 4, 3, padding=1, stride=1, weight_scale=2, weight_norm=True),
        slayer.block.cuba.Pool(NEURON, 2),
        slayer.block.cuba.Flatten(),
        slayer.block.cuba.Dense(NEURON, 4 * 4 * 4, 10, weight_scale=2, weight_norm=True),
    ])
    x = (torch.rand(1, 2, 8, 8, 4) > 0.5).float()
    for b in blocks:
        x = b(x)
    return blocks


def _slayer_file(blocks) -> dict:
    with h5py.File(io.BytesIO(), "w") as f:
        layer = f.create_group("layer")
        for i, b in enumerate(blocks):
            b.export_hdf5(layer.create_group(str(i)))
        return _contents(f)


def _quantized(synapse) -> np.ndarray:
    """The synapse's weight as slayer's export computes it: 8-bit quantized, descaled."""
    w = synapse.pre_hook_fx(synapse.weight, descale=True)
    return w.reshape(w.shape[:-1]).detach().numpy()


def test_conv_pool_flatten_dense_as_slayer_writes_them():
    blocks = _slayer_conv_net()
    for b in (blocks[1], blocks[4]):
        b.synapse.disable_weight_norm()      # what slayer's export does first
    inp, conv, pool, flat, dense = blocks
    expected = _slayer_file(blocks)
    w = NetxWriter()
    w.input(list(inp.neuron.shape), cuba(*HW))
    c = conv.synapse
    w.conv(_quantized(c), cuba(*HW), shape=list(conv.neuron.shape), in_channels=c.in_channels,
           out_channels=c.out_channels, kernel_size=c.kernel_size[:-1], stride=c.stride[:-1],
           padding=c.padding[:-1], dilation=c.dilation[:-1], groups=c.groups)
    p = pool.synapse
    w.pool(_quantized(p), cuba(*HW), shape=list(pool.neuron.shape), kernel_size=p.kernel_size[:-1],
           stride=p.stride[:-1], padding=p.padding[:-1], dilation=p.dilation[:-1])
    w.flatten(list(flat.shape))
    w.dense(_quantized(dense.synapse).reshape(10, -1), cuba(*HW), shape=list(dense.neuron.shape))
    assert w.kinds == ["input", "conv", "pool", "flatten", "dense"]
    with h5py.File(io.BytesIO(w.getvalue()), "r") as f:
        ours = _contents(f)
    _assert_same(ours, expected)
    assert ours["layer/1/type"][0] == np.dtype(LAYER_TYPE_DTYPE).str


def test_slayer_blocks_write_their_own_groups():
    blocks = _slayer_conv_net()
    expected = _slayer_file(blocks)          # (weight norm is stripped here already)
    w = NetxWriter()
    w.slayer_blocks(blocks)
    assert w.kinds == ["input", "conv", "pool", "flatten", "dense"]
    with h5py.File(io.BytesIO(w.getvalue()), "r") as f:
        _assert_same(_contents(f), expected)


def _conv_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    w = NetxWriter()
    w.input([2, 8, 8])
    w.conv(rng.integers(-20, 20, (4, 2, 3, 3)).astype(np.float32) * 2, cuba(*HW), shape=[4, 4, 4],
           in_channels=2, out_channels=4, kernel_size=[3, 3], stride=[2, 2], padding=[1, 1],
           dilation=[1, 1], groups=1)
    w.flatten([64, 1, 1])
    w.dense(rng.integers(-20, 20, (10, 64)).astype(np.float32) * 2, cuba(*HW))
    out = tmp_path / "conv.net"
    out.write_bytes(w.getvalue())
    return out


def test_lava_dl_builds_a_written_conv_network(tmp_path):
    path = _conv_file(tmp_path)
    assert lavadl_buildable(path) is None
    net = lavadl_network(path)
    conv, dense = net.layers
    assert net.inp.shape == (8, 8, 2)            # lava-dl's (W, H, C) order: our shape reversed
    assert conv.out.shape == (4, 4, 4) and dense.out.shape == (10,)


def test_dense_round_trip_through_read_netx_and_lava_dl(tmp_path):
    rng = np.random.default_rng(1)
    w1 = (rng.integers(-127, 127, (6, 5)) * 2).astype(np.int64)
    w2 = (rng.integers(-127, 127, (3, 6)) * 2).astype(np.int64)
    delay = rng.integers(0, 4, (6, 5))
    w = NetxWriter()
    w.input(5)
    w.dense(w1, cuba(100, 512, 64), delay=delay, bias=np.arange(6))
    w.dense(w2, cuba(90, 4096, 0))
    w.attrs(beamnet_format=1, model="snn", n_classes=3, time_steps=12)
    out = tmp_path / "dense.net"
    net = w.publish(out, read_netx)
    assert net.path == out and out.is_file()
    a, b = net.layers
    assert np.array_equal(a.weight, w1) and np.array_equal(a.delay, delay) and np.array_equal(a.bias, np.arange(6))
    assert (a.v_th_mant, a.i_decay, a.v_decay) == (100, 512, 64)
    assert np.array_equal(b.weight, w2) and (b.v_th_mant, b.i_decay, b.v_decay) == (90, 4096, 0)
    assert net.attrs["time_steps"] == 12 and net.input_size == 5
    with h5py.File(out) as f:
        assert f["layer/1/inFeatures"][()] == 5 and f["layer/1/outFeatures"][()] == 6
        assert [f["layer/1/neuron"][k][()] for k in ("refDelay", "gradedSpike")] == [1, False]
    built = lavadl_network(out)
    assert [l.out.shape for l in built.layers] == [(6,), (3,)]


def test_recurrent_and_extension_neurons_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    w = NetxWriter()
    w.input(1)
    rec = rng.integers(-9, 9, (4, 4))
    w.dense(rng.integers(-9, 9, (4, 1)), resonator("BALANCED_RESONATOR", np.arange(4), -np.arange(4), 16, 655,
                                                   58982),
            features=False, weight_rec=rec, extra={"weight_exp": 3, "weight_rec_exp": 2})
    w.dense(rng.integers(-9, 9, (2, 4)), leaky_readout(60000, 16), features=False, extra={"weight_exp": 0})
    ext = w.extension("brf", 1)
    ext.create_dataset("x", data=1)
    with h5py.File(io.BytesIO(w.getvalue()), "r") as f:
        assert [f[f"layer/{i}/type"][0] for i in range(3)] == [b"input", b"dense_rec", b"dense"]
        assert np.array_equal(f["layer/1/weight_rec"][()], rec) and f["layer/1/weight_exp"][()] == 3
        assert "inFeatures" not in f["layer/1"]
        assert f["layer/1/neuron/type"][()] == b"BALANCED_RESONATOR"
        assert np.array_equal(f["layer/1/neuron/omega_dt"][()], np.arange(4))
        assert f["layer/2/neuron/alpha"][()] == 60000
        assert f["brf"].attrs["extension_version"] == 1 and "config_json" not in f["brf"].attrs
    path = tmp_path / "brf.net"
    path.write_bytes(w.getvalue())
    assert "BALANCED_RESONATOR" in lavadl_buildable(path)
    with pytest.raises(BeamnetError, match="cannot build this file: layer 1 has BALANCED_RESONATOR neurons"):
        lavadl_network(path)


def test_a_closed_writer_takes_no_more_layers():
    with NetxWriter() as w:
        w.input(3)
        data = w.getvalue()
        with pytest.raises(ValueError, match="finished"):
            w.input(4)
    assert data[:8] == b"\x89HDF\r\n\x1a\n" and not w.file.id.valid


def test_pool_layers_are_not_built_by_lava_dl(tmp_path):
    w = NetxWriter()
    w.input([1, 4, 4])
    w.pool(np.full((1, 1, 2, 2), 64.0, dtype=np.float32), cuba(*HW), shape=[1, 2, 2], kernel_size=[2, 2],
           stride=[2, 2], padding=[0, 0], dilation=[1, 1])
    path = tmp_path / "pool.net"
    path.write_bytes(w.getvalue())
    assert lavadl_buildable(path) == "layer 1 is a 'pool' layer"


def _small() -> NetxWriter:
    w = NetxWriter()
    w.dense(np.full((2, 3), 4), cuba(64, 0, 0))
    return w


def test_publish_never_clobbers(tmp_path):
    out = tmp_path / "m.net"
    out.write_text("precious")
    with pytest.raises(BeamnetError, match="already exists"):
        _small().publish(out, read_netx)
    assert out.read_text() == "precious"
    _small().publish(out, read_netx, force=True)
    assert read_netx(out).layers[0].size == 2
    folder = tmp_path / "folder.net"
    folder.mkdir()
    with pytest.raises(BeamnetError, match="is a folder"):
        _small().publish(folder, read_netx, force=True)


def test_publish_writes_nothing_a_reader_refuses(tmp_path):
    out = tmp_path / "bad.net"
    w = NetxWriter()
    w.dense(np.full((2, 3), 4), cuba(0, 0, 0))         # threshold 0: read_netx refuses it
    with pytest.raises(BeamnetError, match="vThMant is 0"):
        w.publish(out, read_netx)
    assert os.listdir(tmp_path) == []


def test_publish_writes_through_a_named_pipe(tmp_path):
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got = {}
    reader = threading.Thread(target=lambda: got.setdefault("bytes", pipe.read_bytes()))
    reader.start()
    w = _small()
    w.publish(pipe, read_netx)
    reader.join(10)
    assert got["bytes"][:8] == b"\x89HDF\r\n\x1a\n" and pipe.exists()


def test_every_netx_file_is_written_by_the_writer():
    """No module but the writer opens an HDF5 file for writing or builds /layer groups by hand
    (NIR files are written by the nir library). A model's ``export_hdf5(handle)`` (slayer's
    Network convention: its blocks' own export into a group the caller gives) opens no file."""
    root = Path(__file__).resolve().parents[1] / "beamnet_lava"
    opens = re.compile(r"h5py\.File\([^)]*[\"'][wax]")
    groups = re.compile(r"create_group\([\"']layer|create_dataset\([\"'](type|shape)[\"']")
    offenders = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                       if p.name != "netx_writer.py" and (opens.search(p.read_text()) or (
                           p.parent.name != "models" and groups.search(p.read_text()))))
    assert offenders == []
    assert groups.search((root / "models" / "snn.py").read_text())   # the rule sees a model's export


def test_what_our_exporters_write_lava_dl_builds_or_is_named_unbuildable(tiny_run, tmp_path):
    """Read-back through lava-dl: the SNN export and the NIR importer's file (stock CUBA layers)
    are built by lava-dl's netx; BEAM-Net's extension neuron is named as what it cannot build."""
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.nir.bridge import export_nir, import_nir

    export_run(tiny_run, tmp_path / "snn.net")
    export_nir(tiny_run, tmp_path / "snn.nir")
    import_nir(tmp_path / "snn.nir", tmp_path / "back.net")
    for name in ("snn.net", "back.net"):
        net = lavadl_network(tmp_path / name)
        assert [l.out.shape for l in net.layers][-1] == (10,)
    w = NetxWriter()                                  # BEAM-Net's layout (beamnet_file.write_beamnet)
    w.input(4)
    w.dense(np.full((3, 4), 2), bayes_lif(4096, 410, 400), features=False, delay=np.zeros((3, 4), int))
    (tmp_path / "bn.net").write_bytes(w.getvalue())
    assert lavadl_buildable(tmp_path / "bn.net") == "layer 1 has BEAMNET_BAYES_LIF neurons"
