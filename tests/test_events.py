"""Event datasets: tiny files in each dataset's real on-disk format, read back through tonic's
classes/readers and ours; the Eq. 6 encoders; the saccade converter; clear errors."""

import h5py
import numpy as np
import pytest
import tonic

from beamnet_lava.data import load_split
from beamnet_lava.data.events import (EventEncoding, pack, read_dvsgesture, read_nmnist, read_shd)
from beamnet_lava.data.saccade import (SaccadeParams, encode_bin, images_to_events,
                                       write_saccade_dataset)
from beamnet_lava.errors import BeamnetError

EV = [("x", int), ("y", int), ("t", int), ("p", int)]


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Every test reads and writes the event cache in its own folder."""
    monkeypatch.setenv("BEAMNET_LAVA_CACHE", str(tmp_path / "cache"))


def events(rows):
    out = np.zeros(len(rows), dtype=EV)
    for i, (x, y, t, p) in enumerate(rows):
        out[i] = (x, y, t, p)
    return out


def nmnist_record(x, y, p, t):
    """One N-MNIST event, byte by byte (Orchard's format: x, y, p|t[22:16], t[15:8], t[7:0])."""
    return bytes([x, y, (p << 7) | ((t >> 16) & 0x7F), (t >> 8) & 0xFF, t & 0xFF])


# -- N-MNIST ------------------------------------------------------------------------------------

def test_nmnist_bin_with_overflow_rows_reads_the_same_in_tonic_and_ours(tmp_path):
    body = (nmnist_record(3, 4, 1, 100) + nmnist_record(33, 0, 0, 0x7FFFFF)
            + bytes([0, 240, 0, 0, 0])                     # overflow marker: +2**13 us after it
            + nmnist_record(5, 6, 0, 7) + bytes([0, 240, 0, 0, 0]) + nmnist_record(1, 2, 1, 9))
    folder = tmp_path / "NMNIST" / "Train" / "7"
    folder.mkdir(parents=True)
    (folder / "00001.bin").write_bytes(body)
    ev = tonic.io.read_mnist_file(str(folder / "00001.bin"), dtype=tonic.datasets.NMNIST.dtype)
    assert ev["x"].tolist() == [3, 33, 5, 1] and ev["y"].tolist() == [4, 0, 6, 2]
    assert ev["p"].tolist() == [1, 0, 0, 1]
    assert ev["t"].tolist() == [100, 0x7FFFFF, 7 + 8192, 9 + 2 * 8192]
    es = read_nmnist(tmp_path)
    assert es.labels.tolist() == [7] and es.sensor == (34, 34, 2)
    assert np.array_equal(es.sample(0)["t"], ev["t"]) and np.array_equal(es.sample(0)["x"], ev["x"])
    assert "tonic.io.read_mnist_file" in es.description


def test_encode_bin_round_trips_through_tonic(tmp_path):
    rng = np.random.default_rng(0)
    ev = np.zeros(300, dtype=EV)
    ev["x"], ev["y"] = rng.integers(0, 256, 300), rng.integers(0, 240, 300)
    ev["t"], ev["p"] = np.sort(rng.integers(0, 1 << 23, 300)), rng.integers(0, 2, 300)
    path = tmp_path / "a.bin"
    path.write_bytes(encode_bin(ev))
    assert path.stat().st_size == 5 * 300
    back = tonic.io.read_mnist_file(str(path), dtype=tonic.datasets.NMNIST.dtype)
    for f in ("x", "y", "t", "p"):
        assert np.array_equal(back[f], ev[f])
    with pytest.raises(BeamnetError, match="timestamps"):
        encode_bin(events([(0, 0, 1 << 23, 1)]))
    with pytest.raises(BeamnetError, match="y 0..239"):
        encode_bin(events([(0, 240, 5, 1)]))


@pytest.mark.slow  # a full tonic folder
def test_nmnist_full_folder_goes_through_tonics_class_in_sorted_order(tmp_path):
    """With train.zip and >= 10,000 .bin files tonic's NMNIST class itself reads the folder."""
    root = tmp_path / "NMNIST"
    for i in range(10_000):
        d = root / "Train" / str(i % 10)
        if i < 10:
            d.mkdir(parents=True)
        (d / f"{i:05d}.bin").write_bytes(nmnist_record(i % 34, i % 7, i % 2, i))
    (root / "train.zip").write_bytes(b"")
    es = read_nmnist(tmp_path)
    assert "tonic.datasets.NMNIST" in es.description and len(es) == 10_000
    assert es.labels[:3].tolist() == [0, 0, 0] and es.labels[-1] == 9     # walk: Train/0 first
    assert es.sample(1)["t"].tolist() == [10]                               # Train/0/00010.bin


def test_nmnist_errors(tmp_path):
    with pytest.raises(BeamnetError, match="needs --data-dir"):
        load_split("nmnist")
    with pytest.raises(BeamnetError, match="no NMNIST/ folder"):
        read_nmnist(tmp_path)
    (tmp_path / "NMNIST" / "Train").mkdir(parents=True)
    with pytest.raises(BeamnetError, match="no .bin files"):
        read_nmnist(tmp_path)
    (tmp_path / "NMNIST" / "Train" / "x.bin").write_bytes(nmnist_record(1, 1, 1, 1))
    with pytest.raises(BeamnetError, match="folder named after their digit"):
        read_nmnist(tmp_path)


# -- SHD ------------------------------------------------------------------------------------------

def write_shd(folder, stem, samples, labels, zip_too=True):
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / f"{stem}.h5", "w") as f:
        times = f.create_dataset("spikes/times", (len(samples),), dtype=h5py.vlen_dtype(np.float32))
        units = f.create_dataset("spikes/units", (len(samples),), dtype=h5py.vlen_dtype(np.uint16))
        for i, (t, u) in enumerate(samples):
            times[i], units[i] = np.asarray(t, np.float32), np.asarray(u, np.uint16)
        f["labels"] = np.asarray(labels, dtype=np.uint16)
        f["extra/keys"] = np.array([b"null", b"eins"])
        f["extra/speaker"] = np.zeros(len(samples), dtype=np.uint16)
    if zip_too:
        (folder / f"{stem}.h5.zip").write_bytes(b"")


