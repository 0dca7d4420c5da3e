"""The model-family registry: every family declared with every hook, files routed by family,
options that do not apply refused, and a --config without model: read as --model."""
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import torch
from typer.testing import CliRunner

import beamnet_lava.workflows.energy  # noqa: F401  (every stage registers its hooks)
import beamnet_lava.workflows.train  # noqa: F401
import beamnet_lava.sim_cpu  # noqa: F401
from beamnet_lava import config, families
from beamnet_lava._quiet import import_slayer
from beamnet_lava.cli import app
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation.evaluate import evaluate_run
from beamnet_lava.netx_export import file_family, read_export
from beamnet_lava.netx_export.netx_file import NetxNetwork
from beamnet_lava.sim_cpu.dataset_run import run_dataset

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("snn", "beamnet", "ann", "brf-rsnn", "rf-rsnn", "alif-rsnn", "csnn")
VARIANTS = ("beamnet-stock", "lavadl")   # file-only: export --target loihi2; lava-dl conv/SDNN files


def test_the_seven_families_are_registered_with_every_hook_they_provide():
    assert families.names(trained_only=True) == FAMILIES
    assert families.names() == FAMILIES + VARIANTS
    for fam in families.families():
        missing = [h for h in fam.expected_hooks() if not fam.has(h)]   # has(): imports providers
        assert not missing, (fam.name, missing)
        assert set(fam.hooks) <= set(families.HOOKS)
        if fam.trained:
            assert fam.name in fam.config_class.MODELS
            assert config.default_for(fam.name).model == fam.name
        else:
            assert fam.name not in fam.config_class.MODELS and fam.refusal("train")
    # what each family refuses is said, not missing silently
    assert families.get_family("ann").no_export and families.get_family("alif-rsnn").no_export
    assert families.get_family("brf-rsnn").no_file_evaluation
    assert [f.name for f in families.families() if f.lanes] == ["snn", "beamnet", "brf-rsnn", "rf-rsnn", "csnn", "lavadl"]


def test_feature_hooks_are_provided_or_refused_by_every_family():
    """NIR (nir), run --inputs (sim_cpu) and Loihi 2 (deploy) join the registry with a DECLARES
    table: every family implements each of their hooks or says in one line why not (the
    registry loads the feature's stage on the first lookup: nothing imported by hand)."""
    provided = {"to_nir": {"snn", "beamnet", "csnn"},
                "fit_profile": {"snn", "beamnet", "beamnet-stock", "brf-rsnn", "rf-rsnn", "lavadl", "csnn"},
                "bundle_case": {"snn", "beamnet-stock", "lavadl", "csnn"}, "loihi2_variant": {"beamnet"},
                "spike_inputs": {"snn", "lavadl", "csnn"}}
    for hook, names in provided.items():
        assert hook in families.HOOKS
        for fam in families.families():
            assert fam.has(hook) == (fam.name in names), (hook, fam.name)
            assert bool(fam.refusal(hook)) == (fam.name not in names), (hook, fam.name)


def test_unknown_family_is_one_clear_error_never_an_snn():
    with pytest.raises(BeamnetError, match="unknown model family 'gpt'; known families: snn, beamnet"):
        families.get_family("gpt")
    with pytest.raises(BeamnetError, match="model='gpt' is not a known model"):
        config.from_dict({"model": "gpt"})
    with pytest.raises(BeamnetError, match="no model key"):
        config.from_dict({"epochs": 3})          # a checkpoint's config must name its family
    bare = families.Family("snn", config.SNNConfig, "a family record nothing attached to", "")
    with pytest.raises(BeamnetError, match=r"model family snn has no build \(build\(cfg, n_in, n_out\)"):
        bare.hook("build")
    with pytest.raises(BeamnetError, match="^ann: an ANN-MLP baseline has no spiking network"):
        families.get_family("ann").hook("lava_run")
    with pytest.raises(BeamnetError, match="^alif-rsnn: alif-rsnn runs are a training baseline"):
        families.get_family("alif-rsnn").hook("export")
    with pytest.raises(BeamnetError, match="^brf-rsnn: an exported recurrent"):
        families.get_family("brf-rsnn").hook("file_predictor")


def test_exported_files_are_routed_by_their_family_attribute(tiny_net, tmp_path):
    fam, net = read_export(tiny_net)
    assert fam.name == "snn" and isinstance(net, NetxNetwork)
    other = tmp_path / "renamed.net"
    other.write_bytes(Path(tiny_net).read_bytes())
    with h5py.File(other, "a") as f:
        f.attrs["model"] = "gpt"
    with pytest.raises(BeamnetError, match="names model family 'gpt'"):
        file_family(other)
    with h5py.File(other, "a") as f:
        f.attrs["model"] = "beamnet"               # routed by the attribute: read as BEAM-Net
    with pytest.raises(BeamnetError, match="no /beamnet extension group"):
        read_export(other)
    with pytest.raises(BeamnetError, match="not a NetX file"):
        h5py.File(tmp_path / "empty.h5", "w").close()
        file_family(tmp_path / "empty.h5")


