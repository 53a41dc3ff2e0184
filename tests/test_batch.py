"""``shitstorm/batch.py`` (``shitstorm batch``, ``shitstorm.batch.score_file``): CSV, JSON lines,
Excel and Parquet (issue 7) in and out, in process on the tiny model. The Arrow types of the
score columns are ``shitstorm/arrow.py``'s, checked here on the files ``batch`` writes."""

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

from ._cli import no_part_files, run
from .conftest import TINY_CORPUS, write_csv


def test_batch_csv_keeps_columns_and_appends_scores(tiny_model_dir, tmp_path):
    src = write_csv(tmp_path / "in.csv", [("1", "Danke für die Hilfe", "fb"), ("2", "Mein Anwalt, Betrug!", "x"),
                                          ("3", "Zeile mit\nUmbruch, \"Zitat\"", "x")],
                    header=("id", "text", "channel"))
    out = tmp_path / "out.csv"
    run("batch", str(src), "-o", str(out), "--text-column", "text", model=tiny_model_dir)
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[2]["text"] == "Zeile mit\nUmbruch, \"Zitat\""
    assert list(rows[0])[:3] == ["id", "text", "channel"]
    assert {"escalation", "level", "publicity_pressure", "reasons", "model_version", "flags"} <= set(rows[0])


def test_batch_jsonl_stdin_to_stdout(tiny_model_dir):
    lines = "\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate(["Danke", "Frechheit!!!"]))
    p = run("batch", "-", "--input-format", "jsonl", model=tiny_model_dir, stdin=lines)
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o["id"] for o in out] == [0, 1] and "level" in out[1]["shitstorm"]


def test_batch_parallel_equals_serial(tiny_model_dir, tmp_path):
    rows = [(str(i), t) for i, (t, _, _) in enumerate(TINY_CORPUS)]
    src = write_csv(tmp_path / "in.csv", rows * 3, header=("id", "text"))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run("batch", str(src), "-o", str(a), model=tiny_model_dir)
    run("batch", str(src), "-o", str(b), "--jobs", "2", model=tiny_model_dir)
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")


@pytest.mark.parametrize("content,msg", [
    ("id,body\n1,Hallo\n", "no column 'text'"),
    ("", "empty input"),
    ("id,text\n1,Hallo,zuviel\n", "in.csv:2: 3 fields, the header has 2"),
])
def test_batch_bad_csv_fails_clearly_and_writes_nothing(tiny_model_dir, tmp_path, content, msg):
    src = tmp_path / "in.csv"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    p = run("batch", str(src), "-o", str(out), model=tiny_model_dir, check=False)
    assert p.returncode != 0 and msg in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()


def test_batch_jsonl_bad_line(tiny_model_dir):
    p = run("batch", "-", "--input-format", "jsonl", model=tiny_model_dir, stdin='{"text": "ok"}\n{kaputt\n',
            check=False)
    assert p.returncode == 1 and "-:2: not valid JSON" in p.stderr


def test_batch_scores_a_huge_cell_instead_of_failing(tiny_model_dir, tmp_path):
    src = write_csv(tmp_path / "huge.csv", [("1", "Frechheit! " * 500_000), ("2", "Danke")], header=("id", "text"))
    out = tmp_path / "out.csv"
    run("batch", str(src), "-o", str(out), model=tiny_model_dir)
    csv.field_size_limit(2**31 - 1)
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["flags"] == "truncated" and len(rows[0]["text"]) == 5_500_000


# --- personal data and triage in the CLI (issue #5) -------------------------------------------
PII_ROWS = [("1", "Ruft mich an: 0171 2345678, Kd-Nr. 4711-0815", "facebook", "120000", "2"),
            ("2", "Danke für die schnelle Hilfe!", "x", "", ""),
            ("3", "Wenn ich bis morgen nichts höre, geht das an die BILD! IBAN DE89 3704 0044 0532 0130 00",
             "facebook", "15", "0")]


def _pii_csv(tmp_path):
    return write_csv(tmp_path / "in.csv", PII_ROWS, header=("id", "text", "channel", "followers",
                                                             "earlier_contacts"))


