"""Atomic file writes and overwrite protection: nothing a user has is lost.

Every file beamnet-lava writes goes through :func:`atomic_path`: the bytes are
written to a temporary file beside the target and renamed over it only when
complete, so an error, a full disk or an interrupt leaves the target as it was
and no partial file behind. What the target *is* decides how it is written:

- a regular file (or nothing yet): replaced atomically; without ``replace``
  the file is published with :func:`os.link`, which fails if the name was
  taken meanwhile (two commands writing one output: the second is refused);
- a symlink: followed, and its target replaced atomically (the link stays);
- a named pipe or a character device (``/dev/stdout``, ``/dev/full``): the
  finished bytes are written through to it, as a shell redirection would;
- a folder, a block device or a socket: refused.

New files get the mode the umask gives (``0666 & ~umask``); a replaced file
keeps its mode. Write errors (a full disk, a read-only folder) become one
:class:`BeamnetError` naming the real output, never the temporary name.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from collections.abc import Iterator
from typing import Any

from beamnet_lava.errors import BeamnetError

NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def refuse_overwrite(path: Path, force: bool, flag: str = "--force") -> None:
    """Refuse an existing file unless ``force`` (a pipe or device is written through, not lost)."""
    target, kind = output_target(path)
    if kind == "file" and target.exists() and not force:
        raise BeamnetError(f"{path} already exists; pass {flag} to overwrite it")


def umask() -> int:
    """The process umask, read without changing it (Linux: /proc/self/status)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_error(exc: OSError, target: str | Path) -> BeamnetError:
    """One line for an OS error met while writing ``target``."""
    if exc.errno in NO_SPACE:
        return BeamnetError(f"no space left on the device to write {target}; nothing was written "
                            "(free some space or choose another location)")
    reason = exc.strerror or str(exc) or exc.__class__.__name__
    return BeamnetError(f"cannot write {target}: {reason}")


def output_target(path: str | Path) -> tuple[Path, str]:
    """Where writing ``path`` really goes, and how: ``(target, "file" | "stream")``.

    Symlinks are followed to the file they name; a named pipe or character
    device is a stream (written through); folders, block devices and sockets
    are refused.
    """
    p = Path(path)
    try:
        st = os.stat(p)                     # follows symlinks
    except (FileNotFoundError, NotADirectoryError):
        return (Path(os.path.realpath(p)) if p.is_symlink() else p), "file"
    except OSError as exc:
        raise write_error(exc, p) from None
    if stat.S_ISREG(st.st_mode):
        return Path(os.path.realpath(p)), "file"
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        return p, "stream"
    if stat.S_ISDIR(st.st_mode):
        raise BeamnetError(f"{p} is a folder; give a file name")
    what = "block device" if stat.S_ISBLK(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) \
        else "special file"
    raise BeamnetError(f"{p} is a {what}; refusing to write to it")


def _publish(tmp: Path, target: Path, replace: bool) -> None:
    if replace:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)                # fails if target exists: no clobbering, ever
    except FileExistsError:
        raise BeamnetError(f"{target} already exists (written meanwhile by another command?); "
                           "pass --force to overwrite it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if target.exists():                 # a file system without hard links
            raise BeamnetError(f"{target} already exists; pass --force to overwrite it") from None
        os.replace(tmp, target)
    else:
        tmp.unlink()


@contextlib.contextmanager
def atomic_path(path: str | Path, *, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on success publish it at ``path`` (see module doc).

    A crash or error leaves ``path`` untouched and removes the partial file;
    errors name ``path``, never the temporary file.
    """
    target, kind = output_target(path)
    private = None
    try:
        if kind == "stream":
            private = tempfile.mkdtemp(prefix="beamnet-lava-out-")
            tmp = Path(private) / "out"
            tmp.touch()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            try:
                mode = stat.S_IMODE(os.stat(target).st_mode) if target.exists() else 0o666 & ~umask()
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
            tmp = Path(name)
    except OSError as exc:
        raise write_error(exc, target) from None
    try:
        yield tmp
        if kind == "stream":
            with open(target, "wb") as sink, open(tmp, "rb") as src:
                shutil.copyfileobj(src, sink)
        else:
            _publish(tmp, target, replace)
    except BeamnetError as exc:
        message = str(exc).replace(str(tmp), str(target))
        raise (type(exc)(message) if message != str(exc) else exc) from None
    except OSError as exc:
        raise write_error(exc, target) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if private:
            shutil.rmtree(private, ignore_errors=True)


def write_bytes(path: str | Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path, replace=replace) as tmp:
        tmp.write_bytes(data)


def write_json(path: str | Path, data: Any, *, replace: bool = True) -> None:
    """Write JSON atomically (``-`` writes to stdout)."""
    text = json.dumps(data, indent=2, sort_keys=True, default=_jsonable)
    if str(path) == "-":
        print(text)
        return
    write_bytes(path, (text + "\n").encode(), replace=replace)


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
