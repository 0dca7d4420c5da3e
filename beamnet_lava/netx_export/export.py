"""Export a trained run to a NetX HDF5 file that stock lava-dl loads, and read exports back.

Every export names its model family in the root attribute ``model``; :func:`read_export`
routes a file by it (a stock lava-dl file has none and is the SNN family by definition).
"""
from __future__ import annotations

import io
from pathlib import Path


import h5py

from beamnet_lava import rundir
from beamnet_lava.names import EVENT_DATASETS
from beamnet_lava.families import Family, family_of, family_of_file, get_family, implements
from beamnet_lava.io_utils import atomic_path, refuse_overwrite
from beamnet_lava.netx_export.beamnet_file import read_beamnet, write_beamnet
from beamnet_lava.netx_export.lavadl_file import LAVADL, is_lavadl
from beamnet_lava.netx_export.netx_file import (FORMAT_VERSION, NetxNetwork, open_hdf5, read_netx,
                                                root_attrs)
from beamnet_lava.training.checkpoint import LoadedRun, load_run


def export_run(run_dir: str | Path, out: str | Path, force: bool = False):
    """Write ``run_dir``'s best checkpoint to ``out`` and return the validated file.

    The model exports a copy of itself (slayer's ``export_hdf5`` strips weight
    normalisation as a side effect) and the checkpoint is only read. The file is written
    beside ``out`` and renamed into place only after it validates; an existing ``out`` is
    kept unless ``force``. The family's ``export`` hook writes it; the file records the
    run id of ``run_dir`` (root attribute ``beamnet_run_id``).
    """
    out = Path(out)
    refuse_overwrite(out, force)
    run = load_run(run_dir)
    return family_of(run.config).hook("export", subject=run_dir)(run, out, force)


def file_family(path: str | Path) -> Family:
    """The model family of an exported file, from its root attribute ``model``."""
    with open_hdf5(path) as f:
        attrs, stock = root_attrs(f), "layer" in f
    if stock and "model" not in attrs and is_lavadl(path):
        return get_family(LAVADL)        # conv, pool, SDNN, input block, current readout
    return family_of_file(path, attrs, stock)


def read_export(path: str | Path):
    """``(family, validated file)`` of an exported network, routed by its family."""
    family = file_family(path)
    return family, family.hook("read")(path)


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


def _export_layered(run: LoadedRun, out: Path, force: bool, write, encoding: str, read):
    """The SNN and BEAM-Net exports: NetX layers (``write``) plus the root attributes."""
    model = run.model
    buffer = io.BytesIO()       # HDF5 is built in memory: a full disk fails one plain write
    with h5py.File(buffer, "w") as f:
        write(f, model)
        f.attrs["beamnet_format"] = FORMAT_VERSION
        f.attrs["model"] = run.config.model
        f.attrs["dataset"] = run.config.dataset
        f.attrs["encoding"] = encoding
        f.attrs["time_steps"] = run.config.time_steps
        f.attrs["n_classes"] = model.sizes[-1]
        f.attrs["seed"] = run.config.seed
        if "temperature" in run.calibration:     # probabilities = softmax(counts / T)
            f.attrs["temperature"] = float(run.calibration["temperature"])
        for key in ("event_downsample", "event_polarity", "event_window_ms"):   # Eq. 6 inputs
            f.attrs[key] = getattr(run.config, key)
        rundir.stamp(f, run.run_dir)
    return publish(out, buffer.getvalue(), read, force, run.run_dir)


@implements("snn", hook="export")
def export_snn(run: LoadedRun, out: Path, force: bool = False) -> NetxNetwork:
    """slayer's own ``export_hdf5``; inputs are rate-coded images or binned events (Eq. 6)."""
    events = run.config.dataset in EVENT_DATASETS
    return _export_layered(run, out, force, lambda f, m: m.export_hdf5(f),
                           "events" if events else "rate", read_netx)


@implements("beamnet", hook="export")
def export_beamnet(run: LoadedRun, out: Path, force: bool = False):
    """NetX layers plus the documented BEAM-Net extension (docs/netx_extension.md)."""
    return _export_layered(run, out, force, write_beamnet, run.config.encoding, read_beamnet)
