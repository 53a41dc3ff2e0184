"""Retraining from labelled CSVs: ``shitstorm train`` and ``python -m training.train`` both
end here. Reads and validates everything first, trains deterministically, evaluates, and only
then writes model + manifest + card (atomically) to the output directory."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .analysis import analyze
from .baseline import baseline_metrics
from .card import GERMEVAL_CITATION, render_card
from .classifier import HEADS, EscalationClassifier, decide_levels
from .dataset import LabelledData, read_hostility_tsv
from .metrics import evaluate, reliability_table
from .persist import save_model_dir


def _analyses(texts, say):
    out = []
    for i, t in enumerate(texts):
        out.append(analyze(t))
        if i and i % 2000 == 0:
            say(f"  analysed {i}/{len(texts)}")
    return out


def train_and_save(train: LabelledData, out_dir: Path | str, *, test: LabelledData | None = None,
                   hostility_path: Path | str | None = None, seed: int = 0, folds: int = 5,
                   command: str = "", progress: Callable[[str], None] | None = None,
                   classifier: EscalationClassifier | None = None) -> dict:
    """Train, evaluate and write a model directory; returns the manifest."""
    say = progress or (lambda msg: None)
    say(f"analysing {len(train)} training posts")
    X = _analyses(train.texts, say)
    y = np.column_stack([train.levels, train.pressure])
    hostility = None
    data = {"train_posts": len(train), "train_sha256": train.sha256}
    if hostility_path is not None:
        h_texts, h_labels = read_hostility_tsv(hostility_path)
        say(f"analysing {len(h_texts)} hostility posts from {hostility_path}")
        hostility = (_analyses(h_texts, say), h_labels)
        data["hostility_posts"] = len(h_texts)
        data["hostility_sha256"] = hashlib.sha256(Path(hostility_path).read_bytes()).hexdigest()
    clf = classifier if classifier is not None else EscalationClassifier(n_folds=folds, random_state=seed)
    clf.set_params(random_state=seed, n_folds=folds)
    clf.fit(X, y, hostility=hostility, progress=lambda m: say(f"fitting: {m}"))
    th = clf.thresholds_
    oof = clf.oof_probabilities_
    cv = evaluate(train.levels, train.pressure, oof["escalation"], oof["publicity_pressure"],
                  decide_levels(oof, th), th["escalation"], th["publicity_pressure"])
    metrics: dict = {"cross_validated": cv}
    reliability = {"source": "cross-validated training predictions",
                   "escalation": reliability_table(oof["escalation"], np.asarray(train.levels) >= 2),
                   "publicity_pressure": reliability_table(oof["publicity_pressure"], train.pressure)}
    if test is not None:
        say(f"evaluating on {len(test)} test posts")
        Xt = _analyses(test.texts, say)
        probs = clf.predict_heads(Xt)
        metrics["test"] = evaluate(test.levels, test.pressure, probs["escalation"],
                                   probs["publicity_pressure"], decide_levels(probs, th),
                                   th["escalation"], th["publicity_pressure"])
        say("baseline (TF-IDF + logistic regression)")
        metrics["baseline_test"] = baseline_metrics(train.texts, train.levels, train.pressure,
                                                    test.texts, test.levels, test.pressure, seed)
        reliability = {"source": "held-out test split",
                       "escalation": reliability_table(probs["escalation"], np.asarray(test.levels) >= 2),
                       "publicity_pressure": reliability_table(probs["publicity_pressure"], test.pressure)}
        data["test_posts"] = len(test)
        data["test_sha256"] = test.sha256
    metrics["reliability"] = reliability
    manifest = {
        "model_version": f"{__version__}+{train.sha256[:8]}",
        "heads": list(HEADS),
        "thresholds": th,
        "seed": seed,
        "folds": folds,
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in clf.get_params().items()},
        "data": data,
        "metrics": metrics,
        "ignored_columns": list(train.ignored_columns),
        "credits": (["GermEval 2018 (CC BY 4.0): " + GERMEVAL_CITATION]
                    if hostility_path is not None else []),
        "command": command,
    }
    say(f"writing {out_dir}")
    save_model_dir(clf, manifest, render_card(manifest), out_dir)
    return manifest
