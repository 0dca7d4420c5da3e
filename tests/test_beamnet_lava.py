"""BEAM-Net export -> load -> Lava run round trip, and the extension's bad-input errors."""
import numpy as np
import pytest

from beamnet_lava.errors import BeamnetError
from helpers import edited_copy
from beamnet_lava.netx_export.beamnet_file import read_beamnet
from beamnet_lava.sim_cpu.dataset_run import run_dataset


@pytest.fixture(scope="module")
def bn_file(beamnet30):
    return beamnet30 / "bn.net"


def test_round_trip_parity_on_lava(bn_file):
    report = run_dataset(bn_file, "digits", 10, progress=False, chunk_samples=4)
    assert report["model"] == "beamnet" and report["n_samples"] == 10
    assert report["spikes"]["memory"] > 0
    assert report["parity"] == 1.0                      # identical memory spike trains
    assert report["prediction_agreement"] == 1.0
    assert report["max_uncertainty_difference"] < 1e-9        # float tolerance
    assert report["readout_process_max_difference"] < 1e-6   # Lava readout vs training readout
    assert all(s["aleatoric"] >= 0 and s["epistemic"] >= 0 for s in report["samples"])


def test_floating_pt_runs(bn_file):
    report = run_dataset(bn_file, "digits", 4, precision="float", progress=False)
    assert report["precision"] == "float"
    assert all(s["memory_spikes"] > 0 for s in report["samples"])    # the float model is not silent
    # bayes_lif.step_float vs the training model's integer step: flooring rarely moves a spike
    assert report["parity"] >= 0.75 and report["prediction_agreement"] >= 0.75


def test_stock_lava_dl_refuses_rather_than_misloads(bn_file):
    from beamnet_lava._quiet import import_slayer

    import_slayer()
    from lava.lib.dl.netx import hdf5

    # lava-dl 0.6 finds no neuron model for BEAMNET_BAYES_LIF (its neuron parameters are
    # None) and stops there, instead of building a CUBA layer with the wrong dynamics
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'pop'"):
        hdf5.Network(net_config=str(bn_file))


@pytest.mark.parametrize("edit, needle", [
    (lambda f: f["beamnet"].attrs.__setitem__("extension_version", 99), "version 99"),
    (lambda f: f["beamnet/bayes_lif"].__delitem__("seed"), "noise seed"),
    (lambda f: f.__delitem__("beamnet/topdown"), "missing beamnet/topdown/patterns"),
    (lambda f: (f["layer/1"].__delitem__("delay"),
                f["layer/1"].create_dataset("delay", data=np.full((30, 64), 70))), "beyond Loihi"),
    (lambda f: (f["beamnet"].__delitem__("pattern_class"),
                f["beamnet"].create_dataset("pattern_class", data=np.zeros(7))), "inconsistent"),
])
def test_bad_extension_files(bn_file, tmp_path, edit, needle):
    with pytest.raises(BeamnetError, match=needle):
        read_beamnet(edited_copy(bn_file, tmp_path, edit))


@pytest.mark.slow   # test_lanes.py's BEAM-Net lanes test (parity 1.0 with auto lanes) is the fast one
def test_lanes_change_speed_not_results(bn_file):
    one = run_dataset(bn_file, "digits", 7, lanes=1, progress=False)
    three = run_dataset(bn_file, "digits", 7, lanes=3, progress=False)   # 7 = 2 full groups + 1
    assert one["parity"] == three["parity"] == 1.0
    assert one["predictions"] == three["predictions"]
    assert [s["memory_spikes"] for s in one["samples"]] == [s["memory_spikes"] for s in three["samples"]]


@pytest.mark.slow  # three Lava windows per sample
def test_top_down_loop_on_lava_matches_the_training_model(bn_file):
    report = run_dataset(bn_file, "digits", 12, lanes=4, bidirectional=True, progress=False)
    assert report["bidirectional"] is True
    assert report["parity"] == 1.0                      # spike trains and windows used
    assert report["prediction_agreement"] == 1.0
    assert 1.0 <= report["windows_mean"] <= 3.0
    assert sum(report["windows_histogram"]) == 12


@pytest.fixture(scope="module")
def lanes4_report(bn_file):
    """6 samples in packs of 4 lanes (4 + a partial 2), shared by the counter and energy tests."""
    return run_dataset(bn_file, "digits", 6, lanes=4, progress=False)


def test_process_counters_agree_with_the_spikes(lanes4_report):
    report = lanes4_report
    lava = report["lava_counters"]
    assert lava["synaptic_events"] == report["synaptic_events"]["memory"] > 0
    assert lava["memory_spikes"] >= report["spikes"]["memory"]
    # every neuron of every lane, every step from the first arrival to the end of the run
    assert lava["neuron_updates"] == 4 * 30 * (report["steps"] - 1)


def test_energy_per_inference_comes_from_the_run(lanes4_report):
    report = lanes4_report
    e = report["energy_per_inference"]
    assert e["activity"]["synaptic_events"] == report["synaptic_events"]["memory"] / 6
    assert e["eq25_nJ"]["total"] > 0 and e["breakdown_nJ"]["total"] > 0
    assert "Davies" in e["constants_source"]


def test_bad_run_requests(bn_file):
    with pytest.raises(BeamnetError, match="--lanes 0 must be a whole number >= 1"):
        run_dataset(bn_file, "digits", 3, lanes=0, progress=False)
    with pytest.raises(BeamnetError, match="outside 1..360"):
        run_dataset(bn_file, "digits", 1000, progress=False)
