"""Running exported networks as Lava processes (CPU simulator; Loihi 2 config)."""
from beamnet_lava.sim_cpu.runner import LavaNetwork, StreamResult

__all__ = ["LavaNetwork", "StreamResult"]
