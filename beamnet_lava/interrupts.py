"""Signals that end a command end it cleanly: Lava children stopped, no partial output.

:func:`install` (called by the CLI) makes SIGINT, SIGTERM and SIGHUP raise
:class:`Interrupted` in the main thread, so every ``with``/``finally`` on the
way out runs: the Lava watchdog kills the runtime's child processes and frees
their shared memory (:func:`beamnet_lava.sim_cpu.watchdog.kill`), and a folder
being built aside is removed (:mod:`beamnet_lava.rundir`). The CLI then prints
one line and exits ``128 + signal`` (130 for Ctrl-C).

Lava runs each process model in a forked child, all in our process group, so
a Ctrl-C in the terminal (or a hang-up) reaches the children as well; they
would die mid-step with a KeyboardInterrupt traceback each and leave the
parent's clean stop waiting for its timeout. Children forked while the hooks
are installed therefore ignore SIGINT and SIGHUP: the parent ends them.
SIGKILL cannot be caught, so each such child also watches its parent and
exits within half a second of its death; multiprocessing's resource tracker
then unlinks the shared memory left registered.
After an interrupt the CLI leaves with :func:`exit_now` (no slow interpreter
teardown), so the command ends within about a second of the signal.

The orderly way out can still be held up: the exception may be raised where a
library swallows it (a finalizer, a broad ``except``), or the cleanup may wait on
a Lava runtime that another thread is still driving. So the handler also arms a
backstop, a bare thread that does not need the main thread: if the command has
not left :data:`BACKSTOP_S` seconds after the signal, it kills our forked
child processes (not programs exec'ed, such as multiprocessing's resource
tracker or Ray's), unlinks the /dev/shm segments they and we map, prints the
usual line and exits ``128 + signal`` itself. A program that catches
:class:`Interrupted` and goes on (a test) calls :func:`disarm`.
"""
from __future__ import annotations

import _thread
import os
import signal
import threading
import time
from multiprocessing import shared_memory
from pathlib import Path

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PARENT_POLL_S = 0.5
BACKSTOP_S = 3.0                # the orderly way out gets this long, then the backstop ends the command
_installed = False
_parent: int | None = None      # the process that forked (set just before each fork)
_reported = False               # the one-line message is out
_generation = 0                 # one per handled signal: a backstop watches its own
_not_before = 0.0               # extend(): the backstop does not act before this (monotonic) time
fired: int | None = None        # the signal that ended the command, once one has


class Interrupted(KeyboardInterrupt):
    """The command was ended by ``signum`` (SIGINT, SIGTERM or SIGHUP)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def message(self) -> str:
        return _message(self.signum)


def _raise(signum: int, frame) -> None:
    global fired, _reported, _generation
    fired, _reported, _generation = signum, False, _generation + 1
    for s in SIGNALS:            # cleanup on the way out is bounded: a second signal waits
        signal.signal(s, signal.SIG_IGN)
    # a bare thread: threading.Thread.start takes locks the interrupted main thread may hold
    _thread.start_new_thread(_backstop, (signum, _generation, time.monotonic() + BACKSTOP_S))
    raise Interrupted(signum)


def _backstop(signum: int, generation: int, deadline: float) -> None:
    """End the command ``BACKSTOP_S`` after signal ``signum`` unless it has left (or
    :func:`disarm` was called): children killed, segments unlinked, the line, ``128 + signum``."""
    while time.monotonic() < max(deadline, _not_before):
        time.sleep(0.05)
        if fired is None or generation != _generation:
            return
    end_children()
    if not _reported:
        try:
            os.write(2, (_message(signum) + "\n").encode())
        except OSError:
            pass
    os._exit(128 + signum)


def _live_children(pid: int) -> list[int]:
    """Live (non-zombie) child processes of ``pid``."""
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            kids.append(int(entry.name))
    return kids


def _shm_segments(pids: list[int]) -> set[str]:
    """Names of the multiprocessing shared-memory segments (``/dev/shm/psm_*``) ``pids`` map."""
    names = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        for line in maps.splitlines():
            path = line.split()[-1]
            if path.startswith("/dev/shm/psm_"):
                names.add(path[len("/dev/shm/"):])
    return names


def _forked_children(pid: int) -> list[int]:
    """Live children of ``pid`` that are forked copies of it (its command line, no exec):
    Lava's process models and shared-memory manager, multiprocessing workers. Programs a
    child exec'ed (multiprocessing's resource tracker, Ray's processes) are not ours to end."""
    try:
        own = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    kids = []
    for kid in _live_children(pid):
        try:
            if Path(f"/proc/{kid}/cmdline").read_bytes() == own:
                kids.append(kid)
        except OSError:
            pass
    return kids


