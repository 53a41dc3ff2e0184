"""``shitstorm/helpdesk.py``: the sync clients (``shitstorm zendesk-sync``, ``freshdesk-sync``,
``zammad-sync``) against a fake vendor API on loopback (tests/_fake_vendor.py), their settings,
tag merging and ticket ids. The server's adapter endpoints: tests/test_server_adapters_helpdesk.py."""

from __future__ import annotations

import base64
import io
import json

import pytest

from shitstorm import helpdesk
from shitstorm.cli import main

from ._fake_vendor import fixture, zendesk_write_routes

pytestmark = pytest.mark.usefixtures("clean_vendor_env")

pytest.importorskip("httpx", reason="the helpdesk sync needs httpx (the server extra)")


def _zendesk_env(monkeypatch, fake, fields="level=360001,priority=360002"):
    monkeypatch.setenv("ZENDESK_URL", fake.url)
    monkeypatch.setenv("ZENDESK_EMAIL", "agent@example.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "zd-token")
    monkeypatch.setenv("SHITSTORM_ZENDESK_FIELDS", fields)
    fake.route("GET", "/api/v2/tickets/35436.json", fixture("zendesk_ticket.json"))
    fake.route("GET", "/api/v2/tickets/35436/comments.json", fixture("zendesk_comments.json"))


def _lines(capsys) -> list[dict]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def test_zendesk_sync_scores_the_requesters_latest_comment_and_puts_tags_and_fields(fake, monkeypatch, capsys):
    _zendesk_env(monkeypatch, fake)
    zendesk_write_routes(fake)
    assert main(["zendesk-sync", "35436"]) == 0
    (result,) = _lines(capsys)
    assert result["status"] == "updated" and result["ticket_id"] == 35436
    # the requester's ultimatum (not the agent's newer reply, not the older description)
    assert result["level"] == "critical" and result["priority"] == "P1" and result["channel"] == "facebook"
    gets = [r for r in fake.requests if r["method"] == "GET"]
    assert gets[1]["query"] == {"sort_order": ["desc"]}
    writes = fake.writes()
    expected_auth = "Basic " + base64.b64encode(b"agent@example.com/token:zd-token").decode()
    assert all(r["headers"]["authorization"] == expected_auth for r in fake.requests)
    assert [(w["method"], w["path"]) for w in writes] == [("PUT", "/api/v2/tickets/35436/tags"),
                                                          ("DELETE", "/api/v2/tickets/35436/tags"),
                                                          ("PUT", "/api/v2/tickets/35436.json")]
    assert "shitstorm_level__critical" in writes[0]["json"]["tags"] and "vip" not in writes[0]["json"]["tags"]
    assert writes[1]["json"] == {"tags": ["shitstorm_level__low"]}
    assert writes[2]["json"] == {"ticket": {"custom_fields": [{"id": 360001, "value": "critical"},
                                                              {"id": 360002, "value": "P1"}]}}
    assert result["requests"] == [{"method": w["method"], "path": w["path"], "json": w["json"]} for w in writes]
    assert result["tags_removed"] == ["shitstorm_level__low"] and "vip" not in result["tags_added"]


def test_zendesk_sync_dry_run_sends_nothing_and_reads_ids_from_stdin(fake, monkeypatch, capsys):
    _zendesk_env(monkeypatch, fake)
    monkeypatch.setattr("sys.stdin", io.StringIO("35436\n"))
    assert main(["zendesk-sync", "-", "--dry-run"]) == 0
    (result,) = _lines(capsys)
    assert result["status"] == "dry_run" and [r["method"] for r in result["requests"]] == ["PUT", "DELETE", "PUT"]
    assert fake.writes() == []


def test_zendesk_sync_errors_per_ticket(fake, monkeypatch, capsys):
    _zendesk_env(monkeypatch, fake)
    zendesk_write_routes(fake)
    assert main(["zendesk-sync", "99", "35436"]) == 1  # 99 does not exist; 35436 is still updated
    missing, done = _lines(capsys)
    assert missing["status"] == "error" and missing["http_status"] == 404 and "not found (404)" in missing["error"]
    assert done["status"] == "updated"


def test_zendesk_sync_stops_at_401(fake, monkeypatch, capsys):
    _zendesk_env(monkeypatch, fake)
    fake.route("GET", "/api/v2/tickets/35436.json", (401, {"error": "Couldn't authenticate you"}, {}))
    assert main(["zendesk-sync", "35436", "35437"]) == 1
    (result,) = _lines(capsys)  # the second ticket is not tried with wrong credentials
    assert result["http_status"] == 401 and "ZENDESK_API_TOKEN" in result["error"]
    assert "zd-token" not in result["error"]


def test_zendesk_sync_waits_for_retry_after(fake, monkeypatch, capsys):
    _zendesk_env(monkeypatch, fake)
    waits = []
    monkeypatch.setattr(helpdesk, "_sleep", waits.append)
    zendesk_write_routes(fake, (429, {"error": "TooManyRequests"}, {"Retry-After": "7"}), (200, {"tags": []}, {}))
    assert main(["zendesk-sync", "35436"]) == 0
    assert waits == [7.0] and len(fake.writes()) == 4 and _lines(capsys)[0]["status"] == "updated"


def test_zendesk_sync_gives_up_on_a_long_retry_after(fake, monkeypatch, capsys):
    _zendesk_env(monkeypatch, fake)
    zendesk_write_routes(fake, (429, {"error": "TooManyRequests"}, {"Retry-After": "3600"}))
    assert main(["zendesk-sync", "35436"]) == 1
    (result,) = _lines(capsys)
    assert result["http_status"] == 429 and "3600 s is over the limit" in result["error"]


def test_sync_configuration_errors(monkeypatch, capsys):
    assert main(["zendesk-sync", "1"]) == 2
    assert "ZENDESK_EMAIL, ZENDESK_API_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("ZENDESK_EMAIL", "a@example.com")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "secret-token")
    monkeypatch.setenv("ZENDESK_URL", "http://zendesk.example.com")
    assert main(["zendesk-sync", "1"]) == 2
    err = capsys.readouterr().err
    assert "ZENDESK_URL must use https://" in err and "secret-token" not in err
    monkeypatch.setenv("ZENDESK_URL", "https://acme.zendesk.com")
    assert main(["zendesk-sync", "abc"]) == 2
    assert "not a ticket id" in capsys.readouterr().err
    monkeypatch.setenv("SHITSTORM_ZENDESK_FIELDS", "mood=1")
    assert main(["zendesk-sync", "1"]) == 2
    assert "SHITSTORM_ZENDESK_FIELDS" in capsys.readouterr().err
    assert main(["zammad-sync", "1"]) == 2
    assert "ZAMMAD_URL, ZAMMAD_TOKEN" in capsys.readouterr().err
    assert helpdesk.settings_from_env("zendesk", {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@b.de",
                                                       "ZENDESK_API_TOKEN": "t"}).base_url == "https://acme.zendesk.com"
    assert helpdesk.settings_from_env("freshdesk", {"FRESHDESK_DOMAIN": "acme.freshdesk.com",
                                                         "FRESHDESK_API_KEY": "k"}).base_url == "https://acme.freshdesk.com"


def test_freshdesk_sync_reads_conversations_and_keeps_the_tickets_tags(fake, monkeypatch, capsys):
    monkeypatch.setenv("FRESHDESK_URL", fake.url)
    monkeypatch.setenv("FRESHDESK_API_KEY", "fd-key")
    monkeypatch.setenv("SHITSTORM_FRESHDESK_FIELDS", "level=cf_shitstorm_level,priority=cf_shitstorm_priority")
    fake.route("GET", "/api/v2/tickets/1042", fixture("freshdesk_ticket.json"))
    fake.route("GET", "/api/v2/tickets/1042/conversations", fixture("freshdesk_conversations.json"))
    fake.route("PUT", "/api/v2/tickets/1042", fixture("freshdesk_ticket.json"))
    assert main(["freshdesk-sync", "1042"]) == 0
    (result,) = _lines(capsys)
    # the customer's public reply (not the private note, not the agent's answer)
    assert result["level"] == "critical" and result["route"] == "legal_pr" and result["channel"] == "facebook"
    (put,) = fake.writes()
    assert put["headers"]["authorization"] == "Basic " + base64.b64encode(b"fd-key:X").decode()
    assert put["json"]["tags"][:2] == ["rechnung", "Stammkunde Nord"]
    assert "shitstorm_level__none" not in put["json"]["tags"] and "shitstorm_cue__legal_threat" in put["json"]["tags"]
    assert put["json"]["custom_fields"] == {"cf_shitstorm_level": "critical", "cf_shitstorm_priority": "P1"}
    conv = next(r for r in fake.requests if r["path"].endswith("/conversations"))
    assert conv["query"] == {"per_page": ["100"], "page": ["1"]}


def test_zammad_sync_updates_attributes_and_tags(fake, monkeypatch, capsys):
    monkeypatch.setenv("ZAMMAD_URL", fake.url)
    monkeypatch.setenv("ZAMMAD_TOKEN", "zm-token")
    monkeypatch.setenv("SHITSTORM_ZAMMAD_FIELDS", "level=shitstorm_level,route=shitstorm_route")
    fake.route("GET", "/api/v1/tickets/81", fixture("zammad_ticket.json"))
    fake.route("GET", "/api/v1/ticket_articles/by_ticket/81", fixture("zammad_articles.json"))
    fake.route("GET", "/api/v1/tags", fixture("zammad_tags.json"))
    fake.route("PUT", "/api/v1/tickets/81", fixture("zammad_ticket.json"))
    fake.route("POST", "/api/v1/tags/add", True)
    fake.route("DELETE", "/api/v1/tags/remove", True)
    assert main(["zammad-sync", "81"]) == 0
    (result,) = _lines(capsys)
    assert result["level"] == "critical" and result["channel"] == "facebook"
    assert all(r["headers"]["authorization"] == "Token token=zm-token" for r in fake.requests)
    tags_get = next(r for r in fake.requests if r["path"] == "/api/v1/tags")
    assert tags_get["query"] == {"object": ["Ticket"], "o_id": ["81"]}
    put, *tag_calls = fake.writes()
    assert put["path"] == "/api/v1/tickets/81"
    assert put["json"] == {"shitstorm_level": "critical", "shitstorm_route": result["route"]}
    added = [c["json"]["item"] for c in tag_calls if c["method"] == "POST"]
    removed = [c["json"] for c in tag_calls if c["method"] == "DELETE"]
    assert added == result["tags_added"] and "shitstorm_publicity_pressure" in added
    assert removed == [{"object": "Ticket", "o_id": 81, "item": "shitstorm_level__low"}]


def test_zammad_ticket_without_customer_text_is_skipped(fake, monkeypatch, capsys):
    monkeypatch.setenv("ZAMMAD_URL", fake.url)
    monkeypatch.setenv("ZAMMAD_TOKEN", "zm-token")
    fake.route("GET", "/api/v1/tickets/81", fixture("zammad_ticket.json"))
    fake.route("GET", "/api/v1/ticket_articles/by_ticket/81", [fixture("zammad_articles.json")[2]])
    fake.route("GET", "/api/v1/tags", {"tags": []})
    assert main(["zammad-sync", "81"]) == 0
    assert _lines(capsys) == [{"ticket_id": 81, "status": "skipped", "reason": "no customer text on the ticket"}]
    assert fake.writes() == []


def test_tag_merging_never_touches_other_tags():
    assert helpdesk.stale_tags(["vip", "shitstorm_level__low", "shitstorm_custom"], ["shitstorm_level__none"]) == [
        "shitstorm_level__low"]
    assert helpdesk.merged_tags(["vip", "shitstorm_level__low"], ["shitstorm_level__none", "vip"]) == [
        "vip", "shitstorm_level__none"]
    assert helpdesk.parse_tags("a, b c,d", r"\s*,\s*") == ["a", "b c", "d"]
    assert helpdesk.parse_tags("a b  c", r"\s+") == ["a", "b", "c"]


def test_issue12_item12_cli_ticket_ids_are_ascii_digits():
    from shitstorm.helpdesk import parse_ticket_ids

    assert parse_ticket_ids(["12", " 7 "]) == [12, 7]
    for bad in ("²", "1" * 5000, "٣", "0", "-1"):
        with pytest.raises(ValueError, match="not a ticket id"):
            parse_ticket_ids([bad])

