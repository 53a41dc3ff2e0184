"""``shitstorm/server/feedback.py``: ``POST /v1/feedback`` and ``DELETE /v1/feedback/{id}`` in
process, and the server's feedback settings. The SQLite store and ``shitstorm feedback``:
tests/test_feedback.py."""

from __future__ import annotations

import pytest

from .test_feedback import AUTH, CALM, THREAT, TOKEN, all_rows

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


