"""Lanes (samples side by side in one Lava step) change speed, never results, in every family.

Lane counts that do not divide the sample count (7 samples in lanes of 3: two full
groups and one padded) check that padding lanes and group boundaries leak nothing.
"""
import numpy as np
import pytest
from typer.testing import CliRunner

from beamnet_lava.cli import app
from beamnet_lava.data import load_split
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export.netx_file import read_netx
from beamnet_lava.sim_cpu.dataset_run import run_dataset
from beamnet_lava.sim_cpu.snn_run import run_snn
from beamnet_lava.sim_cpu.lanes import (AUTO, BYTES_PER_NEURON, choose_lanes, pack, parse_lanes,
                                        unpack)
from test_lava_run import _stock_file


def test_parse_lanes():
    assert parse_lanes("auto") == parse_lanes(" AUTO ") == AUTO
    assert parse_lanes("3") == parse_lanes(3) == 3
    for bad in ("x", "0", -2, "1.5"):
        with pytest.raises(BeamnetError, match="--lanes"):
            parse_lanes(bad)


def test_auto_takes_every_sample_unless_memory_bounds_it():
    assert choose_lanes(AUTO, 7, 100) == 7
    assert choose_lanes(16, 7, 100) == 7 and choose_lanes(3, 7, 100) == 3
    # room for 4 lanes: 10 samples need 3 groups, filled evenly (4, 4, 2 -> lanes 4)
    assert choose_lanes(AUTO, 10, 1, budget=4 * BYTES_PER_NEURON) == 4
    # room for 6: 2 groups of 5 rather than 6 + 4
    assert choose_lanes(AUTO, 10, 1, budget=6 * BYTES_PER_NEURON) == 5
    assert choose_lanes(AUTO, 10, 10 ** 9) == 1                      # never below one lane


def test_pack_round_trip():
    x = np.arange(7 * 2 * 3).reshape(7, 2, 3)
    packed = pack(x, 3)
    assert packed.shape == (3, 6, 3) and not packed[2, 2:].any()      # last group padded
    np.testing.assert_array_equal(packed[1, 2:4], x[4])                # lane-major
    np.testing.assert_array_equal(unpack(packed, 3, 7), x)


def _spikes(net, n):
    data = load_split("digits", seed=int(net.attrs.get("seed", 0)), options=net.attrs)
    return data.spikes("test", int(net.attrs["time_steps"]), n)


def _layers(net, spikes, window, precision, lanes):
    _, result, used = run_snn(net, spikes, window, precision=precision, lanes=lanes, progress=False)
    return result.layers, used


@pytest.mark.parametrize("precision", ["fixed", pytest.param("float", marks=pytest.mark.slow)])
def test_snn_spike_trains_identical_in_any_lane_count(tiny_net, precision):
    net = read_netx(tiny_net)
    window = int(net.attrs["time_steps"])
    spikes = _spikes(net, 7)
    one, _ = _layers(net, spikes, window, precision, 1)
    assert sum(int(l.sum()) for l in one) > 0
    for lanes in (3, AUTO):
        laned, used = _layers(net, spikes, window, precision, lanes)
        assert used == (3 if lanes == 3 else 7)
        for a, b in zip(one, laned):
            np.testing.assert_array_equal(a, b)


def test_snn_run_defaults_to_auto_lanes_with_parity(tiny_net):
    report = run_dataset(tiny_net, "digits", 7, progress=False)
    assert report["lanes"] == 7
    assert report["parity"] == 1.0 and report["prediction_agreement"] == 1.0
    assert all(v == 1.0 for v in report["layer_parity"].values())


@pytest.mark.slow  # end to end; fixed-point lanes stay fast
def test_stock_netx_file_in_lanes(tmp_path):
    """A file lava-dl's slayer blocks wrote (its own weight scaling and exponents)."""
    path = _stock_file(tmp_path / "stock.net", with_input_layer=False)
    net = read_netx(path)
    spikes = load_split("digits", seed=0).spikes("test", 10, 7)
    one, _ = _layers(net, spikes, 10, "fixed", 1)
    three, _ = _layers(net, spikes, 10, "fixed", 3)
    assert int(one[0].sum()) > 0
    for a, b in zip(one, three):
        np.testing.assert_array_equal(a, b)
    report = run_dataset(path, "digits", 7, time_steps=10, lanes=3, progress=False)
    assert report["parity"] == 1.0


