"""BEAM-Net pieces against hand-computed values and against the neutral fixed-point step."""
import dataclasses

import numpy as np
import pytest
import torch

from beamnet_lava.neurons import bayes_lif, noise
from beamnet_lava.config import BeamnetConfig
from beamnet_lava.data import latency_times, load_split, population_intensity
from beamnet_lava.data.encoding import check_images
from beamnet_lava.errors import BeamnetError
from beamnet_lava.models.beamnet import BeamNet, encoder_intensity, hardware_params, initial_weights


def test_eq7_latency_hand_values():
    t = latency_times(np.array([[0.0, 0.04, 0.05, 0.5, 1.0]]), t_ref=12, tau=12, floor=0.05)
    # 12 - 12*0.05 = 11.4 -> 11; 12 - 6 = 6; 12 - 12 = 0; below the floor: silent
    assert t.tolist() == [[-1, -1, 11, 6, 0]]


def test_population_code_peaks_at_the_nearest_centre():
    a = population_intensity(np.array([[0.5, 0.05]]), size=5, sigma=0.15)
    assert a.shape == (1, 10)
    assert a[0, :5].argmax() == 2 and a[0, 2] == pytest.approx(1.0)
    assert a[0, 5:].argmax() == 0 and a[0, 5] == pytest.approx(1.0)


@pytest.mark.parametrize("x, needle", [(np.ones((2, 3)) * 1.5, r"\[0, 1\]"), (np.ones(3), "2-D"),
                                       (np.full((1, 2), np.nan), r"\[0, 1\]")])
def test_bad_images(x, needle):
    with pytest.raises(BeamnetError, match=needle):
        check_images(x)


def test_decay_matches_loihi_rounding():
    x = np.array([1000, -1000, 7, -7, 0])
    # (|x| * (4096 - 1024)) >> 12 with sign restored: 750, -750, 5, -5, 0
    assert bayes_lif.dec(x, 1024).tolist() == [750, -750, 5, -5, 0]


def _params(**kw):
    base = dict(du=0, dv=4096, d_syn=2048, d_theta=2048, theta=1000, gamma=500, w_inh=3000,
                delta=0, seed=1)
    return bayes_lif.BayesLIFParams(**{**base, **kw})


def test_step_hand_computed_inhibition_and_adaptation():
    p = _params()
    s = bayes_lif.State.zeros((1, 3))
    zero = np.zeros((1, 3), dtype=np.int64)
    # drive 20 mantissa -> u = 20 << 6 = 1280 > theta 1000: neuron 0 spikes, v reset
    s = bayes_lif.step(s, np.array([[20, 0, 0]]), zero, p)
    assert s.s.tolist() == [[1, 0, 0]] and s.v.tolist() == [[0, 0, 0]]
    # next step: others get inhibition 3000; neuron 0's trace h = 4096 raises its threshold by 500
    s = bayes_lif.step(s, np.array([[0, 0, 0]]), zero, p)
    assert s.inh.tolist() == [[0, 3000, 3000]]
    assert s.h.tolist() == [[4096, 0, 0]]
    assert s.u.tolist() == [[1280, 0, 0]]           # du = 0: current does not decay
    assert s.v.tolist() == [[1280, -3000, -3000]]    # dv = 4096: v = u - inh
    assert s.s.tolist() == [[0, 0, 0]]               # 1280 <= adapted theta 1000 + 500


def test_noise_makes_firing_probability_sigmoid():
    p = _params(dv=4096, delta=200, d_syn=4096, w_inh=0)
    n = 20_000
    v_target = 1000 + 150          # (v - theta) / Delta = 0.75
    eps = noise.noise_block(p.seed, n, np.array([0]), p.delta)[0][None]
    drive = np.full((1, n), 0)
    s = bayes_lif.State.zeros((1, n))
    s.u[:] = v_target              # with du = 0 the current stays; dv = 4096 -> v = u
    out = bayes_lif.step(s, drive, eps, p)
    assert abs(out.s.mean() - 1 / (1 + np.exp(-0.75))) < 0.01


