"""Output folders that are always one consistent run: built aside, swapped in, recorded.

A run directory (``train``), an evaluation folder (``evaluate``) and an event
dataset (``data saccade``) are each written into a hidden folder beside their
target and swapped in whole when complete (``renameat2(RENAME_EXCHANGE)``, one
atomic step), so an error, a full disk or an interrupt leaves the earlier
folder as it was, and a finished folder never mixes old and new files.

``--force`` replaces only what beamnet-lava wrote: a folder is recognised by
its ``manifest.json`` (or, for folders written before manifests existed, by a
marker file: ``checkpoint.pt``, ``evaluation.json``, ``saccade.json``), and a
folder holding anything else is refused. While a folder is being written, a
lock (``flock`` on ``.NAME.lock`` beside it) makes a second command writing
the same folder fail at once instead of interleaving files.

The manifest records a ``run_id``. Everything later written into a run
directory from that run (an export, ``run --json``, the ``evaluation/``
folder) is registered in its manifest with the run id it came from, and
exports and Parquet records carry the id too, so ``compare`` can refuse a
folder whose records came from different runs.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import fnmatch
import json
import os
import shutil
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from typing import Any

from beamnet_lava.errors import BeamnetError, Busy
from beamnet_lava.io_utils import umask, write_error, write_json

MANIFEST = "manifest.json"
FORMAT = 1
RUN_ID_ATTR = "beamnet_run_id"       # HDF5 root attribute of an export
EVALUATION_DIR = "evaluation"        # RUN_DIR/evaluation: where `evaluate RUN_DIR` writes
_OURS_HIDDEN = (".*.lock", ".*.part", ".*.old-*")   # our own lock and temporary names
LOCK_POLL_S = 0.05                   # how often a waiting lock tries again
REGISTER_WAIT_S = 60.0               # how long a report waits for its folder's manifest lock


@dataclass(frozen=True)
class Kind:
    """A kind of output folder: how to recognise an earlier one, and what of it is ours."""

    name: str
    what: str                       # for messages: "an earlier run directory"
    marker: str                     # a file only we write there (folders without a manifest)
    known: tuple[str, ...]          # entries of ours in a folder without a manifest (globs)
    manifest: bool = True           # write manifest.json (event datasets keep saccade.json only)


RUN = Kind("run", "a beamnet-lava run directory", "checkpoint.pt",
           ("config.json", "checkpoint.pt", "metrics.json", "*.parquet", "*.png", "evaluation"))
EVALUATION = Kind("evaluation", "a beamnet-lava evaluation folder", "evaluation.json",
                  ("evaluation.json", "predictions.parquet", "ood_*.parquet", "*.png"))
SACCADE = Kind("saccade", "an event dataset written by `beamnet-lava data saccade`", "saccade.json",
               ("saccade.json", "NMNIST"), manifest=False)
BUNDLE = Kind("bundle", "an INRC job folder written by `beamnet-lava bundle`", "bundle.json",
              ("bundle.json", "network.net", "inputs.npy", "labels.npy", "expected_output_spikes.npy",
               "readout.npz", "lavadl_plan.npz", "run_loihi2.py", "placement.py", "stock_graph.py",
               "lavadl_procs.py", "job_readout.py",
               "job.slurm", "requirements.txt", "README.md", "__pycache__"))   # the job imports its modules
INGEST = Kind("ingest", "a folder of run records written by `beamnet-lava ingest`", "cpu-simulation",
              ("cpu-simulation", "loihi2", "cpu-rerun"))
SWEEP = Kind("sweep", "a sweep folder written by `beamnet-lava sweep`", "sweep.json",
             ("sweep.json", "results.parquet", "runs", ".lock"), manifest=False)
KINDS = (RUN, EVALUATION, SACCADE, BUNDLE, INGEST, SWEEP)
RECORD_DEPTH = 4          # how far up from a file to look for the folder it is a record of

_building: dict[Path, Path] = {}     # folder being built -> where it will be swapped in


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        raise BeamnetError(f"{path} is not readable JSON; it records what wrote {folder}: "
                           "restore it or write the folder again") from None
    return data if isinstance(data, dict) else None


def run_id(path: str | Path) -> str | None:
    """The run id recorded by a run directory (its manifest) or an exported file (HDF5 attribute)."""
    p = Path(path)
    if p.is_dir():
        m = read_manifest(p)
        return m.get("run_id") if m else None
    try:
        with open(p, "rb") as f:
            if f.read(8) != b"\x89HDF\r\n\x1a\n":
                return None
        import h5py

        with h5py.File(p, "r") as f:
            value = f.attrs.get(RUN_ID_ATTR)
    except (OSError, ValueError):
        return None
    return value.decode() if isinstance(value, bytes) else (str(value) if value is not None else None)


def final_path(path: str | Path) -> Path:
    """Where a folder being built will live (``path`` itself otherwise)."""
    p = Path(path)
    return _building.get(Path(os.path.abspath(p)), p)


def relocate(obj: Any, built: Path, final: Path) -> Any:
    """``obj`` (a report) with paths under the folder being built pointed at its final place."""
    if isinstance(obj, dict):
        return {k: relocate(v, built, final) for k, v in obj.items()}
    if isinstance(obj, list):
        return [relocate(v, built, final) for v in obj]
    if isinstance(obj, str) and obj.startswith(str(built)):
        return str(final) + obj[len(str(built)):]
    return obj


def _entries(folder: Path) -> list[str]:
    return sorted(e for e in os.listdir(folder)
                  if not any(fnmatch.fnmatch(e, pat) for pat in _OURS_HIDDEN))


def foreign_entries(folder: Path, kind: Kind) -> list[str] | None:
    """Entries of ``folder`` that are not ours; None if the folder is not an earlier output at all."""
    entries = _entries(folder)
    m = read_manifest(folder)
    recorded = m is not None and m.get("kind") == kind.name
    if not recorded and not (folder / kind.marker).exists():
        return None
    ours = set(m.get("files", {})) | set(m.get("reports", {})) | {MANIFEST} if recorded else set()
    return [e for e in entries
            if e not in ours and not any(fnmatch.fnmatch(e, pat) for pat in kind.known)]


def kind_of(folder: str | Path) -> Kind | None:
    """The kind of output folder ``folder`` is (its manifest, else its marker file), or None."""
    d = Path(folder)
    try:
        m = read_manifest(d)
    except BeamnetError:
        m = None
    if m is not None:
        for kind in KINDS:
            if m.get("kind") == kind.name:
                return kind
    for kind in KINDS:
        if (d / kind.marker).exists():
            return kind
    return None


def record_of(path: str | Path) -> tuple[Path, Kind] | None:
    """``(folder, kind)`` when ``path`` (symlinks resolved) is one of the records of a folder
    beamnet-lava wrote whole: an entry written with the folder (its manifest's ``files``,
    or for a folder without a manifest one of the kind's known entries), or anything below
    such an entry. A report registered later (``RUN/model.net``, ``--json RUN/x.json``) is not."""
    p = Path(os.path.realpath(path))
    parts: list[str] = []
    folder = p
    for _ in range(RECORD_DEPTH):
        parts.insert(0, folder.name)
        folder = folder.parent
        if folder == folder.parent:
            return None
        kind = kind_of(folder)
        if kind is None:
            continue
        top = parts[0]
        try:
            m = read_manifest(folder) if kind.manifest else None
        except BeamnetError:
            m = None
        if top == MANIFEST and m is not None:
            return folder, kind
        if m is not None and m.get("kind") == kind.name:
            if top in m.get("files", {}):
                return folder, kind
        elif any(fnmatch.fnmatch(top, pat) for pat in kind.known) or top == kind.marker:
            return folder, kind
    return None


def is_report(path: str | Path) -> bool | None:
    """Whether ``path`` is a report registered in the manifest of the folder holding it
    (:func:`register`); None when that folder has no manifest of ours (nothing is known)."""
    p = Path(os.path.realpath(path))
    try:
        m = read_manifest(p.parent)
    except BeamnetError:
        return None
    if m is None or not any(m.get("kind") == k.name for k in KINDS):
        return None
    return p.name in m.get("reports", {})


def _listing(names: list[str], limit: int = 4) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_replaceable(out: str | Path, kind: Kind, force: bool, flag: str = "--out") -> None:
    """Refuse ``out`` unless it is absent, empty, or (with ``force``) an earlier output of ours."""
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise BeamnetError(f"{flag} {out} is a file; give a folder")
    entries = _entries(out)
    if not entries:
        return
    if not force:
        raise BeamnetError(f"{out} is not empty; pass --force to replace it (only {kind.what} "
                           f"is replaced) or choose another {flag}")
    foreign = foreign_entries(out, kind)
    if foreign is None:
        raise BeamnetError(f"{out} is not {kind.what} (it holds {_listing(entries)}); --force "
                           f"replaces only such a folder: choose another {flag}")
    if foreign:
        raise BeamnetError(f"{out} holds files beamnet-lava did not write there ({_listing(foreign)}); "
                           f"move them away or choose another {flag}")


@contextlib.contextmanager
def locked(target: str | Path, flag: str = "--out", shown: str | Path | None = None,
           wait_s: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on writing ``target``; a second holder is refused at once, or
    after ``wait_s`` seconds of waiting for the holder to finish (for short updates, such as
    :func:`register`'s, that two commands may make at the same moment)."""
    shown = target if shown is None else shown
    deadline = time.monotonic() + wait_s
    target = Path(os.path.abspath(target))
    lock = target.parent / f".{target.name}.lock"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, target) from None
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~umask())
        except OSError as exc:
            raise write_error(exc, target) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            if time.monotonic() < deadline:
                time.sleep(LOCK_POLL_S)
                continue
            raise Busy(f"{shown} is being written by another beamnet-lava command "
                       f"(pid {pid}); wait for it to finish or choose another {flag}") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)                 # the holder before us removed the file: lock the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap(built: Path, out: Path, in_place: bool) -> None:
    """Put the finished folder ``built`` at ``out``, removing the earlier one."""
    if not out.exists():
        os.rename(built, out)
    elif in_place:           # ``out`` holds our working folder: swap its entries one by one
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out))
        for e in _entries(out):
            os.rename(out / e, trash / e)
        for e in os.listdir(built):
            os.rename(built / e, out / e)
        shutil.rmtree(trash)
    elif _exchange(built, out):
        shutil.rmtree(built)          # now the earlier folder
    else:
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rename(out, old / "x")
        os.rename(built, out)
        shutil.rmtree(old)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT/SIGTERM/SIGHUP for the few renames of a swap (delivered right after)."""
    sigs = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def building(out: str | Path, kind: Kind, *, force: bool = False, flag: str = "--out",
             source_run_id: str | None = None) -> Iterator[Path]:
    """Yield an empty folder to write ``out``'s content into; swap it in when the block succeeds.

    ``out`` must be absent, empty, or (with ``force``) an earlier output of this
    ``kind`` holding nothing else; it is locked while the block runs.
    """
    shown, out = Path(out), Path(os.path.realpath(out))
    with locked(out, flag, shown):
        check_replaceable(shown, kind, force, flag)
        in_place = _inside(Path.cwd().resolve(), out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            built = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part",
                                          dir=out if in_place else out.parent))
            os.chmod(built, 0o777 & ~umask())
        except OSError as exc:
            raise write_error(exc, shown) from None
        _building[built] = out
        manifest = {"format": FORMAT, "kind": kind.name, "run_id": uuid.uuid4().hex,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "files": {}}
        if source_run_id is not None:
            manifest["source_run_id"] = source_run_id
        try:
            if kind.manifest:
                write_json(built / MANIFEST, manifest)
            yield built
            if kind.manifest:
                manifest["files"] = {e: manifest["run_id"] for e in sorted(os.listdir(built))
                                     if e != MANIFEST}
                write_json(built / MANIFEST, manifest)
            with _signals_held():
                _swap(built, out, in_place)
        except OSError as exc:
            raise write_error(exc, shown) from None
        except BeamnetError as exc:          # name the folder the user gave, never ours being built
            message = str(exc).replace(str(built), str(shown))
            raise (type(exc)(message) if message != str(exc) else exc) from None
        finally:
            _building.pop(built, None)
            if built.exists():
                shutil.rmtree(built, ignore_errors=True)


def register(path: str | Path, source_run_id: str | None) -> None:
    """Record ``path`` (just written; a symlink: the file it names) as a report in the manifest
    of the folder of ours holding it, if any."""
    p = Path(os.path.realpath(path))
    folder = p.parent
    if folder in _building or not (folder / MANIFEST).is_file():
        return
    with locked(folder, wait_s=REGISTER_WAIT_S):     # two commands may report at once (make demo)
        m = read_manifest(folder)
        if m is None or not any(m.get("kind") == k.name for k in KINDS):
            return
        if p.name not in m.get("files", {}):            # written with the run: stays a record
            m.setdefault("reports", {})[p.name] = source_run_id
        write_json(folder / MANIFEST, m)


def check_consistent(run_dir: str | Path, records: list[Path], read_meta) -> None:
    """Refuse a run directory whose records (``read_meta(path)['run_id']``) came from another run."""
    d = Path(run_dir)
    m = read_manifest(d)
    if m is None:
        return                                   # written before run ids existed: nothing to check
    expected = m.get("source_run_id") if m.get("kind") == EVALUATION.name else m.get("run_id")
    if m.get("kind") == RUN.name and (d / EVALUATION_DIR / MANIFEST).is_file():
        ev = read_manifest(d / EVALUATION_DIR) or {}
        if ev.get("source_run_id") != expected:
            raise BeamnetError(f"{d} mixes runs: its evaluation/ came from run "
                               f"{ev.get('source_run_id')}, the run directory holds run {expected}; "
                               f"re-run `beamnet-lava evaluate {d} --force`")
    for path in records:
        got = read_meta(path).get("run_id") or None
        if got != expected:
            raise BeamnetError(f"{d} mixes runs: {path.relative_to(d) if _inside(path, d) else path} "
                               f"came from run {got}, the folder records run {expected}; "
                               "write it again (train or evaluate with --force)")


def evaluation_folder(target: str | Path, out: str | Path | None = None) -> Path:
    """Where ``evaluate`` writes: ``out``, else RUN_DIR/evaluation or FILE.evaluation."""
    if out is not None:
        return Path(out)
    t = Path(target)
    return t / EVALUATION_DIR if t.is_dir() else Path(str(t) + ".evaluation")


def stamp(h5file, run_dir: str | Path) -> None:
    """Record ``run_dir``'s run id in an export being written (an open ``h5py.File``)."""
    rid = run_id(run_dir)
    if rid:
        h5file.attrs[RUN_ID_ATTR] = rid
