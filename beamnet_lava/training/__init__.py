"""Training loop and checkpoints. Never needs the Lava runtime.

Importing the package registers every family's ``train`` hook (:mod:`beamnet_lava.families`).
"""
from beamnet_lava.training import ann_train, beamnet_train, brf_train, csnn_train, snn_train  # noqa: F401
