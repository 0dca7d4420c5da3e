"""The stock-process BEAM-Net variant (``export --target loihi2``): Lava vs its training-side
model spike for spike, the inhibition's 8-bit encoding, inspect's verdict, refusals."""
import re
import shutil

import numpy as np
import pytest

from beamnet_lava.deploy.fit import inspect_file
from beamnet_lava.deploy.stock_beamnet import export_stock
from beamnet_lava.netx_export.stock_file import _inhibition, read_stock
from beamnet_lava.sim_cpu.stock_run import run_stock_dataset
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export.beamnet_file import read_beamnet


@pytest.fixture(scope="module")
def stock(beamnet30, tmp_path_factory):
    """A copy of the shared BEAM-Net run (``run``, ``exact.net``) and its stock variant ``stock.net``."""
    root = tmp_path_factory.mktemp("stock")
    shutil.copytree(beamnet30 / "run", root / "run")
    shutil.copy(beamnet30 / "bn.net", root / "exact.net")
    export_stock(root / "run", root / "stock.net")
    return root


def test_inhibition_is_an_even_8_bit_mantissa_with_exponent():
    w, exp = _inhibition(786432, 4)           # w_inh = 3 theta_0, theta_0 = 4096 << 6
    assert exp == 6 and (np.diag(w) == 0).all()
    assert set(np.unique(w[~np.eye(4, dtype=bool)])) == {-192}   # 192 << 6 << 6 == 786432
    assert (192 << exp) << 6 == 786432


def test_variant_keeps_the_exact_models_synapses(stock):
    bf, sb = read_beamnet(stock / "exact.net"), read_stock(stock / "stock.net")
    assert (sb.weight == bf.weight).all() and (sb.delay == bf.delay).all()
    assert sb.du == bf.params.du - 1 and sb.dv == bf.params.dv          # lava adds ds_offset=1 to du
    assert sb.vth << 6 == bf.params.theta and sb.window == bf.config.time_steps + bf.delay.max() + 2


def test_lava_matches_the_training_side_model_spike_for_spike(stock):
    r = run_stock_dataset(stock / "stock.net", "digits", 12, progress=False, chunk_samples=6)
    assert r["model"] == "beamnet-stock" and r["spikes"]["memory"] > 0
    assert r["parity"] == 1.0 and r["prediction_agreement"] == 1.0
    assert r["accuracy"] == r["reference_accuracy"] and 0.0 <= r["ece"] <= 1.0


