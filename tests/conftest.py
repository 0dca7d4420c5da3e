import sys
from pathlib import Path

import beamnet_lava  # noqa: F401  - applies the lava-nc shim before any lava import
import pytest

from beamnet_lava.config import SNNConfig

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))



@pytest.fixture(scope="session")
def tiny_config() -> SNNConfig:
    return SNNConfig(epochs=2, hidden=(24,), time_steps=8, seed=3)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_config):
    """A real (tiny) training run on digits: config, checkpoint, metrics."""
    from beamnet_lava.evaluation.pipeline import train

    out = tmp_path_factory.mktemp("runs") / "tiny"
    train(tiny_config, out, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_net(tiny_run, tmp_path_factory):
    from beamnet_lava.netx_export import export_run

    path = tmp_path_factory.mktemp("nets") / "tiny.net"
    export_run(tiny_run, path)
    return path


@pytest.fixture(scope="session")
def tiny_beamnet_run(tmp_path_factory):
    """A real (tiny) BEAM-Net run: 12 memory neurons, one epoch on digits."""
    from beamnet_lava.config import BeamnetConfig
    from beamnet_lava.training.trainer import train

    out = tmp_path_factory.mktemp("runs") / "tiny_beamnet"
    train(BeamnetConfig(epochs=1, n_memory=12, seed=1), out, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_beamnet_net(tiny_beamnet_run, tmp_path_factory):
    from beamnet_lava.netx_export import export_run

    path = tmp_path_factory.mktemp("nets") / "tiny_beamnet.net"
    export_run(tiny_beamnet_run, path)
    return path


@pytest.fixture(scope="session")
def beamnet30(tmp_path_factory):
    """One BEAM-Net run (30 memory neurons, one epoch on digits, seed 2) and its export:
    ``ROOT/run`` and ``ROOT/bn.net``, trained once for the lanes, Lava round-trip, NIR,
    inspect and stock-variant tests (read-only: write elsewhere)."""
    from beamnet_lava.config import BeamnetConfig
    from beamnet_lava.evaluation.pipeline import train
    from beamnet_lava.netx_export import export_run

    root = tmp_path_factory.mktemp("beamnet30")
    train(BeamnetConfig(epochs=1, n_memory=30, seed=2), root / "run", progress=False)
    export_run(root / "run", root / "bn.net")
    return root


def _seq_run(tmp_path_factory, name, **options):
    """A real (small) recurrent run on digits-seq (one epoch, 20 % of the samples for training)
    and its export: ``ROOT/run``, ``ROOT/seq.net``."""
    from beamnet_lava.config import SeqConfig
    from beamnet_lava.evaluation.pipeline import train
    from beamnet_lava.netx_export import export_run

    root = tmp_path_factory.mktemp(name)
    train(SeqConfig(epochs=1, split=(0.2, 0.1, 0.7), **options), root / "run", progress=False)
    export_run(root / "run", root / "seq.net")
    return root


@pytest.fixture(scope="session")
def brf32(tmp_path_factory):
    """BRF-RSNN, 32 resonators (seed 1), shared by the BRF, lanes and evaluation tests
    (read-only: write elsewhere)."""
    return _seq_run(tmp_path_factory, "brf32", model="brf-rsnn", hidden=(32,), seed=1)


@pytest.fixture(scope="session")
def rf8(tmp_path_factory):
    """RF-RSNN, 8 resonators (seed 2), shared by the BRF determinism, lanes and inspect tests."""
    return _seq_run(tmp_path_factory, "rf8", model="rf-rsnn", hidden=(8,), seed=2)


@pytest.fixture(scope="session")
def tiny_brf_net(tmp_path_factory):
    """A real (tiny) BRF export: 4 resonators, one epoch on 20 % of digits-seq."""
    from beamnet_lava.config import SeqConfig
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.training.trainer import train

    run = tmp_path_factory.mktemp("runs") / "tiny_brf"
    train(SeqConfig(epochs=1, hidden=(4,), seed=0, split=(0.2, 0.1, 0.7)), run, progress=False)
    path = tmp_path_factory.mktemp("nets") / "tiny_brf.net"
    export_run(run, path)
    return path
