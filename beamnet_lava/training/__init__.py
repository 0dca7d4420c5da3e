"""Training loop and checkpoints. Never needs the Lava runtime.

:func:`providers`: the modules that provide every family's ``train``, ``train_memory`` and
BEAM-Net's ``calibrate`` hooks, attached by the registry (:func:`beamnet_lava.families.registry.load`).
"""


def providers() -> tuple:
    """The modules of this stage with hooks (``PROVIDES``), for the registry's :func:`load`."""
    from beamnet_lava.training import ann_train, beamnet_train, brf_train, csnn_train, snn_train

    return ann_train, beamnet_train, brf_train, csnn_train, snn_train
