"""One check of every output and input path of a command, before any work starts.

Every verb of the CLI calls :func:`check` first with what it will write and
what it reads, so a bad ``--json``/``--out``/``-o``/``--figure`` is one line
on stderr in a fraction of a second instead of an error after the whole run:
an empty name, a folder where a file belongs (or the reverse), a path inside
a file, an unwritable folder, a figure name that is not ``.png``, an existing
file without ``--force``, an output that is one of the command's own inputs
(or a folder replaced whole that holds one), and input files that are not
regular files (a named pipe would block the HDF5 reader forever).
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
        for inp in inputs:
            if _same(target, inp):
                raise BeamnetError(f"{o.flag} {p} is an input of this command ({inp}); "
                                   "choose another name")
        if o.force is False:
            raise BeamnetError(f"{p} already exists; pass --force to overwrite it")
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
