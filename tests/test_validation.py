"""Bad input of every kind listed in issue 15: exit 1, one line naming the problem, no traceback.

Driven in-process through typer's runner (the same `app` the console script runs);
the usage-error and --help cases go through the console script itself.
"""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import beamnet_lava.training  # noqa: F401  (registers each family's train_memory hook, used by budget.train_bytes)
from beamnet_lava import budget, config as config_mod
from beamnet_lava.cli import app
from beamnet_lava.errors import BeamnetError
from helpers import edited_copy

runner = CliRunner()


def one_line_error(args, needle, exit_code=1):
    """Run the CLI; assert exit 1 and exactly one line of output that names the problem."""
    r = runner.invoke(app, [str(a) for a in args])
    lines = [l for l in r.output.splitlines() if l.strip()]
    assert r.exit_code == exit_code, (args, r.output)
    assert "Traceback" not in r.output, (args, r.output)
    assert r.exception is None or isinstance(r.exception, SystemExit), (args, r.exception)
    assert len(lines) == 1 and lines[0].startswith("error:"), (args, r.output)
    assert needle in lines[0], (args, needle, lines[0])
    return lines[0]


# -- config: typed checks, --set parsing, YAML ---------------------------------------------------

YAML_CASES = [
    ("seed: 1e30\n", "seed="),
    ("epochs: ten\n", "epochs='ten' must be an integer"),
    ("epochs: .inf\n", "epochs=inf must be a finite number"),
    ("split: [.nan, 0.5, 0.5]\n", "split=nan must be a finite number"),
    ('lr: "0.01"\n', "lr='0.01' must be a number, found a string"),
    ("model: beamnet\nalpha_0: .inf\n", "alpha_0=inf must be a finite number"),
    ("time_steps: 3.7\n", "time_steps=3.7 must be a whole number"),
    ("lr: .inf\n", "lr=inf must be a finite number"),
    ("model: beamnet\ninput_floor: .nan\n", "input_floor=nan"),
    ("model: beamnet\nlambda_td: .nan\n", "lambda_td=nan"),
    ("hidden: '128'\n", "hidden='128' must be a list of int"),
    ("hidden: [2.5]\n", "hidden=2.5 must be a whole number"),
    ("model: [snn]\n", "not a known model"),
    ("dataset: 7\n", "dataset=7 must be a string"),
    ("model: beamnet\nfit_eta: 1\n", "fit_eta=1 must be true or false"),
    ("a: [1\n", "could not be parsed: expected ',' or ']'"),
    ("- 1\n- 2\n", "must hold a mapping"),
    # finite but absurd: each fixed-point conversion overflowed (a traceback) before
    ("threshold: 1.0e+308\n", "threshold=1e+308 gives vThMant="),
    ("threshold: -1.0e+308\n", "threshold=-1e+308 gives vThMant="),
    ("model: beamnet\ntau_m: 1.0e+308\n", "tau_m=1e+308 is too large"),
    ("model: beamnet\ntheta_0: 1.0e+308\n", "theta_0=1e+308 times theta_mant"),
    ("model: beamnet\ndelta: 1.0e+308\n", "delta=1e+308 times theta overflows"),
    ("model: beamnet\ngamma: 1.0e+308\n", "gamma=1e+308 times theta overflows"),
    ("model: alif-rsnn\ndataset: digits-seq\nalif_threshold: 1.0e+308\n", "alif_threshold=1e+308 gives"),
    ("model: alif-rsnn\ndataset: digits-seq\nalif_threshold_step: -1.0\n", "alif_threshold_step=-1.0 gives"),
]


@pytest.mark.parametrize("text, needle", YAML_CASES)
def test_bad_yaml_configs(tmp_path, text, needle):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    one_line_error(["train", "--out", tmp_path / "run", "--config", cfg], needle)
    assert not (tmp_path / "run").exists()        # refused before any folder is made


