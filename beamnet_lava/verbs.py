"""One library function per command-line verb.

Each function does what its verb does (checks its inputs and outputs, assembles the config, calls
the pipeline stage, registers what it wrote in run directories, logs to MLflow) and returns a
result; it prints nothing (the stages' own progress bars aside). ``beamnet_lava.cli`` parses
the command line into these calls and ``beamnet_lava.presentation.present`` shows their results,
so a verb is usable from Python as it is from the shell::

    from beamnet_lava import verbs
    result = verbs.train(Path("runs/a"), model="beamnet", epochs=3)

Arguments are plain values (strings for choices); ``json_out`` is taken only to check that
path as an output before any work starts and to keep stdout free for ``--json -`` (no progress).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from beamnet_lava import families, rundir
from beamnet_lava.errors import BeamnetError
from beamnet_lava.outputs import Out, check as check_outputs, input_file


def _progress(json_out: str | None) -> bool:
    """Progress bars unless stdout carries the JSON report (``--json -``)."""
    return json_out != "-"


def _lanes(lanes: str | None):
    from beamnet_lava.sim_cpu.lanes import parse_lanes

    return None if lanes is None else parse_lanes(lanes)


def _ray_mapper(address: str | None):
    from beamnet_lava.sweep.shard import RayMapper

    return RayMapper(address)


def _shards(workers: int | None, address: str | None) -> dict[str, Any]:
    """``workers``/``mapper`` for a sharded Lava run (``--address`` alone: two workers)."""
    if workers is None and address is None:
        return {}
    return {"workers": 2 if workers is None else workers, "mapper": _ray_mapper(address)}


def _int_list(value: str | None, flag: str, example: str) -> list[int] | None:
    try:
        return [int(v) for v in value.split(",")] if value is not None else None
    except ValueError:
        raise BeamnetError(f"{flag} {value!r} must be comma-separated integers, e.g. {example}") from None


def train(out_dir: Path, *, model: str | None = None, dataset: str | None = None,
          data_dir: str | None = None, epochs: int | None = None, seed: int | None = None,
          time_steps: int | None = None, hidden: str | None = None, lr: float | None = None,
          batch_size: int | None = None, config: Path | None = None, set_: list[str] | None = None,
          force: bool = False, json_out: str | None = None, mlflow_uri: str | None = None,
          device: str = "auto") -> dict[str, Any]:
    """``train``: the config from defaults or ``config``, then ``--set`` overrides, then flags;
    train; log to MLflow. Returns the metrics, the run's id, its family's probability kind."""
    from beamnet_lava import config as config_mod
    from beamnet_lava.evaluation import tracking
    from beamnet_lava.workflows.train import train as run_training

    tracking.check_available(mlflow_uri)
    input_file(config, "--config")
    check_outputs([Out(out_dir, "--out", folder=True, force=force, kind=rundir.RUN),
                   Out(json_out, "--json", stdout=True, force=force)], inputs=[config, data_dir])
    if config:
        cfg = config_mod.load(config, model)       # a file without model: is read as --model
    else:
        cfg = config_mod.default_for(model or config_mod.DEFAULT_MODEL)
    hidden_sizes = _int_list(hidden, "--hidden", "128,64")
    overrides = dict(config_mod.parse_override(item) for item in (set_ or []))
    overrides.update({k: v for k, v in dict(dataset=dataset, data_dir=data_dir, epochs=epochs, seed=seed,
                      time_steps=time_steps, hidden=hidden_sizes, lr=lr,
                      batch_size=batch_size).items() if v is not None})
    cfg = cfg.replace(**overrides)
    metrics = run_training(cfg, out_dir, force=force, progress=_progress(json_out), device=device)
    tracking.log_run(mlflow_uri, f"train {cfg.model} {out_dir.name}", cfg.to_dict(), metrics,
                     metrics.get("history"), out_dir)
    return {"model": cfg.model, "metrics": metrics, "out_dir": out_dir,
            "run_id": rundir.run_id(out_dir) if json_out else None,
            "probabilities": families.family_of(cfg).probabilities}


def export(run_dir: Path, output: Path, *, force: bool = False, target: str | None = None,
           format_: str = "netx", deterministic: bool = False) -> dict[str, Any]:
    """``export``: a NetX file (``kind`` netx, ``written`` its NetxFile), a NIR graph (nir,
    with what was ``dropped``) or BEAM-Net's stock Loihi 2 variant (loihi2, ``variant``)."""
    from beamnet_lava.training import checkpoint

    check_outputs([Out(output, "--output", force=force)],
                  inputs=[run_dir] + [run_dir / name for name in (checkpoint.CHECKPOINT, checkpoint.CONFIG,
                                                                  checkpoint.METRICS)])
    result: dict[str, Any] = {"run_dir": run_dir, "output": output}
    if target is not None:
        if target != "loihi2":
            raise BeamnetError(f"unknown --target {target!r}; export knows loihi2")
        import beamnet_lava.deploy  # noqa: F401  (registers the loihi2_variant hooks)

        family = families.family_of(checkpoint.load_run(run_dir).config)
        variant = family.hook("loihi2_variant", subject=f"{run_dir} is a {family.name} run")
        return {**result, "kind": "loihi2", "variant": variant(run_dir, output, force=force)}
    if format_ not in ("netx", "nir"):
        raise BeamnetError(f"--format {format_!r}: choose netx or nir")
    if format_ == "nir":
        from beamnet_lava.nir.bridge import export_nir

        written = export_nir(run_dir, output, force=force, deterministic=deterministic)
        return {**result, "kind": "nir", "written": written, "dropped": list(written.dropped)}
    from beamnet_lava.netx_export import export_run

    return {**result, "kind": "netx", "written": export_run(run_dir, output, force=force)}