def test_batch_redact_never_writes_the_original(tiny_model_dir, tmp_path):
    out = tmp_path / "out.csv"
    run("batch", str(_pii_csv(tmp_path)), "-o", str(out), "--redact", "--pii", model=tiny_model_dir)
    data = out.read_text(encoding="utf-8")
    assert "2345678" not in data and "4711-0815" not in data and "DE89" not in data
    rows = list(csv.DictReader(data.splitlines()))
    assert rows[0]["text"] == "Ruft mich an: [TELEFON], Kd-Nr. [KUNDENNUMMER]"
    assert rows[0]["pii"] == "phone;customer_number" and rows[1]["pii"] == ""
    assert rows[1]["text"] == "Danke für die schnelle Hilfe!"
    assert "original_text" not in rows[0]


def test_batch_redact_keeps_the_original_only_when_asked(tiny_model_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    run("batch", str(_pii_csv(tmp_path)), "-o", str(out), "--redact", "--keep-original",
        model=tiny_model_dir)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["text"].startswith("Ruft mich an: [TELEFON]")
    assert rows[0]["original_text"] == PII_ROWS[0][1]
    # the scores do not carry the data either: findings keep kind and offsets only
    assert rows[0]["shitstorm"]["pii"][0] == {"kind": "phone", "text": "[TELEFON]", "start": 14, "end": 26}


def test_batch_triage_columns_and_context(tiny_model_dir, tmp_path):
    out = tmp_path / "out.csv"
    run("batch", str(_pii_csv(tmp_path)), "-o", str(out), "--triage", "--context", model=tiny_model_dir)
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert list(rows[0])[-4:] == ["priority", "respond_within", "route", "tags"]
    # row 1: personal data (P2 floor), then reach and a third contact: two steps up
    assert rows[0]["priority"] == "P1" and "shitstorm_context__reach" in rows[0]["tags"].split()
    assert "shitstorm_pii__phone" in rows[0]["tags"].split()
    assert rows[2]["priority"] == "P1" and rows[2]["respond_within"] == "30"


def test_batch_triage_with_policy_and_parallel_equals_serial(tiny_model_dir, tmp_path):
    policy = tmp_path / "team.toml"
    policy.write_text('[respond_within]\nP1 = 10\n', encoding="utf-8")
    src = _pii_csv(tmp_path)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run("batch", str(src), "-o", str(a), "--triage", "--policy", str(policy), model=tiny_model_dir)
    run("batch", str(src), "-o", str(b), "--triage", "--policy", str(policy), "--jobs", "2",
        model=tiny_model_dir)
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")
    rows = list(csv.DictReader(a.read_text(encoding="utf-8").splitlines()))
    assert rows[2]["respond_within"] == "10"


def test_batch_broken_policy_is_a_usage_error(tiny_model_dir, tmp_path):
    policy = tmp_path / "team.toml"
    policy.write_text('[cues]\nlawyer = "P1"\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    p = run("batch", str(_pii_csv(tmp_path)), "-o", str(out), "--triage", "--policy", str(policy),
            model=tiny_model_dir, check=False)
    assert p.returncode == 2 and "cues.lawyer" in p.stderr and str(policy) in p.stderr
    assert not out.exists()


def test_batch_bad_context_value_names_the_row(tiny_model_dir, tmp_path):
    src = write_csv(tmp_path / "in.csv", [("1", "Hallo", "viele")], header=("id", "text", "followers"))
    p = run("batch", str(src), "--triage", "--context", model=tiny_model_dir, check=False)
    assert p.returncode == 1 and "in.csv:2" in p.stderr and "followers" in p.stderr


@pytest.mark.parametrize("content, line", [
    ('id,text\n1,"Ihr seid Betrüger\n2,Danke für die Hilfe\n3,"Anwalt ist informiert"\n', "2-4"),  # stray quote
    ('id,text\n1,Danke\n2,"Anwalt ist informiert\n', "3"),  # unclosed quote at the end of the file
])
def test_issue12_item1_malformed_csv_is_an_error_naming_file_and_line(tiny_model_dir, tmp_path, content, line):
    src = tmp_path / "posts.csv"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    p = run("batch", str(src), "-o", str(out), "--quiet", model=tiny_model_dir, check=False)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert f"posts.csv:{line}: malformed CSV" in p.stderr
    assert not out.exists() and no_part_files(tmp_path)


def test_issue12_item2_jsonl_without_the_text_field_is_an_error(tiny_model_dir, tmp_path):
    src = tmp_path / "posts.jsonl"
    src.write_text('{"id": 1, "text": null}\n{"id": 2, "message": "Betrug! Ich gehe zur BILD"}\n', encoding="utf-8")
    p = run("batch", str(src), "--quiet", model=tiny_model_dir, check=False)
    assert p.returncode == 2
    assert "posts.jsonl:2: no field 'text' (fields: 'id', 'message')" in p.stderr
    # null stays an empty post
    src.write_text('{"id": 1, "text": null}\n', encoding="utf-8")
    out = json.loads(run("batch", str(src), "--quiet", model=tiny_model_dir).stdout)
    assert out["shitstorm"]["flags"] == ["empty"]


def test_issue12_item3_output_equal_to_input_is_refused(tiny_model_dir, tmp_path):
    src = write_csv(tmp_path / "in.csv", [("1", "Tel 0171 2345678")], header=("id", "text"))
    before = src.read_bytes()
    for target in (str(src), str(tmp_path / "." / "in.csv")):
        p = run("batch", str(src), "-o", target, "--redact", model=tiny_model_dir, check=False)
        assert p.returncode == 2 and "is the input file" in p.stderr
    assert src.read_bytes() == before


def test_issue12_item11_latin1_input_says_not_utf8_and_encoding_reads_it(tiny_model_dir, tmp_path):
    src = tmp_path / "latin.csv"
    src.write_bytes("id,text\n1,Danke\n2,Grüße aus Köln\n".encode("latin-1"))
    p = run("batch", str(src), "--quiet", model=tiny_model_dir, check=False)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "latin.csv:3: not UTF-8" in p.stderr and "--encoding" in p.stderr
    rows = list(csv.DictReader(run("batch", str(src), "--quiet", "--encoding", "latin-1",
                                   model=tiny_model_dir).stdout.splitlines()))
    assert [r["text"] for r in rows] == ["Danke", "Grüße aus Köln"]


@pytest.mark.parametrize("target, msg", [("missing/dir/x.csv", "does not exist"), ("adir", "is a directory")])
def test_issue12_item11_unwritable_output_fails_before_scoring(tiny_model_dir, tmp_path, target, msg):
    (tmp_path / "adir").mkdir()
    src = write_csv(tmp_path / "in.csv", [("1", "Danke")], header=("id", "text"))
    p = run("batch", str(src), "-o", str(tmp_path / target), model=tiny_model_dir, check=False)
    assert p.returncode == 2 and msg in p.stderr and "Traceback" not in p.stderr
    assert no_part_files(tmp_path) and no_part_files(tmp_path / "adir")


@pytest.mark.parametrize("line, msg", [
    ('{"text": "a", "n": ' + "1" * 5000 + "}", "JSON value out of range"),
    ('{"text": "a", "n": ' + "[" * 10_000 + "]" * 10_000 + "}", "JSON nested too deeply"),
])
def test_issue12_item11_huge_or_deep_json_is_one_line(tiny_model_dir, tmp_path, line, msg):
    src = tmp_path / "x.jsonl"
    src.write_text(line + "\n", encoding="utf-8")
    p = run("batch", str(src), model=tiny_model_dir, check=False)
    assert p.returncode == 1 and f"x.jsonl:1: {msg}" in p.stderr and "Traceback" not in p.stderr


def test_issue12_item11_full_disk_is_one_message_and_leaves_no_part(tiny_model_dir, tmp_path, monkeypatch, capsys):
    import errno

    class FullDisk:
        def __init__(self, path, *a, **k):
            self.f = open(path, *a, **k)  # noqa: SIM115 - closed by the wrapper

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.f.close()
            raise OSError(errno.ENOSPC, "No space left on device")

    src = write_csv(tmp_path / "in.csv", [("1", "Danke")], header=("id", "text"))
    out = tmp_path / "out.csv"
    out.write_text("old output\n", encoding="utf-8")
    monkeypatch.setattr(batch_module, "open", FullDisk, raising=False)
    code = cli.main(["batch", str(src), "-o", str(out), "--quiet", "--model", str(tiny_model_dir)])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and err.count("\n") == 1
    assert out.read_text(encoding="utf-8") == "old output\n" and no_part_files(tmp_path)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.text(alphabet=st.sampled_from(list('ab ,"\n\r;\'ü')), max_size=12), max_size=8),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