@pytest.mark.slow
def test_run_dataset_runs_a_stock_file_from_a_fresh_python_without_cli_or_deploy(stock):
    """The stock variant's ``lava_run`` lives in sim_cpu (stock_run.py), loaded by the registry
    from sim_cpu's providers: a Python caller of ``run_dataset`` imports no deploy module."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json, sys\n"
            "from beamnet_lava.sim_cpu.dataset_run import run_dataset\n"
            "assert not any(m == 'beamnet_lava.cli' or m.startswith('beamnet_lava.deploy') "
            "for m in sys.modules), sorted(m for m in sys.modules if 'deploy' in m or 'cli' in m)\n"
            f"r = run_dataset({str(stock / 'stock.net')!r}, 'digits', 4, progress=False)\n"
            "print(json.dumps([r.model, r.n_samples, r.spike_parity, r.spikes['memory']]))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=600, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    model, n, parity, spikes = __import__("json").loads(res.stdout.strip().splitlines()[-1])
    assert (model, n, parity) == ("beamnet-stock", 4, 1.0) and spikes > 0


def test_inspect_says_it_fits_stock_processes(stock):
    r = inspect_file(stock / "stock.net")
    assert r.family == "beamnet-stock" and not r.failures
    places = {p.process: p.placement for p in r.processes}
    assert places["DelayDense synapses -> layer 1"] == "chip"
    assert places["recurrent Dense of layer 1"] == "chip"
    assert places["lava.proc.lif LIF (lava-dl netx CUBA), layer 1"] == "chip"
    assert places["Dirichlet readout of memory spike counts (Eq. 12-15)"] == "host"
    assert r.layers[1].recurrent_synapses == 30 * 29 and r.verdict.startswith("fits stock")


def test_refusals(stock, tiny_run, tmp_path):
    from typer.testing import CliRunner

    from beamnet_lava.cli import app
    from beamnet_lava.deploy.bundle import write_bundle

    res = CliRunner().invoke(app, ["export", str(tiny_run), "-o", str(tmp_path / "x.net"),
                                   "--target", "loihi2"])
    assert res.exit_code == 1 and "stock already" in res.output
    with pytest.raises(BeamnetError, match="already exists"):
        export_stock(stock / "run", stock / "stock.net")
    with pytest.raises(BeamnetError, match="needs INRC-only microcode"):
        write_bundle(stock / "exact.net", tmp_path / "job", samples=2)


def _crafted(src, dst, key, value):
    import shutil

    import h5py

    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        if key.startswith("@"):
            f.attrs[key[1:]] = value
        elif key.startswith("beamnet_stock@"):
            f["beamnet_stock"].attrs[key.split("@")[1]] = value
        else:
            del f[key]
            if value is not None:
                f[key] = value
    return dst


@pytest.mark.parametrize("key, value, message", [
    ("layer/1/weight", np.full((30, 64), 300), "outside the 8-bit range"),
    ("layer/1/weight", np.full((30, 64), np.nan), "NaN or infinite"),
    ("layer/1/delay", np.full((30, 64), 63), "beyond Loihi's limit"),
    ("layer/1/delay", np.zeros((30, 5), dtype=int), "shapes disagree"),
    ("layer/1/weight_rec", np.full((30, 30), 3), "not an 8-bit mantissa"),
    ("layer/1/weight_rec_exp", 9, "outside lava Dense's 0..7"),
    ("layer/1/neuron/iDecay", 4096, "iDecay=4096 is outside 0..4095"),
    ("layer/1/neuron/vThMant", 0, "vThMant=0 is outside"),
    ("layer/1/neuron/vDecay", 1.5, "fractional"),
    ("beamnet_stock/readout/logits", np.zeros((10, 7)), "expected (classes, 30)"),
    ("beamnet_stock/readout/alpha_0", -1.0, "must be > 0"),
    ("beamnet_stock/readout/eta", None, "missing beamnet_stock/readout/eta"),
    ("beamnet_stock@config_json", "{not json", "not valid JSON"),
    ("beamnet_stock@config_json", '{"model": "ann"}', "not a BEAM-Net one"),
    ("@time_steps", 7, "padded window"),
])
def test_crafted_stock_files_are_refused_before_lava(stock, tmp_path, key, value, message):
    from typer.testing import CliRunner

    from beamnet_lava.cli import app

    bad = _crafted(stock / "stock.net", tmp_path / "bad.net", key, value)
    with pytest.raises(BeamnetError, match=re.escape(message)):
        read_stock(bad)
    res = CliRunner().invoke(app, ["run", str(bad), "--samples", "2"])
    assert res.exit_code == 1 and message in res.output and "Traceback" not in res.output


@pytest.mark.slow
def test_stock_bundle_runs_and_reproduces_on_the_cpu(stock, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from beamnet_lava.deploy.bundle import write_bundle
    from beamnet_lava.deploy.ingest import ingest

    meta = write_bundle(stock / "stock.net", tmp_path / "job", samples=6)
    assert meta["graph"] == "stock_beamnet" and (tmp_path / "job/readout.npz").exists()
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
           "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "run_loihi2.py"], cwd=tmp_path / "job", env=env,
                         check=False, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    r = json.loads((tmp_path / "job/results.json").read_text())
    assert r["agreement"]["spike_trains"] == 1.0
    assert r["accuracy"] == r["expected_accuracy"] == meta["expected"]["accuracy"]
    classes = {p["class"] for p in r["placements"]}
    assert {"DelayDense", "LIFReset", "Dense"} <= classes
    m = ingest(tmp_path / "job/results.json", tmp_path / "rec")
    assert m["accuracy"] == r["accuracy"]
