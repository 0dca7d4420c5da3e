"""Evaluation: metrics against hand values, Parquet records, evaluate and compare end to end."""
import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from beamnet_lava.cli import app
from beamnet_lava.config import ANNConfig, BeamnetConfig
from beamnet_lava.data.loading import load_data
from beamnet_lava.data.ood import OOD_SETS, make_ood, parse_ood
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation import records
from beamnet_lava.evaluation.compare import compare, summarize_run
from beamnet_lava.evaluation.evaluate import evaluate_run
from beamnet_lava.metrics.calibration import brier, ece, fit_temperature, nll, softmax
from beamnet_lava.metrics.energy import PLATFORMS, ann_nJ, load_constants
from beamnet_lava.metrics.ood import auroc
from beamnet_lava.training.checkpoint import load_run
from beamnet_lava.models.ann import MLP, beamnet_param_count, hidden_for_budget
from beamnet_lava.workflows.train import train

runner = CliRunner()


# -- metrics --------------------------------------------------------------------------------
def test_brier_by_hand():
    prob = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    # (0.3^2 + 0.2^2 + 0.1^2) and (0.1^2 + 0.9^2 + 0.8^2)
    assert brier(prob, np.array([0, 1])) == pytest.approx((0.14 + 1.46) / 2)


def test_fit_temperature_recovers_the_generating_temperature():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, size=(20000, 5))
    p = softmax(z / 2.5)
    labels = np.array([rng.choice(5, p=row) for row in p])
    t = fit_temperature(z, labels)
    assert t == pytest.approx(2.5, rel=0.05)
    assert nll(softmax(z / t), labels) <= nll(softmax(z), labels)


def test_entropy_and_softmax_by_hand():
    from beamnet_lava.metrics.uncertainty import entropy

    np.testing.assert_allclose(entropy(np.array([[0.5, 0.5, 0, 0], [1.0, 0, 0, 0], [0.25] * 4])),
                               [np.log(2), 0.0, np.log(4)])
    np.testing.assert_allclose(softmax(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])


def test_auroc_matches_pairwise_definition_with_ties():
    inside = np.array([0.1, 0.2, 0.2, 0.5])
    outside = np.array([0.2, 0.6, 0.05])
    pairs = [(o > i) + 0.5 * (o == i) for o in outside for i in inside]
    assert auroc(inside, outside) == pytest.approx(np.mean(pairs))
    assert auroc(inside, inside + 10) == 1.0 and auroc(inside + 10, inside) == 0.0


def test_ann_energy_by_hand():
    e = ann_nJ(macs=1000, adds=10, n_weights=1000)          # 4 kB of fp32: the 8 kB SRAM tier
    assert e["macs_only"] == pytest.approx((1000 * 4.6 + 10 * 0.9) / 1000)
    assert e["memory_reads"] == pytest.approx(1000 * 4 / 8 * 10.0 / 1000)
    big = ann_nJ(macs=1, adds=0, n_weights=300_000)          # 1.2 MB: beyond 1 MB, DRAM
    assert big["read64_pJ"] == 1300.0
    assert PLATFORMS["ann_fp32_45nm"]["source"].startswith("Horowitz 2014")


@pytest.mark.parametrize("content, message", [
    ({"synaptic_op_pJ": 1.0}, "lack"),
    ({"synaptic_op_pJ": -1.0, "neuron_update_inactive_pJ": 1, "neuron_update_active_pJ": 1,
      "spike_within_tile_pJ": 1}, "non-negative"),
    ([1, 2], "JSON object"),
])
def test_user_energy_constants_are_checked(tmp_path, content, message):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(content))
    with pytest.raises(BeamnetError, match=message):
        load_constants(path=path)


