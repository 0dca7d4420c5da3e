"""Loihi 2 deployment without the chip: fit report, INRC job bundle, ingest of its results.

Nothing in this package has run on Loihi 2. ``limits`` holds every hardware number
with its source; ``fit`` says how an exported file would map (``beamnet-lava inspect``);
``bundle`` writes a job folder for an INRC machine; ``ingest`` brings its results back.

Importing the package registers the deploy hooks (``fit_profile``, ``bundle_case``,
``loihi2_variant``) and the file-only ``beamnet-stock`` family's read / run hooks.
"""
from beamnet_lava.deploy import bundle, fit, stock_beamnet  # noqa: F401  (register the hooks)
