"""``beamnet-lava report``: one document (PDF or HTML) from the records of trained runs.

Every number comes from a run directory's own files: the comparison table from
the Parquet records through :func:`beamnet_lava.evaluation.compare.compare`
(DuckDB), per-sample figures from ``predictions.parquet``, training dynamics
from ``history.parquet``, energy from ``evaluation/evaluation.json`` and Lava
agreement from ``lava_run.json``. The document ends with a table of those
files and their SHA-256 digests, so a reader can trace every figure back.
Each figure is captioned with the equation or claim it checks.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from beamnet_lava import outputs
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation import records
from beamnet_lava.evaluation.compare import compare
from beamnet_lava.evaluation.records import records_dir
from beamnet_lava.io_utils import atomic_path

LAVA_RUN = "lava_run.json"
# The additive terms of the energy breakdowns (metrics/energy.py): spiking models' operations
# (Eq. 25 in measured form), the ANN's MACs and weight reads (Horowitz 2014).
ENERGY_TERMS = ("synaptic_ops", "neuron_updates", "spikes_routed", "macs_only", "memory_reads")
FORMATS = (".pdf", ".html")

# Config keys shown in the set-up table, with the equation or result they parameterise
# (BEAMNET_SPEC.md numbering).
CONFIG_KEYS: dict[str, str] = {
    "model": "model family", "dataset": "dataset", "seed": "seed (split, init, noise)",
    "epochs": "training epochs", "lr": "Adam learning rate", "time_steps": "T: steps per window",
    "hidden": "hidden layer sizes", "n_memory": "N memory neurons (Eq. 21-22)",
    "encoding": "input code (Eq. 6-7)", "t_ref": "T_ref of the latency code (Eq. 7)",
    "tau_spread": "tau of the latency code (Eq. 7)", "tau_m": "membrane tau (Eq. 8)",
    "tau_s": "synaptic kernel tau (Eq. 21)", "delta": "Delta of the firing noise (Eq. 9)",
    "gamma": "threshold adaptation (Eq. 10)", "tau_theta": "threshold trace tau (Eq. 10)",
    "w_inh": "lateral inhibition (Prop. 3.3: > 2)", "tau_syn": "inhibition trace tau (Prop. 3.3)",
    "alpha_0": "Dirichlet prior (Eq. 12)", "max_windows": "windows bound (Theorem 3.6)",
    "lambda_td": "top-down gain (Eq. 16)", "epsilon": "stopping tolerance (Eq. 17)",
    "bidirectional": "top-down loop (Eq. 16-17)", "kind": "recurrent neuron type",
}

REFERENCES = [
    "BEAM-Net model: equations as numbered in shared/BEAMNET_SPEC.md (Eq. 6-25, Prop. 3.3, "
    "Theorem 3.6).",
    "M. Davies et al., Loihi: a neuromorphic manycore processor with on-chip learning, "
    "IEEE Micro 38(1), 2018 (per-operation energies, Table 1).",
    "M. Horowitz, Computing's energy problem (and what we can do about it), ISSCC 2014 "
    "(MAC and memory-read energies of the ANN baseline).",
    "C. Guo et al., On calibration of modern neural networks, ICML 2017 (temperature scaling, "
    "ECE).",
    "D. Hendrycks and K. Gimpel, A baseline for detecting misclassified and out-of-distribution "
    "examples in neural networks, ICLR 2017 (misclassification-detection AUROC).",
    "Y. Geifman and R. El-Yaniv, Selective classification for deep neural networks, NeurIPS 2017; "
    "Y. Geifman et al., Bias-reduced uncertainty estimation for deep neural classifiers, ICLR 2019 "
    "(risk-coverage curve, AURC, E-AURC).",
    "M. Sensoy et al., Evidential deep learning to quantify classification uncertainty, "
    "NeurIPS 2018 (Dirichlet evidence, expected cross-entropy).",
    "S. B. Shrestha and G. Orchard, SLAYER: spike layer error reassignment in time, NeurIPS "
    "2018 (training; lava-dl 0.6).",
    "S. Higuchi et al., Balanced resonate-and-fire neurons, ICML 2024, arXiv 2402.14603 (BRF).",
]


@dataclass
class RunRecord:
    """What the report reads from one run directory."""

    run_dir: Path
    config: dict[str, Any]
    metrics: dict[str, Any]
    summary: dict[str, Any]                 # compare's row (DuckDB over predictions.parquet)
    predictions: dict[str, np.ndarray]
    history: dict[str, np.ndarray] | None
    evaluation: dict[str, Any] | None
    lava: dict[str, Any] | None
    sources: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.summary['model']} ({self.run_dir.name})"


def _json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BeamnetError(f"{path} is not readable JSON ({exc}); re-run the command that wrote "
                           "it") from None
    if not isinstance(data, dict):
        raise BeamnetError(f"{path} does not hold a JSON object; re-run the command that wrote it")
    return data


def collect(run_dir: str | Path, summary: dict[str, Any]) -> RunRecord:
    d = Path(run_dir)
    folder = records_dir(d)
    pred_path = folder / records.PREDICTIONS
    sources = [pred_path]
    history_path = d / records.HISTORY
    history = records.read_table(history_path) if history_path.is_file() else None
    if history is not None:
        sources.append(history_path)
    found = {}
    for key, path in (("config", d / "config.json"), ("metrics", d / "metrics.json"),
                      ("evaluation", folder / "evaluation.json"), ("lava", d / LAVA_RUN)):
        found[key] = _json(path)
        if found[key] is not None:
            sources.append(path)
    sources += sorted(folder.glob("ood_*.parquet"))
    return RunRecord(d, found["config"] or {}, found["metrics"] or {}, summary,
                     records.read_table(pred_path), history, found["evaluation"], found["lava"],
                     sources)


# --- figures -----------------------------------------------------------------------------------

def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    _plt().close(fig)
    return buf.getvalue()


def _probs(r: RunRecord) -> np.ndarray:
    k = sum(1 for c in r.predictions if c[1:].isdigit() and c.startswith("p"))
    return np.stack([r.predictions[f"p{c}"] for c in range(k)], axis=1)


def fig_training(runs: list[RunRecord]) -> bytes | None:
    with_history = [r for r in runs if r.history is not None and len(r.history["epoch"])]
    if not with_history:
        return None
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    for r in with_history:
        a.plot(r.history["epoch"], r.history["val_accuracy"], marker="o", label=r.name)
        b.plot(r.history["epoch"], r.history["loss"], marker="o", label=r.name)
    a.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy per epoch")
    b.set(xlabel="epoch", ylabel="training loss", title="training loss per epoch (own objective)")
    b.set_yscale("log")
    a.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def fig_reliability(runs: list[RunRecord]) -> bytes:
    """One reliability diagram per run, side by side, each over its per-bin sample counts."""
    from beamnet_lava.metrics.calibration import plot_reliability

    plt = _plt()
    fig, axes = plt.subplots(2, len(runs), figsize=(3.6 * len(runs), 4.6), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1]})
    for j, r in enumerate(runs):
        plot_reliability(axes[0, j], axes[1, j], _probs(r), r.predictions["label"], r.name)
        axes[0, j].title.set_fontsize(8)
    fig.tight_layout()
    return _png(fig)


def _uncertainty_column(r: RunRecord) -> tuple[str, np.ndarray]:
    epi = np.asarray(r.predictions["epistemic"], dtype=float)
    if np.isfinite(epi).any():
        return "epistemic (Eq. 14)", epi
    return "predictive entropy H[p]", np.asarray(r.predictions["total"], dtype=float)


def fig_uncertainty(runs: list[RunRecord]) -> bytes:
    plt = _plt()
    fig, axes = plt.subplots(1, len(runs), figsize=(3.2 * len(runs), 3.2), squeeze=False)
    for ax, r in zip(axes[0], runs):
        name, u = _uncertainty_column(r)
        ok = np.asarray(r.predictions["correct"], dtype=bool)
        data = [u[ok], u[~ok]] if (~ok).any() else [u[ok]]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(data) + 1), ["correct", "wrong"][:len(data)])
        ax.set(title=r.name, ylabel=name)
        ax.title.set_fontsize(8)
    fig.tight_layout()
    return _png(fig)


def fig_risk_coverage(runs: list[RunRecord]) -> bytes:
    """One risk-coverage panel per run: every uncertainty score it defines, and the ideal ranking."""
    from beamnet_lava.metrics.selective import plot_risk_coverage, scores_of

    plt = _plt()
    fig, axes = plt.subplots(1, len(runs), figsize=(4.6 * len(runs), 3.8), squeeze=False)
    for ax, r in zip(axes[0], runs):
        plot_risk_coverage(ax, scores_of(r.predictions), r.predictions["correct"], r.name)
        ax.title.set_fontsize(8)
    fig.tight_layout()
    return _png(fig)


def _selective_rows(r: RunRecord) -> list[list[str]]:
    from beamnet_lava.metrics.selective import COVERAGES, LABELS, coverage_key, score_summary, scores_of

    ok = np.asarray(r.predictions["correct"], dtype=bool)
    rows = []
    for name, x in scores_of(r.predictions).items():
        s = score_summary(x, ok)
        rows.append([r.name, LABELS[name], _f(s["auroc_wrong"]), _f(s["aurc"]), _f(s["eaurc"])]
                    + [_f(s[coverage_key(c)]) for c in COVERAGES])
    return rows


def fig_windows(runs: list[RunRecord]) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3))
    width = 0.8 / len(runs)
    most = 1
    for j, r in enumerate(runs):
        counts = np.bincount(np.asarray(r.predictions["windows"], dtype=np.int64))[1:]
        most = max(most, len(counts))
        x = np.arange(1, len(counts) + 1) + (j - (len(runs) - 1) / 2) * width
        ax.bar_label(ax.bar(x, counts, width, label=r.name), fontsize=6)
    ax.set(xlabel="windows used", ylabel="test samples", title="windows per sample (Theorem 3.6)")
    ax.set_xticks(range(1, most + 1))              # a count of windows is a whole number
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def energy_terms(r: RunRecord) -> dict[str, float]:
    """Per-operation energy per inference (nJ), from the evaluation if there is one."""
    b = (r.evaluation or {}).get("energy_breakdown_nJ") or {}
    terms = {k: float(b[k]) for k in ENERGY_TERMS if isinstance(b.get(k), (int, float))}
    return terms or {"total": float(r.summary["energy_nJ"])}


def fig_energy(runs: list[RunRecord]) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    bottoms = np.zeros(len(runs))
    keys = sorted({k for r in runs for k in energy_terms(r)})
    for k in keys:
        vals = np.array([energy_terms(r).get(k, 0.0) for r in runs])
        ax.bar(np.arange(len(runs)), vals, 0.6, bottom=bottoms, label=k)
        bottoms += vals
    ax.set_xticks(np.arange(len(runs)), [r.name for r in runs], fontsize=7)
    ax.set(ylabel="nJ per inference", title="energy per inference from measured counts")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def fig_comparison(rows: list[dict[str, Any]]) -> bytes:
    import tempfile

    from beamnet_lava.evaluation.compare import figure_plot

    with tempfile.TemporaryDirectory() as tmp:
        path = figure_plot(rows, Path(tmp) / "comparison.png")
        return path.read_bytes()


# --- the document ------------------------------------------------------------------------------

@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    figures: list[tuple[bytes, str]] = field(default_factory=list)     # (png, caption)


def _f(v: Any, spec: str = ".4f") -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "-"
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        return format(float(v), spec)
    return str(v)


def comparison_rows(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The comparison table exactly as computed by ``compare`` (one column per run)."""
    oods = sorted({k for r in rows for k in r["ood_auroc"]})
    header = ["metric"] + [f"{r['model']} ({Path(r['run']).name})" for r in rows]
    spec = [("test samples", "n_samples", "d"), ("accuracy", "accuracy", ".4f"),
            ("ECE (15 bins)", "ece", ".4f"), ("NLL", "nll", ".4f"), ("Brier", "brier", ".4f"),
            ("active fraction", "active_fraction", ".4f"), ("spikes / sample", "spikes_per_sample", ".1f"),
            ("energy / inference (nJ)", "energy_nJ", ".1f"),
            ("+ weight reads (nJ)", "energy_mem_nJ", ".1f"), ("windows (mean)", "windows_mean", ".2f"),
            ("error AUROC, total", "auroc_wrong_total", ".4f"), ("AURC (total)", "aurc", ".4f"),
            ("E-AURC (total)", "eaurc", ".4f"),
            ("accuracy at 90 % coverage", "accuracy_at_90_coverage", ".4f"),
            ("accuracy at 95 % coverage", "accuracy_at_95_coverage", ".4f")]
    body = [[label] + [_f(r.get(key), fmt) if fmt != "d" else _f(int(r[key])) for r in rows]
            for label, key, fmt in spec]
    body += [[f"OOD AUROC {o}"] + [_f(r["ood_auroc"].get(o)) for r in rows] for o in oods]
    return header, body


