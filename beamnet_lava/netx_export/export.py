"""Export a trained run to a NetX HDF5 file that stock lava-dl loads."""
from __future__ import annotations

from pathlib import Path

import h5py

from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import atomic_path, refuse_overwrite
from beamnet_lava.netx_export.netx_file import FORMAT_VERSION, NetxNetwork, read_netx
from beamnet_lava.training.checkpoint import load_run


def export_run(run_dir: str | Path, out: str | Path, force: bool = False) -> NetxNetwork:
    """Write ``run_dir``'s best checkpoint to ``out`` and return the validated file.

    The model exports a copy of itself (slayer's ``export_hdf5`` strips weight
    normalisation as a side effect) and the checkpoint is only read. The file is written beside ``out`` and renamed into place only after it
    validates; an existing ``out`` is kept unless ``force``.
    """
    out = Path(out)
    refuse_overwrite(out, force)
    run = load_run(run_dir)
    if run.config.model != "snn":
        raise BeamnetError(f"{run_dir} holds a {run.config.model} model; NetX export of BEAM-Net "
                           "(its Lava processes and NetX extension) is not available yet")
    model = run.model
    with atomic_path(out) as tmp:
        with h5py.File(tmp, "w") as f:
            model.export_hdf5(f)
            f.attrs["beamnet_format"] = FORMAT_VERSION
            f.attrs["model"] = run.config.model
            f.attrs["dataset"] = run.config.dataset
            f.attrs["encoding"] = "rate"
            f.attrs["time_steps"] = run.config.time_steps
            f.attrs["n_classes"] = model.sizes[-1]
            f.attrs["seed"] = run.config.seed
        read_netx(tmp)  # refuse to publish a file we could not run
    return read_netx(out)