def test_ood_sets():
    x = np.random.default_rng(1).random((5, 64), dtype=np.float32)
    np.testing.assert_allclose(make_ood("inverted", x), 1 - x)
    shuffled = make_ood("shuffled", x, seed=3)
    np.testing.assert_allclose(np.sort(shuffled, 1), np.sort(x, 1))
    assert not np.allclose(shuffled, x)
    np.testing.assert_array_equal(make_ood("noise", x, 3), make_ood("noise", x, 3))
    assert parse_ood("all") == list(OOD_SETS) and parse_ood(None) == []
    with pytest.raises(BeamnetError, match="unknown OOD set 'rotated'"):
        parse_ood("inverted,rotated")


def test_ann_is_sized_to_the_beamnet_budget():
    budget = beamnet_param_count(64, BeamnetConfig().n_memory, 10)
    mlp = MLP(64, (hidden_for_budget(64, 10, budget),), 10)
    assert abs(mlp.n_params - budget) / budget < 0.02
    assert mlp.macs == 64 * mlp.sizes[1] + mlp.sizes[1] * 10


# -- records --------------------------------------------------------------------------------
def test_records_round_trip_and_damage(tmp_path):
    path = tmp_path / "p.parquet"
    cols = {c: np.arange(4, dtype=np.float64) for c in records.REQUIRED}
    cols.update(index=np.arange(4), label=np.arange(4), prediction=np.arange(4), correct=np.ones(4, bool))
    records.write_table(path, cols, {"model": "ann"})
    assert records.check_predictions(path)["model"] == "ann"
    np.testing.assert_array_equal(records.read_table(path)["brier"], cols["brier"])
    with pytest.raises(BeamnetError, match="missing"):
        records.read_meta(tmp_path / "none.parquet")
    path.write_bytes(path.read_bytes()[:-20])                 # truncated
    with pytest.raises(BeamnetError, match="truncated"):
        records.read_meta(path)
    partial = tmp_path / "q.parquet"
    records.write_table(partial, {"label": np.zeros(3)}, {})
    with pytest.raises(BeamnetError, match="lacks column"):
        records.check_predictions(partial)


# -- end to end: train -> evaluate -> compare ----------------------------------------------
@pytest.fixture(scope="module")
def ann_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ann") / "run"
    metrics = train(ANNConfig(epochs=3, seed=3), out, progress=False)   # tiny_run's split
    return out, metrics


def test_ann_run_records_and_temperature(ann_run):
    out, metrics = ann_run
    assert metrics["test_accuracy"] > 0.8 and metrics["temperature"] > 0
    table = records.read_table(out / records.PREDICTIONS)
    assert table["correct"].mean() == pytest.approx(metrics["test_accuracy"])
    assert records.read_table(out / records.HISTORY)["epoch"].tolist() == [1, 2, 3]
    budget = beamnet_param_count(64, BeamnetConfig().n_memory, 10)
    assert abs(metrics["parameters"] - budget) / budget < 0.2


def test_evaluate_then_compare_agree(ann_run, tiny_run, tmp_path):
    out, _ = ann_run
    rep = evaluate_run(out, ood="inverted,noise")
    assert set(rep["ood"]) == {"inverted", "noise"}
    assert (out / "evaluation" / "reliability.png").stat().st_size > 1000
    assert (out / "evaluation" / "risk_coverage.png").stat().st_size > 1000
    assert rep["figures"]["risk_coverage"].endswith("risk_coverage.png")
    # misclassification detection from the records, by scikit-learn directly
    from sklearn.metrics import roc_auc_score

    table = records.read_table(out / "evaluation" / records.PREDICTIONS)
    wrong = ~table["correct"].astype(bool)
    assert rep["auroc_wrong_total"] == pytest.approx(roc_auc_score(wrong, table["total"]))
    assert rep["selective"]["confidence"]["auroc_wrong"] == pytest.approx(
        roc_auc_score(wrong, -table["confidence"]))
    assert set(rep["selective"]) == {"total", "confidence"}        # an MLP has no Eq. 14-15 split
    assert rep["aurc"] >= (wrong.mean() ** 2) / 2 and rep["eaurc"] >= 0
    kept = table["accept_coverage"] <= 0.9
    assert kept.mean() <= 0.9 and rep["accuracy_at_90_coverage"] >= rep["accuracy"]
    tiny = evaluate_run(tiny_run, ood="shuffled", out=tmp_path / "tiny_eval")
    assert (tmp_path / "tiny_eval" / "raster.png").stat().st_size > 1000
    assert tiny["spikes_per_sample"] > 0 and tiny["energy_per_inference_nJ"] > 0
    rows = compare([out, tiny_run], figure=tmp_path / "cmp.png")
    assert (tmp_path / "cmp.png").stat().st_size > 1000
    assert [r["model"] for r in rows] == ["ann", "snn"] and set(rows[0]["ood_auroc"]) == {"inverted", "noise"}
    for key in ("auroc_wrong_total", "aurc", "eaurc", "accuracy_at_95_coverage"):
        assert rows[0][key] == pytest.approx(rep[key])          # DuckDB's records = evaluate's
    assert "auroc_wrong_epistemic" not in rows[0]                 # undefined for an MLP
    # the tiny SNN run was not evaluated into its run dir: compare uses its training records
    assert summarize_run(tiny_run)["n_samples"] == json.loads((tiny_run / "metrics.json").read_text())["n_test"]
    with pytest.raises(BeamnetError, match="already exists"):
        compare([out], figure=tmp_path / "cmp.png")


