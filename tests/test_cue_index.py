"""``shitstorm/text/_cue_index.py``, the cue rules' speed machinery: the candidate index finds what
trying every lexicon entry at every word finds (a brute-force scan of corpus posts), and the
literal starts read out of a regular expression. The rules themselves: tests/test_cues.py."""


def _corpus_sample(n=600):
    import csv
    import glob
    texts = []
    for f in sorted(glob.glob("training/data/*.csv"))[::4]:
        with open(f, encoding="utf-8") as fh:
            texts += [r["text"] for r in csv.DictReader(fh)][:40]
    return texts[:n] + ["Danke für nichts 🤬🤬", "E-Mail an die BILD!!! 89,90 € weg", "kündigung, kündige"]


def test_candidate_index_finds_what_trying_every_entry_at_every_word_finds():
    """The index tries only the entries that can start at a word; trying the whole bucket of
    the first character at every word and symbol must give the same matches."""
    import re

    from shitstorm.text import _cue_index

    buckets = _cue_index._index()[0]
    for text in _corpus_sample():
        lower = text.lower()
        brute = set()
        for m in re.finditer(r"\w+|" + _cue_index._SYMBOL.pattern, lower):
            rx = buckets.get(lower[m.start()])
            got = rx.match(lower, m.start()) if rx is not None else None
            if got is not None:
                brute.add((m.start(), got.lastgroup, got.end()))
        fast = {(p, got.lastgroup, got.end()) for p, rx in _cue_index.candidates(lower)
                if (got := rx.match(lower, p)) is not None}
        assert fast == brute


def test_literal_prefixes_of_a_regular_expression():
    from shitstorm.text._cue_index import _literal_prefixes

    assert _literal_prefixes(r"(?:mein|unser) anwalt") == {("mein", True), ("unser", True)}
    assert _literal_prefixes(r"abzock\w*") == {("abzock", False)}
    assert _literal_prefixes(r"€\s*\d+") == {("€", True)}
    assert _literal_prefixes(r"\d+ follower") == {(d, False) for d in "0123456789"}
    assert _literal_prefixes(r".*presse") is None
