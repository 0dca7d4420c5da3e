"""Host input and output of any dtype through memory-mapped files (graded values too).

Like :mod:`beamnet_lava.processes.spike_io` (whose module doc says why memory maps), for
the graded messages of sigma-delta layers and the currents of a readout: ``dtype`` is
``uint8`` (0/1 spikes), ``int32`` (fixed point) or ``float64``.
"""
from __future__ import annotations

from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess


class ArraySource(AbstractProcess):
    """Sends row ``(t - 1) % steps`` of a memory-mapped array (``dtype``) at time step ``t``."""

    def __init__(self, *, shape: tuple[int, ...], path: str, steps: int, dtype: str) -> None:
        super().__init__(shape=shape, path=str(path), steps=int(steps), dtype=str(dtype))
        self.s_out = OutPort(shape=shape)


class ArrayRecorder(AbstractProcess):
    """Writes what ``a_in`` receives at time step ``t`` into row ``(t - 1) % steps`` of a
    memory-mapped array (``dtype``; ``uint8`` stores 0/1 spikes)."""

    def __init__(self, *, shape: tuple[int, ...], path: str, steps: int, dtype: str) -> None:
        super().__init__(shape=shape, path=str(path), steps=int(steps), dtype=str(dtype))
        self.a_in = InPort(shape=shape)
