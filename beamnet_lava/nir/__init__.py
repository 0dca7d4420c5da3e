"""NIR interchange (the Neuromorphic Intermediate Representation, PyPI ``nir``): NetX <-> NIR.

- :mod:`beamnet_lava.nir.bridge`: the mapping, ``export --format nir`` and ``import``.
- :mod:`beamnet_lava.nir.beamnet`: BEAM-Net's Delta -> 0 core (``--deterministic``).
- :mod:`beamnet_lava.nir.csnn_nir`: the CSNN's Conv2d / SumPool2d / Flatten graph.
- :mod:`beamnet_lava.nir.peers`: what snnTorch and Norse simulate for a graph (tests, benchmarks).

:func:`providers`: the modules that declare the ``to_nir`` hook (bridge.py, with its refusals)
and provide it, attached by the registry (:func:`beamnet_lava.families.registry.load`).
Inside this package ``import nir`` is the external NIR library (absolute imports), never this
package.
"""


def declares() -> tuple:
    """The modules of this stage that add hooks (``DECLARES``), for the registry: light, read
    before any stage's providers when a hook's name is not known yet."""
    from beamnet_lava.nir import bridge

    return bridge,


def providers() -> tuple:
    """The modules of this stage with hooks (``PROVIDES``), for the registry's :func:`load`."""
    from beamnet_lava.nir import beamnet, bridge, csnn_nir

    return bridge, beamnet, csnn_nir