def test_shd_reads_through_tonic(tmp_path):
    write_shd(tmp_path / "SHD", "shd_train", [([0.0, 0.25, 0.5], [3, 699, 3]), ([0.125], [0])], [1, 0])
    write_shd(tmp_path / "SHD", "shd_test", [([0.75], [10])], [1])
    es = read_shd(tmp_path)
    assert es.labels.tolist() == [1, 0, 1] and es.sensor == (700, 1, 1)
    assert es.sample(0)["t"].tolist() == [0, 250_000, 500_000]           # tonic: seconds -> us
    assert es.sample(0)["x"].tolist() == [3, 699, 3] and es.sample(2)["x"].tolist() == [10]
    r = es.raster(np.arange(3), 4, EventEncoding(window_ms=1000))
    assert r.shape == (3, 700, 4)
    assert r[0, 3].tolist() == [1, 0, 1, 0] and r[0, 699].tolist() == [0, 1, 0, 0]


def test_shd_errors(tmp_path):
    with pytest.raises(BeamnetError, match="no SHD/ folder"):
        read_shd(tmp_path)
    (tmp_path / "SHD").mkdir()
    with pytest.raises(BeamnetError, match="no shd_train.h5 or shd_test.h5"):
        read_shd(tmp_path)
    write_shd(tmp_path / "SHD", "shd_train", [([0.1], [1])], [0], zip_too=False)
    with pytest.raises(BeamnetError, match="shd_train.h5.zip"):        # tonic would download
        read_shd(tmp_path)
    (tmp_path / "SHD" / "shd_train.h5.zip").write_bytes(b"")
    with h5py.File(tmp_path / "SHD" / "shd_train.h5", "a") as f:
        del f["extra/speaker"]
    with pytest.raises(BeamnetError, match="lacks extra/speaker"):
        read_shd(tmp_path)
    (tmp_path / "SHD" / "shd_train.h5").write_bytes(b"not hdf5")
    with pytest.raises(BeamnetError, match="not a readable HDF5"):
        read_shd(tmp_path)


# -- DVS Gesture ----------------------------------------------------------------------------------

