"""Run this bundle's network on Loihi 2 (INRC, lava-loihi) or, without lava-loihi, on Lava's
bit-accurate CPU simulation; write results.json for `beamnet-lava ingest`.

Written by `beamnet-lava bundle`; needs only numpy, h5py, lava-nc and lava-dl
(requirements.txt) and the modules beside it, plus Intel's lava-loihi for the hardware
branch. Public API patterns only:
- lava/utils/loihi.py: ``is_installed()`` checked before ``use_slurm_host(partition, board,
  loihi_gen)``; ``ChipGeneration.N3B3`` is what most INRC Loihi 2 systems are;
- hardware I/O as in lava-dl's tutorials (netx/oxford/runLoihi.py): host RingBuffer source ->
  ``embedded_io.spike.PyToNxAdapter`` -> network -> ``NxToPyAdapter`` -> host RingBuffer sink;
- profiling as in lava-dl's netx/pilotnet_snn/benchmark.ipynb: ``lava.utils.loihi2_profiler``
  ``Loihi2Power(num_steps)``, ``Loihi2ExecutionTime()``, ``Loihi2Activity()``, ``Loihi2Memory()``
  given to ``Loihi2HwCfg(callback_fxs=[...])``; idle chips' static power is subtracted per board.

UNTESTED ON HARDWARE: this script's hardware branch has only run against stand-ins of the
lava-loihi modules. Nothing it prints on a CPU is a hardware figure.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if sys.version_info >= (3, 11):
    # lava-nc 0.10 supports Python < 3.11; on 3.11 beamnet-lava's import-time shim makes it import
    import beamnet_lava  # noqa: F401


class Tee(io.TextIOBase):
    """Echo to the console and keep a copy (the compiler prints its per-core table)."""

    def __init__(self, stream):
        self.stream, self.copy = stream, io.StringIO()

    def write(self, s):
        self.stream.write(s)
        self.copy.write(s)
        return len(s)

    def flush(self):
        self.stream.flush()


def _cell_number(cell: str) -> int | float | None:
    """A table cell as printed: 12 -> 12, '4.90%' -> 4.9; None if it is not a number."""
    try:
        return float(cell[:-1]) if cell.endswith("%") else int(cell)
    except ValueError:
        return None


def per_core_table(log: str) -> list[dict] | None:
    """Rows of the compiler's per-core table, if it printed one: 'Per core distribution' (counts;
    the compiler of lava-dl's Oxford and PilotNet notebooks) or 'Per core utilization'
    (percentages of one core except Cores, plus a Total column; lava-dl's MNIST notebook). A
    percentage is kept as the printed number, and its row gets "percent": True."""
    lines = log.splitlines()
    start = next((i for i, l in enumerate(lines)
                  if "Per core distribution" in l or "Per core utilization" in l), None)
    if start is None:
        return None
    header, rows = None, []
    for line in lines[start + 1:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith("Total"):          # the footer: | Total ... | cores |
            break
        if header is None and cells and cells[0] and _cell_number(cells[0]) is None \
                and not set(line.strip()) <= set("-|"):
            header = cells
            continue
        values = [_cell_number(c) for c in cells[:len(header)]] if header else []
        if header and values and None not in values:
            row = dict(zip(header, values))
            if cells[0].endswith("%"):
                row["percent"] = True
            if len(cells) > len(header) and line.rstrip().rsplit("|", 1)[-1].strip():
                row["layer"] = line.rstrip().rsplit("|", 1)[-1].strip()
            rows.append(row)
    return rows


def public_numbers(obj) -> dict:
    """The numeric public attributes of a profiler object, JSON-able (arrays as lists)."""
    out = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 - a property a profiler cannot compute is skipped
            continue
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[name] = float(value)
        elif isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
            out[name] = value.tolist()
    return out


def energy(power, runtime, steps_per_sample: int, chips_on_board: int) -> dict:
    """Power, time per step and energy per inference; refuses non-positive dynamic power."""
    total = np.asarray(power.total_power, dtype=float)
    static = float(power.static_total_power)
    if chips_on_board > 1:        # idle chips' static power, per Intel's benchmark notebooks
        per_chip = static / chips_on_board
        total = total - (chips_on_board - 1) * per_chip
        static = per_chip
    total_w = float(total.mean())
    dynamic_w = total_w - static
    step_us = float(runtime.avg_time_per_step)
    sample_s = step_us * 1e-6 * steps_per_sample
    out = {"total_power_W": total_w, "static_power_W": static, "dynamic_power_W": dynamic_w,
           "time_per_step_us": step_us, "inferences_per_s": 1.0 / sample_s if sample_s > 0 else None,
           "chips_on_board": chips_on_board}
    if dynamic_w <= 0:
        out["rejected"] = (f"dynamic power {dynamic_w:.6f} W is not positive (measurement noise: "
                           "run longer or on a quieter board); no energy per inference reported")
        return out
    out["energy_per_inference_mJ"] = {"total": total_w * sample_s * 1e3,
                                      "dynamic": dynamic_w * sample_s * 1e3}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--partition", default=os.environ.get("PARTITION"), help="Slurm partition")
    ap.add_argument("--board", default=os.environ.get("BOARD"), help="Slurm board (instead of a partition)")
    ap.add_argument("--loihi-gen", default="N3B3", help="lava.utils.loihi.ChipGeneration name")
    ap.add_argument("--chips-on-board", type=int, default=1,
                    help="chips on the board, to subtract idle chips' static power")
    ap.add_argument("--cpu", action="store_true", help="CPU simulation even if lava-loihi is installed")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    args = ap.parse_args(argv)

    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2HwCfg, Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source
    from lava.utils import loihi

    meta = json.loads((HERE / "bundle.json").read_text())
    inputs = np.load(HERE / "inputs.npy")                     # (samples, inputs, T) 0/1
    labels = np.load(HERE / "labels.npy")                     # -1: given inputs without labels
    known = meta.get("labels_known", True)
    expected = np.load(HERE / "expected_output_spikes.npy")   # (samples, outputs, T)
    n, n_in, window = inputs.shape
    offset = int(meta["output_offset"])                       # output window of sample k: k*T + offset
    total = n * window + offset
    stream = np.zeros((n_in, total), dtype=np.int32)
    stream[:, :n * window] = inputs.transpose(1, 0, 2).reshape(n_in, n * window)

    installed = loihi.is_installed()
    hardware = installed and not args.cpu
    slurm_note = None
    if hardware:
        gen = loihi.ChipGeneration[args.loihi_gen]
        try:
            loihi.use_slurm_host(partition=args.partition, board=args.board, loihi_gen=gen)
        except IndexError:
            # lava-nc 0.10's slurm.get_partitions (utils/slurm.py:121-133) parses the empty line
            # after sinfo's final newline and fails; set what use_slurm_host sets, as lava-dl's
            # netx/oxford/runLoihi.py does by hand
            os.environ.update({"SLURM": "1", "LOIHI_GEN": gen.value})
            os.environ.pop("NOSLURM", None)
            for key, value in (("PARTITION", args.partition), ("BOARD", args.board)):
                if value:
                    os.environ[key] = value
            slurm_note = ("lava.utils.loihi.use_slurm_host failed parsing sinfo (IndexError); "
                          "SLURM, PARTITION/BOARD and LOIHI_GEN were set directly")
            print(slurm_note, file=sys.stderr)

    if meta.get("graph") == "plan":         # lava-dl conv/pool/SDNN/readout: stock processes of a plan
        import lavadl_procs

        plan = lavadl_procs.load_plan(HERE / meta["plan"])
        net_in, built = lavadl_procs.build(plan, window if meta["reset"] else None, "fixed")
        net_out = built[-1][0]
        stream = stream.reshape(*net_in.shape, total)          # inputs are in the port's order
    elif meta.get("graph", "netx") == "stock_beamnet":     # netx cannot build it: stock_graph.py
        import stock_graph

        net_in, net_out = stock_graph.build(stock_graph.load(HERE / meta["network"]), window,
                                            int(meta["reset_offset"]))
    else:
        from lava.lib.dl import netx

        net = netx.hdf5.Network(net_config=str(HERE / meta["network"]), reset_interval=window,
                                reset_offset=int(meta["reset_offset"]))
        net_in, net_out = net.inp, net.out
    source = Source(data=stream)
    sink = Sink(shape=net_out.shape, buffer=total)
    loggers = {}
    if hardware:
        from lava.proc.embedded_io import spike as eio_spike
        from lava.utils import loihi2_profiler

        to_chip = eio_spike.PyToNxAdapter(shape=net_in.shape)
        from_chip = eio_spike.NxToPyAdapter(shape=net_out.shape)
        source.s_out.connect(to_chip.inp)
        to_chip.out.connect(net_in)
        net_out.connect(from_chip.inp)
        from_chip.out.connect(sink.a_in)
        loggers = {"power": loihi2_profiler.Loihi2Power(num_steps=total),
                   "execution_time": loihi2_profiler.Loihi2ExecutionTime(),
                   "activity": loihi2_profiler.Loihi2Activity(),
                   "memory": loihi2_profiler.Loihi2Memory()}
        run_cfg = Loihi2HwCfg(callback_fxs=list(loggers.values()))
    else:
        source.s_out.connect(net_in)
        net_out.connect(sink.a_in)
        run_cfg = Loihi2SimCfg(select_tag="fixed_pt")

    from placement import describe, process_placements

    tee = Tee(sys.stdout)
    try:
        with contextlib.redirect_stdout(tee):
            source.create_runtime(run_cfg=run_cfg)     # compiles: models are now selected
            placements = process_placements(source)
            print(describe(placements))                # chip or host, stated before running
            t0 = time.perf_counter()
            source.run(condition=RunSteps(num_steps=total))
            seconds = time.perf_counter() - t0
            recorded = np.asarray(sink.data.get()).reshape(-1, total)
    finally:
        if source.runtime is not None:
            source.stop()

    def window_of(shift: int) -> np.ndarray:
        seg = recorded[:, offset + shift:offset + shift + n * window]
        seg = np.pad(seg, ((0, 0), (0, n * window - seg.shape[1])))
        return seg.reshape(-1, n, window).transpose(1, 0, 2).astype(expected.dtype)

    import job_readout

    readout = job_readout.load(HERE)
    out = window_of(0)
    counts, _, pred = job_readout.decide(out, meta, readout)
    exp_counts, _, exp_pred = job_readout.decide(expected, meta, readout)
    fallbacks = [r for r in placements if r["runs_on"].startswith("host") and r["class"] != "RingBuffer"]
    if not hardware:
        measured_on = "Lava CPU simulation (Loihi2SimCfg fixed_pt): NOT a hardware measurement"
    elif fallbacks:
        measured_on = (f"Loihi2HwCfg, but {len(fallbacks)} process(es) fell back to host Python "
                       "models (see host_fallbacks): NOT a chip measurement of those")
        print("WARNING: " + measured_on, file=sys.stderr)
    else:
        measured_on = "Loihi 2 via lava-loihi"
    result = {
        "bundle": meta["name"], "network_sha256": meta["network_sha256"],
        "backend": "loihi2" if hardware else "cpu", "measured_on": measured_on,
        "lava_loihi_installed": installed, "partition": args.partition, "board": args.board,
        "loihi_gen": args.loihi_gen if hardware else None, "slurm_note": slurm_note,
        "n_samples": n, "time_steps": window, "steps": total, "run_seconds": seconds,
        "labels": labels.tolist(), "predictions": pred.tolist(), "output_counts": counts.tolist(),
        "accuracy": float((pred == labels).mean()) if known else None,
        "expected_accuracy": float((exp_pred == labels).mean()) if known else None,
        "agreement": {"spike_trains": float((out == expected).reshape(n, -1).all(axis=1).mean()),
                      "counts": float((counts == exp_counts).all(axis=1).mean()),
                      "predictions": float((pred == exp_pred).mean())},
        "placements": placements, "host_fallbacks": fallbacks if hardware else [],
        "per_core_table": per_core_table(tee.copy.getvalue()),
    }
    if hardware:
        # embedded I/O may add pipeline steps on the chip: report agreement at small shifts too
        result["agreement_by_shift"] = {
            str(s): float((window_of(s) == expected).reshape(n, -1).all(axis=1).mean())
            for s in range(4)}
        result["profiler"] = {k: public_numbers(v) for k, v in loggers.items()}
        result["energy"] = energy(loggers["power"], loggers["execution_time"], window,
                                  args.chips_on_board)
        np.save(Path(args.out).with_name("recorded_output_stream.npy"), recorded)
    Path(args.out).write_text(json.dumps(result, indent=1))
    accuracy = "n/a (no labels)" if result["accuracy"] is None else f"{result['accuracy']:.4f}"
    print(f"{result['measured_on']}: accuracy {accuracy}, agreement with the CPU "
          f"simulation's spike trains {result['agreement']['spike_trains']:.1%} -> {args.out}")
    if "energy" in result and "rejected" in result["energy"]:
        print("REJECTED: " + result["energy"]["rejected"], file=sys.stderr)
    if not hardware and result["agreement"]["spike_trains"] != 1.0:
        print("CPU simulation does not reproduce expected_output_spikes.npy: the installed lava "
              "versions differ from requirements.txt, or the bundle is damaged", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