@pytest.fixture(scope="module", params=[pytest.param("brf32", marks=pytest.mark.slow),
                                        pytest.param("rf8", marks=pytest.mark.slow)])
def seq_net(request):
    """A BRF and an RF network (the shared session runs); slow: the SNN's and BEAM-Net's lane
    tests above are the fast ones."""
    return request.getfixturevalue(request.param) / "seq.net"


def test_recurrent_networks_identical_in_any_lane_count(seq_net):
    # 5 samples of 64 steps: lanes 3 packs them 3 + 2 (a partial last pack), auto all 5
    one = run_dataset(seq_net, "digits-seq", 5, lanes=1, progress=False)
    assert one["lanes"] == 1 and one["spikes"]["layer0"] > 0
    for lanes in (3, AUTO):
        laned = run_dataset(seq_net, "digits-seq", 5, lanes=lanes, progress=False)
        assert laned["lanes"] == (3 if lanes == 3 else 5)
        # identical hidden spike trains to the fixed-point forward, as one lane is
        assert laned["layer_parity"] == one["layer_parity"] == {"layer0": 1.0, "layer1": 1.0}
        assert laned["predictions"] == one["predictions"]
        assert laned["spikes"] == one["spikes"] and laned["spike_bit_agreement"] == 1.0


@pytest.mark.slow  # end to end; fixed-point lanes stay fast
def test_recurrent_float_identical_in_any_lane_count(seq_net):
    one = run_dataset(seq_net, "digits-seq", 5, precision="float", lanes=1, progress=False)
    three = run_dataset(seq_net, "digits-seq", 5, precision="float", lanes=3, progress=False)
    assert one["predictions"] == three["predictions"] and one["spikes"] == three["spikes"]


@pytest.mark.slow   # the CLI spelling of the lanes tests above
def test_cli_lanes_option(tiny_net):
    runner = CliRunner()
    r = runner.invoke(app, ["run", str(tiny_net), "--samples", "5", "--lanes", "x"])
    assert r.exit_code == 1 and "must be a positive integer or 'auto'" in r.output
    r = runner.invoke(app, ["run", str(tiny_net), "--samples", "5", "--lanes", "2", "--json", "-"])
    assert r.exit_code == 0 and '"lanes": 2' in r.output


@pytest.fixture(scope="module")
def bn_file(beamnet30):
    return beamnet30 / "bn.net"


def test_beamnet_defaults_to_auto_lanes_with_parity(bn_file):
    # spike parity 1.0: every lane's memory spikes are the training model's (the same
    # network in 1 and 3 lanes, compared directly: test_beamnet_lava.py, slow)
    report = run_dataset(bn_file, "digits", 7, progress=False)
    assert report["lanes"] == 7 and report["parity"] == 1.0 and report["prediction_agreement"] == 1.0


def test_recorded_stream_counts_what_the_process_counted(bn_file):
    """The memory-spike count read from the recorded stream equals the BayesLIF
    process's own per-neuron spike_count (read the slow way, Var.get, here)."""
    from beamnet_lava.data import times_to_raster
    from beamnet_lava.models.beamnet import encoder_intensity
    from beamnet_lava.netx_export.beamnet_file import read_beamnet
    from beamnet_lava.sim_cpu.beamnet_run import BeamnetSpec
    from beamnet_lava.sim_cpu.runner import LavaNetwork

    bf = read_beamnet(bn_file)
    cfg = bf.config
    x = load_split("digits", seed=cfg.seed, split=cfg.split).part("test")[0][:5]
    raster = times_to_raster(bf.to_model().encode_times(encoder_intensity(x, cfg)), cfg.time_steps)
    spec = BeamnetSpec(bf, key_base=0, lanes=2)
    with LavaNetwork(spec, cfg.time_steps) as lava:
        result = lava.run(pack(raster, 2))
        counted = int(spec.neurons.spike_count.get().sum())
    assert result.stream_spikes[0] == counted > 0