def build_sections(runs: list[RunRecord], rows: list[dict[str, Any]]) -> list[Section]:
    split = rows[0]["split"]
    setup = Section("Set-up", [
        f"{len(runs)} run(s), all tested on the same split: {split}. Every figure below was "
        "computed on the Lava CPU simulator or the training model; nothing here ran on Loihi 2 "
        "(energy figures are models from measured spike and synaptic-event counts, not chip "
        "measurements)."])
    keys = [k for k in CONFIG_KEYS if any(k in r.config for r in runs)]
    setup.tables.append((["key", "meaning"] + [r.name for r in runs],
                         [[k, CONFIG_KEYS[k]] + [_f(r.config.get(k), ".4g") for r in runs]
                          for k in keys]))
    dyn = Section("Training dynamics")
    fig = fig_training(runs)
    if fig:
        dyn.figures.append((fig, "Validation accuracy and training loss per epoch (history.parquet); "
                                 "the checkpoint kept is the best-on-validation epoch."))
    dyn.tables.append((["run", "best epoch", "val accuracy", "test accuracy", "train seconds"],
                       [[r.name, _f(r.metrics.get("best_epoch")), _f(r.metrics.get("val_accuracy")),
                         _f(r.metrics.get("test_accuracy")), _f(r.metrics.get("train_seconds"), ".1f")]
                        for r in runs]))
    comp = Section("Comparison", ["Each number is a DuckDB query over the run's predictions.parquet "
                                  "and ood_*.parquet records (beamnet-lava compare)."])
    comp.tables.append(comparison_rows(rows))
    comp.figures.append((fig_comparison(rows), "Accuracy, ECE (15 bins), energy per inference and "
                         "OOD AUROC per run, from the same records as the table."))
    cal = Section("Calibration", ["Reliability diagrams with 15 equal-width confidence bins; the "
                                  "lower panel counts the samples in each bin (near-empty bins "
                                  "say little)."])
    cal.figures.append((fig_reliability(runs), "Accuracy vs confidence per run (BEAM-Net: the "
                        "Dirichlet posterior mean of Eq. 12 with eta fitted on validation; baselines: "
                        "temperature-scaled softmax); ECE " + ", ".join(
                            f"{r.name} {_f(r.summary['ece'])}" for r in runs) + "."))
    unc = Section("Uncertainty on correct vs wrong predictions", [
        "BEAM-Net's epistemic uncertainty is the mutual information, total minus aleatoric "
        "(Eq. 14-15), never negative; baselines show the predictive entropy."])
    unc.tables.append((["run", "score", "correct (mean)", "wrong (mean)", "wrong / correct"],
                       [_uncertainty_row(r) for r in runs]))
    unc.figures.append((fig_uncertainty(runs), "Uncertainty of correct vs wrong test predictions "
                        "(boxes: quartiles; predictions.parquet)."))
    sel = Section("Selective prediction: does the uncertainty flag the errors?", [
        "Misclassification-detection AUROC of each uncertainty score for 'this prediction is "
        "wrong' (sklearn roc_auc_score; 0.5 is chance; Hendrycks & Gimpel 2017), and the "
        "risk-coverage curve of accepting the most certain samples first: AURC is its mean risk, "
        "E-AURC the excess over the ideal ranking (Geifman et al. 2019); tied scores share their "
        "group's error rate. Computed from predictions.parquet (metrics/selective.py)."])
    sel.tables.append((["run", "score", "error AUROC", "AURC", "E-AURC", "accuracy at 90 %",
                        "accuracy at 95 %"], [row for r in runs for row in _selective_rows(r)]))
    sel.figures.append((fig_risk_coverage(runs), "Risk (error rate among the accepted samples) vs "
                        "coverage, most certain first, per uncertainty score; dotted: the ideal "
                        "ranking (every error last); dashed: the error rate without rejection."))
    win = Section("Windows used", [])
    win.figures.append((fig_windows(runs), "Windows each test sample used; the top-down loop stops "
                        "when ||p(k) - p(k-1)||_1 < epsilon (Eq. 17) or at L = ceil(3 tau_m / tau_s) "
                        "(Theorem 3.6); single-pass models use 1."))
    en = Section("Energy per inference", ["Per-operation model from the counts each sample "
                                          "produced (Loihi 1 constants, Davies et al. 2018, unless "
                                          "the run used its own table); the ANN as fp32 MACs "
                                          "(Horowitz 2014). Not a chip measurement."])
    en.tables.append((["run", "energy model", "term", "nJ"],
                      [[r.name, str(r.summary.get("energy_model") or (r.evaluation or {}).get("energy_model", "-")),
                        k, _f(v, ".2f")] for r in runs for k, v in energy_terms(r).items()]))
    en.figures.append((fig_energy(runs), "Energy per inference by operation (Eq. 25's terms in "
                       "measured form: synaptic ops, neuron updates, spikes routed)."))
    lava = Section("Lava simulation", ["Agreement between the exported network run on the Lava CPU "
                                       "simulator (fixed_pt) and the training model on the same "
                                       "inputs (lava_run.json in the run directory)."])
    lava.tables.append((["run", "samples", "accuracy", "spike parity", "prediction agreement",
                         "samples/s"], [_lava_row(r) for r in runs]))
    refs = Section("References", list(REFERENCES))
    src = Section("Sources", ["Files every number above was read from (SHA-256, first 16 hex "
                              "digits)."])
    src.tables.append((["run", "file", "sha256"],
                       [[r.name, str(p), hashlib.sha256(p.read_bytes()).hexdigest()[:16]]
                        for r in runs for p in r.sources]))
    return [setup, dyn, comp, cal, unc, sel, win, en, lava, refs, src]