def test_torch_memory_layer_is_bit_exact_to_the_neutral_step():
    cfg = BeamnetConfig(n_memory=12, delta=0.2, gamma=0.7)
    model = BeamNet(cfg, n_inputs=64, n_classes=10)
    rng = np.random.default_rng(0)
    drive = torch.from_numpy(rng.integers(-40, 120, size=(5, 12, cfg.time_steps)).astype(np.float32))
    keys = np.arange(5) + 100
    eps = model.noise(keys, 0)
    spikes = model.memory(drive, eps).detach().numpy().astype(np.int64)
    state = bayes_lif.State.zeros((5, 12))
    ref = []
    for t in range(cfg.time_steps):
        state = bayes_lif.step(state, drive[..., t].numpy().astype(np.int64),
                               eps[..., t].numpy().astype(np.int64), model.hw)
        ref.append(state.s)
    assert np.array_equal(spikes, np.stack(ref, axis=-1))
    assert spikes.sum() > 0


def test_delta_zero_is_the_deterministic_lif():
    cfg = BeamnetConfig(n_memory=10)
    model = BeamNet(cfg, 64, 10)
    assert hardware_params(cfg.replace(delta=1e-9)).delta == 0
    model.hw = hardware_params(cfg.replace(delta=1e-9))
    eps = model.noise(np.arange(3), 0)
    assert not eps.any()


def test_coincidence_drive_and_its_gradient():
    cfg = BeamnetConfig(n_memory=3)
    model = BeamNet(cfg, n_inputs=4, n_classes=3)
    with torch.no_grad():
        model.delays.copy_(torch.tensor([[0, 1, 2, 3], [3, 2, 1, 0], [5, 5, 5, 5]]))
        model.weight.copy_(torch.tensor([[0.1, 0.2, 0.3, 0.4]] * 3))
    times = torch.tensor([[3, 2, 1, -1]])            # input 3 is silent
    drive = model.drive(times, quantize=False)
    # neuron 0: arrivals 3, 3, 3 -> 0.1+0.2+0.3 at t=3 (x theta_mant)
    assert drive[0, 0, 3].item() == pytest.approx(0.6 * cfg.theta_mant, rel=1e-6)
    assert drive[0, 1].nonzero().flatten().tolist() == [2, 4, 6]
    assert drive[0, 2].nonzero().flatten().tolist() == [6, 7, 8]
    g = torch.randn_like(drive)
    (drive * g).sum().backward()
    expected = torch.zeros(3, 4)
    arrival = times[:, None, :] + model.delays[None]
    for j in range(3):
        for i in range(3):
            expected[j, i] = g[0, j, arrival[0, j, i]] * cfg.theta_mant
    assert torch.allclose(model.weight.grad, expected, rtol=1e-5)


def test_patterns_make_matching_inputs_coincide():
    cfg = BeamnetConfig(n_memory=10, patterns="prototype")
    split = load_split("digits")
    model = BeamNet(cfg, 64, 10)
    x = encoder_intensity(split.x_train, cfg)
    model.init_from_data(x, split.y_train, seed=0)
    c = model.patterns.numpy()
    times = model.encode_times(c)                      # present each stored pattern itself
    arrival = times[:, None, :] + model.delays.numpy()[None]
    own = arrival[np.arange(10), np.arange(10)]
    lit = times >= 0
    assert np.all(np.abs(own[lit] - cfg.t_ref) <= 1)   # all arrive at T_ref (rounding: +-1)


