"""The command line, driven in-process through typer's runner."""
import json

import pytest

from typer.testing import CliRunner

from beamnet_lava.cli import app

runner = CliRunner()


def test_train_export_run_with_json(tmp_path):
    run_dir = tmp_path / "run"
    r = runner.invoke(app, ["train", "--out", str(run_dir), "--epochs", "1", "--hidden", "16",
                            "--time-steps", "6", "--seed", "5"])
    assert r.exit_code == 0, r.output
    assert "test accuracy" in r.output
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert "test_accuracy" in metrics and metrics["seed"] == 5

    r = runner.invoke(app, ["train", "--out", str(run_dir), "--epochs", "1"])
    assert r.exit_code == 1 and "--force" in r.output

    net = tmp_path / "m.net"
    assert runner.invoke(app, ["export", str(run_dir), "-o", str(net)]).exit_code == 0
    r = runner.invoke(app, ["export", str(run_dir), "-o", str(net)])
    assert r.exit_code == 1 and "already exists" in r.output

    report = tmp_path / "r.json"
    r = runner.invoke(app, ["run", str(net), "--samples", "4", "--json", str(report)])
    assert r.exit_code == 0, r.output
    data = json.loads(report.read_text())
    for key in ("n_samples", "accuracy", "parity", "samples_per_s", "steps_per_s", "spikes"):
        assert key in data
    assert data["n_samples"] == 4 and data["parity"] == 1.0
    # one run report for every family: spike parity and prediction agreement, said apart
    assert data["spike_parity"] == data["parity"] and data["prediction_agreement"] == 1.0
    assert data["model"] == "snn" and set(data["layer_parity"]) == set(data["spikes"])
    assert "spike parity 100.0% (identical spike trains), prediction agreement 100.0% (same labels)" in r.output


def test_clear_one_line_errors(tmp_path):
    cases = [
        (["train", "--out", str(tmp_path / "a"), "--model", "gpt"], "'gpt' is not one of 'snn'"),
        (["train", "--out", str(tmp_path / "b"), "--dataset", "cifar"], "'cifar' is not one of 'digits'"),
        (["train", "--out", str(tmp_path / "c"), "--hidden", "a,b"], "comma-separated"),
        (["export", str(tmp_path), "-o", str(tmp_path / "x.net")], "no checkpoint.pt"),
        (["run", str(tmp_path / "missing.net")], "no such file"),
    ]
    for args, needle in cases:
        r = runner.invoke(app, args)
        assert r.exit_code == 1, (args, r.output)
        assert needle in r.output, (args, r.output)
        assert "Traceback" not in r.output


def test_coarse_weight_resolution_warns_and_the_default_does_not():
    """The check `train` runs on BEAM-Net's initial weights (the CLI's one-line form: below)."""
    import warnings

    from beamnet_lava.config import BeamnetConfig
    from beamnet_lava.data.images import load_digits
    from beamnet_lava.errors import BeamnetWarning
    from beamnet_lava.models.beamnet import BeamNet, encoder_intensity
    from beamnet_lava.training.beamnet_train import WEIGHT_ROUNDING_LIMIT, warn_weight_resolution

    x, y, _ = load_digits()

    def lost(**options):
        cfg = BeamnetConfig(n_memory=20, **options)
        intensity = encoder_intensity(x[:600], cfg)
        model = BeamNet(cfg, intensity.shape[1], 10)
        model.init_from_data(intensity, y[:600], cfg.seed)      # the patterns train() stores
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            share = warn_weight_resolution(model)
        return share, [w for w in caught if issubclass(w.category, BeamnetWarning)]

    coarse, warned = lost(theta_mant=128)
    assert coarse > WEIGHT_ROUNDING_LIMIT and len(warned) == 1
    assert "raise theta_mant" in str(warned[0].message)
    fine, warned = lost()
    assert fine < WEIGHT_ROUNDING_LIMIT and not warned


@pytest.mark.slow   # two BEAM-Net trainings through the CLI; the check itself: the test above
def test_coarse_beamnet_weights_warn_once_in_one_line(tmp_path):
    """theta_mant too small for the weights: the run goes on, with a one-line warning saying what to raise."""
    r = runner.invoke(app, ["train", "--model", "beamnet", "--out", str(tmp_path / "coarse"),
                            "--set", "theta_mant=128", "--set", "epochs=1", "--set", "n_memory=20"])
    assert r.exit_code == 0, r.output
    assert r.output.count("warning:") == 1 and "raise theta_mant" in r.output
    assert "UserWarning" not in r.output
    r = runner.invoke(app, ["train", "--model", "beamnet", "--out", str(tmp_path / "fine"),
                            "--set", "epochs=1", "--set", "n_memory=20"])
    assert r.exit_code == 0, r.output
    assert "warning:" not in r.output
