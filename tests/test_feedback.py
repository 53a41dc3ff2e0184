"""``shitstorm/feedback.py``, agents' corrections: the SQLite store and ``shitstorm feedback``
(export, delete, and ``serve --feedback-db`` refusing a bad file). The endpoints:
tests/test_server_feedback.py."""

from __future__ import annotations

import csv
import io
import sqlite3
from contextlib import closing

import pytest

from shitstorm.cli import main
from shitstorm.feedback import FeedbackError, FeedbackStore, stored_text
from shitstorm.train.dataset import read_labelled_csv

THREAT = "Wenn ich bis morgen nichts höre, geht das an die BILD! Ruft mich an: 0171 2345678"
CALM = "Danke für die schnelle Hilfe, alles bestens!"
TOKEN = "feedback-test-token-1234"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def all_rows(path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as con, con:
        return con.execute("SELECT * FROM feedback").fetchall()


# --- the store ---------------------------------------------------------------------------------
def test_store_keeps_labels_model_version_and_time(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3", create=True)
    rec = store.add(level="low", publicity_pressure=False, model_level="critical", model_publicity_pressure=0.93,
                    model_version="0.1.0+abc", source="zendesk")
    assert rec.verdict == "corrected" and len(rec.id) == 32
    assert rec.created_at.endswith("+00:00")
    same = store.add(level="critical", publicity_pressure=True, model_level="critical",
                     model_publicity_pressure=0.93, model_version="0.1.0+abc")
    assert same.verdict == "confirmed"
    assert [r.id for r in store.records()] == [rec.id, same.id]
    assert list(store.records())[0].text is None


def test_delete_by_id(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3", create=True)
    rec = store.add(level="none", publicity_pressure=False, model_level="low", model_publicity_pressure=0.1,
                    model_version="v", text="Hallo")
    assert store.delete(rec.id) is True
    assert store.delete(rec.id) is False
    assert store.delete("'; DROP TABLE feedback; --") is False
    assert list(store.records()) == []


def test_export_writes_the_training_schema_and_counts_rows_without_text(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3", create=True)
    store.add(level="elevated", publicity_pressure=False, model_level="critical", model_publicity_pressure=0.8,
              model_version="v", text="Schon wieder kein Paket!!!")
    store.add(level="critical", publicity_pressure=True, model_level="low", model_publicity_pressure=0.2,
              model_version="v", text="Das geht an die BILD, Tel. [TELEFON]")
    store.add(level="none", publicity_pressure=False, model_level="none", model_publicity_pressure=0.0,
              model_version="v")
    out = io.StringIO()
    result = store.export_csv(out)
    assert (result.written, result.skipped_without_text) == (2, 1)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["text", "level", "publicity_pressure"],
                    ["Schon wieder kein Paket!!!", "elevated", "0"],
                    ["Das geht an die BILD, Tel. [TELEFON]", "critical", "1"]]


def test_stored_text_is_nothing_or_redacted():
    assert stored_text(THREAT, "none") is None
    red = stored_text(THREAT, "redacted")
    assert "0171" not in red and "[TELEFON]" in red and "BILD" in red
    with pytest.raises(FeedbackError, match="none, redacted"):
        stored_text(THREAT, "full")


def test_missing_or_foreign_file_is_a_clear_error(tmp_path):
    with pytest.raises(FeedbackError, match="no such feedback file"):
        FeedbackStore(tmp_path / "nope.sqlite3")
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database " * 50)
    with pytest.raises(FeedbackError, match="not a readable SQLite file"):
        FeedbackStore(tmp_path / "junk.sqlite3")
    with closing(sqlite3.connect(tmp_path / "other.sqlite3")) as con, con:
        con.execute("CREATE TABLE kunden (name TEXT)")
    with pytest.raises(FeedbackError, match="not a shitstorm feedback file"):
        FeedbackStore(tmp_path / "other.sqlite3", create=True)
    with pytest.raises(FeedbackError, match="does not exist"):
        FeedbackStore(tmp_path / "no-folder" / "fb.sqlite3", create=True)


# --- the command line --------------------------------------------------------------------------
def test_cli_export_is_trainable_and_delete_works(tmp_path, capsys):
    db = tmp_path / "fb.sqlite3"
    store = FeedbackStore(db, create=True)
    keep = store.add(level="elevated", publicity_pressure=False, model_level="low", model_publicity_pressure=0.1,
                     model_version="v", text="Seit drei Wochen kein Internet, Frechheit!")
    store.add(level="none", publicity_pressure=False, model_level="none", model_publicity_pressure=0.0,
              model_version="v")
    out = tmp_path / "mine.csv"
    assert main(["feedback", "export", "--db", str(db), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 correction(s) written" in err and "1 skipped: stored without text" in err
    data = read_labelled_csv([out])
    assert data.texts == ("Seit drei Wochen kein Internet, Frechheit!",) and data.levels == (2,)

    assert main(["feedback", "delete", "--db", str(db), keep.id]) == 0
    assert main(["feedback", "delete", "--db", str(db), keep.id]) == 1
    assert "no feedback record" in capsys.readouterr().err
    assert main(["feedback", "export", "--db", str(db), "--out", "-"]) == 0
    assert capsys.readouterr().out.splitlines() == ["text,level,publicity_pressure"]


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["feedback", "export", "--db", str(tmp_path / "nope.sqlite3"), "--out", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("shitstorm feedback: ") and "no such feedback file" in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


def test_serve_refuses_a_feedback_file_it_cannot_make(tmp_path, capsys, monkeypatch):
    pytest.importorskip("fastapi", reason="the server extra is not installed")
    # serve passes its settings to the workers through the environment: restore it afterwards
    monkeypatch.setenv("SHITSTORM_FEEDBACK_DB", "")
    monkeypatch.setenv("SHITSTORM_FEEDBACK_TEXT", "")
    assert main(["serve", "--feedback-db", str(tmp_path / "no-folder" / "fb.sqlite3")]) == 2
    err = capsys.readouterr().err
    assert "SHITSTORM_FEEDBACK_DB" in err and "does not exist" in err and "Traceback" not in err
    (tmp_path / "junk.sqlite3").write_bytes(b"kein SQLite " * 100)
    assert main(["serve", "--feedback-db", str(tmp_path / "junk.sqlite3"), "--feedback-text", "redacted"]) == 2
    assert "not a readable SQLite file" in capsys.readouterr().err