def _record(path, prob, labels, ood_score, **meta):
    prob, labels = np.asarray(prob), np.asarray(labels)
    n = len(labels)
    cols = {c: np.zeros(n) for c in records.REQUIRED}
    cols.update(index=np.arange(n), label=labels, prediction=prob.argmax(1),
                correct=prob.argmax(1) == labels, confidence=prob.max(1),
                p_label=prob[np.arange(n), labels], ood_score=np.asarray(ood_score, dtype=float),
                spikes=np.full(n, 3), windows=np.ones(n, dtype=np.int64), energy_nJ=np.full(n, 2.0))
    cols.update({f"p{c}": prob[:, c] for c in range(prob.shape[1])})
    records.write_table(path, cols, {"model": "ann", "dataset": "digits", "split": "s", "seed": 0, **meta})


def test_compare_metrics_by_hand(tmp_path):
    """compare's numbers from hand-made records: ECE, NLL, Brier, AUROC (metrics/) and DuckDB aggregates."""
    run = tmp_path / "run"
    run.mkdir()
    prob = [[0.95, 0.05], [0.65, 0.35], [0.3, 0.7], [0.85, 0.15]]   # one confidence per ECE bin
    _record(run / records.PREDICTIONS, prob, [0, 1, 1, 0], [0.1, 0.2, 0.3, 0.4])
    _record(run / records.ood_file("noise"), [[0.5, 0.5]] * 3, [0, 0, 0], [0.35, 0.5, 0.2])
    row = summarize_run(run)
    assert row["n_samples"] == 4 and row["accuracy"] == pytest.approx(0.75)
    assert row["ece"] == pytest.approx((0.05 + 0.65 + 0.3 + 0.15) / 4)
    assert row["nll"] == pytest.approx(-np.log([0.95, 0.35, 0.7, 0.85]).mean())
    assert row["brier"] == pytest.approx(2 * (0.05 ** 2 + 0.65 ** 2 + 0.3 ** 2 + 0.15 ** 2) / 4)
    assert row["ood_auroc"]["noise"] == pytest.approx((3 + 4 + 1.5) / 12)   # the 0.2 tie counts half
    assert row["spikes_per_sample"] == 3 and row["energy_nJ"] == 2.0


def test_compare_refuses_runs_on_different_splits(ann_run, tmp_path):
    other = tmp_path / "other"
    train(ANNConfig(epochs=1, split=(0.7, 0.15, 0.15)), other, progress=False)
    with pytest.raises(BeamnetError, match="different splits"):
        compare([ann_run[0], other])
    # another seed of the same split is what compare groups over: accepted
    seed4 = tmp_path / "seed4"
    train(ANNConfig(epochs=1, seed=4), seed4, progress=False)
    assert len(compare([ann_run[0], seed4])) == 2


