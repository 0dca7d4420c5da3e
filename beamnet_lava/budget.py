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
