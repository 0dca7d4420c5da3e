"""LaneConv against lava-nc's Conv: each lane identical to stock Conv, both precisions, binary
spikes and graded messages, stride/padding/dilation/groups with a non-square kernel, also after
the kernel is changed through its Var between two runs."""
import numpy as np
import pytest
from helpers import run_connection
from lava.proc.conv.process import Conv

import beamnet_lava.processes.lane_conv.models  # noqa: F401  (registers the models)
from beamnet_lava.processes.lane_conv.process import LaneConv

LANES, W, H, C, GROUPS = 3, 9, 7, 4, 2
GEOMETRY = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))


def _run(conn, x, tag, new_weight, split):
    """Run ``split`` steps, set the weight Var to ``new_weight``, run the rest."""
    return run_connection(conn, x, tag, [split, x.shape[-1] - split],
                          between=lambda c: c.weight.set(new_weight))[0]


@pytest.mark.parametrize("graded", [False, True])
@pytest.mark.parametrize("tag", ["fixed_pt", pytest.param("floating_pt", marks=pytest.mark.slow)])
def test_each_lane_is_a_stock_conv_also_after_a_weight_set(tag, graded):
    rng = np.random.default_rng(2)
    steps, split = 12, 5
    # (C_out, kW, kH, C_in / groups): 6 output channels, a 3 x 2 kernel, 2 groups
    w1, w2 = (rng.integers(-128, 128, size=(6, 3, 2, C // GROUPS)) for _ in range(2))
    if graded:      # 8-bit messages; the fixed model wraps sums to 24 signed bits
        x = rng.integers(0, 256, size=(W, H, LANES * C, steps)) * (rng.random((W, H, LANES * C, steps)) < 0.5)
    else:
        x = (rng.random((W, H, LANES * C, steps)) < 0.3).astype(np.int32)
    if tag == "floating_pt":       # dyadic values, as the graphs give the float model
        w1, w2, x = w1 / 8.0, w2 / 4.0, x / 2.0
    bits = 8 if graded else 0
    ours = _run(LaneConv(weight=w1, lanes=LANES, input_shape=(W, H, C), groups=GROUPS,
                         num_message_bits=bits, **GEOMETRY), x, tag, w2, split)
    # the stock reference: one Conv whose groups are the lanes' groups (its kernel repeated per
    # lane), which lava's model convolves group by group, so no lane sees another
    tile = (LANES, 1, 1, 1)
    ref = _run(Conv(weight=np.tile(w1, tile), input_shape=(W, H, LANES * C), groups=LANES * GROUPS,
                    num_message_bits=bits, **GEOMETRY), x, tag, np.tile(w2, tile), split)
    assert ours.shape == ref.shape == (5, 9, LANES * 6, steps)
    assert np.abs(ref[..., :split + 1]).sum() > 0 and np.abs(ref[..., split + 1:]).sum() > 0
    np.testing.assert_array_equal(ours, ref)
    # the set took effect: the old kernel gives different sums after the split
    stale = _run(LaneConv(weight=w1, lanes=LANES, input_shape=(W, H, C), groups=GROUPS,
                          num_message_bits=bits, **GEOMETRY), x, tag, w1, split)
    assert not np.array_equal(stale[..., split + 1:], ours[..., split + 1:])
    assert np.array_equal(stale[..., :split + 1], ours[..., :split + 1])


def test_graded_sums_wrap_to_24_signed_bits_as_stock_conv():
    """Large graded messages: sums beyond 2**23 wrap exactly as lava's signed_clamp."""
    rng = np.random.default_rng(3)
    w = rng.integers(100, 128, size=(2, 3, 3, 1))
    x = np.full((4, 4, 2, 3), 2 ** 16, np.int64)
    ours = run_connection(LaneConv(weight=w, lanes=2, input_shape=(4, 4, 1), padding=1,
                                   num_message_bits=24), x, "fixed_pt", [3])[0]
    ref = run_connection(Conv(weight=np.tile(w, (2, 1, 1, 1)), input_shape=(4, 4, 2), padding=1, groups=2,
                              num_message_bits=24), x, "fixed_pt", [3])[0]
    assert (ref < 0).any()        # positive weights and inputs: negative sums only by the wrap
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("kwargs, message", [
    (dict(weight=np.zeros((4, 3, 3))), "4-D"),
    (dict(weight=np.zeros((4, 3, 3, 2)), groups=3), "groups 3 must divide"),
    (dict(weight=np.zeros((4, 3, 3, 2)), stride=0), "stride must be >= 1"),
    (dict(weight=np.zeros((4, 3, 3, 2)), dilation=(1, 0)), "dilation must be >= 1"),
    (dict(weight=np.zeros((4, 9, 3, 2))), "does not fit"),
    (dict(weight=np.zeros((4, 3, 3, 2)), lanes=0), "lanes must be >= 1"),
])
def test_bad_geometry_is_refused(kwargs, message):
    args = dict(lanes=2, input_shape=(5, 5, 2)) | kwargs
    with pytest.raises(ValueError, match=message):
        LaneConv(**args)


def test_graded_sums_beyond_float_exactness_are_integer_exact():
    """A fan-in of 33,100 taps x 127 x int32 messages may exceed 2^53: the int64 product, wrapped
    to 24 signed bits (the 1x1 input makes each output one dot product, the reference)."""
    rng = np.random.default_rng(4)
    w = rng.choice([-127, 127], size=(3, 1, 1, 33_100))
    x = rng.integers(0, 2 ** 12, size=(1, 1, 2 * 33_100, 2))
    out = run_connection(LaneConv(weight=w, lanes=2, input_shape=(1, 1, 33_100), num_message_bits=24),
                         x, "fixed_pt", [2])[0]
    sums = np.einsum("oc,lc->lo", w[:, 0, 0].astype(np.int64), x[0, 0, :, 0].reshape(2, -1).astype(np.int64))
    expected = (sums + 2 ** 23) % 2 ** 24 - 2 ** 23
    assert np.abs(sums).max() > 2 ** 23          # the wrap matters
    np.testing.assert_array_equal(out[0, 0, :, 1], expected.reshape(-1))
