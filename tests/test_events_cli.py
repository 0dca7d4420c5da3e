"""Event data through the command line: data saccade -> train -> export -> run on Lava."""
import json

import pytest
from typer.testing import CliRunner

from beamnet_lava.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BEAMNET_LAVA_CACHE", str(tmp_path / "cache"))


@pytest.mark.slow
@pytest.mark.parametrize("model, extra", [
    ("snn", ["--hidden", "12", "--time-steps", "8"]),
    ("beamnet", ["--set", "event_downsample=2", "--set", "event_window_ms=60", "--set", "n_memory=10"]),
    ("csnn", ["--set", "layers=[conv4k3s2p1, dense16]", "--time-steps", "8"]),
])
def test_saccade_train_export_run(tmp_path, model, extra):
    data = tmp_path / "sacc"
    r = runner.invoke(app, ["data", "saccade", "--source", "digits", "--limit", "60", "--out", str(data)])
    assert r.exit_code == 0, r.output
    assert "wrote 60 samples" in r.output and (data / "saccade.json").is_file()
    assert len(list((data / "NMNIST" / "Train").glob("*/*.bin"))) == 60
    r = runner.invoke(app, ["data", "saccade", "--out", str(data)])
    assert r.exit_code == 1 and "--force" in r.output

    run_dir = tmp_path / "run"
    r = runner.invoke(app, ["train", "--model", model, "--dataset", "saccade-digits", "--data-dir", str(data),
                            "--epochs", "1", "--out", str(run_dir)] + extra)
    assert r.exit_code == 0, r.output
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["dataset"] == "saccade-digits" and "saccade events (digits)" in metrics["split"]
    net = tmp_path / "m.net"
    assert runner.invoke(app, ["export", str(run_dir), "-o", str(net)]).exit_code == 0
    report = tmp_path / "r.json"
    r = runner.invoke(app, ["run", str(net), "--data-dir", str(data), "--samples", "6",
                            "--json", str(report)])
    assert r.exit_code == 0, r.output
    rep = json.loads(report.read_text())
    assert rep["dataset"] == "saccade-digits" and rep["n_samples"] == 6
    assert rep["parity"] == 1.0 and rep["input_spikes"] > 0

    # evaluate: the training model and the Lava run of the export agree sample by sample
    reports = {}
    for name, target in (("model", run_dir), ("lava", net)):
        r = runner.invoke(app, ["evaluate", str(target), "--data-dir", str(data), "--samples", "6",
                                "--ood", "shuffled", "--out", str(tmp_path / name),
                                "--json", str(tmp_path / f"{name}.json")])
        assert r.exit_code == 0, r.output
        reports[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert reports["model"]["backend"] == "training model"
    assert reports["lava"]["backend"].startswith("lava")
    for key in ("accuracy", "ece", "spikes_per_sample", "energy_per_inference_nJ"):
        assert reports["lava"][key] == pytest.approx(reports["model"][key], abs=1e-9), key
    assert reports["model"]["energy_per_inference_nJ"] > 0


def test_event_dataset_errors(tmp_path):
    cases = [
        (["train", "--out", str(tmp_path / "a"), "--dataset", "nmnist"], "needs --data-dir"),
        (["train", "--out", str(tmp_path / "b"), "--dataset", "shd", "--data-dir", str(tmp_path)],
         "no SHD/ folder"),
        (["train", "--out", str(tmp_path / "c"), "--dataset", "saccade-mnist"], "needs --data-dir"),
        (["train", "--out", str(tmp_path / "d"), "--set", "event_polarity=on"], "event_polarity"),
        (["data", "saccade", "--source", "mnist", "--out", str(tmp_path / "e")], "needs --data-dir"),
        (["data", "saccade", "--threshold", "0", "--out", str(tmp_path / "f")], "threshold"),
    ]
    for args, message in cases:
        r = runner.invoke(app, args)
        assert r.exit_code == 1, (args, r.output)
        assert message in r.output, (args, r.output)
        assert "Traceback" not in r.output
