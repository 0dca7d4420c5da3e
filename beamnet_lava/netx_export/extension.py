"""What every versioned extension of a NetX file (BEAM-Net, BRF) shares when read back."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import h5py
import numpy as np

from beamnet_lava.errors import BeamnetError


@contextlib.contextmanager
def open_extension(path: str | Path, group: str, version: int,
                   what: str) -> Iterator[tuple[h5py.File, Callable[[str], BeamnetError]]]:
    """Open ``path`` read-only after checking its ``/group`` extension and its version.

    Yields the file and ``bad(msg)``, which makes a BeamnetError naming the file.
    """
    p = Path(path)

    def bad(msg: str) -> BeamnetError:
        return BeamnetError(f"{p}: {msg}")

    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise bad(f"not a readable HDF5 file ({exc.__class__.__name__})") from None
    with f:
        if group not in f:
            raise bad(f"has no /{group} extension group (not a {what} export)")
        if not isinstance(f[group], h5py.Group):
            raise bad(f"/{group} is not a group (not a {what} export)")
        found = f[group].attrs.get("extension_version")
        if found is None:
            raise bad(f"/{group} has no extension_version attribute: an incomplete {what} "
                      "export; re-export it")
        if np.ndim(found) != 0 or found != version:
            raise bad(f"{what} extension version {found!r} is not supported by this beamnet-lava "
                      f"(it reads version {version}); upgrade or re-export")
        yield f, bad
