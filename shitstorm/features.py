"""Feature extractors: scikit-learn estimators over ``Analysis`` objects.

* ``CueFeatures``: per cue family, the weighted count of (non-negated) reasons and the count of
  negated ones — computed from the very ``Reason`` objects shown to agents.
* ``StyleFeatures``: the ``style.STYLE_FEATURES`` of each post.
* ``StemNgrams`` / ``CharNgrams``: analyzers for ``TfidfVectorizer``: stemmed word uni- and
  bigrams, and unstemmed character n-grams within words (they keep umlauts and compounds that
  the Snowball stemmer folds).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .schema import CUE_FAMILIES
from .style import STYLE_FEATURES

_FAMILY_INDEX = {f: i for i, f in enumerate(CUE_FAMILIES)}


def _check_analyses(X) -> list:
    from .analysis import Analysis

    X = list(X)
    for i, a in enumerate(X):
        if not isinstance(a, Analysis):
            raise TypeError(
                f"item {i} is {type(a).__name__}; these features take shitstorm.analyze() results"
            )
    return X


class CueFeatures(TransformerMixin, BaseEstimator):
    """Per family: weighted count of reasons, count of negated reasons (2 × families)."""

    def fit(self, X, y=None):
        self.n_features_out_ = 2 * len(CUE_FAMILIES)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "n_features_out_")
        X = _check_analyses(X)
        out = np.zeros((len(X), self.n_features_out_), dtype=np.float64)
        n = len(CUE_FAMILIES)
        for row, a in enumerate(X):
            for r in a.reasons:
                col = _FAMILY_INDEX[r.cue]
                if r.negated:
                    out[row, n + col] += 1.0
                else:
                    out[row, col] += r.weight
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"cue__{f}" for f in CUE_FAMILIES]
                        + [f"cue_negated__{f}" for f in CUE_FAMILIES], dtype=object)


class StyleFeatures(TransformerMixin, BaseEstimator):
    """The style features of each post (``style.STYLE_FEATURES``)."""

    def fit(self, X, y=None):
        self.n_features_out_ = len(STYLE_FEATURES)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "n_features_out_")
        X = _check_analyses(X)
        out = np.zeros((len(X), self.n_features_out_), dtype=np.float64)
        for row, a in enumerate(X):
            if a.style:
                out[row] = a.style
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"style__{f}" for f in STYLE_FEATURES], dtype=object)


class StemNgrams:
    """Analyzer: stemmed word n-grams (``min_n``..``max_n``) of an ``Analysis``."""

    def __init__(self, min_n: int = 1, max_n: int = 2):
        self.min_n = min_n
        self.max_n = max_n

    def __call__(self, analysis) -> list[str]:
        stems = analysis.stems
        out = [s for s in stems] if self.min_n <= 1 else []
        for n in range(max(2, self.min_n), self.max_n + 1):
            out.extend(" ".join(stems[i : i + n]) for i in range(len(stems) - n + 1))
        return out


@lru_cache(maxsize=200_000)
def _token_char_ngrams(token: str, min_n: int, max_n: int) -> tuple[str, ...]:
    w = f" {token.casefold()} "
    return tuple(w[i : i + n] for n in range(min_n, max_n + 1) for i in range(len(w) - n + 1))


class CharNgrams:
    """Analyzer: character n-grams inside each (casefolded, unstemmed) token, with the word
    boundary as a space — like scikit-learn's ``char_wb`` but cached per token."""

    def __init__(self, min_n: int = 3, max_n: int = 5):
        self.min_n = min_n
        self.max_n = max_n

    def __call__(self, analysis) -> list[str]:
        out: list[str] = []
        for tok in analysis.tokens:
            out.extend(_token_char_ngrams(tok, self.min_n, self.max_n))
        return out
