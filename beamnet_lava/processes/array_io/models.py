"""Process models of :class:`ArraySource` and :class:`ArrayRecorder` (both tags)."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from beamnet_lava.processes.array_io.process import ArrayRecorder, ArraySource
from beamnet_lava.processes.mapped_rows import RowRecorder, RowSource


class _Source(RowSource):
    """The file's dtype is the process's ``dtype`` parameter (graded values too)."""


class _Recorder(RowRecorder):
    """Stores the received values as they are (cast to the file's dtype)."""


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
