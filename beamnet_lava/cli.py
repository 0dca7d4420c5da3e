"""The ``beamnet-lava`` command line: one verb per pipeline stage.

Parsing only: each verb calls its function in :mod:`beamnet_lava.verbs` and shows the result
through :mod:`beamnet_lava.presentation.present`. Options shared by verbs are declared once
(below); every error the user can fix arrives as a :class:`BeamnetError`, printed as one line.
"""
import enum
import functools
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from beamnet_lava import families, interrupts, verbs
from beamnet_lava.data.ood import OOD_SETS
from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import NO_SPACE
from beamnet_lava.names import ALL_DATASETS, BACKENDS, PRECISIONS, UNCERTAINTY_MODES
from beamnet_lava.presentation import present

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
                present.usage_help(exc.ctx.get_help() if exc.ctx else "")    # rich help prints itself
                sys.exit(exc.exit_code)
            present.usage_error(exc.format_message())
            sys.exit(1)
        except typer.Abort:
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


# rich_markup_mode=None: help text is shown as written (rich markup would eat "[default ...]")
app = typer.Typer(add_completion=False, no_args_is_help=True, cls=_OneLineErrors, rich_markup_mode=None,
                  help="Train spiking networks (lava-dl SLAYER), export them to NetX HDF5, "
                       "run them on Lava.")


def _user_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        warnings.showwarning = present.show_warning
        try:
            return fn(*args, **kwargs)
        except BeamnetError as exc:
            present.user_error(exc)
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:       # Ctrl-C, SIGTERM, SIGHUP (interrupts.py)
            present.interrupted(exc)
            raise typer.Exit(interrupts.exit_code_of(exc)) from None
        except OSError as exc:
            if exc.errno not in NO_SPACE:
                raise
            present.no_space(exc)
            raise typer.Exit(1) from None
    return wrapper


def _choices(name: str, values) -> type[enum.Enum]:
    """A typer choice (listed in ``--help``) of ``values``; members are their own strings."""
    return enum.Enum(name, [(v, v) for v in values], type=str)


Model = _choices("Model", families.names(trained_only=True))
Dataset = _choices("Dataset", ALL_DATASETS)
Precision = _choices("Precision", PRECISIONS)
Backend = _choices("Backend", BACKENDS)
UncertaintyMode = _choices("UncertaintyMode", UNCERTAINTY_MODES)


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


# -- options shared by verbs, declared once (each verb words its help for what it does) ----------

def JsonOut(help: str = "Also write the report as JSON ('-' for stdout).") -> type:
    return Annotated[Optional[str], typer.Option("--json", help=help)]


def Force(help: str) -> type:
    return Annotated[bool, typer.Option("--force/--no-force", help=help)]


def OutDir(help: str) -> type:
    """``--out`` / ``-o``: a folder the verb writes (required unless the verb gives a default)."""
    return Annotated[Optional[Path], typer.Option("--out", "-o", help=help)]


def OutFile(help: str) -> type:
    """``--output`` / ``-o``: the file the verb writes."""
    return Annotated[Path, typer.Option("--output", "-o", help=help)]


def DatasetOpt(help: str) -> type:
    return Annotated[Optional[Dataset], typer.Option("--dataset", help=help)]


def DataDir(help: str = "Dataset folder (as for train).") -> type:
    return Annotated[Optional[str], typer.Option("--data-dir", help=help)]


def PrecisionOpt(help: str) -> type:
    return Annotated[Optional[Precision], typer.Option("--precision", help=help)]


def Lanes(help: str) -> type:
    return Annotated[Optional[str], typer.Option("--lanes", help=help)]


def Timeout(help: str) -> type:
    return Annotated[Optional[float], typer.Option("--timeout", help=help)]


def MlflowUri(help: str) -> type:
    return Annotated[Optional[str], typer.Option("--mlflow-uri", help=help)]


def Loop(help: str) -> type:
    return Annotated[Optional[bool], typer.Option("--loop/--no-loop", help=help)]


def EnergyConstants(help: str = "JSON of per-operation energies in pJ [default: Loihi 1, Davies 2018].") -> type:
    return Annotated[Optional[Path], typer.Option("--energy-constants", help=help)]


