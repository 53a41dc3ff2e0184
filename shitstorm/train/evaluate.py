"""How a model does on a team's own labelled rows: ``shitstorm evaluate labelled.csv``.

The model card's figures (``metrics.evaluate``: escalation and pressure ROC-AUC and F1, level
macro-F1, accuracy and within-one accuracy, calibration error), computed on the team's rows with
the model as the team runs it (its base rates, or the ones stated with ``--base-rates`` or a
policy file), plus

* the level confusion matrix (rows: the labels, columns: the model's levels);
* a 95% bootstrap interval for every headline figure (``BOOTSTRAP_SAMPLES`` resamples of the
  rows with a fixed seed, percentile method): a figure from 60 rows is a range, not a number;
* a plain warning per class with fewer than ``datacheck.FEW_ROWS_PER_CLASS`` rows;
* the reliability tables and precision–recall curves the report draws (``report.py``).

Post texts are read to score them and never written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from ..schema import LEVEL_INDEX, LEVELS
from ..text.analysis import Analysis, analyze
from .datacheck import class_counts, few_rows_warnings
from .dataset import LabelledData
from .metrics import evaluate, reliability_table

BOOTSTRAP_SAMPLES = 1000
"""Resamples per interval: enough for stable 2.5% and 97.5% percentiles (±0.005 between seeds on
a few hundred rows), about a second of work."""
BOOTSTRAP_SEED = 0
"""Fixed: the same rows give the same intervals on every run."""
INTERVAL = 0.95

INTERVAL_METRICS = ("escalation_roc_auc", "escalation_f1", "level_macro_f1", "level_accuracy",
                    "level_within_one", "pressure_roc_auc", "pressure_f1")
"""The figures that get an interval (calibration error is reported as it is: on few rows its
bins are nearly empty, which the reliability diagram shows better than an interval would)."""


@dataclass(frozen=True)
class Predictions:
    """A model's verdicts on labelled rows, aligned with the labels."""

    levels_true: np.ndarray
    pressure_true: np.ndarray
    escalation: np.ndarray
    """P(level ≥ elevated) for the model's base rates, as ``Score.escalation``."""
    pressure: np.ndarray
    levels_pred: np.ndarray
    analyses: tuple[Analysis, ...]

    def __len__(self) -> int:
        return len(self.levels_true)


def predict(model, data: LabelledData) -> Predictions:
    """Score the labelled rows with ``model`` (windows, nesting and all, as in production)."""
    analyses = tuple(analyze(t) for t in data.texts)
    scores = model.score_analyses(list(analyses))
    return Predictions(
        levels_true=np.asarray(data.levels, dtype=int),
        pressure_true=np.asarray(data.pressure, dtype=int),
        escalation=np.array([s.escalation for s in scores], dtype=float),
        pressure=np.array([s.publicity_pressure for s in scores], dtype=float),
        levels_pred=np.array([LEVEL_INDEX[s.level] for s in scores], dtype=int),
        analyses=analyses,
    )


def confusion_matrix(levels_true, levels_pred) -> list[list[int]]:
    """4 × 4 counts: row = labelled level, column = the model's level (none … critical)."""
    m = np.zeros((len(LEVELS), len(LEVELS)), dtype=int)
    np.add.at(m, (np.asarray(levels_true, dtype=int), np.asarray(levels_pred, dtype=int)), 1)
    return m.tolist()


