"""BEAM-Net's Delta -> 0 core in NIR: delay branches against our own Lava run of that core."""
import nir
import numpy as np
import pytest
from helpers import edited_copy

from beamnet_lava.data import load_split, times_to_raster
from beamnet_lava.errors import BeamnetError
from beamnet_lava.netx_export.beamnet_file import read_beamnet
from beamnet_lava.nir.bridge import DT, export_nir, import_nir
from beamnet_lava.nir.peers import euler_layers
from beamnet_lava.sim_cpu.beamnet_run import BeamnetSpec
from beamnet_lava.sim_cpu.runner import LavaNetwork


@pytest.fixture(scope="module")
def bn_file(beamnet30):
    return beamnet30 / "bn.net"


def test_beamnet_needs_deterministic_and_says_what_is_dropped(bn_file, tmp_path):
    with pytest.raises(BeamnetError, match="--deterministic"):
        export_nir(bn_file, tmp_path / "bn.nir")
    r = export_nir(bn_file, tmp_path / "bn.nir", deterministic=True)
    text = " ".join(r.dropped)
    assert "Delta" in text and "gamma" in text and "Dirichlet" in text
    g = nir.read(tmp_path / "bn.nir")
    assert "Dirichlet" in str(g.metadata["beamnet_lava"])
    bf = read_beamnet(bn_file)
    n_delays = len(np.unique(bf.delay[(bf.weight != 0) & (bf.delay > 0)]))
    assert r.delay_branches == n_delays > 1
    # NetX cannot combine recurrence (the lateral inhibition) with synaptic delays
    with pytest.raises(BeamnetError, match="recurrent and has synaptic delays"):
        import_nir(tmp_path / "bn.nir", tmp_path / "back.net")
    assert (r.layers, r.neuron_nodes, r.recurrent) == (1, "CubaLIF", 1)      # memory + inhibition
    assert r.neurons == [bf.input_size, bf.n_memory]


def test_own_spike_inputs_are_for_snn_files_only(bn_file, tmp_path):
    from beamnet_lava.sim_cpu.spike_inputs import run_inputs

    np.save(tmp_path / "x.npy", np.zeros((1, 4, 64), dtype=bool))
    with pytest.raises(BeamnetError, match="--inputs runs CUBA SNN files"):
        run_inputs(bn_file, tmp_path / "x.npy", record=tmp_path / "r.npz")
    assert not (tmp_path / "r.npz").exists()


@pytest.mark.slow   # a Lava run and the NIR graph's simulation; the structure tests are fast
def test_delay_branches_match_our_lava_run_of_the_core(bn_file, tmp_path):
    bf = read_beamnet(bn_file)
    p = bf.params

    def core(f):             # the Delta -> 0 core in BEAM-Net's own Lava processes
        for key, value in (("delta", 0), ("gamma", 0), ("d_syn", p.du)):
            f[f"beamnet/bayes_lif/{key}"][()] = value
    core_file = read_beamnet(edited_copy(bn_file, tmp_path, core, "core.net"))
    model = bf.to_model()
    x = load_split("digits", seed=2).x_test[:12]
    window = bf.config.time_steps
    raster = times_to_raster(model.encode_times(x), window)              # (n, d, T)
    with LavaNetwork(BeamnetSpec(core_file, key_base=0), window) as lava:
        ours = lava.run(raster).output.transpose(0, 2, 1).astype(bool)  # (n, T, N)
    export_nir(bn_file, tmp_path / "bn.nir", deterministic=True)
    theirs = euler_layers(nir.read(tmp_path / "bn.nir"), raster.transpose(0, 2, 1), DT)[0]
    assert ours.sum() > 5
    assert np.array_equal(ours, theirs)
