"""Optional MLflow logging (``--mlflow-uri``): params, metrics and artifacts of a run.

Everything works without MLflow; asking for it without it installed is a clear error.
Tested against local stores with no server (tests/test_tracking.py): ``sqlite:///FILE``
(needs sqlalchemy and alembic besides mlflow-skinny) and a folder (MLflow 3 accepts one
only with ``MLFLOW_ALLOW_FILE_STORE=true``). Artifacts go to the experiment's artifact
location: for a new SQLite store MLflow's default is ``./mlruns`` in the current folder.
Per run: every config value as a param, the summary metrics (best epoch's), the
per-epoch history as ``epoch.<name>`` at ``step = epoch``, and the run (or evaluation)
folder as artifacts: checkpoint, figures, Parquet records.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from beamnet_lava.errors import BeamnetError


def _mlflow():
    try:
        import mlflow
    except ImportError:
        raise BeamnetError("--mlflow-uri needs MLflow, which is not installed: "
                           "pip install mlflow (or drop --mlflow-uri)") from None
    return mlflow


def check_available(uri: str | None) -> None:
    """Fail before any work when MLflow logging is asked for but unavailable, or when the
    tracking store at ``uri`` cannot be opened (MLflow 3 refuses plain folders by default:
    use ``sqlite:///mlflow.db``, or set ``MLFLOW_ALLOW_FILE_STORE=true`` for a folder)."""
    if not uri:
        return
    mlflow = _mlflow()
    try:
        mlflow.MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except Exception as exc:  # noqa: BLE001 - any failure here is the URI or the store
        raise BeamnetError(f"--mlflow-uri {uri}: MLflow cannot open this tracking store "
                           f"({_first_line(exc)}); a local store with no server: "
                           "--mlflow-uri sqlite:///mlflow.db (needs sqlalchemy and alembic)") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}"


def log_run(uri: str | None, name: str, params: dict[str, Any], metrics: dict[str, Any],
            history: list[dict[str, Any]] | None = None, artifacts: Path | None = None,
            experiment: str | None = None) -> None:
    """Log one run to the MLflow tracking server/folder at ``uri`` (no-op when None).

    ``experiment``: the MLflow experiment to log under (created when new) [MLflow's default].
    """
    if not uri:
        return
    try:
        _log(_mlflow(), uri, name, params, metrics, history, artifacts, experiment)
    except BeamnetError:
        raise
    except Exception as exc:  # noqa: BLE001 - the run itself is on disk; say what failed
        raise BeamnetError(f"MLflow logging to {uri} failed ({_first_line(exc)}); the results on "
                           f"disk are complete{f' ({artifacts})' if artifacts else ''}") from None


def _log(mlflow, uri, name, params, metrics, history, artifacts, experiment) -> None:
    mlflow.set_tracking_uri(uri)
    if experiment:
        mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=name):
        mlflow.log_params({k: str(v) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()
                            if isinstance(v, (int, float)) and not isinstance(v, bool)})
        for row in history or []:     # per epoch as "epoch.<name>", step = epoch: the summary
            step = int(row.get("epoch", 0))   # metrics (best epoch's) keep their plain names
            mlflow.log_metrics({f"epoch.{k}": float(v) for k, v in row.items() if k != "epoch"
                                and isinstance(v, (int, float))}, step=step)
        if artifacts is not None:
            mlflow.log_artifacts(str(artifacts))


def sweep_logger(uri: str | None, experiment: str, sweep) -> Callable | None:
    """``on_point`` for a sweep: each finished point as one MLflow run under ``experiment``
    (logged by the driver, so the tracking store has one writer)."""
    if not uri:
        return None

    def on_point(point, record: dict[str, Any]) -> None:
        import json

        run_dir = sweep.run_dir(point)
        metrics = json.loads((run_dir / "metrics.json").read_text())
        log_run(uri, point.id, {**sweep.point_config(point), "sweep": str(sweep.out)}, metrics,
                metrics.get("history"), run_dir, experiment=experiment)
    return on_point
