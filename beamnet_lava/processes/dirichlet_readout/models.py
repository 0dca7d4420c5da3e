"""Process models of :class:`DirichletReadout` (the same float arithmetic for both tags)."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from beamnet_lava.metrics.uncertainty import concentrations, dirichlet_uncertainty
from beamnet_lava.processes.dirichlet_readout.process import DirichletReadout, result_width


class _Readout(PyLoihiProcessModel):
    def _setup(self) -> None:
        p = self.proc_params
        self._a = np.logaddexp(0.0, p["logits"])          # softplus
        self._counts = np.zeros((p["lanes"], p["n_memory"]))
        self._out = np.memmap(p["path"], dtype=np.float64, mode="r+",
                              shape=(p["rows"], result_width(len(self._a))))

    def run_spk(self) -> None:
        spikes = self.a_in.recv()
        p = self.proc_params
        if not hasattr(self, "_out"):
            self._setup()
        local = self.time_step - 1 - p["reset_offset"]
        if local < 0:
            return
        w, t = divmod(local, p["window"])
        if t == 0:
            self._counts[:] = 0
        if t >= p["burn_in"]:
            self._counts += spikes.reshape(self._counts.shape) != 0
        if t == p["window"] - 1:
            first = w * p["lanes"]
            if first >= p["rows"]:
                return
            alpha = concentrations(self._counts @ self._a.T, p["alpha_0"], p["eta"])   # Eq. 12
            u = dirichlet_uncertainty(alpha)
            rows = np.column_stack([alpha, u.prediction, u.total, u.aleatoric, u.epistemic, u.vacuity])
            last = min(first + p["lanes"], p["rows"])
            self._out[first:last] = rows[:last - first]


@implements(proc=DirichletReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyDirichletReadoutFixed(_Readout):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=1)


@implements(proc=DirichletReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyDirichletReadoutFloat(_Readout):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
