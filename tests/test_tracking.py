"""--mlflow-uri against real local MLflow stores (SQLite file, folder; no server)."""
from pathlib import Path

import pytest
from typer.testing import CliRunner

from beamnet_lava.cli import app

runner = CliRunner()


def _runs(uri: str, experiment: str = "Default"):
    import mlflow      # here, not at collection: importing mlflow takes ~1.7 s

    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    return client, {r.info.run_name: r for r in client.search_runs([exp.experiment_id])}


# a SQLite store spends most of its time in MLflow's schema migrations (about 15 s on 2 cores):
# the fast suite logs to a folder store, make test-slow (CI) to SQLite as well
# slow: a training and an evaluation through MLflow (the SQLite store: also its schema
# migrations); the refusal below is the fast test
@pytest.mark.slow
@pytest.mark.parametrize("store", ["folder", "sqlite"])
def test_train_and_evaluate_log_params_epoch_metrics_and_artifacts(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                       # MLflow's default artifact root: ./mlruns
    if store == "sqlite":
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    else:
        monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")   # MLflow 3: folder stores are opt-in
        uri = (tmp_path / "store").as_uri()
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "--model", "ann", "--epochs", "2", "--lr", "0.002", "--out", str(run),
                            "--mlflow-uri", uri])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["evaluate", str(run), "--ood", "inverted", "--mlflow-uri", uri])
    assert r.exit_code == 0, r.output
    client, runs = _runs(uri)
    train_run, eval_run = runs["train ann run"], runs["evaluate ann run"]
    assert train_run.data.params["lr"] == "0.002" and train_run.data.params["model"] == "ann"
    history = client.get_metric_history(train_run.info.run_id, "epoch.val_accuracy")
    assert [m.step for m in history] == [1, 2]
    best = max(m.value for m in history)
    assert train_run.data.metrics["val_accuracy"] == pytest.approx(best)   # summary = best epoch
    assert {"checkpoint.pt", "metrics.json", "history.parquet", "predictions.parquet"} <= \
        {a.path for a in client.list_artifacts(train_run.info.run_id)}
    assert 0 < eval_run.data.metrics["accuracy"] <= 1 and "ood_auroc_inverted" in eval_run.data.metrics
    eval_files = {a.path for a in client.list_artifacts(eval_run.info.run_id)}
    assert {"predictions.parquet", "ood_inverted.parquet", "reliability.png"} <= eval_files
    assert Path(eval_run.info.artifact_uri.removeprefix("file://")).is_dir()


def test_a_folder_store_needs_mlflows_opt_in_and_is_refused_before_training(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    store = f"file://{tmp_path / 'mlruns_store'}"
    r = runner.invoke(app, ["train", "--model", "ann", "--epochs", "1", "--out", str(tmp_path / "a"),
                            "--mlflow-uri", store])
    assert r.exit_code == 1 and "MLflow cannot open this tracking store" in r.output
    assert "sqlite:///mlflow.db" in r.output and not (tmp_path / "a").exists()   # no work done
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    r = runner.invoke(app, ["train", "--model", "ann", "--epochs", "1", "--out", str(tmp_path / "a"),
                            "--mlflow-uri", store])
    assert r.exit_code == 0, r.output
    _, runs = _runs(store)
    assert "test_accuracy" in runs["train ann a"].data.metrics
