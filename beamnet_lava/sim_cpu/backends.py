"""Back-ends: what a Lava run compiles for. A back-end is its name (what reports record) plus
its RunConfig and what it does after compilation; the Lava CPU simulator is the one this
package has. The Loihi 2 back-end (Intel's lava-loihi) is deployment code and lives in
:mod:`beamnet_lava.deploy.loihi2`; the caller passes it down (``backend=LOIHI2``: the CLI's
``run --backend loihi2`` does), so this package never imports deploy.
"""
from __future__ import annotations

from typing import Any, Callable

from beamnet_lava.errors import BeamnetError
from beamnet_lava.names import BACKENDS, PRECISIONS


class Backend(str):
    """A back-end: a ``str`` (its name, e.g. ``"cpu"``: reports, JSON and comparisons keep
    working) that also knows its Lava RunConfig (``run_config(precision)``) and what to do with
    the compiled network (``on_compiled(root_process)``: a value kept as ``placements``, or None)."""

    def __new__(cls, name: str, run_config: Callable[[str], Any] | None = None,
                on_compiled: Callable[[Any], Any] | None = None) -> "Backend":
        self = super().__new__(cls, name)
        self.run_config = run_config
        self.on_compiled = on_compiled or (lambda root: None)
        return self


def _simulator(precision: str):
    from lava.magma.core.run_configs import Loihi2SimCfg

    return Loihi2SimCfg(select_tag="fixed_pt" if precision == "fixed" else "floating_pt")


CPU = Backend("cpu", _simulator)


def backend_of(backend: str) -> Backend:
    """The back-end ``backend`` names: a :class:`Backend` as given, ``"cpu"`` the simulator; the
    name of another back-end is a one-line error saying where it lives."""
    if isinstance(backend, Backend) and backend.run_config is not None:
        return backend
    if backend == "cpu":
        return CPU
    if backend in BACKENDS:
        raise BeamnetError(f"backend {backend!r} is the Loihi 2 back-end (needs Intel's lava-loihi): "
                           "pass beamnet_lava.deploy.loihi2.LOIHI2 as the backend (`beamnet-lava run "
                           "--backend loihi2` does)")
    raise BeamnetError(f"unknown backend {backend!r}; choose {' or '.join(BACKENDS)}")


def run_config(precision: str, backend: str):
    """The Lava RunConfig for ``precision`` ('fixed'/'float') on ``backend`` (a name or a Backend)."""
    if precision not in PRECISIONS:
        raise BeamnetError(f"unknown precision {precision!r}; choose fixed or float")
    return backend_of(backend).run_config(precision)
