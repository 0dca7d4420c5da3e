import json

import h5py
import numpy as np
import pytest
import torch

from beamnet_lava.errors import BeamnetError
from helpers import edited_copy
from beamnet_lava.netx_export import export_run, read_netx
from beamnet_lava.training.checkpoint import CHECKPOINT, load_run


def test_run_dir_contents(tiny_run, tiny_config):
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    assert len(metrics["history"]) == tiny_config.epochs
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert json.loads((tiny_run / "config.json").read_text())["seed"] == tiny_config.seed
    assert (tiny_run / CHECKPOINT).is_file()


def test_training_is_reproducible(tmp_path, tiny_config, tiny_run):
    """The same seed gives the same bytes, also when the config is the one a run dir
    recorded (read back from JSON: fresh string objects, which pickle would otherwise
    write differently from the interned literals of a config built in code)."""
    from beamnet_lava.workflows.train import train
    from beamnet_lava.training.checkpoint import load_run

    recorded = load_run(tiny_run).config
    assert recorded == tiny_config
    again = train(recorded, tmp_path / "again", progress=False)
    first = json.loads((tiny_run / "metrics.json").read_text())
    assert again["history"][-1]["loss"] == first["history"][-1]["loss"]
    assert (tmp_path / "again" / "checkpoint.pt").read_bytes() == (tiny_run / "checkpoint.pt").read_bytes()


def test_stock_lava_dl_loads_the_export(tiny_net):
    from lava.lib.dl.netx import hdf5

    net = hdf5.Network(net_config=str(tiny_net))
    assert len(net.layers) == 2
    assert net.inp.shape == (64,) and net.out.shape == (10,)


def test_export_does_not_mutate_the_model(tiny_run, tmp_path):
    run = load_run(tiny_run)
    x = torch.from_numpy((np.random.default_rng(0).random((4, 64, 8)) > 0.7).astype(np.float32))
    before = run.model(x).clone()
    names_before = sorted(n for n, _ in run.model.named_parameters())
    with h5py.File(tmp_path / "direct.net", "w") as f:
        run.model.export_hdf5(f)
    assert sorted(n for n, _ in run.model.named_parameters()) == names_before
    assert any(n.endswith("weight_g") for n in names_before)   # weight norm still there
    assert torch.equal(run.model(x), before)


def test_export_refuses_to_overwrite_and_is_atomic(tiny_run, tmp_path):
    out = tmp_path / "model.net"
    out.write_text("precious")
    with pytest.raises(BeamnetError, match="--force"):
        export_run(tiny_run, out)
    assert out.read_text() == "precious"
    export_run(tiny_run, out, force=True)
    assert read_netx(out).output_size == 10
    assert not list(tmp_path.glob("*.part"))


def test_export_failure_leaves_nothing_behind(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(BeamnetError, match="no checkpoint.pt"):
        export_run(tmp_path / "run", tmp_path / "x.net")
    (tmp_path / "run" / CHECKPOINT).write_bytes(b"not a checkpoint")
    with pytest.raises(BeamnetError, match="could not be loaded"):
        export_run(tmp_path / "run", tmp_path / "x.net")
    assert list(tmp_path.iterdir()) == [tmp_path / "run"]


def test_bad_netx_files(tmp_path, tiny_net):
    with pytest.raises(BeamnetError, match="no such file"):
        read_netx(tmp_path / "missing.net")
    junk = tmp_path / "junk.net"
    junk.write_bytes(b"\x89HDF\r\n garbage")
    with pytest.raises(BeamnetError, match="not a readable HDF5"):
        read_netx(junk)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.zeros(3)
    with pytest.raises(BeamnetError, match="not a NetX network"):
        read_netx(other)


@pytest.mark.parametrize("edit, needle", [
    (lambda f: f["layer/0/weight"].__setitem__((0, 0), 0.5), "non-integer"),
    (lambda f: (f["layer/1/neuron"].__delitem__("vThMant"),
                f["layer/1/neuron"].create_dataset("vThMant", data=1 << 18)), "vThMant"),
    (lambda f: (f["layer/0/neuron"].__delitem__("iDecay"),
                f["layer/0/neuron"].create_dataset("iDecay", data=5000)), "iDecay"),
    (lambda f: (f["layer/1"].__delitem__("weight"),
                f["layer/1"].create_dataset("weight", data=np.ones((10, 7)))), "layer below has 24"),
    (lambda f: (f["layer/1/neuron"].__delitem__("type"),
                f["layer/1/neuron"].create_dataset("type", data=[b"SDNN"])), "CUBA/LOIHI"),
])
def test_fixed_point_and_shape_checks(tiny_net, tmp_path, edit, needle):
    with pytest.raises(BeamnetError, match=needle):
        read_netx(edited_copy(tiny_net, tmp_path, edit))
