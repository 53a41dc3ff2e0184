"""The fast inference structures (``shitstorm/_compiled.py``) give scikit-learn's numbers."""

import numpy as np

from shitstorm._compiled import WALK_MAX_POSTS, CompiledForest, CompiledIsotonic, CompiledLinear
from shitstorm.text.analysis import analyze

from .conftest import TINY_CORPUS


def test_compiled_inference_equals_scikit_learn(tiny_model):
    X = [analyze(t) for t, _, _ in TINY_CORPUS] + [analyze("🤬"), analyze("x" * 3000)]
    fast = tiny_model.classifier.predict_heads(X)
    slow = tiny_model.classifier.predict_heads_reference(X)
    for head in fast:
        np.testing.assert_allclose(fast[head], slow[head], rtol=1e-9, atol=1e-12)


def test_compiled_forest_handles_missing_values(tiny_model):
    boosters = list(tiny_model.classifier.boosters_.values())
    D = np.full((3, boosters[0].n_features_in_), np.nan)
    D[1] = 0.0
    got = CompiledForest(boosters).probabilities(D)
    want = np.column_stack([b.predict_proba(D)[:, 1] for b in boosters])
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_compiled_state_is_not_persisted(tiny_model):
    tiny_model.score("Hallo")
    assert "_compiled" not in tiny_model.classifier.__getstate__()


def _dense(tiny_model, n):
    clf = tiny_model.classifier
    texts = [t for t, _, _ in TINY_CORPUS]
    X = [analyze(texts[i % len(texts)] + " " * (i // len(texts))) for i in range(n)]
    linear, _, _ = clf._compiled_parts()
    return clf._dense(X, linear.decision(clf._sparse(X)))


def test_the_tree_walk_and_scikit_learns_predictors_add_up_to_the_same_bits(tiny_model):
    boosters = list(tiny_model.classifier.boosters_.values())
    forest = CompiledForest(boosters)
    D = _dense(tiny_model, 3 * WALK_MAX_POSTS + 5)
    many = forest.raw(D)  # above WALK_MAX_POSTS: walked a chunk at a time
    one_by_one = np.vstack([forest.raw(D[i:i + 1]) for i in range(len(D))])
    np.testing.assert_array_equal(many, one_by_one)
    want = np.column_stack([b.predict_proba(D)[:, 1] for b in boosters])
    np.testing.assert_array_equal(forest.probabilities(D), want)


def test_linear_and_isotonic_parts_equal_scikit_learn(tiny_model):
    clf = tiny_model.classifier
    X = [analyze(t) for t, _, _ in TINY_CORPUS]
    S = clf._sparse(X)
    linear = CompiledLinear([clf.text_models_[h] for h in clf.text_models_])
    want = np.column_stack([m.decision_function(S) for m in clf.text_models_.values()])
    np.testing.assert_allclose(linear.decision(S), want, rtol=1e-12, atol=1e-12)
    p = np.linspace(0, 1, 101)
    for iso in clf.calibrators_.values():
        np.testing.assert_array_equal(CompiledIsotonic(iso)(p), iso.predict(p))


# --- the arrays path (issue #14) against the scipy / scikit-learn arithmetic, bit for bit ---

def _odd_analyses():
    texts = [t for t, _, _ in TINY_CORPUS]
    odd = ["", "🤬", "@BILD @wiso_zdf", "x" * 3000, "Ich warte. Immer noch. Seit Wochen! " * 12]
    return [analyze(t) for t in texts + odd]


def test_tfidf_arrays_equal_the_vectorizers_bit_for_bit(tiny_model):
    from shitstorm._compiled import TfidfArrays

    X = _odd_analyses()
    for vec in tiny_model.classifier.vectorizers_:
        want = vec.transform(X).tocsr()
        for n in (1, len(X)):  # the per-post and the batch paths
            indptr, indices, data = TfidfArrays.from_vectorizer(vec).transform(X[:n])
            np.testing.assert_array_equal(indptr, want.indptr[:n + 1])
            np.testing.assert_array_equal(indices, want.indices[:want.indptr[n]])
            assert data.dtype == want.dtype
            np.testing.assert_array_equal(data, want.data[:want.indptr[n]])


def test_sequential_sums_equal_scipys_sparse_product(tiny_model):
    from shitstorm._compiled import InferenceModel

    clf = tiny_model.classifier
    X = _odd_analyses()
    inference = InferenceModel.from_classifier(clf)
    linear = inference.linear
    np.testing.assert_array_equal(inference.decision(X), linear.decision(clf._sparse(X)))  # X @ W + b
    np.testing.assert_array_equal(inference.decision(X[:1]), linear.decision(clf._sparse(X[:1])))


def test_expit_equals_scipys_bit_for_bit():
    from scipy.special import expit as scipy_expit

    from shitstorm._compiled import expit

    x = np.random.default_rng(0).normal(0, 8, 200_000)
    x = np.concatenate([x, [0.0, -0.0, 700.0, -700.0, 1e-300, np.inf, -np.inf]])
    np.testing.assert_array_equal(expit(x), scipy_expit(x))


def test_the_forest_from_stored_arrays_adds_up_as_scikit_learn(tiny_model):
    from shitstorm._compiled import CompiledForest, InferenceModel, inference_arrays

    clf = tiny_model.classifier
    boosters = [clf.boosters_[h] for h in clf.boosters_]
    a = inference_arrays(clf)
    forest = CompiledForest(arrays=(a["forest_nodes"], a["forest_sizes"], a["forest_owners"], a["forest_baselines"]))
    D = _dense(tiny_model, 3 * WALK_MAX_POSTS)
    want = np.column_stack([b._raw_predict(D, n_threads=1)[:, 0] for b in boosters])
    np.testing.assert_array_equal(forest.raw(D), want)
    np.testing.assert_array_equal(forest.raw(D[:5]), want[:5])
    X = _odd_analyses()
    got, ref = InferenceModel(a).predict_heads(X), clf.predict_heads(X)
    for head in got:
        np.testing.assert_array_equal(got[head], ref[head])


def test_sequential_row_sums_add_one_after_the_other_on_both_paths():
    from shitstorm._compiled import sequential_row_sums

    rng = np.random.default_rng(1)
    lengths = rng.integers(0, 40, 30)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    values = rng.normal(0, 1e3, (int(indptr[-1]), 3)) * rng.choice([1e-8, 1.0, 1e8], (int(indptr[-1]), 3))
    start = rng.normal(0, 1, (30, 3))
    want = start.copy()
    for i in range(30):
        for row in values[indptr[i]:indptr[i + 1]]:
            for k in range(3):
                want[i, k] = float(want[i, k]) + float(row[k])
    np.testing.assert_array_equal(sequential_row_sums(values, indptr, start), want)  # padded grid
    big = np.repeat(values, 400, axis=0)  # long rows: the position loop
    big_indptr = indptr * 400
    want_big = start.copy()
    for i in range(30):
        for row in big[big_indptr[i]:big_indptr[i + 1]]:
            for k in range(3):
                want_big[i, k] = float(want_big[i, k]) + float(row[k])
    np.testing.assert_array_equal(sequential_row_sums(big, big_indptr, start), want_big)