def write_gesture(root, users=10, tar=True):
    folder = root / "DVSGesture" / "ibmGestureTrain"
    for u in range(1, users + 1):
        d = folder / f"user{u:02d}_fluorescent"
        d.mkdir(parents=True)
        for label in (10, 3, 0, 7, 1, 2, 4, 5, 6, 8, 9):       # written out of order on purpose
            # tonic's preprocessed files: columns x, y, p, t (ms)
            np.save(d / f"{label}.npy", np.array([[label, u, 1, 0], [5, 6, 0, 2 * label + 1]], dtype=np.int64))
    if tar:
        (root / "DVSGesture" / "ibmGestureTrain.tar.gz").write_bytes(b"")


def test_dvsgesture_reads_through_tonic_sorted(tmp_path):
    write_gesture(tmp_path)
    es = read_dvsgesture(tmp_path)
    assert len(es) == 110 and es.sensor == (128, 128, 2)
    # sorted paths: user01/0.npy, user01/1.npy, user01/10.npy, user01/2.npy, ...
    assert es.labels[:4].tolist() == [0, 1, 10, 2]
    s = es.sample(2)
    assert s["x"].tolist() == [10, 5] and s["y"].tolist() == [1, 6]
    assert s["p"].tolist() == [1, 0] and s["t"].tolist() == [0, 21_000]      # ms -> us


def test_dvsgesture_errors(tmp_path):
    with pytest.raises(BeamnetError, match="no DVSGesture/ folder"):
        read_dvsgesture(tmp_path)
    (tmp_path / "DVSGesture").mkdir()
    with pytest.raises(BeamnetError, match="no ibmGestureTrain/ or ibmGestureTest/"):
        read_dvsgesture(tmp_path)
    (tmp_path / "DVSGesture").rmdir()
    write_gesture(tmp_path, users=2)
    with pytest.raises(BeamnetError, match=">= 100 .npy"):
        read_dvsgesture(tmp_path)


# -- encoders (Eq. 6) -----------------------------------------------------------------------------

def test_raster_matches_tonic_to_frame_and_first_spike_latency():
    rng = np.random.default_rng(1)
    n = 500
    ev = np.zeros(n, dtype=EV)
    ev["x"], ev["y"], ev["p"] = rng.integers(0, 6, n), rng.integers(0, 4, n), rng.integers(0, 2, n)
    ev["t"] = np.sort(rng.integers(1000, 1000 + 80_000, n))      # 80 ms from the first event
    es = pack([ev], [0], (6, 4, 2), 80.0, "test")
    T = 8
    ours = es.raster(np.array([0]), T, EventEncoding())[0]
    t0 = int(ev["t"][0])
    frames = tonic.transforms.ToFrame(sensor_size=(6, 4, 2), time_window=10_000, start_time=t0,
                                      end_time=t0 + 80_000)(ev.copy())
    assert frames.shape == (T, 2, 4, 6)
    assert np.array_equal(ours, (frames.reshape(T, -1).T > 0).astype(np.float32))
    # first-spike latency: 1 - (first event time from the sample's start) / window
    x = es.first_spike_intensity(np.array([0]), EventEncoding())[0]
    for c, y, xx in [(0, 1, 2), (1, 3, 5)]:
        sel = (ev["p"] == c) & (ev["y"] == y) & (ev["x"] == xx)
        want = 1 - (ev["t"][sel].min() - t0) / 80_000 if sel.any() else 0.0
        assert x[(c * 4 + y) * 6 + xx] == pytest.approx(want, abs=1e-6)


def test_downsample_polarity_and_window():
    ev = events([(0, 0, 0, 1), (3, 1, 10_000, 0), (2, 2, 20_000, 1), (5, 3, 90_000, 1)])
    es = pack([ev, ev[:0]], [1, 0], (6, 4, 2), 100.0, "test")
    enc = EventEncoding(downsample=2, polarity="merge", window_ms=50)
    assert es.shape(enc) == (1, 2, 3)
    r = es.raster(np.array([0, 1]), 5, enc)
    assert r.shape == (2, 6, 5) and r[1].sum() == 0                       # an empty sample
    assert r[0, 0, 0] == 1 and r[0, 1, 1] == 1 and r[0, 4, 2] == 1        # (0,0) (y0,x1) (y1,x1)
    assert r[0].sum() == 3                                                # t = 90 ms is outside
    on = es.first_spike_intensity(np.array([0]), EventEncoding(downsample=2, polarity="on_only"))[0]
    assert on.tolist() == pytest.approx([1.0, 0, 0, 0, 0.8, 0.1])         # OFF at (y0, x1) ignored
    with pytest.raises(BeamnetError, match="event_polarity"):
        EventEncoding(polarity="on")
    with pytest.raises(BeamnetError, match="outside the 6 x 4 sensor"):
        pack([events([(6, 0, 0, 1)])], [0], (6, 4, 2), 100.0, "test")


