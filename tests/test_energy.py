import json

import pytest

from beamnet_lava.errors import BeamnetError
from beamnet_lava.metrics.energy import Activity, breakdown_nJ, eq25_nJ, load_constants

A = Activity(encoder_spikes=30, synaptic_events=2000, memory_spikes=2, inhibitory_events=198,
             neuron_updates=3200, windows=1, n_memory=100)


def test_eq25_measured_hand_computed():
    e = eq25_nJ(A)
    # 23.6 pJ x [30 + (30 + 2000) + (198 + 1 x 100)] = 23.6 x 2358 pJ
    assert e["total"] == pytest.approx(23.6 * 2358 / 1000)
    assert e["encoding"] == pytest.approx(23.6 * 30 / 1000)


def test_breakdown_with_loihi1_constants():
    b = breakdown_nJ(A, load_constants("loihi1"))
    assert b["synaptic_ops"] == pytest.approx((2000 + 198) * 23.6 / 1000)
    assert b["neuron_updates"] == pytest.approx((2 * 81 + 3198 * 52) / 1000)
    assert b["spikes_routed"] == pytest.approx(32 * 1.7 / 1000)
    assert b["total"] == pytest.approx(b["synaptic_ops"] + b["neuron_updates"] + b["spikes_routed"])


def test_loihi2_needs_user_constants(tmp_path):
    with pytest.raises(BeamnetError, match="no per-operation energy table"):
        load_constants("loihi2")
    f = tmp_path / "l2.json"
    f.write_text(json.dumps({"source": "my measurement", "synaptic_op_pJ": 10,
                             "neuron_update_inactive_pJ": 20, "neuron_update_active_pJ": 30,
                             "spike_within_tile_pJ": 1}))
    assert load_constants(path=f)["synaptic_op_pJ"] == 10
