"""SLAYER-based training models. Never needs the Lava runtime.

:func:`providers`: the modules that provide every family's ``build`` hook (their ``PROVIDES``),
attached by the registry (:func:`beamnet_lava.families.registry.load`); importing registers nothing.
"""


def providers() -> tuple:
    """The modules of this stage with hooks (``PROVIDES``), for the registry's :func:`load`."""
    from beamnet_lava.models import ann, beamnet, brf, csnn, snn

    return ann, beamnet, brf, csnn, snn
