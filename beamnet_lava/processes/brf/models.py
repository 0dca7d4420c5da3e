"""Process models of :class:`BRF` and :class:`LeakyReadout`: fixed_pt (bit-exact) and floating_pt."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from beamnet_lava.neurons import brf
from beamnet_lava.processes.brf.process import BRF, LeakyReadout
from beamnet_lava.processes.window import Window


class _WindowedModel(PyLoihiProcessModel):
    neuron_updates: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.window = Window.of(proc_params)


class _BRFModel(_WindowedModel):
    omega_dt: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=18)
    b_dt: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    balanced: np.ndarray = LavaPyType(np.ndarray, np.int8, precision=1)
    delta_int: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=18)
    spike_count: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)

    def params(self) -> brf.FixedParams:
        """The parameter Vars as they are now (a Var.set between runs takes effect)."""
        return brf.FixedParams(self.omega_dt.astype(np.int64), self.b_dt.astype(np.int64),
                               bool(self.balanced[0]), int(self.delta_int[0]))

    def run_spk(self) -> None:
        drive, recurrent = self.a_in.recv(), self.r_in.recv()
        at = self.window.at(self.time_step)
        if at is None:
            self.s_out.send(np.zeros(self.x.shape))
            return
        if at.first:
            Window.reset(self, ("x", "y", "q"))
            recurrent = np.zeros_like(recurrent)     # z_{-1} = 0: the previous sample's spikes
        z = self._step(drive + recurrent)
        self.spike_count += z.astype(self.spike_count.dtype)
        self.neuron_updates[0] += z.size
        self.s_out.send(z)


@implements(proc=BRF, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyBRFModelFixed(_BRFModel):
    """Integer state; exactly :func:`beamnet_lava.neurons.brf.step_fixed`."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64, precision=32)
    r_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64, precision=32)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    x: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    y: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    q: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)

    def _step(self, drive: np.ndarray) -> np.ndarray:
        state = brf.State(self.x, self.y, self.q)
        new, z = brf.step_fixed(state, drive.astype(np.int64), self.params())
        self.x[:], self.y[:], self.q[:] = new.x, new.y, new.q
        return z


@implements(proc=BRF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyBRFModelFloat(_BRFModel):
    """The same equations in floating point (:func:`beamnet_lava.neurons.brf.step`), from the
    exported coefficients: ``omega = omega_dt / (delta 2^FRAC)``, ``b' = p(omega) - b_dt /
    (delta 2^FRAC)``; drives arrive as ``delta * I`` (float Dense of ``weight / 2^FRAC``)."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    r_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    x: np.ndarray = LavaPyType(np.ndarray, float)
    y: np.ndarray = LavaPyType(np.ndarray, float)
    q: np.ndarray = LavaPyType(np.ndarray, float)

    def _step(self, drive: np.ndarray) -> np.ndarray:
        p = self.params()
        delta = p.delta_int / brf.ONE
        omega = p.omega_dt / (delta * brf.ONE)
        b = p.b_dt / (delta * brf.ONE)
        b_offset = brf.p_omega(omega, delta) - b if p.balanced else -b
        new, z = brf.step(brf.State(self.x, self.y, self.q), drive / delta, omega, b_offset,
                          balanced=p.balanced, delta=delta)
        self.x[:], self.y[:], self.q[:] = new.x, new.y, new.q
        return z


class _ReadoutModel(_WindowedModel):
    alpha_int: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=17)

    def run_spk(self) -> None:
        drive = self.a_in.recv()
        at = self.window.at(self.time_step)
        out = np.zeros(self.v.shape)
        if at is not None:
            if at.first:
                Window.reset(self, ("v", "total"))
            self.v[:] = self._step(drive)
            self.total += self.v
            self.neuron_updates[0] += self.v.size
            if at.last:
                per_lane = self.total.reshape(self.proc_params.get("lanes", 1), -1)
                out.reshape(per_lane.shape)[np.arange(len(per_lane)), per_lane.argmax(axis=1)] = 1
        self.s_out.send(out)


@implements(proc=LeakyReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyLeakyReadoutFixed(_ReadoutModel):
    """Integer state; exactly :func:`beamnet_lava.neurons.brf.readout_step_fixed`."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64, precision=32)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    v: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    total: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)

    def _step(self, drive: np.ndarray) -> np.ndarray:
        return brf.readout_step_fixed(self.v, drive.astype(np.int64), int(self.alpha_int[0]))


@implements(proc=LeakyReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLeakyReadoutFloat(_ReadoutModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    total: np.ndarray = LavaPyType(np.ndarray, float)

    def _step(self, drive: np.ndarray) -> np.ndarray:
        alpha = int(self.alpha_int[0]) / brf.ONE
        return alpha * self.v + (1 - alpha) * drive
