"""Event-camera and spiking-audio datasets read with tonic, and their spike encoders (Eq. 6).

Loaders read a folder in tonic 1.7's own layout (``tonic.datasets.X(save_to=PATH)``
looks under ``PATH/<ClassName>/``) and never download: tonic's classes are used
through subclasses whose ``download`` raises a :class:`BeamnetError` that says
what is missing and where to get it.

==============  ==========================================================  =====================
dataset         what must be under ``--data-dir PATH``                      read by
==============  ==========================================================  =====================
``nmnist``      ``NMNIST/Train/<digit>/*.bin`` and/or ``NMNIST/Test/...``;   ``tonic.datasets.NMNIST``
                tonic's class also wants ``train.zip``/``test.zip`` and     when its check passes,
                >= 10,000 extracted .bin files, else it downloads           else ``tonic.io.read_mnist_file``
                                                                            (its own reader) on the
                                                                            same sorted walk
``shd``         ``SHD/shd_train.h5`` (+ ``SHD/shd_train.h5.zip``), and/or   ``tonic.datasets.SHD``
                the ``shd_test`` pair (keys spikes/times, spikes/units,
                labels, extra/keys, extra/speaker)
``dvsgesture``  ``DVSGesture/ibmGestureTrain/userNN_<light>/<label>.npy``   ``tonic.datasets.DVSGesture``
                (>= 100 .npy) + ``DVSGesture/ibmGestureTrain.tar.gz``,      (its files come in
                and/or the ``ibmGestureTest`` pair                          filesystem order: sorted
                                                                            here)
==============  ==========================================================  =====================

A dataset's parts (train/test) are pooled and then split like every other
dataset (seeded 60/20/20, :func:`beamnet_lava.data.load_split`). Reading is
cached: the first load packs every event into one ``.npz`` in the cache folder
(``$BEAMNET_LAVA_CACHE``, default ``~/.cache/beamnet-lava``), keyed by the
files' names, sizes and modification times.

Encoders (Eq. 6, ``EventEncoding``): events ``(x, y, t, p)`` of a sample, timed
from its first event, are binned into ``T`` frames over a fixed window, with
optional spatial downsampling and polarity merging, and used as spikes directly
(:meth:`EventSet.raster`); or reduced to one first spike per input
(:meth:`EventSet.first_spike_intensity`) for latency models (BEAM-Net, see
docs/events.md).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from beamnet_lava.errors import BeamnetError

CACHE_VERSION = 2
SHD_MAX_S = 1e9         # SHD spike times are seconds: anything beyond is damage (and overflows us)
NMNIST_RECORD = 5        # bytes per N-MNIST event: x, y, polarity + 23-bit timestamp (40 bits)
POLARITY = ("split", "merge", "on_only")


@dataclass(frozen=True)
class DatasetInfo:
    """One tonic dataset: its class name (= folder name), sensor, default window, source."""

    name: str
    tonic_class: str
    sensor: tuple[int, int, int]      # (W, H, P), tonic's convention
    window_ms: float                  # default binning window from each sample's first event
    url: str


INFO = {
    "nmnist": DatasetInfo("nmnist", "NMNIST", (34, 34, 2), 300.0,
                          "https://www.garrickorchard.com/datasets/n-mnist"),
    "shd": DatasetInfo("shd", "SHD", (700, 1, 1), 1000.0,
                       "https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/"),
    "dvsgesture": DatasetInfo("dvsgesture", "DVSGesture", (128, 128, 2), 6000.0,
                              "https://research.ibm.com/interactive/dvsgesture/ "
                              "(tonic's preprocessed ibmGestureTrain/Test.tar.gz from figshare)"),
}


@dataclass(frozen=True)
class EventEncoding:
    """How events become network inputs (Eq. 6).

    ``downsample``: pixels pooled per side (``x // k, y // k``). ``polarity``:
    ``split`` (ON and OFF inputs), ``merge`` (one input per pixel, either
    polarity), ``on_only`` (ON events only: Eq. 6's "first ON event" for latency
    models). ``window_ms``: time binned, from each sample's first event
    (0: the dataset's default); later events are dropped.
    """

    downsample: int = 1
    polarity: str = "split"
    window_ms: float = 0.0

    def __post_init__(self) -> None:
        if int(self.downsample) < 1:
            raise BeamnetError(f"event_downsample={self.downsample!r} must be >= 1")
        if self.polarity not in POLARITY:
            raise BeamnetError(f"event_polarity={self.polarity!r} must be one of {', '.join(POLARITY)}")
        if not self.window_ms >= 0:
            raise BeamnetError(f"event_window_ms={self.window_ms!r} must be >= 0 (0: dataset default)")

    @classmethod
    def from_mapping(cls, d) -> "EventEncoding":
        """From a config dict or NetX attributes (keys ``event_downsample`` etc.)."""
        return cls(int(d.get("event_downsample", 1)), str(d.get("event_polarity", "split")),
                   float(d.get("event_window_ms", 0.0)))


@dataclass(frozen=True)
class EventSet:
    """Every sample's events packed in flat arrays: sample ``i`` is ``offsets[i]:offsets[i+1]``.

    Timestamps ``t`` in microseconds; ``p`` in {0, 1} (1 = ON).
    """

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    p: np.ndarray
    offsets: np.ndarray
    labels: np.ndarray
    sensor: tuple[int, int, int]
    window_ms: float
    description: str

    def __len__(self) -> int:
        return len(self.labels)

    def sample(self, i: int) -> np.ndarray:
        """Sample ``i`` as a tonic-style structured array (x, y, t, p)."""
        a, b = self.offsets[i], self.offsets[i + 1]
        out = np.empty(b - a, dtype=[("x", int), ("y", int), ("t", int), ("p", int)])
        out["x"], out["y"], out["t"], out["p"] = self.x[a:b], self.y[a:b], self.t[a:b], self.p[a:b]
        return out

    def shape(self, enc: EventEncoding) -> tuple[int, int, int]:
        """Input layout ``(channels, height, width)`` under ``enc``; flattened in this order."""
        w, h, p = self.sensor
        k = int(enc.downsample)
        return (2 if enc.polarity == "split" and p == 2 else 1), -(-h // k), -(-w // k)

    def n_inputs(self, enc: EventEncoding) -> int:
        return int(np.prod(self.shape(enc)))

    def _inputs(self, idx: np.ndarray, enc: EventEncoding, time_steps: int | None):
        """Per kept event: its row in ``idx``, input index and time bin (or time in us)."""
        idx = np.asarray(idx, dtype=np.int64)
        starts, ends = self.offsets[idx], self.offsets[idx + 1]
        lengths = ends - starts
        if len(idx) and np.all(np.diff(idx) == 1):      # a contiguous block: plain slices
            sel = slice(int(starts[0]), int(ends[-1]))
        else:
            sel = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        t = self.t[sel]
        first = np.zeros(len(idx), dtype=t.dtype)
        nonempty = lengths > 0
        first[nonempty] = np.minimum.reduceat(t, (np.cumsum(lengths) - lengths)[nonempty])
        # time from each sample's first event (int32: a window is far below 2**31 us)
        t = (t - np.repeat(first, lengths)).astype(np.int32)
        window_us = int(round((enc.window_ms or self.window_ms) * 1000.0))
        keep = t < window_us
        p = self.p[sel]
        if enc.polarity == "on_only":
            keep &= p == 1
        c, h, w = self.shape(enc)
        k = int(enc.downsample)
        x, y = self.x[sel][keep].astype(np.int32), self.y[sel][keep].astype(np.int32)
        if k > 1:
            x //= k
            y //= k
        inp = y * w + x
        if c == 2:
            inp += p[keep].astype(np.int32) * (h * w)
        t = t[keep]
        row = np.repeat(np.arange(len(idx), dtype=np.int32), lengths)[keep]
        if time_steps:
            t = np.minimum(t.astype(np.int64) * time_steps // window_us, time_steps - 1).astype(np.int32)
        return row, inp, t

    def raster(self, idx: np.ndarray, time_steps: int, enc: EventEncoding,
               dtype=np.float32) -> np.ndarray:
        """Binned frames as spikes (Eq. 6): ``(n, inputs, T)``, 1 where an input had >= 1 event.

        The window is cut into ``T`` equal bins; input ``(c, y, x)`` is row
        ``(c * H + y) * W + x`` (tonic's ``ToFrame`` layout, P x H x W).
        """
        row, inp, b = self._inputs(idx, enc, time_steps)
        n_in = self.n_inputs(enc)
        out = np.zeros((len(idx), n_in, time_steps), dtype=dtype)
        out.reshape(-1)[(row.astype(np.int64) * n_in + inp) * time_steps + b] = 1
        return out

    def first_spike_intensity(self, idx: np.ndarray, enc: EventEncoding) -> np.ndarray:
        """First-spike latency per input (Eq. 6) as an intensity in [0, 1]: ``1 - t_first / window``.

        An input whose first event comes at the window's start gets 1 (fires
        first under the latency code of Eq. 7), one with no event gets 0
        (silent). Returns float32 ``(n, inputs)``.
        """
        row, inp, t = self._inputs(idx, enc, None)
        n_in = self.n_inputs(enc)
        first = np.full(len(idx) * n_in, np.inf)
        np.minimum.at(first, row.astype(np.int64) * n_in + inp, t.astype(np.float64))
        window_us = (enc.window_ms or self.window_ms) * 1000.0
        x = np.where(np.isfinite(first), 1.0 - first / window_us, 0.0)
        return x.reshape(len(idx), n_in).astype(np.float32)


def pack(samples: Iterable[np.ndarray], labels: Iterable[int], sensor, window_ms: float,
         description: str) -> EventSet:
    """Pack per-sample structured event arrays (fields x, y, t, p) into an :class:`EventSet`."""
    samples = list(samples)
    try:
        labels = np.asarray(list(labels), dtype=np.float64)
    except (TypeError, ValueError):
        raise BeamnetError(f"{description}: labels are not numbers; is this the right dataset?") from None
    if len(labels) and (not np.all(np.isfinite(labels)) or labels.min() < 0
                        or np.any(labels != np.round(labels))):
        raise BeamnetError(f"{description}: labels must be integers >= 0; is this the right dataset?")
    labels = labels.astype(np.int64)
    lengths = np.array([len(s) for s in samples], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])

    def cat(field: str, dtype) -> np.ndarray:
        if not samples:
            return np.zeros(0, dtype=dtype)
        # a missing field (SHD has no y) is 0
        return np.concatenate([np.asarray(s[field]) if field in s.dtype.names
                               else np.zeros(len(s), dtype=dtype) for s in samples]).astype(dtype)

    w, h, _ = sensor
    for field, size in (("x", w), ("y", h)):
        values = cat(field, np.int64)
        if len(values) and (values.min() < 0 or values.max() >= size):
            raise BeamnetError(f"{description}: event {field} values span {values.min()}..{values.max()}, "
                               f"outside the {w} x {h} sensor; is this the right dataset?")
    raw_t = cat("t", np.float64)
    if len(raw_t) and (not np.all(np.isfinite(raw_t)) or raw_t.min() < 0):
        raise BeamnetError(f"{description}: event times must be finite and >= 0 "
                           f"(found {raw_t.min()}..{raw_t.max()}); is the file damaged?")
    t = cat("t", np.int64)
    if not len(t) or (t.min() >= 0 and t.max() < 2 ** 31):   # recordings under 35 minutes
        t = t.astype(np.int32)                                 # halve the memory and cache size
    return EventSet(cat("x", np.uint16), cat("y", np.uint16), t, cat("p", np.uint8), offsets, labels, tuple(int(v) for v in sensor),
                    float(window_ms), description)


# -- no-download access to tonic's classes --------------------------------------------------

class MissingData(BeamnetError):
    """A tonic dataset class found its files missing and would have downloaded them."""


def offline(tonic_cls, hint: str):
    """``tonic_cls`` with ``download`` replaced by a clear error (same name: same folder)."""
    def download(self) -> None:
        raise MissingData(f"{tonic_cls.__name__}: {hint}")
    return type(tonic_cls.__name__, (tonic_cls,), {"download": download})


def _require_dir(root: str | Path | None, name: str) -> Path:
    info = INFO[name]
    if not root:
        raise BeamnetError(f"dataset {name} needs --data-dir: the folder that holds "
                           f"{info.tonic_class}/ in tonic's layout (get the data from {info.url})")
    root = Path(root).expanduser()
    if not (root / info.tonic_class).is_dir():
        raise BeamnetError(f"no {info.tonic_class}/ folder in {root}: --data-dir must be the folder "
                           f"that holds {info.tonic_class}/ (tonic's layout; get the data from "
                           f"{info.url}); nothing is downloaded")
    return root


# -- N-MNIST ----------------------------------------------------------------------------------

def nmnist_files(root: Path, part: str) -> tuple[list[str], list[int]]:
    """A part's .bin files in tonic's walk order (sorted dirs and files) and their labels."""
    files, labels = [], []
    for path, dirs, names in os.walk(root / "NMNIST" / part):
        dirs.sort()
        names.sort()
        for fname in names:
            if fname.endswith("bin"):
                if not path[-1].isdigit():   # tonic: label = int(path[-1])
                    raise BeamnetError(f"{path}/{fname}: N-MNIST .bin files must sit in a "
                                       "folder named after their digit (Train/3/00001.bin)")
                full = os.path.join(path, fname)
                size = os.path.getsize(full)
                if size % NMNIST_RECORD:
                    raise BeamnetError(f"{full} has {size} bytes, not a whole number of "
                                       f"{NMNIST_RECORD}-byte N-MNIST event records: truncated or "
                                       "not an N-MNIST file; re-extract it")
                files.append(full)
                labels.append(int(path[-1]))
    return files, labels


def read_nmnist(root: str | Path | None) -> EventSet:
    """N-MNIST (or saccade events written by :mod:`beamnet_lava.data.saccade`) from ``root``.

    Each part (Train, Test) is read by tonic's ``NMNIST`` class when its check
    passes (zip present, >= 10,000 .bin files), otherwise by the reader that
    class uses, ``tonic.io.read_mnist_file``, on the same sorted walk.
    """
    root = _require_dir(root, "nmnist")
    parts = {part: nmnist_files(root, part) for part in ("Train", "Test")}
    files = parts["Train"][0] + parts["Test"][0]
    if not files:
        raise BeamnetError(f"no .bin files under {root}/NMNIST/Train/<digit>/ or "
                           f"{root}/NMNIST/Test/<digit>/: unzip N-MNIST's train.zip/test.zip "
                           f"({INFO['nmnist'].url}) into {root}/NMNIST, or write saccade events "
                           "with `beamnet-lava data saccade`")
    meta = saccade_meta(root)
    sensor = tuple(meta["sensor"]) if meta else INFO["nmnist"].sensor
    window = float(meta["window_ms"]) if meta else INFO["nmnist"].window_ms

    def load() -> EventSet:
        import tonic   # imports torch: only when the cache misses
        from tonic.io import read_mnist_file

        cls = offline(tonic.datasets.NMNIST, "needs the zip and >= 10,000 .bin files")
        samples, labels, readers = [], [], []
        for part, (part_files, part_labels) in parts.items():
            if not part_files:
                continue
            try:
                ds = cls(str(root), train=part == "Train")
                samples += [ds[i][0] for i in range(len(ds))]
                labels += list(ds.targets)
                readers.append(f"{part}: tonic.datasets.NMNIST")
            except MissingData:   # < 10,000 .bin files or no zip: the class's own reader
                samples += [read_mnist_file(f, dtype=tonic.datasets.NMNIST.dtype) for f in part_files]
                labels += part_labels
                readers.append(f"{part}: tonic.io.read_mnist_file")
        desc = (f"saccade events ({meta['source']}) from {root}" if meta else f"N-MNIST from {root}")
        return pack(samples, labels, sensor, window,
                    f"{desc} ({len(labels)} samples; {', '.join(readers)})")

    return cached("nmnist", root, files, load)


def saccade_meta(root: Path) -> dict | None:
    path = Path(root) / "saccade.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BeamnetError(f"{path} is not readable JSON ({exc}); rewrite it with "
                           "`beamnet-lava data saccade --force`") from None


# -- SHD --------------------------------------------------------------------------------------

def read_shd(root: str | Path | None) -> EventSet:
    """Spiking Heidelberg Digits through ``tonic.datasets.SHD`` (train and test files present)."""
    root = _require_dir(root, "shd")
    folder = root / "SHD"
    parts = [train for train, stem in ((True, "shd_train"), (False, "shd_test"))
             if (folder / f"{stem}.h5").is_file() or (folder / f"{stem}.h5.zip").is_file()]
    if not parts:
        raise BeamnetError(f"no shd_train.h5 or shd_test.h5 in {folder}: download and unzip "
                           f"shd_train.h5.zip / shd_test.h5.zip from {INFO['shd'].url} into {folder} "
                           "(keep the .zip beside the .h5: tonic checks for it)")
    files = sorted(str(p) for p in folder.glob("shd_*.h5"))

    def load() -> EventSet:
        import tonic

        samples, labels = [], []
        for train in parts:
            stem = "shd_train" if train else "shd_test"
            cls = offline(tonic.datasets.SHD,
                          f"{folder}/{stem}.h5 needs {stem}.h5.zip beside it (tonic checks for "
                          f"the zip, then reads the .h5; get both from {INFO['shd'].url})")
            if (folder / f"{stem}.h5").is_file():
                _check_h5(folder / f"{stem}.h5")
            ds = cls(str(root), train=train)
            for i in range(len(ds)):
                ev, label = ds[i]
                samples.append(ev)
                labels.append(int(label))
        return pack(samples, labels, INFO["shd"].sensor, INFO["shd"].window_ms,
                    f"SHD from {root} ({len(labels)} samples, tonic.datasets.SHD)")

    return cached("shd", root, files, load)


def _check_h5(path: Path) -> None:
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise BeamnetError(f"{path} is not a readable HDF5 file ({exc}); re-extract it from "
                           f"its .zip ({INFO['shd'].url})") from None
    with f:
        missing = [k for k in ("spikes/times", "spikes/units", "labels", "extra/keys",
                               "extra/speaker") if k not in f]
        if missing:
            raise BeamnetError(f"{path} lacks {', '.join(missing)}: not an SHD file")
        times, units, labels = f["spikes/times"], f["spikes/units"], f["labels"]
        if not (len(times) == len(units) == len(labels)):
            raise BeamnetError(f"{path} has {len(times)} spike-time rows, {len(units)} unit rows "
                               f"and {len(labels)} labels: every sample needs one of each")
        for i in range(len(times)):      # one spike = one time and one unit
            if len(times[i]) != len(units[i]):
                raise BeamnetError(f"{path}: sample {i} has {len(times[i])} spike times but "
                                   f"{len(units[i])} units; is the file damaged?")
            t = np.asarray(times[i], dtype=np.float64)
            if len(t) and (not np.all(np.isfinite(t)) or t.min() < 0 or t.max() > SHD_MAX_S):
                raise BeamnetError(f"{path}: sample {i} has spike times outside 0..{SHD_MAX_S:g} "
                                   "seconds; is the file damaged?")


# -- DVS Gesture ------------------------------------------------------------------------------

def read_dvsgesture(root: str | Path | None) -> EventSet:
    """IBM DVS Gesture through ``tonic.datasets.DVSGesture``, files sorted by path."""
    root = _require_dir(root, "dvsgesture")
    folder = root / "DVSGesture"
    parts = [train for train, sub in ((True, "ibmGestureTrain"), (False, "ibmGestureTest"))
             if (folder / sub).is_dir()]
    if not parts:
        raise BeamnetError(f"no ibmGestureTrain/ or ibmGestureTest/ in {folder}: extract tonic's "
                           f"ibmGestureTrain.tar.gz / ibmGestureTest.tar.gz ({INFO['dvsgesture'].url}) "
                           f"into {folder} and keep the .tar.gz beside them")
    files = sorted(str(p) for p in folder.glob("ibmGesture*/**/*.npy"))

    def load() -> EventSet:
        import numpy.lib.recfunctions  # noqa: F401  tonic uses np.lib.recfunctions unimported
        import tonic

        samples, labels = [], []
        for train in parts:
            sub = "ibmGestureTrain" if train else "ibmGestureTest"
            cls = offline(tonic.datasets.DVSGesture,
                          f"{folder}/{sub} needs >= 100 .npy files and {sub}.tar.gz beside it "
                          f"(tonic's check, otherwise it downloads; get them from "
                          f"{INFO['dvsgesture'].url})")
            ds = cls(str(root), train=train)
            for i in np.argsort(ds.data, kind="stable"):   # tonic lists in filesystem order
                ev, label = ds[int(i)]
                samples.append(ev)
                labels.append(int(label))
        return pack(samples, labels, INFO["dvsgesture"].sensor, INFO["dvsgesture"].window_ms,
                    f"DVS Gesture from {root} ({len(labels)} samples, tonic.datasets.DVSGesture)")

    return cached("dvsgesture", root, files, load)


READERS: dict[str, Callable[[str | Path | None], EventSet]] = {
    "nmnist": read_nmnist, "shd": read_shd, "dvsgesture": read_dvsgesture,
}


# -- cache ------------------------------------------------------------------------------------

def cache_dir() -> Path:
    return Path(os.environ.get("BEAMNET_LAVA_CACHE") or Path.home() / ".cache" / "beamnet-lava")


def _signature(name: str, root: Path, files: list[str]) -> str:
    h = hashlib.sha1(f"{CACHE_VERSION}|{name}|{root.resolve()}".encode())
    for f in files:
        st = os.stat(f)
        h.update(f"|{os.path.relpath(f, root)}|{st.st_size}|{st.st_mtime_ns}".encode())
    meta = root / "saccade.json"
    if meta.is_file():
        h.update(meta.read_bytes())
    return h.hexdigest()[:20]


def cached(name: str, root: Path, files: list[str], load: Callable[[], EventSet]) -> EventSet:
    """``load()``'s result, packed into ``cache_dir()/events-<name>-<signature>.npz`` once."""
    from beamnet_lava.io_utils import atomic_path

    path = cache_dir() / f"events-{name}-{_signature(name, root, files)}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return EventSet(z["x"], z["y"], z["t"], z["p"], z["offsets"], z["labels"],
                                tuple(int(v) for v in z["sensor"]), float(z["window_ms"]),
                                str(z["description"]))
        except (OSError, ValueError, KeyError):
            pass   # a damaged cache entry is rebuilt below
    es = load()
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, x=es.x, y=es.y, t=es.t, p=es.p, offsets=es.offsets, labels=es.labels,
                         sensor=np.array(es.sensor), window_ms=es.window_ms,
                         description=np.array(es.description))
    except OSError:
        pass   # an unwritable cache only costs speed
    return es
