"""``beamnet-lava bundle``: an INRC job folder for a NetX file of stock Lava processes.

The folder holds the network, N encoded input samples, the outputs Lava's bit-accurate
CPU simulation (``Loihi2SimCfg(select_tag="fixed_pt")``) gives for them, a standalone
``run_loihi2.py`` (numpy + lava-nc + lava-dl; lava-loihi for the chip), a Slurm batch
script, pinned requirements and a README. ``run_loihi2.py`` writes ``results.json``,
which :mod:`beamnet_lava.deploy.ingest` turns into run records.

Only files whose every neuron has a public Loihi 2 model are bundled (``inspect`` says
which): BEAM-Net's Bayesian LIF and the BRF neurons need INRC-only microcode.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import budget, outputs, rundir
from beamnet_lava.deploy import job_readout
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import umask
from beamnet_lava.families.registry import Feature, provide
from beamnet_lava.deploy.fit import NO_FILE
from beamnet_lava.families.contracts import BundleCaseHook

PLAN_FILE = "lavadl_plan.npz"      # a lava-dl network's stages (sim_cpu/lavadl_procs.py)

#: The stack the bundle was built and tested with (lava-nc's and lava-dl's newest releases).
REQUIREMENTS = """\
# Lava versions this bundle's expected outputs were computed with (pinned: the CPU simulation
# must reproduce expected_output_spikes.npy bit for bit). lava-nc 0.10 / lava-dl 0.6 support
# Python 3.10. Intel's lava-loihi is not on PyPI: install the INRC release matching lava-nc 0.10.
lava-nc==0.10.0
lava-dl==0.6.0
numpy>=1.24.4,<2
scipy>=1.10,<2
networkx<=2.8.7
asteval>=0.9.31,<0.10
h5py>=3.7,<4
"""

SLURM = """\
#!/bin/bash
# Slurm batch script for an INRC Loihi 2 system. Set the partition (or board) your INRC
# account can use, e.g. `sbatch --partition=oheogulch job.slurm`. UNTESTED ON HARDWARE.
#SBATCH --job-name={name}
#SBATCH --output=slurm-%j.log
#SBATCH --time=00:30:00
#SBATCH --ntasks=1
set -euo pipefail
cd "$(dirname "$0")"
# lava-loihi submits the chip job through Slurm itself (lava.utils.loihi.use_slurm_host);
# the partition of this job is passed on so both use the same boards.
python run_loihi2.py --partition "${{SLURM_JOB_PARTITION:-${{PARTITION:-}}}}" "$@"
"""

README = """\
# INRC job bundle: {name}

Written by `beamnet-lava bundle` from `{source}` ({family} family, {n} {dataset} {part}
samples, {window} steps each). **Nothing in this folder has run on Loihi 2.**

## What it needs
- An INRC account with access to a Loihi 2 system (most INRC Loihi 2 systems are N3B3,
  `lava.utils.loihi.ChipGeneration`), Slurm on that machine, Python 3.10.
- `pip install -r requirements.txt` plus Intel's `lava-loihi` (INRC members only, not on PyPI).

## Run
    sbatch job.slurm                  # on the INRC machine (or: python run_loihi2.py --partition P)
    python run_loihi2.py --cpu        # anywhere: Lava's CPU simulation (no chip)
Then bring `results.json` back and run `beamnet-lava ingest results.json -o RUN_DIR`
and `beamnet-lava compare RUN_DIR ...`.

## Files
| file | content |
|---|---|
| `{network}` | the NetX network (sha256 `{sha}`) |
| `inputs.npy` | uint8 `(samples, {n_in}, {window})` input spikes, encoded as at training |
| `labels.npy` | int64 labels |
| `expected_output_spikes.npy` | uint8 `(samples, {n_out}, {window})`: output spikes of the CPU fixed_pt simulation |
| `bundle.json` | timing offsets, provenance, what was tested |
| `run_loihi2.py` (+ `placement.py`, `stock_graph.py`, `job_readout.py`) | the job (numpy, h5py, lava-nc, lava-dl; lava-loihi for the chip) |
| `readout.npz` | stock BEAM-Net only: the trained Dirichlet readout (run on the host) |
| `lavadl_plan.npz`, `lavadl_procs.py` | lava-dl conv/pool/SDNN files only: the stock processes' parameters and their builder (inputs and outputs then in Lava's port order, graded values as int32/int64) |
| `job.slurm`, `requirements.txt` | Slurm batch script, pinned Lava versions |

