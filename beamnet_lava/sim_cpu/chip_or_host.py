"""``run --backend loihi2``: state, per compiled process, whether it runs on the chip or the host.

Uses :mod:`beamnet_lava.sim_cpu.placement`, the module INRC job bundles ship a copy of, so a
local run with lava-loihi and a bundle say the same thing.
"""
from __future__ import annotations

import warnings

from beamnet_lava.sim_cpu import placement
from beamnet_lava.errors import BeamnetWarning


def announce(root) -> list[dict]:
    """Warn with the chip / host table of the compiled network connected to ``root``."""
    rows = placement.process_placements(root)
    host = [r for r in rows if r["runs_on"].startswith("host")]
    summary = (f"Loihi2HwCfg: {len(rows) - len(host)} of {len(rows)} processes on the chip, "
               f"{len(host)} on the host (Python models: not a chip computation)")
    warnings.warn(summary + "\n" + placement.describe(rows), BeamnetWarning, stacklevel=2)
    return rows
