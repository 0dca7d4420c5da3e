"""cProfile of the Lava process models, each in its own child process, with lanes.

Lava runs every process model in a forked child, out of reach of a profiler in
the parent (py-spy ``--subprocesses`` saw only the parent here). This script
wraps ``PyLoihiProcessModel.start`` (the child's main loop) in cProfile for the
duration of the run, merges the children's statistics per process model and
prints where the time of a step goes: our models' own code versus Lava's
messaging (``pypychannel``) and the wait for the other processes.

    python benchmarks/profile_lanes.py FILE [FILE ...] [--dataset digits] [--lanes auto|N] [--top 12]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
from pathlib import Path

import beamnet_lava  # noqa: F401  (lava shim)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--dataset", action="append", help="dataset per file [default: the file's]")
    ap.add_argument("--data-dir")
    ap.add_argument("--samples", type=int)
    ap.add_argument("--lanes", default="auto", help="lanes: auto or N [default: auto]")
    ap.add_argument("--chunk", type=int, default=32, help="samples per Lava run call")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()

    from lava.magma.core.model.py.model import PyLoihiProcessModel

    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    out = Path(tempfile.mkdtemp(prefix="beamnet-profile-"))
    original = PyLoihiProcessModel.start

    def profiled_start(self):
        prof = cProfile.Profile()
        try:
            prof.runcall(original, self)
        finally:
            prof.dump_stats(out / f"{type(self).__name__}.{os.getpid()}.prof")

    PyLoihiProcessModel.start = profiled_start
    for i, path in enumerate(args.files):
        dataset = args.dataset[i] if args.dataset else None
        lanes = args.lanes if args.lanes == "auto" else int(args.lanes)
        r = run_dataset(path, dataset, args.samples, lanes=lanes, data_dir=args.data_dir,
                        chunk_samples=args.chunk, progress=False)
        print(f"\n=== {path} ({r['dataset']}, {r['n_samples']} samples, {r['lanes']} lanes): "
              f"{r['samples_per_s']:.1f} samples/s, run {r['run_seconds']:.2f} s, "
              f"{r['steps']} steps ({1e3 * r['run_seconds'] / r['steps']:.1f} ms/step)")
        files = sorted(out.glob("*.prof"))
        for name in sorted({f.name.split(".")[0] for f in files}):
            stats = pstats.Stats(*[str(f) for f in files if f.name.startswith(name + ".")])
            total = stats.total_tt
            spk = sum(v[3] for k, v in stats.stats.items() if k[2] == "run_spk")
            print(f"--- {name}: {total:.2f} s in the child, run_spk (inclusive) {spk:.2f} s")
            stats.sort_stats("tottime").print_stats(args.top)
        for f in files:
            f.unlink()


if __name__ == "__main__":
    main()