def import_(nir_file: Path, output: Path, *, force: bool = False, dt: float | None = None,
            round_: bool = False, precision: str = "fixed"):
    """``import``: a NIR graph as a NetX file (Loihi integers, or with ``precision="float"`` the
    graph's float parameters); returns what was written (``describe()``)."""
    from beamnet_lava.nir.bridge import import_nir

    input_file(nir_file, "NIR file")
    if precision == "float" and round_:
        raise BeamnetError("--round rounds decays onto Loihi's 12-bit grid; a float import "
                           "(--precision float) keeps them exact: give one or the other")
    return import_nir(nir_file, output, force=force, dt=dt, round_off_grid=round_, precision=precision)


def run(netx_file: Path, *, dataset: str | None = None, samples: int | None = None, part: str = "test",
        precision: str | None = None, backend: str = "cpu", time_steps: int | None = None,
        data_dir: str | None = None, seed: int | None = None, timeout: float = 300.0, chunk: int = 32,
        lanes: str | None = None, loop: bool | None = None, energy_constants: Path | None = None,
        json_out: str | None = None, inputs: Path | None = None, record: Path | None = None,
        force: bool = False, workers: int | None = None, address: str | None = None):
    """``run``: a dataset run (a RunReport) or, with ``inputs``, a run of the user's spikes (a dict);
    ``workers``/``address``: the samples (of the dataset or of ``inputs``) sharded over Ray
    (sweep/shard.py; a dataset run shards its Lava simulation, sim_cpu/shards.py).
    ``precision`` None: :func:`run_precision`."""
    from beamnet_lava.deploy.loihi2 import backend as backend_named
    from beamnet_lava.nir.bridge import netx_view
    from beamnet_lava.sim_cpu.dataset_run import run_dataset

    backend = backend_named(backend)       # cpu: the simulator; loihi2: deploy's back-end, passed down
    input_file(netx_file, "network file")
    input_file(energy_constants, "--energy-constants")
    input_file(inputs, "--inputs")
    check_outputs([Out(json_out, "--json", stdout=True, force=force), Out(record, "--record", force=force)],
                  inputs=[netx_file, energy_constants, inputs])
    if record is not None and inputs is None:
        raise BeamnetError("--record needs --inputs (a dataset run reports with --json)")
    if inputs is not None:
        ignored = [flag for flag, given in (
            ("--dataset", dataset is not None), ("--samples", samples is not None), ("--part", part != "test"),
            ("--data-dir", data_dir is not None),
            ("--seed", seed is not None), ("--lanes", lanes is not None), ("--loop/--no-loop", loop is not None),
            ("--energy-constants", energy_constants is not None)) if given]
        if ignored:
            raise BeamnetError(f"{', '.join(ignored)}: not used with --inputs (your array gives the "
                               "samples, layer by layer, no dataset or encoder); drop "
                               f"{'it' if len(ignored) == 1 else 'them'}")
    if address is not None and workers is None:
        workers = 2
    precision = run_precision(netx_file, precision)
    if precision == "fixed":
        _refuse_float_import(netx_file, "run in fixed point (--precision fixed)")
    with netx_view(netx_file, precision) as path:      # a .nir file in float: its float import
        if inputs is not None and (workers is not None or address is not None):
            from beamnet_lava.sweep.shard import run_inputs_sharded

            report = run_inputs_sharded(path, inputs, workers=workers or 2, address=address,
                                        record=record, force=force, precision=precision,
                                        backend=backend, chunk_samples=chunk, timeout_s=timeout,
                                        time_steps=time_steps)
            report["file"] = str(netx_file)
            return report
        if inputs is not None:
            from beamnet_lava.sim_cpu.spike_inputs import run_inputs

            report = run_inputs(path, inputs, record=record, force=force, precision=precision,
                                backend=backend, chunk_samples=chunk, timeout_s=timeout,
                                progress=_progress(json_out), time_steps=time_steps)
            report["file"] = str(netx_file)
            return report
        report = run_dataset(path, dataset, samples, part=part, precision=precision,
                             backend=backend, time_steps=time_steps, data_dir=data_dir,
                             seed=seed, timeout_s=timeout, chunk_samples=chunk,
                             lanes=_lanes(lanes), bidirectional=loop, energy_constants=energy_constants,
                             progress=_progress(json_out), workers=workers,
                             mapper=None if workers is None else _ray_mapper(address))
    report.file = str(netx_file)
    report.details.setdefault("run_id", rundir.run_id(netx_file))
    return report


