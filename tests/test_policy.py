"""``shitstorm/policy.py``, triage: the default policy, context rules, routes, the stable tag and advice vocabularies, and
policy files that are wrong in every way a team could get them wrong."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import shitstorm
from shitstorm import Context, Policy, PolicyError, Score, triage
from shitstorm.policy import ADVICE_IDS, TAG_VOCABULARY, parse_advice
from shitstorm.schema import PiiFinding, Reason


def make_score(level="none", pressure=0.0, cues=(), pii=(), negated=(), flags=()):
    reasons = tuple(Reason(c, c, 0, 1, c in negated) for c in cues)
    findings = tuple(PiiFinding(k, "x", 0, 1) for k in pii)
    esc = {"none": 0.01, "low": 0.1, "elevated": 0.7, "critical": 0.95}[level]
    return Score(esc, level, pressure, reasons, "test", tuple(flags), findings)


# --- priorities and answer times ----------------------------------------------------------------
@pytest.mark.parametrize("level, priority, minutes", [
    ("critical", "P1", 30), ("elevated", "P2", 120), ("low", "P3", 480), ("none", "P4", 1440),
])
def test_default_policy_by_level(level, priority, minutes):
    t = triage(make_score(level))
    assert (t.priority, t.respond_within) == (priority, minutes)


def test_publicity_pressure_is_p1_whatever_the_level():
    t = triage(make_score("low", pressure=0.8, cues=["publicity_reviews"]))
    assert t.priority == "P1" and "publicity_pressure" in t.rules
    assert "shitstorm_publicity_pressure" in t.tags


def test_pressure_below_threshold_does_not_count():
    assert triage(make_score("low", pressure=0.3)).priority == "P3"


def test_cues_the_model_judged_harmless_raise_nothing():
    # "Hab in der Zeitung gelesen, dass ihr neue Tarife habt": a press cue at level none
    t = triage(make_score("none", cues=["publicity_media"]))
    assert (t.priority, t.route) == ("P4", "community")
    assert "shitstorm_cue__publicity_media" in t.tags  # still shown: the tag describes the text
    assert triage(make_score("none", cues=["safety_harm"])).priority == "P4"
    # a calm question about a lawyer (low) stays with the community team, an angry one does not
    assert triage(make_score("low", cues=["legal_threat"])).route == "community"
    assert triage(make_score("elevated", cues=["legal_threat"])).route == "legal_pr"


def test_cue_floor_and_negated_cues():
    assert triage(make_score("low", cues=["safety_harm"])).priority == "P1"
    # "ich will nicht gleich mit dem Anwalt drohen": a negated cue raises nothing
    t = triage(make_score("low", cues=["legal_threat"], negated=["legal_threat"]))
    assert t.priority == "P3" and "shitstorm_cue__legal_threat" not in t.tags


def test_personal_data_needs_prompt_hiding():
    t = triage(make_score("none", pii=["iban"]))
    assert t.priority == "P2" and "shitstorm_pii__iban" in t.tags
    assert {"pii_move_to_private", "pii_hide_never_repeat"} <= {a.id for a in t.advice}


# --- context ------------------------------------------------------------------------------------
def test_without_context_the_text_alone_decides():
    assert triage(make_score("low"), context=None) == triage(make_score("low"), context={})


def test_large_reach_raises_one_step():
    t = triage(make_score("low"), context={"followers": 25_000})
    assert t.priority == "P2" and "context:reach" in t.rules and "shitstorm_context__reach" in t.tags


def test_fast_growing_engagement_raises_one_step():
    # 60 reactions in 10 minutes: 6 a minute, above the default 2
    assert triage(make_score("low"), context={"likes": 40, "shares": 15, "replies": 5,
                                              "minutes_since_post": 10}).priority == "P2"
    # the same 60 reactions over two days: not growing fast, not large reach
    assert triage(make_score("low"), context={"likes": 40, "shares": 15, "replies": 5,
                                              "minutes_since_post": 2880}).priority == "P3"


def test_third_contact_raises_one_step_and_stacks_with_reach():
    assert triage(make_score("low"), context={"earlier_contacts": 1}).priority == "P3"
    assert triage(make_score("low"), context={"earlier_contacts": 2}).priority == "P2"
    t = triage(make_score("low"), context=Context(followers=50_000, earlier_contacts=4))
    assert t.priority == "P1" and t.respond_within == 30
    assert triage(make_score("critical"), context={"followers": 50_000}).priority == "P1"  # P1 is the top


@pytest.mark.parametrize("ctx, message", [
    ({"follower": 10}, "unknown key.*follower"),
    ({"followers": -1}, "followers"),
    ({"likes": "viele"}, "likes"),
    ({"likes": True}, "likes"),
    ({"channel": "myspace"}, "channel"),
    ({"minutes_since_post": float("nan")}, "minutes_since_post"),
])
def test_bad_context_is_a_clear_error(ctx, message):
    with pytest.raises(ValueError, match=message):
        triage(make_score("low"), context=ctx)


# --- routes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("score, route", [
    (make_score("none", cues=["gratitude"]), "community"),
    (make_score("low"), "community"),
    (make_score("elevated", cues=["repeat_failure"]), "second_level"),
    (make_score("low", cues=["money_loss"]), "second_level"),
    (make_score("critical", cues=["legal_threat"]), "legal_pr"),
    (make_score("critical", pressure=0.9, cues=["publicity_media"]), "legal_pr"),
    (make_score("critical", cues=["insult"]), "second_level"),
])
def test_routes(score, route):
    assert triage(score).route == route


# --- tags and advice: stable vocabularies --------------------------------------------------------
PINNED_TAGS = ["shitstorm_level__none", "shitstorm_level__low", "shitstorm_level__elevated", "shitstorm_level__critical", "shitstorm_priority__p1", "shitstorm_priority__p2", "shitstorm_priority__p3", "shitstorm_priority__p4", "shitstorm_route__community", "shitstorm_route__second_level", "shitstorm_route__legal_pr", "shitstorm_publicity_pressure", "shitstorm_cue__publicity_media", "shitstorm_cue__publicity_reviews", "shitstorm_cue__publicity_viral", "shitstorm_cue__mobilization", "shitstorm_cue__ultimatum", "shitstorm_cue__legal_threat", "shitstorm_cue__regulator", "shitstorm_cue__churn_threat", "shitstorm_cue__insult", "shitstorm_cue__profanity", "shitstorm_cue__shouting", "shitstorm_cue__sarcasm", "shitstorm_cue__repeat_failure", "shitstorm_cue__waiting_time", "shitstorm_cue__ignored_contact", "shitstorm_cue__money_loss", "shitstorm_cue__fraud_accusation", "shitstorm_cue__safety_harm", "shitstorm_cue__discrimination", "shitstorm_cue__data_protection", "shitstorm_cue__vulnerable_person", "shitstorm_cue__gratitude", "shitstorm_pii__phone", "shitstorm_pii__email", "shitstorm_pii__iban", "shitstorm_pii__payment_card", "shitstorm_pii__customer_number", "shitstorm_pii__contract_number", "shitstorm_pii__order_number", "shitstorm_pii__ticket_number", "shitstorm_pii__address", "shitstorm_pii__date_of_birth", "shitstorm_context__reach", "shitstorm_context__repeat_contact", "shitstorm_flag__empty", "shitstorm_flag__truncated", "shitstorm_flag__binary", "shitstorm_flag__html", "shitstorm_flag__not_german"]

PINNED_ADVICE = ["answer_fast", "answer_publicly_personally", "never_deflect_or_delete", "pressure_check_merits", "pressure_state_facts", "pressure_no_public_compensation", "pii_move_to_private", "pii_hide_never_repeat", "legal_hand_over", "insult_stay_factual", "safety_first", "data_protection_hand_over", "discrimination_take_seriously", "vulnerable_person_care", "own_the_case", "own_the_case_repeat_contact", "money_concrete_date", "wide_reach", "review_reply", "thank_back"]


def test_tag_vocabulary_is_stable():
    # Helpdesk triggers match these strings. Add new tags at the end of a group, never rename or
    # remove one: this test is the contract.
    missing = [t for t in PINNED_TAGS if t not in TAG_VOCABULARY]
    assert not missing, f"tags removed or renamed: {missing}"
    for t in TAG_VOCABULARY:
        assert t == t.lower() and " " not in t and t.startswith("shitstorm_")


def test_advice_ids_are_stable_and_documented():
    assert set(PINNED_ADVICE) <= set(ADVICE_IDS)
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for ident in ADVICE_IDS:
        assert f"`{ident}`" in readme, f"advice id {ident} is not documented in the README"
    for tag in ("shitstorm_level__critical", "shitstorm_cue__publicity_media", "shitstorm_pii__iban",
                "shitstorm_priority__p1"):
        assert tag in readme


def test_emitted_tags_are_in_the_vocabulary():
    s = make_score("critical", pressure=0.9, cues=["publicity_media", "insult"], pii=["phone"],
                   flags=["html"])
    t = triage(s, context={"followers": 10**6, "earlier_contacts": 5})
    assert set(t.tags) <= set(TAG_VOCABULARY)
    assert t.tags[:3] == ("shitstorm_level__critical", "shitstorm_priority__p1", "shitstorm_route__legal_pr")


def test_advice_follows_the_cues_in_german_and_english():
    s = make_score("critical", pressure=0.9, cues=["publicity_media", "insult"])
    de = triage(s)
    en = triage(s, lang="en")
    assert [a.id for a in de.advice] == [a.id for a in en.advice]
    ids = [a.id for a in de.advice]
    assert {"pressure_check_merits", "pressure_no_public_compensation", "insult_stay_factual"} <= set(ids)
    assert "thank_back" not in ids
    assert "öffentlich" in " ".join(a.text for a in de.advice)
    assert "compensation" in " ".join(a.text for a in en.advice)
    with pytest.raises(ValueError, match="lang"):
        triage(s, lang="fr")


def test_calm_question_gets_no_crisis_advice():
    t = triage(make_score("none"))
    assert t.advice == () and t.priority == "P4" and t.route == "community"


def test_review_channels_get_review_advice():
    t = triage(make_score("low"), context={"channel": "google_review"})
    assert "review_reply" in [a.id for a in t.advice]


def test_triage_of_a_real_score():
    s = shitstorm.score("Wenn ich bis morgen nichts höre, geht das an die BILD! Tel 0171 2345678")
    t = shitstorm.triage(s)
    assert t.priority == "P1" and t.route == "legal_pr"
    assert "shitstorm_pii__phone" in t.tags
    d = t.to_dict()
    assert set(d) == {"priority", "respond_within", "route", "tags", "advice", "rules"}


def test_triage_needs_a_score():
    with pytest.raises(TypeError, match="Score"):
        triage("Wenn ich bis morgen nichts höre")
    with pytest.raises(TypeError, match="Policy"):
        triage(make_score(), policy={"levels": {}})


# --- policy files --------------------------------------------------------------------------------
def write(tmp_path, text: str) -> Path:
    p = tmp_path / "team.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_team_file_overrides_only_what_it_sets(tmp_path):
    p = Policy.from_toml(write(tmp_path, '[respond_within]\nP1 = 15\n[levels]\nelevated = "P1"\n'))
    assert p.respond_within["P1"] == 15 and p.respond_within["P2"] == 120
    t = triage(make_score("elevated"), policy=p)
    assert (t.priority, t.respond_within) == ("P1", 15)


def test_team_file_can_change_cues_routes_and_context(tmp_path):
    p = Policy.from_toml(write(tmp_path, """