# -- saccades -------------------------------------------------------------------------------------

def test_saccade_events_physics():
    img = np.zeros((1, 8, 8), np.float32)
    img[0, 3:5, 3:5] = 1.0
    p = SaccadeParams(amplitude=3.0, steps=12)
    ev = images_to_events(img, p)[0]
    assert len(ev) > 0 and np.all(np.diff(ev["t"]) >= 0)
    assert ev["t"].min() >= 0 and ev["t"].max() < 300_000
    assert ev["x"].max() < 11 and ev["y"].max() < 11                       # sensor 8 + 3
    assert set(np.unique(ev["p"])) == {0, 1}
    # the image returns to its start: every pixel's ON and OFF counts differ by at most one
    key = ev["y"] * 11 + ev["x"]
    on, off = (np.bincount(key[ev["p"] == s], minlength=121) for s in (1, 0))
    assert np.abs(on - off).max() <= 1
    # the first saccade moves the square (rows/cols 3-4) towards +x, +y: early ON events appear
    # only at pixels it moves into (below or right of it), early OFF events only inside it
    first = ev[ev["t"] < 20_000]
    on, off = first[first["p"] == 1], first[first["p"] == 0]
    assert len(on) and len(off)
    assert np.all((on["x"] >= 3) & (on["y"] >= 3) & ((on["x"] >= 5) | (on["y"] >= 5)))
    assert np.all((off["x"] >= 3) & (off["x"] <= 4) & (off["y"] >= 3) & (off["y"] <= 4))
    assert len(images_to_events(img, SaccadeParams(amplitude=0.0))[0]) == 0   # no motion, no events


def test_saccade_writer_round_trip_and_errors(tmp_path):
    from test_data import _write_idx

    mnist = tmp_path / "mnist"
    mnist.mkdir()
    rng = np.random.default_rng(0)
    imgs = (rng.random((6, 28, 28)) > 0.7) * 255
    _write_idx(mnist / "t10k-images-idx3-ubyte", imgs, False)
    _write_idx(mnist / "t10k-labels-idx1-ubyte", np.array([0, 1, 2, 3, 4, 5]), False)
    out = tmp_path / "sacc"
    meta = write_saccade_dataset("mnist", out, data_dir=str(mnist))
    assert meta["sensor"] == [34, 34, 2] and meta["samples"] == 6        # N-MNIST's sensor size
    files = sorted((out / "NMNIST" / "Test").glob("*/*.bin"))
    assert len(files) == 6
    want = images_to_events(imgs.astype(np.float32) / 255, SaccadeParams())
    es = read_nmnist(out)
    assert es.sensor == (34, 34, 2) and es.window_ms == 300.0 and es.labels.tolist() == list(range(6))
    for i in range(6):
        got = tonic.io.read_mnist_file(str(out / "NMNIST" / "Test" / str(i) / f"{i:05d}.bin"),
                                       dtype=tonic.datasets.NMNIST.dtype)
        for f in ("x", "y", "t", "p"):
            assert np.array_equal(got[f], want[i][f]) and np.array_equal(es.sample(i)[f], want[i][f])
    with pytest.raises(BeamnetError, match="not empty; pass --force"):
        write_saccade_dataset("mnist", out, data_dir=str(mnist))
    with pytest.raises(BeamnetError, match="saccade-mnist"):
        load_split("saccade-digits", data_dir=str(out))
    with pytest.raises(BeamnetError, match="no MNIST IDX"):
        write_saccade_dataset("mnist", tmp_path / "other", data_dir=str(tmp_path))
    with pytest.raises(BeamnetError, match="unknown saccade source"):
        write_saccade_dataset("cifar", tmp_path / "other")
    with pytest.raises(BeamnetError, match="threshold"):
        SaccadeParams(threshold=0)


