"""Process models of :class:`LaneConv`: fixed_pt (per lane bit-exact to lava-nc's
``PyConvModelFixed``) and floating_pt (``PyConvModelFloat``)."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.conv import utils
from numpy.lib.stride_tricks import sliding_window_view

from beamnet_lava.processes.lane_conv.process import LaneConv

EXACT = 2 ** 53          # float64 sums of integers below this are exact
EXACT32 = 2 ** 24        # float32 ones


class _LaneConvModel(PyLoihiProcessModel):
    """Send last step's accumulation, then convolve this step's input of every lane.

    The convolution is an im2col product: the ``(kW, kH)`` patches of every lane and output
    position gathered once (a strided view of the zero-padded input, copied per group), then
    one ``(lanes * W' * H', C_in/g * kW * kH) x (C_in/g * kW * kH, C_out/g)`` product per group
    (lanes as the batch axis). lava's ``conv_scipy`` computes a true convolution
    (``scipy.signal.convolve2d``), so the kernel is flipped once here and correlated.
    The product's weights derive from the ``weight`` Var on the first step (the Vars are not
    set yet in ``__init__``) and again after any ``Var.set`` (:meth:`on_var_update`).
    """

    DTYPE = np.float64

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = proc_params
        self._lanes, self._groups = p["lanes"], p["groups"]
        self._in, self._pad = p["input_shape"], p["padding"]
        self._stride, self._dil = p["stride"], p["dilation"]
        self._binary = p["num_message_bits"] == 0
        self._w: np.ndarray | None = None

    def on_var_update(self) -> None:
        """lava's hook after a ``Var.set``: derive the product's weights again."""
        self._w = None

    def _prepare(self, dtype=np.float64) -> None:
        c_out, kw, kh, cg = self.weight.shape
        g = self._groups
        flipped = np.asarray(self.weight)[:, ::-1, ::-1, :]           # convolution -> correlation
        w = flipped.reshape(g, c_out // g, kw, kh, cg).transpose(0, 4, 2, 3, 1)
        self._w = np.ascontiguousarray(w.reshape(g, cg * kw * kh, c_out // g), dtype=dtype)
        (w_in, h_in, c), (pw, ph) = self._in, self._pad
        self._padded = np.zeros((w_in + 2 * pw, h_in + 2 * ph, self._lanes, c), dtype)
        self._kernel = (kw, kh)

    def _accumulate(self, s_in: np.ndarray) -> np.ndarray:
        (w_in, h_in, c), (pw, ph) = self._in, self._pad
        lanes, g = self._lanes, self._groups
        x = s_in.reshape(w_in, h_in, lanes, c)
        self._padded[pw:pw + w_in, ph:ph + h_in] = x.astype(bool) if self._binary else x
        (kw, kh), (sw, sh), (dw, dh) = self._kernel, self._stride, self._dil
        span = (dw * (kw - 1) + 1, dh * (kh - 1) + 1)
        view = sliding_window_view(self._padded, span, axis=(0, 1))[::sw, ::sh, :, :, ::dw, ::dh]
        w_out, h_out = view.shape[:2]
        cols = (view.reshape(w_out, h_out, lanes, g, c // g, kw, kh).transpose(3, 0, 1, 2, 4, 5, 6)
                .reshape(g, w_out * h_out * lanes, -1))
        out = np.matmul(cols, self._w)                                   # (g, W'H' lanes, C_out/g)
        return out.reshape(g, w_out, h_out, lanes, -1).transpose(1, 2, 3, 0, 4).reshape(w_out, h_out, -1)

    def run_spk(self) -> None:
        if self._w is None:
            self._prepare()
        self.a_out.send(self.a_buf)
        self.a_buf = self._output(self._accumulate(self.s_in.recv()))


@implements(proc=LaneConv, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyLaneConvModelFixed(_LaneConvModel):
    """Integer sums as a float product, exact because every partial sum stays below 2^24
    (float32: binary spikes into any practical kernel) or 2^53 (float64), checked on the first
    step (else an int64 product). Wrapped to 24 signed bits as
    ``PyConvModelFixed`` (``utils.signed_clamp``); lava's model sums in float64 and casts to
    int32 before the wrap, identical wherever its sum is exact and fits int32."""

    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    a_buf: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    weight: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=8)

    def _prepare(self, dtype=np.float64) -> None:
        # binary spikes count once; graded messages are int32
        payload = 1 if self._binary else 2 ** 31
        per_output = np.abs(np.asarray(self.weight, dtype=np.int64)).reshape(len(self.weight), -1).sum(axis=1)
        bound = int(per_output.max(initial=0)) * payload
        self._wraps = bound >= 2 ** 23          # else the 24-bit wrap is the identity
        # float32 (half the patch bytes, a faster product) is exact while sums stay below 2^24
        super()._prepare(np.float32 if bound < EXACT32 else np.float64 if bound < EXACT else np.int64)

    def _output(self, a_accum: np.ndarray) -> np.ndarray:
        if not self._wraps:                     # exact integers within 24 bits
            return a_accum.astype(np.int32)
        return utils.signed_clamp(a_accum.astype(np.int64), bits=24).astype(np.int32)


@implements(proc=LaneConv, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLaneConvModelFloat(_LaneConvModel):
    """Sums in another order than lava's ``conv_scipy``: identical results for the dyadic
    weights our graphs give it (NetX integers times a power of two, whose partial sums are
    exact), last-bit differences for arbitrary float weights."""

    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float, precision=24)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    a_buf: np.ndarray = LavaPyType(np.ndarray, float)
    weight: np.ndarray = LavaPyType(np.ndarray, float)

    def _output(self, a_accum: np.ndarray) -> np.ndarray:
        return a_accum