def test_cli_errors(ann_run, tmp_path):
    out, _ = ann_run
    r = runner.invoke(app, ["evaluate", str(out), "--ood", "rotated", "--force"])
    assert r.exit_code == 1 and "unknown OOD set 'rotated'" in r.output
    r = runner.invoke(app, ["compare", str(tmp_path / "nope")])
    assert r.exit_code == 1 and "not a run directory" in r.output
    r = runner.invoke(app, ["evaluate", str(out), "--loop", "--force"])
    assert r.exit_code == 1 and "--loop needs a BEAM-Net" in r.output


def test_checkpoint_from_another_version_is_refused(ann_run, tmp_path):
    import shutil

    import torch

    from beamnet_lava.training.checkpoint import CHECKPOINT, load_run

    out, _ = ann_run
    copy = tmp_path / "old"
    shutil.copytree(out, copy)
    state = torch.load(copy / CHECKPOINT, weights_only=True)
    state["format"] = 99
    torch.save(state, copy / CHECKPOINT)
    with pytest.raises(BeamnetError, match="checkpoint format 99"):
        load_run(copy)


def test_summaries_match_metric_functions(ann_run):
    out, _ = ann_run
    table = records.read_table(out / records.PREDICTIONS)
    prob = np.stack([table[f"p{c}"] for c in range(10)], 1)
    assert summarize_run(out)["ece"] == pytest.approx(ece(prob, table["label"]), abs=1e-9)


# -- energy ----------------------------------------------------------------------------------
def test_energy_of_an_ann_run_and_sweep_refused(ann_run, tmp_path):
    from beamnet_lava.workflows.energy import energy

    out, _ = ann_run
    rep = energy(out, out=tmp_path)
    assert rep["energy_with_memory_reads_nJ"] > rep["energy_per_inference_nJ"] > 0
    assert rep["ann_nJ"]["macs_only"] == pytest.approx(rep["energy_per_inference_nJ"])
    with pytest.raises(BeamnetError, match="--sweep varies BEAM-Net"):
        energy(out, sweep=[10, 20])


@pytest.mark.slow  # end to end (the SNN file path stays fast)
def test_beamnet_energy_sweep_measures_activity(beamnet30, tmp_path):
    from beamnet_lava.workflows.energy import energy

    run = beamnet30 / "run"                  # the shared BEAM-Net run, N = 30 (read only)
    rep = energy(run, sweep=[10, 30], epochs=1, out=tmp_path / "e", samples=60, progress=False)
    small, big = rep["sweep"]
    # every memory neuron is updated every step: energy grows with N at measured activity
    assert big["energy_per_inference_nJ"] > small["energy_per_inference_nJ"]
    assert big["ann_parameters"] > small["ann_parameters"]
    assert 0 < small["active_fraction"] <= 1
    act = rep["activity_per_inference"]
    assert act["neuron_updates"] == 30 * BeamnetConfig().time_steps * act["windows"]
    assert rep["eq25_nJ"]["total"] > 0
    assert (tmp_path / "e" / "energy_sweep.png").stat().st_size > 1000
    assert json.loads((tmp_path / "e" / "energy_sweep.json").read_text())["sweep"][0]["n_memory"] == 10
    with pytest.raises(BeamnetError, match="already exists"):
        energy(run, sweep=[10], epochs=1, out=tmp_path / "e", samples=10, progress=False)


@pytest.mark.slow   # two evaluations, one logging to MLflow (test_tracking.py: the same, slow too)
def test_mlflow_is_optional(ann_run, tmp_path, monkeypatch):
    out, _ = ann_run
    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")   # MLflow 3: folder stores are opt-in
    r = runner.invoke(app, ["evaluate", str(out), "--ood", "none", "--mlflow-uri", uri, "--force"])
    try:
        import mlflow  # noqa: F401
    except ImportError:
        assert r.exit_code == 1 and "pip install mlflow" in r.output
    else:
        assert r.exit_code == 0, r.output
        assert any((tmp_path / "mlruns").rglob("evaluation.json"))
    assert runner.invoke(app, ["evaluate", str(out), "--ood", "none", "--force"]).exit_code == 0


