"""``beamnet-lava report``: a PDF/HTML document whose numbers are the run records' numbers."""
import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from beamnet_lava.cli import app
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation.evaluate import evaluate
from beamnet_lava.evaluation.report import report


class _Tables(HTMLParser):
    """Rows of every <table> as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr":
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


@pytest.fixture(scope="module")
def evaluated_run(tiny_run, tmp_path_factory):
    run = tmp_path_factory.mktemp("report") / "snn"
    shutil.copytree(tiny_run, run)
    evaluate(run, ood="inverted")
    return run


@pytest.fixture(scope="module")
def html_report(evaluated_run, tmp_path_factory):
    """One HTML report of the evaluated run: ``(path, report()'s info)``."""
    out = tmp_path_factory.mktemp("html") / "report.html"
    return out, report([evaluated_run], out)


def _row(rows, label):
    return next(r for r in rows if r and r[0] == label)


def test_html_numbers_are_the_records_numbers(evaluated_run, html_report):
    out, info = html_report
    assert out.is_file() and info["figures"] >= 5
    assert info["reports"] == [str(out)]
    parser = _Tables()
    parser.feed(out.read_text())
    # recompute from the Parquet records with pyarrow, independently of DuckDB and the report
    pred = pq.read_table(evaluated_run / "evaluation" / "predictions.parquet").to_pydict()
    correct = np.asarray(pred["correct"], dtype=float)
    assert _row(parser.rows, "accuracy")[1] == f"{correct.mean():.4f}"
    assert _row(parser.rows, "test samples")[1] == f"{len(correct):,}"
    brier = np.asarray(pred["brier"], dtype=float).mean()
    assert _row(parser.rows, "Brier")[1] == f"{brier:.4f}"
    energy = np.asarray(pred["energy_nJ"], dtype=float).mean()
    assert _row(parser.rows, "energy / inference (nJ)")[1] == f"{energy:.1f}"
    assert _row(parser.rows, "OOD AUROC inverted")[1] != "-"
    # misclassification detection, recomputed with scikit-learn from the same records
    from sklearn.metrics import roc_auc_score

    wrong = correct == 0
    auc = roc_auc_score(wrong, np.asarray(pred["total"], dtype=float))
    assert _row(parser.rows, "error AUROC, total")[1] == f"{auc:.4f}"
    selective = [r for r in parser.rows if r and len(r) == 7 and r[1] == "1 - confidence"]
    conf_auc = roc_auc_score(wrong, -np.asarray(pred["confidence"], dtype=float))
    assert selective and selective[0][2] == f"{conf_auc:.4f}"
    assert "Selective prediction" in out.read_text() and "risk-coverage" in out.read_text()
    # every section a reviewer needs, and the sources table naming the records read
    html = out.read_text()
    for title in ("Set-up", "Training dynamics", "Comparison", "Calibration", "Energy per inference",
                  "Lava simulation", "References", "Sources"):
        assert f"<h2>{title}</h2>" in html
    assert "predictions.parquet" in html and "history.parquet" in html
    assert len(re.findall(r"<img src='data:image/png;base64,", html)) == info["figures"]


def test_cli_refuses_other_suffixes_in_one_line(evaluated_run, tmp_path):
    res = CliRunner().invoke(app, ["report", str(evaluated_run), "-o", str(tmp_path / "r.txt")])
    assert res.exit_code == 1
    assert "must end in .pdf or .html" in res.output
    assert not (tmp_path / "r.txt").exists()


def test_reliability_count_panel_counts_every_sample():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from beamnet_lava.metrics.calibration import plot_reliability, reliability_bins

    rng = np.random.default_rng(0)
    prob = rng.dirichlet(np.ones(4) * 0.3, size=500)
    labels = rng.integers(0, 4, size=500)
    fig, (ax, ax_count) = plt.subplots(2, 1)
    plot_reliability(ax, ax_count, prob, labels, "t")
    heights = [p.get_height() for p in ax_count.patches]
    assert heights == [float(c) for _, c, _, _ in reliability_bins(prob, labels)]
    assert sum(heights) == 500
    plt.close(fig)


@pytest.mark.slow   # a PDF and an HTML rendering, then a PDF again; the HTML test above is the fast one
def test_one_call_writes_pdf_and_html_atomically_and_never_overwrites(evaluated_run, html_report,
                                                                     tmp_path):
    pdf, page = tmp_path / "r.pdf", tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", str(evaluated_run), "-o", str(pdf), "-o", str(page)])
    assert res.exit_code == 0, res.output
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    # the HTML is the one a single-format call writes (same records, same sections)
    strip = re.compile(r"<img src='data:image/png;base64,[^']*'")
    assert "<h2>Comparison</h2>" in page.read_text()
    assert strip.sub("", page.read_text()) == strip.sub("", html_report[0].read_text())
    # never overwritten without --force; every target is checked before anything is written
    with pytest.raises(BeamnetError, match="already exists"):
        report([evaluated_run], pdf)
    with pytest.raises(BeamnetError, match="already exists"):
        report([evaluated_run], [tmp_path / "new.html", pdf])
    assert not (tmp_path / "new.html").exists() and pdf.read_bytes() == data
    with pytest.raises(BeamnetError, match="the same file twice"):
        report([evaluated_run], [tmp_path / "x.pdf", tmp_path / "x.pdf"])
    report([evaluated_run], pdf, force=True)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]   # no partial files
