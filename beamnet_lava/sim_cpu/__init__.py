"""Running exported networks as Lava processes (the CPU simulator; back-ends: backends.py).

:func:`providers`: the modules that provide every family's ``lava_run`` hook and declare and
provide ``spike_inputs`` (spike_hook.py), attached by the registry
(:func:`beamnet_lava.families.registry.load`).
"""


def declares() -> tuple:
    """The modules of this stage that add hooks (``DECLARES``), for the registry: light, read
    before any stage's providers when a hook's name is not known yet."""
    from beamnet_lava.sim_cpu import spike_hook

    return spike_hook,


def providers() -> tuple:
    """The modules of this stage with hooks (``PROVIDES``), for the registry's :func:`load`."""
    from beamnet_lava.sim_cpu import (beamnet_run, brf_run, csnn_run, lavadl_run, snn_run, spike_hook,
                                      stock_run)

    return spike_hook, beamnet_run, brf_run, csnn_run, lavadl_run, snn_run, stock_run


from beamnet_lava.sim_cpu.runner import LavaNetwork, StreamResult  # noqa: E402

__all__ = ["LavaNetwork", "StreamResult", "providers"]
