"""``shitstorm/classifier.py``: ``EscalationClassifier`` (fitting, sample weights, probabilities,
loading older model files) and ``decide_levels``."""

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


def test_probabilities_in_unit_interval(tiny_model):
    probs = tiny_model.classifier.predict_heads([analyze(t) for t, _, _ in TINY_CORPUS])
    for p in probs.values():
        assert ((p > 0) & (p < 1)).all()


def test_a_model_file_with_the_dropped_attribute_still_loads(tiny_model):
    """Regression (issue 13, dead code): dropping ``n_features_dense_`` must not break loading
    the model files that carry it."""
    # issue #13: n_features_dense_ was set and never read; model files written before carry it
    # (the shipped one does), so loading accepts it and drops it, and the scores stay the same
    import pickle

    clf = tiny_model.classifier
    state = dict(clf.__getstate__(), n_features_dense_=17)
    old = EscalationClassifier.__new__(EscalationClassifier)
    old.__setstate__(state)
    assert "n_features_dense_" not in vars(old)
    X = [analyze(t) for t, _, _ in TINY_CORPUS]
    for head, p in clf.predict_heads(X).items():
        np.testing.assert_array_equal(old.predict_heads(X)[head], p)
    assert "n_features_dense_" not in vars(pickle.loads(pickle.dumps(old)))


def test_sample_weight_weighs_the_training_rates():
    from shitstorm.text.analysis import analyze

    X = [analyze(t) for t, _, _ in TINY_CORPUS]
    y = np.array([[{"none": 0, "low": 1, "elevated": 2, "critical": 3}[lv], p] for _, lv, p in TINY_CORPUS])
    w = np.where(y[:, 0] == 3, 3.0, 1.0)  # critical posts count three times
    clf = EscalationClassifier(max_iter=10, min_samples_leaf=3, n_folds=2).fit(X, y, sample_weight=w)
    assert clf.training_rates_["critical"] == pytest.approx(24 / 48)
    with pytest.raises(ValueError, match="one positive weight per post"):
        EscalationClassifier(n_folds=2).fit(X, y, sample_weight=w[:-1])
