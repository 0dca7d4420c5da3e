"""Nothing a user has is lost: outputs checked first, written atomically, run dirs always one run.

Every test here failed before the fix it guards (issue 15, "Data loss").
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import h5py
import pytest
from typer.testing import CliRunner

from beamnet_lava import rundir
from beamnet_lava.cli import app
from beamnet_lava.config import ANNConfig, SNNConfig
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation.compare import compare
from beamnet_lava.evaluation.evaluate import evaluate
from beamnet_lava.io_utils import atomic_path, write_bytes, write_json
from beamnet_lava.netx_export import export_run
from beamnet_lava.workflows.train import train

runner = CliRunner()
ROOT = os.geteuid() == 0


def _fails(args, needle):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 1, r.output
    assert needle in r.output, r.output
    assert "Traceback" not in r.output and ".part" not in r.output
    return r


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _snn(tmp_path, name="run", seed=1):
    out = tmp_path / name
    train(SNNConfig(epochs=1, hidden=(8,), time_steps=4, seed=seed), out, progress=False)
    return out


# -- data saccade --force -------------------------------------------------------------------------
def test_saccade_force_never_deletes_a_folder_it_did_not_write(tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    (mine / "data").mkdir()
    (mine / "data" / "x.bin").write_bytes(b"\x01")
    before = _tree(mine)
    monkeypatch.chdir(mine)
    _fails(["data", "saccade", "--out", ".", "--limit", "2", "--force"], "is not an event dataset")
    assert _tree(mine) == before

    out = tmp_path / "events"
    r = runner.invoke(app, ["data", "saccade", "--out", str(out), "--limit", "2"])
    assert r.exit_code == 0, r.output
    first = json.loads((out / "saccade.json").read_text())
    r = runner.invoke(app, ["data", "saccade", "--out", str(out), "--limit", "3", "--force"])
    assert r.exit_code == 0, r.output                  # our own earlier output: replaced whole
    assert json.loads((out / "saccade.json").read_text())["samples"] == 3 != first["samples"]
    assert sorted(os.listdir(out)) == ["NMNIST", "saccade.json"]
    (out / "notes.txt").write_text("mine")             # ...but not once it holds something else
    _fails(["data", "saccade", "--out", out, "--limit", "2", "--force"], "notes.txt")
    assert (out / "notes.txt").read_text() == "mine"


def test_saccade_force_in_the_current_folder_replaces_only_our_files(tmp_path, monkeypatch):
    out = tmp_path / "events"
    assert runner.invoke(app, ["data", "saccade", "--out", str(out), "--limit", "2"]).exit_code == 0
    monkeypatch.chdir(out)
    r = runner.invoke(app, ["data", "saccade", "--out", ".", "--limit", "3", "--force"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "saccade.json").read_text())["samples"] == 3
    assert sorted(os.listdir(out)) == ["NMNIST", "saccade.json"]


# -- no output replaces an input ------------------------------------------------------------------
def test_no_output_may_replace_an_input(tiny_run, tiny_net, tmp_path):
    net = tmp_path / "model.net"
    shutil.copy(tiny_net, net)
    before = net.read_bytes()
    _fails(["run", net, "--json", net], "is an input of this command")
    assert net.read_bytes() == before
    link = tmp_path / "link.json"
    link.symlink_to(net)                                # the same file under another name
    _fails(["run", net, "--json", link], "is an input of this command")
    assert net.read_bytes() == before

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    ckpt = (run / "checkpoint.pt").read_bytes()
    _fails(["export", run, "-o", run / "checkpoint.pt", "--force"], "is an input of this command")
    assert (run / "checkpoint.pt").read_bytes() == ckpt
    _fails(["evaluate", net, "--json", net], "is an input of this command")
    cfg = run / "my.yaml"
    cfg.write_text("model: snn\nepochs: 1\n")
    _fails(["train", "--config", cfg, "--out", tmp_path, "--force"], "an input of this command")
    assert cfg.exists() and net.read_bytes() == before


# -- symlinks, pipes, devices ----------------------------------------------------------------------
def test_atomic_write_follows_symlinks_and_writes_through_pipes(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_json(link, {"a": 1})
    assert link.is_symlink() and json.loads(target.read_text()) == {"a": 1}

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}
    reader = threading.Thread(target=lambda: got.setdefault("text", fifo.read_text()))
    reader.start()
    write_json(fifo, {"b": 2})
    reader.join(10)
    assert json.loads(got["text"]) == {"b": 2}
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)        # still a pipe, not a plain file
    assert sorted(os.listdir(tmp_path)) == ["link.json", "pipe", "real.json"]


def test_devices_are_written_through_or_refused(tiny_run, tmp_path):
    with pytest.raises(BeamnetError, match="no space left on the device to write /dev/full"):
        write_json("/dev/full", {"a": 1})
    r = _fails(["export", tiny_run, "-o", "/dev/full", "--force"], "no space left")
    assert "/dev/full" in r.output
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # the device node is still a device
    if ROOT:
        blk = tmp_path / "disk"
        os.mknod(blk, stat.S_IFBLK | 0o600, os.makedev(7, 200))
        _fails(["export", tiny_run, "-o", blk, "--force"], "is a block device")
        assert stat.S_ISBLK(os.stat(blk).st_mode)


# -- a run directory is always one run -------------------------------------------------------------
def test_train_force_replaces_the_whole_earlier_run(tmp_path):
    run = _snn(tmp_path)
    old_id = rundir.run_id(run)
    export_run(run, run / "model.net")
    assert h5py.File(run / "model.net", "r").attrs[rundir.RUN_ID_ATTR] == old_id
    r = runner.invoke(app, ["run", str(run / "model.net"), "--samples", "4", "--json",
                            str(run / "lava_run.json")])
    assert r.exit_code == 0, r.output
    evaluate(run, ood="inverted", samples=20, figures=False)
    assert {"model.net", "lava_run.json", "evaluation"} <= set(os.listdir(run))

    train(ANNConfig(epochs=1, seed=2), run, force=True, progress=False)
    assert rundir.run_id(run) != old_id
    left = set(os.listdir(run))
    assert not {"model.net", "lava_run.json", "evaluation"} & left, left
    row, = compare([run])
    assert row["model"] == "ann"                       # not the old SNN's evaluation

    (run / "notes.txt").write_text("mine")             # a file of the user's: --force refuses
    with pytest.raises(BeamnetError, match="notes.txt"):
        train(ANNConfig(epochs=1), run, force=True, progress=False)
    assert (run / "notes.txt").read_text() == "mine" and rundir.run_id(run) != old_id


def test_failed_train_leaves_no_folder_and_keeps_the_earlier_run(tmp_path):
    bad = SNNConfig(epochs=1, hidden=(8,), time_steps=4, dataset="mnist", data_dir=str(tmp_path / "none"))
    with pytest.raises(BeamnetError):
        train(bad, tmp_path / "new", progress=False)
    assert os.listdir(tmp_path) == []                  # no empty run folder, no temporary one
    run = _snn(tmp_path)
    before = _tree(run)
    with pytest.raises(BeamnetError):
        train(bad, run, force=True, progress=False)
    assert _tree(run) == before and sorted(os.listdir(tmp_path)) == ["run"]


def test_evaluate_needs_force_and_replaces_the_whole_folder(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    evaluate(run, ood="all", samples=20, figures=False)
    assert {"ood_inverted.parquet", "ood_noise.parquet"} <= set(os.listdir(run / "evaluation"))
    before = _tree(run / "evaluation")
    with pytest.raises(BeamnetError, match="--force"):
        evaluate(run, ood=None, samples=20, figures=False)
    assert _tree(run / "evaluation") == before
    evaluate(run, ood=None, samples=20, figures=False, force=True)
    assert not [f for f in os.listdir(run / "evaluation") if f.startswith("ood_")]
    assert compare([run])[0]["ood_auroc"] == {}


def test_compare_refuses_a_folder_mixing_two_runs(tmp_path):
    a, b = _snn(tmp_path, "a", seed=1), _snn(tmp_path, "b", seed=2)
    evaluate(a, ood="inverted", samples=20, figures=False)
    evaluate(b, ood="inverted", samples=20, figures=False)
    shutil.copy(b / "evaluation" / "ood_inverted.parquet", a / "evaluation" / "ood_inverted.parquet")
    with pytest.raises(BeamnetError, match="mixes runs"):
        compare([a])
    shutil.rmtree(a / "evaluation")
    shutil.copytree(b / "evaluation", a / "evaluation")
    with pytest.raises(BeamnetError, match="mixes runs"):
        compare([a])


# -- two writers at once ---------------------------------------------------------------------------
_WRITER = """
import os, sys
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import write_bytes
folder, me, ready = sys.argv[1], sys.argv[2], sys.argv[3]
open(f"{ready}/{me}", "w").close()           # imported: wait (spinning) for the other writer
while not (os.path.exists(f"{ready}/A") and os.path.exists(f"{ready}/B")):
    pass
