"""beamnet-lava sweep: planning and the folder (fast), and real sweeps on an embedded Ray (slow)."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from beamnet_lava.cli import app
from beamnet_lava.config import BeamnetConfig
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation import groups
from beamnet_lava.evaluation.compare import compare
from beamnet_lava.sweep import plan
from beamnet_lava.sweep.plan import LOCK, Lock, expand, parse_grid, parse_seeds
from beamnet_lava.training.checkpoint import load_run

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def test_seeds_and_grid_parse_typed_values():
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("0,3,7") == [0, 3, 7] and parse_seeds("0-2,5") == [0, 1, 2, 5]
    for bad in ("4-2", "a", "-1", ""):
        with pytest.raises(BeamnetError, match="--seeds"):
            parse_seeds(bad)
    grid = parse_grid(["n_memory=100,150", "lr=1e-4,3e-4", "fit_eta=true,false"], BeamnetConfig())
    assert grid == {"n_memory": [100, 150], "lr": [1e-4, 3e-4], "fit_eta": [True, False]}
    from beamnet_lava.config import SNNConfig
    assert parse_grid(["hidden=[64],[128,64]"], SNNConfig()) == {"hidden": [[64], [128, 64]]}


@pytest.mark.parametrize("item, message", [("n_memroy=1,2", "not a config key"),
                                           ("seed=1,2", "--seeds"), ("model=ann", "one model"),
                                           ("lr", "key=v1,v2")])
def test_grid_errors_fail_the_whole_sweep(item, message):
    with pytest.raises(BeamnetError, match=message):
        parse_grid([item], BeamnetConfig())


def test_points_are_the_product_with_seeds_innermost(tmp_path):
    sweep = plan(None, "0-1", ["n_memory=10,20", "lr=1e-3"], tmp_path / "s", model="beamnet",
                 overrides={"epochs": 1})
    assert [p.id for p in sweep.points] == ["n_memory=10_lr=0.001_seed=0", "n_memory=10_lr=0.001_seed=1",
                                            "n_memory=20_lr=0.001_seed=0", "n_memory=20_lr=0.001_seed=1"]
    assert sweep.point_config(sweep.points[3]) == {**sweep.base, "n_memory": 20, "lr": 1e-3, "seed": 1}
    assert sweep.base["epochs"] == 1


def test_a_relative_data_dir_is_made_absolute_for_the_workers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)            # as train reads it: from the current folder
    s = plan(None, "0", None, "s", model="ann", overrides={"dataset": "mnist", "data_dir": "data/mnist"})
    assert s.base["data_dir"] == str(tmp_path / "data" / "mnist")
    assert s.point_config(s.points[0])["data_dir"] == str(tmp_path / "data" / "mnist")
    assert plan(None, "0", None, "s", model="ann").base["data_dir"] is None


def test_two_sweeps_into_one_folder_are_refused(tmp_path):
    with Lock(tmp_path / LOCK):
        with pytest.raises(BeamnetError, match="another sweep is writing"):
            with Lock(tmp_path / LOCK):
                pass
    with Lock(tmp_path / LOCK):      # released on exit: the next sweep may start
        pass


def test_a_folder_of_something_else_or_another_base_config_is_refused(tmp_path):
    (tmp_path / "mine.txt").write_text("user data")
    with pytest.raises(BeamnetError, match="not empty"):
        plan(None, "0", None, tmp_path, model="ann").check_manifest()
    s = plan(None, "0", None, tmp_path / "s", model="ann")
    s.out.mkdir()
    s.write_manifest({p.id: {"status": "pending"} for p in s.points}, {}, "now")
    plan(None, "0-3", ["lr=1e-2"], tmp_path / "s", model="ann").check_manifest()   # same base: resumes
    with pytest.raises(BeamnetError, match="another base config"):
        plan(None, "0", None, tmp_path / "s", model="ann", overrides={"epochs": 2}).check_manifest()


def test_cli_grid_error_is_one_line(tmp_path):
    r = runner.invoke(app, ["sweep", "--model", "beamnet", "--grid", "n_memroy=1", "--out", str(tmp_path / "s")])
    assert r.exit_code == 1 and "not a config key of model beamnet" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "s").exists()


# -- real sweeps on an embedded Ray -------------------------------------------------------------

def _cli(*args, cwd: Path, background: bool = False, env: dict | None = None):
    """The real command in a fresh process (run in ``cwd``: MLflow puts artifacts in ./mlruns)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **(env or {})}
    cmd = [sys.executable, "-m", "beamnet_lava.cli", *map(str, args)]
    if background:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True,    # Ctrl-C as in a terminal, also
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # under nohup
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


