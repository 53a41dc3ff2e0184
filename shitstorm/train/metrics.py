"""Evaluation figures of the manifests and model cards (``fit``, ``retrain``, ``baseline``), of
``shitstorm evaluate`` (``evaluate.py``) and of ``training/experiments.py``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import f1_score, roc_auc_score

RELIABILITY_BINS = 10
"""Reliability tables use ten equal-width probability bins (0–0.1, …, 0.9–1)."""


def reliability_table(prob: ArrayLike, truth: ArrayLike, bins: int = RELIABILITY_BINS) -> list[dict]:
    """Per probability bin: number of posts, mean predicted probability, observed rate."""
    prob = np.asarray(prob, dtype=float)
    truth = np.asarray(truth, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        sel = idx == b
        n = int(sel.sum())
        rows.append({
            "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
            "n": n,
            "mean_predicted": round(float(prob[sel].mean()), 3) if n else None,
            "observed": round(float(truth[sel].mean()), 3) if n else None,
        })
    return rows


def expected_calibration_error(prob: np.ndarray, truth: np.ndarray, bins: int = RELIABILITY_BINS) -> float:
    table = reliability_table(prob, truth, bins)
    n = sum(r["n"] for r in table)
    return float(sum(r["n"] * abs(r["mean_predicted"] - r["observed"]) for r in table if r["n"]) / max(n, 1))


def _auc(truth, prob) -> float | None:
    truth = np.asarray(truth)
    if truth.min() == truth.max():
        return None
    return round(float(roc_auc_score(truth, prob)), 4)


def evaluate(levels_true, pressure_true, escalation_prob, pressure_prob, levels_pred,
             escalation_threshold: float, pressure_threshold: float) -> dict:
    """All headline figures for one set of predictions."""
    lt = np.asarray(levels_true, dtype=int)
    pt = np.asarray(pressure_true, dtype=int)
    lp = np.asarray(levels_pred, dtype=int)
    esc_true = (lt >= 2).astype(int)
    return {
        "n": int(len(lt)),
        "escalation_roc_auc": _auc(esc_true, escalation_prob),
        "escalation_f1": round(float(f1_score(esc_true, np.asarray(escalation_prob) >= escalation_threshold,
                                              zero_division=0)), 4),
        "escalation_ece": round(expected_calibration_error(escalation_prob, esc_true), 4),
        "level_macro_f1": round(float(f1_score(lt, lp, average="macro", labels=[0, 1, 2, 3],
                                               zero_division=0)), 4),
        "level_accuracy": round(float((lt == lp).mean()), 4),
        "level_within_one": round(float((np.abs(lt - lp) <= 1).mean()), 4),
        "pressure_roc_auc": _auc(pt, pressure_prob),
        "pressure_f1": round(float(f1_score(pt, np.asarray(pressure_prob) >= pressure_threshold,
                                            zero_division=0)), 4),
        "pressure_ece": round(expected_calibration_error(pressure_prob, pt), 4),
    }