# -- the verbs -----------------------------------------------------------------------------------

@app.command()
@_user_errors
def train(
    out_dir: OutDir("Run directory to create (config, checkpoint, metrics.json).") = ...,
    model: Optional[Model] = typer.Option(None, help="Model family: " + "; ".join(f"{f.name}: {f.help}" for f in families.families() if f.trained) + " [default: snn, or the config's]."),
    dataset: DatasetOpt("Dataset: digits (embedded), mnist (needs --data-dir), saccade-digits (embedded events), saccade-mnist, nmnist, shd, dvsgesture [default digits]; for *-rsnn models digits-seq, mnist-seq or shd.") = None,
    data_dir: DataDir("Folder with MNIST IDX files, or the folder holding NMNIST/, SHD/, DVSGesture/ (tonic's layout), or one written by `data saccade`.") = None,
    epochs: Optional[int] = typer.Option(None, help="Training epochs."),
    seed: Optional[int] = typer.Option(None, help="Seed for split, init, shuffling and neuron noise [default 0]."),
    time_steps: Optional[int] = typer.Option(None, help="Time steps per sample window."),
    hidden: Optional[str] = typer.Option(None, help="snn: hidden layer sizes, comma separated [default 128]."),
    lr: Optional[float] = typer.Option(None, help="Adam learning rate."),
    batch_size: Optional[int] = typer.Option(None, help="Batch size."),
    config: Optional[Path] = typer.Option(None, help="YAML/JSON config; flags override it."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="Override any config key: --set w_inh=3.5 (repeatable)."),
    force: Force("Train into a non-empty run directory (replaces only a run of ours); overwrite an existing --json report.") = False,
    json_out: JsonOut("Also write metrics to this JSON file ('-' for stdout).") = None,
    mlflow_uri: MlflowUri("Also log params/metrics/artifacts to MLflow at this URI (needs mlflow).") = None,
    device: str = typer.Option("auto", help="Training device: auto (CUDA when torch sees one), cpu or cuda; checkpoints always load on a CPU."),
) -> None:
    """Train a model and keep its best-on-validation checkpoint."""
    result = verbs.train(out_dir, model=_value(model), dataset=_value(dataset), data_dir=data_dir,
                         epochs=epochs, seed=seed, time_steps=time_steps, hidden=hidden, lr=lr,
                         batch_size=batch_size, config=config, set_=set_, force=force,
                         json_out=json_out, mlflow_uri=mlflow_uri, device=device)
    present.trained(result, json_out)


@app.command()
@_user_errors
def export(
    run_dir: Path = typer.Argument(..., help="A run directory written by `beamnet-lava train` (or, with --format nir, a NetX file)."),
    output: OutFile("File to write (e.g. model.net, or model.nir with --format nir).") = ...,
    force: Force("Overwrite an existing file.") = False,
    target: Optional[str] = typer.Option(None, help="loihi2: BEAM-Net's variant of stock Lava processes only (no microcode; see docs/loihi2.md)."),
    format_: str = typer.Option("netx", "--format", help="netx (NetX HDF5 for lava-dl) or nir (NIR graph for snnTorch, Norse, ...; docs/nir.md)."),
    deterministic: bool = typer.Option(False, help="nir: BEAM-Net only, export its Delta -> 0 core (says what is dropped)."),
) -> None:
    """Export a trained run to a NetX HDF5 file that lava-dl's netx loads (or to NIR)."""
    present.exported(verbs.export(run_dir, output, force=force, target=target, format_=format_,
                                  deterministic=deterministic))


