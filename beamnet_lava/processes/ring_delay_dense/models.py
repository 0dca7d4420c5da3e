"""Process models of :class:`RingDelayDense` (fixed_pt: bit-exact to DelayDense)."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.utils.weightutils import clip_weights, determine_sign_mode, truncate_weights

from beamnet_lava.processes.ring_delay_dense.process import RingDelayDense


class _RingModel(PyLoihiProcessModel):
    """Slot ``t % S`` holds what is delivered at step ``t``; a spike at ``t`` with delay
    ``d`` is added to slot ``(t + 1 + d) % S`` (``S = max_delay + 2``).

    The weights actually added (``effective``) derive from the ``weights`` Var on
    the first step, as lava's ``Dense`` scales its weights on the first step (the
    Vars are not set yet in ``__init__``), and again after any ``Var.set``
    (:meth:`on_var_update`); the
    ``weights`` Var itself keeps what the process was given.
    """

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        n_out, self.n_in = proc_params["shape"]
        self.rows = np.arange(n_out)[:, None]
        self.effective: np.ndarray | None = None
        self.nonzero: np.ndarray | None = None

    def on_var_update(self) -> None:
        """lava's hook after a ``Var.set``: derive the effective weights again."""
        self.effective = None

    def effective_weights(self) -> np.ndarray:
        return self.weights

    def run_spk(self) -> None:
        if self.effective is None:
            self.effective = self.effective_weights()
            self.nonzero = self.effective != 0
        slots = self.ring.shape[0]
        now = self.time_step % slots
        self.a_out.send(self.ring[now].copy())
        self.ring[now] = 0
        lane, active = np.divmod(np.flatnonzero(self.s_in.recv()), self.n_in)
        if active.size:
            w = self.effective[:, active]
            target = (self.time_step + 1 + self.delays[:, active]) % slots
            column = lane[None, :] * len(self.rows) + self.rows          # lane-major output
            np.add.at(self.ring, (target, column), w)
            self.synaptic_events[0] += int(self.nonzero[:, active].sum())


@implements(proc=RingDelayDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyRingDelayDenseModelFixed(_RingModel):
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, bool, precision=1)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    weights: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=8)
    delays: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=6)
    ring: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    synaptic_events: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)

    def effective_weights(self) -> np.ndarray:
        """The same 8-bit weight semantics as lava-nc's bit-accurate (Delay)Dense."""
        sign_mode = determine_sign_mode(self.weights)
        w = clip_weights(self.weights, sign_mode, num_bits=8)
        w = truncate_weights(w, sign_mode, self.proc_params["num_weight_bits"])
        exp = self.proc_params["weight_exp"]
        return (np.left_shift(w, exp) if exp > 0 else np.right_shift(w, -exp)).astype(np.int32)


@implements(proc=RingDelayDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyRingDelayDenseModelFloat(_RingModel):
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, bool, precision=1)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    weights: np.ndarray = LavaPyType(np.ndarray, float)
    delays: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=6)
    ring: np.ndarray = LavaPyType(np.ndarray, float)
    synaptic_events: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=64)
