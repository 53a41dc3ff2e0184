"""``shitstorm batch`` with Parquet in and out (issue #7), on the tiny model."""

import csv
import datetime as dt
import json
import sys

import pyarrow as pa  # the test extra installs it
import pyarrow.parquet as pq
import pytest

from shitstorm import batch as batch_module
from shitstorm import cli
from shitstorm.arrow import score_schema

from ._cli import run
from .conftest import TINY_CORPUS, write_csv
from .test_batch import PII_ROWS

POSTS = [t for t, _, _ in TINY_CORPUS]


def _typed_table(n: int) -> pa.Table:
    """``n`` posts with typed neighbour columns, a null text and an empty one among them."""
    texts = [POSTS[i % len(POSTS)] for i in range(n)]
    texts[1], texts[2] = None, ""
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "text": pa.array(texts, pa.string()),
        "posted": pa.array([dt.datetime(2025, 3, 1, 12, 0) + dt.timedelta(minutes=i) for i in range(n)],
                           pa.timestamp("s")),
        "verified": pa.array([i % 3 == 0 for i in range(n)]),
        "hashtags": pa.array([["bahn", "streik"] if i % 2 else [] for i in range(n)], pa.list_(pa.string())),
    })


def test_parquet_to_parquet_keeps_typed_columns_and_exact_scores(tiny_model, tiny_model_dir, tmp_path):
    src, out = tmp_path / "posts.parquet", tmp_path / "scored.parquet"
    pq.write_table(_typed_table(4_500), src, row_group_size=1_000)  # several chunks and row groups
    run("batch", str(src), "-o", str(out), "--pii", model=tiny_model_dir)
    table = pq.read_table(out)
    inp = pq.read_table(src)
    assert table.schema.names[:5] == inp.schema.names
    assert table.schema == pa.schema(list(inp.schema) + list(score_schema(pii=True)))
    assert table.select(inp.schema.names).equals(inp)
    texts = ["" if t is None else t for t in inp.column("text").to_pylist()]
    expected = tiny_model.score_many(texts)
    rows = table.to_pylist()
    # not rounded: Parquet carries exactly what score_many returns
    assert [r["escalation"] for r in rows] == [s.escalation for s in expected]
    assert [r["publicity_pressure"] for r in rows] == [s.publicity_pressure for s in expected]
    assert [r["level"] for r in rows] == [s.level for s in expected]
    assert [r["reasons"] for r in rows] == [[{"cue": x.cue, "text": x.text, "start": x.start, "end": x.end,
                                             "negated": x.negated} for x in s.reasons] for s in expected]
    assert rows[1]["flags"] == ["empty"] and rows[1]["level"] == "none" and rows[1]["escalation"] == 0.0
    assert rows[2]["flags"] == ["empty"]
    assert {r["model_version"] for r in rows} == {tiny_model.version}


def test_parquet_parallel_equals_serial(tiny_model_dir, tmp_path):
    src = tmp_path / "posts.parquet"
    pq.write_table(_typed_table(4_100), src)
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    run("batch", str(src), "-o", str(a), "--triage", model=tiny_model_dir)
    run("batch", str(src), "-o", str(b), "--triage", "--jobs", "2", model=tiny_model_dir)
    assert pq.read_table(a).equals(pq.read_table(b))


def test_csv_to_parquet_and_back_to_csv(tiny_model_dir, tmp_path):
    src = write_csv(tmp_path / "in.csv", [("1", "Danke für die Hilfe", "fb"), ("2", "Mein Anwalt, Betrug!", "x")],
                    header=("id", "text", "channel"))
    out = tmp_path / "out.parquet"
    run("batch", str(src), "-o", str(out), model=tiny_model_dir)
    table = pq.read_table(out)
    assert table.schema.field("id").type == pa.string()  # CSV cells stay strings
    assert table.column("id").to_pylist() == ["1", "2"] and table.column("channel").to_pylist() == ["fb", "x"]
    assert table.schema.field("reasons").type == score_schema().field("reasons").type
    assert "pii" not in table.schema.names  # as for CSV: only with --pii
    back = tmp_path / "back.csv"
    run("batch", str(out), "-o", str(back), "--text-column", "text", "--prefix", "neu_", model=tiny_model_dir)
    with open(back, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:3] == ["id", "text", "channel"] and "neu_level" in rows[0]
    assert json.loads(rows[1]["reasons"])[0]["cue"] in {"legal_threat", "fraud_accusation"}


def test_parquet_to_jsonl_and_jsonl_to_parquet(tiny_model_dir, tmp_path):
    src = tmp_path / "posts.parquet"
    pq.write_table(_typed_table(5), src)
    out = tmp_path / "out.jsonl"
    run("batch", str(src), "-o", str(out), model=tiny_model_dir)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == 0 and rows[0]["posted"] == "2025-03-01T12:00:00" and rows[1]["hashtags"] == ["bahn", "streik"]
    assert rows[1]["text"] is None and rows[1]["shitstorm"]["flags"] == ["empty"]
    lines = [{"id": 1, "text": "Frechheit!!!", "likes": None}, {"id": 2, "text": "Danke", "likes": 12}]
    jsrc = tmp_path / "in.jsonl"
    jsrc.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    pout = tmp_path / "from_jsonl.parquet"
    run("batch", str(jsrc), "-o", str(pout), model=tiny_model_dir)
    table = pq.read_table(pout)
    assert table.schema.field("id").type == pa.int64()
    assert table.column("likes").to_pylist() == [None, 12] and table.schema.field("likes").type == pa.int64()


