"""Process models of :class:`LaneDense`: fixed_pt (per lane bit-exact to lava-nc's
``PyDenseModelBitAcc``) and floating_pt (``PyDenseModelFloat``)."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.utils.weightutils import clip_weights, determine_sign_mode, truncate_weights

from beamnet_lava.processes.lane_dense.process import LaneDense

EXACT = 2 ** 53          # float64 sums of integers below this are exact


class _LaneModel(PyLoihiProcessModel):
    """Send last step's accumulation, then accumulate this step's input of every lane:
    ``A = S W^T`` with ``S`` the ``(lanes, inputs)`` view of the input vector.

    What the product needs derives from the ``weights`` Var on the first step (lava's
    ``Dense`` models scale their weights there too: the Vars are not set yet in
    ``__init__``) and again after any ``Var.set`` (:meth:`on_var_update`).
    """

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._lanes = proc_params["lanes"]
        self._w_t: np.ndarray | None = None

    def on_var_update(self) -> None:
        """lava's hook after a ``Var.set``: derive the product's weights again."""
        self._w_t = None

    def _prepare(self) -> None:
        self._w_t = np.ascontiguousarray(self.weights.T, dtype=np.float64)

    def _accumulate(self, s_in: np.ndarray) -> np.ndarray:
        if self.proc_params["num_message_bits"] == 0:
            s_in = s_in.astype(bool)                       # as Dense: any non-zero is one spike
        return (s_in.reshape(self._lanes, -1).astype(np.float64) @ self._w_t).reshape(-1)

    def run_spk(self) -> None:
        if self._w_t is None:
            self._prepare()
        self.a_out.send(self.a_buff)
        self.a_buff = self._output(self._accumulate(self.s_in.recv()))


@implements(proc=LaneDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyLaneDenseModelFixed(_LaneModel):
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, bool, precision=1)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=16)
    a_buff: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=16)
    weights: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=8)

    def _prepare(self) -> None:
        p = self.proc_params
        sign_mode = determine_sign_mode(self.weights)
        w = clip_weights(self.weights, sign_mode, num_bits=8)
        self.weights = truncate_weights(w, sign_mode, p["num_weight_bits"])
        super()._prepare()
        # binary spikes (num_message_bits 0) count once; graded ones up to 2**24 (Loihi payload)
        payload = 1 if p["num_message_bits"] == 0 else 2 ** 24
        bound = int(np.abs(self.weights).sum(axis=1).max(initial=0)) * payload
        self._exact = bound < EXACT

    def _accumulate(self, s_in: np.ndarray) -> np.ndarray:
        if self._exact:                                    # BLAS product, exact in float64
            return np.rint(super()._accumulate(s_in)).astype(np.int64)
        if self.proc_params["num_message_bits"] == 0:
            s_in = s_in.astype(bool)
        return (s_in.reshape(self._lanes, -1).astype(np.int64)
                @ self.weights.T.astype(np.int64)).reshape(-1)

    def _output(self, a_accum: np.ndarray) -> np.ndarray:
        exp = self.proc_params["weight_exp"]
        shifted = np.left_shift(a_accum, exp) if exp > 0 else np.right_shift(a_accum, -exp)
        return shifted.astype(np.int32)


@implements(proc=LaneDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLaneDenseModelFloat(_LaneModel):
    """Sums in another order than ``Dense``'s column sum: identical results for the
    dyadic weights our graphs give it (NetX integers times a power of two, whose
    partial sums are exact), last-bit differences for arbitrary float weights."""

    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, bool, precision=1)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    a_buff: np.ndarray = LavaPyType(np.ndarray, float)
    weights: np.ndarray = LavaPyType(np.ndarray, float)

    def _output(self, a_accum: np.ndarray) -> np.ndarray:
        return a_accum
