"""Rich tables for the deploy verbs, so cli.py stays a list of call sites."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from beamnet_lava import outputs
from beamnet_lava.io_utils import write_json


def print_fit(path: Path, target: str, json_out: str | None, out: Console, force: bool | None = None) -> None:
    from beamnet_lava.deploy.fit import inspect_file

    outputs.check([outputs.Out(json_out, "--json", stdout=True, force=force)], inputs=[path])
    report = inspect_file(path, target)
    if json_out:
        write_json(json_out, report.to_dict())
    if json_out == "-":
        return
    t = Table(title=f"{path} on {target} ({report.family} family): per layer")
    for col in ("layer", "type", "neuron", "neurons", "synapses", "fan-in max/mean",
                "fan-out max/mean", "weights (bits)", "delays", "msg bits", "state", "cores (est.)"):
        t.add_column(col, justify="right" if col not in ("type", "neuron", "state") else "left")
    for l in report.layers:
        w = "-" if l.weight_min is None else (f"{l.weight_min}..{l.weight_max} "
                                              f"({l.loihi2_weight_bits if l.loihi2_weight_bits is not None else '!'})")
        d = "-" if l.delay_max is None else f"{l.delay_min}..{l.delay_max}"
        t.add_row(str(l.index), l.kind, l.neuron_type, str(l.neurons),
                  f"{l.synapses}" + (f" ({l.recurrent_synapses} rec)" if l.recurrent_synapses else ""),
                  f"{l.fan_in_max}/{l.fan_in_mean:.1f}", f"{l.fan_out_max}/{l.fan_out_mean:.1f}",
                  w, d, str(l.message_bits), l.state or "-", str(l.cores_estimate))
    out.print(t)
    p = Table(title="where each process would run under Loihi2HwCfg")
    for col in ("process", "runs on", "why"):
        p.add_column(col)
    for pl in report.processes:
        p.add_row(pl.process, pl.placement, pl.why)
    out.print(p)
    for f in report.failures:
        out.print(f"[bold red]hard failure[/] {f.where}: {f.problem}. Fix: {f.fix}", highlight=False)
    for w in report.warnings:
        out.print(f"[yellow]note[/] {w}", highlight=False)
    e = report.estimate
    out.print(f"{e['label']}: {e['cores']} neuro-core(s), {e['chips']} chip(s); assumptions: "
              + "; ".join(e["assumptions"]), highlight=False)
    out.print(f"verdict: {report.verdict}", highlight=False)


def measured_rows() -> list:
    """Extra `compare` rows for ingested INRC jobs (what was measured, and where)."""
    def energy(r):
        e = r.get("energy_per_inference_mJ")
        return "-" if not e else f"{e['dynamic']:.4g} dyn / {e['total']:.4g} total"

    def agreement(r):
        a = r.get("agreement_with_cpu")
        return "-" if not a else f"{a['spike_trains']:.1%} trains, {a['predictions']:.1%} labels"

    return [("measured on", lambda r: r.get("measured_on", "-")),
            ("agreement with CPU sim.", agreement),
            ("measured mJ / inference", energy),
            ("time per step (us)", lambda r: "-" if r.get("time_per_step_us") is None
             else f"{r['time_per_step_us']:.2f}")]


def export_target(run_dir: Path, output: Path, target: str, force: bool, out: Console) -> None:
    """``export --target loihi2``: BEAM-Net's stock variant; other spiking runs are already stock."""
    from beamnet_lava.errors import BeamnetError
    from beamnet_lava.training.checkpoint import load_run

    if target != "loihi2":
        raise BeamnetError(f"unknown --target {target!r}; export knows loihi2")
    from beamnet_lava.families import family_of

    family = family_of(load_run(run_dir).config)
    variant = family.hook("loihi2_variant", subject=f"{run_dir} is a {family.name} run")
    sb = variant(run_dir, output, force=force)
    out.print(f"exported {run_dir} to {output} (stock Lava processes: DelayDense -> {sb.n_memory} "
              f"LIF with recurrent inhibition, no noise, no adaptive threshold; {sb.window}-step "
              f"windows; readout on the host)")
