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
def tiny_brf_net(tmp_path_factory):
    """A real (tiny) BRF export: 4 resonators, one epoch on digits-seq."""
    from beamnet_lava.config import SeqConfig
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.training.trainer import train

    run = tmp_path_factory.mktemp("runs") / "tiny_brf"
    train(SeqConfig(epochs=1, hidden=(4,), seed=0), run, progress=False)
    path = tmp_path_factory.mktemp("nets") / "tiny_brf.net"
    export_run(run, path)
    return path
