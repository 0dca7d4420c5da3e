"""Import lava-dl's SLAYER without the noise it prints on import.

``import lava.lib.dl.slayer`` prints a Prophesee toolbox warning to stdout (its
object-detection module) and torch logs a CUDA_HOME warning on a CPU machine.
Neither concerns our users; both would corrupt ``--json -`` output.

That object-detection subpackage (``slayer.obd``: YOLO-style blocks built on
torchvision) is also most of the import's cost: it pulls in torchvision and
torch._dynamo, about 60 % of ``import lava.lib.dl.slayer`` on this machine, in every
``beamnet-lava`` process. Nothing here uses it, so it is imported lazily
(:class:`_Deferred`): it loads, unchanged, on first use.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import logging
import sys
import types
import warnings

OBJECT_DETECTION = "lava.lib.dl.slayer.object_detection"


class _Deferred(types.ModuleType):
    """Stands in for slayer's object-detection package until something uses it.

    Dunder look-ups (``__file__``, ``__spec__``, ... which ``inspect`` and pickling probe
    on every module in ``sys.modules``) find nothing and do not load it; the first real
    attribute (or ``__path__``, for a submodule import) imports the package itself,
    unchanged, and puts it where the stand-in was.
    """

    def __getattr__(self, name: str):
        if name.startswith("__") and name != "__path__":
            raise AttributeError(name)
        if sys.modules.get(OBJECT_DETECTION) is self:
            del sys.modules[OBJECT_DETECTION]
        with _silenced():
            real = importlib.import_module(OBJECT_DETECTION)
        slayer = sys.modules.get("lava.lib.dl.slayer")
        if slayer is not None and getattr(slayer, "obd", None) is self:
            slayer.obd = real
        return getattr(real, name)


def _defer_object_detection() -> None:
    if "lava.lib.dl.slayer" not in sys.modules:
        sys.modules.setdefault(OBJECT_DETECTION, _Deferred(OBJECT_DETECTION))


@contextlib.contextmanager
def _silenced():
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def import_slayer():
    """Return the ``lava.lib.dl.slayer`` module, imported quietly."""
    _defer_object_detection()
    with _silenced():
        import lava.lib.dl.slayer as slayer
    return slayer
