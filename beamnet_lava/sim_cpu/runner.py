"""Stream many samples through one compiled Lava network.

:class:`LavaNetwork` is a context manager: it validates the network, builds
its graph (:mod:`beamnet_lava.sim_cpu.graph`) between a
:class:`~beamnet_lava.processes.spike_io.process.SpikeSource` and one
:class:`~beamnet_lava.processes.spike_io.process.SpikeRecorder` per layer,
compiles once, runs the samples in chunks of ``chunk_samples`` (each chunk under
the watchdog, :mod:`beamnet_lava.sim_cpu.watchdog`), and always stops the
runtime on exit. Input and output spikes go through memory-mapped files in a
private temporary folder, written and read directly by host and Lava children.
Neurons reset every ``window`` steps, so samples do not leak into each other.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from beamnet_lava import checks
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export.netx_file import NetxNetwork, read_netx
import beamnet_lava.sim_cpu.watchdog as watchdog
from beamnet_lava.sim_cpu.backends import backend_of, run_config
from beamnet_lava.sim_cpu import lanes as lanes_mod
from beamnet_lava.sim_cpu.graph import LavaSpec, NetxSpec

DEFAULT_TIMEOUT_S = 300.0


@dataclass
class StreamResult:
    """Spike trains per layer, each ``(n_samples, neurons, window)`` uint8 (a readout layer's
    membrane values: int32 in fixed point, float64 in float; nir/readout.py)."""

    layers: list[np.ndarray]
    seconds: float                      # wall time of the runs (compilation excluded)
    compile_seconds: float
    steps: int                          # Lava time steps executed
    # spikes (non-zero outputs) each layer emitted over every step, pipeline tail and padding lanes included:
    # what a per-neuron counter inside the process would sum to, without reading it back
    # through Var.get (one message per element: seconds for tens of thousands of neurons)
    stream_spikes: list[int] | None = None

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1]

    def spike_counts(self) -> list[int]:
        return [int(np.count_nonzero(l)) for l in self.layers]


class LavaNetwork:
    """A network compiled once for Lava; feed it ``(n, inputs, window)`` spikes."""

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
        checks.seconds("timeout", timeout_s)   # 0 fails every run, NaN disables the watchdog
        self.spec.check(precision)
        self.window = window
        self.precision = precision
        self.backend = backend
        self.run_cfg = run_config(precision, backend)   # fails early for loihi2 w/o lava-loihi
        self.chunk = chunk_samples
        self.timeout_s = timeout_s
        self._source = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._used = False
        self.compile_seconds = 0.0

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "LavaNetwork":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(interrupted=exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, SystemExit)))

    def _runtime(self):
        return None if self._source is None else getattr(self._source, "runtime", None)

    def close(self, interrupted: bool = False) -> None:
        """Stop the runtime (killing its processes if a clean stop does not finish, or at once
        when ``interrupted``)."""
        try:
            watchdog.shut_down(self._runtime(), interrupted)
        finally:
            self._source = None
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None

    # -- running -----------------------------------------------------------------------------
    def _compile(self, inputs: np.memmap, input_path: Path, outputs: list[Path], steps: int) -> list[np.memmap]:
        """Build, wire and compile the graph; returns one record per layer: ``uint8`` spikes, or
        a readout's membrane values (``int32`` in fixed point, ``float64`` in float)."""
        import beamnet_lava.processes.array_io.models  # noqa: F401  (register the models)
        import beamnet_lava.processes.spike_io.models  # noqa: F401
        from beamnet_lava.processes.array_io.process import ArrayRecorder
        from beamnet_lava.processes.spike_io.process import SpikeRecorder, SpikeSource

        graph = self.spec.build(self.window, self.precision)
        self._source = SpikeSource(shape=(inputs.shape[1],), path=str(input_path), steps=steps)
        self._source.s_out.connect(graph.entry)
        records = []
        for i, (port, size, path) in enumerate(zip(graph.outputs, graph.sizes, outputs)):
            dtype = (np.int32 if self.precision == "fixed" else np.float64) if graph.is_graded(i) else np.uint8
            records.append(np.memmap(path, dtype=dtype, mode="w+", shape=(steps, size)))
            records[-1].flush()
            if graph.is_graded(i):
                port.connect(ArrayRecorder(shape=(size,), path=str(path), steps=steps,
                                           dtype=np.dtype(dtype).name).a_in)
            else:
                port.connect(SpikeRecorder(shape=(size,), path=str(path), steps=steps).a_in)
        t0 = time.perf_counter()
        watchdog.guarded(lambda: self._source.create_runtime(run_cfg=self.run_cfg),
                         self._runtime, self.timeout_s, "compilation")
        self.compile_seconds = time.perf_counter() - t0
        # say what runs where before running (the Loihi 2 back-end: chip or host, per process)
        self.placements = backend_of(self.backend).on_compiled(self._source)
        return records

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
        if not getattr(self.spec, "graded_input", False) and not np.isin(spikes, (0, 1)).all():
            raise BeamnetError("input spikes must be 0/1 (binary spike trains)")
        n = len(spikes)
        if n == 0:
            raise BeamnetError("no samples to run")
        if self._used:
            raise BeamnetError("a LavaNetwork streams one batch of samples; create another for more")
        self._used = True
        latency = self.spec.reset_offset + len(self.spec.sizes) - 1   # last layer's pipeline delay
        total = n * self.window + latency

        self._tmp = tempfile.TemporaryDirectory(prefix="beamnet-lava-")
        folder = Path(self._tmp.name)
        inputs = np.memmap(folder / "input.u8", dtype=np.uint8, mode="w+", shape=(total, n_in))
        inputs[:n * self.window] = spikes.transpose(0, 2, 1).reshape(n * self.window, n_in)
        inputs.flush()
        out_paths = [folder / f"layer{i}.rec" for i in range(len(self.spec.sizes))]
        records = self._compile(inputs, folder / "input.u8", out_paths, total)

        t_run, step = 0.0, 0
        chunk_steps = self.chunk * self.window
        while step < total:
            todo = min(chunk_steps, total - step)
            t0 = time.perf_counter()
            self._run_steps(todo)
            t_run += time.perf_counter() - t0
            done_before = min(n, step // self.window)
            step += todo
            if progress:
                progress(min(n, step // self.window) - done_before)
        layers, stream_spikes = [], [int(np.count_nonzero(np.asarray(r))) for r in records]
        for i, r in enumerate(records):
            off = self.spec.reset_offset + i
            seg = np.asarray(r[off:off + n * self.window]).reshape(n, self.window, -1)
            layers.append(seg.transpose(0, 2, 1).copy())
        return StreamResult(layers, t_run, self.compile_seconds, step, stream_spikes)


def run_lanes(spec, spikes: np.ndarray, window: int, lanes: int, *, chunk_samples: int = 32,
        progress: Callable[[int], None] | None = None,
        before_stop: Callable[[], None] | None = None, **runner_options):
    """Stream ``spikes`` ``(n, inputs, window)`` through ``spec`` (built for ``lanes`` lanes).

    Returns the runner's :class:`~beamnet_lava.sim_cpu.runner.StreamResult` with every
    layer unpacked to ``(n, neurons, window)``; ``progress`` is told samples done,
    ``before_stop`` runs after the last step, while the processes' Vars are readable.
    """
    n = len(spikes)
    done = [0]

    def advance(groups: int) -> None:
        step = min(groups * lanes, n - done[0])
        done[0] += step
        if progress:
            progress(step)

    with LavaNetwork(spec, window, chunk_samples=max(1, chunk_samples // lanes),
                     **runner_options) as lava:
        result = lava.run(lanes_mod.pack(spikes, lanes), progress=advance)
        if before_stop:
            before_stop()
    return StreamResult([lanes_mod.unpack(layer, lanes, n) for layer in result.layers], result.seconds,
                        result.compile_seconds, result.steps, result.stream_spikes)