# -- exported files on Lava give the same evaluation as the training model -------------------
def _same_tables(a_dir, b_dir, name):
    a, b = records.read_table(a_dir / name), records.read_table(b_dir / name)
    for col in ("prediction", "spikes", "windows", "correct"):
        np.testing.assert_array_equal(a[col], b[col], err_msg=col)
    for col in ("confidence", "p_label", "brier", "energy_nJ", "active_fraction"):
        np.testing.assert_allclose(a[col], b[col], rtol=0, atol=1e-9, err_msg=col)


def test_exported_snn_evaluated_on_lava_matches_training_model(tiny_run, tiny_net, tmp_path):
    from beamnet_lava.evaluation.evaluate import evaluate

    lava = evaluate(tiny_net, ood="inverted", samples=12, out=tmp_path / "lava", figures=False)
    ref = evaluate(tiny_run, ood="inverted", samples=12, out=tmp_path / "ref", figures=False)
    assert lava["backend"] == "lava cpu fixed" and ref["backend"] == "training model"
    _same_tables(tmp_path / "lava", tmp_path / "ref", records.PREDICTIONS)
    _same_tables(tmp_path / "lava", tmp_path / "ref", records.ood_file("inverted"))
    assert lava["ood"]["inverted"]["auroc"] == pytest.approx(ref["ood"]["inverted"]["auroc"])


def test_evaluate_file_with_shards_equals_one_process(tiny_run, tiny_net, tmp_path):
    """`evaluate FILE --workers 3`: every Lava run (test part and OOD set) in three shards (the
    in-process mapper, real Lava each) gives the records and report of one process."""
    from beamnet_lava.evaluation.evaluate import evaluate
    from beamnet_lava.sim_cpu import shards

    blocks = []

    def mapper(fn, calls):
        blocks.append([len(c[2]) for c in calls])
        return shards.serial(fn, calls)

    one = evaluate(tiny_net, ood="inverted", samples=8, out=tmp_path / "one", figures=False)
    three = evaluate(tiny_net, ood="inverted", samples=8, out=tmp_path / "three", figures=False,
                     workers=3, mapper=mapper)
    assert blocks == [[3, 3, 2], [3, 3, 2]]          # the test samples, then the OOD set
    _same_tables(tmp_path / "one", tmp_path / "three", records.PREDICTIONS)
    _same_tables(tmp_path / "one", tmp_path / "three", records.ood_file("inverted"))
    for key in ("accuracy", "ece", "energy_per_inference_nJ"):
        assert one[key] == three[key], key
    assert one["ood"]["inverted"]["auroc"] == three["ood"]["inverted"]["auroc"]
    with pytest.raises(BeamnetError, match="--workers only apply to an exported .net file"):
        evaluate(tiny_run, ood=None, samples=4, out=tmp_path / "run", figures=False, workers=2)


@pytest.mark.slow  # end to end (the SNN file path stays fast)
def test_exported_beamnet_evaluated_on_lava_matches_training_model(tmp_path):
    from beamnet_lava.evaluation.evaluate import evaluate
    from beamnet_lava.netx_export import export_run

    run = tmp_path / "bn"
    train(BeamnetConfig(epochs=1, n_memory=20, seed=5, max_windows=2), run, progress=False)
    net = tmp_path / "bn.net"
    export_run(run, net)
    lava = evaluate(net, ood="noise", samples=10, loop=True, lanes=4, out=tmp_path / "lava")
    ref = evaluate(run, ood="noise", samples=10, loop=True, out=tmp_path / "ref")
    assert lava["bidirectional"] and lava["windows_mean"] >= 1
    _same_tables(tmp_path / "lava", tmp_path / "ref", records.PREDICTIONS)
    _same_tables(tmp_path / "lava", tmp_path / "ref", records.ood_file("noise"))
    for key in ("accuracy", "ece", "energy_per_inference_nJ"):
        assert lava[key] == pytest.approx(ref[key], abs=1e-9)
    rows = compare([tmp_path / "lava", tmp_path / "ref"], figure=None)
    assert rows[0]["accuracy"] == rows[1]["accuracy"]


