import pytest

from shitstorm.text.cues import find_reasons, is_negated


def cues(text):
    return [(r.cue, r.text, r.negated) for r in find_reasons(text)]


def test_spans_point_into_the_text():
    text = "Wenn ich bis morgen nichts höre, geht das an die BILD! Schon wieder!!!"
    for r in find_reasons(text):
        assert text[r.start:r.end] == r.text


@pytest.mark.parametrize("text,cue,words", [
    ("Wenn ich bis morgen nichts höre, geht das an die BILD!", "publicity_media", "an die BILD"),
    ("Das gibt eine schlechte Bewertung bei Google.", "publicity_reviews", "schlechte Bewertung"),
    ("Meine 12.000 Follower erfahren das heute.", "publicity_viral", "12.000 Follower"),
    ("Bitte teilen, damit alle gewarnt sind!", "mobilization", "Bitte teilen"),
    ("Mein Anwalt ist eingeschaltet.", "legal_threat", "Mein Anwalt"),
    ("Beschwerde geht an die Bundesnetzagentur.", "regulator", "Bundesnetzagentur"),
    ("Ich kündige zum Monatsende.", "churn_threat", "Ich kündige"),
    ("Ihr seid doch alle Idioten.", "insult", "Idioten"),
    ("Was für eine Scheiße.", "profanity", "Scheiße"),
    ("Danke für nichts.", "sarcasm", "Danke für nichts"),
    ("Zum dritten Mal kein Techniker.", "repeat_failure", "Zum dritten Mal"),
    ("Ich warte seit drei Wochen.", "waiting_time", "seit drei Wochen"),
    ("Hier meldet sich wenigstens jemand.", "ignored_contact", "Hier meldet sich wenigstens"),
    ("Doppelt abgebucht, 89,90 € weg.", "money_loss", "Doppelt abgebucht"),
    ("Das ist Abzocke.", "fraud_accusation", "Abzocke"),
    ("Glassplitter im Joghurt!", "safety_harm", "Glassplitter"),
    ("Das war rassistisch.", "discrimination", "rassistisch"),
    ("Ein Datenleck bei euch?", "data_protection", "Datenleck"),
    ("Meine Oma im Rollstuhl stand im Regen.", "vulnerable_person", "Rollstuhl"),
    ("Vielen Dank für die Hilfe!", "gratitude", "Vielen Dank"),
])
def test_each_family_has_a_working_rule(text, cue, words):
    assert (cue, words) in [(c, w) for c, w, _ in cues(text)]


def test_negated_threat_is_marked():
    assert ("publicity_viral", "Shitstorm", True) in cues("Ich will keinen Shitstorm lostreten, aber…")
    assert is_negated("Ich gehe nicht an die Presse", 18)


def test_negation_stops_at_clause_breakers():
    assert not is_negated("Kein Problem, aber die Presse", 23)
    assert ("publicity_media", "an die Presse", False) in cues("Das ist kein Spaß mehr, ich gehe an die Presse")


def test_sarcasm_beats_gratitude_at_the_same_place():
    found = cues("Danke für nichts!")
    assert ("sarcasm", "Danke für nichts", False) in found
    assert not any(c == "gratitude" for c, _, _ in found)


def test_shouting_caps_and_floods_but_not_acronyms():
    found = cues("ICH WILL MEIN GELD!!! Der ICE und die DHL sind ok")
    words = [w for c, w, _ in found if c == "shouting"]
    assert "ICH" in words and "GELD" in words and "!!!" in words
    assert "ICE" not in words and "DHL" not in words


def test_no_cues_in_plain_question():
    assert cues("Wann hat die Filiale am Samstag geöffnet?") == []


def test_cue_matching_is_case_insensitive_and_keeps_original_case():
    assert ("legal_threat", "ANWALT", False) in cues("MEIN ANWALT? Nein, ein ANWALT kommt")  \
        or ("legal_threat", "MEIN ANWALT", False) in cues("MEIN ANWALT? Nein, ein ANWALT kommt")


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
