"""The ``beamnet-lava`` command line: one verb per pipeline stage.

Thin by design: parse, call one library function, print. Every error the user
can fix arrives as a :class:`BeamnetError` and is printed as one line.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from beamnet_lava.errors import BeamnetError
from beamnet_lava.io_utils import write_json

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Train spiking networks (lava-dl SLAYER), export them to NetX HDF5, "
                       "run them on Lava.")
err = Console(stderr=True)
out = Console()


def _user_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BeamnetError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    return wrapper


@app.command()
@_user_errors
def train(
    out_dir: Path = typer.Option(..., "--out", "-o", help="Run directory to create (config, checkpoint, metrics.json)."),
    model: Optional[str] = typer.Option(None, help="Model: snn (SLAYER CUBA network), beamnet, or a recurrent SNN on pixel sequences: brf-rsnn, rf-rsnn, alif-rsnn [default: snn, or the config's]."),
    dataset: Optional[str] = typer.Option(None, help="Dataset: digits (embedded) or mnist (needs --data-dir) [default digits]; for *-rsnn models digits-seq or mnist-seq."),
    data_dir: Optional[str] = typer.Option(None, help="Folder with MNIST IDX files."),
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
) -> None:
    """Train a model and keep its best-on-validation checkpoint."""
    from beamnet_lava import config as config_mod
    from beamnet_lava.training.trainer import train as run_training

    if config:
        cfg = config_mod.load(config)
        if model and model != cfg.model:
            raise BeamnetError(f"--model {model} contradicts model: {cfg.model} in {config}")
    else:
        cfg = config_mod.default_for(model or "snn")
    try:
        hidden_sizes = [int(h) for h in hidden.split(",")] if hidden else None
    except ValueError:
        raise BeamnetError(f"--hidden {hidden!r} must be comma-separated integers, e.g. 128,64") from None
    overrides = dict(config_mod.parse_override(item) for item in (set_ or []))
    overrides.update({k: v for k, v in dict(dataset=dataset, data_dir=data_dir, epochs=epochs, seed=seed,
                      time_steps=time_steps, hidden=hidden_sizes, lr=lr,
                      batch_size=batch_size).items() if v is not None})
    cfg = cfg.replace(**overrides)
    metrics = run_training(cfg, out_dir, force=force, progress=json_out != "-")
    if json_out:
        write_json(json_out, metrics)
    if json_out != "-":
        line = (f"trained {cfg.model} on {metrics['split']}: best epoch {metrics['best_epoch']}, "
                f"val accuracy {metrics['val_accuracy']:.4f}, test accuracy "
                f"{metrics['test_accuracy']:.4f}")
        if "ece" in metrics:
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
    dataset: Optional[str] = typer.Option(None, help="digits or mnist [default: the one the file was trained on]."),
    samples: Optional[int] = typer.Option(None, help="How many samples of the split to run [default: all]."),
    part: str = typer.Option("test", help="Split part: train, val or test."),
    precision: str = typer.Option("fixed", help="fixed (bit-accurate, Loihi semantics) or float."),
    backend: str = typer.Option("cpu", help="cpu (Lava simulator) or loihi2 (needs Intel's lava-loihi)."),
    time_steps: Optional[int] = typer.Option(None, help="Steps per sample [default: recorded in the file]."),
    data_dir: Optional[str] = typer.Option(None, help="Folder with MNIST IDX files."),
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
    if json_out:
        write_json(json_out, report)
    if json_out == "-":
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