## What `run_loihi2.py` does
- With lava-loihi installed (`lava.utils.loihi.is_installed()`): `use_slurm_host(partition,
  board, loihi_gen)`, host RingBuffer source -> `embedded_io.spike.PyToNxAdapter` -> network
  -> `NxToPyAdapter` -> host sink; `Loihi2HwCfg(callback_fxs=[Loihi2Power(num_steps),
  Loihi2ExecutionTime(), Loihi2Activity(), Loihi2Memory()])`; records outputs, agreement
  with the CPU simulation (also at 1-3 steps of shift, in case the embedded I/O adds
  latency), the compiler's per-core table if it prints one, every numeric profiler
  result, power, time per step and energy per inference. A non-positive dynamic power
  (measurement noise) is rejected: no energy figure is reported from it. Short runs give
  noisy power: Intel's PilotNet benchmark notebook runs 10,000 steps for its figures, so
  bundle enough samples (`--samples`) for the run to last that long.
- Without lava-loihi (or with `--cpu`): the same network on `Loihi2SimCfg(select_tag="fixed_pt")`;
  it must reproduce `expected_output_spikes.npy` exactly (exit code 2 otherwise).

## Tested / not tested
- Tested (by beamnet-lava's test suite, on a CPU): the CPU branch reproduces the expected
  outputs exactly; the hardware branch's wiring, run against stand-ins of the lava-loihi
  modules (profiler, embedded I/O, Nc/C model bases) and of Slurm's `sinfo`.
- NOT tested: anything on a Loihi 2 chip, lava-loihi itself, the real profiler's attribute
  names beyond those in Intel's published notebooks, the embedded I/O latency, Slurm
  submission on INRC.
"""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bundle_inputs(net, dataset: str | None, samples: int | None, part: str,
                  data_dir: str | None, seed: int | None, inputs: str | Path | None = None,
                  time_steps: int | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Encoded input spikes and labels of a NetX SNN file, as ``run`` feeds them; with
    ``inputs`` (a .npy of (samples, steps, inputs) spikes, as ``run --inputs``) those, unlabelled."""
    from beamnet_lava.data import load_split
    from beamnet_lava.sim_cpu.common import take_samples

    attrs = net.attrs
    if inputs is not None:
        from beamnet_lava.sim_cpu.spike_inputs import load_spikes

        spikes = load_spikes(inputs)[:samples]
        if spikes.shape[2] != net.input_size:
            raise BeamnetError(f"{inputs}: {spikes.shape[2]} inputs per step, but {net.path} has "
                               f"{net.input_size} inputs")
        if time_steps is not None and time_steps != spikes.shape[1]:
            raise BeamnetError(f"{inputs} has {spikes.shape[1]} steps per sample, not --time-steps {time_steps}")
        return spikes.transpose(0, 2, 1).copy(), np.full(len(spikes), -1, np.int64), {
            "dataset": f"inputs {Path(inputs).name}", "part": "-", "split": "given inputs (no labels)",
            "window": spikes.shape[1], "labels_known": False}
    dataset = dataset or attrs.get("dataset") or "digits"
    window = int(time_steps or attrs.get("time_steps") or 0)
    if window < 1:
        raise BeamnetError(f"{net.path} does not record its time steps (not exported by "
                           "beamnet-lava); pass --time-steps (and --inputs X.npy for your own inputs)")
    data = load_split(dataset, seed=int(attrs.get("seed", 0) if seed is None else seed),
                      data_dir=data_dir, options=attrs)
    x, y = data.part(part)
    if x.shape[1] != net.input_size:
        raise BeamnetError(f"{dataset} samples have {x.shape[1]} features but {net.path} expects "
                           f"{net.input_size} inputs")
    x, labels = take_samples(x, y, samples, dataset, part)
    spikes = data.spikes(part, window, len(x)).astype(np.uint8)
    return spikes, np.asarray(labels, dtype=np.int64), {"dataset": dataset, "part": part,
                                                        "split": data.description, "window": window}


def _netx_case(src: Path, samples: int, part: str, dataset: str | None, data_dir: str | None,
               seed: int | None, timeout_s: float, *, inputs: str | Path | None = None,
               time_steps: int | None = None) -> dict[str, Any]:
    """A NetX file of CUBA dense layers: lava-dl's netx loader builds it in the job."""
    from beamnet_lava.netx_export.netx_file import read_netx
    from beamnet_lava.nir import readout
    from beamnet_lava.sim_cpu.snn_run import run_snn
    from beamnet_lava.sim_cpu.graph import reset_offset_of

    net = read_netx(src)
    if net.layers[0].kind == "input":
        raise BeamnetError(f"{src}: its input layer has neurons, which lava-dl 0.6 cannot run "
                           "in fixed point on the CPU, so no expected outputs can be computed")
    if readout.of(net) is not None:
        raise BeamnetError(f"{src}: its last layer is an LI readout (membrane values, docs/nir.md), "
                           "which the INRC job does not record yet (it compares output spikes); "
                           "run it with run --inputs --record")
    spikes, labels, info = bundle_inputs(net, dataset, samples, part, data_dir, seed, inputs, time_steps)
    _, result, _ = run_snn(net, spikes, info["window"], precision="fixed", timeout_s=timeout_s,
                           chunk_samples=max(1, len(spikes)), progress=False, lanes=1)
    first = reset_offset_of(net)
    return {"spikes": spikes, "labels": labels, "expected": result.output.astype(np.uint8),
            "files": {}, "meta": {
                **info, "graph": "netx", "model": net.attrs.get("model"), "seed": net.attrs.get("seed"),
                "temperature": float(net.attrs.get("temperature", 1.0)),  # softmax(counts / T)
                "reset_offset": first,                 # netx.hdf5.Network(reset_offset=...)
                "output_offset": first + len(net.layers) - 1}}


def _stock_beamnet_case(src: Path, samples: int, part: str, dataset: str | None,
                        data_dir: str | None, seed: int | None, timeout_s: float, *,
                        inputs: str | Path | None = None, time_steps: int | None = None) -> dict[str, Any]:
    """BEAM-Net's stock variant: the job builds it with the shipped ``stock_graph.py``."""
    if inputs is not None or time_steps is not None:
        raise BeamnetError(f"{src}: a BEAM-Net bundle takes its encoders' inputs from the dataset "
                           "it was trained on; --inputs/--time-steps are for SNN and lava-dl files")
    from beamnet_lava.netx_export.stock_file import read_stock
    from beamnet_lava.sim_cpu.stock_run import StockSpec, stock_inputs
    from beamnet_lava.sim_cpu.runner import LavaNetwork

    sb = read_stock(src)
    spikes, labels, dataset, split = stock_inputs(sb, dataset, samples, part, data_dir)
    with LavaNetwork(StockSpec(sb), sb.window, chunk_samples=max(1, len(spikes)),
                     timeout_s=timeout_s) as lava:
        expected = lava.run(spikes).output.astype(np.uint8)
    readout = {"a": np.logaddexp(0.0, sb.readout_logits), "alpha_0": sb.alpha_0, "eta": sb.eta}
    return {"spikes": spikes, "labels": labels, "expected": expected,
            "files": {job_readout.READOUT_FILE: readout}, "meta": {
                "dataset": dataset, "part": part, "split": split, "window": sb.window,
                "graph": "stock_beamnet", "model": "beamnet-stock", "seed": sb.config.seed,
                "burn_in": sb.config.burn_in, "readout": "dirichlet (Eq. 12), readout.npz",
                "reset_offset": StockSpec.lif_reset_offset,  # LIFReset(reset_offset=...)
                "output_offset": StockSpec.reset_offset}}


def _lavadl_case(src: Path, samples: int, part: str, dataset: str | None, data_dir: str | None,
                 seed: int | None, timeout_s: float, *, inputs: str | Path | None = None,
                 time_steps: int | None = None) -> dict[str, Any]:
    """A lava-dl file (conv, pool, SDNN, readout): the job builds the graph of stock processes
    from the plan this writes (``lavadl_plan.npz``) with the shipped ``lavadl_procs.py``, the
    builder beamnet-lava's own runs use. Static images (an input block's bias) are fed as
    per-step values on its neurons' ``a_in``, which is the same computation when the input
    neurons' current decays fully each step (``iDecay`` 4096: lava-dl's tiny.net, PilotNet,
    bootstrap MNIST); other files need per-step inputs."""
    from beamnet_lava.netx_export.lavadl_file import read_lavadl
    from beamnet_lava.sim_cpu.lavadl_run import load_inputs

    net = read_lavadl(src)
    if inputs is None:
        raise BeamnetError(f"{src} is a lava-dl network that records no dataset encoding: give "
                           "--inputs X.npy (and --time-steps T for static images), as for `run`")
    x = load_inputs(inputs)[:samples]
    return _plan_case(src, net, x, np.full(len(x), -1, np.int64), timeout_s, time_steps, {
        "dataset": f"inputs {Path(inputs).name}", "part": "-", "split": "given inputs (no labels)",
        "model": None, "labels_known": False})


def _csnn_case(src: Path, samples: int, part: str, dataset: str | None, data_dir: str | None,
               seed: int | None, timeout_s: float, *, inputs: str | Path | None = None,
               time_steps: int | None = None) -> dict[str, Any]:
    """A CSNN file is lava-dl's own format: the job is a lava-dl plan job, fed by default with
    the dataset samples the file records, encoded as ``run`` encodes them (labels known, so the
    job reports accuracy); ``--inputs`` gives other (unlabelled) spikes."""
    if inputs is not None:
        return _lavadl_case(src, samples, part, dataset, data_dir, seed, timeout_s, inputs=inputs,
                            time_steps=time_steps)
    from beamnet_lava.netx_export.csnn_file import read_csnn
    from beamnet_lava.netx_export.lavadl_file import read_lavadl
    from beamnet_lava.sim_cpu.csnn_run import dataset_spikes

    spikes, labels, info = dataset_spikes(read_csnn(src), dataset, samples, part, data_dir, seed,
                                          time_steps)
    info = {**info, "model": "csnn", "labels_known": True}
    return _plan_case(src, read_lavadl(src), spikes.transpose(0, 2, 1), labels, timeout_s,
                      None, info)


def _plan_case(src: Path, net, x: np.ndarray, labels: np.ndarray, timeout_s: float,
               time_steps: int | None, info: dict[str, Any]) -> dict[str, Any]:
    """The expected outputs and the plan of a lava-dl network on inputs ``x`` (per-step values
    ``(samples, steps, ...)`` or static images)."""
    from beamnet_lava.neurons.fixed_point import DECAY_UNITY
    from beamnet_lava.sim_cpu import lavadl_graph, lavadl_procs

    mode = lavadl_graph.resolve_mode(net, x, "auto")
    if mode == "bias":
        x, window = lavadl_graph.shape_inputs(net, x, mode, time_steps)
        cell = net.input_block.neuron
        if cell.i_decay != DECAY_UNITY:
            raise BeamnetError(f"{src}: static images are the input neurons' bias, which a job "
                               f"streams as their a_in only when their current decays fully "
                               f"(iDecay 4096, found {cell.i_decay}); give per-step values "
                               "(samples, steps, inputs) instead")
        x, mode = np.repeat(x[:, None], window, axis=1), "values"
    options = lavadl_graph.LavadlOptions(time_steps=time_steps, input_mode=mode, timeout_s=timeout_s,
                                         chunk_samples=max(1, len(x)))
    result = lavadl_graph.run_lavadl(net, x, options)
    n, window = len(x), result.window
    feed = lavadl_graph.pack(np.asarray(x).reshape(n, window, -1), 1, lavadl_graph.entry_shape(net))
    feed = feed.transpose(0, 2, 1)                                    # (samples, port order, T)
    out_block = net.output
    expected = lavadl_graph.pack(result.output, 1, lavadl_graph.port_shape(out_block)).transpose(0, 2, 1)
    plan = lavadl_graph.plan(net, "fixed", mode)
    return {"spikes": np.ascontiguousarray(feed.astype(np.uint8 if mode == "spikes" else np.int32)),
            "labels": labels,
            "expected": np.ascontiguousarray(expected.astype(np.int64 if out_block.neuron.graded else np.uint8)),
            "files": {PLAN_FILE: lavadl_procs.plan_arrays(plan)}, "meta": {
                **info, "window": window, "graph": "plan", "plan": PLAN_FILE,
                "input_mode": mode, "reset": not net.sdnn,
                "graded_output": out_block.neuron.graded, "order": "Lava port order (W, H, C) flattened",
                "reset_offset": 1, "output_offset": int(result.delays[-1])}}


_MICROCODE = ("its neurons need INRC-only microcode, which no bundle can carry (see `beamnet-lava "
              "inspect`)")


def write_bundle(netx_file: str | Path, out_dir: str | Path, samples: int = 16, *,
                 part: str = "test", dataset: str | None = None, data_dir: str | None = None,
                 seed: int | None = None, force: bool = False, timeout_s: float = 300.0,
                 inputs: str | Path | None = None, time_steps: int | None = None) -> dict[str, Any]:
    """Write the job folder ``out_dir`` for ``netx_file``; returns its ``bundle.json``."""
    from beamnet_lava.deploy.fit import MICROCODE, inspect_file
    from beamnet_lava.netx_export.export import file_family

    src, out = Path(netx_file), Path(out_dir)
    outputs.input_file(src, "network file")
    outputs.check([outputs.Out(out, "--out", folder=True, force=force, kind=rundir.BUNDLE)],
                  inputs=[src, data_dir, inputs])
    budget.check_hdf5(src)
    fit = inspect_file(src)
    micro = [p.process for p in fit.processes if p.placement == MICROCODE]
    if micro:
        raise BeamnetError(f"{src}: {'; '.join(micro)} needs INRC-only microcode, which no bundle "
                           "can carry; bundle a file of stock processes (for BEAM-Net: "
                           "`beamnet-lava export RUN --target loihi2`), see `beamnet-lava inspect`")
    bundle_case = file_family(src).hook("bundle_case", subject=src)
    if fit.failures:
        raise BeamnetError(f"{src} does not fit Loihi 2: " + "; ".join(
            f"{f.where}: {f.problem}" for f in fit.failures))
    case = bundle_case(src, samples, part, dataset, data_dir, seed, timeout_s, inputs=inputs,
                       time_steps=time_steps)
    spikes, labels, expected = case["spikes"], case["labels"], case["expected"]
    info = case["meta"]
    window = int(info.pop("window"))
    extra = {"network": "network.net", "network_sha256": _sha256(src), "family": fit.family,
             "n_samples": len(spikes), "time_steps": window, "n_classes": int(expected.shape[1]),
             "fit_estimate": fit.estimate, "untested_on_hardware": True}
    meta = {"name": out.name, "source": str(src), **info, **extra}
    decided = job_readout.decide(expected, meta, case["files"].get(job_readout.READOUT_FILE))[2]
    known = info.get("labels_known", True)
    meta["expected"] = {"computed_with": "beamnet-lava LavaNetwork, Loihi2SimCfg(select_tag='fixed_pt')",
                        "accuracy": float((decided == labels).mean()) if known else None}
    # built aside and swapped in whole: --force replaces only an earlier bundle (rundir.py)
    with rundir.building(out, rundir.BUNDLE, force=force) as tmp:
        shutil.copyfile(src, tmp / "network.net")
        np.save(tmp / "inputs.npy", spikes)
        np.save(tmp / "labels.npy", labels)
        np.save(tmp / "expected_output_spikes.npy", expected)
        for name, arrays in case["files"].items():
            np.savez(tmp / name, **arrays)
        (tmp / "bundle.json").write_text(json.dumps(meta, indent=1) + "\n")
        # standalone modules (numpy, h5py, lava-nc only) the job imports
        for package, name in (("beamnet_lava.deploy", "templates/run_loihi2.py"),
                              ("beamnet_lava.deploy", "placement.py"),
                              ("beamnet_lava.sim_cpu", "stock_graph.py"),
                              ("beamnet_lava.sim_cpu", "lavadl_procs.py"),
                              ("beamnet_lava.deploy", "job_readout.py")):
            (tmp / Path(name).name).write_text(resources.files(package).joinpath(name).read_text())
        (tmp / "job.slurm").write_text(SLURM.format(name=out.name))
        (tmp / "job.slurm").chmod(0o777 & ~umask())   # executable, as the umask allows
        (tmp / "requirements.txt").write_text(REQUIREMENTS)
        (tmp / "README.md").write_text(README.format(
            name=out.name, source=src, family=fit.family, n=len(spikes), dataset=meta["dataset"],
            part=part, window=window, network="network.net", sha=meta["network_sha256"][:16],
            n_in=spikes.shape[1], n_out=expected.shape[1]))
    return meta


# this module's hook, who refuses it and why, and who provides it (attached by the registry,
# families.registry.load, through deploy/__init__.py's providers())
DECLARES = [Feature("bundle_case", "deploy", BundleCaseHook, refuses={
    "beamnet": "the exact BEAM-Net's Bayesian LIF needs INRC-only microcode; bundle its stock variant "
               "(`beamnet-lava export RUN --target loihi2`)",
    "brf-rsnn": _MICROCODE, "rf-rsnn": _MICROCODE, "ann": NO_FILE, "alif-rsnn": NO_FILE})]
PROVIDES = [
    provide("bundle_case", _netx_case, "snn"),
    provide("bundle_case", _stock_beamnet_case, "beamnet-stock"),
    provide("bundle_case", _lavadl_case, "lavadl"),
    provide("bundle_case", _csnn_case, "csnn"),
]
