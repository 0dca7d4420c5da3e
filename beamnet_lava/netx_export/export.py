"""Export a trained run to a NetX HDF5 file that stock lava-dl loads."""
from __future__ import annotations

import io
from pathlib import Path

import h5py

from beamnet_lava import rundir
from beamnet_lava.errors import BeamnetError
from beamnet_lava.data.datasets import EVENT_DATASETS
from beamnet_lava.io_utils import atomic_path, refuse_overwrite
from beamnet_lava.netx_export.beamnet_file import read_beamnet, write_beamnet
from beamnet_lava.netx_export.netx_file import FORMAT_VERSION, NetxNetwork, read_netx
from beamnet_lava.training.checkpoint import load_run


def export_run(run_dir: str | Path, out: str | Path, force: bool = False) -> NetxNetwork:
    """Write ``run_dir``'s best checkpoint to ``out`` and return the validated file.

    The model exports a copy of itself (slayer's ``export_hdf5`` strips weight
    normalisation as a side effect) and the checkpoint is only read. The file is written beside ``out`` and renamed into place only after it
    validates; an existing ``out`` is kept unless ``force``. The file records
    the run id of ``run_dir`` (root attribute ``beamnet_run_id``).
    """
    out = Path(out)
    refuse_overwrite(out, force)
    run = load_run(run_dir)
    if run.config.model in ("brf-rsnn", "rf-rsnn", "alif-rsnn"):
        from beamnet_lava.netx_export.brf_file import export_brf_run

        return export_brf_run(run, out, force)
    model = run.model
    if run.config.model == "ann":
        raise BeamnetError(f"{run_dir} is an ANN-MLP baseline: it has no spiking network to export "
                           "to NetX (evaluate it with `beamnet-lava evaluate` instead)")
    beamnet = run.config.model == "beamnet"
    buffer = io.BytesIO()       # HDF5 is built in memory: a full disk fails one plain write
    with h5py.File(buffer, "w") as f:
        if beamnet:
            write_beamnet(f, model)
        else:
            model.export_hdf5(f)
        f.attrs["beamnet_format"] = FORMAT_VERSION
        f.attrs["model"] = run.config.model
        f.attrs["dataset"] = run.config.dataset
        events = run.config.dataset in EVENT_DATASETS      # SNN inputs: binned events (Eq. 6)
        f.attrs["encoding"] = run.config.encoding if beamnet else ("events" if events else "rate")
        f.attrs["time_steps"] = run.config.time_steps
        f.attrs["n_classes"] = model.n_classes if beamnet else model.sizes[-1]
        f.attrs["seed"] = run.config.seed
        if "temperature" in run.calibration:     # probabilities = softmax(counts / T)
            f.attrs["temperature"] = float(run.calibration["temperature"])
        for key in ("event_downsample", "event_polarity", "event_window_ms"):   # Eq. 6 inputs
            f.attrs[key] = getattr(run.config, key)
        rundir.stamp(f, run_dir)
    return publish(out, buffer.getvalue(), read_beamnet if beamnet else read_netx, force, run_dir)


def publish(out: Path, data: bytes, read, force: bool, run_dir: str | Path):
    """Write an export's bytes to ``out`` once ``read`` accepts them; return what it read.

    An existing ``out`` is replaced only with ``force`` (checked again at the
    rename: two exports racing for one name cannot both win); the file is
    recorded in the manifest of the run directory it lands in."""
    with atomic_path(out, replace=force) as tmp:
        tmp.write_bytes(data)
        net = read(tmp)          # refuse to publish a file we could not run
    if hasattr(net, "path"):
        net.path = out
    rundir.register(out, rundir.run_id(run_dir))
    return net
