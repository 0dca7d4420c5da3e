"""Run directories: ``config.json``, ``checkpoint.pt`` (best on validation), ``metrics.json``."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import torch

import beamnet_lava.models  # noqa: F401  (registers every family's build hook)
from beamnet_lava import config as config_mod
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import family_of
from beamnet_lava.io_utils import atomic_path

CONFIG = "config.json"
CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.json"
FORMAT = 2          # checkpoint layout; 1 (no calibration record) still loads


def build_model(cfg: config_mod.TrainConfig, n_in: int, n_out: int):
    """The model of ``cfg`` for ``n_in`` inputs (encoder neurons) and ``n_out`` classes."""
    return family_of(cfg).hook("build")(cfg, n_in, n_out)


def save_checkpoint(path: Path, model, cfg: config_mod.TrainConfig, epoch: int,
                    val_accuracy: float, calibration: dict | None = None) -> None:
    """``calibration``: scalars fitted on validation after training (e.g. a temperature)."""
    state = {"format": FORMAT, "config": cfg.to_dict(), "sizes": list(model.sizes), "epoch": epoch,
             "val_accuracy": val_accuracy, "state_dict": _cpu_state(model),
             "calibration": dict(calibration or {})}
    buffer = io.BytesIO()   # torch.save names the archive after the file: keep bytes name-free
    torch.save(state, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def saver(out: Path, cfg: config_mod.TrainConfig):
    """``save(model, epoch, val_accuracy)``: keep ``model`` as ``out``'s best checkpoint."""
    return lambda model, epoch, acc: save_checkpoint(out / CHECKPOINT, model, cfg, epoch, acc)


def _cpu_state(model) -> dict:
    """``model.state_dict()`` with every tensor on the CPU (a GPU-trained run loads anywhere);
    a CPU model's state dict is returned as is, so its checkpoint bytes do not change."""
    state = model.state_dict()
    if all(t.device.type == "cpu" for t in state.values()):
        return state
    cpu = type(state)((k, t.cpu()) for k, t in state.items())
    cpu._metadata = getattr(state, "_metadata", None)   # module versions, as state_dict() keeps them
    return cpu


@dataclass
class LoadedRun:
    run_dir: Path
    config: config_mod.TrainConfig
    model: torch.nn.Module
    epoch: int
    val_accuracy: float
    calibration: dict


def load_run(run_dir: str | Path) -> LoadedRun:
    """Load a run directory's best checkpoint into an eval-mode model."""
    d = Path(run_dir)
    if not d.is_dir():
        raise BeamnetError(f"run directory {d} does not exist")
    ckpt = d / CHECKPOINT
    if not ckpt.is_file():
        raise BeamnetError(f"{d} has no {CHECKPOINT}; train into it first "
                           f"(beamnet-lava train --out {d})")
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        version = state.get("format") if isinstance(state, dict) else None
        if version not in (1, FORMAT):
            raise BeamnetError(f"{ckpt} has checkpoint format {version!r}; this beamnet-lava reads "
                               f"formats 1..{FORMAT}: re-train the run with this version "
                               "(or use the beamnet-lava version that wrote it)")
        cfg = config_mod.from_dict(state["config"])
        sizes = state["sizes"]
        model = build_model(cfg, sizes[0], sizes[-1])
        model.load_state_dict(state["state_dict"])
    except BeamnetError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here means a damaged file
        raise BeamnetError(f"{ckpt} could not be loaded ({exc.__class__.__name__}: {exc}); "
                           "is it a beamnet-lava checkpoint?") from None
    return LoadedRun(d, cfg, model.eval(), int(state["epoch"]), float(state["val_accuracy"]),
                     dict(state.get("calibration") or {}))

