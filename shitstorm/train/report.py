"""The pictures and the one-file HTML report of ``shitstorm evaluate --report DIR``.

matplotlib is an extra (``pip install 'shitstorm[report]'``); it is imported only here, and only
its object-oriented API is used (a ``Figure`` with the Agg canvas: no pyplot state, no display).
The HTML file holds its pictures as ``data:`` URIs and its style inline: it opens offline, from
an e-mail attachment or a shared drive, and fetches nothing. It holds figures, never post text.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np

from ..errors import ShitstormError
from ..schema import LEVELS
from .evaluate import METRIC_LABELS, Predictions

REPORT_FILE = "report.html"
PICTURES = ("reliability_escalation.png", "reliability_publicity_pressure.png", "precision_recall.png")

MISSING_MATPLOTLIB = ("the report's pictures need matplotlib: pip install 'shitstorm[report]' "
                      "(from a checkout: pip install '.[report]'), or leave out --report")


class ReportUnavailable(ShitstormError, RuntimeError):
    """matplotlib is not installed."""


def require_matplotlib():
    """The Figure class and the Agg canvas, or ``ReportUnavailable`` naming the extra."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ReportUnavailable(MISSING_MATPLOTLIB) from None
    return Figure, FigureCanvasAgg


def _png(fig) -> bytes:
    _, canvas_cls = require_matplotlib()
    canvas_cls(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def reliability_png(table: list[dict], title: str) -> bytes:
    """Observed rate against mean predicted probability per bin, the diagonal for perfect
    calibration, and the posts per bin below."""
    figure_cls, _ = require_matplotlib()
    fig = figure_cls(figsize=(5.2, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    top.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="perfectly calibrated")
    rows = [r for r in table if r["n"]]
    if rows:
        x = [r["mean_predicted"] for r in rows]
        y = [r["observed"] for r in rows]
        top.plot(x, y, marker="o", color="#c0392b", label="your rows")
        for r in rows:
            top.annotate(str(r["n"]), (r["mean_predicted"], r["observed"]), textcoords="offset points",
                         xytext=(4, -10), fontsize=7, color="#555555")
    top.set_xlim(0, 1)
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel("observed share")
    top.set_title(title)
    top.legend(loc="upper left", fontsize=8)
    edges = np.linspace(0, 1, len(table) + 1)
    bottom.bar(edges[:-1], [r["n"] for r in table], width=np.diff(edges), align="edge",
               color="#7f8c8d", edgecolor="white")
    bottom.set_xlabel("predicted probability (for the stated base rates)")
    bottom.set_ylabel("posts")
    return _png(fig)


def precision_recall_png(pred: Predictions) -> bytes:
    """Precision–recall curves of escalation and publicity pressure, with the point where the
    model decides (0.5 for the stated base rates) marked."""
    from sklearn.metrics import precision_recall_curve

    figure_cls, _ = require_matplotlib()
    fig = figure_cls(figsize=(5.6, 4.6), layout="constrained")
    ax = fig.subplots()
    heads = (("escalation", pred.levels_true >= 2, pred.escalation, "#c0392b"),
             ("publicity pressure", pred.pressure_true == 1, pred.pressure, "#2c3e50"))
    for name, truth, prob, colour in heads:
        if truth.all() or not truth.any():
            ax.plot([], [], color=colour, label=f"{name}: one class only, no curve")
            continue
        precision, recall, _ = precision_recall_curve(truth.astype(int), prob)
        ax.step(recall, precision, where="post", color=colour, label=name)
        said = prob >= 0.5
        tp = int((said & truth).sum())
        if said.any():
            ax.plot([tp / truth.sum()], [tp / said.sum()], marker="o", markersize=8, color=colour,
                    markeredgecolor="black", linestyle="none")
    ax.plot([], [], marker="o", color="white", markeredgecolor="black", linestyle="none",
            label="where the model decides (0.5)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("Precision and recall on your rows")
    ax.legend(loc="lower left", fontsize=8)
    return _png(fig)


def pictures(result: dict, pred: Predictions) -> dict[str, bytes]:
    rel = result["reliability"]
    return {
        PICTURES[0]: reliability_png(rel["escalation"], "Reliability: escalation"),
        PICTURES[1]: reliability_png(rel["publicity_pressure"], "Reliability: publicity pressure"),
        PICTURES[2]: precision_recall_png(pred),
    }


# --- HTML ------------------------------------------------------------------------------------
_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 60rem;
       color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.25rem 0.6rem; border: 1px solid #ddd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.diag { background: #eaf5ea; } .warn { background: #fff4e0; border-left: 4px solid #e67e22; padding: 0.5rem 1rem; }
.pics { display: flex; flex-wrap: wrap; gap: 1rem; } .pics img { max-width: 100%; border: 1px solid #eee; }
.note { color: #555; font-size: 0.9rem; }
"""


def _num(v, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _metrics_table(result: dict) -> str:
    rows = ["<tr><th>figure</th><th class=num>value</th><th class=num>95% interval</th></tr>"]
    for key, label in METRIC_LABELS.items():
        iv = result["intervals"].get(key)
        rows.append(f"<tr><td>{html.escape(label)}</td><td class=num>{_num(result['metrics'].get(key))}</td>"
                    f"<td class=num>{f'{iv[0]:.3f} – {iv[1]:.3f}' if iv else ''}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _confusion_table(matrix: list[list[int]]) -> str:
    head = "<tr><th>your label ↓ / model →</th>" + "".join(f"<th class=num>{lv}</th>" for lv in LEVELS) + "</tr>"
    body = []
    for i, (lv, row) in enumerate(zip(LEVELS, matrix, strict=True)):
        cells = "".join(f"<td class='num{' diag' if i == j else ''}'>{c}</td>" for j, c in enumerate(row))
        body.append(f"<tr><th>{lv}</th>{cells}</tr>")
    return "<table>" + head + "".join(body) + "</table>"


def _rates_section(rates: dict) -> str:
    goal = ", ".join(f"target {k} {v:g}" for k, v in rates["target"].items()) or "your rows' label shares"
    rows = ["<tr><th>head</th><th class=num>base rate</th><th class=num>precision reached</th>"
            "<th class=num>recall reached</th><th class=num>flagged</th><th class=num>your rows' share</th></tr>"]
    for h, rate in rates["base_rates"].items():
        r = rates["reached"][h]
        mark = "" if rates["found"][h] is not None else " (model's rate: not decided by the rows)"
        rows.append(f"<tr><td>{h}{mark}</td><td class=num>{rate:.4g}</td><td class=num>{_num(r['precision'])}</td>"
                    f"<td class=num>{_num(r['recall'])}</td><td class=num>{r['flagged']}</td>"
                    f"<td class=num>{rates['implied'][h]:.4g}</td></tr>")
    return (f"<h2>Base rates for the team ({html.escape(goal)})</h2>"
            "<p>Every head decides at 0.5 on probabilities for stated base rates; these rates put the "
            "boundary where your rows reach the target. Precision and recall are those of the model "
            "scored again with these rates. Write them as a policy file with <code>--write-policy</code>.</p>"
            + "<table>" + "".join(rows) + "</table>")


def render_html(result: dict, images: dict[str, bytes], rates: dict | None = None, command: str = "") -> str:
    base = result.get("base_rates") or {}
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in result["warnings"])
    pics = "".join(f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
                   f'{base64.b64encode(data).decode("ascii")}"></figure>' for name, data in images.items())
    counts = ", ".join(f"{html.escape(k)}: {v}" for k, v in result["class_counts"].items())
    boot = result["bootstrap"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>shitstorm evaluation: {html.escape(result.get('source', ''))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>shitstorm on your labelled rows</h1>",
        f"<p>{result['n']} rows from <code>{html.escape(result.get('source', ''))}</code>, model "
        f"<code>{html.escape(result['model_version'])}</code>, base rates "
        + html.escape(", ".join(f"{k} {v:g}" for k, v in base.items()) or "as trained") + ".</p>",
        f"<div class=warn><strong>Few rows:</strong><ul>{warnings}</ul></div>" if warnings else "",
        "<h2>Figures</h2>", _metrics_table(result),
        f"<p class=note>Intervals: {boot['interval']:.0%} percentile bootstrap, {boot['samples']} resamples "
        f"of the rows, seed {boot['seed']}. F1 and the levels are the model's decisions at 0.5 for the stated "
        "base rates; ROC-AUC does not depend on them.</p>",
        "<h2>Levels</h2>", _confusion_table(result["confusion_matrix"]),
        f"<p class=note>Rows per class: {counts}.</p>",
        _rates_section(rates) if rates else "",
        "<h2>Pictures</h2>",
        "<p class=note>Probabilities are for the stated base rates: if your rows hold more escalations "
        "than those rates say, the points lie above the diagonal. State your feed's rates (a policy file) "
        "when your rows are a random sample of it.</p>",
        f"<div class=pics>{pics}</div>",
        f"<p class=note>Produced by <code>{html.escape(command)}</code>.</p>" if command else "",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_report(out_dir: Path | str, result: dict, pred: Predictions, rates: dict | None = None,
                 command: str = "") -> Path:
    """Write the PNGs, ``metrics.json`` and the self-contained ``report.html`` into ``out_dir``;
    returns the HTML file's path."""
    images = pictures(result, pred)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        (out / name).write_bytes(data)
    (out / "metrics.json").write_text(json.dumps({**result, "team_rates": rates}, indent=2, ensure_ascii=False)
                                      + "\n", encoding="utf-8")
    page = out / REPORT_FILE
    page.write_text(render_html(result, images, rates, command), encoding="utf-8")
    return page