@app.command("import")
@_user_errors
def import_(
    nir_file: Path = typer.Argument(..., help="A NIR graph (.nir, e.g. from snnTorch's export_to_nir or Norse)."),
    output: OutFile("NetX HDF5 file to write (run/evaluate/inspect take it).") = ...,
    force: Force("Overwrite an existing file.") = False,
    dt: Optional[float] = typer.Option(None, help="Euler time step in s [default: the graph's metadata, else 1e-4, snnTorch's]."),
    round_: bool = typer.Option(False, "--round", help="Also round decays more than 1 % (of their time constant) off Loihi's 12-bit grid (weights and thresholds always take the per-layer scale rule; errors are reported; docs/nir.md)."),
    precision: PrecisionOpt("fixed: Loihi's integers (8-bit weights, 12-bit decays); float: the graph's own float parameters for Lava's floating-point models (`run --precision float` only; no Loihi, bundle or fixed-point run) [default fixed].") = None,
) -> None:
    """Import a NIR graph (CubaLIF/LIF/IF layers, an LI/CubaLI readout, Linear/Affine/Delay, Conv2d/pools/Flatten) as a NetX file for Lava."""
    present.imported(nir_file, verbs.import_(nir_file, output, force=force, dt=dt, round_=round_,
                                             precision=_value(precision) or "fixed"))


@app.command()
@_user_errors
def run(
    netx_file: Path = typer.Argument(..., help="NetX HDF5 network (ours, any file lava-dl writes: dense, conv, pool, SDNN, current readout) or a NIR graph (.nir, imported on the fly)."),
    dataset: DatasetOpt("digits, mnist, an event or a sequence dataset (see train) [default: the one the file was trained on].") = None,
    samples: Optional[int] = typer.Option(None, help="How many samples of the split to run [default: all]."),
    part: str = typer.Option("test", help="Split part: train, val or test."),
    precision: PrecisionOpt("fixed (bit-accurate, Loihi semantics) or float [default fixed; float for a float NIR import].") = None,
    backend: Backend = typer.Option("cpu", help="cpu (Lava simulator) or loihi2 (needs Intel's lava-loihi)."),
    time_steps: Optional[int] = typer.Option(None, help="Steps per sample [default: recorded in the file]; with --inputs of static images (lava-dl input blocks), the window of each."),
    data_dir: DataDir() = None,
    seed: Optional[int] = typer.Option(None, help="Split seed [default: recorded in the file, else 0]."),
    timeout: Timeout("Watchdog: seconds one chunk of samples may take.") = 300.0,
    chunk: int = typer.Option(32, help="Samples per Lava run call (watchdog and progress granularity)."),
    lanes: Lanes("Samples simulated side by side in one Lava step: N or 'auto' (all samples, within a memory bound); 1 = one at a time [default auto].") = None,
    loop: Loop("BEAM-Net: top-down loop (Eq. 16-17) on or off [default: as trained].") = None,
    energy_constants: EnergyConstants("BEAM-Net, BRF/RF: JSON of per-operation energies [default: Loihi 1, Davies 2018].") = None,
    json_out: JsonOut("Write the report as JSON ('-' for stdout).") = None,
    inputs: Optional[Path] = typer.Option(None, help="Your own inputs instead of a dataset: .npy (samples, steps, inputs) spikes, or for a lava-dl input block per-step values or static images (samples, inputs) with --time-steps (docs/lavadl.md)."),
    record: Optional[Path] = typer.Option(None, help="With --inputs: save every layer's spikes to this .npz (layer<i>: samples x steps x neurons; an LI readout's membrane values as floats)."),
    force: Force("Overwrite an existing --record or --json file (only files of ours).") = False,
    workers: Optional[int] = typer.Option(None, help="Shard the samples (of the dataset: SNN, CSNN and lava-dl files; or of --inputs) over this many Ray workers; results identical to one process [default: one process]."),
    address: Optional[str] = typer.Option(None, help="An existing Ray cluster (e.g. 10.0.0.5:6379) to shard over (with --workers; alone: 2 workers) [default: an embedded local Ray]."),
) -> None:
    """Run an exported network on Lava and compare it with the training model."""
    precision = verbs.run_precision(netx_file, _value(precision))
    report = verbs.run(netx_file, dataset=_value(dataset), samples=samples, part=part,
                       precision=precision, backend=_value(backend), time_steps=time_steps,
                       data_dir=data_dir, seed=seed, timeout=timeout, chunk=chunk, lanes=lanes, loop=loop,
                       energy_constants=energy_constants, json_out=json_out, inputs=inputs,
                       record=record, force=force, workers=workers, address=address)
    if inputs is not None:
        present.input_run(report, json_out, precision, netx_file, record)
    else:
        present.lava_run(report, json_out, netx_file)