def test_csv_rows_in_equal_rows_out_for_any_quoting(tiny_model_dir, tmp_path_factory, rows, quoting):
    d = tmp_path_factory.mktemp("q")
    with open(d / "in.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=quoting)
        w.writerow(["id", "text"])
        w.writerows([[i, t] for i, t in enumerate(rows)])
    assert cli.main(["batch", str(d / "in.csv"), "-o", str(d / "out.csv"), "--quiet",
                     "--model", str(tiny_model_dir)]) == 0
    with open(d / "out.csv", encoding="utf-8", newline="") as fh:
        out = list(csv.DictReader(fh))
    assert [r["text"] for r in out] == rows


# --- issue 15: German Excel files -------------------------------------------------------------
GERMAN_ROWS = [("1", "Schon wieder kein Paket; das ist eine Frechheit!", "facebook", "12000"),
               ("2", "Danke für die schnelle Hilfe, Grüße aus Köln", "x", ""),
               ("3", "Zeile mit\nUmbruch und \"Zitat\"; Straße", "instagram", "3")]
GERMAN_HEADER = ("id", "text", "channel", "followers")


def _excel_csv(path, encoding="cp1252", delimiter=";", bom=False):
    """The CSV German Excel writes ("CSV (Trennzeichen-getrennt)"): semicolons, Windows-1252."""
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(GERMAN_HEADER)
    w.writerows(GERMAN_ROWS)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode(encoding))
    return path


