"""Run configurations: the Lava CPU simulator, or Loihi 2 through Intel's lava-loihi."""
from __future__ import annotations

import importlib

from beamnet_lava.errors import BeamnetError
from beamnet_lava.names import BACKENDS, PRECISIONS

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


def run_config(precision: str, backend: str):
    """The Lava RunConfig for ``precision`` ('fixed'/'float') on ``backend``."""
    if precision not in PRECISIONS:
        raise BeamnetError(f"unknown precision {precision!r}; choose fixed or float")
    if backend not in BACKENDS:
        raise BeamnetError(f"unknown backend {backend!r}; choose cpu or loihi2")
    from lava.magma.core.run_configs import Loihi2HwCfg, Loihi2SimCfg

    if backend == "loihi2":
        if not lava_loihi_available():
            raise BeamnetError(
                "--backend loihi2 needs Intel's lava-loihi package, which is only available "
                "to INRC members (not on PyPI); install it on an INRC Loihi 2 system, or use "
                "--backend cpu for the bit-accurate CPU simulation; to take the network to an "
                "INRC machine, check it with `beamnet-lava inspect FILE.net` and write a job "
                "folder with `beamnet-lava bundle FILE.net -o DIR` (docs/loihi2.md)")
        if precision != "fixed":
            raise BeamnetError("Loihi 2 computes in fixed point; use --precision fixed")
        return Loihi2HwCfg()
    return Loihi2SimCfg(select_tag="fixed_pt" if precision == "fixed" else "floating_pt")