@app.command()
@_user_errors
def evaluate(
    target: Path = typer.Argument(..., help="A run directory (training model) or an exported .net file (simulated on Lava)."),
    ood: str = typer.Option("all", parser=_ood_sets, metavar="[" + "|".join(OOD_CHOICES) + "][,...]", help="OOD sets for AUROC: inverted, shuffled, noise (comma separated), 'all' or 'none'."),
    part: str = typer.Option("test", help="Split part to evaluate: test (default) or val."),
    samples: Optional[int] = typer.Option(None, help="First N samples of the part [default: all]."),
    loop: Loop("BEAM-Net: top-down loop on/off [default: as trained].") = None,
    out_dir: OutDir("Folder for records and figures [default: RUN_DIR/evaluation or FILE.evaluation].") = None,
    force: Force("Replace an earlier evaluation in the --out folder; overwrite an existing --json report.") = False,
    precision: PrecisionOpt("Exported files: Lava precision, fixed or float [default fixed].") = None,
    lanes: Lanes("Exported files: samples side by side per Lava step, N or 'auto' [default auto].") = None,
    timeout: Timeout("Exported files: watchdog seconds per chunk of samples [default 300].") = None,
    data_dir: DataDir("Folder with MNIST IDX files [default: as trained].") = None,
    energy_constants: EnergyConstants() = None,
    json_out: JsonOut() = None,
    mlflow_uri: MlflowUri("Also log the evaluation to MLflow at this URI (needs mlflow).") = None,
    uncertainty: Optional[UncertaintyMode] = typer.Option(None, help="BEAM-Net: window (Eq. 12-15 of the inference window) or probe (plus a probe window read as posterior samples: docs/beamnet.md) [default: as trained]."),
    workers: Optional[int] = typer.Option(None, help="Exported SNN and CSNN files: shard each Lava run's samples over this many Ray workers; results identical to one process [default: one process]."),
    address: Optional[str] = typer.Option(None, help="Exported files: an existing Ray cluster (e.g. 10.0.0.5:6379) to shard over [default: an embedded local Ray]."),
) -> None:
    """Accuracy, calibration, uncertainty (does it flag errors? AUROC, AURC, risk-coverage), OOD AUROC and energy of a trained run."""
    report = verbs.evaluate(target, ood=ood, part=part, samples=samples, loop=loop, out_dir=out_dir,
                            force=force, precision=_value(precision), lanes=lanes, timeout=timeout,
                            data_dir=data_dir, energy_constants=energy_constants, json_out=json_out,
                            mlflow_uri=mlflow_uri, uncertainty=_value(uncertainty), workers=workers,
                            address=address)
    present.evaluation(report, json_out)


@app.command()
@_user_errors
def compare(
    run_dirs: list[Path] = typer.Argument(..., help="Run directories (trained, optionally evaluated) or sweep folders."),
    figure: Optional[Path] = typer.Option(None, help="Also write a comparison figure to this PNG file [default: none]."),
    force: Force("Overwrite an existing figure or --json file (only files of ours).") = False,
    json_out: JsonOut("Write the table as JSON ('-' for stdout).") = None,
) -> None:
    """Side-by-side table of runs (DuckDB over their Parquet records), then runs grouped by
    config over seeds: mean, std, 95 % bootstrap CI, and each group's difference from the first."""
    present.comparison(verbs.compare(run_dirs, figure=figure, force=force, json_out=json_out), json_out)


@app.command()
@_user_errors
def energy(
    run_dir: Path = typer.Argument(..., help="A run directory written by `beamnet-lava train`."),
    sweep: Optional[str] = typer.Option(None, help="BEAM-Net: retrain at these N (comma separated, e.g. 25,50,100,200) and plot energy vs N."),
    epochs: Optional[int] = typer.Option(None, help="Epochs per sweep point [default: the run's]."),
    out_dir: OutDir("Folder for energy_sweep.json/.png [default: RUN_DIR].") = None,
    force: Force("Overwrite an earlier sweep's files or an existing --json report.") = False,
    samples: Optional[int] = typer.Option(None, help="First N test samples [default: all]."),
    energy_constants: EnergyConstants() = None,
    json_out: JsonOut() = None,
) -> None:
    """Energy per inference from measured activity (Eq. 25 and per operation), vs an ANN."""
    report = verbs.energy(run_dir, sweep=sweep, epochs=epochs, out_dir=out_dir, force=force,
                          samples=samples, energy_constants=energy_constants, json_out=json_out)
    present.energy(report, json_out)


