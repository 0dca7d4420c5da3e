"""Typed training configuration with checks done at load time.

Every value that ends up on hardware is checked against the fixed-point range
the Loihi CUBA neuron accepts (see :mod:`beamnet_lava.fixed_point`), so an
out-of-range choice fails here with a message rather than inside Lava.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beamnet_lava import fixed_point
from beamnet_lava.errors import BeamnetError

MODELS = ("snn",)
DATASETS = ("digits", "mnist")


@dataclass(frozen=True)
class SNNConfig:
    """A feed-forward SLAYER CUBA network trained on rate-coded images.

    The neuron parameters are slayer's ``cuba.Neuron`` ones: ``threshold`` in
    weight units (its hardware value is ``threshold * 64``), decays as fractions
    per step (hardware: ``decay * 4096``, 12 bits).
    """

    model: str = "snn"
    dataset: str = "digits"
    data_dir: str | None = None      # folder of IDX files for dataset=mnist
    seed: int = 0                    # fixes split, init, shuffling
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-2
    time_steps: int = 16             # T: steps per sample (window)
    hidden: tuple[int, ...] = (128,)
    threshold: float = 1.25
    current_decay: float = 0.25
    voltage_decay: float = 0.03
    tau_grad: float = 0.03           # surrogate gradient width (slayer)
    scale_grad: float = 3.0
    true_rate: float = 0.5           # target spike rate of the true class
    false_rate: float = 0.03
    split: tuple[float, float, float] = (0.6, 0.2, 0.2)   # train/val/test

    def __post_init__(self) -> None:
        validate(self)

    @property
    def neuron_params(self) -> dict[str, float]:
        return {
            "threshold": self.threshold,
            "current_decay": self.current_decay,
            "voltage_decay": self.voltage_decay,
            "tau_grad": self.tau_grad,
            "scale_grad": self.scale_grad,
            "requires_grad": False,
        }

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["split"] = list(self.split)
        return d

    def replace(self, **overrides: Any) -> "SNNConfig":
        return from_dict({**self.to_dict(), **{k: v for k, v in overrides.items() if v is not None}})


def _fail(name: str, value: Any, why: str) -> None:
    raise BeamnetError(f"config: {name}={value!r} {why}")


def validate(c: SNNConfig) -> None:
    if c.model not in MODELS:
        _fail("model", c.model, f"is not a known model; choose one of {', '.join(MODELS)}")
    if c.dataset not in DATASETS:
        _fail("dataset", c.dataset, f"is not a known dataset; choose one of {', '.join(DATASETS)}")
    for name in ("epochs", "batch_size", "time_steps"):
        if int(getattr(c, name)) < 1:
            _fail(name, getattr(c, name), "must be >= 1")
    if not c.hidden or any(int(h) < 1 for h in c.hidden):
        _fail("hidden", c.hidden, "must list one or more positive layer sizes")
    if not c.lr > 0:
        _fail("lr", c.lr, "must be > 0")
    for name in ("current_decay", "voltage_decay"):
        if not 0.0 <= getattr(c, name) <= 1.0:
            _fail(name, getattr(c, name), "must be a fraction in [0, 1] (hardware: 12-bit decay)")
    vth = fixed_point.threshold_mant(c.threshold)
    if not 0 < vth <= fixed_point.VTH_MAX:
        _fail("threshold", c.threshold,
              f"gives vThMant={vth}; Loihi needs 1..{fixed_point.VTH_MAX} "
              f"(threshold in (0, {fixed_point.VTH_MAX / fixed_point.W_SCALE:.0f}])")
    if not (0 < c.false_rate < c.true_rate <= 1):
        _fail("true_rate/false_rate", (c.true_rate, c.false_rate), "need 0 < false_rate < true_rate <= 1")
    if len(c.split) != 3 or any(f <= 0 for f in c.split) or abs(sum(c.split) - 1) > 1e-6:
        _fail("split", c.split, "must be three positive fractions (train, val, test) summing to 1")


def from_dict(d: dict[str, Any]) -> SNNConfig:
    names = {f.name for f in dataclasses.fields(SNNConfig)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise BeamnetError(f"config: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(names))}")
    d = dict(d)
    if "hidden" in d:
        d["hidden"] = tuple(int(h) for h in d["hidden"])
    if "split" in d:
        d["split"] = tuple(float(f) for f in d["split"])
    try:
        return SNNConfig(**d)
    except TypeError as exc:  # wrong value types
        raise BeamnetError(f"config: {exc}") from None


def load(path: str | Path) -> SNNConfig:
    """Load a config from JSON or YAML (by extension)."""
    p = Path(path)
    if not p.is_file():
        raise BeamnetError(f"config file {p} does not exist")
    text = p.read_text()
    try:
        if p.suffix in (".yaml", ".yml"):
            import yaml
            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parse error is the user's file
        raise BeamnetError(f"config file {p} could not be parsed: {exc}") from None
    if not isinstance(data, dict):
        raise BeamnetError(f"config file {p} must hold a mapping of keys to values")
    return from_dict(data)
