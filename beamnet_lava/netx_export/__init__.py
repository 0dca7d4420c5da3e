"""Model -> NetX HDF5, and NetX HDF5 -> a validated description to build Lava from.

:func:`providers`: the modules that provide every family's ``export`` and ``read`` hooks
(``to_nir``: :mod:`beamnet_lava.nir`), attached by the registry
(:func:`beamnet_lava.families.registry.load`).
"""


def providers() -> tuple:
    """The modules of this stage with hooks (``PROVIDES``), for the registry's :func:`load`."""
    from beamnet_lava.netx_export import (beamnet_file, brf_file, csnn_file, export, lavadl_file,
                                          netx_file, stock_file)

    return beamnet_file, brf_file, csnn_file, export, lavadl_file, netx_file, stock_file


from beamnet_lava.netx_export.export import export_run, file_family, read_export  # noqa: E402
from beamnet_lava.netx_export.netx_file import NetxNetwork, read_netx  # noqa: E402

__all__ = ["export_run", "file_family", "providers", "read_export", "read_netx", "NetxNetwork"]
