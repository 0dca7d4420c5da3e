"""Atomic file writes and overwrite protection: nothing a user has is lost."""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from beamnet_lava.errors import BeamnetError


def refuse_overwrite(path: Path, force: bool, flag: str = "--force") -> None:
    if path.exists() and not force:
        raise BeamnetError(f"{path} already exists; pass {flag} to overwrite it")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    A crash or error leaves ``path`` untouched and removes the partial file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON atomically (``-`` writes to stdout)."""
    text = json.dumps(data, indent=2, sort_keys=True, default=_jsonable)
    if str(path) == "-":
        print(text)
        return
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n")


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
