"""What several benchmarks share (they run as scripts, so this folder is on sys.path)."""
from __future__ import annotations

from pathlib import Path


def run_or_train(run_dir: Path | None, cfg, work: Path) -> Path:
    """``run_dir`` when the user gave one, else a fresh training of ``cfg`` into ``work/run``."""
    if run_dir is not None:
        return run_dir
    from beamnet_lava.workflows.train import train

    train(cfg, work / "run", progress=False)
    return work / "run"
