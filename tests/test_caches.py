"""The per-word and per-chunk caches of scoring are bounded (issue #14): a file full of new
words keeps ``shitstorm batch`` flat in memory instead of growing every cache with it."""

import importlib

import shitstorm

MODULES = {n: importlib.import_module(f"shitstorm.{n}")
           for n in ("text.tokenise", "text.analysis", "text._cue_index", "text.style", "_compiled")}

CACHES = [("text.tokenise", "_chunk_tokens"), ("text.tokenise", "stem"),
          ("text.analysis", "_language_marks"), ("text._cue_index", "_may_start"),
          ("text._cue_index", "_word_regex"), ("text._cue_index", "_chunk_candidates"),
          ("text.style", "_token_counts"), ("text.style", "_chunk_counts"),
          ("_compiled", "_token_char_ngrams")]


def test_every_text_cache_has_a_small_bound():
    for module, name in CACHES:
        maxsize = getattr(MODULES[module], name).cache_info().maxsize
        assert maxsize is not None and 0 < maxsize <= 1 << 16, (module, name, maxsize)


def test_the_model_token_cache_stays_at_its_bound_with_new_words():
    model = shitstorm.load()
    (char,) = [v for v in model._inference.vectorizers if v.kind == "char"]
    bound = char._char_indices.cache_info().maxsize
    assert bound is not None and bound <= 1 << 16
    first = model.score("Schon wieder kein Rückruf, ich kündige!")
    def spelled(i: int) -> str:  # a new word per number, in letters only
        return "wort" + "".join("abcdefghijklmnopqrstuvwxyz"[int(d)] for d in f"{i:06d}")

    per_post = 500
    for start in range(0, bound + per_post, per_post):  # more new words than the cache holds
        model.score_many([" ".join(spelled(i) for i in range(start, start + per_post))])
    assert char._char_indices.cache_info().currsize == bound
    assert model.score("Schon wieder kein Rückruf, ich kündige!") == first