def test_zero_mean_init_ignores_brightness_and_keeps_weight_resolution():
    patterns = np.array([[0.0, 0.5, 1.0, 0.5], [0.2, 0.2, 0.2, 0.6]])
    w = initial_weights(patterns, "zero_mean", 0.05)
    # hand values: c - mean(c) = (-0.5, 0, 0.5, 0) / 1.0 and (-0.1, -0.1, -0.1, 0.3) / 0.6
    assert np.allclose(w, [[-0.5, 0, 0.5, 0], [-1 / 6, -1 / 6, -1 / 6, 0.5]])
    assert np.allclose(w @ np.ones(4), 0.0)      # a uniformly brighter input adds no drive
    old = initial_weights(patterns, "proportional", 0.05)
    assert np.allclose(old[0], [-0.25, 0.25, 0.5, 0.25])   # c / sum(c) - 1/d on the dark pixel
    cfg = BeamnetConfig()
    split = load_split("digits")
    model = BeamNet(cfg, 64, 10)
    model.init_from_data(encoder_intensity(split.x_train, cfg), split.y_train, seed=0)
    mant = model.weight_mantissa().detach().numpy()
    assert np.mean(mant == 0) < 0.05                # theta_mant leaves the weights resolvable
    assert mant.min() >= -256 and mant.max() <= 254  # and inside the 8-bit mantissa range


@pytest.mark.parametrize("overrides, needle", [
    ({"w_inh": 2.0}, "Proposition 3.3"), ({"delta": 0.0}, "Eq. 9"), ({"alpha_0": 0.0}, "Eq. 12"),
    ({"max_windows": 4}, "Theorem 3.6"), ({"dt_max": 70}, "delay limit"),
    ({"tau_spread": 30.0, "t_ref": 30, "time_steps": 64, "dt_max": 20}, "delays up to"),
    ({"time_steps": 20}, "coincidences"), ({"bidirectional": True, "max_windows": 1}, "max_windows >= 2"),
    ({"weight_objective": "hebb"}, "race or evidential"), ({"augment_shift": 9}, "augment_shift"),
    ({"input_dropout": 1.0}, "input_dropout"), ({"race_temperature": 0.0}, "race_temperature"),
    ({"race_label_smoothing": 1.0}, "race_label_smoothing"), ({"race_rank_weight": -0.5}, "race_rank_weight"),
    ({"weight_average_epochs": 11}, "weight_average_epochs"), ({"race_objective": "hinge"}, "race_objective"),
    ({"race_objective": "evidential", "race_label_smoothing": 0.1}, "cross_entropy only"),
])
def test_theory_checks_cite_their_source(overrides, needle):
    from beamnet_lava.config import from_dict

    with pytest.raises(BeamnetError, match=needle):
        from_dict({**BeamnetConfig().to_dict(), **overrides})


def test_bidirectional_loop_respects_the_window_bound():
    cfg = BeamnetConfig(n_memory=20, tau_m=10.0, max_windows=2, bidirectional=True, delta=0.05)
    split = load_split("digits")
    model = BeamNet(cfg, 64, 10)
    x = encoder_intensity(split.x_train, cfg)
    model.init_from_data(x, split.y_train, seed=0)
    res = model.infer(encoder_intensity(split.x_val[:40], cfg), np.arange(40), bidirectional=True)
    assert set(np.unique(res["windows"])) <= {1, 2} and res["windows"].max() <= cfg.window_bound
    off = model.infer(encoder_intensity(split.x_val[:40], cfg), np.arange(40), bidirectional=False)
    assert (off["windows"] == 1).all()


def test_too_many_patterns_for_the_training_data_is_a_clear_error():
    import numpy as np

    from beamnet_lava.config import BeamnetConfig
    from beamnet_lava.errors import BeamnetError
    from beamnet_lava.models.beamnet import BeamNet

    x = np.random.default_rng(0).random((30, 16)).astype(np.float32)
    y = np.repeat(np.arange(10), 3)
    model = BeamNet(BeamnetConfig(n_memory=40), 16, 10)
    with pytest.raises(BeamnetError, match="lower n_memory to at most 30"):
        model.init_from_data(x, y, 0)