@app.command()
@_user_errors
def report(
    run_dirs: list[Path] = typer.Argument(..., help="Run directories (trained; evaluated and run on Lava if you want those sections filled)."),
    output: Annotated[list[Path], typer.Option("--output", "-o", help="Report file: .pdf or .html (repeat -o for both).")] = ...,
    title: Optional[str] = typer.Option(None, help="Document title [default: the runs and today's date]."),
    force: Force("Overwrite an existing report.") = False,
) -> None:
    """One PDF or HTML document from run records: set-up, training, comparison, calibration, energy, Lava."""
    present.document(verbs.report(run_dirs, output, title=title, force=force))


@app.command()
@_user_errors
def inspect(
    netx_file: Path = typer.Argument(..., help="NetX HDF5 file (any family, stock lava-dl or NIR-imported)."),
    target: str = typer.Option("loihi2", help="Hardware target (loihi2)."),
    skip_layers: int = typer.Option(0, "--skip-layers", help="First layers that run on the host (as lava-dl's netx.hdf5.Network(skip_layers=...)): they take no cores."),
    compiler: str = typer.Option("2022", help="Which of Intel's compilers the core model follows: 2022 (lava-dl's Oxford and PilotNet compiles) or 2024 (its MNIST compile); see docs/loihi2.md."),
    json_out: JsonOut() = None,
    force: Force("Overwrite an existing --json file (only a JSON report).") = False,
) -> None:
    """Hardware-fit report: per layer and process, what would run where on Loihi 2, and the cores and chips it needs (untested on hardware)."""
    present.fit_report(verbs.inspect(netx_file, target=target, skip_layers=skip_layers, json_out=json_out,
                                     force=force, compiler=compiler), netx_file, target, json_out)


@app.command()
@_user_errors
def bundle(
    netx_file: Path = typer.Argument(..., help="NetX HDF5 file of stock processes (see `inspect`)."),
    out_dir: OutDir("Job folder to write for an INRC Loihi 2 machine.") = ...,
    samples: int = typer.Option(16, help="Encoded input samples to include."),
    part: str = typer.Option("test", help="Split part the samples come from."),
    data_dir: DataDir() = None,
    force: Force("Replace a non-empty --out folder.") = False,
    inputs: Optional[Path] = typer.Option(None, help="Your own inputs instead of a dataset, as for `run --inputs` (required for lava-dl files from elsewhere, which record no encoding)."),
    time_steps: Optional[int] = typer.Option(None, help="Steps per sample [default: recorded in the file]; with static images in --inputs, the window of each."),
) -> None:
    """INRC job folder: network, inputs, expected CPU outputs, run_loihi2.py, Slurm script (untested on hardware)."""
    meta = verbs.bundle(netx_file, out_dir, samples=samples, part=part, data_dir=data_dir, force=force,
                        inputs=inputs, time_steps=time_steps)
    present.bundled(meta, out_dir)


@app.command()
@_user_errors
def ingest(
    results: Path = typer.Argument(..., help="results.json written by a bundle's run_loihi2.py (inside its bundle folder)."),
    out_dir: OutDir("Folder for the run records (cpu-simulation/ and loihi2/ or cpu-rerun/).") = ...,
    force: Force("Replace records in a non-empty --out folder.") = False,
) -> None:
    """Bring an INRC job's results back as run records for `compare` (hardware vs CPU simulation)."""
    present.ingested(verbs.ingest(results, out_dir, force=force))


