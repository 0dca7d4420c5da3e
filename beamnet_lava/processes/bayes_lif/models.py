"""Process models of :class:`BayesLIF`: fixed_pt (bit-exact, the Loihi 2 reference) and floating_pt."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from beamnet_lava.neurons import bayes_lif, noise
from beamnet_lava.processes.bayes_lif.process import PARAMETERS, STATE, BayesLIF
from beamnet_lava.processes.window import Window


class _BayesLIFModel(PyLoihiProcessModel):
    """Windowing and noise keys shared by both tags; ``_step`` is the tag's equation."""

    du: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=13)
    dv: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=13)
    d_syn: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=13)
    d_theta: np.ndarray = LavaPyType(np.ndarray, np.uint16, precision=13)
    theta: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    gamma: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    w_inh: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    delta: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    seed: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    key_base: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    key_span: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    window_index: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    spike_count: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    neuron_updates: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.window = Window.of(proc_params)
        self.lanes = int(proc_params["lanes"])
        self.neuron_index = np.arange(int(np.prod(proc_params["shape"])) // self.lanes, dtype=np.int64)
        self.lane_index = np.arange(self.lanes, dtype=np.int64)[:, None]

    def params(self) -> bayes_lif.BayesLIFParams:
        """The parameter Vars as they are now (a Var.set between runs takes effect).

        Scalars are shape-(1,) arrays, not ``int`` types: lava-nc 0.10 turns a set
        ``int`` Var into a float that ``Var.get`` then cannot send.
        """
        return bayes_lif.BayesLIFParams(**{name: int(getattr(self, name)[0]) for name in PARAMETERS})

    def lanes_of(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(self.lanes, -1)

    def run_spk(self) -> None:
        drive = self.a_in.recv()
        at = self.window.at(self.time_step)
        if at is None:                     # the stream has not reached this layer yet
            self.s_out.send(np.zeros(self.v.shape))
            return
        if at.first:
            Window.reset(self, STATE)
        keys = noise.noise_step(int(self.key_base[0]) + at.index * self.lanes + self.lane_index,
                                int(self.window_index[0]), at.step, at.interval, int(self.key_span[0]))
        spikes = self._step(drive, keys, self.params())
        self.spike_count += spikes.astype(self.spike_count.dtype)
        self.neuron_updates[0] += spikes.size
        self.s_out.send(spikes)

    def _state(self) -> bayes_lif.State:
        return bayes_lif.State(*(self.lanes_of(getattr(self, name)) for name in STATE))

    def _store(self, new: bayes_lif.State) -> np.ndarray:
        self.u[:], self.v[:], self.inh[:], self.h[:] = (x.reshape(-1) for x in (new.u, new.v, new.inh, new.h))
        self.s_prev[:] = new.s.reshape(-1)
        return new.s.reshape(-1)


@implements(proc=BayesLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyBayesLIFModelFixed(_BayesLIFModel):
    """Integer state; exactly :func:`beamnet_lava.neurons.bayes_lif.step`."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    u: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    v: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    inh: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    h: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    s_prev: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=1)

    def _step(self, drive: np.ndarray, keys: np.ndarray, p: bayes_lif.BayesLIFParams) -> np.ndarray:
        eps = noise.logistic_noise(p.seed, self.neuron_index, keys, p.delta)
        new = bayes_lif.step(self._state(), self.lanes_of(drive.astype(np.int64)), eps, p)
        return self._store(new).astype(bool)


@implements(proc=BayesLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyBayesLIFModelFloat(_BayesLIFModel):
    """The same equations in floating point: :func:`beamnet_lava.neurons.bayes_lif.step_float`."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    u: np.ndarray = LavaPyType(np.ndarray, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    inh: np.ndarray = LavaPyType(np.ndarray, float)
    h: np.ndarray = LavaPyType(np.ndarray, float)
    s_prev: np.ndarray = LavaPyType(np.ndarray, float)

    def _step(self, drive: np.ndarray, keys: np.ndarray, p: bayes_lif.BayesLIFParams) -> np.ndarray:
        eps = noise.logistic_noise_float(p.seed, self.neuron_index, keys, p.delta)
        new = bayes_lif.step_float(self._state(), self.lanes_of(drive), eps, p)
        return self._store(new)