def test_a_stock_lava_dl_file_is_the_snn_family(tmp_path):
    slayer = import_slayer()
    torch.manual_seed(0)
    block = slayer.block.cuba.Dense({"threshold": 0.5, "current_decay": 0.5, "voltage_decay": 0.1},
                                    64, 10, weight_scale=4, delay_shift=False)
    block.neuron.shape = torch.Size([10])
    path = tmp_path / "stock.net"
    with h5py.File(path, "w") as f:
        block.export_hdf5(f.create_group("layer").create_group("0"))
    with h5py.File(path, "r") as f:
        assert "model" not in f.attrs
    fam, net = read_export(path)
    assert fam.name == "snn" and net.input_size == 64 and net.output_size == 10


def test_options_that_do_not_apply_are_refused(tiny_run, tiny_net, tmp_path):
    for option, flag in (({"bidirectional": True}, "--loop"),
                         ({"energy_constants": tmp_path / "e.json"}, "--energy-constants")):
        with pytest.raises(BeamnetError, match=f"{flag}.* does not apply to .*a snn file.*beamnet"):
            run_dataset(tiny_net, "digits", 2, progress=False, **option)
    for option, flag in (({"precision": "float"}, "--precision"), ({"lanes": 2}, "--lanes"),
                         ({"timeout_s": 5.0}, "--timeout")):
        with pytest.raises(BeamnetError, match=f"{flag} only apply to an exported .net file"):
            evaluate_run(tiny_run, ood=None, **option)
    r = CliRunner().invoke(app, ["evaluate", str(tiny_run), "--precision", "float", "--ood", "none"])
    assert r.exit_code == 1 and "--precision only apply to an exported .net file" in r.output
    r = CliRunner().invoke(app, ["run", str(tiny_net), "--loop"])
    assert r.exit_code == 1 and "--loop/--no-loop does not apply" in r.output


def test_config_without_model_key_is_checked_as_the_given_model(tmp_path):
    bad = tmp_path / "inh.yaml"
    bad.write_text("w_inh: 1.5\n")
    r = CliRunner().invoke(app, ["train", "--model", "beamnet", "--config", str(bad),
                                 "--out", str(tmp_path / "run")])
    assert r.exit_code == 1 and "Proposition 3.3" in r.output and "unknown key" not in r.output
    assert not (tmp_path / "run").exists()
    good = tmp_path / "ok.yaml"
    good.write_text("w_inh: 3.5\n")
    cfg = config.load(good, "beamnet")
    assert isinstance(cfg, config.BeamnetConfig) and cfg.w_inh == 3.5
    named = tmp_path / "named.yaml"
    named.write_text("model: snn\nepochs: 3\n")
    with pytest.raises(BeamnetError, match="--model beamnet contradicts model: snn"):
        config.load(named, "beamnet")
    assert config.load(named).model == "snn"


def test_cli_choices_are_listed_in_help():
    r = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    assert all(name in r.output for name in FAMILIES) and "digits-seq" in r.output
    r = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    assert "fixed|float" in r.output and "cpu|loihi2" in r.output
    r = CliRunner().invoke(app, ["evaluate", "--help"], env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    assert "inverted|shuffled|noise|all|none" in r.output
    r = CliRunner().invoke(app, ["evaluate", ".", "--ood", "rotated"])
    assert r.exit_code == 1 and r.output.count("\n") == 1 and "rotated" in r.output


def test_import_layering_and_lint_are_clean():
    linter = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT,
                            capture_output=True, text=True)
    assert linter.returncode == 0 and "0 broken" in linter.stdout, linter.stdout[-2000:]
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "beamnet_lava", "tests", "benchmarks"],
                          cwd=ROOT, capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout[-2000:]


def test_a_feature_hook_is_provided_or_refused_by_every_family(monkeypatch):
    from beamnet_lava.families import registry

    families.load()                       # every stage's hooks attached before the copies below
    monkeypatch.setattr(registry, "HOOKS", dict(registry.HOOKS))
    beamnet, snn, ann = (families.get_family(n) for n in ("beamnet", "snn", "ann"))
    for fam in (beamnet, ann):
        monkeypatch.setattr(fam, "hooks", dict(fam.hooks))
        monkeypatch.setattr(fam, "refuses", dict(fam.refuses))
    families.register_hook("fit_report", "sim_cpu", "fit_report(path) -> what fits on one chip")
    with pytest.raises(ValueError, match="registered twice"):
        families.register_hook("fit_report", "sim_cpu", "again")
    families.implements("beamnet", hook="fit_report")(lambda path: {"cores": 1})
    ann.refuses["fit_report"] = "an ANN-MLP does not run on a neuromorphic chip"
    assert beamnet.hook("fit_report")("x.net") == {"cores": 1} and "fit_report" in beamnet.expected_hooks()
    assert "fit_report" not in ann.expected_hooks()
    with pytest.raises(BeamnetError, match="^ann: an ANN-MLP does not run"):
        ann.hook("fit_report")
    with pytest.raises(BeamnetError, match="model family snn has no fit_report"):
        snn.hook("fit_report")           # neither provided nor refused: the registry test fails
    assert "fit_report" in snn.expected_hooks() and "fit_report" not in snn.hooks