def evaluate(target: Path, *, ood: str = "all", part: str = "test", samples: int | None = None,
             loop: bool | None = None, out_dir: Path | None = None, force: bool = False,
             precision: str | None = None, lanes: str | None = None, timeout: float | None = None,
             data_dir: str | None = None, energy_constants: Path | None = None,
             json_out: str | None = None, mlflow_uri: str | None = None,
             uncertainty: str | None = None, workers: int | None = None,
             address: str | None = None) -> dict[str, Any]:
    """``evaluate`` a run directory or an exported file; log to MLflow; returns the report.
    ``workers``/``address``: an exported file's Lava runs sharded over Ray (sim_cpu/shards.py)."""
    from beamnet_lava.evaluation import tracking
    from beamnet_lava.evaluation.evaluate import evaluate as run_evaluate

    tracking.check_available(mlflow_uri)
    if not target.exists():
        raise BeamnetError(f"{target} does not exist; give a run directory or an exported .net file")
    if not target.is_dir():
        input_file(target, "exported file")
    input_file(energy_constants, "--energy-constants")
    check_outputs([Out(rundir.evaluation_folder(target, out_dir), "--out", folder=True, force=force,
                       kind=rundir.EVALUATION), Out(json_out, "--json", stdout=True, force=force)],
                  inputs=[target, energy_constants, data_dir])
    report = run_evaluate(target, ood=None if ood == "none" else ood, part=part, samples=samples,
                          loop=loop, out=out_dir, data_dir=data_dir, energy_constants=energy_constants,
                          precision=precision, lanes=_lanes(lanes), timeout_s=timeout, force=force,
                          uncertainty=uncertainty, **_shards(workers, address))
    flat = {**report, **{f"ood_auroc_{k}": v["auroc"] for k, v in report["ood"].items()}}
    tracking.log_run(mlflow_uri, f"evaluate {report['model']} {target.name}",
                     {"target": target, "part": part, "ood": ood}, flat, None, Path(report["out_dir"]))
    return report


