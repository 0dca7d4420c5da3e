"""Run a sweep's points on Ray: an embedded local instance by default, or a cluster (``address``).

Why Ray: it schedules Python functions on one machine or a cluster with the same
code (``ray.init(address="local")`` vs ``ray.init(address=...)``), cancels running
tasks on Ctrl-C, and is on PyPI. Each point is one task calling the ordinary
trainer (:func:`beamnet_lava.workflows.train.train`); the driver keeps at most
``workers`` tasks in flight (one slot each, shown as one live line), records every
result in the manifest as it arrives, and never lets one point's failure stop the rest.

Threads: a task asks Ray for ``threads`` CPUs and sets torch's and the BLAS/OpenMP
pools (threadpoolctl) to that many, so ``workers x threads`` matches the cores.
Seeds: every point trains with its own ``seed`` (seed_everything in the trainer), so
a point's numbers do not depend on which worker ran it or when.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beamnet_lava import interrupts
from beamnet_lava.errors import BeamnetError
from beamnet_lava.sweep.plan import LOCK, Lock, Sweep, clean_stale

POLL_S = 0.25            # driver: how often live lines refresh
REPORT_S = 0.5           # worker: at most one progress message per this many seconds
START_ATTEMPTS = 2       # embedded Ray start-up tries
RAY_STOP_S = 30.0        # after a signal: writing the manifest and stopping Ray may take this long


def _ray():
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")     # no usage reporting
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    try:
        import ray
    except ImportError:
        raise BeamnetError("beamnet-lava sweep needs Ray: pip install 'ray[client]>=2.9' "
                           "(or pip install 'beamnet-lava[sweep]')") from None
    return ray


def threads_per_worker(workers: int, threads: int | None) -> int:
    """``threads`` if given, else the cores shared out between the workers (at least 1)."""
    if threads is not None:
        if threads < 1:
            raise BeamnetError(f"--threads {threads} must be >= 1")
        return threads
    return max(1, (os.cpu_count() or 1) // workers)


@dataclass
class Engine:
    """A connected Ray: started here (embedded, shut down on exit) or an existing cluster."""

    address: str | None
    workers: int
    threads: int
    seconds_to_start: float = 0.0

    def __enter__(self) -> Engine:
        ray = _ray()
        t0 = time.perf_counter()
        with _signals_kept():
            self._start(ray)
        self.seconds_to_start = time.perf_counter() - t0
        return self

    def _start(self, ray) -> None:
        common = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        if self.address:
            import beamnet_lava

            _reachable(self.address)
            try:   # ship this package to the cluster; its nodes need the dependencies installed
                ray.init(address=self.address, runtime_env={
                    "py_modules": [str(Path(beamnet_lava.__file__).parent)]}, **common)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise BeamnetError(f"--address {self.address}: could not connect to a Ray cluster "
                                   f"({exc.__class__.__name__}: {str(exc).splitlines()[0]})"
                                   + _auth_hint()) from None
        else:
            for attempt in range(1, START_ATTEMPTS + 1):
                try:     # Ray gives its raylet 30 s to register: an overloaded machine can miss it
                    ray.init(address="local", num_cpus=self.workers * self.threads,
                             _node_ip_address="127.0.0.1", object_store_memory=200 * 1024 ** 2, **common)
                    break
                except Exception as exc:  # noqa: BLE001 - Ray raises a bare Exception on time-outs
                    ray.shutdown()
                    if attempt == START_ATTEMPTS:
                        raise BeamnetError(
                            f"the embedded Ray did not start ({str(exc).splitlines()[0]}); load "
                            f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: try again "
                            "when the machine is less busy") from None

    def __exit__(self, *exc: object) -> None:
        _ray().shutdown()       # embedded: stops its processes; cluster: disconnects only

    def describe(self) -> dict[str, Any]:
        ray = _ray()
        return {"engine": "ray", "ray_version": ray.__version__,
                "address": self.address or "embedded (127.0.0.1)", "workers": self.workers,
                "threads_per_worker": self.threads, "seconds_to_start": self.seconds_to_start}


@contextlib.contextmanager
def _signals_kept() -> Iterator[None]:
    """Keep the process's SIGINT/SIGTERM/SIGHUP handlers across ``ray.init``: it installs its
    own SIGTERM handler (``sys.exit(15)``, exit code 1) and its core worker a C handler that
    prints a stack dump, so a SIGTERM would no longer end the sweep cleanly with 143
    (:mod:`beamnet_lava.interrupts`)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kept = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in kept.items():
            if handler is not None:
                signal.signal(s, handler)


