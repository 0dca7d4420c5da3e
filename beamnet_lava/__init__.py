"""beamnet-lava: train spiking networks with lava-dl SLAYER, export them to NetX
HDF5 and run them as Lava processes (CPU simulator, Loihi 2).

Importing the package applies the Python 3.11 shim for lava-nc
(:mod:`beamnet_lava.compat`) before anything can import lava.
"""
from beamnet_lava import compat as _compat

_compat.apply()

__version__ = "0.1.0"