def test_drive_in_chunks_equals_drive_at_once_with_gradients(monkeypatch):
    import numpy as np
    import torch

    from beamnet_lava.config import BeamnetConfig
    from beamnet_lava.models.beamnet import BeamNet

    rng = np.random.default_rng(2)
    x = rng.random((40, 16)).astype(np.float32)
    y = np.repeat(np.arange(10), 4)
    model = BeamNet(BeamnetConfig(n_memory=20, train_weights=True), 16, 10)
    model.init_from_data(x, y, 0)
    times = torch.from_numpy(model.encode_times(x[:9]))
    whole = model.drive(times)
    (g_whole,) = torch.autograd.grad((whole ** 2).sum(), model.weight)
    monkeypatch.setattr(BeamNet, "DRIVE_CHUNK", 2 * 20 * 16)    # two samples per chunk
    chunked = model.drive(times)
    (g_chunked,) = torch.autograd.grad((chunked ** 2).sum(), model.weight)
    assert torch.equal(whole, chunked)
    assert torch.allclose(g_whole, g_chunked)


def test_race_loss_is_cross_entropy_of_class_logsumexp():
    import math

    import numpy as np
    import torch

    from beamnet_lava.training.beamnet_train import race_loss

    race = torch.tensor([[0.2, -0.1, 0.05, -0.3]], dtype=torch.float64)   # theta_0 units
    classes = torch.tensor([0, 0, 1, 2])
    got = float(race_loss(race, classes, np.array([1]), 3, 0.1))
    s0 = math.log(math.exp(2.0) + math.exp(-1.0))          # class 0: neurons 0 and 1
    s1, s2 = 0.5, -3.0
    want = -(s1 - math.log(math.exp(s0) + math.exp(s1) + math.exp(s2)))
    assert abs(got - want) < 1e-12


def test_race_label_smoothing_mixes_the_uniform_target_into_the_race_cross_entropy():
    import numpy as np
    import torch

    from beamnet_lava.training.beamnet_train import race_loss, race_scores

    race = torch.tensor([[0.2, -0.1, 0.05, -0.3], [-0.2, 0.3, 0.0, 0.1]], dtype=torch.float64)
    classes = torch.tensor([0, 0, 1, 2])
    labels = np.array([1, 0])
    logp = torch.log_softmax(race_scores(race, classes, 3, 0.1), dim=1)
    want = -(0.85 * logp[[0, 1], labels] + 0.05 * logp.sum(1)).mean()     # 0.15 spread over K = 3
    got = race_loss(race, classes, labels, 3, 0.1, label_smoothing=0.15)
    assert abs(float(got) - float(want)) < 1e-12
    assert float(got) != float(race_loss(race, classes, labels, 3, 0.1))


def test_race_evidential_loss_counts_neurons_at_threshold_as_evidence():
    """race_objective: evidential: e_c = sum over class c of exp(race / tau) (a neuron at
    threshold is one unit), the evidential loss on 1 + e; descending it raises the target
    class's potentials and lowers the others'."""
    import numpy as np
    import torch

    from beamnet_lava.training.beamnet_train import evidential_loss, race_evidential_loss

    classes = torch.tensor([0, 0, 1, 2])
    race = torch.tensor([[0.0, 0.0, -0.1, -0.3]], dtype=torch.float64, requires_grad=True)
    labels = np.array([0])
    got = race_evidential_loss(race, classes, labels, 3, 0.1, 0.1)
    alpha = torch.tensor([[1 + 2.0, 1 + np.exp(-1.0), 1 + np.exp(-3.0)]], dtype=torch.float64)
    assert abs(float(got.detach()) - float(evidential_loss(alpha, labels, 0.1))) < 1e-12
    (g,) = torch.autograd.grad(got, race)
    assert bool((g[0, :2] < 0).all()) and bool((g[0, 2:] > 0).all())


