"""``beamnet-lava sweep``: seeds x settings of one base config, each point an ordinary run dir.

plan.py: the grid, the points, the folder layout, manifest, results table and lock;
engine.py: running the points on Ray (embedded or a cluster) with live progress.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from beamnet_lava import config as config_mod
from beamnet_lava.sweep.plan import (
    MANIFEST,
    RESULTS,
    Sweep,
    iter_run_dirs,
    parse_grid,
    parse_seeds,
)

__all__ = ["MANIFEST", "RESULTS", "Sweep", "iter_run_dirs", "plan", "run_sweep"]


def plan(config: str | Path | None, seeds: str, grid: list[str] | None, out: str | Path,
         model: str | None = None, overrides: dict[str, Any] | None = None) -> Sweep:
    """The sweep of ``config`` (a YAML/JSON file, or ``model``'s defaults) plus ``overrides``.

    A relative ``data_dir`` (as ``train`` reads it: from the current folder) is made
    absolute, as are the run directories (engine.py): a cluster's workers run elsewhere.
    """
    base = config_mod.load(config) if config else config_mod.default_for(model or config_mod.DEFAULT_MODEL)
    if overrides:
        base = base.replace(**overrides)
    if base.data_dir:
        base = base.replace(data_dir=str(Path(base.data_dir).expanduser().resolve()))
    return Sweep(Path(out), base.to_dict(), parse_seeds(seeds), parse_grid(grid, base),
                 str(config) if config else None)


def run_sweep(sweep: Sweep, *, workers: int | None = None, threads: int | None = None,
              address: str | None = None, progress: bool = True, console=None,
              on_point: Callable | None = None) -> dict[str, Any]:
    """Run ``sweep`` on Ray (engine.py); returns counts, failures and the engine used."""
    from beamnet_lava.sweep import engine

    display = engine.Display(console) if progress else None
    return engine.run(sweep, workers=workers, threads=threads, address=address, display=display,
                      on_point=on_point)
