"""Real Lava runs of exported networks (small, so the fast suite stays fast)."""
import h5py
import numpy as np
import pytest

from beamnet_lava.data import load_split, rate_encode
from beamnet_lava.errors import BeamnetError, LavaRunError
from beamnet_lava.sim_cpu import LavaNetwork
from beamnet_lava.sim_cpu.dataset_run import run_dataset


def test_tiny_end_to_end_parity(tiny_net):
    report = run_dataset(tiny_net, "digits", 6, progress=False, chunk_samples=4)
    assert report["n_samples"] == 6
    assert report["parity"] == 1.0
    assert report["layer_parity"] == {"layer0": 1.0, "layer1": 1.0}
    assert report["prediction_agreement"] == 1.0
    assert report["accuracy"] == report["reference_accuracy"]
    assert report["spikes"]["layer0"] > 0
    assert report["samples_per_s"] > 0 and report["steps_per_s"] > 0


@pytest.mark.slow
def test_streaming_matches_one_sample_at_a_time(tiny_net):
    """Four Lava networks (slow); the fast suite checks streaming through spike parity with the
    training model on samples across chunk boundaries (test_tiny_end_to_end_parity)."""
    x = load_split("digits", seed=3).x_test[:3]
    spikes = rate_encode(x, 8)
    with LavaNetwork(tiny_net, 8, chunk_samples=2) as lava:
        streamed = lava.run(spikes).output
    for k in range(3):
        with LavaNetwork(tiny_net, 8) as lava:
            single = lava.run(spikes[k:k + 1]).output
        assert np.array_equal(single[0], streamed[k])


def test_float_precision_runs(tiny_net):
    report = run_dataset(tiny_net, "digits", 4, precision="float", progress=False)
    assert report["precision"] == "float" and report["spikes"]["layer0"] > 0
    # lava's float LIF on the converted parameters; a silent or wrong network scores ~0
    assert report["parity"] >= 0.75 and report["prediction_agreement"] >= 0.75


def _stock_file(path, with_input_layer):
    """A NetX file written by lava-dl's own slayer blocks, not by beamnet-lava."""
    import torch
    from beamnet_lava._quiet import import_slayer

    slayer = import_slayer()
    torch.manual_seed(0)
    params = {"threshold": 0.5, "current_decay": 0.5, "voltage_decay": 0.1}
    blocks = [slayer.block.cuba.Dense(params, 64, 12, weight_scale=4, delay_shift=False),
              slayer.block.cuba.Dense(params, 12, 10, weight_scale=4, delay_shift=False)]
    for b, n in zip(blocks, (12, 10)):
        b.neuron.shape = torch.Size([n])
    with h5py.File(path, "w") as f:
        layer = f.create_group("layer")
        offset = 0
        if with_input_layer:
            g = layer.create_group("0")
            g.create_dataset("type", data=[b"input"])
            g.create_dataset("shape", data=np.array([64]))
            for k, v in {"type": b"CUBA", "vThMant": 0, "iDecay": 4096, "vDecay": 4096}.items():
                g.create_dataset(f"neuron/{k}", data=[v] if k == "type" else v)
            offset = 1
        for i, b in enumerate(blocks):
            b.export_hdf5(layer.create_group(f"{i + offset}"))
    return path


def test_stock_netx_file_runs_with_parity(tmp_path):
    path = _stock_file(tmp_path / "stock.net", with_input_layer=False)
    with pytest.raises(BeamnetError, match="--time-steps"):
        run_dataset(path, "digits", 2, progress=False)
    report = run_dataset(path, "digits", 5, time_steps=10, progress=False)
    assert report["parity"] == 1.0 and report["spikes"]["layer0"] > 0


def test_stock_netx_file_with_input_layer_runs_in_fixed_point(tmp_path):
    """lava-dl 0.6's netx Input block does not compile for the CPU in fixed point; the lava-dl
    path (docs/lavadl.md) builds the input neurons as a stock LIFReset instead."""
    path = _stock_file(tmp_path / "stock_in.net", with_input_layer=True)
    report = run_dataset(path, "digits", 3, time_steps=10, progress=False)
    assert report["model"] == "lavadl" and report["parity"] is None and "input" in report["parity_note"]
    assert report["spikes"]["layer0"] > 0 and set(report["spikes"]) == {"layer0", "layer1", "layer2"}


@pytest.mark.slow   # a float Lava run of the same file
def test_stock_netx_file_with_input_layer_runs_in_float(tmp_path):
    path = _stock_file(tmp_path / "stock_in.net", with_input_layer=True)
    report = run_dataset(path, "digits", 3, time_steps=10, precision="float", progress=False)
    assert report["parity"] is None and "input" in report["parity_note"]
    assert report["spikes"]["layer0"] > 0 and set(report["spikes"]) == {"layer0", "layer1", "layer2"}


def test_bad_requests(tiny_net):
    with pytest.raises(BeamnetError, match="outside 1..360"):
        run_dataset(tiny_net, "digits", 10_000, progress=False)
    with pytest.raises(BeamnetError, match="lava-loihi"):
        run_dataset(tiny_net, "digits", 2, backend="loihi2", progress=False)
    with pytest.raises(BeamnetError, match="unknown dataset"):
        run_dataset(tiny_net, "cifar", 2, progress=False)
    with LavaNetwork(tiny_net, 8) as lava:
        with pytest.raises(BeamnetError, match=r"\(samples, 64, 8\)"):
            lava.run(np.zeros((2, 64, 9)))


