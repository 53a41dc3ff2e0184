"""The plain baseline the model card compares against: TF-IDF (word 1–2-grams and character
3–5-grams within words, scikit-learn's own analyzers on lower-cased raw text) and logistic
regression, one model per output, on the same training data."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from .metrics import evaluate

BASELINE_C = 4.0
"""Same regularisation as the full model's text heads, so the comparison is about the pipeline."""


def baseline_metrics(train_texts, train_levels, train_pressure, test_texts, test_levels,
                     test_pressure, seed: int = 0) -> dict:
    vecs = [TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True)]
    Xtr = sparse.hstack([v.fit_transform(train_texts) for v in vecs], format="csr")
    Xte = sparse.hstack([v.transform(test_texts) for v in vecs], format="csr")
    lv = np.asarray(train_levels)

    def lr():
        return LogisticRegression(C=BASELINE_C, max_iter=2000, random_state=seed)

    esc = lr().fit(Xtr, (lv >= 2).astype(int)).predict_proba(Xte)[:, 1]
    press = lr().fit(Xtr, np.asarray(train_pressure)).predict_proba(Xte)[:, 1]
    levels = lr().fit(Xtr, lv).predict(Xte)
    return evaluate(test_levels, test_pressure, esc, press, levels, 0.5, 0.5)
