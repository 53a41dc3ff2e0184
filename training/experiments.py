"""Design choices, measured on cross-validated predictions of the training split only (the
test split is never used for a choice):

    python -m training.experiments

* character n-grams on or off (speed versus accuracy),
* the GermEval 2018 hostility head on or off (does real outside text help?),
* the booster on stacked dense features versus a plain linear model (the baseline's shape);
* ``--background``: real ordinary tweets as ``none`` background, and what labelling GermEval's
  offensive tweets ``none`` does (issue #11). Measured on out-of-fold predictions of the
  training part of the fixed split only; the held-out part stays unseen.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from shitstorm.classifier import EscalationClassifier, decide_levels
from shitstorm.text.analysis import analyze
from shitstorm.train.metrics import evaluate
from training.corpus import corpus_paths, read_posts
from training.train import GERMEVAL

CONFIGS = {
    "full: word + char n-grams, hostility head": dict(use_char_ngrams=True, hostility=True),
    "no char n-grams, hostility head": dict(use_char_ngrams=False, hostility=True),
    "word + char n-grams, no hostility head": dict(use_char_ngrams=True, hostility=False),
}


def _germeval_training_part() -> tuple[list[str], list[int]]:
    """GermEval 2018 without its held-out part (``shitstorm.train.background``): experiments never
    see the tweets the real-traffic figures are measured on."""
    from shitstorm.train.background import read_real_posts

    g = read_real_posts(GERMEVAL).part(heldout=False)
    return list(g.texts), [int(o) for o in g.offensive]


def main() -> int:
    posts = [p for p in read_posts(corpus_paths()) if p.split == "train"]
    X = [analyze(p.text) for p in posts]
    from shitstorm.schema import LEVEL_INDEX

    y = np.array([[LEVEL_INDEX[p.level], p.publicity_pressure] for p in posts])
    hostility = None
    if GERMEVAL.is_file():
        h_texts, h_labels = _germeval_training_part()
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
    without the head. ``python -m training.experiments --real`` (the training part of the fixed split
only: the halves are of that part)."""
    from sklearn.metrics import roc_auc_score

    from shitstorm.schema import LEVEL_INDEX

    posts = [p for p in read_posts(corpus_paths()) if p.split == "train"]
    X = [analyze(p.text) for p in posts]
    y = np.array([[LEVEL_INDEX[p.level], p.publicity_pressure] for p in posts])
    h_texts, h_labels = _germeval_training_part()
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


def background_variants() -> int:
    """``python -m training.experiments --background``: three ways to use the real tweets, each
    judged on out-of-fold predictions (the corpus part: the usual metrics; the real part: the
    share of alarms at the shipped feed base rates; GermEval's offensive tweets: the share scored
    elevated or above). The corpus-only model is judged on the real tweets out of sample."""
    from shitstorm.classifier import DECISION_THRESHOLD, HEADS, shift_base_rate
    from shitstorm.model import FEED_BASE_RATES
    from shitstorm.schema import LEVEL_INDEX
    from shitstorm.train.background import read_real_posts
    from training.train import POTTS

    posts = [p for p in read_posts(corpus_paths()) if p.split == "train"]
    Xc = [analyze(p.text) for p in posts]
    yc = np.array([[LEVEL_INDEX[p.level], p.publicity_pressure] for p in posts])
    potts = read_real_posts(POTTS).part(heldout=False).texts
    g = read_real_posts(GERMEVAL).part(heldout=False)
    other = [t for t, o in zip(g.texts, g.offensive, strict=False) if not o]
    offensive = [t for t, o in zip(g.texts, g.offensive, strict=False) if o]
    Xo, Xf = [analyze(t) for t in list(potts) + other], [analyze(t) for t in offensive]
    h = (Xo[len(potts):] + Xf, [0] * len(other) + [1] * len(offensive))

    def feed(probs, rates):
        return {k: shift_base_rate(probs[k], rates[k], FEED_BASE_RATES[k]) for k in HEADS}

    def shares(p, idx):
        crit = (p["critical"][idx] >= DECISION_THRESHOLD) | (p["publicity_pressure"][idx] >= DECISION_THRESHOLD)
        return (f"pressure {np.mean(p['publicity_pressure'][idx] >= DECISION_THRESHOLD):.2%}, critical "
                f"{np.mean(crit):.2%}, escalation ≥ 0.5 {np.mean(p['escalation'][idx] >= DECISION_THRESHOLD):.2%}")

    variants = {"corpus only": (Xc, yc, None), "background, offensive left out (shipped)": (
        Xc + Xo, np.vstack([yc, np.zeros((len(Xo), 2), dtype=int)]), None),
        "background, offensive as none": (
            Xc + Xo + Xf, np.vstack([yc, np.zeros((len(Xo) + len(Xf), 2), dtype=int)]), None)}
    n = len(Xc)
    for name, (X, y, _) in variants.items():
        t = time.perf_counter()
        clf = EscalationClassifier().fit(X, y, hostility=h)
        oof = clf.oof_probabilities_
        corpus = {k: v[:n] for k, v in oof.items()}
        m = evaluate(yc[:, 0], yc[:, 1], corpus["escalation"], corpus["publicity_pressure"],
                     decide_levels(corpus, clf.thresholds_), 0.5, 0.5)
        if len(X) > n:
            real = feed(oof, clf.training_rates_)
            real_line = shares(real, np.arange(n, n + len(Xo)))
        else:
            real_line = shares(feed(clf.predict_heads(Xo), clf.training_rates_), np.arange(len(Xo)))
        if len(X) > n + len(Xo):
            off = feed(oof, clf.training_rates_)
            off_idx = np.arange(n + len(Xo), len(X))
        else:
            off, off_idx = feed(clf.predict_heads(Xf), clf.training_rates_), np.arange(len(Xf))
        print(f"{name} ({time.perf_counter() - t:.0f} s)\n  corpus: escalation AUC {m['escalation_roc_auc']}, "
              f"level macro-F1 {m['level_macro_f1']}, pressure AUC {m['pressure_roc_auc']}, pressure F1 "
              f"{m['pressure_f1']}\n  {len(Xo)} real tweets at feed rates: {real_line}\n  {len(Xf)} offensive "
              f"tweets scored elevated or above: {np.mean(off['escalation'][off_idx] >= DECISION_THRESHOLD):.2%}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    if "--real" in sys.argv:
        sys.exit(real_text_proxy())
    sys.exit(background_variants() if "--background" in sys.argv else main())
