"""Process models of :class:`BayesLIF`: fixed_pt (bit-exact, the Loihi 2 reference) and floating_pt."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from beamnet_lava import bayes_lif, noise
from beamnet_lava.processes.bayes_lif.process import BayesLIF

_STATE = ("u", "v", "inh", "h", "s_prev")


class _BayesLIFModel(PyLoihiProcessModel):
    def _position(self) -> tuple[int, int] | None:
        """(key of lane 0's sample, step in window); None before the stream arrives."""
        local = self.time_step - 1 - self.proc_params["reset_offset"]
        if local < 0:
            return None
        window, lanes = self.proc_params["window"], self.proc_params["lanes"]
        return self.proc_params["key_base"] + (local // window) * lanes, local % window

    def _noise_keys(self, sample: int, t: int) -> np.ndarray:
        """Noise step key of every lane, as a column (lanes, 1)."""
        p = self.proc_params
        lanes = sample + np.arange(p["lanes"], dtype=np.int64)[:, None]
        return lanes * p["key_span"] + p["window_index"] * p["window"] + t

    def _lanes(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(self.proc_params["lanes"], -1)

    def run_spk(self) -> None:
        drive = self.a_in.recv()
        pos = self._position()
        if pos is None:
            self.s_out.send(np.zeros(self.v.shape))
            return
        sample, t = pos
        if t == 0:
            for name in _STATE:
                getattr(self, name)[:] = 0
        spikes = self._step(drive, self._noise_keys(sample, t))
        self.spike_count += spikes.astype(self.spike_count.dtype)
        self.neuron_updates[0] += spikes.size
        self.s_out.send(spikes)


@implements(proc=BayesLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyBayesLIFModelFixed(_BayesLIFModel):
    """Integer state; exactly :func:`beamnet_lava.bayes_lif.step`."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    u: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    v: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=24)
    inh: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    h: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    s_prev: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=1)
    spike_count: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    neuron_updates: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)

    def _step(self, drive: np.ndarray, keys: np.ndarray) -> np.ndarray:
        p = self.proc_params["params"]
        lane = self._lanes
        n = lane(self.v).shape[1]
        eps = noise.logistic_noise(p.seed, np.arange(n), keys, p.delta)
        state = bayes_lif.State(lane(self.u), lane(self.v), lane(self.inh), lane(self.h), lane(self.s_prev))
        new = bayes_lif.step(state, lane(drive.astype(np.int64)), eps, p)
        for name in ("u", "v", "inh", "h"):
            getattr(self, name)[:] = getattr(new, name).reshape(-1)
        self.s_prev[:] = new.s.reshape(-1)
        return new.s.reshape(-1).astype(bool)


@implements(proc=BayesLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyBayesLIFModelFloat(_BayesLIFModel):
    """The same equations in floating point: no flooring, continuous logistic noise."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    u: np.ndarray = LavaPyType(np.ndarray, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    inh: np.ndarray = LavaPyType(np.ndarray, float)
    h: np.ndarray = LavaPyType(np.ndarray, float)
    s_prev: np.ndarray = LavaPyType(np.ndarray, float)
    spike_count: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=32)
    neuron_updates: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)

    def _step(self, drive: np.ndarray, keys: np.ndarray) -> np.ndarray:
        p = self.proc_params["params"]
        keep = lambda d: 1.0 - d / 4096.0  # noqa: E731
        n = self._lanes(self.v).shape[1]
        k = noise.hash32(p.seed, np.arange(n), keys) >> (32 - noise.QUANTILE_BITS)
        q = (k + 0.5) / (1 << noise.QUANTILE_BITS)
        eps = (p.delta * np.log(q / (1 - q))).reshape(-1)
        s_prev = self.s_prev
        others = np.repeat(self._lanes(s_prev).sum(axis=1), n) - s_prev     # within each lane
        self.u[:] = self.u * keep(p.du) + drive * (1 << bayes_lif.ACT_SHIFT)
        self.inh[:] = self.inh * keep(p.d_syn) + p.w_inh * others
        self.h[:] = self.h * keep(p.d_theta) + bayes_lif.TRACE_UNIT * s_prev
        self.v[:] = np.clip(self.v * keep(p.dv) + self.u - self.inh, -bayes_lif.V_LIMIT, bayes_lif.V_LIMIT)
        theta = p.theta + p.gamma * self.h / 4096.0
        s = self.v > theta + eps
        self.v[s] = 0.0
        self.s_prev[:] = s
        return s.astype(float)