def _rows(path, delimiter=","):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_issue15_semicolon_cp1252_csv_is_sniffed_and_keeps_its_delimiter(tiny_model_dir, tmp_path):
    src = _excel_csv(tmp_path / "export.csv")
    p = run("batch", src, "-o", tmp_path / "out.csv", model=tiny_model_dir, check=False)
    assert p.returncode == 1 and "export.csv:3: not UTF-8" in p.stderr and "--encoding" in p.stderr
    run("batch", src, "-o", tmp_path / "out.csv", "--encoding", "cp1252", "--triage", "--context",
        model=tiny_model_dir)
    out = _rows(tmp_path / "out.csv", delimiter=";")
    # UTF-8 out, with the byte-order mark Excel needs to read it as UTF-8 (umlauts intact)
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbfid;")
    assert out[0][:4] == list(GERMAN_HEADER) and "escalation" in out[0] and "priority" in out[0]
    assert [r[:4] for r in out[1:]] == [list(r) for r in GERMAN_ROWS]  # a row in is a row out


def test_issue15_utf8_bom_tab_and_given_delimiter(tiny_model_dir, tmp_path):
    run("batch", _excel_csv(tmp_path / "bom.csv", "utf-8", bom=True), "-o", tmp_path / "a.csv", model=tiny_model_dir)
    assert _rows(tmp_path / "a.csv", ";")[0][0] == "id"  # the byte-order mark is not part of the name
    run("batch", _excel_csv(tmp_path / "in.tsv", "utf-8", delimiter="\t"), "-o", tmp_path / "b.tsv",
        model=tiny_model_dir)
    assert [r[:4] for r in _rows(tmp_path / "b.tsv", "\t")[1:]] == [list(r) for r in GERMAN_ROWS]
    run("batch", _excel_csv(tmp_path / "c.csv", "utf-8"), "-o", tmp_path / "c-out.csv", "--delimiter", ";",
        model=tiny_model_dir)
    assert _rows(tmp_path / "c-out.csv", ";") == _rows(tmp_path / "a.csv", ";")
    # Excel's "CSV UTF-8" has a byte-order mark and needs it to read the scores back as UTF-8:
    # the output has one exactly when the input had
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbfid;")
    assert (tmp_path / "c-out.csv").read_bytes().startswith(b"id;")
    p = run("batch", tmp_path / "c.csv", "--delimiter", "::", model=tiny_model_dir, check=False)
    assert p.returncode == 2 and "delimiter '::'" in p.stderr


def test_issue15_comma_wins_when_the_header_has_one():
    assert batch_module.sniff_delimiter('id,text;x\n') == ","
    assert batch_module.sniff_delimiter('"a,b";text\n') == ";"  # a comma inside quotes does not count
    assert batch_module.sniff_delimiter("text\n") == ","


