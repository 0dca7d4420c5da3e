"""The ``beamnet-lava`` command line: one verb per pipeline stage.

Thin by design: parse, call one library function, print. Every error the user
can fix arrives as a :class:`BeamnetError` and is printed as one line.
"""
from __future__ import annotations

import enum
import functools
import sys
import warnings
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from beamnet_lava import families, interrupts, rundir
from beamnet_lava.data.ood import OOD_SETS
from beamnet_lava.errors import BeamnetError, BeamnetWarning
from beamnet_lava.io_utils import NO_SPACE, write_json
from beamnet_lava.names import ALL_DATASETS, BACKENDS, PRECISIONS
from beamnet_lava.outputs import Out, check as check_outputs, input_file

# click's exception classes, wherever this typer takes click from (recent typers vendor it)
_click_errors = sys.modules[typer.BadParameter.__module__]


class _OneLineErrors(typer.core.TyperGroup):
    """Usage errors (a bad choice, a missing option) as one line on stderr with exit code 1,
    like every other error the user can fix."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click_errors.ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":     # bare `beamnet-lava` / `... data`
                text = exc.ctx.get_help() if exc.ctx else ""    # rich help prints itself
                if text:
                    print(text)
                sys.exit(exc.exit_code)
            err.print(f"[bold red]error:[/] {exc.format_message()}", highlight=False, soft_wrap=True)
            sys.exit(1)
        except typer.Abort:
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


# rich_markup_mode=None: help text is shown as written (rich markup would eat "[default ...]")
app = typer.Typer(add_completion=False, no_args_is_help=True, cls=_OneLineErrors, rich_markup_mode=None,
                  help="Train spiking networks (lava-dl SLAYER), export them to NetX HDF5, "
                       "run them on Lava.")
err = Console(stderr=True)
out = Console()


_default_showwarning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A :class:`BeamnetWarning` as one line on stderr; any other warning as Python shows it."""
    if issubclass(category, BeamnetWarning):
        err.print(f"[bold yellow]warning:[/] {message}", highlight=False, soft_wrap=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


def _one_line(exc: BaseException) -> str:
    """A message on one line (an error quoting a library's multi-line text stays one line)."""
    from rich.markup import escape

    return escape(" ".join(str(exc).split()))


def _user_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        warnings.showwarning = _show_warning
        try:
            return fn(*args, **kwargs)
        except BeamnetError as exc:
            err.print(f"[bold red]error:[/] {_one_line(exc)}", highlight=False, soft_wrap=True,
                      markup=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:       # Ctrl-C, SIGTERM, SIGHUP (interrupts.py)
            err.print(f"[bold red]{getattr(exc, 'message', 'interrupted')}[/]", highlight=False)
            raise typer.Exit(interrupts.exit_code_of(exc)) from None
        except OSError as exc:
            if exc.errno not in NO_SPACE:
                raise
            err.print(f"[bold red]error:[/] no space left on the device"
                      f"{' for ' + str(exc.filename) if exc.filename else ''}; free some space "
                      "or choose another location", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    return wrapper


def _choices(name: str, values) -> type[enum.Enum]:
    """A typer choice (listed in ``--help``) of ``values``; members are their own strings."""
    return enum.Enum(name, [(v, v) for v in values], type=str)


Model = _choices("Model", families.names(trained_only=True))
Dataset = _choices("Dataset", ALL_DATASETS)
Precision = _choices("Precision", PRECISIONS)
Backend = _choices("Backend", BACKENDS)


OOD_CHOICES = OOD_SETS + ("all", "none")


def _ood_sets(value: str) -> str:
    """``--ood``: OOD sets, comma separated, or all / none (the choices show in ``--help``)."""
    names = [v.strip() for v in str(value).split(",") if v.strip()]
    bad = [v for v in names if v not in OOD_CHOICES]
    if bad or not names:
        raise typer.BadParameter(f"unknown OOD set {(bad or [value])[0]!r}; choose from {', '.join(OOD_CHOICES)} (comma separated)")
    return ",".join(names)


def _value(choice) -> str | None:
    """The plain string of a typer choice (None stays None)."""
    return None if choice is None else choice.value


def _wrote_json_only(json_out: str | None, obj) -> bool:
    """Write ``obj`` as JSON to ``json_out`` (a path, or ``-`` for stdout); True when the
    JSON went to stdout, so the caller prints no table after it."""
    if json_out:
        _write_report(json_out, obj)
    return json_out == "-"


def _write_report(json_out: str, obj) -> None:
    """Write a ``--json`` report; recorded in the run directory it lands in (rundir.py)."""
    write_json(json_out, obj)
    if json_out != "-":
        rundir.register(json_out, obj.get("run_id") if isinstance(obj, dict) else None)


@app.command()
@_user_errors
def train(
    out_dir: Path = typer.Option(..., "--out", "-o", help="Run directory to create (config, checkpoint, metrics.json)."),
    model: Optional[Model] = typer.Option(None, help="Model family: " + "; ".join(f"{f.name}: {f.help}" for f in families.families() if f.trained) + " [default: snn, or the config's]."),
    dataset: Optional[Dataset] = typer.Option(None, help="Dataset: digits (embedded), mnist (needs --data-dir), saccade-digits (embedded events), saccade-mnist, nmnist, shd, dvsgesture [default digits]; for *-rsnn models digits-seq, mnist-seq or shd."),
    data_dir: Optional[str] = typer.Option(None, help="Folder with MNIST IDX files, or the folder holding NMNIST/, SHD/, DVSGesture/ (tonic's layout), or one written by `data saccade`."),
    epochs: Optional[int] = typer.Option(None, help="Training epochs."),
    seed: Optional[int] = typer.Option(None, help="Seed for split, init, shuffling and neuron noise [default 0]."),
    time_steps: Optional[int] = typer.Option(None, help="Time steps per sample window."),
    hidden: Optional[str] = typer.Option(None, help="snn: hidden layer sizes, comma separated [default 128]."),
    lr: Optional[float] = typer.Option(None, help="Adam learning rate."),
    batch_size: Optional[int] = typer.Option(None, help="Batch size."),
    config: Optional[Path] = typer.Option(None, help="YAML/JSON config; flags override it."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="Override any config key: --set w_inh=3.5 (repeatable)."),
    force: bool = typer.Option(False, help="Train into a non-empty run directory."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Also write metrics to this JSON file ('-' for stdout)."),
    mlflow_uri: Optional[str] = typer.Option(None, help="Also log params/metrics/artifacts to MLflow at this URI (needs mlflow)."),
    device: str = typer.Option("auto", help="Training device: auto (CUDA when torch sees one), cpu or cuda; checkpoints always load on a CPU."),
) -> None:
    """Train a model and keep its best-on-validation checkpoint."""
    from beamnet_lava import config as config_mod
    from beamnet_lava.evaluation import tracking
    from beamnet_lava.evaluation.pipeline import train as run_training

    tracking.check_available(mlflow_uri)
    input_file(config, "--config")
    check_outputs([Out(out_dir, "--out", folder=True, force=force, kind=rundir.RUN),
                   Out(json_out, "--json", stdout=True)], inputs=[config, data_dir])

    model, dataset = _value(model), _value(dataset)
    if config:
        cfg = config_mod.load(config, model)       # a file without model: is read as --model
    else:
        cfg = config_mod.default_for(model or config_mod.DEFAULT_MODEL)
    try:
        hidden_sizes = [int(h) for h in hidden.split(",")] if hidden is not None else None
    except ValueError:
        raise BeamnetError(f"--hidden {hidden!r} must be comma-separated integers, e.g. 128,64") from None
    overrides = dict(config_mod.parse_override(item) for item in (set_ or []))
    overrides.update({k: v for k, v in dict(dataset=dataset, data_dir=data_dir, epochs=epochs, seed=seed,
                      time_steps=time_steps, hidden=hidden_sizes, lr=lr,
                      batch_size=batch_size).items() if v is not None})
    cfg = cfg.replace(**overrides)
    metrics = run_training(cfg, out_dir, force=force, progress=json_out != "-", device=device)
    tracking.log_run(mlflow_uri, f"train {cfg.model} {out_dir.name}", cfg.to_dict(), metrics,
                     metrics.get("history"), out_dir)
    if json_out:
        _write_report(json_out, {**metrics, "run_id": rundir.run_id(out_dir)})
    if json_out != "-":
        line = (f"trained {cfg.model} on {metrics['split']}: best epoch {metrics['best_epoch']}, "
                f"val accuracy {metrics['val_accuracy']:.4f}, test accuracy "
                f"{metrics['test_accuracy']:.4f}")
        probabilities = families.family_of(cfg).probabilities
        if probabilities == "temperature":
            line += (f", ECE {metrics['ece']:.4f} (temperature {metrics['temperature']:.3g} fitted "
                     f"on validation), {metrics['parameters']:,} parameters")
        if probabilities == "eta":
            line += (f", ECE {metrics['ece']:.4f} (eta {metrics['eta']:.3g} fitted on validation), "
                     f"active {metrics['active_fraction']:.2%} of memory neurons per sample, "
                     f"epistemic wrong/correct {metrics['epistemic_ratio_wrong_correct']:.2f}")
        out.print(line + f" ({metrics['train_seconds']:.1f} s) -> {out_dir}")


@app.command()
@_user_errors
def export(
    run_dir: Path = typer.Argument(..., help="A run directory written by `beamnet-lava train` (or, with --format nir, a NetX file)."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write (e.g. model.net, or model.nir with --format nir)."),
    force: bool = typer.Option(False, help="Overwrite an existing file."),
    target: Optional[str] = typer.Option(None, help="loihi2: BEAM-Net's variant of stock Lava processes only (no microcode; see docs/loihi2.md)."),
    format_: str = typer.Option("netx", "--format", help="netx (NetX HDF5 for lava-dl) or nir (NIR graph for snnTorch, Norse, ...; docs/nir.md)."),
    deterministic: bool = typer.Option(False, help="nir: BEAM-Net only, export its Delta -> 0 core (says what is dropped)."),
) -> None:
    """Export a trained run to a NetX HDF5 file that lava-dl's netx loads (or to NIR)."""
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.training import checkpoint

    check_outputs([Out(output, "--output", force=force)],
                  inputs=[run_dir] + [run_dir / name for name in (checkpoint.CHECKPOINT, checkpoint.CONFIG,
                                                      checkpoint.METRICS)])
    if target is not None:
        from beamnet_lava.deploy.report import export_target

        return export_target(run_dir, output, target, force, out)
    if format_ not in ("netx", "nir"):
        raise BeamnetError(f"--format {format_!r}: choose netx or nir")
    if format_ == "nir":
        from beamnet_lava.nir.bridge import export_nir

        result = export_nir(run_dir, output, force=force, deterministic=deterministic)
        out.print(f"exported {run_dir} to {result.describe()}")
        for item in result.dropped:
            err.print(f"[bold yellow]dropped:[/] {item}", highlight=False, soft_wrap=True)
        return
    net = export_run(run_dir, output, force=force)
    out.print(f"exported {run_dir} to {net.describe()}")


@app.command("import")
@_user_errors
def import_(
    nir_file: Path = typer.Argument(..., help="A NIR graph (.nir, e.g. from snnTorch's export_to_nir or Norse)."),
    output: Path = typer.Option(..., "--output", "-o", help="NetX HDF5 file to write (run/evaluate/inspect take it)."),
    force: bool = typer.Option(False, help="Overwrite an existing file."),
    dt: Optional[float] = typer.Option(None, help="Euler time step in s [default: the graph's metadata, else 1e-4, snnTorch's]."),
    round_: bool = typer.Option(False, "--round", help="Round off-grid parameters onto Loihi's integers (the largest error is reported)."),
) -> None:
    """Import a NIR graph of Linear/Delay -> CubaLIF layers as a NetX file for Lava."""
    from beamnet_lava.nir.bridge import import_nir

    result = import_nir(nir_file, output, force=force, dt=dt, round_off_grid=round_)
    out.print(f"imported {nir_file} to {result.describe()}")


@app.command()
@_user_errors
def run(
    netx_file: Path = typer.Argument(..., help="NetX HDF5 network (ours or any stock CUBA dense net) or a NIR graph (.nir, imported on the fly)."),
    dataset: Optional[Dataset] = typer.Option(None, help="digits, mnist, an event or a sequence dataset (see train) [default: the one the file was trained on]."),
    samples: Optional[int] = typer.Option(None, help="How many samples of the split to run [default: all]."),
    part: str = typer.Option("test", help="Split part: train, val or test."),
    precision: Precision = typer.Option("fixed", help="fixed (bit-accurate, Loihi semantics) or float."),
    backend: Backend = typer.Option("cpu", help="cpu (Lava simulator) or loihi2 (needs Intel's lava-loihi)."),
    time_steps: Optional[int] = typer.Option(None, help="Steps per sample [default: recorded in the file]."),
    data_dir: Optional[str] = typer.Option(None, help="Dataset folder (as for train)."),
    seed: Optional[int] = typer.Option(None, help="Split seed [default: recorded in the file, else 0]."),
    timeout: float = typer.Option(300.0, help="Watchdog: seconds one chunk of samples may take."),
    chunk: int = typer.Option(32, help="Samples per Lava run call (watchdog and progress granularity)."),
    lanes: Optional[str] = typer.Option(None, help="Samples simulated side by side in one Lava step: N or 'auto' (all samples, within a memory bound); 1 = one at a time [default auto]."),
    loop: Optional[bool] = typer.Option(None, "--loop/--no-loop", help="BEAM-Net: top-down loop (Eq. 16-17) on or off [default: as trained]."),
    energy_constants: Optional[Path] = typer.Option(None, help="BEAM-Net, BRF/RF: JSON of per-operation energies [default: Loihi 1, Davies 2018]."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Write the report as JSON ('-' for stdout)."),
    inputs: Optional[Path] = typer.Option(None, help="Your own input spikes instead of a dataset: .npy bool array (samples, steps, inputs)."),
    record: Optional[Path] = typer.Option(None, help="With --inputs: save every layer's spikes to this .npz (layer<i>: samples x steps x neurons)."),
    force: bool = typer.Option(False, help="Overwrite an existing --record file."),
) -> None:
    """Run an exported network on Lava and compare it with the training model."""
    from beamnet_lava.nir.bridge import netx_view
    from beamnet_lava.sim_cpu.evaluate import run_dataset
    from beamnet_lava.sim_cpu.lanes import parse_lanes

    input_file(netx_file, "network file")
    input_file(energy_constants, "--energy-constants")
    input_file(inputs, "--inputs")
    check_outputs([Out(json_out, "--json", stdout=True), Out(record, "--record", force=force)],
                  inputs=[netx_file, energy_constants, inputs])
    if record is not None and inputs is None:
        raise BeamnetError("--record needs --inputs (a dataset run reports with --json)")
    with netx_view(netx_file) as path:
        if inputs is not None:
            from beamnet_lava.sim_cpu.spike_inputs import run_inputs

            report = run_inputs(path, inputs, record=record, force=force, precision=_value(precision),
                                backend=_value(backend), chunk_samples=chunk, timeout_s=timeout,
                                progress=json_out != "-")
            report["file"] = str(netx_file)
            if not _wrote_json_only(json_out, report):
                layers = ", ".join(f"{k} {v}/{report['neurons'][k]}" for k, v in report["spikes"].items())
                out.print(f"Lava {_value(precision)} run of {netx_file} on {report['n_samples']} input "
                          f"samples x {report['time_steps']} steps: spikes per layer (neurons) {layers}"
                          f"{'; recorded to ' + str(record) if record else ''}")
            return
        report = run_dataset(path, _value(dataset), samples, part=part, precision=_value(precision),
                             backend=_value(backend), time_steps=time_steps, data_dir=data_dir,
                             seed=seed, timeout_s=timeout, chunk_samples=chunk,
                             lanes=None if lanes is None else parse_lanes(lanes),
                             bidirectional=loop, energy_constants=energy_constants,
                             progress=json_out != "-")
    report.file = str(netx_file)
    report.details.setdefault("run_id", rundir.run_id(netx_file))
    if _wrote_json_only(json_out, report.to_dict()):
        return
    table = Table(title=f"Lava {report.precision} run of {netx_file} ({report.model}) on "
                        f"{report.n_samples} {report.dataset} {report.part} samples")
    table.add_column("layer")
    table.add_column("neurons", justify="right")
    table.add_column("spikes", justify="right")
    table.add_column("synaptic events", justify="right")
    table.add_column("identical spike trains", justify="right")
    for key in report.spikes:
        parity = report.layer_parity.get(key)
        table.add_row(key, str(report.neurons[key]), str(report.spikes[key]),
                      str(report.synaptic_events[key]),
                      "n/a" if parity is None else f"{parity:.1%}")
    out.print(table)
    out.print(report.summary(), soft_wrap=True)
    energy = report.energy_per_inference
    if energy:
        b = energy["breakdown_nJ"]
        eq25 = f"Eq. 25 {energy['eq25_nJ']['total']:.1f} nJ; " if "eq25_nJ" in energy else ""
        out.print(f"energy per inference: {eq25}per operation "
                  f"{b['total']:.1f} nJ (synaptic {b['synaptic_ops']:.1f}, neuron updates "
                  f"{b['neuron_updates']:.1f}, spikes {b['spikes_routed']:.2f}) [{energy['constants_source']}]")


@app.command()
@_user_errors
def evaluate(
    target: Path = typer.Argument(..., help="A run directory (training model) or an exported .net file (simulated on Lava)."),
    ood: str = typer.Option("all", parser=_ood_sets, metavar="[" + "|".join(OOD_CHOICES) + "][,...]", help="OOD sets for AUROC: inverted, shuffled, noise (comma separated), 'all' or 'none'."),
    part: str = typer.Option("test", help="Split part to evaluate: test (default) or val."),
    samples: Optional[int] = typer.Option(None, help="First N samples of the part [default: all]."),
    loop: Optional[bool] = typer.Option(None, "--loop/--no-loop", help="BEAM-Net: top-down loop on/off [default: as trained]."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for records and figures [default: RUN_DIR/evaluation or FILE.evaluation]."),
    force: bool = typer.Option(False, help="Replace an earlier evaluation in the --out folder."),
    precision: Optional[Precision] = typer.Option(None, help="Exported files: Lava precision, fixed or float [default fixed]."),
    lanes: Optional[str] = typer.Option(None, help="Exported files: samples side by side per Lava step, N or 'auto' [default auto]."),
    timeout: Optional[float] = typer.Option(None, help="Exported files: watchdog seconds per chunk of samples [default 300]."),
    data_dir: Optional[str] = typer.Option(None, help="Folder with MNIST IDX files [default: as trained]."),
    energy_constants: Optional[Path] = typer.Option(None, help="JSON of per-operation energies in pJ [default: Loihi 1, Davies 2018]."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Also write the report as JSON ('-' for stdout)."),
    mlflow_uri: Optional[str] = typer.Option(None, help="Also log the evaluation to MLflow at this URI (needs mlflow)."),
) -> None:
    """Accuracy, calibration, uncertainty, OOD AUROC and energy of a trained run."""
    from beamnet_lava.evaluation import tracking
    from beamnet_lava.evaluation.evaluate import evaluate
    from beamnet_lava.sim_cpu.lanes import parse_lanes

    tracking.check_available(mlflow_uri)
    if not target.exists():
        raise BeamnetError(f"{target} does not exist; give a run directory or an exported .net file")
    if not target.is_dir():
        input_file(target, "exported file")
    input_file(energy_constants, "--energy-constants")
    check_outputs([Out(rundir.evaluation_folder(target, out_dir), "--out", folder=True, force=force,
                       kind=rundir.EVALUATION), Out(json_out, "--json", stdout=True)],
                  inputs=[target, energy_constants, data_dir])
    report = evaluate(target, ood=None if ood == "none" else ood, part=part, samples=samples,
                      loop=loop, out=out_dir, data_dir=data_dir, energy_constants=energy_constants,
                      precision=_value(precision), lanes=None if lanes is None else parse_lanes(lanes), timeout_s=timeout,
                      force=force)
    flat = {**report, **{f"ood_auroc_{k}": v["auroc"] for k, v in report["ood"].items()}}
    tracking.log_run(mlflow_uri, f"evaluate {report['model']} {target.name}",
                     {"target": target, "part": part, "ood": ood}, flat, None, Path(report["out_dir"]))
    if _wrote_json_only(json_out, report):
        return
    table = Table(title=f"{report['model']} ({report['backend']}) on {report['n_samples']} "
                        f"{report['dataset']} {report['part']} samples ({report['split']})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [("accuracy", f"{report['accuracy']:.4f}"), ("NLL", f"{report['nll']:.4f}"),
            ("Brier", f"{report['brier']:.4f}"), ("ECE (15 bins)", f"{report['ece']:.4f}"),
            ("calibration", report["calibration"]),
            ("active fraction", f"{report['active_fraction']:.2%}"),
            ("energy / inference", f"{report['energy_per_inference_nJ']:.1f} nJ ({report['energy_model']})")]
    if report["energy_with_memory_reads_nJ"] != report["energy_per_inference_nJ"]:
        rows.append(("energy incl. weight reads", f"{report['energy_with_memory_reads_nJ']:.1f} nJ"))
    if report.get("epistemic_ratio_wrong_correct") is not None:
        rows.append(("epistemic wrong / correct", f"{report['epistemic_ratio_wrong_correct']:.2f}"))
    rows.append(("windows used (mean)", f"{report['windows_mean']:.2f}"))
    for name, o in report["ood"].items():
        rows.append((f"OOD AUROC {name}", f"{o['auroc']:.4f} ({o['score']})"))
    for r in rows:
        table.add_row(*r)
    out.print(table)
    out.print(f"records and figures in {report['out_dir']} "
              f"({report['seconds']:.1f} s)")


@app.command()
@_user_errors
def compare(
    run_dirs: list[Path] = typer.Argument(..., help="Run directories (trained, optionally evaluated) or sweep folders."),
    figure: Optional[Path] = typer.Option(None, help="Also write a comparison figure to this PNG file [default: none]."),
    force: bool = typer.Option(False, help="Overwrite an existing figure."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Write the table as JSON ('-' for stdout)."),
) -> None:
    """Side-by-side table of runs (DuckDB over their Parquet records), then runs grouped by
    config over seeds: mean, std, 95 % bootstrap CI, and each group's difference from the first."""
    from beamnet_lava.evaluation import groups
    from beamnet_lava.evaluation.compare import compare as run_compare
    from beamnet_lava.sweep.plan import expand as expand_sweeps

    check_outputs([Out(figure, "--figure", force=force, suffix=".png"),
                   Out(json_out, "--json", stdout=True)], inputs=run_dirs)
    rows = run_compare(expand_sweeps(run_dirs), figure=figure, force=force)
    if figure is not None:
        rundir.register(figure, None)
    stats = groups.report(rows)
    if _wrote_json_only(json_out, {"runs": rows, **stats}):
        return
    if len(rows) > 6:
        out.print(groups.render(stats, rows))
        if figure is not None:
            out.print(f"figure: {figure}")
        return
    oods = sorted({k for r in rows for k in r["ood_auroc"]})
    table = Table(title=f"{rows[0]['n_samples']} test samples of {rows[0]['split']}")
    table.add_column("metric")
    for r in rows:
        table.add_column(f"{r['model']}\n{Path(r['run']).name}", justify="right")
    metrics = [("parameters", lambda r: f"{r['parameters']:,}" if r.get("parameters") else "-"),
               ("accuracy", lambda r: f"{r['accuracy']:.4f}"), ("ECE (15 bins)", lambda r: f"{r['ece']:.4f}"),
               ("NLL", lambda r: f"{r['nll']:.4f}"), ("Brier", lambda r: f"{r['brier']:.4f}"),
               ("active fraction", lambda r: f"{r['active_fraction']:.2%}"),
               ("spikes / sample", lambda r: f"{r['spikes_per_sample']:.1f}"),
               ("energy / inference nJ", lambda r: f"{r['energy_nJ']:.1f}"),
               ("... + weight reads nJ", lambda r: f"{r['energy_mem_nJ']:.1f}")]
    metrics += [(f"OOD AUROC {o}", lambda r, o=o: f"{r['ood_auroc'][o]:.4f}" if o in r["ood_auroc"] else "-")
                for o in oods]
    if any("measured_on" in r for r in rows):
        from beamnet_lava.deploy.report import measured_rows

        metrics += measured_rows()
    for name, fmt in metrics:
        table.add_row(name, *[fmt(r) for r in rows])
    out.print(table)
    out.print("energy: spiking models on Loihi's per-operation model (a synaptic op includes its "
              "weight read); the ANN as fp32 MACs, then + one read of every weight (Horowitz 2014)")
    out.print(groups.render(stats, rows))
    if figure is not None:
        out.print(f"figure: {figure}")


@app.command()
@_user_errors
def energy(
    run_dir: Path = typer.Argument(..., help="A run directory written by `beamnet-lava train`."),
    sweep: Optional[str] = typer.Option(None, help="BEAM-Net: retrain at these N (comma separated, e.g. 25,50,100,200) and plot energy vs N."),
    epochs: Optional[int] = typer.Option(None, help="Epochs per sweep point [default: the run's]."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for energy_sweep.json/.png [default: RUN_DIR]."),
    force: bool = typer.Option(False, help="Overwrite an earlier sweep's files."),
    samples: Optional[int] = typer.Option(None, help="First N test samples [default: all]."),
    energy_constants: Optional[Path] = typer.Option(None, help="JSON of per-operation energies in pJ [default: Loihi 1, Davies 2018]."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Also write the report as JSON ('-' for stdout)."),
) -> None:
    """Energy per inference from measured activity (Eq. 25 and per operation), vs an ANN."""
    from beamnet_lava.evaluation.energy_report import energy as run_energy

    try:
        ns = [int(v) for v in sweep.split(",")] if sweep is not None else None
    except ValueError:
        raise BeamnetError(f"--sweep {sweep!r} must be comma-separated integers, e.g. 25,50,100") from None
    input_file(energy_constants, "--energy-constants")
    folder = out_dir or run_dir
    sweep_files = [Out(folder / name, "--out", force=force)
                   for name in ("energy_sweep.json", "energy_sweep.png")] if ns else []
    check_outputs([Out(folder, "--out", folder=True), *sweep_files,
                   Out(json_out, "--json", stdout=True)], inputs=[run_dir, energy_constants])
    report = run_energy(run_dir, sweep=ns, epochs=epochs, out=out_dir or run_dir, force=force,
                        energy_constants=energy_constants, samples=samples, progress=json_out != "-")
    for name in ("energy_sweep.json", "energy_sweep.png") if "figure" in report else ():
        rundir.register(folder / name, rundir.run_id(run_dir))
    if _wrote_json_only(json_out, report):
        return
    table = Table(title=f"energy per inference: {report['model']} on {report['n_samples']} test "
                        f"samples ({report['energy_model']})")
    table.add_column("term")
    table.add_column("nJ", justify="right")
    for k, v in report.get("breakdown_nJ", {}).items():
        table.add_row(f"per op: {k}", f"{v:.2f}")
    for k, v in report.get("eq25_nJ", {}).items():
        table.add_row(f"Eq. 25: {k}", f"{v:.2f}")
    for k in ("macs_only", "memory_reads", "with_memory"):
        if k in report.get("ann_nJ", {}):
            table.add_row(f"ANN: {k}", f"{report['ann_nJ'][k]:.2f}")
    ann = report["ann_same_budget"]
    table.add_row(f"ANN-MLP, same params ({ann['parameters']:,}): MACs only", f"{ann['macs_only']:.2f}")
    table.add_row("ANN-MLP, same params: + weight reads", f"{ann['with_memory']:.2f}")
    out.print(table)
    e = report["energy_per_inference_nJ"]
    out.print(f"this model {e:.1f} nJ per inference: the same-budget ANN-MLP needs "
              f"{ann['macs_only'] / e:.2f}x that counting MACs only and {ann['with_memory'] / e:.2f}x "
              "counting weight reads too")
    for r in report.get("sweep", []):
        out.print(f"N={r['n_memory']}: accuracy {r['accuracy']:.4f}, active {r['active_fraction']:.2%}, "
                  f"{r['energy_per_inference_nJ']:.1f} nJ (Eq. 25 {r['eq25_nJ']:.1f}); ANN same params "
                  f"{r['ann_macs_only_nJ']:.1f} / {r['ann_with_memory_nJ']:.1f} nJ")
    if "figure" in report:
        out.print(f"sweep figure: {report['figure']}")


@app.command()
@_user_errors
def report(
    run_dirs: list[Path] = typer.Argument(..., help="Run directories (trained; evaluated and run on Lava if you want those sections filled)."),
    output: list[Path] = typer.Option(..., "--output", "-o", help="Report file: .pdf or .html (repeat -o for both)."),
    title: Optional[str] = typer.Option(None, help="Document title [default: the runs and today's date]."),
    force: bool = typer.Option(False, help="Overwrite an existing report."),
) -> None:
    """One PDF or HTML document from run records: set-up, training, comparison, calibration, energy, Lava."""
    from beamnet_lava.evaluation.report import report as build_report

    info = build_report(run_dirs, output, force=force, title=title)
    out.print(f"report of {len(info['runs'])} run(s), {info['figures']} figures -> "
              f"{' and '.join(info['reports'])}")


@app.command()
@_user_errors
def inspect(
    netx_file: Path = typer.Argument(..., help="NetX HDF5 file (any family, stock lava-dl or NIR-imported)."),
    target: str = typer.Option("loihi2", help="Hardware target (loihi2)."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Also write the report as JSON ('-' for stdout)."),
) -> None:
    """Hardware-fit report: per layer and process, what would run where on Loihi 2 (untested on hardware)."""
    from beamnet_lava.deploy.report import print_fit

    print_fit(netx_file, target, json_out, out)


@app.command()
@_user_errors
def bundle(
    netx_file: Path = typer.Argument(..., help="NetX HDF5 file of stock processes (see `inspect`)."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Job folder to write for an INRC Loihi 2 machine."),
    samples: int = typer.Option(16, help="Encoded input samples to include."),
    part: str = typer.Option("test", help="Split part the samples come from."),
    data_dir: Optional[str] = typer.Option(None, help="Dataset folder (as for train)."),
    force: bool = typer.Option(False, help="Replace a non-empty --out folder."),
) -> None:
    """INRC job folder: network, inputs, expected CPU outputs, run_loihi2.py, Slurm script (untested on hardware)."""
    from beamnet_lava.deploy.bundle import write_bundle

    meta = write_bundle(netx_file, out_dir, samples, part=part, data_dir=data_dir, force=force)
    out.print(f"wrote {out_dir}: {meta['n_samples']} {meta['dataset']} {meta['part']} samples, "
              f"expected outputs from the CPU fixed_pt simulation (accuracy "
              f"{meta['expected']['accuracy']:.4f}); on INRC: sbatch {out_dir}/job.slurm; "
              f"then beamnet-lava ingest {out_dir}/results.json -o RUN_DIR")


@app.command()
@_user_errors
def ingest(
    results: Path = typer.Argument(..., help="results.json written by a bundle's run_loihi2.py (inside its bundle folder)."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for the run records (cpu-simulation/ and loihi2/ or cpu-rerun/)."),
    force: bool = typer.Option(False, help="Replace records in a non-empty --out folder."),
) -> None:
    """Bring an INRC job's results back as run records for `compare` (hardware vs CPU simulation)."""
    from beamnet_lava.deploy.ingest import ingest as run_ingest

    m = run_ingest(results, out_dir, force=force)
    out.print(f"{m['measured_on']}: accuracy {m['accuracy']:.4f}, spike trains identical to the "
              f"CPU simulation for {m['agreement_with_cpu']['spike_trains']:.1%} of "
              f"{m['n_samples']} samples; compare with: beamnet-lava compare "
              + " ".join(m["records"]), highlight=False)


@app.command()
@_user_errors
def sweep(
    out_dir: Path = typer.Option(..., "--out", "-o", help="Sweep folder: sweep.json, results.parquet, runs/<point>/ (re-run to resume)."),
    config: Optional[Path] = typer.Option(None, help="Base YAML/JSON config [default: the --model's defaults]."),
    model: Optional[str] = typer.Option(None, help="Model when no --config is given (see train)."),
    seeds: str = typer.Option("0", help="Seeds: 0-4, or 0,3,7."),
    grid: Optional[list[str]] = typer.Option(None, help="Settings to sweep: --grid n_memory=100,150 (repeatable; the product is run)."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="Override a base config key for every point: --set epochs=5 (repeatable)."),
    data_dir: Optional[str] = typer.Option(None, help="Dataset folder, as for train (made absolute: every worker reads it) [default: the config's]."),
    workers: Optional[int] = typer.Option(None, help="Points trained at once [default: the cores / --threads; a cluster: its CPUs]."),
    threads: Optional[int] = typer.Option(None, help="torch/BLAS threads per worker [default: cores / workers; on a cluster 1]."),
    address: Optional[str] = typer.Option(None, help="An existing Ray cluster (e.g. 10.0.0.5:6379) [default: an embedded local Ray]."),
    mlflow_uri: Optional[str] = typer.Option(None, help="Also log every point as an MLflow run (one experiment per sweep)."),
    mlflow_experiment: Optional[str] = typer.Option(None, help="MLflow experiment name [default: the sweep folder's name]."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Also write the summary as JSON ('-' for stdout)."),
) -> None:
    """Train every seed x setting of a base config on Ray, one ordinary run dir per point."""
    from beamnet_lava import config as config_mod
    from beamnet_lava.evaluation import tracking
    from beamnet_lava.sweep import plan, run_sweep

    tracking.check_available(mlflow_uri)
    overrides = dict(config_mod.parse_override(item) for item in (set_ or []))
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    planned = plan(config, seeds, grid, out_dir, model=model, overrides=overrides)
    on_point = tracking.sweep_logger(mlflow_uri, mlflow_experiment or out_dir.resolve().name, planned)
    try:
        summary = run_sweep(planned, workers=workers, threads=threads, address=address,
                            progress=json_out != "-", console=err, on_point=on_point)
    except KeyboardInterrupt:
        err.print(f"[bold red]interrupted:[/] finished runs are kept in {out_dir}; run the same "
                  "command again to resume", highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    summary.pop("records")
    if json_out:
        write_json(json_out, summary)
    c = summary["counts"]
    if json_out != "-":
        out.print(f"sweep of {summary['points']} points: {c.get('ok', 0)} trained, "
                  f"{c.get('skipped', 0)} already complete, {c.get('failed', 0)} failed -> {out_dir} "
                  f"(sweep.json, results.parquet); compare them: beamnet-lava compare {out_dir}")
    for pid, error in summary["failed"].items():
        err.print(f"[bold red]failed:[/] {pid}: {error}", highlight=False, soft_wrap=True)
    if summary["failed"]:
        raise typer.Exit(1)


data_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Prepare datasets (event streams from images).")
app.add_typer(data_app, name="data")


@data_app.command("saccade")
@_user_errors
def data_saccade(
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder to write (N-MNIST layout: OUT/NMNIST/Train|Test/<label>/*.bin + OUT/saccade.json)."),
    source: str = typer.Option("digits", help="digits (scikit-learn 8x8) or mnist (IDX files in --data-dir)."),
    data_dir: Optional[str] = typer.Option(None, help="Folder with MNIST IDX files (for --source mnist)."),
    limit: Optional[int] = typer.Option(None, help="Convert only the first N images of each part."),
    scale: Optional[int] = typer.Option(None, help="Image upscaling before the saccades [digits 2, mnist 1]."),
    amplitude: Optional[float] = typer.Option(None, help="Saccade triangle side in pixels [digits 4, mnist 6]."),
    saccade_ms: Optional[float] = typer.Option(None, help="Duration of each of the 3 saccades in ms [100]."),
    threshold: Optional[float] = typer.Option(None, help="Contrast threshold C on log intensity [digits 0.2, mnist 0.4]."),
    eps: Optional[float] = typer.Option(None, help="Black level: events on log(I + eps) [0.1]."),
    steps: Optional[int] = typer.Option(None, help="Positions sampled per saccade [16]."),
    force: bool = typer.Option(False, help="Replace an existing non-empty --out folder."),
) -> None:
    """Convert static images to DVS events by three simulated saccades (N-MNIST's recording)."""
    import dataclasses
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from beamnet_lava.data.saccade import DEFAULTS, SaccadeParams, write_saccade_dataset

    check_outputs([Out(out_dir, "--out", folder=True, force=force, kind=rundir.SACCADE)],
                  inputs=[data_dir])
    overrides = {k: v for k, v in dict(scale=scale, amplitude=amplitude, saccade_ms=saccade_ms,
                                       threshold=threshold, eps=eps, steps=steps).items() if v is not None}
    params = dataclasses.replace(DEFAULTS.get(source, SaccadeParams()), **overrides)
    t0 = time.perf_counter()
    with Progress(TextColumn("[bold]saccade[/]"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("images"), TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task("saccade", total=None)
        meta = write_saccade_dataset(source, out_dir, params, data_dir=data_dir, limit=limit,
                                     force=force,
                                     progress=lambda d, t: bar.update(task, completed=d, total=t))
    w, h, _ = meta["sensor"]
    out.print(f"wrote {meta['samples']} samples ({meta['events_per_sample']:.0f} events each on "
              f"average, sensor {w}x{h}, {meta['window_ms']:.0f} ms) to {out_dir} in "
              f"{time.perf_counter() - t0:.1f} s; train on it with --dataset saccade-{source} "
              f"--data-dir {out_dir}")


def main() -> None:
    interrupts.install()
    try:
        app()
    except SystemExit as exc:
        if interrupts.fired is not None:
            interrupts.exit_now(exc.code if isinstance(exc.code, int) else 1)
        raise


if __name__ == "__main__":
    main()
