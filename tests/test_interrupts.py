"""Signals end `beamnet-lava run` on a real Lava network fast, with no child or /dev/shm segment left.

Each command runs in its own session (process group = its pid), as a shell
job does; SIGINT goes to the whole group, as Ctrl-C in a terminal does, the
other signals to the main process only (``kill PID``). Our Lava segments are
the ``/dev/shm/psm_*`` files the command maps while it runs (other users'
segments on the machine are not ours to count).
"""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("beamnet-lava")


def _live(field: int, value: int) -> list[int]:
    """Live (non-zombie) processes whose /proc stat field ``field`` (after the name: 1 = parent,
    2 = process group) is ``value``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[field]) == value and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def _group(pgid: int) -> list[int]:
    """Live processes of process group ``pgid``."""
    return _live(2, pgid)


def _segments(pids: list[int]) -> set[str]:
    names = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        names.update(line.split()[-1] for line in maps.splitlines() if "/dev/shm/psm_" in line)
    return names


def _as_a_shell_job() -> None:
    """Default dispositions, as a terminal's job has (pytest may run with SIGINT ignored)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _start(net: Path, tmp_path: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "OMP_NUM_THREADS": "1"}
    # 1,078 train samples x 64 steps: minutes of Lava time, so the run is under way when signalled
    log = tmp_path / f"{name}.err"
    with open(log, "w") as err:
        proc = subprocess.Popen([str(BIN), "run", str(net), "--part", "train", "--time-steps", "64",
                                 "--chunk", "1", "--lanes", "1"], cwd=tmp_path, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=err, preexec_fn=_as_a_shell_job)
    proc.log = log
    return proc


