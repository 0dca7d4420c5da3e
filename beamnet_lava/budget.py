"""Memory a command will allocate, estimated from its sizes before it allocates anything.

No size in a config, a file or on the command line has a fixed upper bound
(``time_steps``, ``n_memory``, hidden sizes, samples, saccade steps), so every
verb estimates the bytes of its largest arrays first and refuses, in one line,
when they exceed the limit: ``needs ~X GiB, limit Y GiB; lower --Z``.

The limit is :data:`FRACTION` of the memory the machine has available now
(``MemAvailable`` in ``/proc/meminfo``; psutil or sysconf elsewhere), or
``$BEAMNET_LAVA_MEMORY_GIB`` when set. The estimates count the arrays that grow
with the sizes (spike rasters, state kept for the gradient, parameters with
their Adam moments) and leave out what does not (Python, torch, Lava's own
processes), so they are lower bounds of the real peak to within a small factor.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from beamnet_lava.errors import BeamnetError

GIB = 1 << 30
FRACTION = 0.8               # of the available memory a command may plan to use
LIMIT_ENV = "BEAMNET_LAVA_MEMORY_GIB"
F32, F64 = 4, 8
STEP_STATE = 12              # float64 tensors one BEAM-Net memory step keeps for autograd (u, v, i, h, ...)
SLAYER_STATE = 8             # float32 tensors per CUBA neuron and step (current, voltage, spikes, grads)
ADAM = 4                     # a trained parameter: value, gradient, two Adam moments


def available_bytes() -> int:
    """Memory available to new allocations now (Linux: MemAvailable; else psutil if installed,
    else the free physical pages)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        import psutil
    except ImportError:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return int(psutil.virtual_memory().available)


def limit_bytes() -> tuple[int, str]:
    """The planning limit and where it comes from."""
    raw = os.environ.get(LIMIT_ENV)
    if raw:
        try:
            gib = float(raw)
        except ValueError:
            gib = math.nan
        if not (math.isfinite(gib) and gib > 0):
            raise BeamnetError(f"${LIMIT_ENV}={raw!r} must be a positive number of GiB")
        return int(gib * GIB), f"${LIMIT_ENV}"
    return int(FRACTION * available_bytes()), f"{FRACTION:.0%} of available memory"


def check(need: float, what: str, hint: str) -> None:
    """Refuse ``what`` when its estimated ``need`` (bytes) exceeds the limit; ``hint`` says
    which size to lower."""
    limit, source = limit_bytes()
    if need > limit:
        raise BeamnetError(f"{what} needs ~{need / GIB:,.3g} GiB of memory, limit "
                           f"{limit / GIB:,.3g} GiB ({source}); {hint}")


# -- estimates (training: each family's train_memory hook, beside its training code) ------------

def dense_params(sizes: list[int]) -> int:
    """Weights of dense layers of ``sizes`` (inputs first)."""
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def train_bytes(cfg, n_samples: int, n_inputs: int, n_classes: int) -> float:
    """Largest arrays of training ``cfg`` on ``n_samples`` samples of ``n_inputs`` inputs: the
    ``train_memory`` hook of its family (each family's training module; import
    :mod:`beamnet_lava.training` to register them)."""
    from beamnet_lava.families import family_of

    return family_of(cfg).hook("train_memory")(cfg, n_samples, n_inputs, n_classes)[0]


def check_train(cfg, data, what: str = "training") -> None:
    """Refuse training ``cfg`` on the loaded split ``data`` when it would not fit (the estimate
    and the sizes to lower come from the family's ``train_memory`` hook)."""
    from beamnet_lava.families import family_of

    n_samples = len(data.y_train) + len(data.y_val) + len(data.y_test)
    n_inputs = int(data.x_train.shape[1])
    family = family_of(cfg)
    if family.inputs == "sequences" and data.events is None:
        n_inputs = 1                                    # pixel sequences: one input per step
    need, hint = family.hook("train_memory")(cfg, n_samples, n_inputs, data.n_classes)
    check(need, what, hint)


def run_bytes(n_samples: int, n_inputs: int, sizes: list[int], time_steps: int,
              state: int = F32) -> float:
    """A Lava run: the input raster, every layer's spikes from Lava and from the reference
    model, for ``n_samples`` samples of ``time_steps`` steps (``state``: bytes per value)."""
    return n_samples * time_steps * (n_inputs * F32 + sum(sizes) * (2 * state + F64))


def check_run(n_samples: int, n_inputs: int, sizes: list[int], time_steps: int,
              state: int = F32) -> None:
    check(run_bytes(n_samples, n_inputs, sizes, time_steps, state), f"running {n_samples} samples "
          f"of {time_steps} steps", "lower --samples or --time-steps (a file's recorded time "
          "steps may be absurd: re-export it)")


# -- sizes a file declares ---------------------------------------------------------------------

MAX_HDF5_OBJECTS = 100_000   # groups + datasets: NetX / NIR files of real networks hold < 10,000


def _human(n: float) -> str:
    return f"{n / GIB:,.3g} GiB" if n >= GIB / 10 else f"{n:,.0f} bytes"


