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
from beamnet_lava.processes.window import Window


class _Readout(PyLoihiProcessModel):
    logits: np.ndarray = LavaPyType(np.ndarray, float)
    alpha_0: np.ndarray = LavaPyType(np.ndarray, float)
    eta: np.ndarray = LavaPyType(np.ndarray, float)
    burn_in: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=16)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = proc_params
        self.window = Window.of(p)
        self.lanes, self.rows = p["lanes"], p["rows"]
        self.counts = np.zeros((self.lanes, p["n_memory"]))
        self.out = np.memmap(p["path"], dtype=np.float64, mode="r+",
                             shape=(self.rows, result_width(p["n_classes"])))

    def run_spk(self) -> None:
        spikes = self.a_in.recv()
        at = self.window.at(self.time_step)
        if at is None:
            return
        if at.first:
            Window.reset(self, ("counts",))
        if at.step >= int(self.burn_in[0]):
            self.counts += spikes.reshape(self.counts.shape) != 0
        if at.last:
            first = at.index * self.lanes
            if first >= self.rows:
                return
            weights = np.logaddexp(0.0, self.logits)                                   # softplus
            alpha = concentrations(self.counts @ weights.T, float(self.alpha_0[0]), float(self.eta[0]))  # Eq. 12
            u = dirichlet_uncertainty(alpha)
            rows = np.column_stack([alpha, u.prediction, u.total, u.aleatoric, u.epistemic, u.vacuity])
            last = min(first + self.lanes, self.rows)
            self.out[first:last] = rows[:last - first]


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