def test_brf_run_has_records_and_evaluates(brf32, tmp_path):
    from beamnet_lava.netx_export import export_run

    run = brf32 / "run"                     # the shared BRF run (its training wrote metrics.json)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["temperature"] > 0
    rep = evaluate_run(run, ood="shuffled", samples=40, out=tmp_path / "e")
    assert (tmp_path / "e" / "raster.png").stat().st_size > 1000
    assert rep["model"] == "brf-rsnn" and 0 <= rep["accuracy"] <= 1
    assert rep["spikes_per_sample"] > 0 and rep["energy_per_inference_nJ"] > 0
    assert 0 <= rep["ood"]["shuffled"]["auroc"] <= 1
    assert summarize_run(run)["n_samples"] == metrics["n_test"]
    net = tmp_path / "brf.net"
    export_run(run, net)
    r = runner.invoke(app, ["evaluate", str(net)])
    assert r.exit_code == 1 and "recurrent (BRF/RF)" in r.output


def test_probe_uncertainty_on_lava_matches_the_training_model(beamnet30, tmp_path):
    """uncertainty=probe: the probe window runs as the same Lava processes (w_inh 0, its own
    seed, no noise by default: probe_delta 0); every per-sample number and the energy equal the
    training model's."""
    from beamnet_lava.evaluation.evaluate import evaluate

    run, net = beamnet30 / "run", beamnet30 / "bn.net"
    kw = dict(ood="noise", samples=12, uncertainty="probe", figures=False)
    lava = evaluate(net, lanes=4, out=tmp_path / "lava", **kw)
    ref = evaluate(run, out=tmp_path / "ref", **kw)
    base = evaluate(run, out=tmp_path / "base", **{**kw, "uncertainty": None})
    assert lava["uncertainty_score"].startswith("vacuity") and base["uncertainty_score"].startswith("epistemic")
    for name in (records.PREDICTIONS, records.ood_file("noise")):
        _same_tables(tmp_path / "lava", tmp_path / "ref", name)
        a, b = records.read_table(tmp_path / "lava" / name), records.read_table(tmp_path / "ref" / name)
        for col in ("total", "aleatoric", "epistemic", "vacuity", "ood_score"):
            np.testing.assert_allclose(a[col], b[col], rtol=0, atol=1e-9, err_msg=col)
    probe, window = (records.read_table(tmp_path / d / records.PREDICTIONS) for d in ("ref", "base"))
    # the probe is paid for: more spikes (no inhibition) and one more window of neuron updates
    assert (probe["spikes"] > window["spikes"]).any() and (probe["spikes"] >= window["spikes"]).all()
    assert ref["energy_per_inference_nJ"] > 1.5 * base["energy_per_inference_nJ"]
    np.testing.assert_array_equal(probe["vacuity"], window["vacuity"])   # the same inference window
    # the probe read-out's temperature: fitted on validation at training, carried by the export
    t = load_run(run).calibration["probe_temperature"]
    assert t != 1.0 and lava["probe_temperature"] == ref["probe_temperature"] == t
    assert "probe_temperature" not in base and f"T = {t:.3f}" in ref["calibration"]
    with pytest.raises(BeamnetError, match="uncertainty"):
        evaluate(run, out=tmp_path / "bad", **{**kw, "uncertainty": "maybe"})


