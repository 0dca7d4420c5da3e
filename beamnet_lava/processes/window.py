"""Sample windows of a process model: where a time step falls, and the reset at a window's start.

Every process of ours runs samples back to back in windows of ``reset_interval`` steps; a layer
``reset_offset`` steps down the pipeline sees its first window that much later (NetX's staggered
reset, ``hdf5.Network(reset_offset=...)``). Lava counts ``time_step`` from 1, as its process
models see it. Before the stream reaches the layer there is no window (:meth:`Window.at` is
None); at a window's first step the model clears its state (:meth:`Window.reset`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class Position:
    """Where a time step falls: window ``index`` (0, 1, ...) and ``step`` within it."""

    index: int
    step: int
    interval: int

    @property
    def first(self) -> bool:
        """The window's first step: its state starts from zero."""
        return self.step == 0

    @property
    def last(self) -> bool:
        """The window's last step: its result is complete."""
        return self.step == self.interval - 1


@dataclass(frozen=True)
class Window:
    interval: int       # steps per window (reset_interval)
    offset: int = 0     # steps before this layer's first window (reset_offset)

    def __post_init__(self) -> None:
        if self.interval < 1:
            raise ValueError(f"reset_interval must be >= 1, got {self.interval}")

    @classmethod
    def of(cls, proc_params: Mapping[str, Any]) -> "Window":
        """The window of a process from its ``reset_interval`` and ``reset_offset`` parameters."""
        return cls(int(proc_params["reset_interval"]), int(proc_params["reset_offset"]))

    def at(self, time_step: int) -> Position | None:
        """The position of ``time_step``; None before the stream reaches this layer."""
        local = time_step - self.offset
        if local < 0:
            return None
        index, step = divmod(local, self.interval)
        return Position(index, step, self.interval)

    @staticmethod
    def reset(model: Any, names: Iterable[str], value: Any = 0) -> None:
        """Set the state arrays ``names`` of ``model`` to ``value`` in place (a window's start)."""
        for name in names:
            getattr(model, name)[:] = value
