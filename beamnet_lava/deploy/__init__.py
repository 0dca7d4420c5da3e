"""Loihi 2 deployment without the chip: fit report, INRC job bundle, ingest of its results.

Nothing in this package has run on Loihi 2. ``limits`` holds every hardware number
with its source; ``fit`` says how an exported file would map (``beamnet-lava inspect``);
``bundle`` writes a job folder for an INRC machine; ``ingest`` brings its results back;
``loihi2`` is the ``run --backend loihi2`` back-end.

:func:`declares` and :func:`providers`: the modules that declare and provide the deploy hooks (``fit_profile``,
``bundle_case``, ``loihi2_variant``), attached by the registry
(:func:`beamnet_lava.families.registry.load`).
"""


def declares() -> tuple:
    """The modules of this stage that add hooks (``DECLARES``), for the registry: light, read
    before any stage's providers when a hook's name is not known yet."""
    from beamnet_lava.deploy import bundle, fit, stock_beamnet

    return fit, bundle, stock_beamnet


def providers() -> tuple:
    """The modules of this stage with hooks (``PROVIDES``), for the registry's :func:`load`."""
    from beamnet_lava.deploy import bundle, fit, stock_beamnet

    return fit, bundle, stock_beamnet
