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
