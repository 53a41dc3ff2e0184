"""The classifier: sparse linear text models stacked under gradient-boosted trees, calibrated.

Why this shape: ``HistGradientBoostingClassifier`` needs dense input, and hundreds of thousands
of sparse n-gram columns are what a linear model is good at. So

1. **text heads** — logistic regressions on TF-IDF of stemmed word n-grams and unstemmed
   character n-grams, one per target; their *out-of-fold* scores become dense features;
2. an optional **hostility head** — a logistic regression on the same TF-IDF features trained on
   real, outside German tweets labelled for offensive language (GermEval 2018);
3. **boosters** — one ``HistGradientBoostingClassifier`` per target on the cue features, the
   style features and the scores of 1–2;
4. **calibration** — isotonic regression fitted on the boosters' out-of-fold probabilities, so
   the reported numbers are probabilities (``ensemble=False`` in ``CalibratedClassifierCV``
   terms: one booster refitted on all data plus one calibrator). They are probabilities *for
   the training mix* (``training_rates_``: the share of each head's positives in training);
   ``shift_base_rate`` turns them into probabilities for a feed with other base rates;
6. **decisions** — every head decides at ``DECISION_THRESHOLD`` (0.5: more likely than not)
   on the probabilities for the stated base rates, so the level rule, triage and the base rates
   are one consistent story and nothing is tuned to a metric.

Targets (ordinal decomposition of the level, plus pressure): ``ge_low`` (level ≥ low),
``escalation`` (level ≥ elevated), ``critical`` (level = critical), ``publicity_pressure``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from .features import (
    CharNgrams,
    CompactTfidfVectorizer,
    CueFeatures,
    StemNgrams,
    StyleFeatures,
    _token_char_ngrams,
)
from .schema import HEADS

DECISION_THRESHOLD = 0.5
"""A head decides "yes" when its probability, for the stated base rates, is at least 0.5: more
likely than not. The level rule (``decide_levels``) and triage's publicity-pressure rule use this
one number; a team that wants more or fewer alarms states its base rates instead."""

PROBABILITY_FLOOR = 0.001
"""Calibrated probabilities are kept within [0.001, 0.999]: isotonic regression returns hard
0/1 in empty bins, and no text model is ever certain."""


_DROPPED_ON_LOAD = ("n_features_dense_",)
"""Attributes that older model files carry (the shipped one included) and that nothing sets or
reads any more: ``n_features_dense_`` said what the boosters' own ``n_features_in_`` says."""


