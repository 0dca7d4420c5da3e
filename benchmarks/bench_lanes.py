"""Lava throughput with lanes, every model family, side by side in one run.

Trains the default digits SNN, a digits-seq BRF and the default BEAM-Net (short
trainings; ``--brf-epochs``), exports them and runs each test split on Lava
fixed_pt with one lane and with ``--lanes auto`` (BEAM-Net: 16 lanes, the old
default, and auto). With ``--smnist-net`` it also runs an exported S-MNIST BRF
on the whole 2,000-sequence test part (auto lanes; ``--smnist-one-lane`` of them
with one lane). For every run it prints samples/s, parity with the training
model, prediction agreement, lanes, the peak memory of the Lava process tree,
and the training model's own batched inference on the same samples (the
reference the parity is computed against) as a ratio. The machine's load
average is printed at start and end: on a shared machine only ratios measured
in the same run compare.

    python benchmarks/bench_lanes.py [--json bench_lanes.json]
    python benchmarks/bench_lanes.py --smnist-net smnist.net --data-dir ../shared/data/mnist

Also measures the per-step arithmetic of the two ways to hold lanes in one
synapse process at the SNN digits layer (128 x 64) with 360 lanes: a
block-diagonal stock ``Sparse`` (lava-nc's binary-spike step: CSR column
slicing) against ``LaneDense`` (one ``(lanes, in) x (in, out)`` product), and
the memory a block-diagonal stock ``Dense`` would need.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import beamnet_lava  # noqa: F401  (lava shim)


class PeakMemory:
    """Peak proportional set size (PSS: shared pages split between sharers) summed over
    this process and all its descendants (the Lava children), sampled every 0.2 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def _tree_pss() -> int:
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        tree, frontier = {os.getpid()}, [os.getpid()]
        while frontier:
            pid = frontier.pop()
            kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
            tree.update(kids)
            frontier.extend(kids)
        total = 0
        for pid in tree:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            except OSError:
                pass
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_pss())
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def representation(lanes: int = 360, n_out: int = 128, n_in: int = 64, steps: int = 200) -> dict:
    """Per-step arithmetic: block-diagonal CSR column slicing (stock Sparse) vs LaneDense."""
    from scipy.sparse import block_diag, csr_matrix

    rng = np.random.default_rng(0)
    w = rng.integers(-128, 128, size=(n_out, n_in)).astype(np.int32)
    big = csr_matrix(block_diag([w] * lanes, format="csr"))
    w_t = np.ascontiguousarray(w.T, dtype=np.float64)
    spikes = rng.random((steps, lanes * n_in)) < 0.1
    t0 = time.perf_counter()
    for s in spikes:
        sparse_out = big[:, s].sum(axis=1).A1
    t_sparse = (time.perf_counter() - t0) / steps
    t0 = time.perf_counter()
    for s in spikes:
        lane_out = np.rint(s.reshape(lanes, -1).astype(np.float64) @ w_t).astype(np.int64).reshape(-1)
    t_lane = (time.perf_counter() - t0) / steps
    assert (sparse_out == lane_out).all()
    return {"lanes": lanes, "layer": [n_out, n_in], "sparse_block_diagonal_us": 1e6 * t_sparse,
            "lane_dense_us": 1e6 * t_lane, "speedup": t_sparse / t_lane,
            "dense_block_diagonal_bytes": (lanes * n_out) * (lanes * n_in) * 4}


