import numpy as np
import torch

from beamnet_lava.neurons import noise


def test_hash_is_a_pure_function_of_its_keys():
    a = noise.hash32(5, np.arange(10), 7)
    assert np.array_equal(a, noise.hash32(5, np.arange(10), 7))
    assert not np.array_equal(a, noise.hash32(6, np.arange(10), 7))
    assert a.min() >= 0 and a.max() < 2**32


def test_hash_matches_plain_python_uint32_arithmetic():
    def ref(seed, neuron, step):
        m = 0xFFFFFFFF
        x = ((seed * 0x9E3779B1) & m) ^ ((neuron * 0x85EBCA77) & m) ^ ((step * 0xC2B2AE3D) & m)
        x ^= x >> 16
        x = (x * 0x7FEB352D) & m
        x ^= x >> 15
        x = (x * 0x846CA68B) & m
        return x ^ (x >> 16)

    for s, n, t in [(0, 0, 0), (1, 2, 3), (2**31 + 5, 399, 123456), (42, 7, 2**32 - 1)]:
        assert int(noise.hash32(s, n, t)) == ref(s, n, t)


def test_logistic_noise_distribution():
    x = noise.noise_block(3, 100, np.arange(20_000), delta_mant=1000)
    assert abs(x.mean()) < 10
    assert abs(x.std() - 1000 * np.pi / np.sqrt(3)) / (1000 * np.pi / np.sqrt(3)) < 0.01
    # P(eps < z) = sigmoid(z / Delta)
    for z in (-1500, 0, 700):
        assert abs((x < z).mean() - 1 / (1 + np.exp(-z / 1000))) < 0.01


def test_torch_tensors_of_keys_give_identical_draws():
    steps = torch.arange(50)
    a = noise.noise_block(9, 20, steps.numpy(), 512)
    b = noise.noise_block(9, 20, np.arange(50), 512)
    assert np.array_equal(a, b) and a.dtype == np.int64