def check_hdf5(path: str | Path, shown: str | Path | None = None) -> None:
    """Refuse an HDF5 file whose datasets declare more data than it can hold, before reading.

    A file of a few kilobytes can declare a 1e6 x 1e6 dataset (never written: HDF5 then
    returns its fill value), and reading it allocates terabytes. Refused here, in one line:
    an unfiltered dataset declaring more bytes than the whole file has, data kept in other
    files (external storage, virtual datasets: ``/dev/zero`` or a named pipe would be read),
    more than :data:`MAX_HDF5_OBJECTS` objects, and compressed datasets unpacking to more
    than the memory limit (:func:`check`); unfiltered data is bounded by the file's size. A file that is not HDF5 passes: its
    reader says what it is.
    """
    import h5py
    import numpy as np

    p = Path(path)
    shown = p if shown is None else shown
    try:
        size = p.stat().st_size
        f = h5py.File(p, "r")
    except (OSError, ValueError):
        return
    total, count, problem = 0, 0, None

    def visit(name: str, obj) -> object:
        nonlocal total, count, problem
        count += 1
        if count > MAX_HDF5_OBJECTS:
            problem = f"holds more than {MAX_HDF5_OBJECTS:,} groups and datasets (a damaged or crafted file)"
            return True
        for key in obj.attrs:
            try:
                aid = obj.attrs.get_id(key)
                total += int(np.prod(aid.shape or (), dtype=object)) * aid.dtype.itemsize
            except (OSError, KeyError, TypeError, ValueError):
                continue
        if not isinstance(obj, h5py.Dataset):
            return None
        if obj.is_virtual:
            problem = f"dataset /{name} is virtual (its data lives in other files); give a self-contained file"
            return True
        if obj.external:
            problem = (f"dataset /{name} keeps its data in an external file ({obj.external[0][0]!r}); "
                       "give a self-contained file")
            return True
        if obj.shape is None:
            return None
        declared = int(np.prod(obj.shape, dtype=object)) * obj.dtype.itemsize
        filtered = obj.id.get_create_plist().get_nfilters() > 0
        if not filtered and declared > size:
            problem = (f"dataset /{name} declares shape {obj.shape} ({_human(declared)}) but the whole "
                       f"file has {size:,} bytes: a damaged or crafted file")
            return True
        if filtered:               # compressed: what it unpacks to is bounded only by the memory limit
            total += declared
        return None

    with f:
        try:
            visit("", f)
            if problem is None:
                f.visititems(visit)
        except (OSError, RuntimeError, KeyError) as exc:
            raise BeamnetError(f"{shown}: a damaged HDF5 file ({exc.__class__.__name__}: "
                               f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if problem is not None:
        raise BeamnetError(f"{shown}: {problem}")
    limit, source = limit_bytes()
    if total > limit:
        raise BeamnetError(f"{shown} declares {_human(total)} of compressed data, more than the memory "
                           f"limit {limit / GIB:,.3g} GiB ({source}): a damaged or crafted file?")


def npy_header(path: str | Path, flag: str = "") -> tuple[tuple[int, ...], object, int]:
    """``(shape, dtype, data offset)`` of a .npy file, read from its header only; a file
    declaring more data than it holds, pickled objects or a structured dtype is refused."""
    import numpy as np
    from numpy.lib import format as npy

    p = Path(path)
    name = f"{flag} {p}".strip()
    try:
        with open(p, "rb") as fh:
            version = npy.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = npy.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, _, dtype = npy.read_array_header_2_0(fh)
            else:
                shape, _, dtype = npy._read_array_header(fh, version)   # 3.0: utf-8 field names
            offset = fh.tell()
        size = p.stat().st_size
    except FileNotFoundError:
        raise BeamnetError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise BeamnetError(f"{name} is a folder; give a .npy file") from None
    except (ValueError, OSError, SyntaxError, TypeError, EOFError) as exc:
        raise BeamnetError(f"{name}: not a .npy array ({str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__})") from None
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise BeamnetError(f"{name} holds Python objects (a pickled array, never loaded); save a "
                           "numeric array: np.save(path, x.astype(bool))")
    if dtype.fields is not None or dtype.subdtype is not None:
        raise BeamnetError(f"{name} has a structured dtype {dtype}; save a plain numeric array")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > size - offset:
        raise BeamnetError(f"{name} declares shape {tuple(shape)} of {dtype} ({_human(declared)}) but "
                           f"holds {max(size - offset, 0):,} bytes of data: truncated or damaged")
    return tuple(int(s) for s in shape), dtype, offset


def inputs_run_bytes(n_samples: int, steps: int, n_inputs: int, sizes: list[int], carry: int,
                     itemsize: int = 1) -> float:
    """``run --inputs``: the loaded array and its uint8 copy, the padded (samples, inputs,
    steps) raster, the Lava run of it (:func:`run_bytes`) and every layer's spikes kept
    as bool arrays (a copy and a transposed view per layer)."""
    window = steps + 2 * carry
    return (n_samples * steps * n_inputs * (itemsize + 2) + n_samples * n_inputs * window
            + run_bytes(n_samples, n_inputs, sizes, window) + 2 * n_samples * window * sum(sizes))


def check_inputs_run(n_samples: int, steps: int, n_inputs: int, sizes: list[int], carry: int,
                     itemsize: int = 1) -> None:
    check(inputs_run_bytes(n_samples, steps, n_inputs, sizes, carry, itemsize),
          f"running {n_samples:,} input samples of {steps:,} steps",
          "give fewer samples or steps in --inputs")


def load_npy(path: str | Path, flag: str = ""):
    """The array of a .npy file, after :func:`npy_header` has checked what it declares
    (never a pickle); any read failure is one BeamnetError."""
    import numpy as np

    p = Path(path)
    npy_header(p, flag)
    name = f"{flag} {p}".strip()
    try:
        return np.load(p, allow_pickle=False)
    except FileNotFoundError:
        raise BeamnetError(f"{name}: no such file") from None
    except (ValueError, OSError) as exc:
        raise BeamnetError(f"{name}: not a .npy array ({str(exc).splitlines()[0]})") from None
