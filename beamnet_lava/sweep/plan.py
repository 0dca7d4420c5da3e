"""What a sweep runs and what it leaves on disk (no engine here: see engine.py).

A sweep is a base config, a list of seeds and a grid of ``key=v1,v2`` settings; each
point (one setting x one seed) trains into an ordinary run directory, so every other
verb works on it. ``SWEEP_DIR`` holds::

    sweep.json        the manifest: base config, seeds, grid, engine, every point's status
    results.parquet   one row per point: id, status, error, seconds, grid values, metrics
    .lock             held (fcntl) while a sweep writes here: a second one is refused
    runs/<point id>/  the run directories (config.json, checkpoint.pt, metrics.json, ...)

A point whose run directory holds ``metrics.json`` (the trainer writes it last) and the
point's own config is complete and skipped on a re-run: that is how a sweep resumes.
"""
from __future__ import annotations

import fcntl
import itertools
import json
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beamnet_lava import checks, config as config_mod
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import atomic_path, umask, write_json
from beamnet_lava.training import checkpoint

MANIFEST = "sweep.json"
RESULTS = "results.parquet"
LOCK = ".lock"
RUNS = "runs"
FORMAT = 1
# config.json keys that describe a run but are not settings (the trainer adds them)
NOT_SETTINGS = ("split_description",)


MAX_POINTS = 10_000      # each point trains a model and is rewritten into sweep.json


def parse_seeds(text: str) -> list[int]:
    """``0-4`` -> 0..4; ``0,3,7``; ``0-2,5``. The count is bounded before any list is built."""
    ranges: list[tuple[int, int]] = []
    total = 0
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d{1,30})(?:-(\d{1,30}))?", part)
        if not m or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise BeamnetError(f"--seeds {text!r}: give seeds like 0-4 or 0,3,7 (non-negative integers)")
        lo, hi = int(m.group(1)), int(m.group(2) if m.group(2) is not None else m.group(1))
        if hi > checks.SEED_MAX:
            raise BeamnetError(f"--seeds {text!r}: seed {hi} is above {checks.SEED_MAX} (numpy's largest seed)")
        total += hi - lo + 1
        if total > MAX_POINTS:
            raise BeamnetError(f"--seeds {text!r} gives more than {MAX_POINTS:,} seeds; a sweep trains "
                               f"at most {MAX_POINTS:,} points: split it into several sweeps")
        ranges.append((lo, hi))
    seen: set[int] = set()
    seeds: list[int] = []
    for lo, hi in ranges:
        for s in range(lo, hi + 1):
            if s not in seen:
                seen.add(s)
                seeds.append(s)
    return seeds


def parse_grid(items: list[str] | None, base: config_mod.TrainConfig) -> dict[str, list[Any]]:
    """``["n_memory=100,150", "lr=1e-4,3e-4"]`` -> ``{"n_memory": [100, 150], "lr": [...]}``.

    Values are read as ``--set`` reads them (YAML); commas inside ``[...]`` belong to a
    list value (``hidden=[64],[128,64]``). An unknown key fails the whole sweep here; a
    bad value fails only its points (recorded in the manifest).
    """
    known = set(base.to_dict())
    grid: dict[str, list[Any]] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or not raw.strip():
            raise BeamnetError(f"--grid {item!r} must look like key=v1,v2, e.g. --grid lr=1e-4,3e-4")
        if key in ("seed", "model"):
            raise BeamnetError(f"--grid {key}=...: " + ("give seeds with --seeds" if key == "seed" else
                               "one sweep trains one model; run one sweep per model"))
        if key not in known:
            raise BeamnetError(f"--grid {key}: not a config key of model {base.model}; known keys: "
                               f"{', '.join(sorted(known))}")
        if key in grid:
            raise BeamnetError(f"--grid {key} is given twice; list all its values in one --grid")
        grid[key] = [config_mod.parse_override(f"{key}={v.strip()}")[1]
                     for v in re.split(r",(?![^\[]*\])", raw)]
    return grid