TIMING = ("train_seconds", "seconds_per_epoch")


def _metrics(run: Path) -> dict:
    m = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in m.items() if k not in TIMING and k != "history"}


@pytest.mark.slow
def test_tiny_sweep_on_embedded_ray_failure_mlflow_resume(tmp_path):
    """2 seeds x 2 settings of BEAM-Net (digits, N = 10/20, 1 epoch) plus a bad value
    (w_inh = 1.5 breaks Proposition 3.3): the bad points fail with their error, the rest
    finish, every point is a run dir the other verbs read, one MLflow run per point; then a
    deleted point is retrained on resume, byte for byte."""
    out, uri = tmp_path / "sweep", f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ["sweep", "--model", "beamnet", "--seeds", "0-1", "--grid", "n_memory=10,20",
            "--grid", "w_inh=3.0,1.5", "--set", "epochs=1", "--out", out, "--workers", "2"]
    first = _cli(*args, "--mlflow-uri", uri, "--json", tmp_path / "summary.json", cwd=tmp_path)
    assert first.returncode == 1, first.stderr          # some points failed: the exit says so
    assert "Traceback" not in first.stderr
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["counts"] == {"ok": 4, "failed": 4}
    assert manifest["engine"]["workers"] == 2 and manifest["engine"]["threads_per_worker"] == 1
    for p in manifest["points"]:
        if p["setting"]["w_inh"] == 1.5:
            assert p["status"] == "failed" and "w_inh=1.5" in p["error"] and "Proposition 3.3" in p["error"]
        else:
            assert p["status"] == "ok"
            assert load_run(out / p["run_dir"]).config.n_memory == p["setting"]["n_memory"]
    table = pq.read_table(out / "results.parquet").to_pylist()
    assert [r["id"] for r in table] == [p["id"] for p in manifest["points"]]
    ok = [r for r in table if r["status"] == "ok"]
    assert all(0.5 < r["test_accuracy"] <= 1 and r["ece"] >= 0 for r in ok)
    for r in ok:
        assert r["test_accuracy"] == json.loads((Path(r["run_dir"]) / "metrics.json").read_text())["test_accuracy"]

    # the other verbs read the points: compare groups them over the two seeds
    rows = compare(expand([out]))
    rep = groups.report(rows)
    assert [len(g["runs"]) for g in rep["groups"]] == [2, 2]
    assert rep["differences"][0]["metrics"]["accuracy"]["paired"]

    # MLflow: one experiment named after the sweep, one run per finished point
    import mlflow
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("sweep")
    runs = client.search_runs([exp.experiment_id])
    assert sorted(r.info.run_name for r in runs) == sorted(r["id"] for r in ok)
    for r in runs:
        assert r.data.params["n_memory"] in ("10", "20") and r.data.params["w_inh"] == "3.0"
        assert [m.step for m in client.get_metric_history(r.info.run_id, "epoch.val_accuracy")] == [1]
        local = Path(r.info.artifact_uri.removeprefix("file://"))
        names = {a.path for a in client.list_artifacts(r.info.run_id)}
        assert {"checkpoint.pt", "predictions.parquet", "history.parquet", "reliability.png"} <= names
        assert local.is_dir()

    # resume: a deleted point is retrained, the others are skipped; same seed, same bytes
    gone = out / "runs" / "n_memory=10_w_inh=3.0_seed=1"
    before, sha = _metrics(gone), _sha(gone / "checkpoint.pt")
    kept = _sha(out / "runs" / "n_memory=20_w_inh=3.0_seed=0" / "checkpoint.pt")
    import shutil
    shutil.rmtree(gone)
    second = _cli(*args, cwd=tmp_path)
    assert second.returncode == 1
    counts = json.loads((out / "sweep.json").read_text())["counts"]
    assert counts == {"skipped": 3, "ok": 1, "failed": 4}
    assert _metrics(gone) == before and _sha(gone / "checkpoint.pt") == sha
    assert _sha(out / "runs" / "n_memory=20_w_inh=3.0_seed=0" / "checkpoint.pt") == kept


