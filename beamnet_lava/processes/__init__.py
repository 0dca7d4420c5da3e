"""beamnet-lava's own Lava processes, laid out like lava-nc's process library:
``<name>/process.py`` declares the interface, ``<name>/models.py`` the
behaviour (one process model per tag: ``fixed_pt``, ``floating_pt``). What several processes
share is written once beside them: ``window.py`` (the sample window and reset),
``mapped_rows.py`` (the memory-mapped host I/O of ``spike_io`` and ``array_io``).
"""
