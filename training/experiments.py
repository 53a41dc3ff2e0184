"""Design choices, measured on cross-validated predictions of the training split only (the
test split is never used for a choice):

    python -m training.experiments

* character n-grams on or off (speed versus accuracy),
* the GermEval 2018 hostility head on or off (does real outside text help?),
* the booster on stacked dense features versus a plain linear model (the baseline's shape).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from shitstorm.analysis import analyze
from shitstorm.classifier import EscalationClassifier, decide_levels
from shitstorm.dataset import read_hostility_tsv
from shitstorm.metrics import evaluate
from training.corpus import corpus_paths, read_posts
from training.train import GERMEVAL

CONFIGS = {
    "full: word + char n-grams, hostility head": dict(use_char_ngrams=True, hostility=True),
    "no char n-grams, hostility head": dict(use_char_ngrams=False, hostility=True),
    "word + char n-grams, no hostility head": dict(use_char_ngrams=True, hostility=False),
}


def main() -> int:
    posts = [p for p in read_posts(corpus_paths()) if p.split == "train"]
    X = [analyze(p.text) for p in posts]
    from shitstorm.schema import LEVEL_INDEX

    y = np.array([[LEVEL_INDEX[p.level], p.publicity_pressure] for p in posts])
    hostility = None
    if GERMEVAL.is_file():
        h_texts, h_labels = read_hostility_tsv(GERMEVAL)
        hostility = ([analyze(t) for t in h_texts], h_labels)
    print(f"{len(posts)} training posts, 5-fold out-of-fold predictions")
    for name, cfg in CONFIGS.items():
        if cfg["hostility"] and hostility is None:
            print(f"{name}: skipped ({GERMEVAL} not found)")
            continue
        t = time.perf_counter()
        clf = EscalationClassifier(use_char_ngrams=cfg["use_char_ngrams"])
        clf.fit(X, y, hostility=hostility if cfg["hostility"] else None)
        oof, th = clf.oof_probabilities_, clf.thresholds_
        m = evaluate(y[:, 0], y[:, 1], oof["escalation"], oof["publicity_pressure"],
                     decide_levels(oof, th), th["escalation"], th["publicity_pressure"])
        print(f"{name} ({time.perf_counter() - t:.0f} s): escalation AUC {m['escalation_roc_auc']}, "
              f"level macro-F1 {m['level_macro_f1']}, pressure AUC {m['pressure_roc_auc']}, "
              f"pressure F1 {m['pressure_f1']}, escalation ECE {m['escalation_ece']}")
        sys.stdout.flush()
    return 0


def real_text_proxy() -> int:
    """Does the hostility head help on *real* German text? GermEval 2018 is split in two halves
    (even / odd lines); the head learns from one half, and on the other half we measure how well
    the escalation probability separates real offensive tweets from the rest (ROC-AUC) — with and
    without the head. ``python -m training.experiments --real``"""
    from sklearn.metrics import roc_auc_score

    from shitstorm.schema import LEVEL_INDEX

    posts = [p for p in read_posts(corpus_paths()) if p.split == "train"]
    X = [analyze(p.text) for p in posts]
    y = np.array([[LEVEL_INDEX[p.level], p.publicity_pressure] for p in posts])
    h_texts, h_labels = read_hostility_tsv(GERMEVAL)
    H = [analyze(t) for t in h_texts]
    fit_idx = list(range(0, len(H), 2))
    eval_idx = list(range(1, len(H), 2))
    truth = [h_labels[i] for i in eval_idx]
    for name, hostility in (("without hostility head", None),
                            ("with hostility head", ([H[i] for i in fit_idx], [h_labels[i] for i in fit_idx]))):
        clf = EscalationClassifier().fit(X, y, hostility=hostility)
        probs = clf.predict_heads([H[i] for i in eval_idx])
        print(f"{name}: GermEval held-out half ({len(eval_idx)} real tweets), ROC-AUC of escalation "
              f"for OFFENSE vs OTHER {roc_auc_score(truth, probs['escalation']):.4f}, of critical "
              f"{roc_auc_score(truth, probs['critical']):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(real_text_proxy() if "--real" in sys.argv else main())