@pytest.mark.slow
def test_ctrl_c_stops_the_workers_and_keeps_finished_runs(tmp_path):
    out = tmp_path / "sweep"
    proc = _cli("sweep", "--model", "ann", "--seeds", "0-5", "--set", "epochs=60", "--out", out,
                "--workers", "2", cwd=tmp_path, background=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:       # wait for a first finished point
            m = out / "sweep.json"
            if m.is_file() and json.loads(m.read_text())["counts"].get("ok"):
                break
            time.sleep(0.5)
        else:
            pytest.fail("no point finished in 300 s")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    manifest = json.loads((out / "sweep.json").read_text())
    done = [p for p in manifest["points"] if p["status"] == "ok"]
    assert done and all((out / p["run_dir"] / "metrics.json").is_file() for p in done)
    assert all(p["status"] in ("ok", "pending") for p in manifest["points"])
    assert any(p.get("note", "").startswith("interrupted") for p in manifest["points"])
    assert not (out / LOCK).exists()             # the lock was released and removed



def test_an_unreachable_cluster_address_is_one_line(tmp_path):
    import socket
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = runner.invoke(app, ["sweep", "--model", "ann", "--set", "epochs=1", "--address", f"127.0.0.1:{port}",
                            "--out", str(tmp_path / "s")])
    assert r.exit_code == 1 and "no Ray cluster answers there" in r.output


# -- a real Ray cluster (--address) ---------------------------------------------------------------

def _free_ports(n: int) -> list[int]:
    import socket
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _session_processes(sid: int) -> dict[int, str]:
    """pid -> command line of every live process in session ``sid`` (Linux /proc)."""
    found = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == sid and fields[0] != "Z":     # state, ppid, pgrp, session
                found[int(d.name)] = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
    return found


@pytest.fixture
def ray_head():
    """A real single-node Ray cluster: ``ray start --head --block`` on 127.0.0.1 with its own
    temp dir, token and session, started without this worktree on its PYTHONPATH (so its
    workers can only run the package the driver ships). At the end only this node is stopped:
    SIGTERM to its ``ray start`` (never ``ray stop``, which stops every Ray on the machine),
    and no process of its session may survive (the group is killed only as a fallback)."""
    import secrets
    import shutil
    import tempfile

    temp = Path(tempfile.mkdtemp(prefix="rayh", dir="/tmp"))   # short: Ray's socket paths
    port, client_port = _free_ports(2)
    token = secrets.token_hex(32)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RAY_ADDRESS")}
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token, RAY_USAGE_STATS_ENABLED="0")
    log = (temp / "head.log").open("w")
    head = subprocess.Popen(
        [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
         "--node-ip-address=127.0.0.1", f"--port={port}", f"--ray-client-server-port={client_port}",
         "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
         f"--temp-dir={temp / 't'}", "--object-store-memory=200000000"],
        env=env, cwd=temp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 240
        while "Ray runtime started" not in (temp / "head.log").read_text():
            assert head.poll() is None and time.time() < deadline, (temp / "head.log").read_text()
            time.sleep(1)
        yield {"address": f"127.0.0.1:{port}", "client": f"ray://127.0.0.1:{client_port}",
               "token": token, "temp": temp, "sid": head.pid}
    finally:
        head.terminate()            # `ray start --block` drains the node and stops its processes
        try:
            head.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGTERM)
        deadline = time.time() + 30
        while _session_processes(head.pid) and time.time() < deadline:
            time.sleep(0.5)
        left = _session_processes(head.pid)
        if left:
            os.killpg(head.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)
        assert not left, f"Ray processes survived the head node's stop: {left}"


