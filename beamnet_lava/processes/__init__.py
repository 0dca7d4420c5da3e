"""beamnet-lava's own Lava processes, laid out like lava-nc's process library:
``<name>/process.py`` declares the interface, ``<name>/models.py`` the
behaviour (one process model per tag: ``fixed_pt``, ``floating_pt``).
"""
