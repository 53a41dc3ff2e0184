import numpy as np
import pytest

from shitstorm.classifier import EscalationClassifier, decide_levels
from shitstorm.text.analysis import analyze

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


def test_compiled_inference_equals_scikit_learn(tiny_model):
    X = [analyze(t) for t, _, _ in TINY_CORPUS] + [analyze("🤬"), analyze("x" * 3000)]
    fast = tiny_model.classifier.predict_heads(X)
    slow = tiny_model.classifier.predict_heads_reference(X)
    for head in fast:
        np.testing.assert_allclose(fast[head], slow[head], rtol=1e-9, atol=1e-12)


def test_compiled_forest_handles_missing_values(tiny_model):
    from shitstorm._compiled import CompiledForest

    boosters = list(tiny_model.classifier.boosters_.values())
    D = np.full((3, boosters[0].n_features_in_), np.nan)
    D[1] = 0.0
    got = CompiledForest(boosters).probabilities(D)
    want = np.column_stack([b.predict_proba(D)[:, 1] for b in boosters])
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_compiled_state_is_not_persisted(tiny_model):
    tiny_model.score("Hallo")
    assert "_compiled" not in tiny_model.classifier.__getstate__()


def test_probabilities_in_unit_interval(tiny_model):
    probs = tiny_model.classifier.predict_heads([analyze(t) for t, _, _ in TINY_CORPUS])
    for p in probs.values():
        assert ((p > 0) & (p < 1)).all()