def test_hooks_are_registered_from_declared_tables_in_one_place_not_by_importing():
    """Each stage package names its modules (``providers()``: PROVIDES tables, ``declares()``:
    DECLARES tables; real imports); each module declares what it gives in its own tables;
    ``families.load`` is the one place that attaches them. A table no stage names would be
    ignored: none is, and every row is attached."""
    import importlib
    import pkgutil

    import beamnet_lava
    from beamnet_lava.families import registry

    def named(kind: str) -> set[str]:
        return {m.__name__ for stage in registry.STAGES
                for m in getattr(importlib.import_module(f"beamnet_lava.{stage}"), kind, tuple)()}

    def tabled(table: str) -> set[str]:
        found = set()
        for info in pkgutil.walk_packages(beamnet_lava.__path__, "beamnet_lava."):
            if info.name.split(".")[1] in registry.STAGES and not info.ispkg and "templates" not in info.name:
                if f"\n{table} = " in Path(importlib.util.find_spec(info.name).origin).read_text():
                    found.add(info.name)
        return found

    assert tabled("PROVIDES") and named("providers") == tabled("PROVIDES"), named("providers") ^ tabled("PROVIDES")
    assert named("declares") == tabled("DECLARES") == {
        "beamnet_lava.nir.bridge", "beamnet_lava.sim_cpu.spike_hook", "beamnet_lava.deploy.fit",
        "beamnet_lava.deploy.bundle", "beamnet_lava.deploy.stock_beamnet"}
    families.load()
    for name in sorted(named("providers")):
        for row in importlib.import_module(name).PROVIDES:
            for fam in row.families:
                assert families.get_family(fam).hooks[row.hook] is row.fn, (name, fam, row.hook)
    for name in sorted(named("declares")):
        for feature in importlib.import_module(name).DECLARES:
            assert families.HOOKS[feature.name].protocol is feature.contract
            assert all(families.get_family(f).refusal(feature.name) == why for f, why in feature.refuses.items())


@pytest.mark.slow
def test_a_lookup_loads_only_the_stage_of_its_hook():
    """``hook("read")`` in a fresh interpreter attaches netx_export's rows and no other stage's
    (no training, evaluation or deploy modules imported for it)."""
    code = ("import sys\n"
            "from beamnet_lava.families import get_family, registry\n"
            "get_family('snn').hook('read')\n"
            "print(sorted(registry._LOADED), 'beamnet_lava.training.snn_train' in sys.modules,"
            " any(m.startswith(('beamnet_lava.evaluation', 'beamnet_lava.deploy')) for m in sys.modules))\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split("\n")[-2] == "['netx_export'] False False", res.stdout


def test_every_hook_implementation_fits_its_typed_contract():
    """Each hook is a Protocol (families/contracts.py); every registered implementation must
    take the call the pipeline makes, and declare nothing that call never passes."""
    from beamnet_lava.families.contracts import fits

    families.load()                       # every stage, every feature hook

    misfits = [f"{fam.name} {hook}: {fits(fn, families.HOOKS[hook].protocol)}"
               for fam in families.families() for hook, fn in fam.hooks.items()
               if fits(fn, families.HOOKS[hook].protocol)]
    assert not misfits, misfits
    assert all(spec.protocol is not None for spec in families.HOOKS.values())


def test_a_drifted_hook_signature_is_caught():
    from beamnet_lava.families.contracts import CalibrateHook, LavaRunHook, RunOptions, fits

    def old_lava_run(path, dataset=None, samples=None, *, part="test", precision="fixed"):
        """the pre-RunOptions form: positional arguments and keywords"""

    def new_lava_run(path, options: RunOptions):
        """the contract"""

    assert "never passes" in fits(old_lava_run, LavaRunHook)
    assert fits(new_lava_run, LavaRunHook) == ""
    assert "missing a required argument: 'data'" in fits(lambda run, cfg, data: None, CalibrateHook)
    assert fits(lambda run, data: None, CalibrateHook) == ""
    assert "never passes" in fits(lambda run, data, *, strict=True: None, CalibrateHook)