def compare(run_dirs: list[Path], *, figure: Path | None = None, force: bool = False,
            json_out: str | None = None) -> dict[str, Any]:
    """``compare`` runs (sweep folders expanded): per-run ``runs`` rows, grouped ``stats``."""
    from beamnet_lava.evaluation import groups
    from beamnet_lava.evaluation.compare import compare as run_compare
    from beamnet_lava.sweep.plan import expand as expand_sweeps

    check_outputs([Out(figure, "--figure", force=force, suffix=".png"),
                   Out(json_out, "--json", stdout=True, force=force)], inputs=run_dirs)
    rows = run_compare(expand_sweeps(run_dirs), figure=figure, force=force)
    if figure is not None:
        rundir.register(figure, None)
    return {"runs": rows, "stats": groups.report(rows), "figure": figure}


def energy(run_dir: Path, *, sweep: str | None = None, epochs: int | None = None,
           out_dir: Path | None = None, force: bool = False, samples: int | None = None,
           energy_constants: Path | None = None, json_out: str | None = None) -> dict[str, Any]:
    """``energy`` of a run (and a BEAM-Net sweep over N); returns the report."""
    from beamnet_lava.workflows.energy import energy as run_energy

    ns = _int_list(sweep, "--sweep", "25,50,100")
    input_file(energy_constants, "--energy-constants")
    folder = out_dir or run_dir
    sweep_files = [Out(folder / name, "--out", force=force)
                   for name in ("energy_sweep.json", "energy_sweep.png")] if ns else []
    check_outputs([Out(folder, "--out", folder=True), *sweep_files,
                   Out(json_out, "--json", stdout=True, force=force)], inputs=[run_dir, energy_constants])
    report = run_energy(run_dir, sweep=ns, epochs=epochs, out=out_dir or run_dir, force=force,
                        energy_constants=energy_constants, samples=samples, progress=_progress(json_out))
    for name in ("energy_sweep.json", "energy_sweep.png") if "figure" in report else ():
        rundir.register(folder / name, rundir.run_id(run_dir))
    return report


def report(run_dirs: list[Path], output: list[Path], *, title: str | None = None,
           force: bool = False) -> dict[str, Any]:
    """``report``: one PDF/HTML document; returns what was written."""
    from beamnet_lava.evaluation.report import report as build_report

    return build_report(run_dirs, output, force=force, title=title)


def _root_attrs(path: Path) -> dict:
    """An HDF5 file's root attributes; {} for no regular file or not HDF5 (the verb's own checks
    say so). A named pipe is never opened: reading one would wait for a writer forever."""
    import h5py

    if not Path(path).is_file():
        return {}
    try:
        with h5py.File(path, "r") as f:
            return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    except (OSError, TypeError, ValueError):
        return {}


def run_precision(netx_file: Path, precision: str | None) -> str:
    """``run``'s Lava precision: as given; else float for a float NIR import (it holds no Loihi
    integers, nir/float_import.py) and fixed (bit-accurate, Loihi's) for every other file."""
    from beamnet_lava.nir import float_import

    if precision is not None:
        return precision
    return "float" if float_import.is_float(_root_attrs(netx_file)) else "fixed"


def _refuse_float_import(path: Path, what: str) -> None:
    """One line when ``path`` is a float NIR import (nir/float_import.py) on a Loihi path; any
    other file (or no file, not HDF5) goes on to the verb's own checks."""
    from beamnet_lava.nir import float_import

    float_import.refuse(path, _root_attrs(path), what)


