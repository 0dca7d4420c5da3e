"""Issue 30: the verbs added last, tried as a hostile or careless user would.

No data loss (one output check for every verb: the same file as an input, a file inside an
input folder, a record of a folder we wrote, foreign files under --force), bounded sizes
(every size a file or an option declares is estimated before allocating), one-line errors
(exit 1, never a traceback). Each test failed before the fix it guards.
"""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from beamnet_lava import budget, outputs, rundir
from beamnet_lava.cli import app
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import umask

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def _fails(args, needle, code=1):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == code, r.output
    assert needle in r.output, r.output
    assert "Traceback" not in r.output and ".part" not in r.output and "beamnet-nir-" not in r.output
    assert len([l for l in r.output.splitlines() if l.startswith("error")]) == 1, r.output
    return r


def _ok(args):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output + "".join(__import__("traceback").format_exception(*r.exc_info))[-2000:]
    return r


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def run_copy(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    return run


@pytest.fixture
def net_copy(tiny_net, tmp_path):
    net = tmp_path / "m.net"
    shutil.copy(tiny_net, net)
    return net


@pytest.fixture(scope="module")
def nir_file(tiny_net, tmp_path_factory):
    from beamnet_lava.nir.bridge import export_nir

    path = tmp_path_factory.mktemp("nir") / "g.nir"
    export_nir(tiny_net, path)
    return path


# -- one output check: inputs, input folders, records, foreign files ------------------------------

def test_import_never_overwrites_its_input_even_through_a_symlink(nir_file, tmp_path):
    g = tmp_path / "g.nir"
    shutil.copy(nir_file, g)
    before = g.read_bytes()
    _fails(["import", g, "-o", g, "--force"], "is an input of this command")
    link = tmp_path / "link.net"
    link.symlink_to(g)
    _fails(["import", g, "-o", link, "--force"], "is an input of this command")
    hard = tmp_path / "hard.net"
    os.link(g, hard)
    _fails(["import", g, "-o", hard, "--force"], "is an input of this command")
    assert g.read_bytes() == before


def test_inspect_json_never_overwrites_the_network(net_copy):
    before = net_copy.read_bytes()
    _fails(["inspect", net_copy, "--json", net_copy], "is an input of this command")
    assert net_copy.read_bytes() == before


def test_outputs_never_replace_files_inside_an_input_run_folder(run_copy, tmp_path):
    before = _tree(run_copy)
    _fails(["energy", run_copy, "--json", run_copy / "checkpoint.pt"], "inside")
    _fails(["compare", run_copy, "--json", run_copy / "metrics.json"], "inside")
    link = tmp_path / "report.html"
    link.symlink_to(run_copy / "metrics.json")
    _fails(["report", run_copy, "-o", link, "--force"], "inside")
    assert _tree(run_copy) == before
    # a new report in the run folder is fine, and is recorded there as a report of ours
    _ok(["energy", run_copy, "--json", run_copy / "energy.json"])
    assert rundir.is_report(run_copy / "energy.json")


def test_records_of_our_folders_are_never_outputs_even_when_not_an_input(run_copy, tmp_path):
    """``sweep ... --json RUN/checkpoint.pt``: RUN is no input of the sweep, but its checkpoint
    is a record of a run directory: refused by the one check every verb uses."""
    for name in ("checkpoint.pt", "metrics.json", "config.json", "manifest.json", "predictions.parquet"):
        with pytest.raises(BeamnetError, match="beamnet-lava run directory"):
            outputs.check([outputs.Out(run_copy / name, "--json", stdout=True, force=True)])
    link = tmp_path / "x.json"
    link.symlink_to(run_copy / "metrics.json")
    with pytest.raises(BeamnetError, match="beamnet-lava run directory"):
        outputs.check([outputs.Out(link, "--json", stdout=True, force=True)])


def test_force_replaces_only_files_of_the_format_we_write(tmp_path):
    notes = tmp_path / "notes.json"
    notes.write_text("my notes, not JSON")
    with pytest.raises(BeamnetError, match="not a JSON report"):
        outputs.check([outputs.Out(notes, "--json", force=True)])
    with pytest.raises(BeamnetError, match="pass --force"):
        outputs.check([outputs.Out(notes, "--json", force=False)])
    photo = tmp_path / "cmp.png"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a JPEG")
    with pytest.raises(BeamnetError, match="not a PNG figure"):
        outputs.check([outputs.Out(photo, "--figure", force=True, suffix=".png")])
    data = tmp_path / "data.net"
    data.write_bytes(b"user bytes")
    with pytest.raises(BeamnetError, match="not an HDF5 network file"):
        outputs.check([outputs.Out(data, "--output", force=True)])
    ours = tmp_path / "r.json"
    ours.write_text('{"accuracy": 1}')
    outputs.check([outputs.Out(ours, "--json", force=True)])        # ours: replaced with --force


def test_a_file_a_manifest_does_not_list_is_not_ours(run_copy):
    mine = run_copy / "mine.json"
    mine.write_text('{"my": "analysis"}')
    with pytest.raises(BeamnetError, match="was not written by beamnet-lava"):
        outputs.check([outputs.Out(mine, "--json", force=True)])


def test_import_force_never_replaces_a_foreign_file(nir_file, tmp_path):
    thesis = tmp_path / "thesis.net"
    thesis.write_text("years of work")
    _fails(["import", nir_file, "-o", thesis, "--force"], "is not an HDF5 network file")
    assert thesis.read_text() == "years of work"
    _ok(["import", nir_file, "-o", tmp_path / "ok.net"])
    _ok(["import", nir_file, "-o", tmp_path / "ok.net", "--force"])       # ours: replaced


def test_report_refuses_a_foreign_html_and_replaces_its_own(run_copy, tmp_path):
    page = tmp_path / "index.html"
    page.write_text("hand-written page")
    _fails(["report", run_copy, "-o", page, "--force"], "is not an HTML report")
    assert page.read_text() == "hand-written page"


def test_json_needs_force_to_replace_an_existing_report_in_every_verb(run_copy, net_copy, tmp_path):
    report = tmp_path / "r.json"
    report.write_text('{"earlier": "report"}')
    for args in (["inspect", net_copy], ["compare", run_copy], ["energy", run_copy, "--samples", "5"],
                 ["run", net_copy, "--samples", "2"], ["evaluate", run_copy, "--samples", "5", "--ood", "none",
                                                       "-o", tmp_path / "ev"],
                 ["sweep", "--model", "ann", "--out", tmp_path / "sw"], ["train", "--out", tmp_path / "t"]):
        _fails([*args, "--json", report], "pass --force")
        assert report.read_text() == '{"earlier": "report"}'
    _ok(["inspect", net_copy, "--json", report, "--force"])
    assert json.loads(report.read_text())["verdict"]
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    _fails(["inspect", net_copy, "--json", notes, "--force"], "not a JSON report")
    assert notes.read_text() == "mine"


def test_sweep_json_never_replaces_a_record_of_a_run(run_copy, tmp_path):
    before = _tree(run_copy)
    _fails(["sweep", "--model", "ann", "--out", tmp_path / "sw", "--json", run_copy / "checkpoint.pt",
            "--force"], "beamnet-lava run directory")
    assert _tree(run_copy) == before and not (tmp_path / "sw").exists()


@pytest.mark.parametrize("extra", [["--dataset", "digits"], ["--samples", "3"],
                                   ["--loop"], ["--part", "val"], ["--seed", "1"], ["--lanes", "2"],
                                   ["--data-dir", "."]])
def test_run_inputs_refuses_options_it_would_ignore(net_copy, tmp_path, extra):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 4, 64), bool))
    _fails(["run", net_copy, "--inputs", x, *extra], "not used with --inputs")


