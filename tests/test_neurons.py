"""beamnet_lava.neurons: one definition per equation, used by training and Lava alike."""
import io
import tokenize
from pathlib import Path

import numpy as np
import torch

import beamnet_lava
from beamnet_lava.config import BeamnetConfig
from beamnet_lava.models.beamnet import BeamNet
from beamnet_lava.neurons import bayes_lif, fixed_point, noise

PACKAGE = Path(beamnet_lava.__file__).parent


def _run(step, drive, eps, p, dtype):
    """Spike trains ``(B, N, T)`` of ``step`` over ``drive`` and noise ``eps`` (both ``(B, N, T)``)."""
    state = bayes_lif.State(*(np.zeros(drive.shape[:2], dtype) for _ in range(5)))
    out = []
    for t in range(drive.shape[-1]):
        state = step(state, drive[..., t].astype(dtype), eps[..., t], p)
        out.append(state.s.astype(np.int64))
    return np.stack(out, axis=-1)


def _inputs():
    cfg = BeamnetConfig(n_memory=12, delta=0.2, gamma=0.7)
    model = BeamNet(cfg, n_inputs=64, n_classes=10)
    rng = np.random.default_rng(0)
    drive = rng.integers(-40, 120, size=(5, 12, cfg.time_steps))
    keys = np.arange(5) + 100
    steps = noise.noise_step(keys[:, None], 0, np.arange(cfg.time_steps), cfg.time_steps,
                             noise.key_span(cfg.max_windows, cfg.time_steps))       # (B, T)
    n = np.arange(12)
    eps_fixed = noise.logistic_noise(cfg.seed, n, steps[..., None], model.hw.delta).transpose(0, 2, 1)
    eps_float = noise.logistic_noise_float(cfg.seed, n, steps[..., None], model.hw.delta).transpose(0, 2, 1)
    return model, drive, keys, eps_fixed, eps_float


def test_fixed_float_and_torch_steps_agree_on_the_same_inputs():
    model, drive, keys, eps_fixed, eps_float = _inputs()
    fixed = _run(bayes_lif.step, drive, eps_fixed, model.hw, np.int64)
    flt = _run(bayes_lif.step_float, drive, eps_float, model.hw, np.float64)
    torch_spikes = model.memory(torch.from_numpy(drive.astype(np.float32)), model.noise(keys, 0))
    assert np.array_equal(torch_spikes.detach().numpy().astype(np.int64), fixed)   # bit-exact
    assert fixed.sum() >= 10
    both = (fixed & flt).sum()          # flooring and the 8-bit quantile table move few spikes
    assert both >= 0.8 * fixed.sum() and both >= 0.8 * flt.sum()
    silent = _run(bayes_lif.step_float, drive, eps_float, model.hw.__class__(
        **{**model.hw.__dict__, "theta": 1 << 22}), np.float64)
    assert silent.sum() == 0 and (fixed & silent).sum() < 0.8 * fixed.sum()  # the check can fail


def test_noise_key_layout_is_one_function_used_by_the_training_model():
    assert noise.noise_step(3, 2, 5, window=16, key_span=48) == 3 * 48 + 2 * 16 + 5
    assert noise.key_span(3, 16) == 48
    assert noise.sample_keys("test", 2, start=1).tolist() == [noise.KEY_BASE["test"] + 1,
                                                              noise.KEY_BASE["test"] + 2]
    cfg = BeamnetConfig(n_memory=7, max_windows=3)
    model = BeamNet(cfg, n_inputs=64, n_classes=10)
    keys = noise.sample_keys("val", 4)
    T = cfg.time_steps
    steps = noise.noise_step(keys[:, None], 2, np.arange(T), T, noise.key_span(3, T))
    want = noise.noise_block(cfg.seed, 7, steps, model.hw.delta).transpose(0, 2, 1)
    assert np.array_equal(model.noise(keys, 2).numpy(), want)
    # every window of every sample draws at distinct generator steps
    all_steps = noise.noise_step(keys[:, None, None], np.arange(3)[:, None], np.arange(T), T,
                                 noise.key_span(3, T))
    assert len(np.unique(all_steps)) == all_steps.size


def test_float_noise_uses_the_integer_noise_quantiles():
    a = noise.logistic_noise(5, np.arange(50), 9, 1 << 10)
    b = noise.logistic_noise_float(5, np.arange(50), 9, float(1 << 10))
    assert np.abs(a - b).max() <= 5          # the same quantiles; table rounding only
    assert np.corrcoef(a, b)[0, 1] > 0.999


def test_weight_mantissa_bounds_are_what_lava_dense_keeps():
    from lava.utils.weightutils import SignMode, clip_weights, truncate_weights

    mixed = np.arange(fixed_point.WEIGHT_MANT_MIN - 4, fixed_point.WEIGHT_MANT_MAX + 6)
    kept = truncate_weights(clip_weights(mixed, SignMode.MIXED, num_bits=8), SignMode.MIXED, 8)
    survivors = mixed[kept == mixed]
    assert survivors.min() == fixed_point.WEIGHT_MANT_MIN and survivors.max() == fixed_point.WEIGHT_MANT_MAX
    assert (survivors % 2 == 0).all()


SHIFTS = {("<<", "6"), (">>", "6"), ("<<", "12"), (">>", "12"), ("*", "64"), ("/", "64"),
          ("//", "64"), ("*", "4096"), ("/", "4096"), ("//", "4096"), ("/", "4096.0"),
          ("-", "4096"), ("**", "12")}


def test_no_fixed_point_literal_outside_the_neurons_table():
    """The 6-bit weight shift and the 12-bit decay unit are spelled only in neurons/."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if "neurons" in path.relative_to(PACKAGE).parts:
            continue
        toks = [t for t in tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
                if t.type in (tokenize.OP, tokenize.NUMBER)]
        for a, b in zip(toks, toks[1:]):
            if b.type == tokenize.NUMBER and (a.string, b.string) in SHIFTS:
                found.append(f"{path.relative_to(PACKAGE)}:{b.start[0]}: {a.string} {b.string}")
    assert not found, found


def test_neurons_import_numpy_only():
    """No torch, no Lava: both sides can use the package without the other's runtime."""
    import ast

    allowed = {"__future__", "math", "dataclasses", "typing", "numpy", "beamnet_lava.errors"}
    for path in (PACKAGE / "neurons").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name in allowed or name.startswith("beamnet_lava.neurons"), f"{path.name}: {name}"
