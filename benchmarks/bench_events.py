"""Event data speed: saccade conversion of MNIST images, and loading N-MNIST-format files.

    python benchmarks/bench_events.py [--mnist ../shared/data/mnist] [--limit N] [--json out.json]

1. Converts the MNIST images in --mnist (../shared/data/mnist: the 10,000 test
   images) to N-MNIST-format event files with `beamnet-lava data saccade`'s
   function (target: <= 2 minutes for 10,000 images).
2. Loads that folder into spike tensors (binned frames, T = 16, N-MNIST's
   34 x 34 x 2 inputs): cold (tonic's reader on every .bin file, then the
   packed-events cache is written) and warm (from the cache); samples/s of
   each (target: >= 1,000 samples/s).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from beamnet_lava.data.events import EventEncoding, read_nmnist
from beamnet_lava.data.saccade import write_saccade_dataset


def to_spikes(root: Path, time_steps: int) -> tuple[int, float, float]:
    """Samples loaded into spike tensors, wall seconds, CPU seconds of this process."""
    t0, c0 = time.perf_counter(), time.process_time()
    es = read_nmnist(root)
    enc = EventEncoding()
    n = 0
    for i in range(0, len(es), 1000):          # spike tensors in batches of 1,000 samples
        n += len(es.raster(np.arange(i, min(i + 1000, len(es))), time_steps, enc, dtype=np.uint8))
    return n, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mnist", default=str(Path(__file__).resolve().parents[1].parent / "shared/data/mnist"))
    ap.add_argument("--limit", type=int, help="convert only the first N images")
    ap.add_argument("--time-steps", type=int, default=16)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="beamnet-bench-events-"))
    os.environ["BEAMNET_LAVA_CACHE"] = str(work / "cache")      # a cold cache of our own
    try:
        out = work / "saccade-mnist"
        t0, c0 = time.perf_counter(), time.process_time()
        meta = write_saccade_dataset("mnist", out, data_dir=args.mnist, limit=args.limit)
        convert, convert_cpu = time.perf_counter() - t0, time.process_time() - c0
        n, cold, cold_cpu = to_spikes(out, args.time_steps)
        _, warm, warm_cpu = to_spikes(out, args.time_steps)
        res = {"images": meta["samples"], "convert_seconds": convert, "convert_cpu_seconds": convert_cpu,
               "convert_images_per_s": meta["samples"] / convert,
               "events_per_sample": meta["events_per_sample"], "sensor": meta["sensor"],
               "load_cold_seconds": cold, "load_cold_samples_per_s": n / cold,
               "load_cold_samples_per_cpu_s": n / cold_cpu,
               "load_warm_seconds": warm, "load_warm_samples_per_s": n / warm,
               "load_warm_samples_per_cpu_s": n / warm_cpu,
               "time_steps": args.time_steps, "cpu_count": os.cpu_count(),
               "load_average": os.getloadavg()[0]}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"saccade conversion: {res['images']} images in {convert:.1f} s ({convert_cpu:.1f} CPU s) "
          f"({res['convert_images_per_s']:.0f} images/s, {res['events_per_sample']:.0f} events/sample, "
          f"sensor {res['sensor'][0]}x{res['sensor'][1]})")
    print(f"loading into spike tensors (T={args.time_steps}): cold {res['load_cold_samples_per_s']:.0f} "
          f"samples/s (tonic reader + cache write; {res['load_cold_samples_per_cpu_s']:.0f} per CPU s), "
          f"warm {res['load_warm_samples_per_s']:.0f} samples/s (cache; "
          f"{res['load_warm_samples_per_cpu_s']:.0f} per CPU s); load average {res['load_average']:.1f} on {res['cpu_count']} cores")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