# -- bundle: built aside, --force replaces only an earlier bundle -----------------------------------

def test_bundle_force_never_deletes_a_folder_it_did_not_write(tiny_net, tmp_path, monkeypatch):
    from beamnet_lava.deploy.bundle import write_bundle

    mine = tmp_path / "mine"
    (mine / "data").mkdir(parents=True)
    (mine / "thesis.tex").write_text("years of work")
    (mine / "data" / "x.bin").write_bytes(b"\x01")
    before = _tree(mine)
    with pytest.raises(BeamnetError, match="not an INRC job folder"):
        write_bundle(tiny_net, mine, samples=2, force=True)
    monkeypatch.chdir(mine)
    _fails(["bundle", tiny_net, "-o", ".", "--samples", "2", "--force"], "not an INRC job folder")
    assert _tree(mine) == before


def test_bundle_replaces_its_own_folder_whole_with_normal_modes(tiny_net, tmp_path):
    from beamnet_lava.deploy.bundle import write_bundle

    out = tmp_path / "job"
    write_bundle(tiny_net, out, samples=2)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask()       # not mkdtemp's 0700
    (out / "results.json").write_text("{}")                           # a job ran in it
    with pytest.raises(BeamnetError, match="did not write there"):   # measurements are never deleted
        write_bundle(tiny_net, out, samples=3, force=True)
    (out / "results.json").unlink()
    meta = write_bundle(tiny_net, out, samples=3, force=True)
    assert meta["n_samples"] == 3 and json.loads((out / "bundle.json").read_text())["n_samples"] == 3
    assert [e for e in os.listdir(tmp_path) if e != "job"] == []      # no temporary folder left
    with pytest.raises(BeamnetError, match="an input of this command"):
        write_bundle(out / "network.net", out, samples=2, force=True)


