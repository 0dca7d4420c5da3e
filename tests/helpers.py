"""Small helpers shared by tests."""
import shutil

import h5py


def edited_copy(src, tmp_path, edit, name="edited.net"):
    """Copy an HDF5 file and apply ``edit(h5py.File)`` to the copy."""
    path = tmp_path / name
    shutil.copy(src, path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def run_connection(conn, spikes, tag, segments, between=None):
    """Drive the synapse process ``conn`` with ``spikes`` ``(inputs, steps)`` from a lava
    RingBuffer source into a RingBuffer sink, watchdogged, in ``segments`` runs of that many
    steps (``between(conn)`` after each but the last); returns the sink's data and ``conn``'s
    ``synaptic_events`` (None if it has none)."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc import io

    from beamnet_lava.sim_cpu import watchdog

    src = io.source.RingBuffer(data=spikes)
    sink = io.sink.RingBuffer(shape=conn.a_out.shape, buffer=sum(segments))
    src.s_out.connect(conn.s_in)
    conn.a_out.connect(sink.a_in)
    cfg = Loihi2SimCfg(select_tag=tag)
    try:
        watchdog.guarded(lambda: src.create_runtime(run_cfg=cfg), lambda: src.runtime, 120, "compile")
        for k, steps in enumerate(segments):
            watchdog.guarded(lambda n=steps: src.run(condition=RunSteps(num_steps=n)), lambda: src.runtime,
                             120, "run")
            if between is not None and k < len(segments) - 1:
                between(conn)
        out = sink.data.get()
        events = conn.synaptic_events.get() if hasattr(conn, "synaptic_events") else None
    finally:
        src.stop()
    return out, events


def lava_dl_affine_file(path, n_in, n_hidden, n_out):
    """A NetX file written by lava-dl's own slayer blocks: a cuba.Dense hidden layer and a
    cuba.Affine readout (slayer exports its threshold as vThMant 2**18 - 1, never fires)."""
    import torch

    from beamnet_lava._quiet import import_slayer

    slayer = import_slayer()
    p = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03, "requires_grad": False}
    hidden, readout = slayer.block.cuba.Dense(p, n_in, n_hidden), slayer.block.cuba.Affine(p, n_hidden, n_out)
    readout(hidden(torch.zeros(1, n_in, 5)))
    with h5py.File(path, "w") as f:
        hidden.export_hdf5(f.create_group("layer/0"))
        readout.export_hdf5(f.create_group("layer/1"))
    return path