def _floored(p: np.ndarray) -> np.ndarray:
    return np.clip(p, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


def shift_base_rate(p: np.ndarray, trained: float, target: float) -> np.ndarray:
    """Probabilities calibrated for a base rate ``trained`` → the same evidence at base rate
    ``target`` (Bayes' rule: the odds scale by the ratio of the prior odds). Kept within the
    probability floor.

    >>> float(shift_base_rate(np.array([0.5]), 0.5, 0.01)[0])
    0.01
    """
    if trained == target:
        return p
    r1, r0 = target / trained, (1 - target) / (1 - trained)
    p = np.asarray(p, dtype=np.float64)
    return _floored(p * r1 / (p * r1 + (1 - p) * r0))


def head_targets(levels: np.ndarray, pressure: np.ndarray) -> dict[str, np.ndarray]:
    levels = np.asarray(levels, dtype=int)
    return {
        "ge_low": (levels >= 1).astype(int),
        "escalation": (levels >= 2).astype(int),
        "critical": (levels >= 3).astype(int),
        "publicity_pressure": np.asarray(pressure, dtype=int),
    }


def decide_levels(probs: dict[str, np.ndarray], thresholds: dict[str, float]) -> np.ndarray:
    """Level index per post from the calibrated head probabilities and the thresholds.

    Highest level first: critical when ``critical`` or ``publicity_pressure`` passes its
    threshold (publicity pressure is critical by the guideline), elevated when ``escalation``
    passes, low when ``ge_low`` passes, else none.
    """
    n = len(probs["escalation"])
    out = np.zeros(n, dtype=int)
    out[probs["ge_low"] >= thresholds["ge_low"]] = 1
    out[probs["escalation"] >= thresholds["escalation"]] = 2
    crit = (probs["critical"] >= thresholds["critical"]) | (
        probs["publicity_pressure"] >= thresholds["publicity_pressure"]
    )
    out[crit] = 3
    return out


class EscalationClassifier(BaseEstimator):
    """Stacked, calibrated escalation and publicity-pressure model over ``Analysis`` objects.

    ``fit(X, y)`` takes a list of ``shitstorm.analyze()`` results and ``y`` of shape (n, 2):
    level index (0–3) and publicity pressure (0/1).
    """

    def __init__(
        self,
        *,
        word_max_features: int = 60_000,
        char_max_features: int = 80_000,
        char_ngram_range: tuple[int, int] = (3, 5),
        use_char_ngrams: bool = True,
        text_C: float = 4.0,
        max_iter: int = 120,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        n_folds: int = 5,
        random_state: int = 0,
    ):
        self.word_max_features = word_max_features
        self.char_max_features = char_max_features
        self.char_ngram_range = char_ngram_range
        self.use_char_ngrams = use_char_ngrams
        self.text_C = text_C
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.n_folds = n_folds
        self.random_state = random_state

    # --- building blocks -----------------------------------------------------------------
    def _vectorizers(self) -> list[TfidfVectorizer]:
        vecs = [CompactTfidfVectorizer(analyzer=StemNgrams(1, 2), min_df=2, sublinear_tf=True,
                                max_features=self.word_max_features, dtype=np.float32)]
        if self.use_char_ngrams:
            lo, hi = self.char_ngram_range
            vecs.append(CompactTfidfVectorizer(analyzer=CharNgrams(lo, hi), min_df=3, sublinear_tf=True,
                                        max_features=self.char_max_features, dtype=np.float32))
        return vecs

    def _text_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.text_C, solver="liblinear", max_iter=1000,
                                  random_state=self.random_state)

    def _booster(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, early_stopping=False,
            random_state=self.random_state,
        )

    def _sparse(self, X) -> sparse.csr_matrix:
        return sparse.hstack([v.transform(X) for v in self.vectorizers_], format="csr")

    def _dense(self, X, text_scores: np.ndarray) -> np.ndarray:
        parts = [self.cue_features_.transform(X), self.style_features_.transform(X), text_scores]
        return np.hstack(parts)

    # --- fitting -------------------------------------------------------------------------
    def fit(self, X, y, *, hostility=None, progress=None, sample_weight=None):
        """Fit on analyses ``X`` and labels ``y`` (n × 2: level index, pressure).

        ``hostility``: optional ``(analyses, labels)`` of an outside offensive-language data set
        whose linear model's score becomes one more booster feature. ``progress``: optional
        callable receiving short status strings. ``sample_weight``: optional weight per post
        (``train --base``: the shipped corpus and a team's rows weighed differently); the text
        heads, boosters and calibrators all see it, and ``training_rates_`` are weighted shares.
        """
        say = progress or (lambda msg: None)
        X = list(X)
        y = np.asarray(y, dtype=int)
        if y.ndim != 2 or y.shape[1] != 2 or len(y) != len(X):
            raise ValueError("y must have shape (n_posts, 2): level index and publicity pressure")
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if sw is not None and (sw.shape != (len(X),) or not np.all(sw > 0)):
            raise ValueError("sample_weight must hold one positive weight per post")
        part = (lambda idx: None) if sw is None else (lambda idx: sw[idx])
        targets = head_targets(y[:, 0], y[:, 1])
        for head, t in targets.items():
            if t.min() == t.max():
                raise ValueError(
                    f"the training data has only one class for {head!r}; every level and both "
                    "publicity-pressure values must occur"
                )
        folds = list(StratifiedKFold(self.n_folds, shuffle=True, random_state=self.random_state)
                     .split(np.zeros(len(y)), y[:, 0] * 2 + y[:, 1]))

        say("text features")
        self.vectorizers_ = [v.fit(X) for v in self._vectorizers()]
        S = self._sparse(X)
        self.cue_features_ = CueFeatures().fit(X)
        self.style_features_ = StyleFeatures().fit(X)

        say("text heads (out-of-fold)")
        oof_text = np.zeros((len(X), len(HEADS)))
        self.text_models_ = {}
        for j, head in enumerate(HEADS):
            t = targets[head]
            for train_idx, val_idx in folds:
                m = self._text_model().fit(S[train_idx], t[train_idx], sample_weight=part(train_idx))
                oof_text[val_idx, j] = m.decision_function(S[val_idx])
            self.text_models_[head] = self._text_model().fit(S, t, sample_weight=sw)
        text_cols = [oof_text]
        self.hostility_model_ = None
        if hostility is not None:
            say("hostility head (outside data)")
            h_X, h_y = hostility
            self.hostility_model_ = self._text_model().fit(self._sparse(list(h_X)),
                                                           np.asarray(h_y, dtype=int))
            text_cols.append(self.hostility_model_.decision_function(S)[:, None])
        D = self._dense(X, np.hstack(text_cols))

        say("boosters and calibration (out-of-fold)")
        self.boosters_, self.calibrators_ = {}, {}
        oof_prob = {}
        for head in HEADS:
            t = targets[head]
            raw = np.zeros(len(X))
            for train_idx, val_idx in folds:
                b = self._booster().fit(D[train_idx], t[train_idx], sample_weight=part(train_idx))
                raw[val_idx] = b.predict_proba(D[val_idx])[:, 1]
            cal = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, t, sample_weight=sw)
            self.calibrators_[head] = cal
            oof_prob[head] = _floored(cal.predict(raw))
            self.boosters_[head] = self._booster().fit(D, t, sample_weight=sw)

        self.thresholds_ = {h: DECISION_THRESHOLD for h in HEADS}
        self.training_rates_ = {h: float(np.mean(targets[h]) if sw is None else np.average(targets[h], weights=sw))
                                for h in HEADS}
        self.oof_probabilities_ = oof_prob
        return self

    # --- prediction ----------------------------------------------------------------------
    def _compiled_parts(self):
        """Fast inference structures (``_compiled.py``), built on first use, never persisted."""
        parts = self.__dict__.get("_compiled")
        if parts is None:
            from ._compiled import CompiledForest, CompiledIsotonic, CompiledLinear

            linear = [self.text_models_[h] for h in HEADS]
            if self.hostility_model_ is not None:
                linear.append(self.hostility_model_)
            parts = (CompiledLinear(linear), CompiledForest([self.boosters_[h] for h in HEADS]),
                     [CompiledIsotonic(self.calibrators_[h]) for h in HEADS])
            self.__dict__["_compiled"] = parts
        return parts

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_compiled", None)
        state.pop("_term_lists", None)
        return state

    def __setstate__(self, state):
        state = {k: v for k, v in state.items() if k not in _DROPPED_ON_LOAD}
        super().__setstate__(state)

    def predict_heads(self, X) -> dict[str, np.ndarray]:
        """Calibrated probability of every head for each analysis."""
        check_is_fitted(self, "boosters_")
        X = list(X)
        if not X:
            return {h: np.zeros(0) for h in HEADS}
        linear, forest, calibrators = self._compiled_parts()
        D = self._dense(X, linear.decision(self._sparse(X)))
        raw = forest.probabilities(D)
        return {head: _floored(calibrators[j](raw[:, j])) for j, head in enumerate(HEADS)}

    def predict_heads_reference(self, X) -> dict[str, np.ndarray]:
        """The same as ``predict_heads`` through scikit-learn's own predict methods (slow; for
        tests and for checking a new scikit-learn version)."""
        check_is_fitted(self, "boosters_")
        X = list(X)
        S = self._sparse(X)
        scores = np.column_stack([self.text_models_[h].decision_function(S) for h in HEADS])
        if self.hostility_model_ is not None:
            scores = np.hstack([scores, self.hostility_model_.decision_function(S)[:, None]])
        D = self._dense(X, scores)
        return {head: _floored(self.calibrators_[head].predict(self.boosters_[head].predict_proba(D)[:, 1]))
                for head in HEADS}

    def token_contributions(self, analysis, head: str) -> np.ndarray:
        """How much each token of ``analysis`` adds to the linear text head ``head``'s score:
        every n-gram feature's ``coefficient × tf-idf value``, shared equally among the tokens
        it was counted from (a word bigram between its two words, a character n-gram among the
        words that contain it). The contributions add up to the head's score minus its
        intercept, exactly (``tests/test_real_traffic.py``): these are the words the verdict rests on.
        """
        check_is_fitted(self, "text_models_")
        tokens, stems = analysis.tokens, analysis.stems
        out = np.zeros(len(tokens))
        if not tokens:
            return out
        coef = np.ravel(self.text_models_[head].coef_)
        # Python floats: the same IEEE double arithmetic as numpy scalars, in the same order,
        # without a numpy scalar per operation
        total = [0.0] * len(tokens)
        offset = 0
        for vec in self.vectorizers_:
            row = vec.transform([analysis]).tocsr()
            terms = self._terms(vec)
            owners_of = _ngram_owners(vec.analyzer, tokens, stems)
            weights = coef[offset + row.indices].tolist()
            for j, w, x in zip(row.indices.tolist(), weights, row.data.tolist(), strict=True):
                owners = owners_of(terms[j])
                if owners:
                    share = w * float(x) / len(owners)
                    for i in owners:
                        total[i] += share
            offset += len(vec.vocabulary_)
        out[:] = total
        return out

    def _terms(self, vec) -> list[str]:
        """Column → term of a fitted vectorizer (built on first use, never persisted)."""
        cache = self.__dict__.setdefault("_term_lists", {})
        got = cache.get(id(vec))
        if got is None or got[0] is not vec:
            terms = [""] * len(vec.vocabulary_)
            for t, i in vec.vocabulary_.items():
                terms[i] = t
            got = cache[id(vec)] = (vec, terms)
        return got[1]


def _ngram_owners(analyzer, tokens, stems):
    """``term → the token positions it was counted from``, in ascending order: for a stem
    n-gram every position of every occurrence (a bigram's two words), for a character n-gram
    each token that contains it once. Built with one pass over the post's tokens, so a term
    costs a dict look-up instead of a scan of the post."""
    if isinstance(analyzer, StemNgrams):
        by_n: dict[int, dict[tuple[str, ...], list[int]]] = {}

        def stem_owners(term: str) -> list[int]:
            parts = tuple(term.split(" "))
            n = len(parts)
            index = by_n.get(n)
            if index is None:
                index = by_n[n] = {}
                for i in range(len(stems) - n + 1):
                    index.setdefault(tuple(stems[i:i + n]), []).extend(range(i, i + n))
            return index.get(parts, [])

        return stem_owners
    inverted: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        for g in set(_token_char_ngrams(t, analyzer.min_n, analyzer.max_n)):
            inverted.setdefault(g, []).append(i)
    return lambda term: inverted.get(term, [])
