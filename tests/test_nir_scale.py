"""The per-layer scale rule and the decay rule of the NIR import (beamnet_lava/nir/scale.py)."""
import numpy as np

from beamnet_lava.nir import scale


def test_an_exact_layer_takes_the_largest_exact_factor():
    # weight 0.04 against threshold 0.1 (the paper's LIF): exact at every multiple of 5 / 0.1
    s = scale.choose(0.1, [("w", np.array([[0.04]]))])
    assert (s.v_th_mant, int(s.matrices[0][0, 0]), s.worst_steps) == (635, 254, 0.0)
    # a threshold recorded in our metadata is kept when exact (round trips give back integers)
    assert scale.choose(0.1, [("w", np.array([[0.04]]))], prefer=5).v_th_mant == 5


def test_the_grid_is_odd_within_8_bits_and_even_beyond_jointly_for_a_layer():
    ints = scale.weight_grid([np.array([3.0, -5.0, 127.0]), np.array([0.0])])
    assert [list(i) for i in ints] == [[3, -5, 127], [0]]
    ints = scale.weight_grid([np.array([3.0, -5.0]), np.array([210.0])])     # one matrix beyond 127
    assert [list(i) for i in ints] == [[4, -4], [210]]


def test_an_off_grid_layer_takes_the_least_error_and_reports_it():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.5, (6, 5))
    s = scale.choose(1.0, [("w", w)])
    assert 1 <= s.v_th_mant and np.abs(s.matrices[0]).max() <= 254
    assert np.isclose(s.worst, np.abs(s.matrices[0] / s.factor - w).max())
    for m in range(1, s.v_th_mant):              # no smaller threshold does better
        other = scale.choose(1.0, [("w", w)], prefer=m)
        assert other.worst >= s.worst - 1e-12 or other.v_th_mant == s.v_th_mant


def test_impossible_layers_are_refused_with_a_reason():
    assert "positive" in scale.choose(0.0, [("w", np.ones((1, 1)))])
    assert "no integer threshold" in scale.choose(1.0, [("w", np.full((1, 1), 1e4))])


def test_decays_report_their_time_constant_error():
    d = scale.decay(1e-4 / 0.0025, "vDecay")
    assert d.value == 164 and abs(d.relative - 0.16 / 163.84) < 1e-9
    assert d.relative < scale.DECAY_TOLERANCE < scale.decay(3.5 / 4096, "x").relative
