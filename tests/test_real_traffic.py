"""Real traffic (issue #11): the form of a tweet is no evidence, every alarm names its evidence,
the probabilities are for a stated feed, and the shipped model holds up on real posts it never
saw (the held-out part of ``../shared/data``)."""

from pathlib import Path

import numpy as np
import pytest

import shitstorm
from shitstorm.classifier import shift_base_rate
from shitstorm.model import FEED_BASE_RATES, check_base_rates
from shitstorm.train.background import is_heldout, read_real_posts, split_key
from shitstorm.train.evaluation import is_alarm, register_variant, traffic_report

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
POTTS = SHARED / "potts" / "potts.csv"
GERMEVAL = SHARED / "germeval2018" / "germeval2018.training.txt"
needs_shared = pytest.mark.skipif(not (POTTS.is_file() and GERMEVAL.is_file()),
                                  reason="../shared/data (PotTS, GermEval 2018) not present")

# targets of issue #11 on held-out real tweets
MAX_PRESSURE_FLAGGED = 0.005
MAX_CRITICAL = 0.01
MAX_ESCALATION_GE_HALF = 0.10


@pytest.fixture(scope="module")
def model():
    return shitstorm.load()


# --- the form of a post is not a feature ---------------------------------------------------
@pytest.mark.parametrize("plain,dressed", [
    ("Glückwunsch!!!", "@anna_k @ben_m Glückwunsch!!!"),
    ("Bahn meldet Rekordumsatz", "RT @tagesschau: Bahn meldet Rekordumsatz https://t.co/x1"),
    ("Wo bleibt mein Paket?", "@FlinkPaket @lisa_mue @tom_hh Wo bleibt mein Paket? https://t.co/AB12"),
])
def test_handles_links_and_retweet_markers_are_not_what_the_model_sees(plain, dressed):
    a, b = shitstorm.analyze(plain), shitstorm.analyze(dressed)
    assert a.tokens == b.tokens and a.stems == b.stems
    assert a.style[1:] == b.style[1:] or np.allclose(a.style, b.style)


def test_a_post_of_only_handles_or_links_has_nothing_to_score(model):
    s = model.score("@DeutscheBahn @DB_Info @VBB_BerlinBB https://t.co/x1")
    assert "empty" in s.flags and s.level == "none" and s.escalation == 0.0


def test_tagging_a_media_account_is_evidence_a_retweet_source_is_not():
    tagged = shitstorm.analyze("@Stromfix @wiso_zdf seit drei Wochen kein Strom")
    assert [(r.cue, r.text) for r in tagged.reasons if r.cue == "publicity_media"] == [
        ("publicity_media", "@wiso_zdf")]
    assert not [r for r in shitstorm.analyze("RT @tagesschau: Bahn meldet Rekordumsatz").reasons
                if r.cue == "publicity_media"]
    assert not shitstorm.analyze("@anna_k @ben_m Glückwunsch").reasons


def test_links_and_handles_are_no_shouting_and_hold_no_cue_words():
    a = shitstorm.analyze("Schaut mal https://t.co/ABCDEF @KUENDIGUNG_INFO")
    assert not a.reasons


@pytest.mark.parametrize("text", ["RT @tagesschau: GDL kündigt neue Warnstreiks an",
                                  "Die Bahn kündigte gestern neue Fahrpläne an"])
def test_announcing_is_not_cancelling(text):
    assert "churn_threat" not in {r.cue for r in shitstorm.analyze(text).reasons}


def test_der_spiegel_is_a_press_outlet():
    cues = {r.cue: r.text for r in shitstorm.analyze(
        "Wenn ich bis Freitag nichts höre, geht das an den Spiegel!").reasons}
    assert cues.get("publicity_media") == "an den Spiegel"


# --- the known shapes --------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["Test", "x", "ok", "Hallo", "+1", "😂😂"])
def test_one_word_and_test_posts_are_none(model, text):
    s = model.score(text)
    assert s.level in ("none", "low") and s.publicity_pressure < 0.5


