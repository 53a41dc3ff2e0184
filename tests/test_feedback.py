"""Agents' corrections: the SQLite store, POST/DELETE /v1/feedback, and ``shitstorm feedback``."""

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


# --- the endpoints -----------------------------------------------------------------------------
fastapi = pytest.importorskip("fastapi", reason="the server extra is not installed")


def make_client(tiny_model, **config):
    import warnings

    from shitstorm.server import ServerConfig, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's testclient warns about its httpx transport
        from fastapi.testclient import TestClient
    return TestClient(create_app(ServerConfig(token=TOKEN, **config), model=tiny_model))


def test_feedback_is_off_by_default(tiny_model):
    client = make_client(tiny_model)
    assert client.post("/v1/feedback", json={"text": CALM}, headers=AUTH).status_code == 404
    assert "/v1/feedback" not in client.get("/openapi.json").json()["paths"]
    assert 'data-feedback="off"' in client.get("/").text


def test_confirm_and_correct_are_stored_without_text(tiny_model, tmp_path):
    db = tmp_path / "fb.sqlite3"
    client = make_client(tiny_model, feedback_db=str(db))
    assert 'data-feedback="on"' in client.get("/").text
    model_score = tiny_model.score(THREAT)

    ok = client.post("/v1/feedback", json={"text": THREAT, "source": "playground"}, headers=AUTH)
    assert ok.status_code == 201, ok.text
    body = ok.json()
    assert body["verdict"] == "confirmed" and body["level"] == model_score.level
    assert body["model_version"] == tiny_model.version and body["text_stored"] is False

    fix = client.post("/v1/feedback", json={"text": THREAT, "level": "low", "publicity_pressure": False},
                      headers=AUTH)
    assert fix.status_code == 201
    assert fix.json()["verdict"] == "corrected" and fix.json()["model_level"] == model_score.level
    rows = all_rows(db)
    assert len(rows) == 2
    assert not any("BILD" in str(v) or "0171" in str(v) for row in rows for v in row)


def test_text_is_stored_redacted_only_when_enabled(tiny_model, tmp_path):
    db = tmp_path / "fb.sqlite3"
    client = make_client(tiny_model, feedback_db=str(db), feedback_text="redacted")
    r = client.post("/v1/feedback", json={"text": THREAT, "level": "critical", "publicity_pressure": True},
                    headers=AUTH)
    assert r.json()["text_stored"] is True
    (text,) = [row[-1] for row in all_rows(db)]
    assert "BILD" in text and "[TELEFON]" in text and "0171" not in text


def test_delete_is_gdpr_erasure(tiny_model, tmp_path):
    db = tmp_path / "fb.sqlite3"
    client = make_client(tiny_model, feedback_db=str(db), feedback_text="redacted")
    rid = client.post("/v1/feedback", json={"text": THREAT}, headers=AUTH).json()["id"]
    assert client.delete(f"/v1/feedback/{rid}", headers=AUTH).status_code == 204
    assert all_rows(db) == []
    assert client.delete(f"/v1/feedback/{rid}", headers=AUTH).status_code == 404


def test_feedback_needs_the_token_and_valid_labels(tiny_model, tmp_path):
    client = make_client(tiny_model, feedback_db=str(tmp_path / "fb.sqlite3"))
    assert client.post("/v1/feedback", json={"text": THREAT}).status_code == 401
    assert client.delete("/v1/feedback/" + "0" * 32).status_code == 401
    for body in ({"text": THREAT, "level": "furchtbar"}, {"text": THREAT, "publicity_pressure": "ja"},
                 {"level": "low"}, {"text": THREAT, "source": "Frau Müller, Tel. 0171 2345678"},
                 {"text": THREAT, "extra": 1}):
        r = client.post("/v1/feedback", json=body, headers=AUTH)
        assert r.status_code == 422, body
        assert "0171" not in r.text and "BILD" not in r.text
    assert all_rows(tmp_path / "fb.sqlite3") == []


def test_feedback_is_documented_in_openapi(tiny_model, tmp_path):
    spec = make_client(tiny_model, feedback_db=str(tmp_path / "fb.sqlite3")).get("/openapi.json").json()
    assert "post" in spec["paths"]["/v1/feedback"]
    assert "delete" in spec["paths"]["/v1/feedback/{feedback_id}"]
    assert {"FeedbackRequest", "FeedbackOut"} <= set(spec["components"]["schemas"])


def test_feedback_text_is_never_logged(tiny_model, tmp_path, caplog):
    caplog.set_level("DEBUG")
    client = make_client(tiny_model, feedback_db=str(tmp_path / "fb.sqlite3"), feedback_text="redacted")
    client.post("/v1/feedback", json={"text": THREAT, "level": "low"}, headers=AUTH)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "BILD" not in logged and "0171" not in logged


def test_config_from_env(tmp_path):
    from shitstorm.server.config import ConfigError, ServerConfig

    cfg = ServerConfig.from_env({"SHITSTORM_FEEDBACK_DB": str(tmp_path / "fb.sqlite3"),
                                 "SHITSTORM_FEEDBACK_TEXT": "redacted"})
    assert cfg.feedback_db.endswith("fb.sqlite3") and cfg.feedback_text == "redacted"
    assert ServerConfig.from_env({}).feedback_db is None
    with pytest.raises(ConfigError, match="SHITSTORM_FEEDBACK_TEXT must be none or redacted"):
        ServerConfig.from_env({"SHITSTORM_FEEDBACK_TEXT": "full"})
    with pytest.raises(ConfigError, match="SHITSTORM_FEEDBACK_DB"):
        ServerConfig.from_env({"SHITSTORM_FEEDBACK_DB": str(tmp_path / "missing" / "fb.sqlite3")})


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
    # serve passes its settings to the workers through the environment: restore it afterwards
    monkeypatch.setenv("SHITSTORM_FEEDBACK_DB", "")
    monkeypatch.setenv("SHITSTORM_FEEDBACK_TEXT", "")
    assert main(["serve", "--feedback-db", str(tmp_path / "no-folder" / "fb.sqlite3")]) == 2
    err = capsys.readouterr().err
    assert "SHITSTORM_FEEDBACK_DB" in err and "does not exist" in err and "Traceback" not in err
    (tmp_path / "junk.sqlite3").write_bytes(b"kein SQLite " * 100)
    assert main(["serve", "--feedback-db", str(tmp_path / "junk.sqlite3"), "--feedback-text", "redacted"]) == 2
    assert "not a readable SQLite file" in capsys.readouterr().err
