"""``inspect``: Loihi 2 fit figures against hand counts, per family, and each hard-limit message."""
import re

import h5py
import numpy as np
import pytest
import torch
from helpers import edited_copy

from beamnet_lava.deploy.fit import inspect_file

# hand-made weights (hardware units after slayer's x64 scale) and per-neuron delays
W = np.array([[1.0, 0, -0.5, 0], [0, 0, 2.0, 0.25], [0, 0, 0, 0]])
DELAYS = [1.0, 5.0, 0.0]


@pytest.fixture(scope="module")
def stock_file(tmp_path_factory):
    """A NetX file written by lava-dl's own slayer block ``export_hdf5`` (no beamnet-lava code)."""
    from beamnet_lava._quiet import import_slayer

    slayer = import_slayer()
    p = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03, "requires_grad": False}
    b1 = slayer.block.cuba.Dense(p, 4, 3, weight_norm=False, delay=True)
    b2 = slayer.block.cuba.Dense(p, 3, 2, weight_norm=False)
    b2(b1(torch.zeros(1, 4, 5)))                        # slayer sizes delays on first forward
    with torch.no_grad():
        b1.synapse.weight.copy_(torch.tensor(W, dtype=torch.float32).reshape(b1.synapse.weight.shape))
        b1.delay.delay.copy_(torch.tensor(DELAYS))
        b2.synapse.weight.copy_(torch.tensor([[1.0, 1.0, 0.0], [0.0, -1.0, 0.0]]).reshape(b2.synapse.weight.shape))
    path = tmp_path_factory.mktemp("stock") / "stock.net"
    with h5py.File(path, "w") as f:
        layer = f.create_group("layer")
        b1.export_hdf5(layer.create_group("0"))
        b2.export_hdf5(layer.create_group("1"))
    return path


def test_stock_lava_dl_file_matches_hand_counts(stock_file):
    r = inspect_file(stock_file)
    assert r.family == "netx" and not r.failures
    l0, l1 = r.layers
    assert (l0.neurons, l0.synapses, l0.fan_in_max, l0.fan_out_max) == (3, 4, 2, 2)
    assert l0.fan_in_mean == pytest.approx(4 / 3) and l0.fan_out_mean == pytest.approx(1.0)
    assert (l0.weight_min, l0.weight_max) == (-32, 128)          # 64 x (-0.5, 2.0)
    assert (l0.delay_min, l0.delay_max) == (0, 5)
    assert 1 <= l0.loihi2_weight_bits <= 8
    assert (l1.neurons, l1.synapses, l1.fan_in_max, l1.fan_out_max) == (2, 3, 2, 2)
    assert l1.delay_max is None and l0.state_bits == 24 and l0.message_bits == 1
    places = {p.process: p.placement for p in r.processes}
    assert places["DelayDense synapses -> layer 0"] == "chip"
    assert places["Dense synapses -> layer 1"] == "chip"
    assert places["lava.proc.lif LIF (lava-dl netx CUBA), layer 1"] == "chip"
    assert r.estimate["cores"] == 2 and r.estimate["label"].startswith("ESTIMATE")
    assert r.verdict.startswith("fits stock Loihi 2 processes")


def _conv_net(path, pool: bool):
    """A lava-dl conv network exported by slayer's own blocks: conv (3x3, pad 1) -> pool or a
    strided conv -> flatten -> dense, on an 8x8 one-channel input."""
    from beamnet_lava._quiet import import_slayer

    slayer = import_slayer()
    p = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03, "requires_grad": False}
    torch.manual_seed(0)
    second = (slayer.block.cuba.Pool(p, 2, weight_scale=2) if pool
              else slayer.block.cuba.Conv(p, 4, 4, 3, stride=2, padding=1))
    blocks = [slayer.block.cuba.Conv(p, 1, 4, 3, padding=1), second,
              slayer.block.cuba.Flatten(), slayer.block.cuba.Dense(p, 4 * 4 * 4, 10)]
    x = torch.zeros(1, 1, 8, 8, 4)
    for b in blocks:
        x = b(x)
    with torch.no_grad():                # every kernel weight non-zero: counts are exact
        for b in (blocks[0], blocks[3]) + (() if pool else (blocks[1],)):
            b.synapse.weight.fill_(0.5)
    with h5py.File(path, "w") as f:
        layer = f.create_group("layer")
        for i, b in enumerate(blocks):
            b.export_hdf5(layer.create_group(str(i)))
    return path


