"""Keep Lava runs from hanging.

lava-nc 0.10 runs every process model in a forked child. When one raises
inside ``run_spk``, the runtime receives ``ERROR`` and then ``join()``s every
child, including the healthy ones still waiting for the next step, so
``run()`` blocks forever. :func:`guarded` runs the blocking call in a daemon
thread and polls the children: a child that has exited while the run is under
way is a failure, reported with its traceback within a fraction of a second; a
run that takes longer than ``timeout`` is reported too. Either way every child
is killed and the runtime is marked stopped so nothing is left behind. An
interrupt of the waiting thread (Ctrl-C, or SIGTERM/SIGHUP through
:mod:`beamnet_lava.interrupts`) kills the children the same way before it
propagates, and :func:`kill` unlinks the run's shared-memory segments itself
(its manager process may already be gone).

This reaches into the runtime's multiprocessing actors
(``runtime._messaging_infrastructure.actors``): lava-nc offers no public API
for it. Those attributes are checked for, so a lava-nc that changes them
degrades to the timeout alone.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any, Callable

from beamnet_lava.errors import BeamnetError, LavaRunError

POLL_S = 0.05
GRACE_S = 3.0
JOIN_S = 2.0          # all killed children together: reaped within this, else left to the OS


def _actors(runtime: Any) -> list:
    infra = getattr(runtime, "_messaging_infrastructure", None)
    return list(getattr(infra, "actors", []) or [])


def _alive(actor: Any) -> bool:
    try:
        return actor.is_alive()
    except ValueError:  # already closed by lava
        return False


def _exitcode(actor: Any) -> int | None:
    try:
        return actor.exitcode
    except ValueError:
        return None


def _exception_of(actor: Any) -> str | None:
    try:
        exc = actor.exception        # polls the child's pipe without blocking
    except (OSError, ValueError, EOFError):
        return None
    if not exc:
        return None
    error, trace = exc
    last = trace.strip().splitlines()[-1] if trace else repr(error)
    return f"a Lava process model raised: {last}"


def child_failure(runtime: Any, grace_s: float = GRACE_S) -> str | None:
    """Describe a failed child process of ``runtime`` (None while all are alive).

    When a child has died, the one that raised may still be sending its
    traceback (or another child may have exited first), so every child's pipe
    is polled for up to ``grace_s`` before the failure is reported without it.
    """
    actors = _actors(runtime)
    dead = [a for a in actors if not _alive(a)]
    if not dead:
        return None
    deadline = time.monotonic() + grace_s
    while True:
        for actor in actors:
            message = _exception_of(actor)
            if message:
                return message
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    codes = sorted({_exitcode(a) for a in dead}, key=str)
    return f"a Lava child process exited unexpectedly (exit codes {codes})"


def kill(runtime: Any) -> None:
    """Kill every child of ``runtime`` and mark it stopped (never blocks long)."""
    if runtime is None:
        return
    for actor in _actors(runtime):
        if _alive(actor):
            actor.kill()
    deadline = time.monotonic() + JOIN_S
    for actor in _actors(runtime):
        try:    # the base class's join: lava's SystemProcess.join takes no timeout
            multiprocessing.Process.join(actor, timeout=max(0.0, deadline - time.monotonic()))
        except (ValueError, AssertionError):
            pass
    infra = getattr(runtime, "_messaging_infrastructure", None)
    smm = getattr(infra, "smm", None)
    if smm is not None:
        segments = list(getattr(smm, "_shared_memory_handles", []) or [])
        try:
            smm.shutdown()
        except Exception:  # noqa: BLE001 - best effort cleanup of a broken run
            pass
        for segment in segments:   # the manager may be dead: free its /dev/shm segments here
            try:
                segment.unlink()
            except (OSError, ValueError):
                pass
    for flag in ("_is_started", "_is_running", "_is_initialized"):
        if hasattr(runtime, flag):
            setattr(runtime, flag, False)


def guarded(call: Callable[[], Any], runtime_of: Callable[[], Any], timeout: float,
            what: str) -> Any:
    """Run ``call()`` (a blocking Lava call) under the watchdog; return its result.

    ``runtime_of`` returns the runtime to watch (it may appear only while
    ``call`` runs, e.g. during compilation). Raises :class:`LavaRunError`.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name=f"lava-{what}", daemon=True)
    start = time.monotonic()
    try:
        # start() is inside: an interrupt while it waits for the thread to come up leaves the
        # call running, and a clean stop of a runtime another thread still drives never ends
        worker.start()
        while worker.is_alive():
            worker.join(POLL_S)
            if not worker.is_alive():
                break
            runtime = runtime_of()
            problem = child_failure(runtime) if runtime is not None else None
            if problem is None and time.monotonic() - start > timeout:
                problem = (f"no result after {timeout:.0f} s (watchdog); raise --timeout if the "
                           "network is just large")
            if problem is not None:
                kill(runtime)
                raise LavaRunError(f"Lava {what} failed: {problem}")
    except (KeyboardInterrupt, SystemExit):     # Ctrl-C, SIGTERM, SIGHUP: end the children now
        kill(runtime_of())
        raise
    if "error" in box:
        runtime = runtime_of()
        err = box["error"]
        problem = (child_failure(runtime) if runtime is not None else None) \
            or f"{err.__class__.__name__}: {err}"
        kill(runtime)
        raise LavaRunError(f"Lava {what} failed: {problem}") from err
    return box.get("result")


def shut_down(runtime: Any, interrupted: bool = False) -> None:
    """End a Lava ``runtime`` (None: nothing to do): a clean stop under a 30 s watchdog when
    it was started (children exit during a stop: only the timeout applies), else, or when the
    stop fails or is interrupted, kill its processes. ``interrupted`` (a signal is ending the
    command): kill at once; a thread may still be driving the runtime, and the stop would
    wait for replies that thread takes."""
    if runtime is None:
        return
    if getattr(runtime, "_is_started", False) and not interrupted:
        try:
            guarded(runtime.stop, lambda: None, 30.0, "stop")
        except BeamnetError:
            kill(runtime)
        except (KeyboardInterrupt, SystemExit):
            kill(runtime)
            raise
    else:
        kill(runtime)