def _wait_running(proc: subprocess.Popen, timeout: float = 240.0) -> set[str]:
    """Wait until Lava's children run and their segments are mapped; return the segments."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.log.read_text()
        segs = _segments(_group(proc.pid))
        if segs and len(_group(proc.pid)) >= 4:
            time.sleep(1.0)                    # a few Lava steps into the run
            return _segments(_group(proc.pid))
        time.sleep(0.2)
    pytest.fail("the Lava run did not start")


def _gone(pgid: int, segments: set[str], within: float) -> tuple[list[int], set[str]]:
    deadline = time.monotonic() + within
    while True:
        alive, left = _group(pgid), {s for s in segments if os.path.exists(s)}
        if (not alive and not left) or time.monotonic() > deadline:
            return alive, left
        time.sleep(0.1)


def _children(pid: int) -> set[int]:
    """Live child processes of ``pid``."""
    return set(_live(1, pid))


def test_ctrl_c_in_a_lava_run_ends_its_children_and_segments(tiny_net):
    """The handlers the CLI installs, in this process: Ctrl-C while a real Lava run is under
    way raises Interrupted within seconds, with every Lava child ended and its /dev/shm
    segments unlinked (the commands themselves, each signal: the subprocess tests below)."""
    from beamnet_lava import interrupts
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()     # multiprocessing's own, for this process's lifetime
    me, before = os.getpid(), _children(os.getpid())
    saved = {s: signal.getsignal(s) for s in interrupts.SIGNALS}
    seen: dict = {}

    def ctrl_c() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            kids = _children(me) - before
            segments = _segments(sorted(kids | {me}))
            if len(kids) >= 4 and segments:
                time.sleep(0.5)                            # a few Lava steps into the run
                seen.update(kids=_children(me) - before, segments=_segments(sorted(kids | {me})))
                seen["t0"] = time.monotonic()
                os.kill(me, signal.SIGINT)
                return
            time.sleep(0.05)

    for s in interrupts.SIGNALS:     # as a terminal's job has them: whatever an earlier test or
        signal.signal(s, signal.default_int_handler if s == signal.SIGINT else signal.SIG_DFL)
    interrupts.install()             # the runner left (install keeps an ignored signal ignored)
    assert signal.getsignal(signal.SIGINT) is interrupts._raise
    try:
        threading.Thread(target=ctrl_c, daemon=True).start()
        with pytest.raises(interrupts.Interrupted) as info:
            # 1,078 train samples x 64 steps: minutes of Lava time unless interrupted
            run_dataset(tiny_net, "digits", part="train", time_steps=64, chunk_samples=1, lanes=1,
                        progress=False)
            pytest.fail(f"the run ended uninterrupted; the Ctrl-C thread saw {seen or 'nothing'}, "
                        f"SIGINT handler {signal.getsignal(signal.SIGINT)!r}")
        elapsed = time.monotonic() - seen["t0"]
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
        interrupts.disarm()          # this process goes on: no backstop
    assert info.value.signum == signal.SIGINT and info.value.exit_code == 130
    assert len(seen["kids"]) >= 4 and seen["segments"]
    assert elapsed < 5.0, f"took {elapsed:.1f} s to stop"
    alive, left = _gone_pids(seen["kids"], seen["segments"], within=5.0)
    assert not alive, f"Lava children left: {alive}"
    assert not left, f"/dev/shm segments left: {sorted(left)}"


def _gone_pids(pids: set[int], segments: set[str], within: float):
    deadline = time.monotonic() + within
    while True:
        alive = {p for p in pids if Path(f"/proc/{p}").exists()
                 and Path(f"/proc/{p}/stat").read_text().split(")")[-1].split()[0] != "Z"}
        left = {s for s in segments if os.path.exists(s)}
        if (not alive and not left) or time.monotonic() > deadline:
            return alive, left
        time.sleep(0.1)


# The commands: SIGINT (Ctrl-C, the whole group), SIGTERM and SIGHUP (the "terminated by"
# path), SIGKILL (the children's own watch of their parent); slow (make test-slow, CI): the
# test above is the fast one
@pytest.mark.slow
@pytest.mark.parametrize("sig", [
    signal.SIGINT,
    signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: signal.Signals(s).name)
def test_signal_ends_run_and_its_lava_children(sig, tiny_net, tmp_path):
    name = signal.Signals(sig).name
    proc = _start(tiny_net, tmp_path, name)
    try:
        segments = _wait_running(proc)
        assert len(_group(proc.pid)) >= 4 and segments
        t0 = time.monotonic()
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)           # Ctrl-C: the terminal signals the whole group
        else:
            os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name}: still running 30 s after the signal")
        elapsed = time.monotonic() - t0
        alive, left = _gone(proc.pid, segments, within=5.0)
    finally:                                   # never leave a process behind, even on failure
        if proc.poll() is None:
            proc.kill()                        # the parent only: the resource tracker cleans up
            proc.wait()
        if _gone(proc.pid, set(), within=5.0)[0]:
            os.killpg(proc.pid, signal.SIGKILL)
    stderr = proc.log.read_text()
    assert not alive, f"Lava children left: {alive}"
    assert not left, f"/dev/shm segments left: {sorted(left)}"
    if sig == signal.SIGKILL:
        return                                 # uncatchable: the children follow their parent
    assert elapsed < 5.0, f"took {elapsed:.1f} s to stop"
    assert proc.returncode == 128 + sig
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    expected = "interrupted" if sig == signal.SIGINT else f"terminated by {name}"
    assert stderr.strip().splitlines()[-1] == expected


def test_signals_the_caller_ignores_stay_ignored():
    """nohup (SIGHUP) and `cmd &` in a script (SIGINT) ignore signals: we must not undo that."""
    code = ("import signal\nfrom beamnet_lava import interrupts\n"
            "signal.signal(signal.SIGHUP, signal.SIG_IGN)\ninterrupts.install()\n"
            "print(signal.getsignal(signal.SIGHUP) is signal.SIG_IGN, "
            "signal.getsignal(signal.SIGTERM) is interrupts._raise)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["True", "True"]


# A signal at the worst moments of a Lava run, delivered by the command to itself (a timing hook,
# not a mock: Lava runs for real): just as the watchdog's thread for the compilation, for a run
# call or for the final stop has started. The main thread is then outside the watchdog's
# wait, in Thread.start; an interrupt there once left the run call going and the clean stop
# after it waiting 30 s for replies that call took (tests/test_interrupts.py SIGTERM, flaky).
AT_THREAD_START = """
import os, signal, sys, threading, time
what, nth, sig, mark = sys.argv[1], int(sys.argv[2]), getattr(signal, sys.argv[3]), sys.argv[4]
start, seen = threading.Thread.start, [0]

def start_then_signal(self):
    start(self)
    if self.name == "lava-" + what and threading.current_thread() is threading.main_thread():
        seen[0] += 1
        if seen[0] == nth:
            with open(mark, "w") as f:
                f.write(repr(time.monotonic()))
            os.kill(0 if sig == signal.SIGINT else os.getpid(), sig)   # Ctrl-C: the whole group