def test_lava_dl_conv_networks(tmp_path):
    r = inspect_file(_conv_net(tmp_path / "conv.net", pool=False))
    conv, strided, flat, dense = r.layers
    # 3x3 kernel, padding 1 on 8x8: (2 + 3 * 6 + 2)^2 = 484 connections per channel pair
    assert (conv.neurons, conv.synapses, conv.fan_in_max, conv.fan_out_max) == (256, 4 * 484, 9, 36)
    # stride 2 over 8x8 with padding 1: 4x4 outputs per channel; rows 2+3+3+3 taps each way
    assert (strided.neurons, strided.synapses, strided.fan_in_max) == (64, 4 * 4 * 11 * 11, 36)
    assert (flat.kind, flat.neurons, flat.cores_estimate) == ("flatten", 0, 0)
    assert (dense.neurons, dense.fan_in_max) == (10, 64) and not r.failures
    assert [p.process for p in r.processes if p.process.startswith("Conv")] == \
        ["Conv synapses -> layer 0", "Conv synapses -> layer 1"]
    assert r.verdict.startswith("fits stock") and r.estimate["cores"] == 3
    pooled = inspect_file(_conv_net(tmp_path / "pool.net", pool=True))
    pool = pooled.layers[1]
    # 2x2 sum pool, stride 2, on 4 channels of 8x8: one tap per input neuron, 4 per output
    assert (pool.kind, pool.neurons, pool.synapses, pool.fan_in_max, pool.fan_out_max) == \
        ("pool", 64, 256, 4, 1)
    assert "Conv synapses (pool as a depthwise kernel) -> layer 1" in \
        [p.process for p in pooled.processes]
    assert not pooled.failures and pooled.verdict.startswith("fits stock")


def test_lava_dl_current_readout_is_a_chip_integrator():
    """lava-dl's bootstrap MNIST network ends in a dense layer without a neuron group, which
    netx builds as a non-leaky integrator whose currents are the output."""
    from tests_paths import REFERENCE_DIR

    path = REFERENCE_DIR / "lava-dl/tutorials/bootstrap_mnist_network.net"
    if not path.is_file():
        pytest.skip(f"{path} is absent (see ../shared/data/reference/README.md)")
    r = inspect_file(path)
    last = r.layers[-1]
    assert (last.kind, last.neuron_type, last.neurons) == ("dense", "CURRENT_READOUT", 10)
    assert not r.failures and last.cores_estimate == 1


def test_snn_family(tiny_net):
    with h5py.File(tiny_net) as f:
        ws = [np.asarray(f[f"layer/{i}/weight"][()]) for i in range(len(f["layer"]))]
    r = inspect_file(tiny_net)
    assert [l.neurons for l in r.layers] == [w.shape[0] for w in ws]
    assert [l.synapses for l in r.layers] == [int(np.count_nonzero(w)) for w in ws]
    assert [l.fan_in_max for l in r.layers] == [int((w != 0).sum(1).max()) for w in ws]
    assert [l.fan_out_max for l in r.layers] == [int((w != 0).sum(0).max()) for w in ws]
    assert r.family == "netx" and not r.failures


@pytest.fixture(scope="module")
def beamnet_file(beamnet30):
    return beamnet30 / "bn.net"


def test_beamnet_family(beamnet_file):
    from beamnet_lava.netx_export.beamnet_file import read_beamnet

    bf = read_beamnet(beamnet_file)
    r = inspect_file(beamnet_file)
    mem = r.layers[1]
    assert r.family == "beamnet" and r.layers[0].neurons == bf.input_size
    assert (mem.neurons, mem.synapses) == (30, int(np.count_nonzero(bf.weight)))
    assert (mem.delay_min, mem.delay_max) == (int(bf.delay.min()), int(bf.delay.max()))
    assert (mem.weight_min, mem.weight_max) == (int(bf.weight.min()), int(bf.weight.max()))
    places = {p.process: p.placement for p in r.processes}
    assert places["DelayDense synapses -> layer 1"] == "chip"
    assert places["beamnet_lava BayesLIF (Eq. 8-10, Prop. 3.3), layer 1"] == "microcode"
    assert places["DirichletReadout (Eq. 12-15)"] == "host"
    assert not r.failures and r.verdict.startswith("needs INRC microcode")


