"""The shortcuts that keep a single ``score()`` fast (issue #14) give the numbers the full
computation gives, to the bit: windows without a critical-family cue are not scored, evidence
reuses the prediction's tf-idf rows, the tree walk without missing values is a shorter loop."""

import csv
from pathlib import Path

import numpy as np
import pytest

import shitstorm
from shitstorm._compiled import DECISION_THRESHOLD, CompiledForest, decide_levels
from shitstorm.model import WINDOW_CUES, _windows
from shitstorm.schema import HEADS, LEVELS
from shitstorm.text.analysis import analyze, analyze_if

CORPUS = Path(__file__).resolve().parent.parent / "training" / "data"


@pytest.fixture(scope="module")
def model():
    return shitstorm.load()


@pytest.fixture(scope="module")
def long_posts():
    texts = []
    for path in sorted(CORPUS.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [r["text"] for r in csv.DictReader(fh) if len(r["text"]) > 280]
    if len(texts) < 100:
        pytest.skip("the project corpus's long posts are not in this checkout")
    return texts


def _full(model, text):
    """The whole computation: every window analysed and scored, then the window rule (an
    alarm holding a critical-family cue), evidence from a fresh transform."""
    a = analyze(text)
    rows = [(a, 0, False)] + [(analyze(text[s:e]), s, True) for s, e in _windows(a.text)]
    probs = model.probabilities([r[0] for r in rows])
    best = {h: np.zeros(1) for h in HEADS}
    source = {h: 0 for h in HEADS}
    for j, (w, _, is_window) in enumerate(rows):
        if is_window:
            alarm = max(probs["critical"][j], probs["publicity_pressure"][j]) >= DECISION_THRESHOLD
            if not (alarm and any(r.cue in WINDOW_CUES and not r.negated for r in w.reasons)):
                continue
        for h in HEADS:
            if probs[h][j] > best[h][0]:
                best[h][0], source[h] = probs[h][j], j
    level = LEVELS[int(decide_levels(best, {h: DECISION_THRESHOLD for h in HEADS})[0])]
    pp = float(best["publicity_pressure"][0])
    evidence = ()
    if level in ("elevated", "critical") or pp >= DECISION_THRESHOLD:
        head = ("publicity_pressure" if pp >= DECISION_THRESHOLD
                else "critical" if level == "critical" else "escalation")
        w, offset, _ = rows[source[head]]
        evidence = model._evidence(w, head, offset, a.reasons, text)
    return float(best["escalation"][0]), level, pp, evidence


def test_long_posts_score_as_the_full_computation(model, long_posts):
    scores = model.score_many(long_posts)
    windowed = evidenced = 0
    for text, s in zip(long_posts, scores, strict=True):
        escalation, level, pp, evidence = _full(model, text)
        assert (s.escalation, s.level, s.publicity_pressure) == (escalation, level, pp)
        assert tuple(r for r in s.reasons if r.cue == "words") == evidence
        windowed += len(_windows(text)) > 0
        evidenced += bool(evidence)
    assert windowed > 100 and evidenced > 10  # the corpus exercises both shortcuts


@pytest.mark.parametrize("text", [
    "Ich warte seit Wochen. Niemand antwortet. Mein Anwalt meldet sich morgen bei Ihnen.",
    "Kein Anwalt nötig. Alles gut. Danke!",
    "https://t.co/1 @x",
    "",
])
def test_analyze_if_is_analyze_or_none(text):
    full = analyze(text)
    assert analyze_if(text, None) == full
    assert analyze_if(text, lambda reasons: True) == full
    assert analyze_if(text, lambda reasons: False) is None
    seen = []
    analyze_if(text, seen.append)
    assert [(r.cue, r.negated) for r in seen[0]] == [(r.cue, r.negated) for r in full.reasons]


def test_token_contributions_from_the_prediction_rows_are_the_same(model, long_posts):
    inference = model._inference
    X = [analyze(t) for t in long_posts[:40]] + [analyze("Betrug!!! Ihr Betrüger, Anzeige folgt.")]
    _, rows = inference.predict_heads_rows(X)
    for j, a in enumerate(X):
        for head in HEADS:
            fresh = inference.token_contributions(a, head)
            reused = inference.token_contributions(a, head, rows.row(j))
            assert fresh.tobytes() == reused.tobytes()


def test_walk_without_missing_values_takes_the_same_routes(model, long_posts):
    forest: CompiledForest = model._inference.forest
    X = [analyze(t) for t in long_posts[:70]]
    D = model._inference.dense(X, model._inference.decision(X))
    assert forest.nan_free_splits and forest.equal_blocks and not np.isnan(D).any()
    fast = forest.raw(D)
    forest.nan_free_splits = forest.equal_blocks = False  # this instance only: the general
    try:                                                  # walk and the per-booster sums
        general = forest.raw(D)
    finally:
        forest.nan_free_splits = forest.equal_blocks = True
    assert fast.tobytes() == general.tobytes()
    one = forest.raw(D[:1])
    assert one.tobytes() == fast[:1].tobytes()
