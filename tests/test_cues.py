"""``shitstorm/text/cues.py``: the cue rules, one working rule per family, negation, sarcasm,
shouting, spans into the text. The candidate index behind them: tests/test_cue_index.py."""

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