def test_saccade_split_spikes_and_cache(tmp_path):
    out = tmp_path / "digits"
    write_saccade_dataset("digits", out, limit=40)
    a = load_split("saccade-digits", data_dir=str(out), seed=0,
                   options={"event_downsample": 2, "event_polarity": "on_only", "event_window_ms": 100})
    assert a.x_train.shape == (24, 100) and 0 <= a.x_train.min() and a.x_train.max() <= 1
    spikes = a.spikes("test", 8)
    assert spikes.shape == (8, 100, 8) and set(np.unique(spikes)) <= {0.0, 1.0}
    assert list((tmp_path / "cache").glob("events-nmnist-*.npz"))
    b = load_split("saccade-digits", data_dir=str(out), seed=0,         # from the cache now
                   options={"event_downsample": 2, "event_polarity": "on_only", "event_window_ms": 100})
    assert np.array_equal(a.x_test, b.x_test) and np.array_equal(spikes, b.spikes("test", 8))


def test_saccade_mnist_from_idx_is_converted_once_into_the_cache(tmp_path):
    from test_data import _write_idx

    mnist = tmp_path / "mnist" / "MNIST" / "raw"          # torchvision's layout
    mnist.mkdir(parents=True)
    rng = np.random.default_rng(1)
    _write_idx(mnist / "t10k-images-idx3-ubyte", (rng.random((10, 28, 28)) > 0.6) * 255, False)
    _write_idx(mnist / "t10k-labels-idx1-ubyte", np.arange(10), False)
    a = load_split("saccade-mnist", data_dir=str(tmp_path / "mnist"))
    made = list((tmp_path / "cache").glob("saccade-mnist-*/saccade.json"))
    assert len(made) == 1 and a.x_train.shape == (6, 34 * 34 * 2)
    stamp = made[0].stat().st_mtime_ns
    b = load_split("saccade-mnist", data_dir=str(tmp_path / "mnist"))
    assert made[0].stat().st_mtime_ns == stamp and np.array_equal(a.x_test, b.x_test)
    assert "saccade events (mnist)" in a.description


def test_a_saccade_cache_another_command_is_writing_is_waited_for(tmp_path, monkeypatch):
    """Parallel seeds or sweep workers converting the same images: the second waits for the
    first writer's lock, then uses (or, if the first failed, writes) the cache."""
    import threading
    import time

    from test_data import _write_idx

    from beamnet_lava.data.event_split import ensure_saccade_cache
    from beamnet_lava.rundir import locked

    mnist = tmp_path / "mnist"
    mnist.mkdir()
    rng = np.random.default_rng(2)
    _write_idx(mnist / "t10k-images-idx3-ubyte", (rng.random((10, 28, 28)) > 0.6) * 255, False)
    _write_idx(mnist / "t10k-labels-idx1-ubyte", np.arange(10), False)
    name = ensure_saccade_cache("mnist", str(mnist)).name     # the folder's name in any cache
    monkeypatch.setenv("BEAMNET_LAVA_CACHE", str(tmp_path / "cache2"))
    target = tmp_path / "cache2" / name
    held, release = threading.Event(), threading.Event()

    def other_command():
        with locked(target):
            held.set()
            release.wait(30)

    t = threading.Thread(target=other_command)
    t.start()
    held.wait(10)
    threading.Timer(1.5, release.set).start()
    t0 = time.monotonic()
    try:
        out = ensure_saccade_cache("mnist", str(mnist))
    finally:
        release.set()
        t.join()
    assert time.monotonic() - t0 >= 1.4 and out == target and (out / "saccade.json").is_file()


def test_shd_and_dvsgesture_through_load_split(tmp_path):
    write_shd(tmp_path / "SHD", "shd_train", [([0.01 * i], [i]) for i in range(10)], list(range(10)))
    shd = load_split("shd", data_dir=str(tmp_path), seed=0)
    assert shd.x_train.shape == (6, 700) and shd.spikes("train", 5).shape == (6, 700, 5)
    assert shd.spikes("train", 5).sum() == 6                               # one spike per sample
    write_gesture(tmp_path)
    gest = load_split("dvsgesture", data_dir=str(tmp_path), seed=0,
                      options={"event_downsample": 4, "event_polarity": "merge"})
    assert gest.n_classes == 11 and gest.spikes("val", 4).shape == (22, 32 * 32, 4)