def _auth_hint() -> str:
    """Ray (2.59+) turns token authentication on for a ``ray start --head`` when a token exists
    (~/.ray/auth_token), but a driver given an explicit address sends no token unless
    ``RAY_AUTH_MODE=token``: the refusal then only shows as a failed connection."""
    if os.environ.get("RAY_AUTH_MODE", "").lower() == "token":
        return ""
    return ("; if the cluster uses token authentication, set RAY_AUTH_MODE=token (the token is "
            "read from RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)")


def _reachable(address: str, timeout_s: float = 10.0) -> None:
    """A ``host:port`` cluster address must accept a TCP connection: Ray itself retries an
    unreachable one without end."""
    import re
    import socket

    m = re.fullmatch(r"(?:ray://)?\[?([^\]]+?)\]?:(\d+)", address.strip())
    if not m:
        return          # "auto" and other forms Ray resolves itself
    try:
        socket.create_connection((m.group(1), int(m.group(2))), timeout=timeout_s).close()
    except OSError as exc:
        raise BeamnetError(f"--address {address}: no Ray cluster answers there ({exc}); start one "
                           "with `ray start --head` or drop --address for an embedded Ray") from None


def _run_point(config: dict[str, Any], run_dir: str, threads: int, slot: int, board) -> dict[str, Any]:
    """One sweep point inside a Ray worker: the ordinary trainer, errors returned as data."""
    import torch
    from threadpoolctl import threadpool_limits

    from beamnet_lava import config as config_mod
    from beamnet_lava.workflows.train import train

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    last = [0.0]

    def listener(epoch, done, total, loss, val):
        now = time.perf_counter()
        if val is not None or now - last[0] >= REPORT_S or done == total:
            last[0] = now
            board.update.remote(slot, {"id": Path(run_dir).name, "epoch": epoch, "done": done, "total": total, "loss": loss,
                                       "val": val})

    with warnings.catch_warnings(record=True) as caught, threadpool_limits(threads):
        warnings.simplefilter("always")
        try:
            cfg = config_mod.from_dict(config)
            metrics = train(cfg, run_dir, force=True, progress=False, listener=listener)
            result = {"status": "ok", "test_accuracy": metrics.get("test_accuracy"),
                      "val_accuracy": metrics.get("val_accuracy")}
        except Exception as exc:  # noqa: BLE001 - a failing point is recorded, the others go on
            result = {"status": "failed", "error": f"{exc.__class__.__name__}: {exc}".splitlines()[0]}
    result["seconds"] = time.perf_counter() - t0
    result["warnings"] = sorted({str(w.message) for w in caught})
    result["host"] = os.uname().nodename
    result["package"] = str(Path(config_mod.__file__).parent)   # the copy of this package that ran
    return result


class _Board:
    """A Ray actor holding each slot's latest progress message (the live lines)."""

    def __init__(self) -> None:
        self.lines: dict[int, dict[str, Any]] = {}

    def update(self, slot: int, line: dict[str, Any]) -> None:
        self.lines[slot] = line

    def get(self) -> dict[int, dict[str, Any]]:
        return dict(self.lines)