@pytest.mark.parametrize("text", [
    "Ruf mich an: 0171 2345678",
    "Bitte ruft mich zurück, Kundennummer 4711-0815, Tel. 0171 2345678. Danke!",
    "Meine Vertragsnummer ist VN-2231-8812, erreichbar unter 030 1234567 ab 16 Uhr.",
])
def test_personal_data_alone_never_makes_a_post_critical(model, text):
    s = model.score(text)
    assert s.pii, "the data is still found (triage raises the priority for it)"
    assert s.level != "critical" and s.publicity_pressure < 0.5


LONG_CALM = ("Meine Mutter (78) bekommt seit Monaten Rechnungen für einen Vertrag, den sie nie "
             "unterschrieben hat. Wir haben drei Briefe geschrieben und waren zweimal im Shop. "
             "Jetzt kam eine Mahnung. Niemand fühlt sich zuständig, jeder verweist auf die Hotline.")


def test_a_threat_sentence_at_the_end_of_a_long_post_still_counts(model):
    threat = LONG_CALM + " Wenn das bis Freitag nicht geklärt ist, geht die ganze Geschichte an die BILD."
    s = model.score(threat)
    assert s.level == "critical" and s.publicity_pressure >= 0.5
    assert any(r.cue == "publicity_media" for r in s.reasons)
    assert model.score(LONG_CALM).publicity_pressure < 0.5


# --- evidence ----------------------------------------------------------------------------------
def test_every_alarm_names_evidence_and_words_point_into_the_post(model):
    texts = ["Ihr Betrüger, mein Anwalt und die BILD wissen Bescheid!",
             "Wenn ich bis morgen nichts höre, geht das an die BILD!",
             LONG_CALM + " Ich stelle das Video morgen online, meine 20.000 Follower sehen es dann."]
    for text, s in zip(texts, model.score_many(texts), strict=False):
        assert is_alarm(s) and s.reasons
        for r in s.reasons:
            assert text[r.start:r.end] == r.text


def test_word_evidence_is_exactly_the_linear_heads_decomposition(model):
    clf = model.classifier
    a = shitstorm.analyze("Ihr seid die letzten Abzocker, das geht an die Zeitung!!!")
    for head in ("critical", "publicity_pressure"):
        contrib = clf.token_contributions(a, head)
        m = clf.text_models_[head]
        S = clf._sparse([a])
        assert contrib.sum() == pytest.approx(float(m.decision_function(S)[0] - m.intercept_[0]), abs=1e-6)


BUSY = {"ge_low": 0.3, "escalation": 0.1, "critical": 0.06, "publicity_pressure": 0.05}
"""A feed with ten times the default pressure."""


# --- base rates ----------------------------------------------------------------------------------
def test_shift_base_rate_is_bayes():
    p = np.array([0.2, 0.5, 0.9])
    back = shift_base_rate(shift_base_rate(p, 0.3, 0.01), 0.01, 0.3)
    assert np.allclose(back, p, atol=1e-9)
    assert shift_base_rate(np.array([0.5]), 0.5, 0.01)[0] == pytest.approx(0.01)


def test_base_rates_change_the_probabilities_not_the_ranking(model):
    texts = ["Das geht an die Presse, wenn ihr nicht zahlt.", "Wann kommt mein Paket?",
             "Teilt das, bis der Laden reagiert! Boykott!"]
    feed = model.score_many(texts)
    busy = shitstorm.load(base_rates=BUSY).score_many(texts)
    assert all(b.publicity_pressure >= f.publicity_pressure for f, b in zip(feed, busy, strict=False))
    assert np.argsort([s.publicity_pressure for s in feed]).tolist() == \
        np.argsort([s.publicity_pressure for s in busy]).tolist()


