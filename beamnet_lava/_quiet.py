"""Import lava-dl's SLAYER without the noise it prints on import.

``import lava.lib.dl.slayer`` prints a Prophesee toolbox warning to stdout (its
object-detection module) and torch logs a CUDA_HOME warning on a CPU machine.
Neither concerns our users; both would corrupt ``--json -`` output.
"""
from __future__ import annotations

import contextlib
import io
import logging
import warnings


def import_slayer():
    """Return the ``lava.lib.dl.slayer`` module, imported quietly."""
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lava.lib.dl.slayer as slayer
    return slayer
