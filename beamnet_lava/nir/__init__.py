"""NIR interchange (the Neuromorphic Intermediate Representation, PyPI ``nir``): NetX <-> NIR.

- :mod:`beamnet_lava.nir.bridge`: the mapping, ``export --format nir`` and ``import``.
- :mod:`beamnet_lava.nir.beamnet`: BEAM-Net's Delta -> 0 core (``--deterministic``).
- :mod:`beamnet_lava.nir.csnn_nir`: the CSNN's Conv2d / SumPool2d / Flatten graph.
- :mod:`beamnet_lava.nir.peers`: what snnTorch and Norse simulate for a graph (tests, benchmarks).

Importing the package registers every family's ``to_nir`` hook. Inside this package
``import nir`` is the external NIR library (absolute imports), never this package.
"""
from beamnet_lava.nir import beamnet, bridge, csnn_nir  # noqa: F401  (the to_nir hooks)