def test_jsonl_to_parquet_names_lines_that_do_not_fit_the_first_types(tiny_model_dir, tmp_path):
    lines = [{"text": "Danke", "likes": 5}] * 2_000 + [{"text": "Frechheit", "likes": "viele"}]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    src.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    p = run("batch", str(src), "-o", str(out), model=tiny_model_dir, check=False)
    assert p.returncode == 1 and "lines 2001-2001" in p.stderr and "one type per column" in p.stderr
    assert not out.exists()


def test_parquet_redact_triage_context(tiny_model_dir, tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({
        "id": [r[0] for r in PII_ROWS], "text": [r[1] for r in PII_ROWS], "channel": [r[2] for r in PII_ROWS],
        "followers": pa.array([120_000, None, 15], pa.int64()), "earlier_contacts": pa.array([2, None, 0], pa.int32()),
    }), src)
    out = tmp_path / "out.parquet"
    run("batch", str(src), "-o", str(out), "--redact", "--pii", "--triage", "--context", model=tiny_model_dir)
    table = pq.read_table(out)
    flat = json.dumps(table.to_pylist(), ensure_ascii=False, default=str)
    assert "2345678" not in flat and "4711-0815" not in flat and "DE89" not in flat
    rows = table.to_pylist()
    assert rows[0]["text"] == "Ruft mich an: [TELEFON], Kd-Nr. [KUNDENNUMMER]"
    assert rows[0]["pii"] == ["phone", "customer_number"] and rows[1]["pii"] == []
    assert rows[0]["priority"] == "P1" and "shitstorm_context__reach" in rows[0]["tags"]
    assert table.schema.field("respond_within").type == pa.int32()
    assert table.schema.field("followers").type == pa.int64()
    assert "original_text" not in table.schema.names
    kept = tmp_path / "kept.parquet"
    run("batch", str(src), "-o", str(kept), "--redact", "--keep-original", model=tiny_model_dir)
    assert pq.read_table(kept).column("original_text").to_pylist()[0] == PII_ROWS[0][1]


def test_empty_parquet_gives_a_valid_file_with_all_columns(tiny_model_dir, tmp_path):
    src, out = tmp_path / "empty.parquet", tmp_path / "out.parquet"
    pq.write_table(_typed_table(3).slice(0, 0), src)
    run("batch", str(src), "-o", str(out), "--triage", model=tiny_model_dir)
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.schema.names[-4:] == ["priority", "respond_within", "route", "tags"]


def test_parquet_row_groups_are_bounded(tiny_model_dir, tmp_path, monkeypatch):
    src, out = tmp_path / "posts.parquet", tmp_path / "out.parquet"
    pq.write_table(_typed_table(5_000), src)
    monkeypatch.setattr(batch_module, "PARQUET_ROW_GROUP_ROWS", 2_000)
    assert cli.main(["batch", str(src), "-o", str(out), "--model", str(tiny_model_dir), "--quiet"]) == 0
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == 5_000 and meta.num_row_groups == 3


@pytest.mark.parametrize("make,msg,code", [
    (lambda p: p.write_bytes(b"PAR1 das ist kein Parquet"), "not a readable Parquet file", 1),
    (lambda p: pq.write_table(pa.table({"id": [1], "body": ["Hallo"]}), p), "no column 'text'", 2),
    (lambda p: pq.write_table(pa.table({"text": [1, 2]}), p), "column 'text' is int64, not a string column", 2),
])
def test_bad_parquet_is_one_clear_line_and_writes_nothing(tiny_model_dir, tmp_path, make, msg, code):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    make(src)
    p = run("batch", str(src), "-o", str(out), model=tiny_model_dir, check=False)
    assert p.returncode == code and msg in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob(".*.part"))


def test_a_bad_row_late_in_a_parquet_file_leaves_no_output(tiny_model_dir, tmp_path):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    followers = ["10"] * 4_999 + ["viele"]
    pq.write_table(pa.table({"text": ["Danke"] * 5_000, "followers": followers}), src)
    p = run("batch", str(src), "-o", str(out), "--triage", "--context", model=tiny_model_dir, check=False)
    assert p.returncode == 1 and "row 5000" in p.stderr and "followers" in p.stderr
    assert not out.exists() and not list(tmp_path.glob(".*.part"))


def test_parquet_from_stdin_is_a_usage_error(tiny_model_dir):
    p = run("batch", "-", "--input-format", "parquet", model=tiny_model_dir, check=False)
    assert p.returncode == 2 and "not stdin" in p.stderr


def test_without_pyarrow_parquet_says_what_to_install(tiny_model_dir, tmp_path, monkeypatch, capsys):
    src = write_csv(tmp_path / "in.csv", [("1", "Danke")], header=("id", "text"))
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    code = cli.main(["batch", str(src), "-o", str(tmp_path / "out.parquet"), "--model", str(tiny_model_dir)])
    assert code == 1 and "pip install 'shitstorm[parquet]'" in capsys.readouterr().err
    assert not (tmp_path / "out.parquet").exists()


def test_parquet_to_stdout_when_it_is_not_a_terminal(tiny_model_dir, tmp_path):
    import io

    src = write_csv(tmp_path / "in.csv", [("1", "Frechheit!!!"), ("2", "Danke")], header=("id", "text"))
    p = run("batch", str(src), "--output-format", "parquet", model=tiny_model_dir)
    table = pq.read_table(io.BytesIO(p.stdout_bytes))
    assert table.column("id").to_pylist() == ["1", "2"] and table.num_rows == 2