@pytest.mark.slow
def test_sweep_on_a_real_local_ray_cluster(ray_head, tmp_path):
    """`--address` against a running single-node cluster: the points train on its workers
    from the shipped package into the driver's (relative) --out, the manifest records the
    cluster, and the command disconnects without shutting the cluster down."""
    address, temp = ray_head["address"], ray_head["temp"]
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": ray_head["token"]}
    args = ["sweep", "--model", "ann", "--seeds", "0-1", "--set", "epochs=1", "--address", address]

    # the cluster wants a token: without RAY_AUTH_MODE=token one line says what to set
    no_auth = _cli(*args, "--out", "refused", cwd=tmp_path, env={"RAY_AUTH_MODE": "disabled"})
    assert no_auth.returncode == 1 and "Traceback" not in no_auth.stderr
    assert "could not connect" in no_auth.stderr and "RAY_AUTH_MODE=token" in no_auth.stderr

    done = _cli(*args, "--out", "rel", cwd=tmp_path, env=auth)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "rel"                       # relative to the driver, not to the cluster
    assert not (temp / "rel").exists()
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["engine"]["address"] == address and manifest["engine"]["workers"] == 2
    assert manifest["engine"]["threads_per_worker"] == 1 and manifest["counts"] == {"ok": 2}
    for p in manifest["points"]:
        # the workers ran the package the driver shipped (runtime_env py_modules)
        assert p["package"].startswith(str(temp / "t")) and "py_modules_files" in p["package"]
        run = load_run(out / p["run_dir"])
        assert run.config.seed == p["seed"] and 0.1 < p["test_accuracy"] <= 1
    assert [r["status"] for r in pq.read_table(out / "results.parquet").to_pylist()] == ["ok", "ok"]

    # the cluster is still up, all its CPUs free again, and the sweep's driver has ended
    probe = subprocess.run([sys.executable, "-c", (
        "import json, ray, ray._private.state as state\n"
        f"ray.init(address={address!r}, logging_level='ERROR', log_to_driver=False)\n"
        "me = ray.get_runtime_context().get_job_id()\n"
        "print(json.dumps({'alive': sum(n['Alive'] for n in ray.nodes()),\n"
        "    'cpu': ray.available_resources().get('CPU'),\n"
        "    'jobs': [j['IsDead'] for j in state.jobs() if j['JobID'] != me]}))\n"
        "ray.shutdown()\n")], env={**os.environ, **auth}, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    state = json.loads(probe.stdout.strip().splitlines()[-1])
    assert state["alive"] == 1 and state["cpu"] == 2.0
    assert state["jobs"] and all(state["jobs"])      # every earlier driver (the sweep) is dead
    leftover = [c for c in _session_processes(ray_head["sid"]).values()
                if "_run_point" in c or "_Board" in c]
    assert not leftover, leftover

    # Ray Client (ray://: the head's client server) runs the same sweep the same way
    client = _cli("sweep", "--model", "ann", "--seeds", "0", "--set", "epochs=1", "--address",
                  ray_head["client"], "--out", "client", cwd=tmp_path, env=auth)
    assert client.returncode == 0, client.stderr
    manifest = json.loads((tmp_path / "client" / "sweep.json").read_text())
    assert manifest["counts"] == {"ok": 1} and manifest["engine"]["address"] == ray_head["client"]
    assert _metrics(tmp_path / "client" / "runs" / "seed=0") == _metrics(out / "runs" / "seed=0")
