"""The one report of a ``beamnet-lava run``, for every model family.

Two different checks against the training model, named the same for every family:

- ``spike_parity``: the fraction of samples whose recorded spike trains (every
  recorded layer, and for BEAM-Net the windows used) are all identical to the
  training model's on the same inputs. The JSON key ``parity`` keeps this meaning.
- ``prediction_agreement``: the fraction of samples given the same label.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunReport:
    """What every Lava run reports; ``details`` holds the family's own extra figures."""

    file: str
    model: str
    dataset: str
    split: str
    part: str
    n_samples: int
    time_steps: int
    precision: str
    backend: str
    accuracy: float
    spikes: dict[str, int]                 # per recorded layer
    synaptic_events: dict[str, int]        # delivered into each layer
    neurons: dict[str, int]
    steps: int
    run_seconds: float
    compile_seconds: float
    steps_per_s: float | None
    samples_per_s: float | None
    predictions: list[int]
    spike_parity: float | None = None      # None: no training-model reference (see parity_note)
    prediction_agreement: float | None = None
    layer_parity: dict[str, float] = field(default_factory=dict)   # identical trains, per layer
    reference_accuracy: float | None = None
    reference_seconds: float | None = None
    parity_note: str = ""
    energy_per_inference: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: every field, ``parity`` (= ``spike_parity``) and the details."""
        d = asdict(self)
        details = d.pop("details")
        d["parity"] = self.spike_parity
        if self.energy_per_inference is None:
            d.pop("energy_per_inference")
        if not self.parity_note:
            d.pop("parity_note")
        return {**d, **details}

    # read-only mapping view of to_dict() for scripts that index the report
    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_dict().get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.to_dict()

    def summary(self) -> str:
        """The line ``beamnet-lava run`` prints under its table."""
        if self.spike_parity is None:
            parity = f"spike parity n/a ({self.parity_note})"
        else:
            parity = (f"spike parity {self.spike_parity:.1%} (identical spike trains), prediction "
                      f"agreement {self.prediction_agreement:.1%} (same labels)")
        return (f"accuracy {self.accuracy:.4f} | {parity} with the training model | "
                f"{self.samples_per_s:.1f} samples/s, {self.steps_per_s:.0f} steps/s "
                f"(compile {self.compile_seconds:.1f} s)")