# -- sizes declared by files and options ------------------------------------------------------------

def _huge(src: Path, dst: Path, key: str, compressed: bool = False) -> Path:
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        del f[key]
        opts = dict(chunks=(1000, 1000), compression="gzip") if compressed else {}
        f.create_dataset(key, shape=(10**6, 10**6), dtype="f4", **opts)
    return dst


def _nir_weight(path: Path) -> str:
    with h5py.File(path, "r") as f:
        keys = []
        f.visititems(lambda n, o: keys.append(n) if n.endswith("weight") and isinstance(o, h5py.Dataset) else None)
    return keys[0]


def test_files_declaring_huge_datasets_are_one_line_in_every_verb(tiny_net, nir_file, tmp_path):
    net = _huge(tiny_net, tmp_path / "huge.net", "layer/0/weight")
    nir_big = _huge(nir_file, tmp_path / "huge.nir", _nir_weight(nir_file), compressed=True)
    for args in (["inspect", net], ["run", net], ["evaluate", net], ["export", net, "--format", "nir",
                 "-o", tmp_path / "x.nir"], ["bundle", net, "-o", tmp_path / "b"]):
        _fails(args, "declares shape (1000000, 1000000)")
    for args in (["import", nir_big, "-o", tmp_path / "x.net"], ["run", nir_big]):
        _fails(args, "more than the memory limit")
    assert not (tmp_path / "x.net").exists() and not (tmp_path / "b").exists()


def test_hdf5_data_kept_outside_the_file_is_refused(tiny_net, tmp_path):
    ext = tmp_path / "ext.net"
    shutil.copy(tiny_net, ext)
    with h5py.File(ext, "r+") as f:
        shape = f["layer/0/weight"].shape
        del f["layer/0/weight"]
        f.create_dataset("layer/0/weight", shape=shape, dtype="f4",
                         external=[("/dev/zero", 0, int(np.prod(shape)) * 4)])
    _fails(["inspect", ext], "external file")
    _fails(["run", ext], "external file")


def test_memory_limit_applies_to_declared_compressed_sizes(tiny_net, tmp_path, monkeypatch):
    packed = tmp_path / "packed.net"
    shutil.copy(tiny_net, packed)
    with h5py.File(packed, "r+") as f:
        w = f["layer/0/weight"][()]
        del f["layer/0/weight"]
        f.create_dataset("layer/0/weight", data=w, compression="gzip")
    budget.check_hdf5(packed)
    monkeypatch.setenv(budget.LIMIT_ENV, "1e-6")        # ~1 KiB: the weight unpacks to more
    with pytest.raises(BeamnetError, match="compressed data, more than the memory limit"):
        budget.check_hdf5(packed)
    budget.check_hdf5(tiny_net)                          # unfiltered: bounded by the file's size


