"""A deliberately failing Lava process, to test the watchdog (not a mock: a real
process and process model run by the real Lava runtime)."""
import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import InPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol


class Explode(AbstractProcess):
    """Receives spikes and raises at time step ``at``."""

    def __init__(self, shape, at=3):
        super().__init__(shape=shape, at=at)
        self.a_in = InPort(shape=shape)


@implements(proc=Explode, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyExplodeModel(PyLoihiProcessModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32)

    def run_spk(self):
        self.a_in.recv()
        if self.time_step >= self.proc_params["at"]:
            raise ValueError(f"deliberate failure at step {self.time_step}")
