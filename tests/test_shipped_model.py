"""Direction tests on the bundled model: what a social-media team expects to see ranked higher."""

import pytest

import shitstorm
from shitstorm.persist import MANIFEST_FILE


@pytest.fixture(scope="module")
def model():
    return shitstorm.load()


def test_default_model_loads_lazily_once():
    from shitstorm.model import bundled_model_dir, default_model

    assert (bundled_model_dir() / MANIFEST_FILE).is_file()
    assert default_model() is default_model()
    assert shitstorm.score("Danke!").model_version == default_model().version


@pytest.mark.parametrize("high,low", [
    ("Mein Anwalt meldet sich bei Ihnen.", "Danke für die schnelle Hilfe!"),
    ("Schon WIEDER kein Paket!!! Zum dritten Mal diese Woche, Frechheit.", "Wann kommt mein Paket ungefähr an?"),
    ("Ihr seid unfähige Betrüger, ich zeige euch an!", "Kleiner Hinweis: das Formular lädt langsam."),
])
def test_escalation_direction(model, high, low):
    assert model.score(high).escalation > model.score(low).escalation


@pytest.mark.parametrize("threat,harmless", [
    ("Wenn ich bis morgen nichts höre, geht das an die BILD!", "Hab in der BILD gelesen, dass ihr neue Filialen eröffnet. Wo denn?"),
    ("Ich drehe ein Video darüber und meine 20.000 Follower sehen es morgen.", "Euer Video zum Router-Einrichten hat mir super geholfen, danke!"),
    ("Teilt das, bis der Laden reagiert! Boykott!", "Teilt das bitte: unser Kater Moritz ist entlaufen."),
    ("Bis die Erstattung da ist, bleibt meine 1-Sterne-Bewertung stehen.", "Top Service, fünf Sterne von mir!"),
])
def test_publicity_pressure_needs_the_act_not_the_word(model, threat, harmless):
    t, h = model.score(threat), model.score(harmless)
    assert t.publicity_pressure > 0.5 > h.publicity_pressure
    assert t.level == "critical" and h.level in ("none", "low")


def test_bundled_model_card_and_manifest_travel_together():
    from shitstorm.model import bundled_model_dir
    from shitstorm.persist import CARD_FILE, MODEL_FILE, read_manifest, sha256_file

    d = bundled_model_dir()
    m = read_manifest(d)
    assert m["sha256"] == sha256_file(d / MODEL_FILE)
    assert m["model_version"] in (d / CARD_FILE).read_text(encoding="utf-8")
    assert {"test", "cross_validated", "baseline_test"} <= set(m["metrics"])


def test_lost_cat_share_call_is_no_pressure(model):
    """Regression, once a known weakness (issue #3 → fixed with the real-register batches of
    issue #11): a lost-cat share call without a name read as a share call for pressure."""
    assert model.score("Teilt das bitte, meine Katze ist weggelaufen").publicity_pressure < 0.5


def _corpus_test_split() -> list[str]:
    import csv
    from pathlib import Path

    texts = []
    for path in sorted((Path(__file__).resolve().parents[1] / "training" / "data").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh) if row.get("split") == "test"]
    return texts


def test_the_shipped_arrays_score_exactly_as_the_skops_model():
    """``models/inference.npz`` (what ``load()`` scores with) against the classifier in the
    skops file, on the corpus's test split and odd inputs: the same scores to the last bit."""
    import numpy as np

    from shitstorm.model import Model, bundled_model_dir
    from shitstorm.persist import load_classifier

    d = bundled_model_dir()
    arrays = shitstorm.load(d)
    assert arrays._classifier is None
    clf, manifest = load_classifier(d)
    skops = Model(clf, manifest, d)
    texts = _corpus_test_split()
    assert len(texts) > 500
    texts += ["", "x", "🤬🤬🤬 !!!", "@BILD @wiso_zdf @verbraucherzentrale",
              "Ich warte seit Wochen. " * 20 + "Morgen geht das an die BILD und meinen Anwalt!",
              "Kurz. Dann länger, viel länger. " * 15 + "Betrug!"]
    got, want = arrays.score_many(texts), skops.score_many(texts)
    assert [s.to_dict() for s in got] == [s.to_dict() for s in want]
    assert [(s.escalation, s.publicity_pressure) for s in got] == [(s.escalation, s.publicity_pressure) for s in want]
    analyses = [shitstorm.analyze(t) for t in texts[:200]]
    a, b = arrays._inference.predict_heads(analyses), clf.predict_heads_reference(analyses)
    for head in a:
        np.testing.assert_allclose(a[head], b[head], rtol=1e-9, atol=1e-12)  # scikit-learn's own methods
    for t in texts[-3:]:
        np.testing.assert_array_equal(arrays.score(t).escalation, skops.score(t).escalation)