def _npy(path: Path, header: dict, data: bytes = b"") -> Path:
    from numpy.lib import format as npy

    with open(path, "wb") as fh:
        npy.write_array_header_1_0(fh, header)
        fh.write(data)
    return path


@pytest.mark.parametrize("header,needle", [
    ({"descr": "|u1", "fortran_order": False, "shape": (10**6, 10**6, 64)}, "truncated or damaged"),
    ({"descr": [("a", "<i4"), ("b", "<f8")], "fortran_order": False, "shape": (2, 3, 4)}, "structured dtype"),
    ({"descr": "|O", "fortran_order": False, "shape": (2, 3, 4)}, "Python objects"),
    ({"descr": "<c16", "fortran_order": False, "shape": (1, 1, 1)}, "dtype complex128"),
    ({"descr": "<U3", "fortran_order": False, "shape": (1, 1, 1)}, "dtype <U3"),
])
def test_run_inputs_headers_are_checked_before_loading(net_copy, tmp_path, header, needle):
    x = _npy(tmp_path / "x.npy", header, b"\x00" * 64)
    _fails(["run", net_copy, "--inputs", x], needle)


def test_lava_dl_inputs_headers_are_checked_before_loading(tmp_path):
    from tests_paths import REFERENCE_DIR

    net = REFERENCE_DIR / "lava-dl" / "tiny.net"           # a lava-dl slayer export
    if not net.is_file():
        pytest.skip(f"{net} is absent (see ../shared/data/reference/README.md)")
    x = _npy(tmp_path / "x.npy", {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6, 3)},
             b"\x00" * 64)
    _fails(["run", net, "--inputs", x], "truncated or damaged")


def test_run_inputs_estimates_memory_and_honours_the_limit(net_copy, tmp_path, monkeypatch):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((200, 100, 64), bool))
    monkeypatch.setenv(budget.LIMIT_ENV, "0.001")
    r = _fails(["run", net_copy, "--inputs", x], "running 200 input samples of 100 steps needs")
    assert budget.LIMIT_ENV in r.output


def test_sweep_seeds_are_bounded_before_any_list_is_built(tmp_path):
    from beamnet_lava.sweep.plan import MAX_POINTS, parse_seeds

    t0 = time.perf_counter()
    with pytest.raises(BeamnetError, match=f"more than {MAX_POINTS:,} seeds"):
        parse_seeds("0-100000000")
    with pytest.raises(BeamnetError, match="numpy's largest seed"):
        parse_seeds("4294967296")
    assert time.perf_counter() - t0 < 1
    assert parse_seeds("3,0-2,1") == [3, 0, 1, 2]
    _fails(["sweep", "--model", "ann", "--seeds", "0-5000", "--grid", "lr=1e-3,1e-4,1e-5",
            "--out", tmp_path / "s"], "15,003 points")
    assert not (tmp_path / "s").exists()


# -- import --dt ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", ["0", "-1e-4", "nan", "inf"])
def test_import_dt_must_be_a_positive_finite_step(nir_file, tmp_path, dt):
    _fails(["import", nir_file, "-o", tmp_path / "x.net", f"--dt={dt}"], "--dt")
    assert not (tmp_path / "x.net").exists()


def test_a_nir_file_recording_a_bad_dt_is_one_line(nir_file, tmp_path):
    import nir

    graph = nir.read(nir_file)
    graph.metadata = {"dt": float("nan")}              # a peer's graph recording a NaN time step
    g = tmp_path / "g.nir"
    nir.write(g, graph)
    _fails(["import", g, "-o", tmp_path / "x.net"], "metadata dt nan must be a finite number")


def test_errors_of_a_nir_file_run_on_the_fly_name_the_users_file(nir_file, tmp_path):
    g = tmp_path / "g.nir"
    shutil.copy(nir_file, g)
    r = _fails(["run", g, "--dataset", "saccade-digits", "--samples", "2"], f"but {g} expects")
    assert "beamnet-nir-" not in r.output


# -- ingest: every field checked, nothing written on failure ---------------------------------------