# --- fast figures for the bootstrap (the same definitions as metrics.evaluate) -----------------
def _auc(truth: np.ndarray, score: np.ndarray) -> float:
    n1 = int(truth.sum())
    n0 = len(truth) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[truth == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _f1(truth: np.ndarray, pred: np.ndarray) -> float:
    tp = int((truth & pred).sum())
    denom = int(truth.sum()) + int(pred.sum())
    return 2 * tp / denom if denom else 0.0


def figures(lt: np.ndarray, pt: np.ndarray, esc: np.ndarray, pp: np.ndarray, lp: np.ndarray) -> dict[str, float]:
    """``INTERVAL_METRICS`` for one (re)sample; NaN where a figure is undefined (one class only)."""
    esc_true = lt >= 2
    pt = pt.astype(bool)
    return {
        "escalation_roc_auc": _auc(esc_true.astype(int), esc),
        "escalation_f1": _f1(esc_true, esc >= 0.5),
        "level_macro_f1": float(np.mean([_f1(lt == k, lp == k) for k in range(len(LEVELS))])),
        "level_accuracy": float((lt == lp).mean()),
        "level_within_one": float((np.abs(lt - lp) <= 1).mean()),
        "pressure_roc_auc": _auc(pt.astype(int), pp),
        "pressure_f1": _f1(pt, pp >= 0.5),
    }


def bootstrap_intervals(pred: Predictions, samples: int = BOOTSTRAP_SAMPLES,
                        seed: int = BOOTSTRAP_SEED) -> dict[str, list[float] | None]:
    """Percentile interval (``INTERVAL``) of each figure over ``samples`` resamples of the rows
    drawn with replacement; None when no resample defines the figure."""
    rng = np.random.default_rng(seed)
    n = len(pred)
    draws: dict[str, list[float]] = {k: [] for k in INTERVAL_METRICS}
    for _ in range(samples):
        i = rng.integers(0, n, n)
        for k, v in figures(pred.levels_true[i], pred.pressure_true[i], pred.escalation[i],
                            pred.pressure[i], pred.levels_pred[i]).items():
            draws[k].append(v)
    tail = (1 - INTERVAL) / 2 * 100
    out: dict[str, list[float] | None] = {}
    for k, vals in draws.items():
        a = np.asarray(vals)
        a = a[~np.isnan(a)]
        out[k] = ([round(float(np.percentile(a, tail)), 4), round(float(np.percentile(a, 100 - tail)), 4)]
                  if len(a) else None)
    return out


def evaluate_rows(model, data: LabelledData, *, samples: int = BOOTSTRAP_SAMPLES,
                  seed: int = BOOTSTRAP_SEED, source: str = "") -> tuple[dict, Predictions]:
    """Everything ``shitstorm evaluate`` reports, as a JSON-safe dict, and the predictions."""
    pred = predict(model, data)
    counts = class_counts(pred.levels_true, pred.pressure_true)
    result = {
        "source": source,
        "model_version": model.version,
        "base_rates": model.base_rates,
        "n": len(pred),
        "class_counts": counts,
        "metrics": evaluate(pred.levels_true, pred.pressure_true, pred.escalation, pred.pressure,
                            pred.levels_pred, 0.5, 0.5),
        "intervals": bootstrap_intervals(pred, samples, seed),
        "bootstrap": {"samples": samples, "seed": seed, "interval": INTERVAL},
        "confusion_matrix": confusion_matrix(pred.levels_true, pred.levels_pred),
        "reliability": {"escalation": reliability_table(pred.escalation, pred.levels_true >= 2),
                        "publicity_pressure": reliability_table(pred.pressure, pred.pressure_true)},
        "warnings": few_rows_warnings(counts),
    }
    return result, pred


METRIC_LABELS = {
    "escalation_roc_auc": "escalation ROC-AUC",
    "escalation_f1": "escalation F1 (at 0.5)",
    "escalation_ece": "escalation calibration error",
    "level_macro_f1": "level macro-F1",
    "level_accuracy": "level accuracy",
    "level_within_one": "level within-one accuracy",
    "pressure_roc_auc": "publicity-pressure ROC-AUC",
    "pressure_f1": "publicity-pressure F1 (at 0.5)",
    "pressure_ece": "publicity-pressure calibration error",
}


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def summary(result: dict) -> str:
    """The plain-text report ``shitstorm evaluate`` prints."""
    rates = result.get("base_rates") or {}
    lines = [f"{result['n']} labelled rows ({result.get('source', '')}), model {result['model_version']}",
             "base rates: " + (", ".join(f"{k} {v:g}" for k, v in rates.items()) or "as trained"),
             "", f"{'figure':<38} {'value':>7}   95% interval"]
    for key, label in METRIC_LABELS.items():
        iv = result["intervals"].get(key)
        lines.append(f"{label:<38} {_fmt(result['metrics'].get(key)):>7}   "
                     + (f"{iv[0]:.3f}–{iv[1]:.3f}" if iv else ""))
    lines += ["", "level confusion (rows: your labels, columns: the model)",
              f"{'':<10}" + "".join(f"{lv:>10}" for lv in LEVELS)]
    for lv, row in zip(LEVELS, result["confusion_matrix"], strict=True):
        lines.append(f"{lv:<10}" + "".join(f"{c:>10}" for c in row))
    lines += ["", "rows per class: " + ", ".join(f"{k} {v}" for k, v in result["class_counts"].items())]
    return "\n".join(lines)