def test_watchdog_reports_a_failing_process_model_quickly():
    import time

    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc import io
    from lava_failing import Explode

    from beamnet_lava.sim_cpu import watchdog

    src = io.source.RingBuffer(data=np.ones((3, 10), dtype=np.int32))
    bad = Explode(shape=(3,), at=3)
    src.s_out.connect(bad.a_in)
    watchdog.guarded(lambda: src.create_runtime(run_cfg=Loihi2SimCfg(select_tag="fixed_pt")),
                     lambda: src.runtime, 60, "compilation")
    t0 = time.monotonic()
    with pytest.raises(LavaRunError, match="deliberate failure at step 3"):
        watchdog.guarded(lambda: src.run(condition=RunSteps(num_steps=50)),
                         lambda: src.runtime, 60, "run")
    assert time.monotonic() - t0 < 15      # seconds, not a hang (grace for the traceback: 3 s)
    assert not any(a.is_alive() for a in src.runtime._messaging_infrastructure.actors
                   if not getattr(a, "_closed", False))


def test_lava_dl_affine_readout_is_refused_with_the_reason(tmp_path):
    """slayer's cuba.Affine block (a non-spiking readout) exports vThMant 2**18 - 1; it has no
    output spikes to read predictions from: one line naming the layer and the fix."""
    from helpers import lava_dl_affine_file
    from typer.testing import CliRunner

    from beamnet_lava.cli import app

    path = lava_dl_affine_file(tmp_path / "affine.net", 64, 16, 10)
    with pytest.raises(BeamnetError, match=r"layer 1 is a lava-dl Affine layer .*cuba\.Dense"):
        run_dataset(path, "digits", 2, progress=False)
    res = CliRunner().invoke(app, ["run", str(path), "--samples", "2"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.count("\n") == 1 and "lava-dl Affine layer" in res.output


# -- run FILE --workers N: the Lava simulation's samples in shards (sim_cpu/shards.py) -------------

TIMINGS = {"run_seconds", "compile_seconds", "reference_seconds", "steps", "steps_per_s",
           "samples_per_s", "lanes"}


def _same_report(one, other) -> None:
    a, b = one.to_dict(), other.to_dict()
    assert a.keys() == b.keys()
    for key in a.keys() - TIMINGS:
        assert a[key] == b[key], key


def test_sharded_dataset_run_equals_one_process(tiny_net):
    """Three shards (computed one after another by the in-process mapper, real Lava runs each)
    merge into the report of one run: every count, prediction, parity and energy figure."""
    from beamnet_lava.sim_cpu import shards

    one = run_dataset(tiny_net, samples=7, progress=False, lanes=1)
    calls = []

    def mapper(fn, args):
        calls.append([len(a[2]) for a in args])
        return shards.serial(fn, args)

    three = run_dataset(tiny_net, samples=7, progress=False, lanes=1, workers=3, mapper=mapper)
    assert calls == [[3, 2, 2]]                  # contiguous blocks in sample order
    _same_report(one, three)
    assert one.spike_parity == 1.0 and sum(one.spikes.values()) > 0


def test_sharding_refusals(tiny_net, beamnet30, tmp_path):
    import nir
    from beamnet_lava.nir.bridge import import_nir
    from test_nir import _recurrent_graph

    with pytest.raises(BeamnetError, match="--workers 0 must be >= 1"):
        run_dataset(tiny_net, samples=2, progress=False, workers=0)
    with pytest.raises(BeamnetError, match="--workers does not apply to .* a beamnet file"):
        run_dataset(beamnet30 / "bn.net", samples=2, progress=False, workers=2)
    from beamnet_lava.evaluation.evaluate import evaluate_file

    with pytest.raises(BeamnetError, match="--workers does not apply to .* a beamnet file"):
        evaluate_file(beamnet30 / "bn.net", ood=None, samples=2, out=tmp_path / "ev", workers=2)
    nir.write(tmp_path / "rec.nir", _recurrent_graph())
    import_nir(tmp_path / "rec.nir", tmp_path / "rec.net")
    with pytest.raises(BeamnetError, match="stream back to back through recurrent or delayed"):
        run_dataset(tmp_path / "rec.net", samples=2, progress=False, workers=2, time_steps=4)


@pytest.mark.slow
def test_run_workers_over_ray_is_identical_to_one_process(tiny_net, tmp_path):
    """`run FILE --workers 2` on an embedded Ray: the JSON report of one process."""
    import json

    from typer.testing import CliRunner

    from beamnet_lava.cli import app

    outs = []
    for extra in ([], ["--workers", "2"]):
        out = tmp_path / f"r{len(extra)}.json"
        r = CliRunner().invoke(app, ["run", str(tiny_net), "--samples", "9", "--lanes", "1",
                                     "--json", str(out), *extra])
        assert r.exit_code == 0, r.output
        outs.append(json.loads(out.read_text()))
    one, two = outs
    assert {k for k in one if one[k] != two[k]} <= TIMINGS
    assert len(two["predictions"]) == 9 and two["parity"] == 1.0
