"""The ``beamnet-lava`` command line: one verb per pipeline stage.

Thin by design: parse, call one library function, print. Every error the user
can fix arrives as a :class:`BeamnetError` and is printed as one line.
"""
from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from beamnet_lava.errors import BeamnetError, BeamnetWarning
from beamnet_lava.io_utils import write_json

# rich_markup_mode=None: help text is shown as written (rich markup would eat "[default ...]")
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
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
    return wrapper


def _wrote_json_only(json_out: str | None, obj) -> bool:
    """Write ``obj`` as JSON to ``json_out`` (a path, or ``-`` for stdout); True when the
    JSON went to stdout, so the caller prints no table after it."""
    if json_out:
        write_json(json_out, obj)
    return json_out == "-"


@app.command()
@_user_errors
def train(
    out_dir: Path = typer.Option(..., "--out", "-o", help="Run directory to create (config, checkpoint, metrics.json)."),
    model: Optional[str] = typer.Option(None, help="Model: snn (SLAYER CUBA network), beamnet, ann (MLP baseline), or a recurrent SNN on pixel sequences: brf-rsnn, rf-rsnn, alif-rsnn [default: snn, or the config's]."),
    dataset: Optional[str] = typer.Option(None, help="Dataset: digits (embedded), mnist (needs --data-dir), saccade-digits (embedded events), saccade-mnist, nmnist, shd, dvsgesture [default digits]; for *-rsnn models digits-seq, mnist-seq or shd."),
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
) -> None:
    """Train a model and keep its best-on-validation checkpoint."""
    from beamnet_lava import config as config_mod
    from beamnet_lava.evaluation import tracking
    from beamnet_lava.training.trainer import train as run_training

    tracking.check_available(mlflow_uri)

    if config:
        cfg = config_mod.load(config)
        if model and model != cfg.model:
            raise BeamnetError(f"--model {model} contradicts model: {cfg.model} in {config}")
    else:
        cfg = config_mod.default_for(model or "snn")
    try:
        hidden_sizes = [int(h) for h in hidden.split(",")] if hidden is not None else None
    except ValueError:
        raise BeamnetError(f"--hidden {hidden!r} must be comma-separated integers, e.g. 128,64") from None
    overrides = dict(config_mod.parse_override(item) for item in (set_ or []))
    overrides.update({k: v for k, v in dict(dataset=dataset, data_dir=data_dir, epochs=epochs, seed=seed,
                      time_steps=time_steps, hidden=hidden_sizes, lr=lr,
                      batch_size=batch_size).items() if v is not None})
    cfg = cfg.replace(**overrides)
    metrics = run_training(cfg, out_dir, force=force, progress=json_out != "-")
    tracking.log_run(mlflow_uri, f"train {cfg.model} {out_dir.name}", cfg.to_dict(), metrics,
                     metrics.get("history"), out_dir)
    if json_out:
        write_json(json_out, metrics)
    if json_out != "-":
        line = (f"trained {cfg.model} on {metrics['split']}: best epoch {metrics['best_epoch']}, "
                f"val accuracy {metrics['val_accuracy']:.4f}, test accuracy "
                f"{metrics['test_accuracy']:.4f}")
        if "temperature" in metrics:
            line += (f", ECE {metrics['ece']:.4f} (temperature {metrics['temperature']:.3g} fitted "
                     f"on validation), {metrics['parameters']:,} parameters")
        if "eta" in metrics:
            line += (f", ECE {metrics['ece']:.4f} (eta {metrics['eta']:.3g} fitted on validation), "
                     f"active {metrics['active_fraction']:.2%} of memory neurons per sample, "
                     f"epistemic wrong/correct {metrics['epistemic_ratio_wrong_correct']:.2f}")
        out.print(line + f" ({metrics['train_seconds']:.1f} s) -> {out_dir}")


