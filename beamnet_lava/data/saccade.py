"""Static images -> DVS event streams by simulated saccades, written in N-MNIST's format.

This is how N-MNIST was recorded (Orchard et al. 2015, "Converting static
image datasets to spiking neuromorphic datasets using saccades", Front.
Neurosci. 9:437): an ATIS camera watched an MNIST digit on a monitor while
making three short saccades along a triangle, ~100 ms each. Here the camera
is simulated (BEAMNET_SPEC.md section 1, Eq. 6 input):

- the image (upscaled ``scale`` times, bilinear) moves along the triangle
  (0, 0) -> (A/2, A) -> (A, 0) -> (0, 0) pixels (x, y), ``A = amplitude``,
  one saccade per edge, each ``saccade_ms`` long (N-MNIST's path, whose
  ``stabilize`` undoes 3.5/7 px moves per 105 ms for 28 px digits);
- the sensor (``size + ceil(A)`` pixels per side: 34 x 34 for MNIST, as
  N-MNIST) samples the moving image ``steps`` times per saccade;
- each pixel keeps a reference log intensity ``log(I + eps)``; whenever the
  log intensity moves ``threshold`` (the contrast threshold C) above it, an
  ON event (p = 1) is emitted and the reference rises by C; below, an OFF
  event (p = 0). Between two samples the log intensity is taken as linear, so
  each crossing gets its own timestamp, in microseconds.

No noise, refractory period or bandwidth limit is simulated. Events are
written as N-MNIST .bin files (5 bytes per event: x, y, polarity bit +
23-bit timestamp) in tonic's layout ``OUT/NMNIST/<Train|Test>/<label>/<i>.bin``
plus ``OUT/saccade.json`` (parameters, sensor size, counts), so the N-MNIST
loader (:func:`beamnet_lava.data.events.read_nmnist`) reads them.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from beamnet_lava import rundir
from beamnet_lava.data.images import load_digits, mnist_parts
from beamnet_lava.errors import BeamnetError

TIMESTAMP_LIMIT = 1 << 23          # N-MNIST .bin: 23-bit microsecond timestamps
OVERFLOW_Y = 240                   # a row with y == 240 marks a timestamp overflow (tonic.io)


@dataclass(frozen=True)
class SaccadeParams:
    """Parameters of the simulated recording (defaults: N-MNIST-like for 28 px digits)."""

    scale: int = 1            # image upscaling before the saccades (digits: 2 -> 16 x 16)
    amplitude: float = 6.0    # A: triangle side in sensor pixels (N-MNIST: ~7 px at 28 px)
    saccade_ms: float = 100.0 # duration of each of the three saccades (N-MNIST: ~100 ms)
    threshold: float = 0.4    # C: log-intensity contrast threshold (MNIST: ~4,300 events/sample, N-MNIST-like)
    eps: float = 0.1          # log(I + eps): black level of the display, bounds the log
    steps: int = 16           # positions sampled per saccade (crossings interpolated between)

    def __post_init__(self) -> None:
        checks = {"scale": self.scale >= 1, "amplitude": self.amplitude >= 0,
                  "saccade_ms": self.saccade_ms > 0, "threshold": self.threshold > 0,
                  "eps": self.eps > 0, "steps": self.steps >= 1}
        for name, ok in checks.items():
            if not ok:
                raise BeamnetError(f"saccade: {name}={getattr(self, name)!r} must be "
                                   f"{'>= 1' if name in ('scale', 'steps') else '> 0' if name != 'amplitude' else '>= 0'}")
        if self.steps > self.saccade_ms * 1000:   # timestamps are whole microseconds
            raise BeamnetError(f"saccade: steps={self.steps} samples a {self.saccade_ms:g} ms saccade "
                               f"more often than once per microsecond (the N-MNIST timestamp "
                               f"resolution); use at most {int(self.saccade_ms * 1000)}")
        if 3 * self.saccade_ms * 1000 >= TIMESTAMP_LIMIT:
            raise BeamnetError(f"saccade: saccade_ms={self.saccade_ms} makes recordings longer than "
                               f"the N-MNIST format's 23-bit microsecond timestamps ({TIMESTAMP_LIMIT} us)")

    @property
    def window_ms(self) -> float:
        return 3 * self.saccade_ms

    def sensor(self, height: int, width: int) -> tuple[int, int]:
        """Sensor (height, width) for an image of ``height x width`` pixels."""
        pad = math.ceil(self.amplitude)
        return self.scale * height + pad, self.scale * width + pad


# digits: 8x8 -> 16x16 (sensor 20 x 20), blurrier and lower-contrast than MNIST: lower C
DEFAULTS = {"digits": SaccadeParams(scale=2, amplitude=4.0, threshold=0.2), "mnist": SaccadeParams()}


def trajectory(params: SaccadeParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample times (us) and image offsets (x, y) in pixels along the three saccades."""
    a = params.amplitude
    corners = np.array([[0.0, 0.0], [a / 2, a], [a, 0.0], [0.0, 0.0]])
    frac = np.arange(params.steps + 1) / params.steps
    pos = [corners[0][None]]
    for k in range(3):
        pos.append(corners[k] + frac[1:, None] * (corners[k + 1] - corners[k]))
    pos = np.concatenate(pos)
    t = np.arange(len(pos)) * params.saccade_ms * 1000.0 / params.steps
    return t, pos[:, 0], pos[:, 1]