@pytest.fixture(scope="module")
def bundle_dir(tiny_net, tmp_path_factory):
    from beamnet_lava.deploy.bundle import write_bundle

    out = tmp_path_factory.mktemp("bundle") / "job"
    write_bundle(tiny_net, out, samples=4)
    return out


def _results(bundle: Path, **changes) -> dict:
    meta = json.loads((bundle / "bundle.json").read_text())
    labels = np.load(bundle / "labels.npy")
    counts = np.load(bundle / "expected_output_spikes.npy").sum(-1)
    r = {"bundle": meta["name"], "network_sha256": meta["network_sha256"], "backend": "loihi2",
         "measured_on": "Loihi 2 via lava-loihi", "labels": labels.tolist(), "n_samples": len(labels),
         "time_steps": meta["time_steps"], "output_counts": counts.tolist(),
         "predictions": counts.argmax(1).tolist(),
         "agreement": {"spike_trains": 1.0, "counts": 1.0, "predictions": 1.0},
         "host_fallbacks": [], "partition": "oheogulch", "per_core_table": None,
         "energy": {"time_per_step_us": 10.0, "energy_per_inference_mJ": {"total": 0.2, "dynamic": 0.05}}}
    r.update(changes)
    return r


def _copy_bundle(bundle_dir, tmp_path, results: dict | None = None, meta_changes: dict | None = None):
    b = tmp_path / "job"
    shutil.copytree(bundle_dir, b)
    if meta_changes:
        meta = json.loads((b / "bundle.json").read_text())
        meta.update(meta_changes)
        (b / "bundle.json").write_text(json.dumps(meta))
    (b / "results.json").write_text(json.dumps(_results(bundle_dir) if results is None else results))
    return b


BAD_RESULTS = [
    ("output_counts", "negative", "whole numbers in 0.."),
    ("output_counts", "huge", "whole numbers in 0.."),
    ("output_counts", "ragged", "ragged"),
    ("predictions", [0, 1], "shape"),
    ("predictions", "disagree", "disagree with its own output_counts"),
    ("labels", "shifted", "differ from the bundle's labels.npy"),
    ("backend", "gpu", "must be one of loihi2, cpu"),
    ("measured_on", 5, "must be a non-empty string"),
    ("agreement", {"spike_trains": 2.0, "counts": 1, "predictions": 1}, "<= 1"),
    ("agreement", {"spike_trains": "all", "counts": 1, "predictions": 1}, "finite number"),
    ("agreement", [1, 2], "must be an object"),
    ("energy", {"time_per_step_us": -1.0}, "> 0"),
    ("energy", {"energy_per_inference_mJ": {"total": float("nan"), "dynamic": 1}}, "finite number"),
    ("energy", {"energy_per_inference_mJ": {"total": 1.0, "dynamic": 2.0}}, "exceeds the total"),
    ("host_fallbacks", 3, "must be a list"),
    ("n_samples", -1, "whole number"),
    ("time_steps", 1.5, "whole number"),
    ("per_core_table", "table", "list of rows"),
]


@pytest.mark.parametrize("key,value,needle", BAD_RESULTS)
def test_ingest_refuses_each_bad_field_of_results_json_and_writes_nothing(bundle_dir, tmp_path, key, value,
                                                                         needle):
    r = _results(bundle_dir)
    counts = np.asarray(r["output_counts"])
    value = {"negative": (-counts - 1).tolist(), "huge": (counts + 10**6).tolist(),
             "ragged": [[1, 2], [3]], "disagree": ((counts.argmax(1) + 1) % counts.shape[1]).tolist(),
             "shifted": ((np.asarray(r["labels"]) + 1) % counts.shape[1]).tolist()}.get(value, value) \
        if isinstance(value, str) else value
    b = _copy_bundle(bundle_dir, tmp_path, {**r, key: value})
    out = tmp_path / "rec"
    _fails(["ingest", b / "results.json", "-o", out], needle)
    assert not out.exists()