def _fmt(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (list, tuple, dict)) else str(value)
    return re.sub(r"[^A-Za-z0-9.+\-]+", "-", text).strip("-") or "empty"


@dataclass(frozen=True)
class Point:
    """One setting of the grid at one seed."""

    setting: dict[str, Any]
    seed: int

    @property
    def overrides(self) -> dict[str, Any]:
        return {**self.setting, "seed": self.seed}

    @property
    def id(self) -> str:
        return "_".join(f"{k}={_fmt(v)}" for k, v in self.overrides.items())


def points(grid: dict[str, list[Any]], seeds: list[int]) -> list[Point]:
    """The cartesian product of the grid, seeds innermost (every setting gets all seeds)."""
    keys = list(grid)
    n = len(seeds)
    for k in keys:
        n *= len(grid[k])
    if n > MAX_POINTS:
        raise BeamnetError(f"the grid x --seeds gives {n:,} points; a sweep trains at most "
                           f"{MAX_POINTS:,}: split it into several sweeps")
    return [Point(dict(zip(keys, combo)), s)
            for combo in itertools.product(*(grid[k] for k in keys)) for s in seeds]


@dataclass
class Sweep:
    """A planned sweep: its folder, base config, seeds, grid and points."""

    out: Path
    base: dict[str, Any]
    seeds: list[int]
    grid: dict[str, list[Any]]
    config_file: str | None = None
    points: list[Point] = field(init=False)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        self.points = points(self.grid, self.seeds)
        ids = [p.id for p in self.points]
        if len(set(ids)) != len(ids):
            raise BeamnetError("two grid values give the same run directory name; make the values distinct")

    def run_dir(self, point: Point) -> Path:
        return self.out / RUNS / point.id

    def point_config(self, point: Point) -> dict[str, Any]:
        """The point's full config (validated by the worker: a bad value fails that point)."""
        return {**self.base, **point.overrides}

    def is_complete(self, point: Point) -> bool:
        """Finished before: metrics.json present and the run trained this point's config.

        A run directory holding another config is refused, never trained over.
        """
        d = self.run_dir(point)
        if not (d / checkpoint.METRICS).is_file():
            return False
        try:
            have = json.loads((d / checkpoint.CONFIG).read_text())
            want = config_mod.from_dict(self.point_config(point)).to_dict()
        except (OSError, ValueError):
            return False
        except BeamnetError:
            return False
        have = {k: v for k, v in have.items() if k not in NOT_SETTINGS}
        if have != want:
            raise BeamnetError(f"{d} holds a finished run of another config; move it away or "
                               "choose another --out")
        return True

    def check_manifest(self) -> None:
        """A folder holding a sweep of another base config is refused (its runs are kept)."""
        path = self.out / MANIFEST
        if not path.is_file():
            if self.out.exists() and any(p.name not in (LOCK,) for p in self.out.iterdir()):
                raise BeamnetError(f"{self.out} is not empty and holds no {MANIFEST}; "
                                   "give a new folder (or the folder of an earlier sweep to resume it)")
            return
        try:
            old = json.loads(path.read_text())
        except ValueError:
            raise BeamnetError(f"{path} is damaged (not JSON); move it away or choose another --out") from None
        if old.get("base_config") != self.base:
            raise BeamnetError(f"{self.out} holds a sweep of another base config; resume it with "
                               "that config or choose another --out")

    def write_manifest(self, records: dict[str, dict[str, Any]], engine: dict[str, Any],
                       started: str, finished: str | None = None) -> None:
        counts: dict[str, int] = {}
        for r in records.values():
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        write_json(self.out / MANIFEST, {
            "format": FORMAT, "config_file": self.config_file, "base_config": self.base,
            "seeds": self.seeds, "grid": self.grid, "engine": engine, "started": started,
            "finished": finished, "counts": counts,
            "points": [{"id": p.id, "run_dir": str(Path(RUNS) / p.id), "setting": p.setting,
                        "seed": p.seed, **records[p.id]} for p in self.points]})

    def write_results(self, records: dict[str, dict[str, Any]]) -> Path:
        """results.parquet: one row per point (grid values, status, error, scalar metrics)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = []
        for p in self.points:
            rec = records[p.id]
            row: dict[str, Any] = {"id": p.id, "run_dir": str(self.run_dir(p)), "seed": p.seed,
                                   "status": rec["status"], "error": rec.get("error"),
                                   "seconds": rec.get("seconds")}
            row.update({f"param.{k}": v for k, v in p.setting.items()})
            metrics = self.run_dir(p) / checkpoint.METRICS
            if rec["status"] in ("ok", "skipped") and metrics.is_file():
                row.update(scalar_metrics(json.loads(metrics.read_text())))
            rows.append(row)
        keys = list(dict.fromkeys(k for r in rows for k in r))
        columns = {}
        for k in keys:
            values = [r.get(k) for r in rows]
            try:
                columns[k] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):   # mixed types in one grid key
                columns[k] = pa.array([None if v is None else json.dumps(v) for v in values])
        table = pa.table(columns).replace_schema_metadata(
            {b"beamnet_lava.format": str(FORMAT).encode(), b"beamnet_lava.set": b"sweep",
             b"beamnet_lava.base_config": json.dumps(self.base).encode()})
        with atomic_path(self.out / RESULTS) as tmp:
            pq.write_table(table, tmp)
        return self.out / RESULTS


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The numeric top-level entries of a metrics.json (no history, no nested reports)."""
    return {k: v for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


@dataclass
class Lock:
    """An exclusive ``fcntl`` lock on ``SWEEP_DIR/.lock``: released when the process ends,
    so a crashed sweep never blocks the next one; the file is removed on a clean exit."""

    path: Path
    _fd: int | None = None

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~umask())
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
                os.close(fd)
                raise BeamnetError(f"another sweep is writing into {self.path.parent} ({holder}); "
                                   "wait for it or choose another --out") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)             # the holder before us removed the file: lock the new one
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            try:
                os.unlink(self.path)
            except OSError:
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def clean_stale(sweep: Sweep) -> list[str]:
    """Remove the half-built run folders (``runs/.POINT.*.part``, ``.POINT.old-*``) and lock
    files an interrupted or killed sweep left; a folder still being built (its lock held) stays.
    Call under the sweep's :class:`Lock`. Returns the names removed."""
    import fnmatch
    import shutil

    from beamnet_lava import rundir

    runs = sweep.out / RUNS
    if not runs.is_dir():
        return []
    ids = {p.id for p in sweep.points}
    removed = []
    for e in sorted(os.listdir(runs)):
        if not any(fnmatch.fnmatch(e, pat) for pat in (".*.part", ".*.old-*", ".*.lock")):
            continue
        point = next((i for i in ids if e.startswith(f".{i}.")), None)
        if point is None:
            continue
        try:
            with rundir.locked(runs / point):         # removes a stray lock file on exit
                if not e.endswith(".lock"):
                    shutil.rmtree(runs / e, ignore_errors=True)
                removed.append(e)
        except BeamnetError:          # being built right now by another command
            continue
    return removed


def iter_run_dirs(sweep_dir: str | Path) -> Iterator[Path]:
    """The finished run directories of a sweep folder, in manifest order."""
    d = Path(sweep_dir)
    manifest = json.loads((d / MANIFEST).read_text())
    for p in manifest["points"]:
        run = d / p["run_dir"]
        if (run / checkpoint.METRICS).is_file():
            yield run


def expand(paths: list[Path]) -> list[Path]:
    """Run directories, with each sweep folder (holding sweep.json) replaced by its finished runs."""
    out: list[Path] = []
    for p in paths:
        if (Path(p) / MANIFEST).is_file():
            runs = list(iter_run_dirs(p))
            if not runs:
                raise BeamnetError(f"sweep {p} has no finished runs yet")
            out += runs
        else:
            out.append(Path(p))
    return out
