"""Import shims: the Python 3.11 shim for lava-nc 0.10 (beamnet_lava.compat) and the quiet, lazy SLAYER import (beamnet_lava._quiet)."""
import dataclasses
import subprocess
import sys
import textwrap

import pytest

from beamnet_lava import compat


def _py(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not compat.needed(), reason="the shim only matters on Python >= 3.11")
def test_lava_fails_to_import_without_the_shim():
    r = _py("import lava.magma.compiler.var_model")
    assert r.returncode != 0
    assert "mutable default" in r.stderr


def test_lava_imports_with_the_shim_and_dataclass_is_restored():
    # load compat.py on its own, so the package's __init__ has not applied it yet
    r = _py("import dataclasses, importlib.util; orig = dataclasses.dataclass\n"
            f"spec = importlib.util.spec_from_file_location('c', {compat.__file__!r})\n"
            "compat = importlib.util.module_from_spec(spec); spec.loader.exec_module(compat)\n"
            "patched = compat.apply()\n"
            "assert dataclasses.dataclass is orig\n"
            "from lava.magma.compiler.var_model import ByteEncoder\n"
            "hash(ByteEncoder())\n"
            "from lava.magma.core.run_configs import Loihi2SimCfg\n"
            "print(patched)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(compat.needed())


def test_package_import_applies_shim_first():
    r = _py("import beamnet_lava, sys; print('lava.magma.compiler.var_model' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"


def test_shim_leaves_other_modules_dataclasses_alone():
    wrapped = compat._hashable_dataclass(dataclasses.dataclass)

    @wrapped
    class Elsewhere:
        x: int = 0

    assert Elsewhere.__hash__ is None  # eq dataclass outside var_model stays unhashable
    assert compat.apply() is False       # already applied in this process: no-op


@pytest.mark.slow   # a fresh interpreter importing torchvision and torch._dynamo: ~10 s
def test_slayer_imports_quietly_without_its_object_detection_until_used():
    # a fresh interpreter: whether torchvision got imported is a per-process fact
    code = textwrap.dedent("""
        import inspect, sys
        from beamnet_lava._quiet import import_slayer
        slayer = import_slayer()
        from lava.lib.dl import netx
        inspect.getmodule(import_slayer)          # probes every module's __file__
        print("deferred", "torchvision" in sys.modules)
        box = slayer.obd.bbox                     # first use loads the real package
        print("loaded", "torchvision" in sys.modules, box.__name__, type(slayer.obd).__name__)
        from lava.lib.dl.slayer.object_detection.boundingbox import utils
        print("submodule", utils.__name__)
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "deferred False",
        "loaded True lava.lib.dl.slayer.object_detection.boundingbox module",
        "submodule lava.lib.dl.slayer.object_detection.boundingbox.utils"]
