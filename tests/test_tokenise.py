"""``shitstorm/text/tokenise.py``: tokens keep punctuation runs and emoji, no stop words removed."""

from shitstorm.text.tokenise import stem, tokenise


def test_tokens_keep_punctuation_runs_and_emoji():
    assert tokenise("Schon WIEDER?! Danke für nichts 👏") == ["Schon", "WIEDER", "?!", "Danke", "für", "nichts", "👏"]


def test_no_stop_words_removed():
    toks = [t.lower() for t in tokenise("nicht schon wieder, kein Paket, nie mehr, noch immer")]
    for w in ("nicht", "schon", "wieder", "kein", "nie", "noch"):
        assert w in toks


def test_stems_fold_inflection():
    assert stem("Kündigungen") == stem("Kündigung")
    assert stem("Bewertungen") == stem("Bewertung")
    assert stem("!!!") == "!!" and stem("?!") == "?!" and stem("😡") == "😡"
