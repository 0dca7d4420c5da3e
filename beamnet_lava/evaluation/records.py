"""Run records as Parquet: per-epoch history and per-sample predictions.

A run directory holds, besides ``config.json`` (config, split seed and split
description) and ``metrics.json``:

- ``history.parquet``: one row per epoch (loss, accuracies, seconds, ...);
- ``predictions.parquet``: one row per test sample (see
  :meth:`Predictions.table`), with the run's identity in the file's key-value
  metadata (``beamnet_lava.*``: format, model, dataset, split, seed, set);
- ``ood_<name>.parquet`` after ``beamnet-lava evaluate --ood name``: the same
  columns on an out-of-distribution set.

Written atomically; read back with a check of the format and columns, so a
missing or truncated file is a clear error instead of a wrong table.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import rundir
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import atomic_path

FORMAT = "1"
HISTORY = "history.parquet"
PREDICTIONS = "predictions.parquet"
REQUIRED = ("index", "label", "prediction", "correct", "confidence", "p_label", "brier", "total",
            "aleatoric", "epistemic", "ood_score", "spikes", "active_fraction", "windows",
            "energy_nJ", "energy_mem_nJ")


def ood_file(name: str) -> str:
    return f"ood_{name}.parquet"


def write_table(path: str | Path, columns: dict[str, Any], meta: dict[str, Any]) -> Path:
    """Write ``columns`` (equal-length arrays) with ``meta`` as Parquet, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({k: np.asarray(v) for k, v in columns.items()})
    metadata = {f"beamnet_lava.{k}": str(v) for k, v in {"format": FORMAT, **meta}.items()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           **{k.encode(): v.encode() for k, v in metadata.items()}})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)


def write_history(path: str | Path, history: list[dict[str, Any]], meta: dict[str, Any]) -> Path:
    keys: list[str] = []
    for row in history:
        keys += [k for k in row if k not in keys]
    cols = {k: np.array([row.get(k, np.nan) for row in history], dtype=np.float64 if k != "epoch"
                        else np.int64) for k in keys}
    return write_table(path, cols, meta)


def _open(path: str | Path):
    """The file's Arrow schema and ``beamnet_lava.*`` metadata, after checking the file."""
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_file():
        raise BeamnetError(f"{p} is missing; train (or evaluate) the run again to write it")
    try:
        schema = pq.ParquetFile(p).schema_arrow      # reads and checks the footer
    except Exception as exc:  # noqa: BLE001 - a damaged file is the user's to fix
        raise BeamnetError(f"{p} is not a readable Parquet file ({exc.__class__.__name__}: {exc}); "
                           "it may be truncated: re-run the command that wrote it") from None
    try:
        meta = {k.decode()[len("beamnet_lava."):]: v.decode() for k, v in (schema.metadata or {}).items()
                if k.startswith(b"beamnet_lava.")}
    except UnicodeDecodeError:
        raise BeamnetError(f"{p}: its beamnet_lava.* metadata is not UTF-8 text (a damaged or edited "
                           "record): re-run the command that wrote it") from None
    if meta.get("format") != FORMAT:
        raise BeamnetError(f"{p} has record format {meta.get('format')!r}, this beamnet-lava reads "
                           f"{FORMAT!r}: re-run the command that wrote it with this version")
    return schema, meta


def read_meta(path: str | Path) -> dict[str, str]:
    """The ``beamnet_lava.*`` metadata of a record, after checking the file."""
    return _open(path)[1]


#: the type each column of a predictions record must have (pyarrow type tests)
_INTEGER = ("index", "label", "prediction")
_BOOLEAN = ("correct",)


def check_predictions(path: str | Path) -> dict[str, str]:
    """Validate a predictions / OOD record (columns present, of their types, at least one
    row); returns its metadata."""
    import pyarrow.parquet as pq
    import pyarrow.types as pat

    schema, meta = _open(path)
    missing = [c for c in REQUIRED if c not in schema.names]
    if missing:
        raise BeamnetError(f"{path} lacks column(s) {', '.join(missing)}; re-run the command that "
                           "wrote it with this version")
    for field in schema:
        name, t = field.name, field.type
        probability = name[:1] == "p" and name[1:].isdigit()
        if name in _INTEGER:
            ok = pat.is_integer(t)
        elif name in _BOOLEAN:
            ok = pat.is_boolean(t)
        elif name in REQUIRED or probability:
            ok = pat.is_floating(t) or pat.is_integer(t)
        else:
            continue
        if not ok:
            raise BeamnetError(f"{path}: column {name} holds {t}, not numbers of its kind (a damaged "
                               "or edited record): re-run the command that wrote it")
    if pq.ParquetFile(path).metadata.num_rows < 1:
        raise BeamnetError(f"{path} holds no samples: re-run the command that wrote it")
    return meta


def read_json(path: str | Path) -> dict[str, Any]:
    """A JSON object a beamnet-lava command wrote (metrics.json, config.json), or one line."""
    import json

    p = Path(path)
    try:
        data = json.loads(p.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        raise BeamnetError(f"{p} is not readable JSON ({exc.__class__.__name__}); re-run the command "
                           "that wrote it") from None
    if not isinstance(data, dict):
        raise BeamnetError(f"{p} does not hold a JSON object; re-run the command that wrote it")
    return data


def read_table(path: str | Path) -> dict[str, np.ndarray]:
    import pyarrow.parquet as pq

    read_meta(path)
    table = pq.read_table(path)
    return {name: table.column(name).to_numpy() for name in table.column_names}


def records_dir(run_dir: str | Path) -> Path:
    """The folder of a run's records: its evaluation/ when evaluated, else the run itself."""
    d = Path(run_dir)
    if not d.is_dir():
        raise BeamnetError(f"{d} is not a run directory; give folders written by `beamnet-lava train`")
    evaluated = d / rundir.EVALUATION_DIR
    if (evaluated / PREDICTIONS).exists():
        return evaluated
    if (d / PREDICTIONS).exists() or (d / "metrics.json").exists():
        return d
    if d.name == rundir.EVALUATION_DIR or (d / "evaluation.json").exists():
        return d
    raise BeamnetError(f"{d} holds no {PREDICTIONS}; train into it with this beamnet-lava "
                       "(or run `beamnet-lava evaluate` on it)")