def test_brf_family(rf8):
    from beamnet_lava.netx_export.brf_file import read_brf

    net = read_brf(rf8 / "seq.net")
    r = inspect_file(rf8 / "seq.net")
    hid, out = r.layers[1], r.layers[2]
    (w, _), (w_rec, _), (w_out, _) = (net.layers[k] for k in ("weight", "weight_rec", "weight_out"))
    assert r.family == "brf" and hid.neurons == 8 and out.neurons == 10
    assert hid.recurrent_synapses == int(np.count_nonzero(w_rec))
    assert hid.synapses == int(np.count_nonzero(w) + np.count_nonzero(w_rec))
    assert hid.fan_in_max == int(((w != 0).sum(1) + (w_rec != 0).sum(1)).max())
    assert (hid.weight_min, hid.weight_max) == (int(min(w.min(), w_rec.min())), int(max(w.max(), w_rec.max())))
    assert out.synapses == int(np.count_nonzero(w_out))
    assert hid.message_bits == 8 and hid.state_bits == 32
    places = {p.process: p.placement for p in r.processes}
    assert places["beamnet_lava BRF (vanilla resonate-and-fire), layer 1"] == "microcode"
    assert places["beamnet_lava LeakyReadout, layer 2"] == "host"


@pytest.mark.parametrize("key, value, message", [
    ("layer/0/delay", np.array([63.0, 0.0, 0.0]), r"delays 0\.\.63 are outside 0\.\.62; NetX would clamp"),
    ("layer/0/weight", np.array([[300.0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]),
     r"weight mantissas 0\.\.300 exceed the 8-bit range -256\.\.255"),
    ("layer/0/neuron/iDecay", 5000, r"iDecay=5000 is not a 12-bit decay"),
    ("layer/0/neuron/vThMant", 1 << 17, r"vThMant=131072 exceeds the unsigned 17-bit threshold"),
    ("layer/0/bias", np.array([5000.0, 0.0, 0.0]), r"bias 0\.\.5000 exceeds the signed 13-bit"),
    ("layer/0/neuron/type", b"MYSTERY", r"neuron type 'MYSTERY' has no known Loihi 2 model"),
])
def test_each_hard_limit_has_its_message_and_fix(stock_file, tmp_path, key, value, message):
    def edit(f):
        if key in f:
            del f[key]
        f[key] = value
    r = inspect_file(edited_copy(stock_file, tmp_path, edit))
    assert len(r.failures) == 1, r.failures
    assert r.failures[0].where == "layer 0" and r.failures[0].fix
    assert re.search(message, r.failures[0].problem), r.failures[0].problem
    assert r.verdict.startswith("does not fit")


def test_cli_inspect_json_and_errors(stock_file, tmp_path):
    import json

    from typer.testing import CliRunner

    from beamnet_lava.cli import app

    res = CliRunner().invoke(app, ["inspect", str(stock_file), "--json", str(tmp_path / "fit.json")])
    assert res.exit_code == 0, res.output
    assert "ESTIMATE" in res.output and "DelayDense" in res.output
    data = json.loads((tmp_path / "fit.json").read_text())
    assert data["layers"][0]["synapses"] == 4 and data["limits"][0]["name"] == "max_delay"
    res = CliRunner().invoke(app, ["inspect", str(tmp_path / "nope.net")])
    assert res.exit_code == 1 and "no such file" in res.output


def test_lava_dl_affine_readout_is_named_as_such(tmp_path):
    """slayer's cuba.Affine exports vThMant 2**18 - 1 (never fires): inspect says what it is."""
    from helpers import lava_dl_affine_file

    r = inspect_file(lava_dl_affine_file(tmp_path / "affine.net", 6, 4, 3))
    assert [f.where for f in r.failures] == ["layer 1"]
    assert "lava-dl Affine layer" in r.failures[0].problem and "cuba.Dense" in r.failures[0].fix