def test_rank_loss_orders_the_race_confidence_by_past_correctness():
    """CRL (race_rank_weight): descending the loss makes the race's confidence rank the
    samples by how often the race was right on them, margin |c_i - c_j|; zero once it does."""
    import numpy as np
    import torch

    from beamnet_lava.training.beamnet_train import race_scores, rank_loss

    classes = torch.tensor([0, 1, 2])
    correctness = np.array([0.25, 0.75, 0.5, 0.75, 0.25, 0.5])   # reachable: conf in [1/3, 1]
    race = torch.tensor([[0.05, 0.0, 0.0]] * 6, dtype=torch.float64, requires_grad=True)
    conf0 = torch.softmax(race_scores(race, classes, 3, 0.1), 1).max(1).values.detach()
    assert float(conf0.std()) == 0
    assert float(rank_loss(race_scores(race, classes, 3, 0.1), correctness).detach()) > 0
    opt = torch.optim.SGD([race], lr=0.05)
    for _ in range(400):
        opt.zero_grad()
        loss = rank_loss(race_scores(race, classes, 3, 0.1), correctness)
        loss.backward()
        opt.step()
    conf = torch.softmax(race_scores(race, classes, 3, 0.1), 1).max(1).values.detach().numpy()
    assert float(loss.detach()) < 1e-3
    pairs = [(i, (i + 1) % 6) for i in range(6)]           # each sample against its batch neighbour
    for i, j in pairs:
        if correctness[i] != correctness[j]:
            assert (conf[i] - conf[j]) * np.sign(correctness[i] - correctness[j]) >= \
                abs(correctness[i] - correctness[j]) - 1e-3
    equal = rank_loss(race_scores(race, classes, 3, 0.1), np.full(6, 0.5))
    assert float(equal.detach()) == 0.0                            # no history difference: no loss


def test_weight_averaging_puts_the_mean_of_the_last_epochs_in_the_model():
    """weight_average_epochs = k: in each of the last k epochs the model holds the running mean
    of those epochs' weights (validated, kept as best); training resumes from its own weights."""
    import torch

    from beamnet_lava.config import BeamnetConfig
    from beamnet_lava.training.beamnet_train import average_in

    cfg = BeamnetConfig(epochs=4, weight_average_epochs=2)
    w = torch.zeros(3, dtype=torch.float64)
    averaged: list = [None]
    seen = {}
    for epoch in range(1, 5):
        with torch.no_grad():
            w.fill_(float(epoch))                    # the epoch's own weights
        live = average_in(averaged, [w], epoch, cfg)
        seen[epoch] = (None if live is None else float(live[0][0]), float(w[0]))
        if live is not None:
            with torch.no_grad():
                w.copy_(live[0])
    assert seen[1] == (None, 1.0) and seen[2] == (None, 2.0)    # before the window: untouched
    assert seen[3] == (3.0, 3.0)                                 # mean of epoch 3 alone
    assert seen[4] == (4.0, 3.5)                                 # mean of epochs 3 and 4
    assert average_in([None], [w], 4, cfg.replace(weight_average_epochs=0)) is None


def test_race_potentials_are_taken_when_the_first_spike_falls_and_only_they_train_weights():
    import numpy as np
    import torch

    from beamnet_lava.config import BeamnetConfig
    from beamnet_lava.models.beamnet import BeamNet
    from beamnet_lava.training.beamnet_train import evidential_loss

    rng = np.random.default_rng(3)
    x = rng.random((40, 16)).astype(np.float32)
    y = np.repeat(np.arange(10), 4)
    model = BeamNet(BeamnetConfig(n_memory=20), 16, 10)
    model.init_from_data(x, y, 0)
    keys = np.arange(12)
    out = model(x[:12], keys)
    pots: list[torch.Tensor] = []
    with torch.no_grad():
        times = torch.from_numpy(model.encode_times(x[:12]))
        spikes = model.memory(model.drive(times), model.noise(keys, 0), pots)
    v = torch.stack(pots, dim=-1)
    eps = model.noise(keys, 0) / model.hw.theta
    assert int((spikes.sum((1, 2)) > 0).sum()) >= 6
    for b in range(12):
        steps = torch.nonzero(spikes[b].sum(0)).flatten()
        if len(steps):
            t = int(steps[0])
            assert torch.equal(out.race[b].detach(), v[b, :, t])
            winners = spikes[b, :, t] > 0
            assert bool((out.race[b][winners] > eps[b, winners, t]).all())   # Eq. 9: v > theta + eps
            assert bool((out.race[b][~winners] <= eps[b, ~winners, t]).all())
            assert spikes[b, :, :t].sum() == 0
    # race objective: the evidential loss reaches the readout but not the weights
    (g_w,) = torch.autograd.grad(evidential_loss(out.alpha, y[:12], 0.1), model.weight,
                                 retain_graph=True, allow_unused=True)
    assert g_w is None or float(g_w.abs().sum()) == 0.0
    (g_r,) = torch.autograd.grad(out.race.sum(), model.weight)
    assert float(g_r.abs().sum()) > 0
    evid = BeamNet(BeamnetConfig(n_memory=20, weight_objective="evidential"), 16, 10)
    evid.init_from_data(x, y, 0)
    o = evid(x[:12], keys)
    (g_e,) = torch.autograd.grad(evidential_loss(o.alpha, y[:12], 0.1), evid.weight)
    assert float(g_e.abs().sum()) > 0


