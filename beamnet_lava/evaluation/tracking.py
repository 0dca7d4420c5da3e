"""Optional MLflow logging (``--mlflow-uri``): params, metrics and artifacts of a run.

Everything works without MLflow; asking for it without it installed is a clear error.
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
    """Fail before any work when MLflow logging is asked for but unavailable."""
    if uri:
        _mlflow()


def log_run(uri: str | None, name: str, params: dict[str, Any], metrics: dict[str, Any],
            history: list[dict[str, Any]] | None = None, artifacts: Path | None = None,
            experiment: str | None = None) -> None:
    """Log one run to the MLflow tracking server/folder at ``uri`` (no-op when None).

    ``experiment``: the MLflow experiment to log under (created when new) [MLflow's default].
    """
    if not uri:
        return
    mlflow = _mlflow()
    mlflow.set_tracking_uri(uri)
    if experiment:
        mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=name):
        mlflow.log_params({k: str(v) for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()
                            if isinstance(v, (int, float)) and not isinstance(v, bool)})
        for row in history or []:
            step = int(row.get("epoch", 0))
            mlflow.log_metrics({k: float(v) for k, v in row.items() if k != "epoch"
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
