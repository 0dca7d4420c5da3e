"""``bundle``: the job folder's run_loihi2.py on the CPU (exact expected outputs) and its
hardware branch against test doubles of lava-loihi (tests/loihi2_doubles, that run only)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from beamnet_lava.deploy.bundle import write_bundle
from beamnet_lava.errors import BeamnetError

ROOT = Path(__file__).resolve().parents[1]
DOUBLES = Path(__file__).parent / "loihi2_doubles"
TEMPLATES = ROOT / "beamnet_lava" / "deploy" / "templates"   # run_loihi2.py, as bundled


def _script_module():
    spec = importlib.util.spec_from_file_location("run_loihi2", TEMPLATES / "run_loihi2.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bundle_dir(tiny_net, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "job"
    meta = write_bundle(tiny_net, out, samples=5)
    assert meta["n_samples"] == 5 and meta["untested_on_hardware"]
    return out


def _run(bundle: Path, extra_env: dict, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})   # ROOT: the 3.11 lava shim only
    env.update(extra_env)
    return subprocess.run([sys.executable, "run_loihi2.py", *args], cwd=bundle, env=env,
                          check=False, capture_output=True, text=True, timeout=600)


def test_bundle_contents(bundle_dir, tiny_net):
    names = {p.name for p in bundle_dir.iterdir()}
    assert {"network.net", "inputs.npy", "labels.npy", "expected_output_spikes.npy", "bundle.json",
            "run_loihi2.py", "placement.py", "job.slurm", "requirements.txt", "README.md"} <= names
    assert (bundle_dir / "network.net").read_bytes() == Path(tiny_net).read_bytes()
    x, e = np.load(bundle_dir / "inputs.npy"), np.load(bundle_dir / "expected_output_spikes.npy")
    assert x.shape[0] == e.shape[0] == 5 and x.dtype == np.uint8 and set(np.unique(x)) <= {0, 1}
    assert "lava-nc==0.10.0" in (bundle_dir / "requirements.txt").read_text()
    assert "run_loihi2.py" in (bundle_dir / "job.slurm").read_text()
    readme = (bundle_dir / "README.md").read_text()
    assert "NOT tested" in readme and "lava-loihi" in readme


def test_bundle_refuses_microcode_and_non_empty_folders(bundle_dir, tiny_net, tmp_path):
    with pytest.raises(BeamnetError, match="not empty"):
        write_bundle(tiny_net, bundle_dir, samples=2)
    import shutil

    import h5py
    bn = tmp_path / "fake_bn.net"
    shutil.copy(tiny_net, bn)
    with h5py.File(bn, "r+") as f:
        del f["layer/0/neuron/type"]
        f["layer/0/neuron/type"] = [b"BEAMNET_BAYES_LIF"]
    with pytest.raises(BeamnetError, match="needs INRC-only microcode"):
        write_bundle(bn, tmp_path / "job", samples=2)
    assert not (tmp_path / "job").exists()


@pytest.mark.slow
def test_cpu_branch_reproduces_expected_outputs_exactly(bundle_dir):
    res = _run(bundle_dir, {})
    assert res.returncode == 0, res.stderr[-2000:]
    r = json.loads((bundle_dir / "results.json").read_text())
    assert r["backend"] == "cpu" and "NOT a hardware measurement" in r["measured_on"]
    assert r["agreement"] == {"spike_trains": 1.0, "counts": 1.0, "predictions": 1.0}
    expected = np.load(bundle_dir / "expected_output_spikes.npy")
    assert r["output_counts"] == expected.sum(-1).tolist()
    assert r["accuracy"] == r["expected_accuracy"]
    assert all(p["runs_on"].startswith("host (Python") and "fixed_pt" in p["runs_on"]
               for p in r["placements"])
    assert "energy" not in r and r["lava_loihi_installed"] is False


@pytest.mark.slow
def test_hardware_branch_wiring_with_lava_loihi_doubles(bundle_dir, tmp_path):
    log = tmp_path / "doubles.log"
    env = {"PYTHONPATH": f"{DOUBLES}{os.pathsep}{ROOT}", "PATH": f"{DOUBLES / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "LOIHI2_DOUBLES_LOG": str(log), "LOIHI2_DOUBLE_TOTAL_W": "0.8",
           "LOIHI2_DOUBLE_STATIC_W": "0.3", "LOIHI2_DOUBLE_STEP_US": "25"}
    res = _run(bundle_dir, env, "--partition", "oheogulch", "--out", str(tmp_path / "hw.json"))
    assert res.returncode == 0, res.stderr[-2000:]
    r = json.loads((tmp_path / "hw.json").read_text())
    x = np.load(bundle_dir / "inputs.npy")
    e = np.load(bundle_dir / "expected_output_spikes.npy")
    # the adapters were built with the network's input/output shapes and sit in the graph
    assert log.read_text().split() == [f"PyToNxAdapter({x.shape[1]},)", f"NxToPyAdapter({e.shape[1]},)"]
    classes = {p["class"] for p in r["placements"]}
    assert {"PyToNxAdapter", "NxToPyAdapter", "LIFReset", "Dense"} <= classes
    assert r["backend"] == "loihi2" and r["partition"] == "oheogulch" and r["loihi_gen"] == "N3B3"
    # no chip models exist here: Loihi2HwCfg fell back to host Python models, and says so
    assert r["host_fallbacks"] and "NOT a chip measurement" in r["measured_on"]
    assert "WARNING" in res.stderr
    steps_per_sample = x.shape[2]
    en = r["energy"]
    assert en["dynamic_power_W"] == pytest.approx(0.5) and en["time_per_step_us"] == 25.0
    assert en["energy_per_inference_mJ"]["total"] == pytest.approx(0.8 * 25e-6 * steps_per_sample * 1e3)
    assert en["energy_per_inference_mJ"]["dynamic"] == pytest.approx(0.5 * 25e-6 * steps_per_sample * 1e3)
    assert r["profiler"]["power"]["static_total_power"] == 0.3
    assert set(r["agreement_by_shift"]) == {"0", "1", "2", "3"}
    assert (tmp_path / "recorded_output_stream.npy").exists()


def test_energy_rejects_non_positive_dynamic_power():
    mod = _script_module()
    power = SimpleNamespace(total_power=np.array([0.50, 0.52]), static_total_power=0.6)
    runtime = SimpleNamespace(avg_time_per_step=10.0)
    out = mod.energy(power, runtime, 16, 1)
    assert out["dynamic_power_W"] < 0 and "rejected" in out and "energy_per_inference_mJ" not in out
    ok = mod.energy(SimpleNamespace(total_power=np.array([0.679]), static_total_power=0.232),
                    runtime, 16, 1)
    assert ok["energy_per_inference_mJ"]["dynamic"] == pytest.approx(0.447 * 160e-6 * 1e3)


def test_energy_subtracts_idle_chips_static_power():
    mod = _script_module()
    # 8 chips idle at 0.1 W each (static 0.8 W) plus 0.2 W of activity on one of them
    out = mod.energy(SimpleNamespace(total_power=np.array([1.0]), static_total_power=0.8),
                     SimpleNamespace(avg_time_per_step=1.0), 1, 8)
    assert out["static_power_W"] == pytest.approx(0.1)
    assert out["total_power_W"] == pytest.approx(0.3) and out["dynamic_power_W"] == pytest.approx(0.2)


def test_per_core_table_parser():
    mod = _script_module()
    log = "\n".join([
        "compiling...", "Per core distribution:", "-" * 40,
        "| AxonIn |NeuronGr| Neurons|Synapses| AxonMap| AxonMem|  Cores |", "|" + "-" * 38 + "|",
        "|      12|       1|      10|     120|      10|       0|       1|",
        "|       1|       1|      64|       0|      40|       3|       2|Dense(64)",
        "|" + "-" * 38 + "|", "| Total                                  |       3|", "-" * 40])
    rows = mod.per_core_table(log)
    assert rows == [{"AxonIn": 12, "NeuronGr": 1, "Neurons": 10, "Synapses": 120, "AxonMap": 10,
                     "AxonMem": 0, "Cores": 1},
                    {"AxonIn": 1, "NeuronGr": 1, "Neurons": 64, "Synapses": 0, "AxonMap": 40,
                     "AxonMem": 3, "Cores": 2, "layer": "Dense(64)"}]
    assert mod.per_core_table("no table here") is None


def test_per_core_table_parser_reads_the_percentage_table():
    """The later compiler's table (lava-dl tutorials/lava/lib/dl/netx/mnist/run.ipynb, stored
    output, two of its rows)."""
    mod = _script_module()
    log = "\n".join([
        "Partitioning converged after iteration=5", "Per core utilization:", "-" * 73,
        "| AxonIn |NeuronGr| Neurons|Synapses| AxonMap| AxonMem|  Total |  Cores |", "|" + "-" * 71 + "|",
        "|   0.40%|  12.50%|   0.24%|   1.60%|   0.06%|   0.00%|   1.71%|       1|",
        "|   4.90%|  12.50%|   1.22%|  78.40%|   0.31%|   0.00%|  67.14%|       3|",
        "|" + "-" * 71 + "|", "| Total" + " " * 57 + "|       5|", "-" * 73])
    rows = mod.per_core_table(log)
    assert rows == [{"AxonIn": 0.4, "NeuronGr": 12.5, "Neurons": 0.24, "Synapses": 1.6, "AxonMap": 0.06,
                     "AxonMem": 0.0, "Total": 1.71, "Cores": 1, "percent": True},
                    {"AxonIn": 4.9, "NeuronGr": 12.5, "Neurons": 1.22, "Synapses": 78.4, "AxonMap": 0.31,
                     "AxonMem": 0.0, "Total": 67.14, "Cores": 3, "percent": True}]


# -- ingest: results.json -> run records that compare shows -------------------------------------
def _results(bundle: Path, counts: np.ndarray, **extra) -> Path:
    """A results.json as run_loihi2.py writes it (fields it always writes, plus ``extra``)."""
    meta = json.loads((bundle / "bundle.json").read_text())
    labels = np.load(bundle / "labels.npy")
    expected = np.load(bundle / "expected_output_spikes.npy").sum(-1)
    same = (counts == expected).all(1)
    r = {"bundle": meta["name"], "network_sha256": meta["network_sha256"], "backend": "loihi2",
         "measured_on": "Loihi 2 via lava-loihi", "labels": labels.tolist(),
         "output_counts": counts.tolist(), "predictions": counts.argmax(1).tolist(),
         "agreement": {"spike_trains": float(same.mean()), "counts": float(same.mean()),
                       "predictions": float((counts.argmax(1) == expected.argmax(1)).mean())},
         **extra}
    path = bundle / "results.json"
    path.write_text(json.dumps(r))
    return path


def test_ingest_then_compare_shows_hardware_vs_cpu(bundle_dir, tmp_path):
    from typer.testing import CliRunner

    from beamnet_lava.cli import app
    from beamnet_lava.deploy.ingest import ingest
    from beamnet_lava.evaluation.compare import compare

    expected = np.load(bundle_dir / "expected_output_spikes.npy").sum(-1).astype(np.int64)
    labels = np.load(bundle_dir / "labels.npy")
    changed = expected.copy()
    changed[0] = np.roll(changed[0], 1)                 # one sample differs on "hardware"
    energy = {"time_per_step_us": 12.5, "energy_per_inference_mJ": {"total": 0.2, "dynamic": 0.05}}
    m = ingest(_results(bundle_dir, changed, energy=energy), tmp_path / "rec")
    assert m["agreement_with_cpu"]["spike_trains"] == pytest.approx(4 / 5)
    cpu, hw = compare([tmp_path / "rec/cpu-simulation", tmp_path / "rec/loihi2"], figure=None)
    assert cpu["accuracy"] == pytest.approx((expected.argmax(1) == labels).mean())
    assert hw["accuracy"] == pytest.approx((changed.argmax(1) == labels).mean())
    assert hw["energy_per_inference_mJ"]["dynamic"] == 0.05 and hw["time_per_step_us"] == 12.5
    assert "CPU simulation" in cpu["measured_on"] and hw["measured_on"] == "Loihi 2 via lava-loihi"
    res = CliRunner().invoke(app, ["compare", str(tmp_path / "rec/cpu-simulation"),
                                   str(tmp_path / "rec/loihi2"), "--figure", str(tmp_path / "c.png")])
    assert res.exit_code == 0, "".join(__import__("traceback").format_exception(*res.exc_info))[-3000:]
    assert "measured mJ / inference" in res.output and "0.05 dyn" in res.output


def test_ingest_refuses_foreign_or_damaged_results(bundle_dir, tmp_path):
    from beamnet_lava.deploy.ingest import ingest

    counts = np.load(bundle_dir / "expected_output_spikes.npy").sum(-1)
    path = _results(bundle_dir, counts, network_sha256="0" * 64)
    with pytest.raises(BeamnetError, match="another network"):
        ingest(path, tmp_path / "a")
    path.write_text("{not json")
    with pytest.raises(BeamnetError, match="not valid JSON"):
        ingest(path, tmp_path / "b")
    lone = tmp_path / "results.json"
    lone.write_text("{}")
    with pytest.raises(BeamnetError, match="keep results.json inside its bundle"):
        ingest(lone, tmp_path / "c")
    path.unlink()


# -- run --backend loihi2 -----------------------------------------------------------------------
def test_run_loihi2_without_lava_loihi_points_to_bundle(tiny_net):
    from beamnet_lava.deploy.loihi2 import LOIHI2
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    with pytest.raises(BeamnetError, match=r"lava-loihi.*beamnet-lava bundle FILE.net -o DIR"):
        run_dataset(tiny_net, "digits", 2, backend=LOIHI2, progress=False)
    # sim_cpu knows only the simulator: the name alone says where the Loihi 2 back-end lives
    with pytest.raises(BeamnetError, match=r"^backend 'loihi2' is the Loihi 2 back-end .*deploy.loihi2.LOIHI2"):
        run_dataset(tiny_net, "digits", 2, backend="loihi2", progress=False)


@pytest.mark.slow
def test_run_loihi2_with_lava_loihi_doubles_states_chip_or_host(tiny_net, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"PYTHONPATH": f"{DOUBLES}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"})
    res = subprocess.run([sys.executable, "-m", "beamnet_lava.cli", "run", str(tiny_net),
                          "--backend", "loihi2", "--samples", "2", "--json", str(tmp_path / "r.json")],
                         env=env, check=False, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    # stated before the run: no process has a chip model here, so all are on the host
    assert "Loihi2HwCfg: 0 of" in res.stderr and "on the host (Python models" in res.stderr
    assert "LIFReset" in res.stderr and "SpikeSource" in res.stderr
    assert json.loads((tmp_path / "r.json").read_text())["backend"] == "loihi2"
