"""Process models of :class:`ArraySource` and :class:`ArrayRecorder` (both tags)."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from beamnet_lava.processes.array_io.process import ArrayRecorder, ArraySource


class _Mapped(PyLoihiProcessModel):
    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.shape = tuple(proc_params["shape"])
        self.rows = np.memmap(proc_params["path"], dtype=proc_params["dtype"], mode="r+",
                              shape=(proc_params["steps"], int(np.prod(self.shape))))

    def _row(self) -> int:
        return (self.time_step - 1) % self.rows.shape[0]


class _Source(_Mapped):
    def run_spk(self) -> None:
        self.s_out.send(self.rows[self._row()].reshape(self.shape).astype(self._dtype))


class _Recorder(_Mapped):
    def run_spk(self) -> None:
        self.rows[self._row()] = self.a_in.recv().reshape(-1)


@implements(proc=ArraySource, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyArraySourceFixed(_Source):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    _dtype = np.int32


@implements(proc=ArraySource, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyArraySourceFloat(_Source):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    _dtype = float


@implements(proc=ArrayRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyArrayRecorderFixed(_Recorder):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)


@implements(proc=ArrayRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyArrayRecorderFloat(_Recorder):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
