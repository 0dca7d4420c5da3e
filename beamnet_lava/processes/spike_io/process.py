"""Spike input and output through memory-mapped files the host reads and writes directly.

lava-nc's ``io.source.RingBuffer`` / ``io.sink.RingBuffer`` move data to and
from the host with ``Var.set()`` / ``Var.get()``, which send every array element
as its own message: reading 1,600 neurons x 1,000 steps took 30x longer than
simulating them. These two processes instead use a ``uint8`` ``numpy.memmap``
with one row per time step (created by the host before the run). Lava's
process models run in forked children that map the same file, so rows written
on one side are visible on the other at once.

- :class:`SpikeSource` sends row ``(t - 1) % steps`` at time step ``t``.
- :class:`SpikeRecorder` writes what it receives at step ``t`` into that row.
"""
from __future__ import annotations

from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess


class SpikeSource(AbstractProcess):
    """Sends row ``(t - 1) % steps`` of a memory-mapped ``uint8`` file at time step ``t``.

    Parameters
    ----------
    shape : tuple(int)
        Shape of ``s_out`` (one row holds ``prod(shape)`` values).
    path : str
        The file, created by the host before the run (``steps`` rows).
    steps : int
        Rows in the file.

    All three are build-time wiring (as the buffer of lava's ``io.source.RingBuffer``);
    the data is the file itself, which the host reads and writes directly.
    """

    def __init__(self, *, shape: tuple[int, ...], path: str, steps: int, name: str | None = None) -> None:
        super().__init__(shape=shape, path=str(path), steps=int(steps), name=name)
        self.s_out = OutPort(shape=shape)


class SpikeRecorder(AbstractProcess):
    """Writes what ``a_in`` receives at time step ``t`` (as 0/1) into row ``(t - 1) % steps``.

    Parameters
    ----------
    shape : tuple(int)
        Shape of ``a_in``.
    path : str
        The memory-mapped ``uint8`` file, created by the host before the run.
    steps : int
        Rows in the file.
    """

    def __init__(self, *, shape: tuple[int, ...], path: str, steps: int, name: str | None = None) -> None:
        super().__init__(shape=shape, path=str(path), steps=int(steps), name=name)
        self.a_in = InPort(shape=shape)
