"""Zendesk, Freshdesk and Zammad: the server's adapter endpoints (``shitstorm/server/adapters/``,
in process) and their write-back against a fake vendor API on loopback. The sync clients
(``shitstorm zendesk-sync`` & co., ``shitstorm/helpdesk.py``): tests/test_helpdesk.py.
The fake vendor and the payload fixtures: tests/_fake_vendor.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's testclient warns about its httpx transport
    from fastapi.testclient import TestClient

from shitstorm import helpdesk
from shitstorm.policy import TAG_VOCABULARY
from shitstorm.server import ServerConfig, create_app
from shitstorm.server.config import ConfigError

from ._fake_vendor import fixture, raw_fixture, zendesk_write_routes

pytestmark = pytest.mark.usefixtures("clean_vendor_env")

TOKEN = "helpdesk-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def model():
    from shitstorm.model import default_model

    return default_model()


def make_client(model, **settings) -> TestClient:
    settings.setdefault("token", TOKEN)
    return TestClient(create_app(ServerConfig(**settings), model=model))


# --- Zendesk adapter --------------------------------------------------------------------------
def test_zendesk_trigger_payload_gets_tags_fields_and_the_update(model):
    client = make_client(model, zendesk_fields={"level": 360001, "priority": 360002, "escalation": 360003})
    r = client.post("/v1/adapters/zendesk", content=raw_fixture("zendesk_trigger.json"),
                    headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["vendor"] == "zendesk" and d["ticket_id"] == 35436 and d["scored"] is True
    # an ultimatum with the press: critical, P1, legal & PR
    assert d["fields"]["level"] == "critical" and d["priority"] == "P1" and d["route"] == "legal_pr"
    assert {"shitstorm_level__critical", "shitstorm_priority__p1", "shitstorm_publicity_pressure",
            "shitstorm_cue__publicity_media"} <= set(d["tags"])
    assert set(d["tags"]) <= set(TAG_VOCABULARY)
    # the earlier scoring's tags go; the team's own tags (facebook, vip) are never touched
    assert d["remove_tags"] == ["shitstorm_level__low", "shitstorm_priority__p3", "shitstorm_route__community"]
    assert d["custom_fields"] == [{"id": 360003, "value": d["fields"]["escalation"]},
                                  {"id": 360001, "value": "critical"}, {"id": 360002, "value": "P1"}]
    assert d["update"] == [
        {"method": "PUT", "path": "/api/v2/tickets/35436/tags", "json": {"tags": d["tags"]}},
        {"method": "DELETE", "path": "/api/v2/tickets/35436/tags", "json": {"tags": d["remove_tags"]}},
        {"method": "PUT", "path": "/api/v2/tickets/35436.json", "json": {"ticket": {"custom_fields": d["custom_fields"]}}}]
    assert d["writeback"] == "off"
    # the post's words, the author's name and the cue's matched text never come back
    for fragment in ("BILD", "Internet", "Lena", "Wenn ich bis"):
        assert fragment not in r.text


def test_zendesk_description_is_scored_when_there_is_no_comment_and_channel_comes_from_via(model):
    client = make_client(model)
    payload = {"ticket_id": 7, "latest_public_comment": "", "via": "Facebook Post",
               "description": "Danke für die schnelle Hilfe, alles bestens!"}
    d = client.post("/v1/adapters/zendesk", json=payload, headers=AUTH).json()
    assert d["fields"]["level"] == "none" and d["priority"] == "P4" and d["route"] == "community"
    assert "shitstorm_cue__gratitude" in d["tags"]
    assert d["custom_fields"] == [] and d["update"] == [
        {"method": "PUT", "path": "/api/v2/tickets/7/tags", "json": {"tags": d["tags"]}}]
    assert d["remove_tags"] == []  # no tags in the payload: nothing known to remove
    assert helpdesk.channel_from_zendesk_via("Facebook Post") == "facebook"
    assert helpdesk.channel_from_zendesk_via({"channel": "twitter"}) == "x"
    assert helpdesk.channel_from_zendesk_via("Web Form") is None


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": "Bearer falsch"}, 401)])
def test_zendesk_needs_the_bearer_token(model, headers, status):
    client = make_client(model)
    r = client.post("/v1/adapters/zendesk", json=fixture("zendesk_trigger.json"), headers=headers)
    assert r.status_code == status


def test_zendesk_payload_errors_name_the_field_and_do_not_echo_it(model):
    client = make_client(model)
    r = client.post("/v1/adapters/zendesk", json={"ticket_id": 5, "via": "Twitter"}, headers=AUTH)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "latest_public_comment"]
    r = client.post("/v1/adapters/zendesk", json={"ticket_id": "{{ticket.id}}", "description": "Frechheit!!!"},
                    headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "ticket_id"]
    assert "Frechheit" not in r.text
    r = client.post("/v1/adapters/zendesk", content=b'{"ticket_id": 5, "description": "kaputt', headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"  # issue 12, item 12
    r = client.post("/v1/adapters/zendesk", json=["Frechheit"], headers=AUTH)
    assert r.status_code == 422


# --- Freshdesk adapter ------------------------------------------------------------------------
def test_freshdesk_advanced_payload_merges_tags_and_names_custom_fields(model):
    client = make_client(model, freshdesk_fields={"level": "cf_shitstorm_level", "route": "cf_shitstorm_route"})
    r = client.post("/v1/adapters/freshdesk", json=fixture("freshdesk_webhook_advanced.json"), headers=AUTH)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["ticket_id"] == 1042 and d["fields"]["level"] == "critical" and d["route"] == "legal_pr"
    assert {"shitstorm_cue__legal_threat", "shitstorm_cue__fraud_accusation"} <= set(d["tags"])
    assert d["remove_tags"] == ["shitstorm_level__none"]
    body = d["update"][0]["json"]
    assert d["update"][0]["method"] == "PUT" and d["update"][0]["path"] == "/api/v2/tickets/1042"
    # Freshdesk replaces the tag list: the ticket's own tags (one with a space) are kept, in order
    assert body["tags"] == ["rechnung", "Stammkunde Nord", *d["tags"]]
    assert body["custom_fields"] == {"cf_shitstorm_level": "critical", "cf_shitstorm_route": "legal_pr"}
    assert "Anwalt" not in r.text and "Jonas" not in r.text


def test_freshdesk_simple_payload_and_unknown_tags(model):
    client = make_client(model, freshdesk_fields={"priority": "cf_prio"})
    payload = fixture("freshdesk_webhook_simple.json")
    d = client.post("/v1/adapters/freshdesk", json=payload, headers=AUTH).json()
    assert d["ticket_id"] == 1042 and d["priority"] == "P1"  # the description: the comment is empty
    assert d["update"][0]["json"]["tags"] == ["rechnung", *d["tags"]]
    del payload["freshdesk_webhook"]["ticket_tags"]
    d = client.post("/v1/adapters/freshdesk", json=payload, headers=AUTH).json()
    # without the ticket's tags the update must not replace them: custom fields only
    assert d["update"] == [{"method": "PUT", "path": "/api/v2/tickets/1042", "json": {"custom_fields": {"cf_prio": "P1"}}}]


def test_freshdesk_errors(model):
    client = make_client(model)
    r = client.post("/v1/adapters/freshdesk", json={"ticket_id": 3, "tags": "a, b"}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "latest_public_comment"]
    r = client.post("/v1/adapters/freshdesk", json={"freshdesk_webhook": {"ticket_description": "Frechheit"}},
                    headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "freshdesk_webhook", "ticket_id"]
    assert client.post("/v1/adapters/freshdesk", json={}, headers={}).status_code == 401


# --- Zammad adapter ---------------------------------------------------------------------------
def _sign(body: bytes, secret: str) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def test_zammad_default_payload_with_signature(model):
    secret = "zammad-hmac-secret"
    client = make_client(model, zammad_secret=secret, zammad_fields={"level": "shitstorm_level",
                                                                      "escalation": "shitstorm_escalation"})
    body = raw_fixture("zammad_webhook.json")
    r = client.post("/v1/adapters/zammad", content=body,
                    headers={**AUTH, "Content-Type": "application/json", "X-Hub-Signature": _sign(body, secret)})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["ticket_id"] == 81 and d["fields"]["level"] == "critical"
    assert "shitstorm_publicity_pressure" in d["tags"] and "shitstorm_cue__publicity_viral" in d["tags"]
    put, *tag_calls = d["update"]
    assert put == {"method": "PUT", "path": "/api/v1/tickets/81",
                   "json": {"shitstorm_escalation": f"{d['fields']['escalation']:.3f}", "shitstorm_level": "critical"}}
    adds = [c for c in tag_calls if c["path"] == "/api/v1/tags/add"]
    removes = [c for c in tag_calls if c["path"] == "/api/v1/tags/remove"]
    assert [c["json"]["item"] for c in adds] == d["tags"]
    assert all(c["method"] == "POST" and c["json"]["object"] == "Ticket" and c["json"]["o_id"] == 81 for c in adds)
    assert removes == [{"method": "DELETE", "path": "/api/v1/tags/remove",
                        "json": {"object": "Ticket", "o_id": 81, "item": "shitstorm_level__low"}}]
    assert "Follower" not in r.text and "Mia" not in r.text


def test_zammad_signature_errors(model):
    secret = "zammad-hmac-secret"
    client = make_client(model, zammad_secret=secret)
    body = raw_fixture("zammad_webhook.json")
    r = client.post("/v1/adapters/zammad", content=body,
                    headers={**AUTH, "X-Hub-Signature": _sign(body + b" ", secret)})
    assert r.status_code == 403
    r = client.post("/v1/adapters/zammad", content=body, headers={**AUTH, "X-Hub-Signature": "sha1=zz"})
    assert r.status_code == 403
    assert client.post("/v1/adapters/zammad", content=body, headers=AUTH).status_code == 401
    # the bearer token is checked first
    r = client.post("/v1/adapters/zammad", content=body, headers={"X-Hub-Signature": _sign(body, secret)})
    assert r.status_code == 401
    # without a configured secret the header is not needed
    assert make_client(model).post("/v1/adapters/zammad", content=body, headers=AUTH).status_code == 200


def test_zammad_internal_notes_are_skipped_and_missing_article_is_422(model):
    client = make_client(model)
    d = client.post("/v1/adapters/zammad", json=fixture("zammad_webhook_internal.json"), headers=AUTH).json()
    assert d["scored"] is False and d["skipped"] == "internal article" and d["update"] == [] and d["tags"] == []
    payload = fixture("zammad_webhook.json")
    del payload["article"]
    r = client.post("/v1/adapters/zammad", json=payload, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "article", "body"]
    r = client.post("/v1/adapters/zammad", json={"article": {"body": "Frechheit"}}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "ticket"]


def test_adapters_are_in_the_openapi_schema(model):
    paths = make_client(model).get("/openapi.json").json()["paths"]
    for vendor in ("zendesk", "freshdesk", "zammad"):
        assert "post" in paths[f"/v1/adapters/{vendor}"]


# --- the server's write-back ------------------------------------------------------------------
def test_zendesk_writeback_sends_the_update_after_answering(model, fake, monkeypatch):
    monkeypatch.setenv("ZENDESK_URL", fake.url)
    monkeypatch.setenv("ZENDESK_EMAIL", "agent@example.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "zd-token")
    fake.route("GET", "/api/v2/tickets/35436.json", fixture("zendesk_ticket.json"))
    zendesk_write_routes(fake)
    client = make_client(model, zendesk_fields={"level": 360001}, helpdesk_writeback=frozenset({"zendesk"}))
    d = client.post("/v1/adapters/zendesk", json=fixture("zendesk_trigger.json"), headers=AUTH).json()
    assert d["writeback"] == "scheduled"
    add, remove, put = fake.writes()
    assert (add["method"], add["path"], add["json"]) == ("PUT", "/api/v2/tickets/35436/tags", {"tags": d["tags"]})
    # the ticket's current tags are read first: only the stale tag it has now is removed
    assert (remove["method"], remove["json"]) == ("DELETE", {"tags": ["shitstorm_level__low"]})
    assert put["json"] == {"ticket": {"custom_fields": [{"id": 360001, "value": "critical"}]}}
    expected = "Basic " + base64.b64encode(b"agent@example.com/token:zd-token").decode()
    assert all(r["headers"]["authorization"] == expected for r in fake.requests)


def test_freshdesk_writeback_reads_the_tags_first_and_keeps_them(model, fake, monkeypatch):
    monkeypatch.setenv("FRESHDESK_URL", fake.url)
    monkeypatch.setenv("FRESHDESK_API_KEY", "fd-key")
    ticket = fixture("freshdesk_ticket.json")
    ticket["tags"] = ["rechnung", "neu seit gestern"]  # changed since Freshdesk rendered the payload
    fake.route("GET", "/api/v2/tickets/1042", ticket)
    fake.route("PUT", "/api/v2/tickets/1042", ticket)
    client = make_client(model, freshdesk_fields={"level": "cf_shitstorm_level"},
                         helpdesk_writeback=frozenset({"freshdesk"}))
    d = client.post("/v1/adapters/freshdesk", json=fixture("freshdesk_webhook_advanced.json"), headers=AUTH).json()
    (put,) = fake.writes()
    assert put["json"] == {"tags": ["rechnung", "neu seit gestern", *d["tags"]],
                           "custom_fields": {"cf_shitstorm_level": "critical"}}


def test_failed_writeback_is_logged_without_the_text(model, fake, monkeypatch, caplog):
    monkeypatch.setenv("ZENDESK_URL", fake.url)
    monkeypatch.setenv("ZENDESK_EMAIL", "agent@example.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "zd-token")
    client = make_client(model, helpdesk_writeback=frozenset({"zendesk"}))
    with caplog.at_level("INFO", logger="shitstorm.server.helpdesk"):
        r = client.post("/v1/adapters/zendesk", json=fixture("zendesk_trigger.json"), headers=AUTH)
    assert r.status_code == 200 and fake.writes() == []  # the ticket is gone: 404, nothing written
    (record,) = [rec for rec in caplog.records if rec.name == "shitstorm.server.helpdesk"]
    message = record.getMessage()
    assert record.levelname == "WARNING" and "ticket 35436" in message and "not found (404)" in message
    assert "BILD" not in message and "zd-token" not in message


def test_writeback_settings_are_checked_at_start(monkeypatch):
    env = {"SHITSTORM_HELPDESK_WRITEBACK": "zendesk", "ZENDESK_EMAIL": "a@example.com"}
    with pytest.raises(ConfigError, match="ZENDESK_API_TOKEN"):
        ServerConfig.from_env(env)
    with pytest.raises(ConfigError, match="unknown helpdesk"):
        ServerConfig.from_env({"SHITSTORM_HELPDESK_WRITEBACK": "jira"})
    with pytest.raises(ConfigError, match="SHITSTORM_FRESHDESK_FIELDS"):
        ServerConfig.from_env({"SHITSTORM_FRESHDESK_FIELDS": "level=cf level"})
    cfg = ServerConfig.from_env({"SHITSTORM_HELPDESK_WRITEBACK": "zammad", "ZAMMAD_URL": "https://z.example.com",
                                 "ZAMMAD_TOKEN": "t", "SHITSTORM_ZAMMAD_FIELDS": "level=shitstorm_level",
                                 "SHITSTORM_ZAMMAD_SECRET": "s"})
    assert cfg.helpdesk_writeback == {"zammad"} and cfg.zammad_fields == {"level": "shitstorm_level"}
    assert cfg.zammad_secret == "s"


# --- issue 12, item 12: a 4xx with a reason, never a 500 ----------------------------------------
@pytest.mark.parametrize("vendor, payload", [
    ("zendesk", {"ticket_id": "²", "description": "Frechheit"}),
    ("zendesk", {"ticket_id": "1" * 5000, "description": "Frechheit"}),
    ("zendesk", {"ticket_id": 2**70, "description": "Frechheit"}),
    ("freshdesk", {"ticket_id": "٣", "description": "Frechheit"}),
    ("zammad", {"ticket": {"id": "²"}, "article": {"body": "Frechheit"}}),
])
def test_issue12_item12_odd_ticket_ids_are_422(model, vendor, payload):
    r = make_client(model).post(f"/v1/adapters/{vendor}", json=payload, headers=AUTH)
    assert r.status_code == 422 and "ticket" in json.dumps(r.json()["detail"][0]["loc"])


@pytest.mark.parametrize("body", [
    b'{"ticket_id": ' + b"1" * 5000 + b', "description": "x"}',
    b'{"ticket_id": 5, "description": "x", "deep": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    b'{"ticket_id": 5, "description": "\xff\xfe"}',
])
@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk", "zammad"])
def test_issue12_item12_unreadable_bodies_are_422_like_everywhere(model, vendor, body):
    r = make_client(model).post(f"/v1/adapters/{vendor}", content=body,
                                headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                     max_leaves=10)


@settings(max_examples=60, deadline=None)
@given(vendor=st.sampled_from(["zendesk", "freshdesk", "zammad"]),
       ticket_id=_JSON | st.sampled_from(["²", "1" * 30, "٣", " 12 ", "{{ticket.id}}"]), text=_JSON,
       extra=st.dictionaries(st.sampled_from(["via", "tags", "source", "ticket", "article", "freshdesk_webhook"]),
                             _JSON, max_size=3))
def test_adapters_never_answer_500(model, vendor, ticket_id, text, extra):
    payload = {"ticket_id": ticket_id, "description": text, "latest_public_comment": text, **extra}
    if vendor == "zammad":
        payload = {"ticket": {"id": ticket_id, "tags": extra.get("tags")}, "article": {"body": text, **extra}}
    r = _property_client(model).post(f"/v1/adapters/{vendor}", json=payload, headers=AUTH)
    assert r.status_code in (200, 422), r.text


_CLIENTS: dict = {}


def _property_client(model):
    if "c" not in _CLIENTS:
        _CLIENTS["c"] = make_client(model)
    return _CLIENTS["c"]
