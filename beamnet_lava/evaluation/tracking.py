"""Optional MLflow logging (``--mlflow-uri``): params, metrics and artifacts of a run.

Everything works without MLflow; asking for it without it installed is a clear error.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

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
            history: list[dict[str, Any]] | None = None, artifacts: Path | None = None) -> None:
    """Log one run to the MLflow tracking server/folder at ``uri`` (no-op when None)."""
    if not uri:
        return
    mlflow = _mlflow()
    mlflow.set_tracking_uri(uri)
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
