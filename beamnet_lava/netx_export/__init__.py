"""Model -> NetX HDF5, and NetX HDF5 -> a validated description to build Lava from.

Importing the package registers every family's ``export`` and ``read`` hooks (``to_nir``:
:mod:`beamnet_lava.nir`).
"""
from beamnet_lava.netx_export import brf_file, csnn_file  # noqa: F401  (registers the BRF/RF, CSNN hooks)
from beamnet_lava.netx_export.export import export_run, file_family, read_export
from beamnet_lava.netx_export.netx_file import NetxNetwork, read_netx

__all__ = ["export_run", "file_family", "read_export", "read_netx", "NetxNetwork"]