def test_shift_augmentation_moves_each_image_within_range_with_zero_fill():
    import numpy as np

    from beamnet_lava.training.beamnet_train import shift_images

    rng = np.random.default_rng(0)
    x = rng.random((50, 25)).astype(np.float32)
    out = shift_images(x, 1, np.random.default_rng(1))
    seen = set()
    for a, b in zip(x.reshape(-1, 5, 5), out.reshape(-1, 5, 5)):
        match = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                want = np.zeros_like(a)
                want[max(dy, 0):5 + min(dy, 0), max(dx, 0):5 + min(dx, 0)] = \
                    a[max(-dy, 0):5 - max(dy, 0), max(-dx, 0):5 - max(dx, 0)]
                if np.array_equal(b, want):
                    match.append((dy, dx))
        assert len(match) == 1
        seen.add(match[0])
    assert len(seen) == 9                       # every shift in range occurs
    with pytest.raises(BeamnetError, match="square images"):
        shift_images(np.zeros((2, 24), np.float32), 1, rng)


def test_probe_window_is_the_neutral_step_without_inhibition_and_its_own_noise():
    from beamnet_lava.models.beamnet import PROBE_SEED_OFFSET, probe_delta, probe_params

    cfg = BeamnetConfig(n_memory=12, delta=0.2, gamma=0.7, probe_delta=0.2)
    model = BeamNet(cfg, n_inputs=64, n_classes=10)
    probe = probe_params(model.hw, probe_delta(cfg, model.hw))
    assert probe.w_inh == 0 and probe.seed == model.hw.seed + PROBE_SEED_OFFSET
    assert probe.delta == model.hw.delta > 0                     # probe_delta = delta: the same scale
    assert dataclasses.replace(probe, w_inh=model.hw.w_inh, seed=model.hw.seed) == model.hw
    rng = np.random.default_rng(1)
    drive = torch.from_numpy(rng.integers(-40, 160, size=(4, 12, cfg.time_steps)).astype(np.float32))
    keys = np.arange(4) + 7
    eps = model.noise(keys, 0, probe)
    assert not torch.equal(eps, model.noise(keys, 0))              # independent draws
    spikes = model.memory(drive, eps, hw=probe).detach().numpy().astype(np.int64)
    state, ref = bayes_lif.State.zeros((4, 12)), []
    for t in range(cfg.time_steps):
        state = bayes_lif.step(state, drive[..., t].numpy().astype(np.int64),
                               eps[..., t].numpy().astype(np.int64), probe)
        ref.append(state.s)
    assert np.array_equal(spikes, np.stack(ref, axis=-1))
    # without inhibition more neurons fire than with it, on the same drive and noise
    inhibited = model.memory(drive, eps).detach().numpy()
    assert (spikes.sum(-1) > 0).sum() > (inhibited.sum(-1) > 0).sum()


