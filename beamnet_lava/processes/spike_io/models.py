"""Process models of :class:`SpikeSource` and :class:`SpikeRecorder` (both tags)."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from beamnet_lava.processes.mapped_rows import RowRecorder, RowSource
from beamnet_lava.processes.spike_io.process import SpikeRecorder, SpikeSource


class _Source(RowSource):
    file_dtype = np.uint8                 # one byte per spike


class _Recorder(RowRecorder):
    file_dtype = np.uint8

    @staticmethod
    def stored(values: np.ndarray) -> np.ndarray:
        return values != 0                # any graded message stored as a 0/1 spike


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