@app.command()
@_user_errors
def export(
    run_dir: Path = typer.Argument(..., help="A run directory written by `beamnet-lava train`."),
    output: Path = typer.Option(..., "--output", "-o", help="NetX HDF5 file to write (e.g. model.net)."),
    force: bool = typer.Option(False, help="Overwrite an existing file."),
) -> None:
    """Export a trained run to a NetX HDF5 file that lava-dl's netx loads."""
    from beamnet_lava.netx_export import export_run

    net = export_run(run_dir, output, force=force)
    if hasattr(net, "describe"):
        out.print(f"exported {run_dir} to {net.describe()}")
    elif hasattr(net, "layers"):
        sizes = " -> ".join([str(net.input_size)] + [str(l.size) for l in net.layers])
        out.print(f"exported {run_dir} to {output} (NetX, {len(net.layers)} CUBA dense layers: {sizes})")
    else:
        out.print(f"exported {run_dir} to {output} (NetX + BEAM-Net extension v1: {net.input_size} "
                  f"encoder neurons -> {net.n_memory} Bayesian LIF memory neurons, delays <= "
                  f"{int(net.delay.max())})")


@app.command()
@_user_errors
def run(
    netx_file: Path = typer.Argument(..., help="NetX HDF5 network (ours or any stock CUBA dense net)."),
    dataset: Optional[str] = typer.Option(None, help="digits, mnist or an event dataset (see train) [default: the one the file was trained on]."),
    samples: Optional[int] = typer.Option(None, help="How many samples of the split to run [default: all]."),
    part: str = typer.Option("test", help="Split part: train, val or test."),
    precision: str = typer.Option("fixed", help="fixed (bit-accurate, Loihi semantics) or float."),
    backend: str = typer.Option("cpu", help="cpu (Lava simulator) or loihi2 (needs Intel's lava-loihi)."),
    time_steps: Optional[int] = typer.Option(None, help="Steps per sample [default: recorded in the file]."),
    data_dir: Optional[str] = typer.Option(None, help="Dataset folder (as for train)."),
    seed: Optional[int] = typer.Option(None, help="Split seed [default: recorded in the file, else 0]."),
    timeout: float = typer.Option(300.0, help="Watchdog: seconds one chunk of samples may take."),
    chunk: int = typer.Option(32, help="Samples per Lava run call (watchdog and progress granularity)."),
    lanes: int = typer.Option(16, help="BEAM-Net: samples simulated side by side in one Lava step."),
    loop: Optional[bool] = typer.Option(None, "--loop/--no-loop", help="BEAM-Net: top-down loop (Eq. 16-17) on or off [default: as trained]."),
    energy_constants: Optional[Path] = typer.Option(None, help="BEAM-Net: JSON of per-operation energies [default: Loihi 1, Davies 2018]."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Write the report as JSON ('-' for stdout)."),
) -> None:
    """Run an exported network on Lava and compare it with the training model."""
    from beamnet_lava.sim_cpu.evaluate import run_dataset

    report = run_dataset(netx_file, dataset, samples, part=part, precision=precision,
                         backend=backend, time_steps=time_steps, data_dir=data_dir, seed=seed,
                         timeout_s=timeout, chunk_samples=chunk, lanes=lanes,
                         bidirectional=loop, energy_constants=energy_constants,
                         progress=json_out != "-")
    if _wrote_json_only(json_out, report):
        return
    table = Table(title=f"Lava {report['precision']} run of {netx_file} on {report['n_samples']} "
                        f"{report['dataset']} {report['part']} samples")
    table.add_column("layer")
    table.add_column("neurons", justify="right")
    table.add_column("spikes", justify="right")
    table.add_column("synaptic events", justify="right")
    table.add_column("parity", justify="right")
    for key in report["spikes"]:
        parity = report.get("layer_parity", {}).get(key)
        table.add_row(key, str(report["neurons"][key]), str(report["spikes"][key]),
                      str(report["synaptic_events"][key]),
                      "n/a" if parity is None else f"{parity:.1%}")
    out.print(table)
    parity = report["parity"]
    out.print(f"accuracy {report['accuracy']:.4f} | parity with training model "
              f"{'n/a (' + report['parity_note'] + ')' if parity is None else f'{parity:.1%}'} | "
              f"{report['samples_per_s']:.1f} samples/s, {report['steps_per_s']:.0f} steps/s "
              f"(compile {report['compile_seconds']:.1f} s)")
    energy = report.get("energy_per_inference")
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
    ood: str = typer.Option("all", help="OOD sets for AUROC: inverted, shuffled, noise (comma separated), 'all' or 'none'."),
    part: str = typer.Option("test", help="Split part to evaluate: test (default) or val."),
    samples: Optional[int] = typer.Option(None, help="First N samples of the part [default: all]."),
    loop: Optional[bool] = typer.Option(None, "--loop/--no-loop", help="BEAM-Net: top-down loop on/off [default: as trained]."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for records and figures [default: RUN_DIR/evaluation or FILE.evaluation]."),
    precision: str = typer.Option("fixed", help="Exported files: Lava precision, fixed or float."),
    lanes: int = typer.Option(16, help="Exported BEAM-Net files: samples side by side per Lava step."),
    timeout: float = typer.Option(300.0, help="Exported files: watchdog seconds per chunk of samples."),
    data_dir: Optional[str] = typer.Option(None, help="Folder with MNIST IDX files [default: as trained]."),
    energy_constants: Optional[Path] = typer.Option(None, help="JSON of per-operation energies in pJ [default: Loihi 1, Davies 2018]."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Also write the report as JSON ('-' for stdout)."),
    mlflow_uri: Optional[str] = typer.Option(None, help="Also log the evaluation to MLflow at this URI (needs mlflow)."),
) -> None:
    """Accuracy, calibration, uncertainty, OOD AUROC and energy of a trained run."""
    from beamnet_lava.evaluation import tracking
    from beamnet_lava.evaluation.evaluate import evaluate

    tracking.check_available(mlflow_uri)
    if not target.exists():
        raise BeamnetError(f"{target} does not exist; give a run directory or an exported .net file")
    report = evaluate(target, ood=None if ood == "none" else ood, part=part, samples=samples,
                      loop=loop, out=out_dir, data_dir=data_dir, energy_constants=energy_constants,
                      precision=precision, lanes=lanes, timeout_s=timeout)
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
    run_dirs: list[Path] = typer.Argument(..., help="Run directories (trained, optionally evaluated)."),
    figure: Optional[Path] = typer.Option(Path("comparison.png"), help="Comparison figure (PNG) to write."),
    force: bool = typer.Option(False, help="Overwrite an existing figure."),
    json_out: Optional[str] = typer.Option(None, "--json", help="Write the table as JSON ('-' for stdout)."),
) -> None:
    """Side-by-side table of runs, computed with DuckDB over their Parquet records."""
    from beamnet_lava.evaluation.compare import compare as run_compare

    rows = run_compare(run_dirs, figure=figure, force=force)
    if _wrote_json_only(json_out, rows):
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
    for name, fmt in metrics:
        table.add_row(name, *[fmt(r) for r in rows])
    out.print(table)
    out.print("energy: spiking models on Loihi's per-operation model (a synaptic op includes its "
              "weight read); the ANN as fp32 MACs, then + one read of every weight (Horowitz 2014)")
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
    report = run_energy(run_dir, sweep=ns, epochs=epochs, out=out_dir or run_dir, force=force,
                        energy_constants=energy_constants, samples=samples, progress=json_out != "-")
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
    """The console script: a usage error (an option typer cannot parse) is one line too, exit 2."""
    import sys

    try:    # typer >= 0.20 vendors click; older typer uses click itself
        from typer._click.exceptions import NoArgsIsHelpError, UsageError
    except ImportError:  # pragma: no cover
        from click.exceptions import NoArgsIsHelpError, UsageError

    try:
        rc = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else exc.format_message())
        sys.exit(exc.exit_code)
    except UsageError as exc:
        where = f"beamnet-lava {exc.ctx.command_path.split(' ', 1)[1]}" \
            if exc.ctx and " " in exc.ctx.command_path else "beamnet-lava"
        err.print(f"[bold red]error:[/] {_one_line(exc.format_message())} (see {where} --help)",
                  highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("[bold red]error:[/] interrupted", highlight=False)
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