def inspect(netx_file: Path, *, target: str = "loihi2", skip_layers: int = 0, json_out: str | None = None,
            force: bool = False, compiler: str = "2022"):
    """``inspect``: the hardware-fit report (deploy/fit.py) of a NetX file."""
    from beamnet_lava.deploy.fit import inspect_file

    input_file(netx_file, "network file")
    check_outputs([Out(json_out, "--json", stdout=True, force=force)], inputs=[netx_file])
    _refuse_float_import(netx_file, "be fitted to Loihi 2 (`inspect`)")
    return inspect_file(netx_file, target, skip_layers=skip_layers, compiler=compiler)


def bundle(netx_file: Path, out_dir: Path, *, samples: int = 16, part: str = "test",
           data_dir: str | None = None, force: bool = False, inputs: Path | None = None,
           time_steps: int | None = None) -> dict[str, Any]:
    """``bundle``: an INRC job folder; returns its metadata."""
    from beamnet_lava.deploy.bundle import write_bundle

    input_file(inputs, "--inputs")
    _refuse_float_import(netx_file, "be bundled for Loihi 2 (`bundle`)")
    return write_bundle(netx_file, out_dir, samples, part=part, data_dir=data_dir, force=force,
                        inputs=inputs, time_steps=time_steps)


def ingest(results: Path, out_dir: Path, *, force: bool = False) -> dict[str, Any]:
    """``ingest``: an INRC job's results as run records; returns what was measured."""
    from beamnet_lava.deploy.ingest import ingest as run_ingest

    return run_ingest(results, out_dir, force=force)


def sweep(out_dir: Path, *, config: Path | None = None, model: str | None = None, seeds: str = "0",
          grid: list[str] | None = None, set_: list[str] | None = None, data_dir: str | None = None,
          workers: int | None = None, threads: int | None = None, address: str | None = None,
          mlflow_uri: str | None = None, mlflow_experiment: str | None = None,
          json_out: str | None = None, force: bool = False, console=None) -> dict[str, Any]:
    """``sweep``: every seed x setting trained on Ray; returns the summary (without its records).
    ``console``: where the progress goes (rich Console)."""
    from beamnet_lava import config as config_mod
    from beamnet_lava.evaluation import tracking
    from beamnet_lava.sweep import plan, run_sweep

    tracking.check_available(mlflow_uri)
    input_file(config, "--config")
    check_outputs([Out(out_dir, "--out", folder=True), Out(json_out, "--json", stdout=True, force=force)],
                  inputs=[config, data_dir])
    overrides = dict(config_mod.parse_override(item) for item in (set_ or []))
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    planned = plan(config, seeds, grid, out_dir, model=model, overrides=overrides)
    on_point = tracking.sweep_logger(mlflow_uri, mlflow_experiment or out_dir.resolve().name, planned)
    summary = run_sweep(planned, workers=workers, threads=threads, address=address,
                        progress=_progress(json_out), console=console, on_point=on_point)
    summary.pop("records")
    return summary


def data_saccade(out_dir: Path, *, source: str = "digits", data_dir: str | None = None,
                 limit: int | None = None, force: bool = False, console=None,
                 **params: Any) -> dict[str, Any]:
    """``data saccade``: images to DVS events; ``params`` override the source's SaccadeParams
    (None keeps the default). Progress on ``console`` (rich Console)."""
    import dataclasses

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from beamnet_lava.data.saccade import DEFAULTS, SaccadeParams, write_saccade_dataset

    check_outputs([Out(out_dir, "--out", folder=True, force=force, kind=rundir.SACCADE)],
                  inputs=[data_dir])
    overrides = {k: v for k, v in params.items() if v is not None}
    chosen = dataclasses.replace(DEFAULTS.get(source, SaccadeParams()), **overrides)
    t0 = time.perf_counter()
    with Progress(TextColumn("[bold]saccade[/]"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("images"), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("saccade", total=None)
        update: Callable[[int, int], None] = lambda d, t: bar.update(task, completed=d, total=t)  # noqa: E731
        meta = write_saccade_dataset(source, out_dir, chosen, data_dir=data_dir, limit=limit,
                                     force=force, progress=update)
    return {"meta": meta, "out_dir": out_dir, "source": source, "seconds": time.perf_counter() - t0}