won = 0
for i in range(40):
    try:
        write_bytes(f"{folder}/t{i}", me.encode() * 100000, replace=False)
        won += 1
    except BeamnetError:
        pass
print(won)
"""


def _python(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_two_processes_never_both_write_one_file(tmp_path):
    out, ready = tmp_path / "out", tmp_path / "ready"
    out.mkdir(), ready.mkdir()
    procs = [_python("-c", _WRITER, str(out), me, str(ready)) for me in "AB"]
    won = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert sum(won) == 40                              # every file has exactly one author...
    for i in range(40):
        data = (out / f"t{i}").read_bytes()
        assert data in (b"A" * 100000, b"B" * 100000)  # ...whole
    assert sorted(os.listdir(out)) == sorted(f"t{i}" for i in range(40))


_TRAINER = """
import os, sys, time
from beamnet_lava.config import SNNConfig
from beamnet_lava.errors import BeamnetError
from beamnet_lava.workflows.train import train
out, epochs, wait_for = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
while wait_for and not os.path.exists(wait_for[0]):      # start once the other train holds the lock
    time.sleep(0.01)
try:
    train(SNNConfig(epochs=epochs, hidden=(8,), time_steps=4), out, progress=False)
    print("trained")
except BeamnetError as exc:
    print("error:", exc)
