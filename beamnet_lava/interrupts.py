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
"""
from __future__ import annotations

import os
import signal
import threading
import time

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PARENT_POLL_S = 0.5
_installed = False
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
        return "interrupted" if self.signum == signal.SIGINT else \
            f"terminated by {signal.Signals(self.signum).name}"


def _raise(signum: int, frame) -> None:
    global fired
    fired = signum
    for s in SIGNALS:            # cleanup on the way out is bounded: a second signal waits
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def _in_child() -> None:
    for s in (signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_follow_parent, args=(os.getppid(),), name="beamnet-follow-parent",
                     daemon=True).start()


def _follow_parent(parent: int) -> None:
    """End this child when its parent is gone (even SIGKILLed): Lava children never outlive us."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def install() -> None:
    """Install the handlers (main thread only) and the fork hook for Lava's children."""
    global _installed
    for s in SIGNALS:
        if signal.getsignal(s) is not signal.SIG_IGN:    # nohup, `cmd &`: stay ignored
            signal.signal(s, _raise)
    if not _installed:
        os.register_at_fork(after_in_child=_in_child)
        _installed = True


def _signal_of(exc: KeyboardInterrupt) -> int:
    """The signal behind ``exc``: its own, else the one our handler saw (a library such as
    Ray may turn our :class:`Interrupted` into a plain KeyboardInterrupt), else SIGINT."""
    if isinstance(exc, Interrupted):
        return exc.signum
    return fired if fired is not None else signal.SIGINT


def exit_code_of(exc: KeyboardInterrupt) -> int:
    return 128 + _signal_of(exc)


def message_of(exc: KeyboardInterrupt) -> str:
    signum = _signal_of(exc)
    return "interrupted" if signum == signal.SIGINT else f"terminated by {signal.Signals(signum).name}"


def exit_now(code: int) -> None:
    """Leave at once after an interrupt (cleanup done): skip the interpreter's slow teardown.

    Python's own exit after a Lava run spends seconds in finalizers; ours have
    run already (children killed and reaped, shared memory unlinked), so only
    the standard streams are flushed.
    """
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