def test_default_probe_is_noiseless_and_reads_the_race_order():
    """probe_delta 0 (the default): the probe's draws are all 0, so its spikes are the
    deterministic LIF's, the same for any noise key; with the model's Delta they are not."""
    from beamnet_lava.models.beamnet import probe_delta, probe_params

    cfg = BeamnetConfig(n_memory=12, delta=0.2)
    model = BeamNet(cfg, n_inputs=64, n_classes=10)
    quiet = probe_params(model.hw, probe_delta(cfg, model.hw))
    noisy = probe_params(model.hw, model.hw.delta)
    assert quiet.delta == 0 and quiet.w_inh == 0 and model.hw.delta > 0
    rng = np.random.default_rng(2)
    drive = torch.from_numpy(rng.integers(-40, 160, size=(4, 12, cfg.time_steps)).astype(np.float32))
    a, b = (model.noise(np.arange(4) + k, 0, quiet) for k in (0, 100))
    assert not a.any() and not b.any()
    assert torch.equal(model.memory(drive, a, hw=quiet), model.memory(drive, b, hw=quiet))
    n1, n2 = (model.noise(np.arange(4) + k, 0, noisy) for k in (0, 100))
    assert not torch.equal(model.memory(drive, n1, hw=noisy), model.memory(drive, n2, hw=noisy))
    with pytest.raises(BeamnetError, match="probe_delta"):
        BeamnetConfig(probe_delta=-0.1)


def test_one_step_for_numpy_and_torch_every_state_variable():
    """bayes_lif.step is one function: on torch tensors (the training arithmetic) every state
    variable equals the integer numpy step's, step by step; gradients reach the drive."""
    p = _params(du=410, dv=300, d_syn=1500, d_theta=900, gamma=700, delta=150, w_inh=900)
    rng = np.random.default_rng(4)
    drive = rng.integers(-10, 40, size=(3, 6, 24))
    eps = noise.noise_block(p.seed, 6, np.arange(24)[None] + 10 * np.arange(3)[:, None], p.delta)
    x = torch.tensor(drive, dtype=torch.float64, requires_grad=True)
    arith = bayes_lif.Arithmetic.training(lambda z: (z > 0).double() + 0 * z)
    ref = bayes_lif.State.zeros((3, 6))
    zero = torch.zeros(3, 6, dtype=torch.float64)
    st = bayes_lif.State(zero, zero, zero, zero, zero)
    pots: list = []
    fired = 0
    for t in range(24):
        ref = bayes_lif.step(ref, drive[..., t], eps[:, t], p)
        st = bayes_lif.step(st, x[..., t], torch.from_numpy(eps[:, t]).double(), p, arith, pots)
        for name in ("u", "v", "inh", "h", "s"):
            assert np.array_equal(getattr(st, name).detach().numpy(), getattr(ref, name)), (t, name)
        fired += int(ref.s.sum())
    assert ref.s.dtype == np.int64 and 0 < fired < 3 * 6 * 24      # spikes, inhibition and resets happen
    torch.stack(pots).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_float_step_is_the_same_function_without_flooring():
    p = _params(du=1000, dv=2000, d_syn=1500, d_theta=900, gamma=700, w_inh=900)
    s = bayes_lif.State(*(np.zeros((1, 3)) for _ in range(5)))
    s = bayes_lif.step_float(s, np.array([[20.0, 3.0, 0.0]]), np.zeros((1, 3)), p)
    assert s.s.dtype == np.float64 and s.s.tolist() == [[1.0, 0.0, 0.0]] and s.v.tolist() == [[0, 192, 0]]
    s = bayes_lif.step_float(s, np.zeros((1, 3)), np.zeros((1, 3)), p)
    keep = lambda d: 1 - d / 4096  # noqa: E731
    assert s.u[0, 1] == 192 * keep(1000) and s.v[0, 1] == 192 * keep(2000) + 192 * keep(1000) - 900
    assert s.h[0, 0] == 4096 and s.inh[0, 1] == 900


def test_the_training_model_has_no_decay_of_its_own():
    import inspect

    import beamnet_lava.models.beamnet as m

    source = inspect.getsource(m)
    assert "bayes_lif.step(" in source and "def _dec" not in source and "DECAY_UNITY" not in source
