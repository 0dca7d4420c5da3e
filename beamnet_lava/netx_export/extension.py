"""What every versioned extension of a NetX file (BEAM-Net, BRF) shares when read back."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import h5py
import numpy as np

from beamnet_lava import budget
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

    budget.check_hdf5(p)                    # declared sizes, before any dataset is read
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


def read_config(f: h5py.File, group: str, bad: Callable[[str], BeamnetError]):
    """The training config an extension carries as ``/group``'s ``config_json`` attribute.

    Checked like a config file (``config.from_dict``); every problem is ``bad(...)``.
    """
    import json

    from beamnet_lava.config import from_dict

    raw = f[group].attrs.get("config_json")
    raw = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not isinstance(raw, str):
        raise bad(f"{group} config_json is missing or not a string")
    try:
        return from_dict(json.loads(raw))
    except ValueError as exc:
        raise bad(f"{group} config_json is not valid JSON ({exc})") from None
    except BeamnetError as exc:
        raise bad(f"{group} config_json: {exc}") from None


def read_array(f: h5py.File, key: str, bad: Callable[[str], BeamnetError], *, ndim: int,
               integer: bool = False, kinds: str = "biuf") -> np.ndarray:
    """Dataset ``key`` as float64: ``ndim`` dimensions, a dtype of ``kinds``, finite values
    (whole numbers within any fixed-point range when ``integer``)."""
    ds = f.get(key)
    if ds is None:
        raise bad(f"missing {key}")
    if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in kinds:
        raise bad(f"{key} must hold integers" if kinds == "biu" else f"{key} must be an array of numbers")
    a = np.asarray(ds[()], dtype=np.float64)
    if a.ndim != ndim:
        raise bad(f"{key} has {a.ndim} dimension(s), expected {ndim}")
    if not np.all(np.isfinite(a)):
        raise bad(f"{key} holds NaN or infinite values")
    if integer and np.any(a != np.round(a)):
        raise bad(f"{key} holds fractional values; it must hold whole numbers")
    if integer and a.size and np.abs(a).max() > 2**53:
        raise bad(f"{key} holds values beyond any fixed-point range (up to {np.abs(a).max():g})")
    return a
