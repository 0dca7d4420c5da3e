"""Checks of the numbers a verb takes beside its files (samples, steps, seconds, seeds).

Each returns the value (None passes through: "use the default") or raises a
one-line :class:`BeamnetError` naming the option, before any work starts.
"""
from __future__ import annotations

import math
from typing import Any

from beamnet_lava.errors import BeamnetError

SEED_MAX = 2**32 - 1     # numpy's legacy seeding (np.random.seed) takes 0..2**32-1


def count(option: str, value: Any, minimum: int = 1) -> int | None:
    """A whole number >= ``minimum`` (e.g. --samples, --chunk, --time-steps, --epochs)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value != int(value) or value < minimum:
        raise BeamnetError(f"{option} {value!r} must be a whole number >= {minimum}")
    return int(value)


def seconds(option: str, value: Any) -> float:
    """A finite duration > 0 (0 would fail every run, NaN would disable the watchdog)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value <= 0:
        raise BeamnetError(f"{option} {value!r} must be a finite number of seconds > 0")
    return float(value)


def seed(option: str, value: Any) -> int | None:
    """A seed numpy, torch and Python all take: 0..2**32-1."""
    value = count(option, value, minimum=0)
    if value is not None and value > SEED_MAX:
        raise BeamnetError(f"{option} {value} must be in 0..{SEED_MAX}")
    return value


def run_options(*, samples: Any = None, time_steps: Any = None, chunk_samples: Any = None,
                lanes: Any = None, timeout_s: Any = None, seed_: Any = None) -> None:
    """The options of ``run`` / ``evaluate FILE.net``, all at once, before a file is opened."""
    count("--samples", samples)
    count("--time-steps", time_steps)
    count("--chunk", chunk_samples)
    count("--lanes", lanes)
    if timeout_s is not None:
        seconds("--timeout", timeout_s)
    seed("--seed", seed_)