def test_nested_probabilities_stay_ordered(model):
    for s in model.score_many(["Frechheit!", "Danke!", "Das geht an die BILD!", "Mein Anwalt meldet sich."]):
        assert s.escalation + 1e-12 >= s.publicity_pressure or s.level == "critical"


@pytest.mark.parametrize("rates,msg", [
    ({"publicity_pressure": 0.5}, "cannot exceed"),
    ({"critical": 1.5}, "between 0 and 1"),
    ({"pressure": 0.01}, "unknown head"),
])
def test_bad_base_rates_are_refused_with_a_clear_message(rates, msg):
    with pytest.raises(ValueError, match=msg):
        shitstorm.load(base_rates=rates)
    with pytest.raises(ValueError, match=msg):
        check_base_rates({**FEED_BASE_RATES, **rates})


def test_the_manifest_states_the_base_rates(model):
    info = model.info()
    assert info["base_rates"] == model.manifest["base_rates"]
    assert set(info["training_rates"]) == set(FEED_BASE_RATES)


def test_policy_file_states_base_rates(tmp_path):
    from shitstorm.policy import Policy, PolicyError

    p = tmp_path / "p.toml"
    p.write_text("[base_rates]\npublicity_pressure = 0.01\n", encoding="utf-8")
    assert dict(Policy.from_toml(p).base_rates) == {"publicity_pressure": 0.01}
    p.write_text("[base_rates]\npublicity_pressure = 0.5\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="cannot exceed"):
        Policy.from_toml(p)


def test_cli_base_rates_option(capsys):
    import json

    from shitstorm.cli import main

    text = "Das geht an die Presse, wenn ihr nicht zahlt."
    assert main(["score", text]) == 0
    feed = json.loads(capsys.readouterr().out)
    assert main(["score", "--base-rates", ",".join(f"{k}={v}" for k, v in BUSY.items()), text]) == 0
    busy = json.loads(capsys.readouterr().out)
    assert busy["publicity_pressure"] > feed["publicity_pressure"]
    assert main(["score", "--base-rates", "publicity_pressure=lots", text]) == 2
    assert "--base-rates" in capsys.readouterr().err


# --- the split and the register copy -------------------------------------------------------------
def test_split_keeps_copies_and_retweets_together():
    assert split_key("RT @anna: Guten  Morgen https://t.co/x") == split_key("guten morgen")
    assert is_heldout("RT @anna: Guten Morgen https://t.co/x") == is_heldout("Guten Morgen")


def test_register_variant_keeps_the_words():
    v = register_variant("Wo bleibt mein Paket?", 7)
    assert "Wo bleibt mein Paket?" in v and "@" in v
    assert shitstorm.analyze(v).tokens[-4:] == shitstorm.analyze("Wo bleibt mein Paket?").tokens[-4:] \
        or "#" in v or "https" in v


# --- measured on real posts the model never saw ----------------------------------------------------
@needs_shared
def test_held_out_real_tweets_raise_few_alarms_and_none_without_evidence(model):
    texts = list(read_real_posts(POTTS).part(heldout=True).texts)
    g = read_real_posts(GERMEVAL).part(heldout=True)
    texts += [t for t, off in zip(g.texts, g.offensive, strict=False) if not off]
    r = traffic_report(model.score_many(texts))
    assert r["n"] > 3000
    assert r["pressure_flagged"] <= MAX_PRESSURE_FLAGGED
    assert r["critical"] <= MAX_CRITICAL
    assert r["escalation_ge_0_5"] <= MAX_ESCALATION_GE_HALF
    assert r["alarms_without_reason"] == 0


def test_every_alarm_on_the_test_split_names_evidence(model):
    from shitstorm.train.dataset import read_labelled_csv

    test = read_labelled_csv(sorted((ROOT / "training" / "data").glob("test_*.csv")))
    for scored in (model, shitstorm.load(base_rates="training")):
        alarms = [s for s in scored.score_many(list(test.texts)) if is_alarm(s)]
        assert alarms and all(s.reasons for s in alarms)