"""


@pytest.mark.slow  # two real trainings; the lock itself: test_two_processes_never_both_write_one_file
def test_a_second_train_into_the_same_folder_is_refused_while_the_first_runs(tmp_path):
    out, lock = tmp_path / "run", tmp_path / ".run.lock"
    second = _python("-c", _TRAINER, str(out), "1", str(lock))
    first = _python("-c", _TRAINER, str(out), "3")
    assert "is being written by another beamnet-lava command" in second.communicate(timeout=300)[0]
    assert first.communicate(timeout=300)[0].strip() == "trained"
    assert json.loads((out / "metrics.json").read_text())["history"][-1]["epoch"] == 3
    assert not lock.exists()


# -- full disk -------------------------------------------------------------------------------------
@pytest.fixture
def full_disk(tmp_path):
    """A 2 MB tmpfs (root only), to be filled by the test."""
    if not ROOT:
        pytest.skip("mounting a small file system needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def _fill(mnt: Path, leave: int = 0) -> None:
    free = shutil.disk_usage(mnt).free - leave
    with open(mnt / "filler", "wb") as f:
        f.write(b"\0" * max(free, 0))


def test_full_disk_is_one_line_and_loses_nothing(tiny_run, tiny_net, full_disk):
    run = full_disk / "run"
    shutil.copytree(tiny_run, run)
    before = _tree(run)
    _fill(full_disk)
    _fails(["export", run, "-o", full_disk / "m.net"], "no space left on the device")
    _fails(["train", "--out", full_disk / "new", "--epochs", "1", "--hidden", "8"], "no space left")
    _fails(["train", "--out", run, "--force", "--epochs", "1", "--hidden", "8"], "no space left")
    _fails(["run", tiny_net, "--samples", "2", "--json", full_disk / "r.json"], "no space left")
    _fails(["evaluate", run, "--samples", "10", "--ood", "none", "-o", full_disk / "ev"], "no space left")
    _fails(["data", "saccade", "--out", full_disk / "ev2", "--limit", "2"], "no space left")
    assert _tree(run) == before                         # the earlier run is intact
    assert sorted(os.listdir(full_disk)) == ["filler", "run"]   # no partial file or folder


# -- outputs are checked before any work -------------------------------------------------------------
def test_bad_outputs_are_refused_before_any_work(tiny_run, tiny_net, tmp_path, monkeypatch):
    folder = tmp_path / "folder"
    folder.mkdir()
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    never = tmp_path / "never"
    _fails(["train", "--out", never, "--json", folder], "is a folder")
    _fails(["train", "--out", a_file, "--epochs", "1"], "is a file; give a folder")
    _fails(["train", "--out", never, "--json", ""], "--json needs a file name")
    _fails(["train", "--out", never, "--json", a_file / "m.json"], "which is a file")
    assert not never.exists()                           # refused before training
    _fails(["export", tiny_run, "-o", folder, "--force"], "is a folder")
    _fails(["run", tiny_net, "--json", folder], "is a folder")
    _fails(["evaluate", tiny_run, "-o", a_file], "is a file; give a folder")
    _fails(["compare", tiny_run, "--figure", tmp_path / "cmp.jpg"], "ending in .png")
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["compare", str(tiny_run)])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "comparison.png").exists()   # a figure only when asked for
    assert runner.invoke(app, ["compare", str(tiny_run), "--figure", "c.png"]).exit_code == 0
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_on_a_named_pipe_is_refused_at_once(tmp_path):
    fifo = tmp_path / "model.net"
    os.mkfifo(fifo)
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", runner.invoke(app, ["run", str(fifo)])),
                         daemon=True)
    t.start()
    t.join(60)
    assert "r" in box, "run blocked on a named pipe"
    assert box["r"].exit_code == 1 and "not a regular file" in box["r"].output


def test_temporary_names_never_appear_in_errors(tmp_path):
    target = tmp_path / "out.net"
    with pytest.raises(BeamnetError) as info:
        with atomic_path(target) as tmp:
            raise BeamnetError(f"{tmp}: not a NetX file")
    assert str(info.value) == f"{target}: not a NetX file"
    assert os.listdir(tmp_path) == []


# -- modes follow the umask ----------------------------------------------------------------------------
@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_outputs_respect_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        write_bytes(tmp_path / "f", b"x")
        run = _snn(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "f").st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(os.stat(run).st_mode) == 0o777 & ~mask
    assert stat.S_IMODE(os.stat(run / "checkpoint.pt").st_mode) == 0o666 & ~mask


def test_two_commands_reporting_into_one_run_folder_at_once_both_land(tiny_run, tmp_path):
    """`make demo` exports and runs a BEAM-Net (model.net, lava_run.json) while `evaluate` writes
    evaluation/ into the same run folder: each registers its report in the folder's manifest
    under the folder's lock. The second one waits for that short update instead of failing."""
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    report = run / "lava_run.json"
    write_json(report, {"accuracy": 1.0})
    held = threading.Event()

    def hold():
        with rundir.locked(run):           # another command updating the manifest right now
            held.set()
            threading.Event().wait(0.5)

    other = threading.Thread(target=hold)
    other.start()
    held.wait(10)
    rundir.register(report, "some-run-id")   # was refused at once: "is being written by another"
    other.join()
    assert rundir.read_manifest(run)["reports"]["lava_run.json"] == "some-run-id"
    with rundir.locked(run), pytest.raises(BeamnetError, match="being written by another"):
        with rundir.locked(run):             # a writer proper is still refused at once
            pass