def test_binary_yaml_and_config_folder(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_bytes(bytes(range(256)))
    one_line_error(["train", "--out", tmp_path / "r", "--config", cfg], "not UTF-8 text")
    one_line_error(["train", "--out", tmp_path / "r", "--config", tmp_path], "is a folder")


def test_yaml_exponent_floats_are_numbers(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("lr: 1e-3\nepochs: 1e1\n")
    loaded = config_mod.load(cfg)
    assert loaded.lr == 1e-3 and loaded.epochs == 10 and isinstance(loaded.epochs, int)


SET_CASES = [
    (["--seed", "-1"], "seed=-1 must be in 0..4294967295"),
    (["--set", "threshold=abc"], "threshold='abc' must be a number"),
    (["--set", "threshold=.nan"], "threshold=nan must be a finite number"),
    (["--set", "=3"], "has no key before '='"),
    (["--set", "threshold="], "has no value after '='"),
    (["--set", "epochs=2.5"], "epochs=2.5 must be a whole number"),
    (["--hidden", ""], "--hidden '' must be comma-separated integers"),
    (["--set", "time_steps=1e9"], "needs ~"),
    (["--hidden", "100000000"], "needs ~"),
    (["--model", "beamnet", "--set", "n_memory=10000000"], "n_memory"),
]


@pytest.mark.parametrize("extra, needle", SET_CASES)
def test_bad_train_options(tmp_path, extra, needle):
    line = one_line_error(["train", "--out", tmp_path / "run", *extra], needle)
    if needle == "needs ~":
        assert "GiB of memory, limit" in line and "lower --" in line
    assert not (tmp_path / "run").exists()


def test_memory_limit_refuses_with_estimate_and_limit(monkeypatch):
    cfg = config_mod.SNNConfig(hidden=(100_000_000,))
    need = budget.train_bytes(cfg, 1797, 64, 10)
    assert need > 64 * 100_000_000 * 4          # at least the weights themselves
    monkeypatch.setenv(budget.LIMIT_ENV, "0.5")
    with pytest.raises(BeamnetError, match=r"needs ~[\d.,e+]+ GiB of memory, limit 0.5 GiB"):
        budget.check(need, "training", "lower --hidden")
    budget.check(budget.train_bytes(config_mod.SNNConfig(), 1797, 64, 10), "training", "x")
    monkeypatch.setenv(budget.LIMIT_ENV, "lots")
    with pytest.raises(BeamnetError, match="positive number of GiB"):
        budget.limit_bytes()


@pytest.mark.parametrize("name, n, inputs", [("beamnet_mnist.yaml", 70_000, 784),
                                              ("beamnet_saccade_digits.yaml", 1797, 2 * 17 * 17)])
def test_shipped_presets_fit_a_small_machine(name, n, inputs):
    """The presets (at full MNIST size) must fit a machine with 4 GiB free: estimates stay honest."""
    cfg = config_mod.load(Path(__file__).parents[1] / "configs" / name)
    assert budget.train_bytes(cfg, n, inputs, 10) < 4 * budget.GIB


# -- run / evaluate / energy options ---------------------------------------------------------------

def test_bad_run_options(tiny_net, shared_beamnet_net, tmp_path):
    bad_constants = tmp_path / "e.json"
    bad_constants.write_text("[1, 2]")
    # a BEAM-Net file takes --energy-constants: a bad table is refused before the run
    one_line_error(["run", shared_beamnet_net, "--energy-constants", bad_constants], str(bad_constants))
    for extra, needle in [(["--time-steps", "0"], "--time-steps 0 must be a whole number >= 1"),
                          (["--chunk", "0"], "--chunk 0"), (["--samples", "0"], "--samples 0"),
                          (["--timeout", "0"], "--timeout 0.0 must be a finite number of seconds"),
                          (["--timeout", "nan"], "--timeout nan"), (["--lanes", "0"], "--lanes 0"),
                          (["--seed", "-1"], "--seed -1"),
                          (["--energy-constants", bad_constants], "--energy-constants does not apply")]:
        one_line_error(["run", tiny_net, *extra], needle)


def test_bad_evaluate_and_energy_options(tiny_run, tiny_net, shared_beamnet_run):
    one_line_error(["evaluate", tiny_net, "--timeout", "0"], "--timeout 0.0")
    one_line_error(["evaluate", tiny_run, "--samples", "0"], "--samples 0")
    one_line_error(["energy", tiny_run, "--samples", "0"], "--samples 0")
    one_line_error(["energy", tiny_run, "--samples", "-1"], "--samples -1")
    one_line_error(["energy", shared_beamnet_run, "--sweep", ""], "--sweep '' must be comma-separated")
    one_line_error(["energy", shared_beamnet_run, "--sweep", "25", "--epochs", "0"], "--epochs 0")
    line = one_line_error(["energy", shared_beamnet_run, "--sweep", "25,10000000"], "sweep point N=10000000")
    assert "GiB of memory" in line


def test_run_dir_that_is_a_file(tiny_net):
    one_line_error(["export", tiny_net, "-o", tiny_net.with_suffix(".x")], "is a file, not a run directory")


def test_saccade_steps_bounded(tmp_path):
    one_line_error(["data", "saccade", "--out", tmp_path / "s", "--steps", "100000000"],
                   "more often than once per microsecond")


# -- NetX files: every field and attribute ----------------------------------------------------------

def _set(key, value):
    def edit(f):
        if key.startswith("@"):
            f.attrs[key[1:]] = value
        else:
            del f[key]
            f[key] = value
    return edit


NETX_CASES = [
    (lambda f: f["layer/0/weight"].__setitem__(..., 1e6), "weight out of the fixed-point range"),
    (lambda f: f["layer/0/weight"].__setitem__(..., 0.5), "non-integer"),
    (_set("layer/0/weight", np.array([b"a", b"b"])), "not numbers"),
    (_set("layer/0/weight", np.zeros(7)), "weight has shape"),
    (_set("layer/0/shape", np.array([b"x"])), "shape"),
    (_set("layer/0/neuron/vThMant", np.array([b"x"])), "not numbers"),
    (_set("layer/1/neuron/vThMant", 0), "vThMant is 0: a zero threshold fires on any positive input"),
    (_set("layer/0/neuron/gradedSpike", True), "graded spikes"),
    (_set("layer/0/outFeatures", 7), "disagrees with its weight"),
    (_set("@time_steps", "sixteen"), "time_steps='sixteen' must be a finite whole number"),
    (_set("@time_steps", 0), "time_steps=0 must be >= 1"),
    (_set("@temperature", -1.0), "temperature=-1.0 must be > 0"),
    (_set("@temperature", float("nan")), "temperature=nan"),
    (_set("@seed", -3), "seed=-3"),
    (_set("@n_classes", 7), "n_classes=7 disagrees"),
    (_set("@event_polarity", "both"), "event_polarity='both'"),
    (_set("@beamnet_format", 9), "beamnet_format 9"),
]


@pytest.mark.parametrize("edit, needle", NETX_CASES)
def test_bad_netx_fields(tiny_net, tmp_path, edit, needle):
    path = edited_copy(tiny_net, tmp_path, edit)
    one_line_error(["run", path, "--samples", "2"], needle)


def test_netx_file_recording_absurd_time_steps(tiny_net, tmp_path):
    path = edited_copy(tiny_net, tmp_path, _set("@time_steps", 10_000_000))
    line = one_line_error(["run", path], "needs ~")
    assert "limit" in line and "--time-steps" in line


def _replace(key, fn):
    """Replace dataset ``key`` by ``fn(its array)`` (so the edits fit any network's size)."""
    def edit(f):
        a = f[key][()]
        del f[key]
        f[key] = fn(a)
    return edit


def _logits(fn):
    return _replace("beamnet/readout/logits", fn)


def _config(**changes):
    def edit(f):
        cfg = json.loads(f["beamnet"].attrs["config_json"])
        f["beamnet"].attrs["config_json"] = json.dumps({**cfg, **changes})
    return edit


BEAMNET_CASES = [
    (_logits(lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a)), "NaN or infinite"),
    (_logits(lambda a: np.full_like(a, np.inf)), "NaN or infinite"),
    (_logits(lambda a: a[:, :-1]), "readout/logits has shape"),
    (_logits(lambda a: a[:3]), "n_classes=10"),
    (_set("beamnet/noise/key_span", 0), "key_span=0"),
    (_set("beamnet/noise/key_span", -5), "key_span=-5"),
    (_set("beamnet/readout/eta", float("nan")), "NaN or infinite"),
    (_set("beamnet/readout/eta", -1.0), "eta=-1.0 must be > 0"),
    (_set("beamnet/readout/probe_temperature", float("nan")), "NaN or infinite"),
    (_set("beamnet/readout/probe_temperature", 0.0), "probe_temperature=0.0 must be > 0"),
    (_set("beamnet/readout/probe_temperature", np.array([0.8, 0.9])), "probe_temperature"),
    (_set("beamnet/readout/alpha_0", 0.0), "alpha_0=0.0 must be > 0"),
    (_set("beamnet/readout/alpha_0", 2.0), "disagrees with its config_json alpha_0"),
    (_set("beamnet/bayes_lif/theta", -1), "beamnet/bayes_lif"),
    (_set("beamnet/bayes_lif/du", 2.5), "fractional"),
    (_replace("beamnet/pattern_class", lambda a: np.full_like(a, 99)), "pattern_class values"),
    (_replace("beamnet/topdown/patterns", lambda a: np.full(a.shape, 7.0)), "patterns must lie in [0, 1]"),
    (_replace("layer/1/weight", lambda a: np.full(a.shape, 0.5)), "fractional"),
    (_replace("layer/1/weight", lambda a: np.zeros(len(a))), "dimension"),
    (_replace("layer/1/weight", lambda a: np.array([b"w"] * len(a))), "array of numbers"),
    (_replace("layer/1/delay", lambda a: np.full_like(a, 99)), "delays"),
    (_config(alpha_0=0.0), "alpha_0=0.0 must be > 0"),
    (_config(eta=-1.0), "eta=-1.0 must be > 0"),
    (lambda f: f["beamnet"].attrs.__setitem__("config_json", "[1, 2]"), "must be a mapping"),
    (_config(model="snn"), "config_json"),
    (_config(time_steps="sixteen"), "time_steps='sixteen'"),
    (lambda f: f["beamnet"].attrs.__delitem__("extension_version"), "no extension_version attribute"),
]


@pytest.mark.parametrize("edit, needle", BEAMNET_CASES)
def test_bad_beamnet_fields(shared_beamnet_net, tmp_path, edit, needle):
    path = edited_copy(shared_beamnet_net, tmp_path, edit)
    one_line_error(["run", path, "--samples", "2"], needle)


def test_empty_beamnet_group(shared_beamnet_net, tmp_path):
    def empty(f):
        del f["beamnet"]
        f.create_group("beamnet")
    path = edited_copy(shared_beamnet_net, tmp_path, empty)
    one_line_error(["run", path], "no extension_version attribute")


def test_bad_brf_fields(shared_brf_net, tmp_path):
    brf = shared_brf_net
    for edit, needle in [(_set("@time_steps", 3), "time_steps=3 disagrees"),
                         (_set("@input_levels", 0), "input_levels=0"),
                         (_set("layer/1/neuron/omega_dt", np.array([b"x"] * 4)), "must hold integers"),
                         (_set("layer/2/neuron/alpha", 0.5), "must hold integers"),
                         (_set("@n_classes", 3), "n_classes=3")]:
        one_line_error(["run", edited_copy(brf, tmp_path, edit), "--samples", "2"], needle)


# -- checkpoints ------------------------------------------------------------------------------------

def _edit_checkpoint(run_dir, tmp_path, fn, name):
    import shutil

    dst = tmp_path / name
    shutil.copytree(run_dir, dst)
    state = torch.load(dst / "checkpoint.pt", weights_only=True)
    fn(state)
    torch.save(state, dst / "checkpoint.pt")
    return dst


def _nan_weight(state):
    key = next(k for k, v in state["state_dict"].items() if v.is_floating_point())
    state["state_dict"][key] = torch.full_like(state["state_dict"][key], float("nan"))


CHECKPOINT_CASES = [
    (lambda s: s.update(epoch="two"), "epoch='two'"),
    (_nan_weight, "NaN or infinite"),
    (lambda s: s.update(calibration={"temperature": -1.0}), "temperature=-1.0"),
    (lambda s: s.update(calibration={"temperature": float("nan")}), "temperature=nan"),
    (lambda s: s.update(val_accuracy=3.0), "val_accuracy=3.0"),
    (lambda s: s.update(sizes=[64, 99, 10]), "disagree with the config's hidden"),
    (lambda s: s.update(sizes="abc"), "sizes='abc'"),
    (lambda s: s["config"].update(time_steps=2.5), "time_steps=2.5"),
]


@pytest.mark.parametrize("i", range(len(CHECKPOINT_CASES)))
def test_bad_checkpoints(tiny_run, tmp_path, i):
    fn, needle = CHECKPOINT_CASES[i]
    run = _edit_checkpoint(tiny_run, tmp_path, fn, f"r{i}")
    one_line_error(["evaluate", run, "--ood", "none"], needle)


class _Hostile:
    def __reduce__(self):
        return (print, ("pwned",))


def test_hostile_checkpoint_message_never_suggests_unsafe_loading(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "hostile"
    shutil.copytree(tiny_run, run)
    torch.save({"format": 2, "x": _Hostile()}, run / "checkpoint.pt")
    line = one_line_error(["evaluate", run], "refused, since loading them could run code")
    assert "weights_only" not in line and "pwned" not in line


# -- event files -----------------------------------------------------------------------------------

def test_truncated_nmnist_file(tmp_path):
    folder = tmp_path / "NMNIST" / "Train" / "3"
    folder.mkdir(parents=True)
    (folder / "a.bin").write_bytes(bytes(7))
    one_line_error(["train", "--out", tmp_path / "run", "--dataset", "nmnist", "--data-dir", tmp_path],
                   "7 bytes, not a whole number of 5-byte N-MNIST event records")
    assert not (tmp_path / "run").exists()


# -- the console script: usage errors and help ---------------------------------------------------

def _script(*args):
    """The command line's own entry (``_OneLineErrors.main``, what the console script calls)
    in this process, stdout and stderr apart; the console script as a process is exercised
    by tests/test_interrupts.py."""
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, list(args))


def test_usage_errors_are_one_line():
    """Exit 1, like every other error the user can fix (README)."""
    for args, needle in [(("run", "x.net", "--seed", "abc"), "Invalid value for '--seed'"),
                         (("nope",), "No such command"), (("train", "--frob"), "No such option")]:
        r = _script(*args)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert r.exit_code == 1 and len(lines) == 1 and needle in lines[0], (args, r.stderr)
        assert not r.stdout.strip(), (args, r.stdout)


def test_help_shows_every_default():
    r = _script("train", "--help")
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    for needle in ("[default: snn, or the config's]", "[default 0]", "[default 128]", "[default digits]"):
        assert needle in text, needle
    r = _script("run", "--help")
    assert "[default: recorded in the file]" in " ".join(r.stdout.split())


def test_beamnet_file_recording_absurd_time_steps(shared_beamnet_net, tmp_path):
    def edit(f):
        _config(time_steps=10_000_000)(f)
        f.attrs["time_steps"] = 10_000_000
        del f["beamnet/noise/key_span"]
        f["beamnet/noise/key_span"] = 3 * 10_000_000
    path = edited_copy(shared_beamnet_net, tmp_path, edit)
    line = one_line_error(["run", path, "--samples", "4"], "needs ~")
    assert "running 4 samples of 10000000 steps" in line


def test_theta_that_rounds_to_a_zero_threshold(tmp_path):
    """Found by the fuzz suite: theta_0 > 0 but theta_0 x theta_mant rounds to 0."""
    one_line_error(["train", "--out", tmp_path / "r", "--model", "beamnet", "--set", "theta_0=1e-9"],
                   "theta_0=1e-09 times theta_mant=4096 must round to a threshold mantissa")


def test_garbage_checkpoint_message_never_suggests_unsafe_loading(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "garbage"
    shutil.copytree(tiny_run, run)
    (run / "checkpoint.pt").write_bytes(b"not a checkpoint")
    line = one_line_error(["evaluate", run], "could not be loaded")
    assert "weights_only" not in line


def test_yaml_with_a_non_string_key(tmp_path):
    """Found by the fuzz suite: '?' is YAML for {None: None}."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("?\n")
    one_line_error(["train", "--out", tmp_path / "r", "--config", cfg], "keys must be names")