BAD_BUNDLE = [
    ({"temperature": 0}, "'temperature' must be a finite number > 0"),
    ({"temperature": "hot"}, "'temperature' must be a finite number"),
    ({"n_samples": -3}, "'n_samples' must be a whole number >= 1"),
    ({"time_steps": 0}, "'time_steps' must be a whole number >= 1"),
    ({"n_classes": 10**9}, "has shape"),
    ({"burn_in": 10**6}, "'burn_in' must be a whole number in"),
    ({"network_sha256": 12}, "must be a non-empty string"),
    ({"graph": "magic"}, "must be one of netx, stock_beamnet"),
    ({"graph": "stock_beamnet"}, "without its readout.npz"),
    ({"seed": -1}, "'seed' must be a whole number"),
    ({"split": None}, "'split' must be a non-empty string"),
]


@pytest.mark.parametrize("changes,needle", BAD_BUNDLE)
def test_ingest_refuses_each_bad_field_of_bundle_json(bundle_dir, tmp_path, changes, needle):
    b = _copy_bundle(bundle_dir, tmp_path, meta_changes=changes)
    _fails(["ingest", b / "results.json", "-o", tmp_path / "rec"], needle)
    assert not (tmp_path / "rec").exists()


def test_ingest_refuses_damaged_bundle_arrays(bundle_dir, tmp_path):
    b = _copy_bundle(bundle_dir, tmp_path)
    labels = np.load(b / "labels.npy")
    np.save(b / "labels.npy", labels.astype(object), allow_pickle=True)
    _fails(["ingest", b / "results.json", "-o", tmp_path / "rec"], "Python objects")
    np.save(b / "labels.npy", labels + 100)
    _fails(["ingest", b / "results.json", "-o", tmp_path / "rec"], "labels in 0..")
    np.save(b / "labels.npy", labels)
    _npy(b / "expected_output_spikes.npy", {"descr": "|u1", "fortran_order": False, "shape": (10**5, 10**5, 9)})
    _fails(["ingest", b / "results.json", "-o", tmp_path / "rec"], "truncated or damaged")
    assert not (tmp_path / "rec").exists()


def test_ingest_force_replaces_only_its_own_records_and_never_the_bundle(bundle_dir, tmp_path):
    b = _copy_bundle(bundle_dir, tmp_path)
    out = tmp_path / "rec"
    _ok(["ingest", b / "results.json", "-o", out])
    assert sorted(os.listdir(out)) == ["cpu-simulation", "loihi2", "manifest.json"]
    from beamnet_lava.evaluation import records

    assert records.read_meta(out / "loihi2" / "predictions.parquet")["run_dir"] == str(out / "loihi2")
    _fails(["ingest", b / "results.json", "-o", out], "pass --force")
    _ok(["ingest", b / "results.json", "-o", out, "--force"])
    (out / "notes.txt").write_text("mine")
    _fails(["ingest", b / "results.json", "-o", out, "--force"], "did not write there")
    assert (out / "notes.txt").read_text() == "mine"
    before = _tree(b)
    _fails(["ingest", b / "results.json", "-o", b, "--force"], "an input of this command")
    assert _tree(b) == before


# -- compare / report on tampered records -----------------------------------------------------------

def _tamper_metrics(run: Path, **changes):
    m = json.loads((run / "metrics.json").read_text())
    m.update(changes)
    (run / "metrics.json").write_text(json.dumps(m))


@pytest.mark.parametrize("edit,needle", [
    (lambda r: (r / "metrics.json").write_text("{bad"), "not readable JSON"),
    (lambda r: (r / "metrics.json").write_text("[1, 2]"), "does not hold a JSON object"),
    (lambda r: (r / "config.json").write_text("[]"), "does not hold a JSON object"),
    (lambda r: _tamper_metrics(r, parameters="many"), "'parameters'"),
    (lambda r: _tamper_metrics(r, measured_on=5), "'measured_on'"),
    (lambda r: _tamper_metrics(r, measured_on="x", agreement_with_cpu={"spike_trains": "a"}), "'agreement_with_cpu'"),
    (lambda r: _tamper_metrics(r, energy_per_inference_mJ={"total": "q"}), "'energy_per_inference_mJ'"),
])
def test_compare_and_report_refuse_tampered_json_records(run_copy, tmp_path, edit, needle):
    edit(run_copy)
    _fails(["compare", run_copy], needle)
    _fails(["report", run_copy, "-o", tmp_path / "r.html"], needle)
    assert not (tmp_path / "r.html").exists()


