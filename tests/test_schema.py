"""``shitstorm.schema``: a score's output defined once (``output_fields``, ``score_record``,
``csv_cells``) and the checks every caller shares (``pii_kinds``, ``whole_number``)."""

from __future__ import annotations

import json

import pytest

from shitstorm.schema import (
    OUTPUT_COLUMNS,
    OUTPUT_KINDS,
    PII_KINDS,
    PiiFinding,
    Reason,
    Score,
    csv_cells,
    output_fields,
    pii_kinds,
    score_record,
    whole_number,
)

POST = "Wenn ich bis morgen nichts höre, geht das an die BILD! IBAN DE89 3704 0044 0532 0130 00, Tel 0171 2345678"
SCORE = Score(
    escalation=0.987654321, level="critical", publicity_pressure=0.123456789,
    reasons=(Reason("ultimatum", "bis morgen", 9, 19), Reason("publicity_media", "an die BILD", 42, 53),
             Reason("churn_threat", "kündige", 0, 7, negated=True)),
    model_version="0.2.0+test", flags=("truncated",),
    pii=(PiiFinding("phone", "0171 2345678", 95, 107), PiiFinding("iban", "DE89 3704 0044 0532 0130 00", 60, 87),
         PiiFinding("phone", "0171 2345678", 95, 107)),
)


class FakeTriage:
    priority, respond_within, route = "P1", 30.0, "legal_pr"
    tags = ("shitstorm_level__critical", "shitstorm_priority__p1")

    def to_dict(self):
        return {"priority": self.priority, "respond_within": int(self.respond_within), "route": self.route,
                "tags": list(self.tags), "advice": [], "rules": ["level:critical"]}


def test_to_dict_is_the_record_in_field_order_and_json_safe():
    d = SCORE.to_dict()
    assert list(d) == [f.name for f in output_fields()] == [*OUTPUT_COLUMNS, "pii"]
    assert d["escalation"] == 0.9877 and d["publicity_pressure"] == 0.1235
    assert d["reasons"][2] == {"cue": "churn_threat", "text": "kündige", "start": 0, "end": 7, "negated": True}
    assert d["pii"][0] == {"kind": "phone", "text": "0171 2345678", "start": 95, "end": 107}
    assert json.loads(json.dumps(d)) == d


def test_output_columns_name_flags_too():  # the docstring once said flags came on top
    """Regression (issue 13, drifted docstrings): ``schema.OUTPUT_COLUMNS`` omitted ``flags``."""
    assert OUTPUT_COLUMNS == ("escalation", "level", "publicity_pressure", "reasons", "model_version", "flags")
    assert {f.kind for f in output_fields(pii=True, triage=True)} == set(OUTPUT_KINDS)


def test_record_forms_for_files_and_payloads():
    typed = score_record(SCORE, FakeTriage(), pii="kinds", exact=True)
    assert typed["escalation"] == 0.987654321 and typed["pii"] == ["phone", "iban"]
    assert list(typed)[-4:] == ["priority", "respond_within", "route", "tags"]
    assert typed["respond_within"] == 30 and isinstance(typed["respond_within"], int)
    private = score_record(SCORE, pii="spans", reason_text=False)
    assert private["pii"][1] == {"kind": "iban", "start": 60, "end": 87}
    assert all("text" not in r for r in private["reasons"])
    assert "0171" not in json.dumps(private) and "BILD" not in json.dumps(private)
    assert "pii" not in score_record(SCORE, pii=None)


def test_csv_cells_are_one_line_each():
    record = {**SCORE.to_dict(), "triage": FakeTriage().to_dict()}
    cells = csv_cells(record, pii=True, triage=True)
    assert list(cells) == [f.name for f in output_fields(pii=True, triage=True)]
    assert cells["reasons"] == ("ultimatum:bis morgen; publicity_media:an die BILD; "
                                "churn_threat:kündige (negated)")
    assert cells["flags"] == "truncated" and cells["pii"] == "phone;iban"
    assert cells["tags"] == "shitstorm_level__critical shitstorm_priority__p1"
    assert cells["escalation"] == 0.9877 and cells["respond_within"] == 30
    assert list(csv_cells(record)) == list(OUTPUT_COLUMNS)


def test_pii_kinds_each_once_in_the_fixed_order():
    assert pii_kinds(["phone", "email", "phone", "iban"]) == ["phone", "email", "iban"]
    assert pii_kinds(reversed(PII_KINDS)) == list(PII_KINDS)
    assert pii_kinds([]) == []


@pytest.mark.parametrize("value, minimum, exact_floats, expected", [
    (0, 0, False, 0), (5, 1, False, 5), (0, 1, False, None), (-3, 0, False, None),
    (True, 0, False, None), (False, 0, False, None), ("12", 0, False, None), (None, 0, False, None),
    (12000.0, 0, False, None), (12000.0, 0, True, 12000), (1.5, 0, True, None),
    (float("nan"), 0, True, None), (float("inf"), 0, True, None),
])
def test_whole_number_is_the_one_at_least_check(value, minimum, exact_floats, expected):
    got = whole_number(value, minimum, exact_floats=exact_floats)
    assert got == expected and type(got) is type(expected)


def test_every_kind_has_an_arrow_type_and_a_pandas_dtype():
    pytest.importorskip("pyarrow")
    from shitstorm.arrow import ARROW_TYPES
    from shitstorm.frame import DTYPES

    assert set(ARROW_TYPES) == set(DTYPES) == set(OUTPUT_KINDS)
