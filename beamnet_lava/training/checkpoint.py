"""Run directories: ``config.json``, ``checkpoint.pt`` (best on validation), ``metrics.json``."""
from __future__ import annotations

import io
import math
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

import beamnet_lava.models  # noqa: F401  (registers every family's build hook)
from beamnet_lava import budget, config as config_mod
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
    state = {"format": FORMAT, "config": _interned(cfg.to_dict()), "sizes": list(model.sizes), "epoch": epoch,
             "val_accuracy": val_accuracy, "state_dict": _cpu_state(model),
             "calibration": dict(calibration or {})}
    buffer = io.BytesIO()   # torch.save names the archive after the file: keep bytes name-free
    torch.save(state, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _interned(value):
    """``value`` with every string interned. pickle writes a string once and then refers to
    it by identity, so a config read back from JSON (fresh string objects) would pickle to
    other bytes than the same config built in code (interned literals, e.g. the value
    ``"split"`` is the same object as the key ``"split"``): interned, equal configs give
    byte-identical checkpoints however they were made."""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        return {_interned(k): _interned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_interned(v) for v in value]
    return value


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


def _check_state(ckpt: Path, state: dict, cfg: config_mod.TrainConfig) -> tuple[int, float, dict]:
    """Every value a checkpoint carries besides the config: sizes, epoch, accuracy, calibration
    scalars and the tensors themselves (finite), each refused in one line when damaged."""
    def bad(msg: str) -> BeamnetError:
        return BeamnetError(f"{ckpt}: {msg}; re-train the run (or restore the file)")

    sizes = state.get("sizes")
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2 or \
            not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes):
        raise bad(f"sizes={sizes!r} must list two or more positive layer sizes")
    hidden = list(getattr(cfg, "hidden", ()) or ())
    if hidden and list(sizes[1:-1]) != hidden:          # a config with hidden layer sizes
        raise bad(f"sizes={sizes} disagree with the config's hidden={hidden}")
    epoch = state.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise bad(f"epoch={epoch!r} must be a whole number >= 0")
    acc = state.get("val_accuracy")
    if isinstance(acc, bool) or not isinstance(acc, (int, float)) or not 0 <= acc <= 1:
        raise bad(f"val_accuracy={acc!r} must be a fraction in [0, 1]")
    calibration = state.get("calibration") or {}
    if not isinstance(calibration, dict):
        raise bad("calibration must be a mapping of fitted scalars")
    for key, value in calibration.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value <= 0:
            raise bad(f"calibration {key}={value!r} must be a finite number > 0")
    tensors = state.get("state_dict")
    if not isinstance(tensors, dict) or not all(isinstance(t, torch.Tensor) for t in tensors.values()):
        raise bad("state_dict must map names to tensors")
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise bad(f"parameter {name} holds NaN or infinite values")
    return epoch, float(acc), dict(calibration)


def load_run(run_dir: str | Path) -> LoadedRun:
    """Load a run directory's best checkpoint into an eval-mode model."""
    d = Path(run_dir)
    if d.is_file():
        raise BeamnetError(f"{d} is a file, not a run directory (the folder `beamnet-lava train "
                           "--out` wrote)")
    if not d.is_dir():
        raise BeamnetError(f"run directory {d} does not exist")
    ckpt = d / CHECKPOINT
    if not ckpt.is_file():
        raise BeamnetError(f"{d} has no {CHECKPOINT}; train into it first "
                           f"(beamnet-lava train --out {d})")
    try:
        try:
            state = torch.load(ckpt, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:   # torch's text advises weights_only=False: never pass it on
            if "Unsupported global" in str(exc):
                raise BeamnetError(f"{ckpt} holds Python objects other than tensors and plain "
                                   "values: refused, since loading them could run code; re-train "
                                   "the run") from None
            raise BeamnetError(f"{ckpt} could not be loaded (not a torch checkpoint, or damaged); "
                               "is it a beamnet-lava checkpoint?") from None
        version = state.get("format") if isinstance(state, dict) else None
        if version not in (1, FORMAT):
            raise BeamnetError(f"{ckpt} has checkpoint format {version!r}; this beamnet-lava reads "
                               f"formats 1..{FORMAT}: re-train the run with this version "
                               "(or use the beamnet-lava version that wrote it)")
        try:
            cfg = config_mod.from_dict(state["config"])
        except BeamnetError as exc:
            raise BeamnetError(f"{ckpt}: {exc}") from None
        epoch, val_accuracy, calibration = _check_state(ckpt, state, cfg)
        sizes = state["sizes"]
        budget.check(budget.train_bytes(cfg, 0, sizes[0], sizes[-1]), f"the model in {ckpt}",
                     "its sizes are absurd: re-train the run")
        model = build_model(cfg, sizes[0], sizes[-1])
        model.load_state_dict(state["state_dict"])
    except BeamnetError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here means a damaged file
        why = " ".join(str(exc).split())[:300]
        raise BeamnetError(f"{ckpt} could not be loaded ({exc.__class__.__name__}: {why}); "
                           "is it a beamnet-lava checkpoint?") from None
    return LoadedRun(d, cfg, model.eval(), epoch, val_accuracy, calibration)

