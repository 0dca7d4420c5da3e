"""The process-model side shared by the memory-mapped host I/O processes (:mod:`.spike_io`,
:mod:`.array_io`): one row of a ``numpy.memmap`` per time step, row ``(t - 1) % steps`` at step
``t`` (the module doc of :mod:`beamnet_lava.processes.spike_io.process` says why memory maps).

A process's models subclass :class:`RowSource` / :class:`RowRecorder` with their ports and tags;
``file_dtype`` fixes the file's dtype (None: the process's ``dtype`` parameter) and
:meth:`RowRecorder.stored` what a received message is stored as.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.model.py.model import PyLoihiProcessModel


class MappedRows(PyLoihiProcessModel):
    """A memory-mapped ``(steps, prod(shape))`` array, created by the host before the run."""

    file_dtype: type | None = None

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.shape = tuple(proc_params["shape"])
        dtype = self.file_dtype if self.file_dtype is not None else proc_params["dtype"]
        self.rows = np.memmap(proc_params["path"], dtype=dtype, mode="r+",
                              shape=(proc_params["steps"], int(np.prod(self.shape))))

    def _row(self) -> int:
        return (self.time_step - 1) % self.rows.shape[0]


class RowSource(MappedRows):
    """Sends this step's row on ``s_out``, shaped as the port, as ``_dtype`` (the port's type)."""

    def run_spk(self) -> None:
        self.s_out.send(self.rows[self._row()].reshape(self.shape).astype(self._dtype))


class RowRecorder(MappedRows):
    """Writes what ``a_in`` receives this step into this step's row (as :meth:`stored`)."""

    def run_spk(self) -> None:
        self.rows[self._row()] = self.stored(self.a_in.recv().reshape(-1))

    @staticmethod
    def stored(values: np.ndarray) -> np.ndarray:
        return values
