"""SLAYER-based training models. Never needs the Lava runtime.

Importing the package registers every family's ``build`` hook (:mod:`beamnet_lava.families`).
"""
from beamnet_lava.models import ann, beamnet, brf, csnn, snn  # noqa: F401  (register the build hooks)