def _uncertainty_row(r: RunRecord) -> list[str]:
    name, u = _uncertainty_column(r)
    ok = np.asarray(r.predictions["correct"], dtype=bool)
    c = float(np.mean(u[ok])) if ok.any() else None
    w = float(np.mean(u[~ok])) if (~ok).any() else None
    return [r.name, name, _f(c), _f(w), _f(w / c if c and w is not None else None, ".2f")]


def _lava_row(r: RunRecord) -> list[str]:
    if not r.lava:
        return [r.name, "not run on Lava", "-", "-", "-", "-"]
    lv = r.lava
    return [r.name, _f(lv.get("n_samples")), _f(lv.get("accuracy")),
            _f(lv.get("parity"), ".1%") if lv.get("parity") is not None else "n/a",
            _f(lv.get("prediction_agreement"), ".1%"), _f(lv.get("samples_per_s"), ".1f")]


def _html(sections: list[Section], title: str) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;margin:1em 0;font-size:0.85em}"
             "td,th{border:1px solid #999;padding:2px 6px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}figure{margin:1em 0}"
             "figcaption{font-size:0.85em;color:#333}img{max-width:100%}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        tag = "ol" if s.title == "References" else None
        if tag:
            parts.append("<ol>" + "".join(f"<li>{html.escape(p)}</li>" for p in s.paragraphs) + "</ol>")
        else:
            parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        for header, body in s.tables:
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body]
            parts.append("</table>")
        for png, caption in s.figures:
            data = base64.b64encode(png).decode()
            parts.append(f"<figure><img src='data:image/png;base64,{data}'>"
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _pdf(sections: list[Section], title: str, path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    caption = styles["Italic"].clone("caption", fontSize=8, leading=10)
    story = [Paragraph(html.escape(title), styles["Title"])]
    width = A4[0] - 3 * cm
    for s in sections:
        story.append(Paragraph(html.escape(s.title), styles["Heading2"]))
        for i, p in enumerate(s.paragraphs):
            text = f"{i + 1}. {p}" if s.title == "References" else p
            story.append(Paragraph(html.escape(text), styles["BodyText"]))
        for header, body in s.tables:
            data = [[Paragraph(html.escape(c), small) for c in row] for row in [header] + body]
            t = Table(data, repeatRows=1, colWidths=[width / len(header)] * len(header))
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [t, Spacer(1, 6)]
        for png, cap in s.figures:
            img = Image(io.BytesIO(png))
            scale = min(1.0, width / img.drawWidth, (12 * cm) / img.drawHeight)
            img.drawWidth, img.drawHeight = img.drawWidth * scale, img.drawHeight * scale
            story.append(KeepTogether([img, Paragraph(html.escape(cap), caption), Spacer(1, 8)]))
    SimpleDocTemplate(str(path), pagesize=A4, title=title, leftMargin=1.5 * cm,
                      rightMargin=1.5 * cm, topMargin=1.5 * cm, bottomMargin=1.5 * cm).build(story)


def report(run_dirs: list[str | Path], out: str | Path | list[str | Path], *, force: bool = False,
           title: str | None = None) -> dict[str, Any]:
    """Write the report of ``run_dirs`` to ``out`` (``.pdf`` or ``.html``; a list of paths
    writes each from one reading of the records, e.g. both formats); returns its data."""
    outs = [Path(o) for o in (out if isinstance(out, (list, tuple)) else [out])]
    for o in outs:                                    # every target checked before any work
        if o.suffix.lower() not in FORMATS:
            raise BeamnetError(f"report {o}: the file name must end in .pdf or .html")
        outputs.check([outputs.Out(o, "--output", force=force)], inputs=list(run_dirs))
    if len({o.resolve() for o in outs}) < len(outs):
        raise BeamnetError(f"report: {', '.join(map(str, outs))}: the same file twice")
    rows = compare(list(run_dirs))
    runs = [collect(d, row) for d, row in zip(run_dirs, rows)]
    title = title or (f"beamnet-lava report: {', '.join(r.name for r in runs)} "
                      f"({_dt.date.today().isoformat()})")
    sections = build_sections(runs, rows)
    for o in outs:
        with atomic_path(o) as tmp:
            if o.suffix.lower() == ".pdf":
                _pdf(sections, title, tmp)
            else:
                tmp.write_text(_html(sections, title))
    return {"report": str(outs[0]), "reports": [str(o) for o in outs], "title": title,
            "runs": [str(r.run_dir) for r in runs], "comparison": rows,
            "sections": [s.title for s in sections],
            "figures": sum(len(s.figures) for s in sections)}