def _render(images: np.ndarray, dx: float, dy: float, sensor: tuple[int, int]) -> np.ndarray:
    """What the sensor sees with the images shifted by ``(dx, dy)`` px (bilinear), ``(B, H, W)``."""
    b, h, w = images.shape
    sh, sw = sensor
    pad = np.zeros((b, h + 2 * sh + 2, w + 2 * sw + 2), dtype=np.float32)
    pad[:, sh + 1:sh + 1 + h, sw + 1:sw + 1 + w] = images
    ix, fx = int(math.floor(dx)), dx - math.floor(dx)
    iy, fy = int(math.floor(dy)), dy - math.floor(dy)
    # sensor pixel (r, c) sees image point (r - dy, c - dx)
    r0, c0 = sh + 1 - iy, sw + 1 - ix

    def win(dr: int, dc: int) -> np.ndarray:
        return pad[:, r0 + dr:r0 + dr + sh, c0 + dc:c0 + dc + sw]

    return ((1 - fy) * ((1 - fx) * win(0, 0) + fx * win(0, -1))
            + fy * ((1 - fx) * win(-1, 0) + fx * win(-1, -1)))


def images_to_events(images: np.ndarray, params: SaccadeParams) -> list[np.ndarray]:
    """Events of each image ``(B, H, W)`` in [0, 1]: structured arrays (x, y, t, p), time-sorted."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or images.size == 0:
        raise BeamnetError(f"saccade: images must be a non-empty (n, height, width) array, got {images.shape}")
    if images.min() < 0 or images.max() > 1:
        raise BeamnetError("saccade: image intensities must lie in [0, 1]")
    sensor = params.sensor(*images.shape[1:])
    if params.scale > 1:
        images = _smooth(np.repeat(np.repeat(images, params.scale, axis=1), params.scale, axis=2))
    n = len(images)
    t, xs, ys = trajectory(params)
    c = np.float32(params.threshold)
    l_prev = np.log(_render(images, xs[0], ys[0], sensor) + params.eps)
    l_ref = l_prev.copy()
    parts = []
    for k in range(1, len(t)):
        l_new = np.log(_render(images, xs[k], ys[k], sensor) + params.eps)
        d = l_new - l_ref
        for sign in (1, -1):
            count = (d * (sign / c)).astype(np.int32)    # truncation = floor where > 0
            bi, ri, ci = np.nonzero(count > 0)
            if not len(bi):
                continue
            m = count[bi, ri, ci]
            j = np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m) + 1   # 1..m per pixel
            bb, rr, cc = np.repeat(bi, m), np.repeat(ri, m), np.repeat(ci, m)
            level = l_ref[bb, rr, cc] + sign * j * c
            lp, ln = l_prev[bb, rr, cc], l_new[bb, rr, cc]
            frac = np.clip((level - lp) / np.where(ln != lp, ln - lp, 1), 0.0, 1.0)
            tt = np.minimum(np.floor(t[k - 1] + frac * (t[k] - t[k - 1])), t[-1] - 1).astype(np.int64)
            parts.append((bb, cc, rr, tt, np.full(len(bb), sign > 0, dtype=np.int64)))
            l_ref[bi, ri, ci] += sign * m * c
        l_prev = l_new
    if parts:
        b, x, y, tt, p = (np.concatenate(col) for col in zip(*parts))
    else:
        b = x = y = tt = p = np.zeros(0, dtype=np.int64)
    order = np.argsort((b << 23) | tt, kind="stable")
    b, x, y, tt, p = b[order], x[order], y[order], tt[order], p[order]
    bounds = np.searchsorted(b, np.arange(n + 1))
    dtype = [("x", int), ("y", int), ("t", int), ("p", int)]
    out = []
    for i in range(n):
        s = slice(bounds[i], bounds[i + 1])
        ev = np.empty(bounds[i + 1] - bounds[i], dtype=dtype)
        ev["x"], ev["y"], ev["t"], ev["p"] = x[s], y[s], tt[s], p[s]
        out.append(ev)
    return out


def _smooth(images: np.ndarray) -> np.ndarray:
    """A 3 x 3 box blur (what an upscaled image looks like through optics: no hard blocks)."""
    pad = np.pad(images, ((0, 0), (1, 1), (1, 1)), mode="edge")
    acc = sum(pad[:, 1 + dr:1 + dr + images.shape[1], 1 + dc:1 + dc + images.shape[2]]
              for dr in (-1, 0, 1) for dc in (-1, 0, 1))
    return (acc / 9.0).astype(np.float32)


def encode_bin(events: np.ndarray) -> bytes:
    """N-MNIST .bin bytes of ``events`` (5 per event): x, y, p << 7 | t[22:16], t[15:8], t[7:0]."""
    x, y, t, p = (np.asarray(events[f], dtype=np.int64) for f in ("x", "y", "t", "p"))
    if len(t) and (t.min() < 0 or t.max() >= TIMESTAMP_LIMIT):
        raise BeamnetError(f"timestamps must lie in 0..{TIMESTAMP_LIMIT - 1} us for the N-MNIST format")
    if len(x) and (x.min() < 0 or x.max() > 255 or y.min() < 0 or y.max() >= OVERFLOW_Y):
        raise BeamnetError("N-MNIST format: x must be 0..255 and y 0..239")
    rec = np.empty((len(t), 5), dtype=np.uint8)
    rec[:, 0], rec[:, 1] = x, y
    rec[:, 2] = (p.astype(bool).astype(np.int64) << 7) | ((t >> 16) & 0x7F)
    rec[:, 3], rec[:, 4] = (t >> 8) & 0xFF, t & 0xFF
    return rec.tobytes()


def source_images(source: str, data_dir: str | None = None) -> tuple[list[tuple[str, np.ndarray, np.ndarray]], str]:
    """``[(part, images (n, H, W) in [0, 1], labels)]`` of a source: digits, or MNIST IDX files."""
    if source == "digits":
        x, y, desc = load_digits()
        return [("Train", x.reshape(-1, 8, 8), y)], desc
    if source == "mnist":
        parts = mnist_parts(data_dir)
        return [("Train" if name == "train" else "Test", x.reshape(-1, 28, 28), y)
                for name, x, y in parts], f"MNIST ({'+'.join(p[0] for p in parts)}) from {data_dir}"
    raise BeamnetError(f"unknown saccade source {source!r}; use digits or mnist")


def write_saccade_dataset(source: str, out: str | Path, params: SaccadeParams | None = None, *,
                          data_dir: str | None = None, limit: int | None = None, force: bool = False,
                          chunk: int = 256,
                          progress: Callable[[int, int], None] | None = None) -> dict:
    """Convert ``source``'s images to events and write an N-MNIST-format folder at ``out``.

    The folder is built beside ``out`` and swapped in when complete
    (:mod:`beamnet_lava.rundir`); an existing non-empty ``out`` is replaced only
    with ``force`` and only if it is an earlier output of this command (it holds
    ``saccade.json`` and ``NMNIST/``, nothing else). Returns the metadata
    written to ``out/saccade.json``.
    """
    params = params or DEFAULTS.get(source, SaccadeParams())
    out = Path(out)
    rundir.check_replaceable(out, rundir.SACCADE, force)
    parts, desc = source_images(source, data_dir)
    if limit is not None:
        if limit < 1:
            raise BeamnetError(f"--limit must be >= 1, got {limit}")
        parts = [(name, x[:limit], y[:limit]) for name, x, y in parts]
    total = sum(len(y) for _, _, y in parts)
    with rundir.building(out, rundir.SACCADE, force=force) as tmp:
        done, n_events = 0, 0
        for part, x, y in parts:
            folder = tmp / "NMNIST" / part
            for label in np.unique(y):
                (folder / str(int(label))).mkdir(parents=True, exist_ok=True)
            for i in range(0, len(y), chunk):
                for j, ev in enumerate(images_to_events(x[i:i + chunk], params)):
                    (folder / str(int(y[i + j])) / f"{i + j:05d}.bin").write_bytes(encode_bin(ev))
                    n_events += len(ev)
                done += len(y[i:i + chunk])
                if progress:
                    progress(done, total)
        h, w = parts[0][1].shape[1:]
        sh, sw = params.sensor(h, w)
        meta = {"format": "N-MNIST .bin (tonic NMNIST layout)", "source": source,
                "source_description": desc, "params": dataclasses.asdict(params),
                "sensor": [sw, sh, 2], "window_ms": params.window_ms, "samples": total,
                "events": n_events, "events_per_sample": n_events / max(total, 1),
                "reference": "Orchard et al. 2015, Front. Neurosci. 9:437 (N-MNIST saccades)"}
        (tmp / "saccade.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta
