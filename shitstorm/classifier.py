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

# defined with the inference arrays, which need them without scikit-learn; importable from here too
from ._compiled import DECISION_THRESHOLD, PROBABILITY_FLOOR, _floored, decide_levels, shift_base_rate  # noqa: F401
from .features import (
    CharNgrams,
    CompactTfidfVectorizer,
    CueFeatures,
    StemNgrams,
    StyleFeatures,
)
from .schema import HEADS

_DROPPED_ON_LOAD = ("n_features_dense_",)
"""Attributes that older model files carry (the shipped one included) and that nothing sets or
reads any more: ``n_features_dense_`` said what the boosters' own ``n_features_in_`` says."""


def head_targets(levels: np.ndarray, pressure: np.ndarray) -> dict[str, np.ndarray]:
    levels = np.asarray(levels, dtype=int)
    return {
        "ge_low": (levels >= 1).astype(int),
        "escalation": (levels >= 2).astype(int),
        "critical": (levels >= 3).astype(int),
        "publicity_pressure": np.asarray(pressure, dtype=int),
    }


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
    def _inference(self):
        """This classifier as plain arrays (``_compiled.InferenceModel``): what ``predict_heads``
        and ``token_contributions`` run on. Built on first use, never persisted (a model
        directory stores the same arrays as ``inference.npz``)."""
        model = self.__dict__.get("_compiled")
        if model is None:
            from ._compiled import InferenceModel

            model = self.__dict__["_compiled"] = InferenceModel.from_classifier(self)
        return model

    def _compiled_parts(self):
        """(linear heads, forest, calibrators) of ``_inference()``."""
        model = self._inference()
        return model.linear, model.forest, model.calibrators

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_compiled", None)
        return state

    def __setstate__(self, state):
        state = {k: v for k, v in state.items() if k not in _DROPPED_ON_LOAD}
        super().__setstate__(state)

    def predict_heads(self, X) -> dict[str, np.ndarray]:
        """Calibrated probability of every head for each analysis."""
        check_is_fitted(self, "boosters_")
        return self._inference().predict_heads(X)

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
        return self._inference().token_contributions(analysis, head)

