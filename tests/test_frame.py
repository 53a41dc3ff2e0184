"""``shitstorm.score_frame``: the score columns on a pandas DataFrame."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import shitstorm
from shitstorm.frame import PII_DTYPE, SCORE_DTYPES, TRIAGE_DTYPES, score_frame

POSTS = ["Wenn ich bis morgen nichts höre, geht das an die BILD! Tel. 0171 2345678",
         None,
         "Danke für die schnelle Hilfe, alles bestens!",
         math.nan,
         "Schon wieder kein Paket!!! Zum dritten Mal diese Woche."]


@pytest.fixture()
def posts() -> pd.DataFrame:
    return pd.DataFrame({"kanal": ["facebook", "x", "x", "forum", "facebook"], "beitrag": POSTS},
                        index=pd.Index([101, 205, 7, 42, 9], name="post_id"))


def test_columns_are_appended_with_the_parquet_names_and_types(posts, tiny_model):
    out = score_frame(posts, text="beitrag", pii=True, triage=True, model=tiny_model)
    expected = list(SCORE_DTYPES) + [PII_DTYPE] + list(TRIAGE_DTYPES)
    assert list(out.columns) == ["kanal", "beitrag"] + [name for name, _ in expected]
    for name, dtype in expected:
        assert out[name].dtype == pd.api.types.pandas_dtype(dtype), name
    assert out.index.equals(posts.index) and out.index.name == "post_id"
    assert list(posts.columns) == ["kanal", "beitrag"]  # the input is not changed


def test_same_numbers_as_score_many_and_missing_text_is_empty(posts, tiny_model):
    out = score_frame(posts, text="beitrag", pii=True, model=tiny_model)
    texts = ["" if not isinstance(t, str) else t for t in POSTS]
    expected = tiny_model.score_many(texts)
    assert out["escalation"].tolist() == [s.escalation for s in expected]
    assert out["level"].tolist() == [s.level for s in expected]
    assert out.loc[205, "flags"] == ["empty"] and out.loc[42, "level"] == "none"
    assert out.loc[101, "pii"] == ["phone"]
    assert {r["cue"] for r in out.loc[101, "reasons"]} >= {"publicity_media"}
    assert set(out.loc[101, "reasons"][0]) == {"cue", "text", "start", "end", "negated"}


def test_works_with_pipe_and_the_bundled_model():
    df = pd.DataFrame({"text": ["Mein Anwalt meldet sich bei Ihnen.", "Danke für die schnelle Hilfe!"]})
    out = df.pipe(shitstorm.score_frame)
    assert out.loc[0, "escalation"] > out.loc[1, "escalation"]
    assert "pii" not in out.columns and "priority" not in out.columns


def test_triage_columns_follow_the_policy(posts, tiny_model):
    out = posts.pipe(score_frame, text="beitrag", triage=True, model=tiny_model)
    assert out["priority"].isin(["P1", "P2", "P3", "P4"]).all()
    assert out.loc[205, "priority"] == "P4" and out.loc[205, "respond_within"] == 1440
    assert all(isinstance(t, list) and t for t in out["tags"])


def test_empty_frame_gives_typed_empty_columns(tiny_model):
    out = score_frame(pd.DataFrame({"text": pd.Series([], dtype="string")}), model=tiny_model)
    assert len(out) == 0 and out["escalation"].dtype == "float64" and out["level"].dtype == "string"


def test_bad_input_is_a_clear_error(posts, tiny_model):
    with pytest.raises(KeyError, match="no column 'text'.*text="):
        score_frame(posts, model=tiny_model)
    with pytest.raises(TypeError, match="DataFrame, not list"):
        score_frame(POSTS, model=tiny_model)
    with pytest.raises(TypeError, match=r"holds int at index 2.*astype"):
        score_frame(pd.DataFrame({"text": ["gut", "schlecht", 3]}), model=tiny_model)
    scored = score_frame(posts, text="beitrag", model=tiny_model)
    with pytest.raises(ValueError, match="already has column.*level.*prefix="):
        score_frame(scored, text="beitrag", model=tiny_model)
    again = score_frame(scored, text="beitrag", prefix="neu_", model=tiny_model)
    assert again["neu_level"].tolist() == scored["level"].tolist()


def test_the_columns_convert_to_the_parquet_schema(posts, tiny_model):
    pa = pytest.importorskip("pyarrow")
    from shitstorm.arrow import score_schema

    out = score_frame(posts, text="beitrag", pii=True, triage=True, model=tiny_model)
    schema = score_schema(pii=True, triage=True)
    assert [name for name, _ in list(SCORE_DTYPES) + [PII_DTYPE] + list(TRIAGE_DTYPES)] == schema.names
    table = pa.Table.from_pandas(out[schema.names], schema=schema, preserve_index=False)
    assert table.schema.equals(schema) and table.num_rows == len(posts)