def _tamper_predictions(run: Path, fn):
    import pyarrow.parquet as pq

    t = pq.read_table(run / "predictions.parquet")
    pq.write_table(fn(t).replace_schema_metadata(t.schema.metadata), run / "predictions.parquet")


def _column(name, values):
    import pyarrow as pa

    return lambda t: t.set_column(t.column_names.index(name), name, pa.array(values(t.num_rows)))


@pytest.mark.parametrize("fn,needle", [
    (_column("label", lambda n: ["a"] * n), "column label holds string"),
    (_column("label", lambda n: [10**9] * n), "labels or class probabilities are not valid"),
    (_column("p0", lambda n: ["a"] * n), "column p0 holds string"),
    (_column("p0", lambda n: [float("nan")] * n), "labels or class probabilities are not valid"),
    (lambda t: t.slice(0, 0), "holds no samples"),
])
def test_compare_and_report_refuse_tampered_predictions(run_copy, tmp_path, fn, needle):
    _tamper_predictions(run_copy, fn)
    _fails(["compare", run_copy], needle)
    _fails(["report", run_copy, "-o", tmp_path / "r.pdf"], needle)


def test_non_utf8_record_metadata_is_one_line(run_copy):
    import pyarrow.parquet as pq

    t = pq.read_table(run_copy / "predictions.parquet")
    pq.write_table(t.replace_schema_metadata({**t.schema.metadata, b"beamnet_lava.split": b"\xff\xfe"}),
                   run_copy / "predictions.parquet")
    _fails(["compare", run_copy], "not UTF-8")


def test_compare_writes_no_figure_when_it_refuses(tiny_run, tmp_path):
    fig = tmp_path / "c.png"
    _fails(["compare", tiny_run, tiny_run, "--figure", fig], "repeats seed")
    assert not fig.exists()


# -- sweep: signals, locks, half-built folders --------------------------------------------------------

def test_a_resumed_sweep_removes_half_built_run_folders_and_stray_locks(tmp_path):
    from beamnet_lava.sweep import plan
    from beamnet_lava.sweep.plan import LOCK, Lock, clean_stale

    s = plan(None, "0-1", None, tmp_path / "sw", model="ann")
    runs = tmp_path / "sw" / "runs"
    runs.mkdir(parents=True)
    a, b = s.points[0].id, s.points[1].id
    (runs / f".{a}.k3j2x9.part").mkdir()
    (runs / f".{a}.k3j2x9.part" / "checkpoint.pt").write_bytes(b"half")
    (runs / f".{a}.lock").write_text("4242")                 # left by a SIGKILLed build
    (runs / "user-notes.part").write_text("not ours")        # not a point's name: kept
    with rundir.locked(runs / b):                             # being built right now: kept
        (runs / f".{b}.aaaaaa.part").mkdir()
        with Lock(tmp_path / "sw" / LOCK):
            removed = clean_stale(s)
        assert (runs / f".{b}.aaaaaa.part").is_dir()
    assert sorted(removed) == sorted([f".{a}.k3j2x9.part", f".{a}.lock"])
    assert sorted(os.listdir(runs)) == sorted([f".{b}.aaaaaa.part", "user-notes.part"])
    assert not (tmp_path / "sw" / LOCK).exists()             # the sweep's own lock is removed too


@pytest.mark.slow
def test_sigterm_ends_a_sweep_with_143_without_rays_stack_dump(tmp_path):
    out = tmp_path / "sw"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "beamnet_lava.cli", "sweep", "--model", "ann",
                             "--seeds", "0-3", "--set", "epochs=400", "--workers", "1", "--out", str(out)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.time() + 240                # the first point training in a Ray worker
        while time.time() < deadline and not list((out / "runs").glob(".*.part")):
            time.sleep(0.5)
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, err[-2000:]
    assert "SIGTERM received" not in err and "Traceback" not in err and "terminated" in err
    assert not (out / ".lock").exists()
