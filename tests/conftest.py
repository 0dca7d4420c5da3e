import os
import shutil
import sys
from pathlib import Path
from typing import Callable

import beamnet_lava  # noqa: F401  - applies the lava-nc shim before any lava import
import pytest
from filelock import FileLock

from beamnet_lava.config import SNNConfig

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def shared(tmp_path_factory, name: str, build: Callable[[Path], None]):
    """Build ``name`` once per test session, also across pytest-xdist workers.

    ``build(root)`` fills the empty folder ``root``. The first worker to ask builds it under
    a file lock (in the basetemp folder every worker of one session shares); the others
    wait for it and use the same files. So a shared folder is read-only for tests (copy it
    to write): each user checks at the end of its session that no file in it changed.
    Returns ``(root, check)``; ``check()`` raises if the folder changed.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent                     # the session's folder, shared by the workers
    root = base / "shared" / name
    root.parent.mkdir(parents=True, exist_ok=True)
    built = root.with_name(name + ".built")
    with FileLock(str(root) + ".lock"):
        if not built.exists():
            shutil.rmtree(root, ignore_errors=True)   # a half-built folder of a crashed worker
            root.mkdir()
            build(root)
            built.touch()
    before = _listing(root)

    def check() -> None:
        after = _listing(root)
        assert after == before, (f"a test changed the shared read-only fixture {name}: "
                                 f"{sorted(set(after.items()) ^ set(before.items()))[:5]}")
    return root, check



@pytest.fixture(scope="session")
def tiny_config() -> SNNConfig:
    return SNNConfig(epochs=2, hidden=(24,), time_steps=8, seed=3)


def _trained(tmp_path_factory, name: str, config, leaf: str, net: str | None = None):
    """A real run of ``config`` on its dataset at ``ROOT/leaf`` (and its export at
    ``ROOT/net``), trained once per session for every worker: yields ROOT, then checks the
    tests left it as it was."""
    def build(root: Path) -> None:
        from beamnet_lava.workflows.train import train
        from beamnet_lava.netx_export import export_run

        train(config, root / leaf, progress=False)
        if net:
            export_run(root / leaf, root / net)

    root, check = shared(tmp_path_factory, name, build)
    yield root
    check()


@pytest.fixture(scope="session")
def _tiny(tmp_path_factory, tiny_config):
    yield from _trained(tmp_path_factory, "tiny", tiny_config, "tiny", "tiny.net")


def _part(name: str, root: str, leaf: str, doc: str):
    """A session fixture ``name``: the path ``leaf`` inside the shared fixture ``root``."""
    def part(request):
        return request.getfixturevalue(root) / leaf
    part.__doc__ = doc
    return pytest.fixture(scope="session", name=name)(part)


tiny_run = _part("tiny_run", "_tiny", "tiny",
                 "A real (tiny) training run on digits: config, checkpoint, metrics (read-only).")
tiny_net = _part("tiny_net", "_tiny", "tiny.net", "tiny_run exported to NetX (read-only).")


@pytest.fixture(scope="session")
def beamnet30(tmp_path_factory):
    """One BEAM-Net run (30 memory neurons, one epoch on digits, seed 2) and its export:
    ``ROOT/run`` and ``ROOT/bn.net``, trained once for the lanes, Lava round-trip, NIR,
    inspect and stock-variant tests (read-only: write elsewhere)."""
    from beamnet_lava.config import BeamnetConfig

    yield from _trained(tmp_path_factory, "beamnet30", BeamnetConfig(epochs=1, n_memory=30, seed=2),
                        "run", "bn.net")


def _seq_run(tmp_path_factory, name, **options):
    """A real (small) recurrent run on digits-seq (one epoch, 20 % of the samples for training)
    and its export: ``ROOT/run``, ``ROOT/seq.net`` (read-only)."""
    from beamnet_lava.config import SeqConfig

    yield from _trained(tmp_path_factory, name,
                        SeqConfig(epochs=1, split=(0.2, 0.1, 0.7), **options), "run", "seq.net")


@pytest.fixture(scope="session")
def brf32(tmp_path_factory):
    """BRF-RSNN, 32 resonators (seed 1), shared by the BRF, lanes and evaluation tests
    (read-only: write elsewhere)."""
    yield from _seq_run(tmp_path_factory, "brf32", model="brf-rsnn", hidden=(32,), seed=1)


@pytest.fixture(scope="session")
def rf8(tmp_path_factory):
    """RF-RSNN, 8 resonators (seed 2), shared by the BRF determinism, lanes and inspect tests."""
    yield from _seq_run(tmp_path_factory, "rf8", model="rf-rsnn", hidden=(8,), seed=2)


# for tests that only need some file of a family (read-only: edit a copy)
shared_beamnet_run = _part("shared_beamnet_run", "beamnet30", "run", "beamnet30's run.")
shared_beamnet_net = _part("shared_beamnet_net", "beamnet30", "bn.net", "beamnet30's NetX file.")
shared_brf_net = _part("shared_brf_net", "brf32", "seq.net", "brf32's NetX file.")
