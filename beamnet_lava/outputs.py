"""One check of every output and input path of a command, before any work starts.

Every verb calls :func:`check` first with what it will write and what it reads,
so a bad ``--json``/``--out``/``-o``/``--figure``/``--record`` is one line on
stderr in a fraction of a second instead of an error after the whole run (or a
lost file): an empty name, a folder where a file belongs (or the reverse), a
path inside a file, an unwritable folder, a figure name that is not ``.png``,
and input files that are not regular files (a named pipe would block the HDF5
reader forever). What may be replaced:

- never one of the command's own inputs: the same file under any name
  (symlinks resolved, hard links by ``samefile``), an existing file inside an
  input folder (a run directory, a bundle, a dataset), except a report of ours
  written there earlier (``RUN/model.net``, ``RUN/lava_run.json``), or a
  folder replaced whole that holds an input;
- never a record of a folder beamnet-lava wrote whole (a run directory's
  ``checkpoint.pt``/``metrics.json``, a bundle's ``inputs.npy``, a sweep's
  ``sweep.json``, ...), whatever the command;
- an existing file only with ``--force``, and only if it is a file of the
  format the output writes (``--force`` replaces what beamnet-lava wrote: a
  JSON report, a NetX/NIR HDF5 file, a PNG, a PDF or HTML report, an ``.npz``
  record), never a user's text, image or data file that happens to sit there.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from beamnet_lava import rundir
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import output_target


@dataclass(frozen=True)
class Out:
    """An output path of a command."""

    path: str | Path | None
    flag: str                              # how the user gave it: --json, --out, -o, --figure
    folder: bool = False                   # a folder (else a file)
    force: bool | None = None              # None: an existing file is replaced (reports)
    suffix: str | None = None              # the file format's suffix, e.g. ".png"
    stdout: bool = False                   # "-" writes to stdout
    kind: rundir.Kind | None = None        # a folder replaced whole (run dir, evaluation, dataset)
    format: str | None = None              # what an existing file must be for --force to replace it
                                           # (a key of FORMATS; default: from suffix or flag)


def _magic(*prefixes: bytes):
    def looks(head: bytes) -> bool:
        return any(head.startswith(m) for m in prefixes)
    return looks


def _json_head(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text[:1] in (b"{", b"[")


def _html_head(head: bytes) -> bool:
    text = head.lstrip().lower()
    return text.startswith(b"<!doctype html") or text.startswith(b"<html")


HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: formats of the files beamnet-lava writes: a name for messages and a test of a file's first bytes
FORMATS = {
    "json": ("a JSON report", _json_head),
    "hdf5": ("an HDF5 network file (NetX or NIR)", _magic(HDF5_MAGIC)),
    "png": ("a PNG figure", _magic(b"\x89PNG\r\n\x1a\n")),
    "pdf": ("a PDF report", _magic(b"%PDF-")),
    "html": ("an HTML report", _html_head),
    "npz": ("an .npz record", _magic(b"PK\x03\x04", b"PK\x05\x06")),
}
_BY_SUFFIX = {".json": "json", ".net": "hdf5", ".h5": "hdf5", ".hdf5": "hdf5", ".nir": "hdf5",
              ".png": "png", ".pdf": "pdf", ".html": "html", ".htm": "html", ".npz": "npz"}


def input_file(path: str | Path | None, flag: str) -> None:
    """Refuse an input that is missing or not a regular file (a FIFO, a device, a folder)."""
    if path is None:
        return
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise BeamnetError(f"{flag} {p}: no such file") from None
    except OSError as exc:
        raise BeamnetError(f"{flag} {p} cannot be read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise BeamnetError(f"{flag} {p} is a folder; give a file")
    if not stat.S_ISREG(st.st_mode):
        raise BeamnetError(f"{flag} {p} is not a regular file (a named pipe or device?); "
                           "give a file")


def _existing_ancestor(p: Path, flag: str, shown: Path) -> None:
    anc = Path(os.path.abspath(p))
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise BeamnetError(f"{flag} {shown} is inside {anc}, which is a file")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise BeamnetError(f"{flag} {shown}: cannot write into {anc} (permission denied)")


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _format_of(o: Out, p: Path) -> str | None:
    if o.format is not None:
        return o.format
    if o.flag == "--json":
        return "json"
    return _BY_SUFFIX.get(p.suffix.lower())


def _inside(path: Path, folder: Path) -> bool:
    return folder in path.parents


def _check_file(o: Out, inputs: list[Path]) -> None:
    p = Path(o.path)
    try:
        target, how = output_target(p)
    except BeamnetError as exc:
        raise BeamnetError(f"{o.flag} {exc}") from None
    if how == "stream":
        return
    if o.suffix and p.suffix.lower() != o.suffix:
        raise BeamnetError(f"{o.flag} {p}: the file is written as {o.suffix[1:].upper()}; give a "
                           f"name ending in {o.suffix}")
    if target.exists():
        real = Path(os.path.realpath(target))
        for inp in inputs:
            if _same(target, inp):
                raise BeamnetError(f"{o.flag} {p} is an input of this command ({inp}); "
                                   "choose another name")
        record = rundir.record_of(real)
        report = rundir.is_report(real)
        for inp in inputs:
            folder = Path(os.path.realpath(inp))
            if inp.is_dir() and _inside(real, folder) and not report:
                raise BeamnetError(f"{o.flag} {p} is a file inside {inp}, an input of this command; "
                                   "choose another name")
        if record is not None:
            folder, kind = record
            raise BeamnetError(f"{o.flag} {p} is part of {folder}, {kind.what}; choose another name")
        if report is False:
            raise BeamnetError(f"{o.flag} {p} exists and was not written by beamnet-lava (its folder's "
                               f"{rundir.MANIFEST} does not list it); move it away or choose another name")
        if o.force is False:
            raise BeamnetError(f"{p} already exists; pass --force to overwrite it")
        fmt = _format_of(o, p)
        if fmt is not None:
            what, looks = FORMATS[fmt]
            try:
                with open(target, "rb") as fh:
                    head = fh.read(64)
            except OSError as exc:
                raise BeamnetError(f"{o.flag} {p} cannot be read ({exc.strerror}); choose another name") from None
            if not looks(head):
                raise BeamnetError(f"{o.flag} {p} exists and is not {what}; --force replaces only "
                                   "files beamnet-lava writes: move it away or choose another name")
    _existing_ancestor(target.parent, o.flag, p)


def _check_folder(o: Out, inputs: list[Path]) -> None:
    p = Path(o.path)
    if p.exists() and not p.is_dir():
        raise BeamnetError(f"{o.flag} {p} is a file; give a folder")
    _existing_ancestor(p, o.flag, p)
    if o.kind is None:
        return
    real = Path(os.path.realpath(p))
    for inp in inputs:
        r = Path(os.path.realpath(inp))
        if r == real or real in r.parents:
            raise BeamnetError(f"{o.flag} {p} would replace {inp}, an input of this command; "
                               "choose another folder")
    rundir.check_replaceable(p, o.kind, bool(o.force), o.flag)


def check(outputs: list[Out], inputs: list[str | Path | None] = ()) -> None:
    """Validate ``outputs`` against the file system and the command's ``inputs`` (see module doc)."""
    ins = [Path(i) for i in inputs if i is not None and str(i) != "" and Path(i).exists()]
    for o in outputs:
        if o.path is None:
            continue
        if str(o.path) == "":
            what = "folder" if o.folder else "file"
            raise BeamnetError(f"{o.flag} needs a {what} name" + (" ('-' for stdout)" if o.stdout else ""))
        if o.stdout and str(o.path) == "-":
            continue
        (_check_folder if o.folder else _check_file)(o, ins)
