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
    def _row(self) -> int:
        if not hasattr(self, "_rows"):
            p = self.proc_params
            width = int(np.prod(p["shape"]))
            self._rows = np.memmap(p["path"], dtype=np.uint8, mode="r+", shape=(p["steps"], width))
        return (self.time_step - 1) % self._rows.shape[0]


class _Source(_Mapped):
    def run_spk(self) -> None:
        row = self._row()
        self.s_out.send(self._rows[row].astype(self._dtype))


class _Recorder(_Mapped):
    def run_spk(self) -> None:
        spikes = self.a_in.recv()
        row = self._row()
        self._rows[row] = spikes.reshape(-1) != 0


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
