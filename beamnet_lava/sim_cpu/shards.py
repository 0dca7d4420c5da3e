"""The Lava simulation of a dataset run, its samples cut into shards run side by side.

``run FILE --workers N [--address HOST:PORT]`` and ``evaluate FILE --workers N`` hand the
family's run a *mapper* (``RunOptions.mapper``): a callable ``mapper(fn, calls)`` that
returns ``[fn(*args) for args in calls]``, computed anywhere. The CLI passes the Ray mapper
of the sweep layer (:class:`beamnet_lava.sweep.shard.RayMapper`: an embedded Ray, or a
cluster), so this package never imports Ray; :func:`serial` computes in this process.

Only the Lava simulation is sharded: each task gets the network file's bytes (cluster nodes
need no shared disk) and a contiguous block of the encoded input, simulates it exactly as
one process would, and returns every recorded layer. The driver concatenates the layers in
sample order and computes the report (parity against the training model, accuracy,
calibration, energy) from the whole arrays as before, so the report is identical to one
process's, apart from the timings (``run_seconds`` is the slowest shard's). That holds
because every sample starts from rest: a network whose samples stream back to back
(recurrent or delayed layers, sigma-delta layers) is refused by its family's run.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from beamnet_lava.errors import BeamnetError

Mapper = Callable[[Callable[..., Any], list[tuple]], list[Any]]


def serial(fn: Callable[..., Any], calls: list[tuple]) -> list[Any]:
    """The mapper of one process."""
    return [fn(*args) for args in calls]


def blocks(n: int, workers: int) -> list[slice]:
    """``n`` samples as at most ``workers`` contiguous, non-empty blocks in order."""
    if workers < 1:
        raise BeamnetError(f"--workers {workers} must be >= 1")
    return [slice(int(s[0]), int(s[-1]) + 1) for s in np.array_split(np.arange(n), min(workers, n)) if len(s)]


def file_copy(network: bytes, suffix: str, tmp: str) -> Path:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import beamnet_lava  # noqa: F401  (lava shim, in a fresh worker)

    path = Path(tmp) / f"network{suffix}"
    path.write_bytes(network)
    return path


def _lavadl_block(network: bytes, suffix: str, input_shape, inputs: np.ndarray, options):
    """One block of a lava-dl file's run (a Ray task): the ordinary :func:`run_lavadl`."""
    with tempfile.TemporaryDirectory(prefix="beamnet-shard-") as tmp:
        from beamnet_lava.netx_export.lavadl_file import read_lavadl
        from beamnet_lava.sim_cpu.lavadl_graph import run_lavadl

        net = read_lavadl(file_copy(network, suffix, tmp), input_shape=input_shape)
        return run_lavadl(net, inputs, options)


def check(mapper: Mapper | None, workers: int | None, backend: Any) -> int:
    k = 1 if workers is None else int(workers)
    if k > 1 and str(backend) != "cpu":
        raise BeamnetError("--workers shards the samples over the CPU simulator; drop it with "
                           "--backend loihi2")
    return k if mapper is not None else 1


def lavadl(net, inputs: np.ndarray, options, *, mapper: Mapper | None, workers: int | None):
    """:func:`beamnet_lava.sim_cpu.lavadl_graph.run_lavadl`, its samples sharded over ``mapper``
    (the progress callback is told each block's samples when the block is back)."""
    from beamnet_lava.sim_cpu.lavadl_graph import run_lavadl

    k = check(mapper, workers, options.backend)
    if k == 1 or len(inputs) < 2:
        return run_lavadl(net, inputs, options)
    if net.sdnn:
        raise BeamnetError(f"{net.path}: sigma-delta layers carry their state from sample to "
                           "sample (one stream), so its samples cannot be sharded; drop --workers")
    network, suffix = Path(net.path).read_bytes(), Path(net.path).suffix
    remote = replace(options, progress=None, backend="cpu")
    shards = blocks(len(inputs), k)
    results = mapper(_lavadl_block, [(network, suffix, net.input_shape, inputs[b], remote)
                                     for b in shards])
    if options.progress is not None:
        options.progress(len(inputs))
    first = results[0]
    return replace(first, layers=[np.concatenate(ls) for ls in zip(*(r.layers for r in results))],
                   seconds=max(r.seconds for r in results),
                   compile_seconds=max(r.compile_seconds for r in results),
                   steps=sum(r.steps for r in results), streams=[])
