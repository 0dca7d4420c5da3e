"""Export a trained run to a NetX HDF5 file that stock lava-dl loads, and read exports back.

Every export names its model family in the root attribute ``model``; :func:`read_export`
routes a file by it (a stock lava-dl file has none and is the SNN family by definition).
"""
from __future__ import annotations

from pathlib import Path

from beamnet_lava.names import EVENT_DATASETS
from beamnet_lava.families import Family, family_of, family_of_file, get_family
from beamnet_lava.families.registry import provide
from beamnet_lava.io_utils import refuse_overwrite
from beamnet_lava.netx_export.beamnet_file import read_beamnet, write_beamnet
from beamnet_lava.netx_export.lavadl_file import LAVADL, is_lavadl
from beamnet_lava.netx_export.netx_file import (FORMAT_VERSION, NetxNetwork, open_hdf5, read_netx,
                                                root_attrs)
from beamnet_lava.netx_export.netx_writer import NetxWriter
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


def root_attrs_of(run: LoadedRun, encoding: str, n_classes: int) -> dict:
    """The root attributes every export of a trained run records (docs/netx_extension.md)."""
    cfg = run.config
    attrs = {"beamnet_format": FORMAT_VERSION, "model": cfg.model, "dataset": cfg.dataset,
             "encoding": encoding, "time_steps": cfg.time_steps, "n_classes": n_classes,
             "seed": cfg.seed}
    if "temperature" in run.calibration:     # probabilities = softmax(counts / T)
        attrs["temperature"] = float(run.calibration["temperature"])
    for key in ("event_downsample", "event_polarity", "event_window_ms"):   # Eq. 6 inputs
        attrs[key] = getattr(cfg, key)
    return attrs


def export_snn(run: LoadedRun, out: Path, force: bool = False) -> NetxNetwork:
    """slayer's own ``export_hdf5``; inputs are rate-coded images or binned events (Eq. 6)."""
    events = run.config.dataset in EVENT_DATASETS
    w = NetxWriter()
    w.slayer_blocks(run.model.clone().blocks)   # a copy: slayer's export strips weight norm
    w.attrs(root_attrs_of(run, "events" if events else "rate", run.model.sizes[-1]))
    w.stamp(run.run_dir)
    return w.publish(out, read_netx, force=force, run_dir=run.run_dir)


def export_beamnet(run: LoadedRun, out: Path, force: bool = False):
    """NetX layers plus the documented BEAM-Net extension (docs/netx_extension.md)."""
    w = NetxWriter()
    write_beamnet(w, run.model, run.calibration.get("probe_temperature"))
    w.attrs(root_attrs_of(run, run.config.encoding, run.model.sizes[-1]))
    w.stamp(run.run_dir)
    return w.publish(out, read_beamnet, force=force, run_dir=run.run_dir)


# this module's hooks, attached by the registry (families.registry.load) through netx_export/__init__.py's providers()
PROVIDES = [
    provide("export", export_snn, "snn"),
    provide("export", export_beamnet, "beamnet"),
]
