"""Model -> NetX HDF5, and NetX HDF5 -> a validated description to build Lava from."""
from beamnet_lava.netx_export.export import export_run
from beamnet_lava.netx_export.netx_file import NetxNetwork, read_netx

__all__ = ["export_run", "read_netx", "NetxNetwork"]