def measured(label: str, fn) -> dict:
    with PeakMemory() as mem:
        r = fn()
    r["peak_memory_bytes"] = mem.peak
    ref_s = r.get("reference_seconds")
    print(f"{label:34s} lanes {r['lanes']:>4}: {r['samples_per_s']:8.1f} samples/s "
          f"(run {r['run_seconds']:.2f} s, compile {r['compile_seconds']:.2f} s), parity "
          f"{r['parity']:.1%}, predictions {r['prediction_agreement']:.1%}, peak "
          f"{mem.peak / 2**30:.2f} GiB; training model {r['n_samples'] / ref_s:,.0f} samples/s "
          f"({r['n_samples'] / ref_s / r['samples_per_s']:.1f}x Lava)", flush=True)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--brf-epochs", type=int, default=3)
    ap.add_argument("--one-lane-samples", type=int, default=None,
                    help="run the one-lane baselines on the first N samples only [default: all]")
    ap.add_argument("--smnist-net", type=Path, help="an exported S-MNIST BRF (mnist-seq)")
    ap.add_argument("--smnist-one-lane", type=int, default=20)
    ap.add_argument("--data-dir", default="../shared/data/mnist")
    ap.add_argument("--skip", default="", help="comma separated: snn, brf, beamnet")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from beamnet_lava.config import BeamnetConfig, SeqConfig, SNNConfig
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.sim_cpu.dataset_run import run_dataset
    from beamnet_lava.workflows.train import train

    load0 = os.getloadavg()
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} "
          f"({os.cpu_count()} cores)")
    rep = representation()
    print(f"synapse per step, {rep['layer'][0]}x{rep['layer'][1]} layer, {rep['lanes']} lanes: "
          f"block-diagonal stock Sparse {rep['sparse_block_diagonal_us']:.0f} us, LaneDense "
          f"{rep['lane_dense_us']:.0f} us ({rep['speedup']:.0f}x); block-diagonal stock Dense "
          f"would hold {rep['dense_block_diagonal_bytes'] / 2**30:.1f} GiB of weights", flush=True)
    work = Path(tempfile.mkdtemp(prefix="beamnet-bench-lanes-"))
    one_n = args.one_lane_samples
    rows: dict[str, dict] = {"representation": rep}
    skip = set(filter(None, args.skip.split(",")))

    def pair(family: str, path: Path, dataset: str, base_lanes: int, **kw) -> None:
        base = measured(f"{family} {dataset}", lambda: run_dataset(
            path, dataset, one_n if base_lanes == 1 else None, lanes=base_lanes, progress=False, **kw))
        auto = measured(f"{family} {dataset}", lambda: run_dataset(
            path, dataset, None, lanes="auto", progress=False, **kw))
        n = min(base["n_samples"], auto["n_samples"])
        same = base["predictions"][:n] == auto["predictions"][:n]
        ratio = auto["samples_per_s"] / base["samples_per_s"]
        print(f"  -> auto / {base_lanes} lane(s): {ratio:.1f}x; predictions identical on the "
              f"{n} samples both ran: {same}", flush=True)
        rows[family] = {"base": base, "auto": auto, "ratio": ratio, "predictions_identical": same}

    if "snn" not in skip:
        train(SNNConfig(), work / "snn", progress=False)
        export_run(work / "snn", work / "snn.net")
        pair("snn", work / "snn.net", "digits", 1)
    if "brf" not in skip:
        train(SeqConfig(epochs=args.brf_epochs), work / "brf", progress=False)
        export_run(work / "brf", work / "brf.net")
        pair("brf", work / "brf.net", "digits-seq", 1)
    if "beamnet" not in skip:
        train(BeamnetConfig(), work / "bn", progress=False)
        export_run(work / "bn", work / "bn.net")
        pair("beamnet", work / "bn.net", "digits", 16)
    if args.smnist_net:
        base = measured("brf mnist-seq", lambda: run_dataset(
            args.smnist_net, "mnist-seq", args.smnist_one_lane, lanes=1, data_dir=args.data_dir,
            progress=False))
        auto = measured("brf mnist-seq", lambda: run_dataset(
            args.smnist_net, "mnist-seq", None, lanes="auto", data_dir=args.data_dir,
            progress=False))
        n = base["n_samples"]
        print(f"  -> auto / 1 lane: {auto['samples_per_s'] / base['samples_per_s']:.1f}x; "
              f"{auto['n_samples']} test sequences, hidden spike trains identical to the "
              f"fixed-point forward: {auto['layer_parity']['layer0']:.2%}, accuracy "
              f"{auto['accuracy']:.4f}; predictions identical on the first {n}: "
              f"{base['predictions'] == auto['predictions'][:n]}", flush=True)
        rows["smnist"] = {"base": base, "auto": auto}
    load1 = os.getloadavg()
    print(f"load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if args.json:
        for r in rows.values():
            for k in ("base", "auto"):
                if k in r:
                    r[k].pop("samples", None)
                    r[k].pop("predictions", None)
        rows["load_average"] = {"start": load0, "end": load1}
        args.json.write_text(json.dumps(rows, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
