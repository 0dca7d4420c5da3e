"""Stand-ins for lava-loihi's embedded spike I/O adapters: pass-through Lava processes
(``inp`` -> ``out`` in the same step) with a Python model, so Loihi2HwCfg can run them on a
CPU. Each instantiation is logged to $LOIHI2_DOUBLES_LOG, so a test sees the wiring."""
import os

import numpy as np
from lava.magma.core.decorator import implements, requires
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol


class _Adapter(AbstractProcess):
    def __init__(self, shape):
        super().__init__(shape=shape)
        self.inp = InPort(shape=shape)
        self.out = OutPort(shape=shape)
        log = os.environ.get("LOIHI2_DOUBLES_LOG")
        if log:
            with open(log, "a") as f:
                f.write(f"{type(self).__name__}{tuple(shape)}\n")


class PyToNxAdapter(_Adapter):
    pass


class NxToPyAdapter(_Adapter):
    pass


class _PassThrough(PyLoihiProcessModel):
    inp: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32)
    out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32)

    def run_spk(self):
        self.out.send(self.inp.recv())


@implements(proc=PyToNxAdapter, protocol=LoihiProtocol)
@requires(CPU)
class PyToNxModel(_PassThrough):
    pass


@implements(proc=NxToPyAdapter, protocol=LoihiProtocol)
@requires(CPU)
class NxToPyModel(_PassThrough):
    pass