def test_probe_temperature_is_fitted_on_validation_and_refitted_for_older_runs(beamnet30, tmp_path):
    """calibrate fits T on the validation split; a run trained before T existed (no
    probe_temperature in its checkpoint) gets the same T fitted when evaluated with the probe;
    an export without it reads as T = 1 (the mixture as it is), said in the report."""
    import h5py
    import torch

    from beamnet_lava.evaluation.evaluate import evaluate
    from beamnet_lava.training.beamnet_train import fit_probe_temperature

    old = tmp_path / "old"
    shutil.copytree(beamnet30 / "run", old)
    ckpt = old / "checkpoint.pt"
    state = torch.load(ckpt, weights_only=True)
    t = state["calibration"].pop("probe_temperature")
    torch.save(state, ckpt)
    kw = dict(ood=None, uncertainty="probe", figures=False)
    rep = evaluate(old, out=tmp_path / "e", **kw)
    assert rep["probe_temperature"] == t
    # T minimises the validation NLL of the read-out: both neighbours are worse
    run = load_run(beamnet30 / "run")
    data = load_data(run.config)
    assert fit_probe_temperature(run.model, data) == t
    val = evaluate(beamnet30 / "run", part="val", out=tmp_path / "v", **kw)
    assert val["nll"] == pytest.approx(_probe_val_nll(run, data, t), rel=1e-9)
    assert val["nll"] < min(_probe_val_nll(run, data, t * 0.8), _probe_val_nll(run, data, t * 1.25))
    net = tmp_path / "bn.net"
    shutil.copy(beamnet30 / "bn.net", net)
    with h5py.File(net, "r+") as f:
        del f["beamnet/readout/probe_temperature"]
    rep = evaluate(net, samples=8, out=tmp_path / "f", **kw)
    assert rep["probe_temperature"] == 1.0 and "predates" in rep["calibration"]


def _probe_val_nll(run, data, t):
    from beamnet_lava.models.beamnet import encoder_intensity
    from beamnet_lava.neurons.noise import sample_keys

    x = encoder_intensity(data.x_val, run.config)
    res = run.model.infer(x, sample_keys("val", len(x)), probe=True)
    return nll(run.model.probe_uncertainty(res["alpha"], res["counts"], res["probe_spikes"], t).prob, data.y_val)


def test_cli_evaluate_prints_error_detection_and_reads_beamnet_with_the_probe(beamnet30, ann_run, tmp_path):
    res = runner.invoke(app, ["evaluate", str(beamnet30 / "run"), "--ood", "noise", "--samples", "40",
                              "--uncertainty", "probe", "-o", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    for needle in ("error AUROC, total", "error AUROC, epistemic", "AURC / E-AURC", "vacuity"):
        assert needle in res.output
    rep = json.loads((tmp_path / "ev" / "evaluation.json").read_text())
    assert rep["windows_mean"] == 1 and rep["spikes_per_sample"] > 0
    assert (tmp_path / "ev" / "risk_coverage.png").stat().st_size > 1000
    res = runner.invoke(app, ["evaluate", str(ann_run[0]), "--uncertainty", "probe", "--ood", "none",
                              "-o", str(tmp_path / "ann")])
    assert res.exit_code == 1 and "applies to BEAM-Net" in res.output
    res = runner.invoke(app, ["evaluate", str(beamnet30 / "run"), "--uncertainty", "maybe"])
    assert res.exit_code == 1 and "window" in res.output and "Traceback" not in res.output


@pytest.mark.slow   # trains and exports its own BEAM-Net with uncertainty: probe
def test_run_of_a_probe_export_keeps_parity_and_counts_the_probe(tmp_path):
    from beamnet_lava.netx_export import export_run

    run, net = tmp_path / "run", tmp_path / "bn.net"
    train(BeamnetConfig(epochs=1, n_memory=20, seed=5, uncertainty="probe"), run, progress=False)
    export_run(run, net)
    res = runner.invoke(app, ["run", str(net), "--samples", "16", "--json", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["spike_parity"] == 1.0 and rep["prediction_agreement"] == 1.0   # probe spikes too
    probe = rep["probe"]
    assert probe["spikes"] == probe["lava_memory_spikes"] > 0 and probe["tau"] == 0.35
    assert probe["delta"] == 0.0                                 # the noiseless probe (default)
    assert rep["max_uncertainty_difference"] < 1e-12
    activity = rep["energy_per_inference"]["activity"]
    assert activity["windows"] == 2 and activity["neuron_updates"] == 20 * 32 * 2