def test_issue15_xlsx_round_trip_a_row_in_is_a_row_out(tiny_model_dir, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")  # the xlsx extra; the test extra installs it
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(GERMAN_HEADER))
    for i, text, channel, followers in GERMAN_ROWS:
        sheet.append([int(i), text, channel, int(followers) if followers else None])
    book.save(tmp_path / "posts.xlsx")
    run("batch", tmp_path / "posts.xlsx", "-o", tmp_path / "scored.xlsx", "--triage", "--context",
        model=tiny_model_dir)
    rows = list(openpyxl.load_workbook(tmp_path / "scored.xlsx", read_only=True).worksheets[0]
                .iter_rows(values_only=True))
    assert list(rows[0][:4]) == list(GERMAN_HEADER) and "level" in rows[0] and "priority" in rows[0]
    assert [r[:4] for r in rows[1:]] == [(int(i), t, c, int(f) if f else None) for i, t, c, f in GERMAN_ROWS]
    assert all(isinstance(r[rows[0].index("escalation")], float) for r in rows[1:])
    run("batch", tmp_path / "scored.xlsx", "-o", tmp_path / "back.csv", "--prefix", "neu_", model=tiny_model_dir)
    back = _rows(tmp_path / "back.csv")
    assert [r[1] for r in back[1:]] == [t for _, t, _, _ in GERMAN_ROWS] and len(back) == len(GERMAN_ROWS) + 1


@pytest.mark.parametrize(("post", "message"), [
    ("Frechheit, schon wieder kein Paket! " * 1000, "in.csv: post 2 (row 3 of the sheet): a cell of 36,000 characters; Excel holds at most 32,767"),
    ("Frechheit!\x01 Schon wieder", "in.csv: post 2 (row 3 of the sheet): a control character Excel cannot store"),
])
def test_a_cell_excel_cannot_hold_is_an_error_not_cut_short(tiny_model_dir, tmp_path, post, message):
    """openpyxl cut a text over 32,767 characters to that length without a word: a row out that
    was not the row in. After the error no temporary file of openpyxl's (it holds the rows written
    so far) is left behind, and the sheet's stream is ended while its file is open."""
    pytest.importorskip("openpyxl")
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    before = list(ALL_TEMP_FILES)
    src = write_csv(tmp_path / "in.csv", [("1", "Danke"), ("2", post)], header=("id", "text"))
    p = run("batch", src, "-o", tmp_path / "out.xlsx", model=tiny_model_dir, check=False)
    assert p.returncode == 1 and message in p.stderr and "write CSV instead" in p.stderr
    assert p.stderr.count("\n") == 1 and not (tmp_path / "out.xlsx").exists()
    assert before == ALL_TEMP_FILES
    run("batch", src, "-o", tmp_path / "out.csv", model=tiny_model_dir)  # CSV holds it whole
    assert _rows(tmp_path / "out.csv")[2][1] == post


def test_issue15_xlsx_without_openpyxl_says_what_to_do(tiny_model_dir, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if the extra were not installed
    src = write_csv(tmp_path / "in.csv", [("1", "Danke")], header=("id", "text"))
    for argv in (["batch", src, "-o", tmp_path / "out.xlsx"], ["batch", tmp_path / "in.xlsx"]):
        p = run(*argv, model=tiny_model_dir, check=False)
        assert p.returncode == 1 and "pip install 'shitstorm[xlsx]'" in p.stderr and "CSV (UTF-8)" in p.stderr
        assert p.stderr.count("\n") == 1 and not (tmp_path / "out.xlsx").exists()


def test_score_file_is_the_library_function_behind_batch(tiny_model, tiny_model_dir, tmp_path):
    src = _excel_csv(tmp_path / "in.csv", "utf-8")
    seen = []
    batch_module.score_file(str(src), str(tmp_path / "out.jsonl"), model=batch_module.ModelSource(str(tiny_model_dir)),
                            options=batch_module.BatchOptions(pii=True), progress=lambda n, done, total: seen.append(n))
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [d["text"] for d in lines] == [t for _, t, _, _ in GERMAN_ROWS] and seen == [3]
    assert lines[0]["shitstorm"]["level"] == tiny_model.score(GERMAN_ROWS[0][1]).level
    with pytest.raises(batch_module.BatchUsageError, match="no column 'body'"):
        batch_module.score_file(str(src), str(tmp_path / "x.csv"), text_column="body")
    assert not (tmp_path / "x.csv").exists()


# --- Parquet in and out (issue 7) -----------------------------------------------------------
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
