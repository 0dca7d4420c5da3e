"""Where each process of a compiled Lava network runs: chip or host (standalone: lava-nc only).

After compilation every Lava process has the process model its RunConfig selected
(``process.model_class``). Under ``Loihi2HwCfg`` that is a neuro-core (Nc) model if one is
installed, else a C model, else -- silently -- the first Python model found
(lava/magma/core/run_configs.py, ``Loihi2HwCfg._order_according_to_resources`` and
``AbstractLoihiRunCfg.select`` case 3b(i)), which runs on the host CPU and, for lava's own
processes, is often the floating-point model. This module states that per process.

Imports nothing of beamnet-lava: INRC job bundles ship a copy of this file next to
``run_loihi2.py``, and ``beamnet-lava run --backend loihi2`` uses it, so both say the same.
"""
from __future__ import annotations


def _optional(module: str, name: str):
    try:
        return getattr(__import__(module, fromlist=[name]), name)
    except (ImportError, AttributeError):
        return None


def runs_on(model_class) -> str:
    """'chip (neuro-core)', 'chip (embedded C)', 'host (Python, <tags>)' or 'host (other)'."""
    from lava.magma.core.model.py.model import AbstractPyProcessModel

    nc = _optional("lava.magma.core.model.nc.model", "AbstractNcProcessModel")
    c = _optional("lava.magma.core.model.c.model", "CLoihiProcessModel")
    if nc is not None and issubclass(model_class, nc):
        return "chip (neuro-core)"
    if c is not None and issubclass(model_class, c):
        return "chip (embedded C)"
    if issubclass(model_class, AbstractPyProcessModel):
        tags = ", ".join(getattr(model_class, "tags", [])) or "untagged"
        return f"host (Python, {tags})"
    return "host (other)"


def process_placements(root) -> list[dict]:
    """One row per leaf process connected to ``root`` (call after compiling)."""
    from lava.magma.compiler.compiler_graphs import find_processes
    from lava.magma.core.model.sub.model import AbstractSubProcessModel

    rows = []
    for proc in find_processes(root):
        model = getattr(proc, "model_class", None)
        if model is None or issubclass(model, AbstractSubProcessModel):
            continue                  # hierarchical: its sub-processes are listed instead
        rows.append({"process": proc.name, "class": type(proc).__name__,
                     "model": model.__name__, "runs_on": runs_on(model)})
    return rows


def describe(rows: list[dict]) -> str:
    lines = [f"  {r['class']:<18} {r['process']:<28} -> {r['runs_on']} [{r['model']}]" for r in rows]
    return "\n".join(["where each process runs:"] + lines)