def run(sweep: Sweep, *, workers: int | None = None, threads: int | None = None,
        address: str | None = None, display: Display | None = None,
        on_point: Callable[[Any, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run every incomplete point of ``sweep``; returns the manifest's summary.

    ``on_point(point, record)`` is called in the driver after each point finishes
    (MLflow logging). Ctrl-C cancels the running tasks, writes the manifest (the
    interrupted points stay ``pending``) and re-raises KeyboardInterrupt.
    """
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with Lock(sweep.out / LOCK):
        sweep.check_manifest()
        clean_stale(sweep)                  # half-built run folders of an interrupted sweep
        records: dict[str, dict[str, Any]] = {}
        todo = []
        for p in sweep.points:
            if sweep.is_complete(p):
                records[p.id] = {"status": "skipped", "note": "complete run dir from an earlier sweep"}
            else:
                records[p.id] = {"status": "pending"}
                todo.append(p)
        if workers is not None and workers < 1:
            raise BeamnetError(f"--workers {workers} must be >= 1")
        if address:          # a cluster: one thread per task unless told; workers from its CPUs
            n_threads = threads_per_worker(1, threads or 1)
        else:
            workers = workers or max(1, (os.cpu_count() or 1) // (threads or 1))
            n_threads = threads_per_worker(workers, threads)
        engine_info: dict[str, Any] = {"engine": "ray", "address": address or "embedded"}
        if not todo:
            sweep.write_manifest(records, engine_info, started, _now())
            sweep.write_results(records)
            return _summary(sweep, records, engine_info)
        ray = _ray()
        with Engine(address, workers or 0, n_threads) as engine:
            if not workers:
                engine.workers = workers = max(1, int(ray.cluster_resources().get("CPU", 1)) // n_threads)
            engine_info = engine.describe()
            task = ray.remote(num_cpus=n_threads, max_retries=0)(_run_point)
            board = ray.remote(num_cpus=0)(_Board).remote()
            sweep.write_manifest(records, engine_info, started)
            if display:
                display.start(len(sweep.points), len(sweep.points) - len(todo), workers)
            inflight: dict[Any, tuple[Any, int]] = {}
            free = list(range(workers))
            queue = list(todo)
            try:
                while queue or inflight:
                    while queue and free:
                        p, slot = queue.pop(0), free.pop(0)
                        records[p.id] = {"status": "running", "slot": slot}
                        ref = task.remote(sweep.point_config(p), str(sweep.run_dir(p).resolve()),
                                          n_threads, slot, board)   # absolute: a cluster's cwd differs
                        inflight[ref] = (p, slot)
                        if display:
                            display.assign(slot, p.id)
                    done, _ = ray.wait(list(inflight), num_returns=1, timeout=POLL_S)
                    for ref in done:
                        p, slot = inflight.pop(ref)
                        try:
                            rec = ray.get(ref)
                        except Exception as exc:  # noqa: BLE001 - the worker process died
                            rec = {"status": "failed", "error": f"worker lost: {exc.__class__.__name__}: "
                                   f"{str(exc).splitlines()[0] if str(exc) else ''}"}
                        rec["slot"] = slot
                        records[p.id] = rec
                        free.append(slot)
                        free.sort()
                        sweep.write_manifest(records, engine_info, started)
                        if on_point is not None and rec["status"] == "ok":
                            on_point(p, rec)
                        if display:
                            display.finished(slot, p.id, rec)
                    if display:
                        display.refresh(ray.get(board.get.remote()))
            except KeyboardInterrupt:
                interrupts.extend(RAY_STOP_S)    # the manifest and Ray's own shutdown come first
                for ref, (p, _) in inflight.items():
                    ray.cancel(ref, force=True)
                    records[p.id] = {"status": "pending", "note": "interrupted (Ctrl-C); re-run to resume"}
                sweep.write_manifest(records, engine_info, started)
                sweep.write_results(records)
                raise
            finally:
                if display:
                    display.stop()
        sweep.write_manifest(records, engine_info, started, _now())
        sweep.write_results(records)
        return _summary(sweep, records, engine_info)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _summary(sweep: Sweep, records: dict[str, dict[str, Any]], engine: dict[str, Any]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for r in records.values():
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"out": str(sweep.out), "points": len(sweep.points), "counts": counts, "engine": engine,
            "failed": {pid: r.get("error") for pid, r in records.items() if r["status"] == "failed"},
            "records": records}


class Display:
    """Rich live view: an overall bar and one line per worker slot."""

    def __init__(self, console=None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=console)
        self.slots: dict[int, Any] = {}
        self.names: dict[int, str] = {}

    def start(self, total: int, done: int, workers: int) -> None:
        self.overall = self.progress.add_task("[bold]sweep[/]", total=total, completed=done,
                                              info=f"{done} skipped (complete)" if done else "")
        for s in range(workers):
            self.slots[s] = self.progress.add_task(f"worker {s}", total=None, info="idle")
        self.failed = 0
        self.progress.start()

    def assign(self, slot: int, point_id: str) -> None:
        self.names[slot] = point_id
        self.progress.update(self.slots[slot], total=None, completed=0, info=f"{point_id}: starting")

    def finished(self, slot: int, point_id: str, rec: dict[str, Any]) -> None:
        self.failed += rec["status"] == "failed"
        self.progress.update(self.overall, advance=1,
                             info=f"{self.failed} failed" if self.failed else "")
        self.progress.update(self.slots[slot], info="idle")
        self.names.pop(slot, None)
        text = (f"test acc {rec.get('test_accuracy', float('nan')):.4f}" if rec["status"] == "ok"
                else f"[red]failed[/]: {rec.get('error')}")
        self.progress.console.print(f"{point_id}: {text} ({rec.get('seconds', 0):.1f} s)",
                                    highlight=False)

    def refresh(self, lines: dict[int, dict[str, Any]]) -> None:
        for slot, line in lines.items():
            if line and self.names.get(slot) == line["id"]:
                val = "" if line["val"] is None else f", val acc {line['val']:.3f}"
                self.progress.update(self.slots[slot], total=line["total"], completed=line["done"],
                                     info=f"{self.names[slot]}: epoch {line['epoch']}, loss "
                                          f"{line['loss']:.3f}{val}")

    def stop(self) -> None:
        self.progress.stop()
