"""Process models of :class:`SpikeSource` and :class:`SpikeRecorder` (both tags)."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from beamnet_lava.processes.spike_io.process import SpikeRecorder, SpikeSource


class _Mapped(PyLoihiProcessModel):
    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        width = int(np.prod(proc_params["shape"]))
        self.rows = np.memmap(proc_params["path"], dtype=np.uint8, mode="r+",
                              shape=(proc_params["steps"], width))

    def _row(self) -> int:
        return (self.time_step - 1) % self.rows.shape[0]


class _Source(_Mapped):
    def run_spk(self) -> None:
        self.s_out.send(self.rows[self._row()].astype(self._dtype))


class _Recorder(_Mapped):
    def run_spk(self) -> None:
        spikes = self.a_in.recv()
        self.rows[self._row()] = spikes.reshape(-1) != 0


@implements(proc=SpikeSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySpikeSourceFixed(_Source):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    _dtype = np.int32


@implements(proc=SpikeSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySpikeSourceFloat(_Source):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    _dtype = float


@implements(proc=SpikeRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySpikeRecorderFixed(_Recorder):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)


@implements(proc=SpikeRecorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySpikeRecorderFloat(_Recorder):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
