"""Process models of :class:`MembraneReadout`: lava's own LIF sub-threshold step, voltage out."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.ports import PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.lif.models import AbstractPyLifModelFixed, AbstractPyLifModelFloat

from beamnet_lava.processes.membrane_readout.process import MembraneReadout


class _Readout:
    """One step: window reset (as lava's ``LIFReset``), lava's ``subthr_dynamics``, send ``v``."""

    def _windows(self, proc_params) -> None:
        self.reset_interval = proc_params["reset_interval"]
        self.reset_offset = proc_params["reset_offset"] % self.reset_interval

    def run_spk(self) -> None:
        a_in = self.a_in.recv()
        if self.time_step % self.reset_interval == self.reset_offset:
            self.u *= 0
            self.v *= 0
        self._prepare()
        self.subthr_dynamics(activation_in=a_in)
        self.s_out.send(self.v.copy())

    def _prepare(self) -> None:
        """Tag-specific set-up before the step (the fixed model's bias scaling)."""


@implements(proc=MembraneReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyMembraneReadoutFixed(_Readout, AbstractPyLifModelFixed):
    """Bit-accurate: lava's fixed-point LIF state (24-bit ``u``, ``v``), sent as 24-bit values."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._windows(proc_params)

    def _prepare(self) -> None:
        self.scale_bias()


@implements(proc=MembraneReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyMembraneReadoutFloat(_Readout, AbstractPyLifModelFloat):
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._windows(proc_params)
