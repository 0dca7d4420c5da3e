"""Stream many samples through one compiled Lava network.

:class:`LavaNetwork` is a context manager: it validates the NetX file, builds
the graph (:mod:`beamnet_lava.sim_cpu.graph`), a ``RingBuffer`` source and one
``RingBuffer`` sink per layer, compiles once on the first :meth:`run`, and
always stops the runtime on exit. Samples go through in chunks: before each
chunk the source's buffer is overwritten with the chunk's spikes (``Var.set``),
the chunk runs under the watchdog (:mod:`beamnet_lava.sim_cpu.watchdog`), and
the sinks are read back. Neurons reset every ``window`` steps, so samples do
not leak into each other.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export.netx_file import NetxNetwork, read_netx
from beamnet_lava.sim_cpu import watchdog
from beamnet_lava.sim_cpu.backends import run_config
from beamnet_lava.sim_cpu.graph import LavaGraph, LavaSpec, NetxSpec

DEFAULT_TIMEOUT_S = 300.0


@dataclass
class StreamResult:
    """Spike trains per layer, each ``(n_samples, neurons, window)`` uint8."""

    layers: list[np.ndarray]
    seconds: float                      # wall time of the runs (compilation excluded)
    compile_seconds: float
    steps: int                          # Lava time steps executed
    meta: dict = field(default_factory=dict)

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1]

    def spike_counts(self) -> list[int]:
        return [int(l.sum()) for l in self.layers]


class LavaNetwork:
    """A NetX network compiled once for Lava; feed it ``(n, inputs, window)`` spikes."""

    def __init__(self, path: str | Path | NetxNetwork | LavaSpec, window: int, *,
                 precision: str = "fixed", backend: str = "cpu", chunk_samples: int = 32,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if isinstance(path, LavaSpec):
            self.spec = path
        else:
            self.spec = NetxSpec(path if isinstance(path, NetxNetwork) else read_netx(path))
        if window < 1:
            raise BeamnetError(f"window must be >= 1 time step, got {window}")
        if chunk_samples < 1:
            raise BeamnetError(f"chunk_samples must be >= 1, got {chunk_samples}")
        self.spec.check(precision)
        self.window = window
        self.precision = precision
        self.backend = backend
        self.run_cfg = run_config(precision, backend)   # fails early for loihi2 w/o lava-loihi
        self.chunk = chunk_samples
        self.timeout_s = timeout_s
        self.graph: LavaGraph | None = None
        self._source = None
        self._sinks: list = []
        self._steps_done = 0
        self.compile_seconds = 0.0

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "LavaNetwork":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def buffer_steps(self) -> int:
        return self.chunk * self.window

    def _runtime(self):
        return None if self._source is None else getattr(self._source, "runtime", None)

    def _compile(self, first_chunk: np.ndarray) -> None:
        from lava.proc import io

        self.graph = self.spec.build(self.window, self.precision)
        self._source = io.source.RingBuffer(data=first_chunk)
        self._source.s_out.connect(self.graph.entry)
        for port, size in zip(self.graph.outputs, self.graph.sizes):
            sink = io.sink.RingBuffer(shape=(size,), buffer=self.buffer_steps)
            port.connect(sink.a_in)
            self._sinks.append(sink)
        t0 = time.perf_counter()
        watchdog.guarded(lambda: self._source.create_runtime(run_cfg=self.run_cfg),
                         self._runtime, self.timeout_s, "compilation")
        self.compile_seconds = time.perf_counter() - t0

    def close(self) -> None:
        """Stop the runtime (killing its processes if a clean stop does not finish)."""
        runtime = self._runtime()
        if runtime is None:
            return
        if getattr(runtime, "_is_started", False):
            try:
                # children exit during a stop: only the timeout applies here
                watchdog.guarded(runtime.stop, lambda: None, 30.0, "stop")
            except BeamnetError:
                watchdog.kill(runtime)
        else:
            watchdog.kill(runtime)
        self._source = None

    # -- running -----------------------------------------------------------------------------
    def _chunk_data(self, spikes: np.ndarray, start: int) -> np.ndarray:
        part = spikes[start:start + self.chunk]
        n_in = self.spec.input_size
        data = np.zeros((n_in, self.buffer_steps), dtype=np.int32 if
                        self.precision == "fixed" else np.float64)
        flat = part.transpose(1, 0, 2).reshape(n_in, -1)
        data[:, :flat.shape[1]] = flat
        return data

    def _run_steps(self, n: int) -> None:
        from lava.magma.core.run_conditions import RunSteps

        watchdog.guarded(lambda: self._source.run(condition=RunSteps(num_steps=n)),
                         self._runtime, self.timeout_s, "run")

    def run(self, spikes: np.ndarray, progress: Callable[[int], None] | None = None) -> StreamResult:
        """Run every sample of ``spikes`` ``(n, inputs, window)``; return each layer's spikes."""
        spikes = np.asarray(spikes)
        n_in = self.spec.input_size
        if spikes.ndim != 3 or spikes.shape[1] != n_in or spikes.shape[2] != self.window:
            raise BeamnetError(f"input spikes have shape {spikes.shape}; this network needs "
                               f"(samples, {n_in}, {self.window})")
        if not np.isin(spikes, (0, 1)).all():
            raise BeamnetError("input spikes must be 0/1 (binary spike trains)")
        n = len(spikes)
        if n == 0:
            raise BeamnetError("no samples to run")
        if self._steps_done:
            raise BeamnetError("a LavaNetwork streams one batch of samples; create another for more")
        last = self.spec.first_offset + len(self.spec.sizes) - 1  # last layer's latency
        total = n * self.window + last
        rec = [np.zeros((size, total), dtype=np.uint8) for size in self.spec.sizes]
        t_run = 0.0
        step = 0
        for start in range(0, n, self.chunk):
            data = self._chunk_data(spikes, start)
            if self._source is None:
                self._compile(data)
            else:
                self._source.data.set(data)
            todo = min(self.buffer_steps, total - step)
            t0 = time.perf_counter()
            self._run_steps(todo)
            self._collect(rec, step, todo)
            t_run += time.perf_counter() - t0
            step += todo
            if progress:
                progress(min(self.chunk, n - start))
        if step < total:  # the pipeline's tail: the last sample reaches the last layer
            t0 = time.perf_counter()
            self._run_steps(total - step)
            self._collect(rec, step, total - step)
            t_run += time.perf_counter() - t0
            step = total
        self._steps_done = step
        layers = []
        for i, r in enumerate(rec):
            off = self.graph.offset(i)
            seg = r[:, off:off + n * self.window].reshape(r.shape[0], n, self.window)
            layers.append(seg.transpose(1, 0, 2).copy())
        return StreamResult(layers, t_run, self.compile_seconds, step,
                            {"precision": self.precision, "backend": self.backend,
                             "window": self.window, "chunk_samples": self.chunk})

    def _collect(self, rec: list[np.ndarray], step: int, count: int) -> None:
        idx = (np.arange(step, step + count)) % self.buffer_steps
        for r, sink in zip(rec, self._sinks):
            data = watchdog.guarded(sink.data.get, self._runtime, self.timeout_s, "read-out")
            r[:, step:step + count] = (np.asarray(data)[:, idx] != 0)
