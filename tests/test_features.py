"""``shitstorm/features.py``: the transformers from Analysis to features (cues, style, n-grams)
and the compact TF-IDF vectoriser equal to scikit-learn's. The style counts themselves:
tests/test_style.py."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from shitstorm.features import CharNgrams, CompactTfidfVectorizer, CueFeatures, StemNgrams, StyleFeatures
from shitstorm.schema import CUE_FAMILIES
from shitstorm.text.analysis import analyze
from shitstorm.text.style import STYLE_FEATURES

from .conftest import TINY_CORPUS

ANALYSES = [analyze(t) for t, _, _ in TINY_CORPUS]


def test_cue_features_count_the_reasons_shown():
    a = analyze("Mein Anwalt meldet sich. Ich will keinen Shitstorm.")
    row = CueFeatures().fit([a]).transform([a])[0]
    n = len(CUE_FAMILIES)
    legal = CUE_FAMILIES.index("legal_threat")
    viral = CUE_FAMILIES.index("publicity_viral")
    assert row[legal] == sum(r.weight for r in a.reasons if r.cue == "legal_threat")
    assert row[viral] == 0 and row[n + viral] == 1  # negated: counted apart


def test_style_features_see_caps_and_floods():
    calm, loud = StyleFeatures().fit(ANALYSES).transform([analyze("ok danke"), analyze("FRECHHEIT!!! 🤬")])
    names = list(STYLE_FEATURES)
    assert loud[names.index("caps_ratio")] > calm[names.index("caps_ratio")]
    assert loud[names.index("punct_floods")] == 1 and loud[names.index("angry_emoji")] == 1


def test_feature_names():
    assert len(CueFeatures().fit(ANALYSES).get_feature_names_out()) == 2 * len(CUE_FAMILIES)
    assert len(StyleFeatures().fit(ANALYSES).get_feature_names_out()) == len(STYLE_FEATURES)


def test_transformers_reject_raw_strings():
    with pytest.raises(TypeError, match="shitstorm.analyze"):
        CueFeatures().fit(ANALYSES).transform(["raw text"])


@pytest.mark.parametrize("analyzer", [CharNgrams(3, 5), StemNgrams(1, 2)])
def test_compact_vectorizer_equals_scikit_learn(analyzer):
    a = CompactTfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32).fit(ANALYSES)
    b = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32).fit(ANALYSES)
    assert abs(a.transform(ANALYSES) - b.transform(ANALYSES)).max() == 0


def test_compact_vectorizer_state_roundtrip():
    a = CompactTfidfVectorizer(analyzer=CharNgrams(3, 4)).fit(ANALYSES)
    a.transform(ANALYSES)  # fills the token cache, which must not be persisted
    state = a.__getstate__()
    assert "vocabulary_" not in state and "_token_cache" not in state
    b = CompactTfidfVectorizer.__new__(CompactTfidfVectorizer)
    b.__setstate__(state)
    assert b.vocabulary_ == a.vocabulary_
    assert abs(b.transform(ANALYSES) - a.transform(ANALYSES)).max() == 0


def test_char_index_cache_is_a_bounded_lru():
    """The per-token cache drops the least recently used token when full, never everything,
    and a token's indices are the same cached or not. Regression (issue 14): the cache used to be
    emptied whenever it was full."""
    from shitstorm.features import _TokenIndexCache

    vec = CompactTfidfVectorizer(analyzer=CharNgrams(3, 5)).fit(ANALYSES)
    cache = _TokenIndexCache(vec, maxsize=3)
    fresh = _TokenIndexCache(vec, maxsize=10)
    for word in ["Frechheit", "Kündigung", "Anwalt", "Frechheit", "Presse", "Shitstorm"]:
        assert cache.lookup(word) == fresh.lookup(word)
    info = cache.lookup.cache_info()
    assert info.currsize == 3 and info.maxsize == 3
    hits = info.hits
    cache.lookup("Shitstorm")  # the most recent survives
    assert cache.lookup.cache_info().hits == hits + 1
    vocab = vec.vocabulary_
    expected = [vocab[g] for g in CharNgrams(3, 5)(analyze("Kündigung")) if g in vocab]
    assert list(np.frombuffer(fresh.lookup("Kündigung"), dtype=np.int64)) == expected


def test_a_refit_vectorizer_gets_a_new_token_cache():
    vec = CompactTfidfVectorizer(analyzer=CharNgrams(3, 4)).fit(ANALYSES[:3])
    vec.transform(ANALYSES)
    vec.fit(ANALYSES)
    want = CompactTfidfVectorizer(analyzer=CharNgrams(3, 4)).fit(ANALYSES).transform(ANALYSES)
    assert abs(vec.transform(ANALYSES) - want).max() == 0


