"""Running exported networks as Lava processes (CPU simulator; Loihi 2 config).

Importing the package registers every family's ``lava_run`` hook.
"""
from beamnet_lava.sim_cpu import beamnet_run, brf_run, csnn_run, evaluate, snn_run  # noqa: F401  (register lava_run)
from beamnet_lava.sim_cpu.runner import LavaNetwork, StreamResult

__all__ = ["LavaNetwork", "StreamResult"]