[cues]
churn_threat = "P2"
[context]
followers = 500
[routes.legal_pr]
cues = ["churn_threat"]
cue_min_level = "low"
"""))
    t = triage(make_score("low", cues=["churn_threat"]), policy=p, context={"followers": 600})
    assert t.priority == "P1" and t.route == "legal_pr"


@pytest.mark.parametrize("toml, message", [
    ('[respond_within]\nP5 = 10\n', r"unknown key 'respond_within.P5'"),
    ('[respond_witin]\nP1 = 10\n', r"unknown key 'respond_witin'"),
    ('[cues]\nlegal_thraet = "P1"\n', r"unknown key 'cues.legal_thraet' \(not a cue family"),
    ('[levels]\ncritical = "P0"\n', r"levels.critical = 'P0': expected one of P1, P2, P3, P4"),
    ('[respond_within]\nP1 = "30"\n', r"respond_within.P1 = '30': expected a whole number of minutes"),
    ('[respond_within]\nP1 = 0\n', r"respond_within.P1 = 0"),
    ('[respond_within]\nP2 = 5\n', r"must not shrink"),
    ('[publicity_pressure]\nthreshold = 1.5\n', r"publicity_pressure.threshold = 1.5: expected a probability"),
    ('[context]\nfollowers = -3\n', r"context.followers = -3"),
    ('[context]\nfollowers = true\n', r"context.followers = True"),
    ('[routes.legal_pr]\ncues = ["lawyer"]\n', r"routes.legal_pr.cues: unknown cue family 'lawyer'"),
    ('[routes.legal_pr]\nlevels = "critical"\n', r"routes.legal_pr.levels = 'critical': expected a list"),
    ('[routes.pr]\ncues = []\n', r"unknown key 'routes.pr'"),
    ('[cue_rules]\nmin_level = "high"\n', r"cue_rules.min_level = 'high': expected one of none, low"),
    ('cues = "P1"\n', r"cues must be a table"),
    ('[levels\ncritical = "P1"\n', r"not valid TOML"),
])
def test_broken_policy_files_name_the_key_and_the_file(tmp_path, toml, message):
    path = write(tmp_path, toml)
    with pytest.raises(PolicyError, match=message) as err:
        Policy.from_toml(path)
    assert str(path) in str(err.value)


def test_missing_and_binary_policy_files(tmp_path):
    with pytest.raises(PolicyError, match="not found"):
        Policy.from_toml(tmp_path / "nope.toml")
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PolicyError, match=str(bad)):
        Policy.from_toml(bad)


def test_policy_round_trips_and_pickles(tmp_path):
    p = Policy.from_toml(write(tmp_path, '[pii]\npriority = "P1"\n'))
    assert Policy.from_dict(p.to_dict(), source=p.source) == p
    assert pickle.loads(pickle.dumps(p)) == p
    assert Policy().to_dict() == Policy.from_dict({}).to_dict()


def test_shipped_default_policy_file_is_the_default():
    from importlib import resources

    path = resources.files("shitstorm").joinpath("triage_data/default_policy.toml")
    assert Policy.from_toml(Path(str(path))).to_dict() == Policy().to_dict()


def test_advice_table_is_checked_on_load():
    good = "id\twhen\tde\ten\na\talways\tx\ty\n"
    assert parse_advice(good)[0].id == "a"
    with pytest.raises(ValueError, match="unknown cue"):
        parse_advice("id\twhen\tde\ten\na\tcue:lawyer\tx\ty\n")
    with pytest.raises(ValueError, match="duplicate id"):
        parse_advice(good + "a\talways\tx\ty\n")
    with pytest.raises(ValueError, match="unknown condition"):
        parse_advice("id\twhen\tde\ten\na\tsometimes\tx\ty\n")


# --- the one check of a context (library, HTTP API, batch --context) ----------------------------
@pytest.mark.parametrize("name, value, text, expected", [
    ("followers", 12000, False, 12000),
    ("followers", 12000.0, False, 12000),  # JSON has one number type
    ("followers", " 12000 ", True, 12000),  # a CSV cell
    ("followers", "", True, None),
    ("followers", None, False, None),
    ("minutes_since_post", "2.5", True, 2.5),
    ("minutes_since_post", 10, False, 10.0),
    ("channel", " facebook ", True, "facebook"),
])
def test_context_values_are_read_the_same_everywhere(name, value, text, expected):
    from shitstorm.policy import context_value

    got = context_value(name, value, text=text)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("name, value, text", [
    ("followers", "12000", False),  # a string is a count only in a CSV cell
    ("followers", "viele", True), ("followers", "1.5", True), ("followers", 1.5, False),
    ("likes", True, False), ("shares", -4, False), ("minutes_since_post", float("inf"), False),
    ("minutes_since_post", "bald", True), ("channel", "myspace", False),
])
def test_bad_context_values_name_the_field_but_not_the_value(name, value, text):
    """Regression (issue 13, context validated three times): the API took the string ``"12"`` as a
    count and a Parquet ``1.5`` was cut to 1; now one check refuses both everywhere."""
    from shitstorm.policy import context_value

    with pytest.raises(ValueError, match=rf"^context\.{name}: must be") as exc:
        context_value(name, value, text=text)
    assert str(value).strip() not in str(exc.value).split("must be", 1)[1]


def test_context_takes_json_counts_and_rejects_unknown_keys():
    assert Context(followers=12000.0) == Context(followers=12000)
    with pytest.raises(ValueError, match="unknown key.*reach"):
        Context.from_dict({"reach": 3, 1: 2})