@app.command()
@_user_errors
def sweep(
    out_dir: OutDir("Sweep folder: sweep.json, results.parquet, runs/<point>/ (re-run to resume).") = ...,
    config: Optional[Path] = typer.Option(None, help="Base YAML/JSON config [default: the --model's defaults]."),
    model: Optional[str] = typer.Option(None, help="Model when no --config is given (see train)."),
    seeds: str = typer.Option("0", help="Seeds: 0-4, or 0,3,7."),
    grid: Optional[list[str]] = typer.Option(None, help="Settings to sweep: --grid n_memory=100,150 (repeatable; the product is run)."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="Override a base config key for every point: --set epochs=5 (repeatable)."),
    data_dir: DataDir("Dataset folder, as for train (made absolute: every worker reads it) [default: the config's].") = None,
    workers: Optional[int] = typer.Option(None, help="Points trained at once [default: the cores / --threads; a cluster: its CPUs]."),
    threads: Optional[int] = typer.Option(None, help="torch/BLAS threads per worker [default: cores / workers; on a cluster 1]."),
    address: Optional[str] = typer.Option(None, help="An existing Ray cluster (e.g. 10.0.0.5:6379) [default: an embedded local Ray]."),
    mlflow_uri: MlflowUri("Also log every point as an MLflow run (one experiment per sweep).") = None,
    mlflow_experiment: Optional[str] = typer.Option(None, help="MLflow experiment name [default: the sweep folder's name]."),
    json_out: JsonOut("Also write the summary as JSON ('-' for stdout).") = None,
    force: Force("Overwrite an existing --json file (only a JSON report; the sweep itself resumes).") = False,
) -> None:
    """Train every seed x setting of a base config on Ray, one ordinary run dir per point."""
    try:
        summary = verbs.sweep(out_dir, config=config, model=model, seeds=seeds, grid=grid, set_=set_,
                              data_dir=data_dir, workers=workers, threads=threads, address=address,
                              mlflow_uri=mlflow_uri, mlflow_experiment=mlflow_experiment,
                              json_out=json_out, force=force, console=present.err)
    except KeyboardInterrupt as exc:       # Ctrl-C 130, SIGTERM 143, SIGHUP 129 (interrupts.py)
        present.sweep_interrupted(out_dir, interrupts.message_of(exc))
        raise typer.Exit(interrupts.exit_code_of(exc)) from None
    present.swept(summary, json_out, out_dir)
    if summary["failed"]:
        raise typer.Exit(1)


data_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Prepare datasets (event streams from images).")
app.add_typer(data_app, name="data")


@data_app.command("saccade")
@_user_errors
def data_saccade(
    out_dir: OutDir("Folder to write (N-MNIST layout: OUT/NMNIST/Train|Test/<label>/*.bin + OUT/saccade.json).") = ...,
    source: str = typer.Option("digits", help="digits (scikit-learn 8x8) or mnist (IDX files in --data-dir)."),
    data_dir: DataDir("Folder with MNIST IDX files (for --source mnist).") = None,
    limit: Optional[int] = typer.Option(None, help="Convert only the first N images of each part."),
    scale: Optional[int] = typer.Option(None, help="Image upscaling before the saccades [digits 2, mnist 1]."),
    amplitude: Optional[float] = typer.Option(None, help="Saccade triangle side in pixels [digits 4, mnist 6]."),
    saccade_ms: Optional[float] = typer.Option(None, help="Duration of each of the 3 saccades in ms [100]."),
    threshold: Optional[float] = typer.Option(None, help="Contrast threshold C on log intensity [digits 0.2, mnist 0.4]."),
    eps: Optional[float] = typer.Option(None, help="Black level: events on log(I + eps) [0.1]."),
    steps: Optional[int] = typer.Option(None, help="Positions sampled per saccade [16]."),
    force: Force("Replace an existing non-empty --out folder.") = False,
) -> None:
    """Convert static images to DVS events by three simulated saccades (N-MNIST's recording)."""
    present.saccade(verbs.data_saccade(out_dir, source=source, data_dir=data_dir, limit=limit, force=force,
                                       console=present.err, scale=scale, amplitude=amplitude,
                                       saccade_ms=saccade_ms, threshold=threshold, eps=eps, steps=steps))


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
