import dataclasses
import json

import numpy as np
import pytest

from shitstorm import Score

from .conftest import TINY_CORPUS


def test_score_many_equals_score(tiny_model):
    texts = [t for t, _, _ in TINY_CORPUS[:10]]
    many = tiny_model.score_many(texts)
    assert many == [tiny_model.score(t) for t in texts]


def test_scores_do_not_depend_on_the_block_a_post_is_scored_in(tiny_model, monkeypatch):
    """score_many and score_analyses score SCORE_BLOCK posts at a time (one pass over tens of
    thousands was a third slower a post): blocks of 3, one block, and one post at a time give
    the same scores, in order, for a list and for a generator."""
    from shitstorm import model as model_module
    from shitstorm.text.analysis import analyze

    texts = [t for t, _, _ in TINY_CORPUS[:11]] + ["", "Mein Anwalt meldet sich. " * 20]
    whole = tiny_model.score_many(texts)
    assert whole == [tiny_model.score(t) for t in texts]
    monkeypatch.setattr(model_module, "SCORE_BLOCK", 3)
    assert tiny_model.score_many(texts) == whole
    assert tiny_model.score_many(t for t in texts) == whole
    analyses = [analyze(t) for t in texts]
    assert tiny_model.score_analyses(analyses, sources=texts) == whole
    for blocked, method in ((tiny_model.probabilities(analyses), "probabilities"),
                            (tiny_model.probabilities_as_trained(analyses), "probabilities_as_trained")):
        monkeypatch.setattr(model_module, "SCORE_BLOCK", 10_000)
        one_call = getattr(tiny_model, method)(analyses)
        monkeypatch.setattr(model_module, "SCORE_BLOCK", 3)
        assert blocked.keys() == one_call.keys()
        for head in one_call:
            np.testing.assert_array_equal(blocked[head], one_call[head])
    with pytest.raises(TypeError, match="item 7 is int"):  # the third block, counted from the start
        tiny_model.score_many([*texts[:7], 7])


def test_score_is_frozen_and_json_safe(tiny_model):
    s = tiny_model.score("Wenn ich bis morgen nichts höre, geht das an die BILD!")
    assert isinstance(s, Score)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.level = "none"
    d = json.loads(json.dumps(s.to_dict()))
    assert set(d) == {"escalation", "level", "publicity_pressure", "reasons", "model_version", "flags", "pii"}
    assert 0 <= d["escalation"] <= 1 and d["level"] in ("none", "low", "elevated", "critical")
    assert d["reasons"][0]["cue"] == "ultimatum"


def test_reasons_are_the_analysis_objects(tiny_model):
    text = "Schon wieder kein Paket, mein Anwalt meldet sich."
    cues = tuple(r for r in tiny_model.score(text).reasons if r.cue != "words")
    assert cues == tiny_model.analyze(text).reasons


@pytest.mark.parametrize("bad", [None, b"bytes", 3, 2.5])
def test_non_string_raises(tiny_model, bad):
    with pytest.raises(TypeError, match="not str|given as str"):
        tiny_model.score(bad)
    with pytest.raises(TypeError, match="item 1"):
        tiny_model.score_many(["ok", bad])


def test_score_many_rejects_a_bare_string(tiny_model):
    with pytest.raises(TypeError, match="single str"):
        tiny_model.score_many("Hallo")


@pytest.mark.parametrize("text", ["", "   \n", "...", "?!?"])
def test_empty_input_gives_the_documented_result(tiny_model, text):
    s = tiny_model.score(text)
    assert (s.escalation, s.level, s.publicity_pressure, s.reasons) == (0.0, "none", 0.0, ())
    assert s.flags == ("empty",)


@pytest.mark.parametrize("text,flag", [
    ("Frechheit! " * 500_000, "truncated"),
    ("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10 ABC", "binary"),
    ("This is the worst service ever and I want my money back", "not_german"),
    ("<div><b>Schon wieder</b> kein Paket &amp; keine Antwort</div>", "html"),
])
def test_odd_input_is_scored_and_flagged(tiny_model, text, flag):
    s = tiny_model.score(text)
    assert flag in s.flags
    assert 0 <= s.escalation <= 1 and 0 <= s.publicity_pressure <= 1


def test_emoji_only_is_scored_not_empty(tiny_model):
    s = tiny_model.score("🤬🤬")
    assert "empty" not in s.flags and 0 < s.escalation < 1


def test_empty_iterable(tiny_model):
    assert tiny_model.score_many([]) == []


def test_token_spans_agree_with_the_word_boundary_pattern_they_replaced():
    """``_token_spans`` (str.find) replaced a regex compiled per token (issue 14: compiling cost
    more than the rest of the evidence); it must find the same spans."""
    import re
    from types import SimpleNamespace

    from shitstorm.model import _token_spans

    text = "Kündigung gekündigt, Kündigungen! _Kündigung Kündigung_ 😡😡 ?! Straße strasse a-b a b"
    tokens = ["Kündigung", "gekündigt", "Kündigung", "😡", "?!", "a", "b", "x", "a-b", "a", "Straße", "b"]
    want, pos = [], 0
    for tok in tokens:
        pattern = re.compile(r"(?<!\w)" + re.escape(tok) + r"(?!\w)" if tok[0].isalnum() or tok[0] == "_"
                             else re.escape(tok))
        m = pattern.search(text, pos)
        want.append(m.span() if m else None)
        pos = m.end() if m else pos
    assert _token_spans(SimpleNamespace(text=text, tokens=tokens)) == want
    assert None in want and want[0] == (0, 9)


def test_token_contributions_match_a_scan_of_every_term():
    """The owner indexes of ``token_contributions`` give the numbers of the plain scan over
    every term and every token (the reference it replaced), bit for bit."""
    import numpy as np

    import shitstorm
    from shitstorm.features import StemNgrams, _token_char_ngrams

    clf = shitstorm.load().classifier
    a = shitstorm.analyze("Schon wieder schon wieder kein Geld zurück, Betrug Betrug! Ich gehe zur BILD.")

    def scan(head):
        out = np.zeros(len(a.tokens))
        coef = np.ravel(clf.text_models_[head].coef_)
        offset = 0
        for vec in clf.vectorizers_:
            row = vec.transform([a]).tocsr()
            terms = {i: t for t, i in vec.vocabulary_.items()}
            for j, x in zip(row.indices, row.data, strict=False):
                term = terms[j]
                if isinstance(vec.analyzer, StemNgrams):
                    parts = term.split(" ")
                    n = len(parts)
                    at = [i for i in range(len(a.stems) - n + 1) if list(a.stems[i:i + n]) == parts]
                    owners = [i + k for i in at for k in range(n)]
                else:
                    owners = [i for i, t in enumerate(a.tokens)
                              if term in _token_char_ngrams(t, vec.analyzer.min_n, vec.analyzer.max_n)]
                if owners:
                    share = coef[offset + j] * float(x) / len(owners)
                    for i in owners:
                        out[i] += share
            offset += len(vec.vocabulary_)
        return out

    for head in clf.text_models_:
        assert clf.token_contributions(a, head).tolist() == scan(head).tolist()
