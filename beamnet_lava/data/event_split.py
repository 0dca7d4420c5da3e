"""Which events a ``--dataset`` name means, and where saccade datasets come from.

- ``nmnist``, ``shd``, ``dvsgesture``: tonic's layout under ``--data-dir``
  (:mod:`beamnet_lava.data.events`).
- ``saccade-digits``: scikit-learn's digits turned into N-MNIST-format events by
  simulated saccades (:mod:`beamnet_lava.data.saccade`), generated once into
  the cache folder: the embedded event dataset, no download. With
  ``--data-dir`` it reads a folder written by ``beamnet-lava data saccade``.
- ``saccade-mnist``: the same from MNIST IDX files; ``--data-dir`` is either a
  folder written by ``beamnet-lava data saccade --source mnist`` or an MNIST IDX
  folder (converted once into the cache).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Mapping

from rich.progress import Progress

from beamnet_lava.data.events import READERS, EventEncoding, EventSet, cache_dir, read_nmnist
from beamnet_lava.data.images import find_idx
from beamnet_lava.data.saccade import DEFAULTS, write_saccade_dataset
from beamnet_lava.errors import BeamnetError, Busy

CACHE_WAIT_S = 3600.0     # how long a command waits for another one writing the same cache
CACHE_POLL_S = 1.0


def load_event_dataset(name: str, data_dir: str | None,
                       options: Mapping[str, Any]) -> tuple[EventSet, EventEncoding]:
    enc = EventEncoding.from_mapping(options)
    if name in READERS:
        return READERS[name](data_dir), enc
    source = name.split("-", 1)[1]
    if data_dir and (Path(data_dir) / "saccade.json").is_file():
        meta = json.loads((Path(data_dir) / "saccade.json").read_text())
        if meta.get("source") != source:
            raise BeamnetError(f"{data_dir} holds saccade events of {meta.get('source')!r}, not "
                               f"{source}: use --dataset saccade-{meta.get('source')}")
        return read_nmnist(data_dir), enc
    if source == "digits" and data_dir:
        raise BeamnetError(f"{data_dir} has no saccade.json: for saccade-digits give a folder written "
                           "by `beamnet-lava data saccade --source digits`, or no --data-dir")
    return read_nmnist(ensure_saccade_cache(source, data_dir)), enc


def ensure_saccade_cache(source: str, data_dir: str | None) -> Path:
    """The cached saccade conversion of ``source`` (written on first use), default parameters."""
    params = DEFAULTS[source]
    key = hashlib.sha1(json.dumps(dataclasses.asdict(params), sort_keys=True).encode())
    if source == "mnist":
        if not data_dir:
            raise BeamnetError("dataset saccade-mnist needs --data-dir: an MNIST IDX folder (e.g. "
                               "../shared/data/mnist) or a folder written by `beamnet-lava data saccade`")
        key.update(str(Path(data_dir).resolve()).encode())
        for stem in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
            found = find_idx(Path(data_dir), stem)
            if found:
                st = os.stat(found)
                key.update(f"{found}|{st.st_size}|{st.st_mtime_ns}".encode())
    out = cache_dir() / f"saccade-{source}-{key.hexdigest()[:16]}"
    deadline = time.monotonic() + CACHE_WAIT_S
    while not (out / "saccade.json").is_file():
        try:
            _write_cache(source, out, params, data_dir)
        except Busy as exc:       # another command (a parallel seed, a sweep worker) writes it
            if time.monotonic() > deadline:
                raise BeamnetError(f"{exc} (waited {CACHE_WAIT_S / 60:.0f} min)") from None
            time.sleep(CACHE_POLL_S)
        except OSError:
            if not (out / "saccade.json").is_file():   # not written by a concurrent run
                raise
    return out


def _write_cache(source: str, out: Path, params, data_dir: str | None) -> None:
    with Progress(transient=True) as bar:
        task = bar.add_task(f"saccade events ({source}, once, into {out})", total=None)
        write_saccade_dataset(source, out, params, data_dir=data_dir, force=True,
                              progress=lambda d, t: bar.update(task, completed=d, total=t))
