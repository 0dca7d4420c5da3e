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

RESULT_COLUMNS = ("prediction", "total", "aleatoric", "epistemic", "vacuity")


class DirichletReadout(AbstractProcess):
    def __init__(self, *, n_memory: int, logits: np.ndarray, alpha_0: float, eta: float,
                 window: int, path: str, rows: int, lanes: int = 1, reset_offset: int = 0,
                 burn_in: int = 0, name: str | None = None) -> None:
        logits = np.asarray(logits, dtype=np.float64)
        super().__init__(n_memory=n_memory, logits=logits, alpha_0=float(alpha_0), eta=float(eta),
                         window=int(window), path=str(path), rows=int(rows), lanes=int(lanes),
                         reset_offset=int(reset_offset), burn_in=int(burn_in), name=name)
        if logits.shape[1] != n_memory or not alpha_0 > 0 or not eta > 0:
            raise ValueError("logits must be (classes, n_memory); alpha_0 and eta must be > 0")
        self.a_in = InPort(shape=(lanes * n_memory,))


def result_width(n_classes: int) -> int:
    return n_classes + len(RESULT_COLUMNS)
