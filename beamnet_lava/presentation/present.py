"""Everything the command line shows: the result tables and lines, ``--json`` output, the one-line
errors and warnings.

One function per result kind; each takes what a :mod:`beamnet_lava.verbs` function returned and
prints it (stdout: results; stderr: errors, warnings, progress). Nothing here computes a result.
A function that takes ``json_out`` writes the JSON first and prints nothing more when it went to
stdout (``--json -``), so stdout is then valid JSON.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from beamnet_lava import rundir
from beamnet_lava.io_utils import write_json

err = Console(stderr=True)
out = Console()


def table(title: str, columns: list[str], rows) -> Table:
    """A result table: the first column (the row's name) left-aligned, the value columns right."""
    t = Table(title=title)
    t.add_column(columns[0])
    for col in columns[1:]:
        t.add_column(col, justify="right")
    for row in rows:
        t.add_row(*row)
    return t


# -- errors and warnings -------------------------------------------------------------------------

def one_line(exc: BaseException | str) -> str:
    """A message on one line (an error quoting a library's multi-line text stays one line)."""
    return escape(" ".join(str(exc).split()))


def error(message: str) -> None:
    """``error: ...`` on stderr (``message`` is rich markup: escape text from elsewhere)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)


def user_error(exc: BaseException) -> None:
    """A :class:`~beamnet_lava.errors.BeamnetError` as one line."""
    error(one_line(exc))


def interrupted(exc: BaseException) -> None:
    """Ctrl-C, SIGTERM, SIGHUP (interrupts.py)."""
    from beamnet_lava import interrupts

    err.print(f"[bold red]{interrupts.message_of(exc)}[/]", highlight=False)
    interrupts.reported()


def no_space(exc: OSError) -> None:
    err.print(f"[bold red]error:[/] no space left on the device"
              f"{' for ' + str(exc.filename) if exc.filename else ''}; free some space "
              "or choose another location", highlight=False, soft_wrap=True)


def usage_help(text: str) -> None:
    """The help shown for a bare ``beamnet-lava`` / ``beamnet-lava data``."""
    if text:
        print(text)


def usage_error(message: str) -> None:
    """A bad choice, a missing option (click's message)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)


_default_showwarning = warnings.showwarning


def show_warning(message, category, filename, lineno, file=None, line=None):
    """A :class:`BeamnetWarning` as one line on stderr; any other warning as Python shows it."""
    from beamnet_lava.errors import BeamnetWarning

    if issubclass(category, BeamnetWarning):
        err.print(f"[bold yellow]warning:[/] {message}", highlight=False, soft_wrap=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


# -- JSON ----------------------------------------------------------------------------------------

def json_to_stdout(json_out: str | None) -> bool:
    """``--json -``: stdout carries the JSON only (no tables, no progress)."""
    return json_out == "-"


def json_report(json_out: str | None, obj: Any, register: bool = True) -> bool:
    """Write ``obj`` as JSON to ``json_out`` (a path, or ``-`` for stdout); a file is recorded in
    the run directory it lands in (rundir.py) unless ``register`` is False. True when the JSON
    went to stdout, so the caller prints nothing after it."""
    if json_out:
        write_json(json_out, obj)
        if register and json_out != "-":
            rundir.register(json_out, obj.get("run_id") if isinstance(obj, dict) else None)
    return json_to_stdout(json_out)


# -- one function per result kind ----------------------------------------------------------------

def trained(result: dict[str, Any], json_out: str | None) -> None:
    """``train``: one line (the family's probability metric when it has one)."""
    metrics, out_dir = result["metrics"], result["out_dir"]
    if json_out:
        json_report(json_out, {**metrics, "run_id": result["run_id"]})
    if json_to_stdout(json_out):
        return
    line = (f"trained {result['model']} on {metrics['split']}: best epoch {metrics['best_epoch']}, "
            f"val accuracy {metrics['val_accuracy']:.4f}, test accuracy "
            f"{metrics['test_accuracy']:.4f}")
    probabilities = result["probabilities"]
    if probabilities == "temperature":
        line += (f", ECE {metrics['ece']:.4f} (temperature {metrics['temperature']:.3g} fitted "
                 f"on validation), {metrics['parameters']:,} parameters")
    if probabilities == "eta":
        line += (f", ECE {metrics['ece']:.4f} (eta {metrics['eta']:.3g} fitted on validation), "
                 f"active {metrics['active_fraction']:.2%} of memory neurons per sample, "
                 f"epistemic wrong/correct {metrics['epistemic_ratio_wrong_correct']:.2f}")
    out.print(line + f" ({metrics['train_seconds']:.1f} s) -> {out_dir}")


def exported(result: dict[str, Any]) -> None:
    """``export`` (NetX, NIR or ``--target loihi2``)."""
    run_dir, kind = result["run_dir"], result["kind"]
    if kind == "loihi2":
        sb = result["variant"]
        out.print(f"exported {run_dir} to {result['output']} (stock Lava processes: DelayDense -> "
                  f"{sb.n_memory} LIF with recurrent inhibition, no noise, no adaptive threshold; "
                  f"{sb.window}-step windows; readout on the host)")
        return
    out.print(f"exported {run_dir} to {result['written'].describe()}")
    for item in result.get("dropped", ()):
        err.print(f"[bold yellow]dropped:[/] {item}", highlight=False, soft_wrap=True)


def imported(nir_file: Path, result) -> None:
    """``import``: the NetX file written from a NIR graph."""
    out.print(f"imported {nir_file} to {result.describe()}")


def input_run(report: dict[str, Any], json_out: str | None, precision: str, netx_file: Path,
              record: Path | None) -> None:
    """``run --inputs``: spikes per layer."""
    if json_report(json_out, report):
        return
    graded = report.get("graded", {})
    layers = ", ".join(f"{k} {v}/{report['neurons'][k]}{' (graded)' if graded.get(k) else ''}"
                       for k, v in report["spikes"].items())
    mode = {"bias": " (static images as the input neurons' bias)", "values": " (values into the "
            "input neurons)"}.get(report.get("input_mode"), "")
    out.print(f"Lava {precision} run of {netx_file} on {report['n_samples']} input "
              f"samples x {report['time_steps']} steps{mode}: non-zero outputs per layer (neurons) {layers}"
              f"{'; recorded to ' + str(record) if record else ''}")
    if "readout" in report:               # an LI readout (nir/readout.py): membrane values
        r = report["readout"]
        out.print(f"{r['layer']} is an LI readout: its membrane values ({r['min']:.4g} .. {r['max']:.4g}, "
                  f"graph units, step {r['unit']:.3g}) are the output"
                  f"{'; saved as ' + r['layer'] + ' in ' + str(record) if record else '; save them with --record'}",
                  soft_wrap=True)
    if "predictions" in report:           # lava-dl files (sim_cpu/lavadl_run.py)
        b = report["energy_per_inference"]["breakdown_nJ"]
        events = ", ".join(f"{k} {v}" for k, v in report["synaptic_events"].items())
        out.print(f"predicted classes {report['predictions'][:20]}{' ...' if report['n_samples'] > 20 else ''}; "
                  f"synaptic events (each spike's fan-out) {events}; energy per inference "
                  f"{b['total']:.1f} nJ (synaptic {b['synaptic_ops']:.1f}, neuron updates "
                  f"{b['neuron_updates']:.1f}) [{report['energy_per_inference']['constants_source']}]",
                  soft_wrap=True)


def lava_run(report, json_out: str | None, netx_file: Path) -> None:
    """``run`` on a dataset: per-layer spikes and parity, the summary, energy per inference."""
    if json_report(json_out, report.to_dict()):
        return
    parity = report.layer_parity
    out.print(table(f"Lava {report.precision} run of {netx_file} ({report.model}) on "
                    f"{report.n_samples} {report.dataset} {report.part} samples",
                    ["layer", "neurons", "spikes", "synaptic events", "identical spike trains"],
                    [(key, str(report.neurons[key]), str(report.spikes[key]), str(report.synaptic_events[key]),
                      "n/a" if parity.get(key) is None else f"{parity[key]:.1%}") for key in report.spikes]))
    out.print(report.summary(), soft_wrap=True)
    energy = report.energy_per_inference
    if energy:
        b = energy["breakdown_nJ"]
        eq25 = f"Eq. 25 {energy['eq25_nJ']['total']:.1f} nJ; " if "eq25_nJ" in energy else ""
        out.print(f"energy per inference: {eq25}per operation "
                  f"{b['total']:.1f} nJ (synaptic {b['synaptic_ops']:.1f}, neuron updates "
                  f"{b['neuron_updates']:.1f}, spikes {b['spikes_routed']:.2f}) [{energy['constants_source']}]")


def evaluation(report: dict[str, Any], json_out: str | None) -> None:
    """``evaluate``: the metric table."""
    if json_report(json_out, report):
        return
    rows = [("accuracy", f"{report['accuracy']:.4f}"), ("NLL", f"{report['nll']:.4f}"),
            ("Brier", f"{report['brier']:.4f}"), ("ECE (15 bins)", f"{report['ece']:.4f}"),
            ("calibration", report["calibration"]),
            ("active fraction", f"{report['active_fraction']:.2%}"),
            ("energy / inference", f"{report['energy_per_inference_nJ']:.1f} nJ ({report['energy_model']})")]
    if report["energy_with_memory_reads_nJ"] != report["energy_per_inference_nJ"]:
        rows.append(("energy incl. weight reads", f"{report['energy_with_memory_reads_nJ']:.1f} nJ"))
    if report.get("epistemic_ratio_wrong_correct") is not None:
        rows.append(("epistemic wrong / correct", f"{report['epistemic_ratio_wrong_correct']:.2f}"))
    if report.get("epistemic_ratio_spiking") is not None:
        rows.append(("... among samples that spiked", f"{report['epistemic_ratio_spiking']:.2f}"))
    rows += _selective_rows(report)
    rows.append(("windows used (mean)", f"{report['windows_mean']:.2f}"))
    for name, o in report["ood"].items():
        rows.append((f"OOD AUROC {name}", f"{o['auroc']:.4f} ({o['score']})"))
    out.print(table(f"{report['model']} ({report['backend']}) on {report['n_samples']} "
                    f"{report['dataset']} {report['part']} samples ({report['split']})", ["metric", "value"], rows))
    out.print(f"records and figures in {report['out_dir']} "
              f"({report['seconds']:.1f} s)")


def _selective_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """``evaluate``: how well each uncertainty score flags the model's errors (metrics/selective.py)."""
    from beamnet_lava.metrics.selective import LABELS

    rows = [(f"error AUROC, {LABELS[name]}", f"{s['auroc_wrong']:.4f}" if s["auroc_wrong"] is not None
             else "- (no wrong prediction)") for name, s in report.get("selective", {}).items()]
    for key, label in (("aurc", "AURC / E-AURC (total)"), ("accuracy_at_90_coverage", "accuracy at 90 / 95 % coverage")):
        if report.get(key) is not None:
            other = report["eaurc"] if key == "aurc" else report["accuracy_at_95_coverage"]
            rows.append((label, f"{report[key]:.4f} / {other:.4f}"))
    return rows


def _measured_rows() -> list:
    """Extra ``compare`` rows for ingested INRC jobs (what was measured, and where)."""
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


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.4f}"


def comparison(result: dict[str, Any], json_out: str | None) -> None:
    """``compare``: runs side by side (up to six), then the grouped statistics."""
    from beamnet_lava.evaluation import groups

    rows, stats, figure = result["runs"], result["stats"], result["figure"]
    if json_report(json_out, {"runs": rows, **stats}):
        return
    if len(rows) > 6:
        out.print(groups.render(stats, rows))
        if figure is not None:
            out.print(f"figure: {figure}")
        return
    oods = sorted({k for r in rows for k in r["ood_auroc"]})
    metrics = [("parameters", lambda r: f"{r['parameters']:,}" if r.get("parameters") else "-"),
               ("accuracy", lambda r: f"{r['accuracy']:.4f}"), ("ECE (15 bins)", lambda r: f"{r['ece']:.4f}"),
               ("NLL", lambda r: f"{r['nll']:.4f}"), ("Brier", lambda r: f"{r['brier']:.4f}"),
               ("active fraction", lambda r: f"{r['active_fraction']:.2%}"),
               ("spikes / sample", lambda r: f"{r['spikes_per_sample']:.1f}"),
               ("energy / inference nJ", lambda r: f"{r['energy_nJ']:.1f}"),
               ("... + weight reads nJ", lambda r: f"{r['energy_mem_nJ']:.1f}"),
               ("error AUROC, total", lambda r: _num(r.get("auroc_wrong_total"))),
               ("error AUROC, epistemic", lambda r: _num(r.get("auroc_wrong_epistemic"))),
               ("AURC (total)", lambda r: _num(r.get("aurc"))),
               ("accuracy at 95 % coverage", lambda r: _num(r.get("accuracy_at_95_coverage")))]
    metrics += [(f"OOD AUROC {o}", lambda r, o=o: f"{r['ood_auroc'][o]:.4f}" if o in r["ood_auroc"] else "-")
                for o in oods]
    if any("measured_on" in r for r in rows):
        metrics += _measured_rows()
    out.print(table(f"{rows[0]['n_samples']} test samples of {rows[0]['split']}",
                    ["metric"] + [f"{r['model']}\n{Path(r['run']).name}" for r in rows],
                    [(name, *[fmt(r) for r in rows]) for name, fmt in metrics]))
    out.print("energy: spiking models on Loihi's per-operation model (a synaptic op includes its "
              "weight read); the ANN as fp32 MACs, then + one read of every weight (Horowitz 2014)")
    out.print(groups.render(stats, rows))
    if figure is not None:
        out.print(f"figure: {figure}")


def energy(report: dict[str, Any], json_out: str | None) -> None:
    """``energy``: the per-term table, the same-budget ANN, the sweep points."""
    if json_report(json_out, report):
        return
    ann = report["ann_same_budget"]
    rows = ([(f"per op: {k}", f"{v:.2f}") for k, v in report.get("breakdown_nJ", {}).items()]
            + [(f"Eq. 25: {k}", f"{v:.2f}") for k, v in report.get("eq25_nJ", {}).items()]
            + [(f"ANN: {k}", f"{report['ann_nJ'][k]:.2f}") for k in ("macs_only", "memory_reads", "with_memory")
               if k in report.get("ann_nJ", {})]
            + [(f"ANN-MLP, same params ({ann['parameters']:,}): MACs only", f"{ann['macs_only']:.2f}"),
               ("ANN-MLP, same params: + weight reads", f"{ann['with_memory']:.2f}")])
    out.print(table(f"energy per inference: {report['model']} on {report['n_samples']} test "
                    f"samples ({report['energy_model']})", ["term", "nJ"], rows))
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


def document(info: dict[str, Any]) -> None:
    """``report``: the documents written."""
    out.print(f"report of {len(info['runs'])} run(s), {info['figures']} figures -> "
              f"{' and '.join(info['reports'])}")


def core_table(report, title: str) -> Table:
    """The per-core model's layers in the shape of Intel's compiler table: each row prints what
    the modelled compiler's table prints (``table_neurons``, ``table_syn_mem``: for the 2022
    compiler's dense rows neurons // cores and SynMem words // cores, otherwise one full
    core's), tiled rows (conv, pool, input) the tile's neurons and name (one neuron group per
    core; the heaviest core's figures and every resource's utilisation are in the JSON)."""
    from rich import box

    t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("layer", "AxonIn", "Neurons", "SynMem", "AxonMap", "Cores", "tile", "binds"):
        t.add_column(col, justify="left" if col in ("tile", "binds") else "right", no_wrap=True)
    for lc in report.estimate["per_core"]:
        tiled = lc["tile"] is not None
        t.add_row(str(lc["index"]), "-" if lc["axon_in"] is None else str(lc["axon_in"]),
                  str(lc["table_neurons"]), str(lc["table_syn_mem"]),
                  "-" if lc["axon_map"] is None else str(lc["table_neurons"]),
                  str(lc["cores"]), "Conv({}, {}, {})".format(*lc["tile"]) if tiled else "-",
                  (lc["binding"] or "-") + ("" if lc["fits"] else " (no fit)"))
    e = report.estimate
    t.add_section()
    t.add_row("total", "", "", "", "", str(e["cores"]), f"{e['chips']} chip(s)",
              f"{e['compiler']} compiler")
    return t


def fit_report(report, path: Path, target: str, json_out: str | None) -> None:
    """``inspect``: per layer, per process placement, hard failures, notes, the cores per layer
    (Intel's table shape) and chips, the verdict."""
    if json_report(json_out, report.to_dict(), register=False):
        return
    t = Table(title=f"{path} on {target} ({report.family} family): per layer")
    for col in ("layer", "type", "neuron", "neurons", "synapses", "fan-in max/mean",
                "fan-out max/mean", "weights (bits)", "delays", "msg bits", "state", "cores"):
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
    out.print(core_table(report, "Loihi 2 cores per layer (per-core resource model, in the shape "
                                 "of Intel's compiler table; untested on hardware)"))
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
    out.print(f"{e['label']}: {e['cores']} neuro-core(s), {e['chips']} chip(s)"
              + (f" (first {e['skip_layers']} layer(s) on the host)" if e["skip_layers"] else "")
              + "; assumptions: " + "; ".join(e["assumptions"]), highlight=False)
    out.print(f"verdict: {report.verdict}", highlight=False)


def bundled(meta: dict[str, Any], out_dir: Path) -> None:
    """``bundle``: the INRC job folder written."""
    acc = meta["expected"]["accuracy"]
    acc = "no labels" if acc is None else f"accuracy {acc:.4f}"
    out.print(f"wrote {out_dir}: {meta['n_samples']} {meta['dataset']} {meta['part']} samples, "
              f"expected outputs from the CPU fixed_pt simulation ({acc}); on INRC: sbatch {out_dir}/job.slurm; "
              f"then beamnet-lava ingest {out_dir}/results.json -o RUN_DIR")


def ingested(m: dict[str, Any]) -> None:
    """``ingest``: what the INRC job measured, against the CPU simulation."""
    out.print(f"{m['measured_on']}: accuracy {m['accuracy']:.4f}, spike trains identical to the "
              f"CPU simulation for {m['agreement_with_cpu']['spike_trains']:.1%} of "
              f"{m['n_samples']} samples; compare with: beamnet-lava compare "
              + " ".join(m["records"]), highlight=False)


def sweep_interrupted(out_dir: Path, how: str = "interrupted") -> None:
    from beamnet_lava import interrupts

    err.print(f"[bold red]{how}:[/] finished runs are kept in {out_dir}; run the same "
              "command again to resume", highlight=False, soft_wrap=True)
    interrupts.reported()


def swept(summary: dict[str, Any], json_out: str | None, out_dir: Path) -> None:
    """``sweep``: the counts, then one line per failed point."""
    if json_out:
        json_report(json_out, summary, register=False)
    c = summary["counts"]
    if not json_to_stdout(json_out):
        out.print(f"sweep of {summary['points']} points: {c.get('ok', 0)} trained, "
                  f"{c.get('skipped', 0)} already complete, {c.get('failed', 0)} failed -> {out_dir} "
                  f"(sweep.json, results.parquet); compare them: beamnet-lava compare {out_dir}")
    for pid, error_text in summary["failed"].items():
        err.print(f"[bold red]failed:[/] {pid}: {error_text}", highlight=False, soft_wrap=True)


def saccade(result: dict[str, Any]) -> None:
    """``data saccade``: the event dataset written."""
    meta, out_dir = result["meta"], result["out_dir"]
    w, h, _ = meta["sensor"]
    out.print(f"wrote {meta['samples']} samples ({meta['events_per_sample']:.0f} events each on "
              f"average, sensor {w}x{h}, {meta['window_ms']:.0f} ms) to {out_dir} in "
              f"{result['seconds']:.1f} s; train on it with --dataset saccade-{result['source']} "
              f"--data-dir {out_dir}")