def end_children() -> None:
    """SIGKILL this process's forked children and unlink the shared-memory segments they and
    we map.

    multiprocessing's resource tracker (exec'ed) is spared: it outlives the others, and each
    segment is unregistered from it here, so it has nothing left to clean (or warn about).
    """
    me = os.getpid()
    kids = _forked_children(me)
    names = _shm_segments([me, *kids])
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for name in names:
        try:     # open (registers it, as every open does) then unlink (unregisters it): balanced
            segment = shared_memory.SharedMemory(name)
            segment.close()
            segment.unlink()
        except (OSError, ValueError):
            pass


def extend(seconds: float) -> None:
    """The orderly way out needs up to ``seconds`` from now (a sweep writing its manifest and
    shutting its embedded Ray down, whose exec'ed processes the backstop would not end): the
    backstop waits that long before it acts."""
    global _not_before
    _not_before = max(_not_before, time.monotonic() + seconds)


def disarm() -> None:
    """The interrupt has been handled and this process goes on: forget it (no backstop)."""
    global fired
    fired = None


def reported() -> None:
    """The one-line message has been printed (the backstop does not print it again)."""
    global _reported
    _reported = True


def _note_parent() -> None:
    global _parent
    _parent = os.getpid()


def _in_child() -> None:
    for s in (signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # the parent's pid as it forked: if it is gone already, getppid() names someone else
    threading.Thread(target=_follow_parent, args=(_parent,), name="beamnet-follow-parent",
                     daemon=True).start()


def _follow_parent(parent: int) -> None:
    """End this child when its parent is gone (even SIGKILLed): Lava children never outlive us."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def install() -> None:
    """Install the handlers (main thread only) and the fork hooks for Lava's children."""
    global _installed
    for s in SIGNALS:
        if signal.getsignal(s) is not signal.SIG_IGN:    # nohup, `cmd &`: stay ignored
            signal.signal(s, _raise)
    if not _installed:
        os.register_at_fork(before=_note_parent, after_in_child=_in_child)
        _installed = True


def _signal_of(exc: KeyboardInterrupt) -> int:
    """The signal behind ``exc``: its own, else the one our handler saw (a library such as
    Ray may turn our :class:`Interrupted` into a plain KeyboardInterrupt), else SIGINT."""
    if isinstance(exc, Interrupted):
        return exc.signum
    return fired if fired is not None else signal.SIGINT


def exit_code_of(exc: KeyboardInterrupt) -> int:
    return 128 + _signal_of(exc)


def _message(signum: int) -> str:
    return "interrupted" if signum == signal.SIGINT else f"terminated by {signal.Signals(signum).name}"


def message_of(exc: KeyboardInterrupt) -> str:
    return _message(_signal_of(exc))


def exit_now(code: int) -> None:
    """Leave at once after an interrupt (cleanup done): skip the interpreter's slow teardown.

    Python's own exit after a Lava run spends seconds in finalizers; ours have
    run already (children killed and reaped, shared memory unlinked), so only
    the standard streams are flushed, after :func:`end_children` has ended what
    the cleanup could not reach (children a thread was still forking).
    """
    import sys

    global fired
    fired = None                 # left in time: the backstop stands down
    end_children()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