threading.Thread.start = start_then_signal
sys.argv = ["beamnet-lava"] + sys.argv[5:]
from beamnet_lava.cli import main
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("what,nth", [("compilation", 1), ("run", 2), ("stop", 1)])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_a_signal_as_a_lava_thread_starts_ends_the_run(sig, what, nth, tiny_net, tmp_path):
    name, mark = signal.Signals(sig).name, tmp_path / "signalled"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    log = tmp_path / "err"
    # 8 samples in run calls of 4 (256 steps: the call still runs when the stop would start),
    # so the run reaches its stop in seconds
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-c", AT_THREAD_START, what, str(nth), name, str(mark),
                                 "run", str(tiny_net), "--part", "train", "--samples", "8", "--time-steps",
                                 "64", "--chunk", "4", "--lanes", "1"], cwd=tmp_path, env=env,
                                start_new_session=True, stdout=subprocess.DEVNULL, stderr=err,
                                preexec_fn=_as_a_shell_job)
    segments: set[str] = set()
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and not mark.exists():
            segments |= _segments(_group(proc.pid))
            time.sleep(0.02)
        assert mark.exists(), f"the {what} thread #{nth} never started: {log.read_text()}"
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} as the {what} thread started: still running 15 s later")
        elapsed = time.monotonic() - float(mark.read_text())
        alive, left = _gone(proc.pid, segments, within=5.0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if _gone(proc.pid, set(), within=5.0)[0]:
            os.killpg(proc.pid, signal.SIGKILL)
    stderr = log.read_text()
    assert not alive, f"processes left: {alive}"
    assert not left, f"/dev/shm segments left: {sorted(left)}"
    assert elapsed < 5.0, f"took {elapsed:.1f} s to stop"
    assert proc.returncode == 128 + sig, stderr
    assert "Traceback" not in stderr and "leaked" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == ("interrupted" if sig == signal.SIGINT else f"terminated by {name}")


# The backstop: the interrupt is swallowed (a library's broad except, a finalizer) and the main
# thread carries on; the command still ends, its child killed and its segment unlinked.
SWALLOWED = """
import os, sys, time
from multiprocessing import shared_memory
from beamnet_lava import interrupts

interrupts.install()
interrupts.BACKSTOP_S = 0.5
segment = shared_memory.SharedMemory(create=True, size=4096)    # as Lava's channels are
child = os.fork()
if child == 0:
    while True:                                                 # a child that waits for ever
        time.sleep(1)
announced = False
while True:
    try:
        if not announced:                                       # ready: signal me
            announced = True
            print(child, segment.name, flush=True)
        time.sleep(0.05)
    except KeyboardInterrupt:                                   # swallowed
        pass
"""


def _signal_swallower(script: str, sig: int, tmp_path: Path, timeout: float) -> tuple[float, list, set, int, str]:
    """Run ``script`` (SWALLOWED or a variant), send it ``sig`` once it is ready; returns the
    seconds it took to end, processes and segments left, its exit code and its stderr."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    log = tmp_path / "err"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True,
                                stdout=subprocess.PIPE, stderr=err, text=True, preexec_fn=_as_a_shell_job)
    try:
        child, segment = proc.stdout.readline().split()
        assert os.path.exists(f"/dev/shm/{segment}")
        t0 = time.monotonic()
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail("the swallowed interrupt left the command running")
        elapsed = time.monotonic() - t0
        alive, left = _gone(proc.pid, {f"/dev/shm/{segment}"}, within=5.0)   # the tracker too
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if _gone(proc.pid, set(), within=5.0)[0]:
            os.killpg(proc.pid, signal.SIGKILL)
    return elapsed, alive, left, proc.returncode, log.read_text()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_a_swallowed_interrupt_still_ends_the_command(sig, tmp_path):
    elapsed, alive, left, code, stderr = _signal_swallower(SWALLOWED, sig, tmp_path, timeout=10)
    assert elapsed < 3.0, f"took {elapsed:.1f} s"
    assert not alive and not left, (alive, left)
    assert code == 128 + sig
    assert "leaked" not in stderr and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines() == ["interrupted" if sig == signal.SIGINT else
                                           f"terminated by {signal.Signals(sig).name}"]


def test_extend_gives_the_orderly_way_out_more_time_and_then_the_backstop_still_acts(tmp_path):
    """A sweep's cleanup (manifest, Ray's shutdown) asks for more time with ``extend``: the
    backstop waits that long, then still ends the command, its child and its segment."""
    script = SWALLOWED.replace("    except KeyboardInterrupt:                                   # swallowed\n"
                               "        pass",
                               "    except KeyboardInterrupt:\n        interrupts.extend(2.0)")
    assert "extend(2.0)" in script
    elapsed, alive, left, code, _ = _signal_swallower(script, signal.SIGTERM, tmp_path, timeout=15)
    assert 2.0 <= elapsed < 6.0, f"took {elapsed:.1f} s"     # not at BACKSTOP_S = 0.5
    assert not alive and not left, (alive, left)
    assert code == 128 + signal.SIGTERM
