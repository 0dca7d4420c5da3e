"""Dirichlet readout of memory-neuron spike counts (Eq. 12-15), as a Lava process.

Counts each lane's memory spikes over a window (after ``burn_in`` steps), and at
the window's last step computes evidence ``e = softplus(logits) @ n``,
``alpha = alpha_0 + eta * e`` (Eq. 12), the prediction and the total, aleatoric
(Eq. 15), epistemic (Eq. 14) uncertainty and vacuity, and writes them as one row
per sample into a memory-mapped ``float64`` file the host reads
(columns: ``alpha[0..K-1], prediction, total, aleatoric, epistemic, vacuity``).
Row ``w * lanes + l`` is lane ``l`` of the stream's window ``w``. On Loihi 2
this arithmetic belongs on the embedded CPU, not the neuro-cores; both process
models compute it in floating point.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

RESULT_COLUMNS = ("prediction", "total", "aleatoric", "epistemic", "vacuity")


class DirichletReadout(AbstractProcess):
    """Dirichlet readout of memory spike counts (Eq. 12-15), one result row per sample.

    Parameters
    ----------
    n_memory : int
        Memory neurons per lane (build-time constant).
    logits : numpy.ndarray
        (classes, n_memory) readout logits ``R``; the evidence weights are
        ``softplus(R)`` (Var).
    alpha_0 : float
        Dirichlet prior concentration (Var).
    eta : float
        Evidence scale (Var).
    burn_in : int
        Steps at the start of each window whose spikes are not counted (Var).
    reset_interval : int
        Steps per window.
    reset_offset : int
        Time step of the first window's first step (>= 1), as :class:`BayesLIF`.
    path, rows : str, int
        The host's ``float64`` memory-mapped result file and its number of rows
        (build-time wiring, as the size of lava's ``RingBuffer``).
    lanes : int
        Samples side by side (build-time constant).
    """

    def __init__(self, *, n_memory: int, logits: np.ndarray, alpha_0: float, eta: float,
                 reset_interval: int, path: str, rows: int, lanes: int = 1, reset_offset: int = 1,
                 burn_in: int = 0, name: str | None = None) -> None:
        logits = np.asarray(logits, dtype=np.float64)
        super().__init__(n_memory=int(n_memory), n_classes=int(logits.shape[0]),
                         reset_interval=int(reset_interval), path=str(path), rows=int(rows),
                         lanes=int(lanes), reset_offset=int(reset_offset), name=name)
        if logits.ndim != 2 or logits.shape[1] != n_memory or not alpha_0 > 0 or not eta > 0:
            raise ValueError("logits must be (classes, n_memory); alpha_0 and eta must be > 0")
        if reset_interval < 1 or reset_offset < 1 or not 0 <= burn_in < reset_interval:
            raise ValueError("reset_interval and reset_offset must be >= 1 and burn_in in "
                             "0..reset_interval - 1")
        self.a_in = InPort(shape=(lanes * n_memory,))
        self.logits = Var(shape=logits.shape, init=logits)
        self.alpha_0 = Var(shape=(1,), init=float(alpha_0))
        self.eta = Var(shape=(1,), init=float(eta))
        self.burn_in = Var(shape=(1,), init=int(burn_in))


def result_width(n_classes: int) -> int:
    return n_classes + len(RESULT_COLUMNS)
