import numpy as np
import pytest

from shitstorm.analysis import analyze
from shitstorm.classifier import EscalationClassifier, booster_probability, decide_levels

from .conftest import TINY_CORPUS


def test_decide_levels_orders_thresholds_and_pressure_means_critical():
    th = {"ge_low": 0.5, "escalation": 0.5, "critical": 0.5, "publicity_pressure": 0.5}
    probs = {
        "ge_low": np.array([0.1, 0.9, 0.9, 0.9, 0.2]),
        "escalation": np.array([0.1, 0.2, 0.8, 0.8, 0.1]),
        "critical": np.array([0.0, 0.1, 0.2, 0.9, 0.1]),
        "publicity_pressure": np.array([0.0, 0.0, 0.0, 0.0, 0.7]),
    }
    assert decide_levels(probs, th).tolist() == [0, 1, 2, 3, 3]


def test_fit_rejects_single_class_targets():
    X = [analyze(t) for t, _, _ in TINY_CORPUS[:4]]
    with pytest.raises(ValueError, match="only one class"):
        EscalationClassifier(n_folds=2).fit(X, np.zeros((4, 2), dtype=int))


def test_fit_rejects_bad_label_shape():
    X = [analyze(t) for t, _, _ in TINY_CORPUS[:4]]
    with pytest.raises(ValueError, match="shape"):
        EscalationClassifier().fit(X, np.zeros(4, dtype=int))


def test_single_thread_booster_equals_predict_proba(tiny_model):
    clf = tiny_model.classifier
    X = [analyze(t) for t, _, _ in TINY_CORPUS]
    S = clf._sparse(X)
    scores = np.column_stack([clf.text_models_[h].decision_function(S) for h in clf.text_models_])
    if clf.hostility_model_ is not None:
        scores = np.hstack([scores, clf.hostility_model_.decision_function(S)[:, None]])
    D = clf._dense(X, scores)
    for b in clf.boosters_.values():
        assert np.allclose(booster_probability(b, D), b.predict_proba(D)[:, 1])


def test_probabilities_in_unit_interval(tiny_model):
    probs = tiny_model.classifier.predict_heads([analyze(t) for t, _, _ in TINY_CORPUS])
    for p in probs.values():
        assert ((p > 0) & (p < 1)).all()
