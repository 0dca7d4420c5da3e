"""The Loihi 2 back-end (``run --backend loihi2``): Lava's ``Loihi2HwCfg`` through Intel's
lava-loihi (INRC members only; untested on hardware here), and the chip / host statement of
every compiled process before it runs.

:data:`LOIHI2` is a :class:`~beamnet_lava.sim_cpu.backends.Backend`; the caller passes it down as
``backend`` (verbs.run does for ``--backend loihi2``), so sim_cpu runs it without importing deploy.
The chip / host table comes from :mod:`beamnet_lava.deploy.placement`, the module INRC job
bundles ship a copy of, so a local run with lava-loihi and a bundle say the same thing.
"""
from __future__ import annotations

import importlib
import warnings

from beamnet_lava.deploy import placement
from beamnet_lava.errors import BeamnetError, BeamnetWarning
from beamnet_lava.sim_cpu.backends import CPU, Backend

LOIHI_MODULES = ("lava.magma.core.model.c.model", "lava.magma.core.model.nc.model")


def lava_loihi_available() -> bool:
    """True when Intel's lava-loihi extension (INRC members only) is importable.

    Without it lava-nc's ``Loihi2HwCfg`` fails deep inside model selection with
    ``NameError: CLoihiProcessModel`` (run_configs.py swallows the ImportError).
    """
    try:
        for name in LOIHI_MODULES:
            importlib.import_module(name)
    except ImportError:
        return False
    return True


def _hardware(precision: str):
    if not lava_loihi_available():
        raise BeamnetError(
            "--backend loihi2 needs Intel's lava-loihi package, which is only available "
            "to INRC members (not on PyPI); install it on an INRC Loihi 2 system, or use "
            "--backend cpu for the bit-accurate CPU simulation; to take the network to an "
            "INRC machine, check it with `beamnet-lava inspect FILE.net` and write a job "
            "folder with `beamnet-lava bundle FILE.net -o DIR` (docs/loihi2.md)")
    if precision != "fixed":
        raise BeamnetError("Loihi 2 computes in fixed point; use --precision fixed")
    from lava.magma.core.run_configs import Loihi2HwCfg

    return Loihi2HwCfg()


def announce(root) -> list[dict]:
    """Warn with the chip / host table of the compiled network connected to ``root``."""
    rows = placement.process_placements(root)
    host = [r for r in rows if r["runs_on"].startswith("host")]
    summary = (f"Loihi2HwCfg: {len(rows) - len(host)} of {len(rows)} processes on the chip, "
               f"{len(host)} on the host (Python models: not a chip computation)")
    warnings.warn(summary + "\n" + placement.describe(rows), BeamnetWarning, stacklevel=2)
    return rows


LOIHI2 = Backend("loihi2", _hardware, announce)
BACKENDS = {b: b for b in (CPU, LOIHI2)}   # name -> back-end, for the callers that parse a name


def backend(name: str) -> Backend:
    """The back-end called ``name`` (``cpu`` or ``loihi2``); another name is a one-line error."""
    if name not in BACKENDS:
        raise BeamnetError(f"unknown backend {name!r}; choose {' or '.join(BACKENDS)}")
    return BACKENDS[name]
