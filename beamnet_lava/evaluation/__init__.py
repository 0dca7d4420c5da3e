"""Evaluation: per-sample predictions, run records (Parquet), reports, comparisons.

:func:`providers`: the modules that provide every family's ``predict``, ``raster``,
``file_predictor`` and the baselines' ``calibrate`` hooks, attached by the registry
(:func:`beamnet_lava.families.registry.load`).
"""


def providers() -> tuple:
    """The modules of this stage with hooks (``PROVIDES``), for the registry's :func:`load`."""
    from beamnet_lava.evaluation import csnn_eval, lava_files, panels, predict

    return csnn_eval, lava_files, panels, predict
