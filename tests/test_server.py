"""The HTTP service in process (every endpoint and error case), the Facebook adapter, and
property-based checks of every endpoint against the OpenAPI schema."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed")
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's testclient warns about its httpx transport
    from fastapi.testclient import TestClient

from shitstorm.helpdesk import is_loopback
from shitstorm.server import ServerConfig, create_app
from shitstorm.server.adapters.facebook import feed_items, signature_ok
from shitstorm.server.config import ConfigError
from shitstorm.server.schemas import MAX_BATCH_POSTS, MAX_TEXT_CHARS

TOKEN = "t0ken-for-the-tests-only"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
THREAT = "Wenn ich bis morgen nichts höre, geht das an die BILD! Tel 0171 2345678"


@pytest.fixture(scope="module")
def client(tiny_model):
    return TestClient(create_app(ServerConfig(token=TOKEN), model=tiny_model))


@pytest.fixture(scope="module")
def open_client(tiny_model):
    return TestClient(create_app(ServerConfig(), model=tiny_model))


# --- scoring ------------------------------------------------------------------------------------
def test_score_returns_the_library_dicts(client, tiny_model):
    r = client.post("/v1/score", json={"text": THREAT}, headers=AUTH)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"score", "triage", "pii"}
    assert body["score"] == json.loads(json.dumps(tiny_model.score(THREAT).to_dict()))
    assert body["pii"] == body["score"]["pii"] and body["pii"][0]["kind"] == "phone"
    assert body["triage"]["priority"] in ("P1", "P2")
    assert "shitstorm_pii__phone" in body["triage"]["tags"]


def test_score_with_context_and_english_advice(client):
    r = client.post("/v1/score?lang=en", headers=AUTH,
                    json={"text": "Paket kommt nicht", "context": {"followers": 90_000, "earlier_contacts": 3}})
    t = r.json()["triage"]
    assert "context:reach" in t["rules"] and "context:repeat_contact" in t["rules"]
    assert all(a["text"].isascii() or "ä" not in a["text"] for a in t["advice"])


def test_batch_keeps_order_and_ids(client, tiny_model):
    posts = [{"id": f"p{i}", "text": t} for i, t in enumerate(["Danke!", THREAT, "", "Schon wieder kein Paket!!!"])]
    r = client.post("/v1/score/batch", json={"posts": posts}, headers=AUTH)
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["id"] for x in results] == ["p0", "p1", "p2", "p3"]
    assert results[2]["score"]["flags"] == ["empty"]
    expected = [json.loads(json.dumps(s.to_dict())) for s in tiny_model.score_many([p["text"] for p in posts])]
    assert [x["score"] for x in results] == expected


# --- auth -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_missing_or_wrong_token_is_401(client, headers):
    for method, path, body in (("post", "/v1/score", {"text": "x"}), ("post", "/v1/score/batch", {"posts": []}),
                               ("get", "/v1/model", None)):
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, path


def test_no_token_configured_means_open(open_client):
    assert open_client.post("/v1/score", json={"text": "Danke"}).status_code == 200


def test_health_and_readiness_need_no_token(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_not_ready_until_the_model_is_loaded():
    app = create_app(ServerConfig(token=TOKEN))  # no lifespan run: the model is not loaded
    c = TestClient(app)
    assert c.get("/readyz").status_code == 503
    assert c.post("/v1/score", json={"text": "x"}, headers=AUTH).status_code == 503


def test_model_info(client):
    info = client.get("/v1/model", headers=AUTH).json()
    assert set(info) == {"model_version", "library_version", "metrics", "data", "credits"}


# --- limits and malformed requests ------------------------------------------------------------
def test_text_too_long_is_422_naming_the_field(client):
    r = client.post("/v1/score", json={"text": "a" * (MAX_TEXT_CHARS + 1)}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "text"]
    assert "aaaa" not in r.text  # the input is not echoed back


def test_batch_too_large_is_422(client):
    posts = [{"id": str(i), "text": "x"} for i in range(MAX_BATCH_POSTS + 1)]
    r = client.post("/v1/score/batch", json={"posts": posts}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "posts"]


def test_bad_post_in_batch_names_its_index(client):
    r = client.post("/v1/score/batch", json={"posts": [{"id": "a", "text": "ok"}, {"id": "b", "text": 5}]},
                    headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "posts", 1, "text"]


@pytest.mark.parametrize("body, field", [
    ({"txt": "Hallo"}, "text"),
    ({"text": None}, "text"),
    ({"text": "x", "context": {"followers": -1}}, "followers"),
    ({"text": "x", "context": {"followers": "viele"}}, "followers"),
    ({"text": "x", "context": {"channel": "myspace"}}, "channel"),
    ({"text": "x", "context": {"reach": 3}}, "reach"),
])
def test_invalid_bodies_are_422(client, body, field):
    r = client.post("/v1/score", json=body, headers=AUTH)
    assert r.status_code == 422
    assert any(field in map(str, e["loc"]) for e in r.json()["detail"])


def test_malformed_json_is_a_client_error(client):
    r = client.post("/v1/score", content=b'{"text": "unterbrochen', headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422 and "json" in r.text.lower()
    r = client.post("/v1/score", content=b"\xff\xfe", headers={**AUTH, "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500


def test_body_over_the_limit_is_413(tiny_model):
    small = TestClient(create_app(ServerConfig(token=TOKEN, max_body_bytes=2048), model=tiny_model))
    r = small.post("/v1/score", json={"text": "x" * 5000}, headers=AUTH)
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(10):
            yield b"x" * 1000

    r = small.post("/v1/score", content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413


def test_unknown_lang_is_422(client):
    assert client.post("/v1/score?lang=fr", json={"text": "x"}, headers=AUTH).status_code == 422


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    for path in ("/v1/score", "/v1/score/batch", "/v1/model", "/healthz", "/readyz", "/v1/adapters/facebook"):
        assert path in spec["paths"], path
    assert client.get("/docs").status_code == 200


# --- access log ----------------------------------------------------------------------------------
def test_access_log_has_no_bodies_or_query_strings(client, caplog):
    caplog.set_level("INFO", logger="shitstorm.server.access")
    client.post("/v1/score?lang=de", json={"text": THREAT}, headers=AUTH)
    client.get("/v1/adapters/facebook?hub.verify_token=geheim&hub.mode=subscribe&hub.challenge=1")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /v1/score 200" in logged
    assert "BILD" not in logged and "0171" not in logged and "geheim" not in logged and "lang=" not in logged


# --- config --------------------------------------------------------------------------------------
def test_config_from_env_validates(tmp_path):
    assert ServerConfig.from_env({}).token is None
    assert ServerConfig.from_env({"SHITSTORM_API_TOKEN": "a" * 16}).token == "a" * 16
    tf = tmp_path / "token"
    tf.write_text("x" * 32 + "\n")
    assert ServerConfig.from_env({"SHITSTORM_API_TOKEN_FILE": str(tf)}).token == "x" * 32
    tf.write_text("short")
    with pytest.raises(ConfigError, match="at least 16"):
        ServerConfig.from_env({"SHITSTORM_API_TOKEN_FILE": str(tf)})
    with pytest.raises(ConfigError, match="SHITSTORM_MAX_BODY_BYTES"):
        ServerConfig.from_env({"SHITSTORM_MAX_BODY_BYTES": "viel"})
    zendesk = lambda spec: ServerConfig.from_env({"SHITSTORM_ZENDESK_FIELDS": spec}).zendesk_fields
    assert zendesk("level=360001, priority=360002") == {"level": 360001, "priority": 360002}
    with pytest.raises(ConfigError, match="SHITSTORM_ZENDESK_FIELDS: 'stufe=1' is not NAME=FIELD_ID"):
        zendesk("stufe=1")


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.0.0.2") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")


def test_sink_priority_is_one_of_the_triage_priorities():
    assert ServerConfig.from_env({}).fb_sink_min_priority == "P4"  # every post reaches the sink
    assert ServerConfig.from_env({"SHITSTORM_FB_SINK_MIN_PRIORITY": "P1"}).fb_sink_min_priority == "P1"
    with pytest.raises(ConfigError, match="SHITSTORM_FB_SINK_MIN_PRIORITY must be one of P1, P2, P3, P4"):
        ServerConfig.from_env({"SHITSTORM_FB_SINK_MIN_PRIORITY": "P5"})


# --- Facebook adapter ------------------------------------------------------------------------------
APP_SECRET = "fb-app-secret-for-tests"
VERIFY = "fb-verify-token"


def fb_payload(*messages, item="comment", verb="add"):
    return {"object": "page", "entry": [{"id": "1234567890", "time": 1732300000, "changes": [
        {"field": "feed", "value": {"from": {"id": "42", "name": "Kundin"}, "item": item, "verb": verb,
                                    "post_id": "1234567890_111", "comment_id": f"111_{i}",
                                    "created_time": 1732300000, "message": m}}
        for i, m in enumerate(messages)]}]}


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture()
def fb_client(tiny_model, tmp_path):
    sink = tmp_path / "fb.jsonl"
    cfg = ServerConfig(token=TOKEN, fb_verify_token=VERIFY, fb_app_secret=APP_SECRET, fb_sink=str(sink))
    return TestClient(create_app(cfg, model=tiny_model)), sink


def test_facebook_verification_handshake(fb_client):
    c, _ = fb_client
    ok = c.get("/v1/adapters/facebook", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                                 "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = c.get("/v1/adapters/facebook", params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                  "hub.challenge": "1"})
    assert bad.status_code == 403
    assert c.get("/v1/adapters/facebook", params={"hub.mode": "unsubscribe", "hub.verify_token": VERIFY,
                                                  "hub.challenge": "1"}).status_code == 403


def test_facebook_signed_feed_is_scored_into_the_sink(fb_client):
    c, sink = fb_client
    body = json.dumps(fb_payload(THREAT, "Danke, alles gut!")).encode()
    r = c.post("/v1/adapters/facebook", content=body,
               headers={"X-Hub-Signature-256": sign(body), "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {"received": 2, "scored": 2, "delivered": 2}
    records = [json.loads(x) for x in sink.read_text(encoding="utf-8").splitlines()]
    assert [x["comment_id"] for x in records] == ["111_0", "111_1"]
    assert records[0]["triage"]["priority"] in ("P1", "P2")
    text = sink.read_text(encoding="utf-8")
    assert "BILD" not in text and "0171" not in text  # no post text, no personal data in the sink


@pytest.mark.parametrize("header, status", [(None, 401), ("sha256=" + "0" * 64, 403), ("sha1=abc", 403),
                                            ("garbage", 403)])
def test_facebook_bad_signature_scores_nothing(fb_client, header, status):
    c, sink = fb_client
    body = json.dumps(fb_payload(THREAT)).encode()
    headers = {"Content-Type": "application/json"}
    if header:
        headers["X-Hub-Signature-256"] = header
    r = c.post("/v1/adapters/facebook", content=body, headers=headers)
    assert r.status_code == status and not sink.exists()


def test_facebook_signature_over_the_raw_body(fb_client):
    c, sink = fb_client
    body = json.dumps(fb_payload(THREAT)).encode()
    tampered = body.replace(b"BILD", b"bild")
    r = c.post("/v1/adapters/facebook", content=tampered, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 403 and not sink.exists()


def test_facebook_unconfigured_is_503(client):
    assert client.post("/v1/adapters/facebook", content=b"{}",
                       headers={"X-Hub-Signature-256": "sha256=00"}).status_code == 503
    assert client.get("/v1/adapters/facebook", params={"hub.mode": "subscribe"}).status_code == 503


def test_feed_items_skip_what_has_no_text():
    payload = fb_payload("Hallo", item="reaction")
    payload["entry"][0]["changes"] += fb_payload("gelöscht", verb="remove")["entry"][0]["changes"]
    payload["entry"][0]["changes"] += fb_payload("   ")["entry"][0]["changes"]
    payload["entry"][0]["changes"] += fb_payload("Wirklich ein Kommentar")["entry"][0]["changes"]
    assert [i["message"] for i in feed_items(payload)] == ["Wirklich ein Kommentar"]
    assert feed_items({"object": "instagram"}) == [] and feed_items([]) == []
    assert signature_ok(b"x", sign(b"x"), APP_SECRET) and not signature_ok(b"x", sign(b"y"), APP_SECRET)


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_facebook_webhook_sink_gets_only_urgent_posts(tiny_model):
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        cfg = ServerConfig(fb_app_secret=APP_SECRET, fb_sink=url, fb_sink_min_priority="P2")
        c = TestClient(create_app(cfg, model=tiny_model))
        body = json.dumps(fb_payload(THREAT, "Wann habt ihr samstags offen?")).encode()
        r = c.post("/v1/adapters/facebook", content=body, headers={"X-Hub-Signature-256": sign(body)})
        assert r.status_code == 200 and r.json()["delivered"] == 1
        (msg,) = _Receiver.received
        assert msg["text"].startswith(("P1", "P2")) and "facebook" in msg["text"]
        assert msg["shitstorm"]["comment_id"] == "111_0" and "message_redacted" not in msg["shitstorm"]
    finally:
        server.shutdown()
        server.server_close()


def test_facebook_sink_with_redacted_text(tiny_model, tmp_path):
    sink = tmp_path / "fb.jsonl"
    cfg = ServerConfig(fb_app_secret=APP_SECRET, fb_sink=str(sink), fb_sink_text="redacted")
    c = TestClient(create_app(cfg, model=tiny_model))
    body = json.dumps(fb_payload(THREAT)).encode()
    c.post("/v1/adapters/facebook", content=body, headers={"X-Hub-Signature-256": sign(body)})
    (record,) = [json.loads(x) for x in sink.read_text(encoding="utf-8").splitlines()]
    assert record["message_redacted"].endswith("Tel [TELEFON]")


def test_concurrent_single_requests_are_batched_with_the_same_numbers(tiny_model):
    import asyncio

    import httpx

    calls = []

    class Counting:
        def __getattr__(self, name):
            return getattr(tiny_model, name)

        def score_many(self, texts):
            calls.append(len(texts))
            return tiny_model.score_many(texts)

    app = create_app(ServerConfig(token=TOKEN), model=Counting())
    texts = [f"Schon wieder kein Paket, zum {i}. Mal!" for i in range(40)] + [THREAT, "", "🤬🤬"]

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            rs = await asyncio.gather(*(c.post("/v1/score", json={"text": t}, headers=AUTH) for t in texts))
        return [r.json()["score"] for r in rs]

    got = asyncio.run(go())
    assert got == [json.loads(json.dumps(tiny_model.score(t).to_dict())) for t in texts]
    assert len(calls) < len(texts) and max(calls) > 1  # scored together, not one by one


# --- issue 12 -------------------------------------------------------------------------------------
def test_issue12_item8_a_batch_is_bounded_by_its_characters(client):
    from shitstorm.server.schemas import MAX_BATCH_CHARS

    posts = [{"id": str(i), "text": "x" * 10_000} for i in range(MAX_BATCH_CHARS // 10_000 + 1)]
    r = client.post("/v1/score/batch", json={"posts": posts}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "posts"]
    assert "characters" in r.json()["detail"][0]["msg"] and "xxxx" not in r.text


def _scoring_threads_seen(tiny_model) -> list[str]:
    """The names of the threads that scored one ``/v1/score`` and one batch request."""
    import threading as th

    seen = []

    class Spy:
        version = "spy"

        def score_many(self, texts):
            seen.append(th.current_thread().name)
            return tiny_model.score_many(texts)

        def info(self):
            return {}

    c = TestClient(create_app(ServerConfig(token=TOKEN), model=Spy()))
    assert c.post("/v1/score", json={"text": THREAT}, headers=AUTH).status_code == 200
    assert c.post("/v1/score/batch", json={"posts": [{"id": "1", "text": THREAT}]}, headers=AUTH).status_code == 200
    return seen


def test_issue12_item8_scoring_runs_off_the_event_loop(tiny_model):
    seen = _scoring_threads_seen(tiny_model)
    assert seen and all(name.startswith("shitstorm-score") for name in seen)


@pytest.mark.parametrize("body", [b'{"text": "\xff\xfe kaputt"}', b'{"text": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
                                  b'{"text": "unterbrochen'])
def test_issue12_item12_every_unreadable_body_is_the_same_422(client, body):
    r = client.post("/v1/score", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body"] and "kaputt" not in r.text


def test_issue12_item12_facebook_sink_survives_a_lone_surrogate(tiny_model, tmp_path):
    sink = tmp_path / "fb.jsonl"
    cfg = ServerConfig(token=TOKEN, fb_verify_token=VERIFY, fb_app_secret=APP_SECRET, fb_sink=str(sink),
                       fb_sink_text="redacted")
    c = TestClient(create_app(cfg, model=tiny_model))
    body = json.dumps(fb_payload("Frechheit \ud800 ruft an: 0171 2345678")).encode()  # ensure_ascii: "\\ud800"
    r = c.post("/v1/adapters/facebook", content=body,
               headers={"X-Hub-Signature-256": sign(body), "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["delivered"] == 1
    record = json.loads(sink.read_text(encoding="utf-8"))
    assert record["message_redacted"] == "Frechheit \ufffd ruft an: [TELEFON]"


def test_issue12_item12_client_disconnect_after_413_is_no_error(tiny_model, caplog):
    small = TestClient(create_app(ServerConfig(token=TOKEN, max_body_bytes=2048), model=tiny_model))

    def chunks():
        for _ in range(10):
            yield b"x" * 1000

    for path in ("/v1/score", "/v1/adapters/zendesk"):
        r = small.post(path, content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 413
    assert "Exception" not in caplog.text


def test_issue12_item12_slow_body_is_408(tiny_model):
    import asyncio

    from shitstorm.server.app import BodyLimitMiddleware

    sent = []

    async def app(scope, receive, send):
        await receive()
        await receive()

    async def receive():
        await asyncio.sleep(10)

    async def send(message):
        sent.append(message)

    mw = BodyLimitMiddleware(app, limit=2048, timeout=0.2)
    asyncio.run(mw({"type": "http", "headers": []}, receive, send))
    assert sent[0]["status"] == 408


@pytest.mark.parametrize("token", ["abc", "   ", " " * 20, "x" * 15])
def test_issue12_item13_short_tokens_are_refused_from_every_source(tmp_path, token):
    with pytest.raises(ConfigError, match="at least 16"):
        ServerConfig.from_env({"SHITSTORM_API_TOKEN": token})
    with pytest.raises(ConfigError, match="at least 16"):
        ServerConfig(token=token)
    tf = tmp_path / "token"
    tf.write_text(token + "\n")
    with pytest.raises(ConfigError, match="at least 16"):
        ServerConfig.from_env({"SHITSTORM_API_TOKEN_FILE": str(tf)})


# --- issue 14: the service's fast path for POST /v1/score ----------------------------------------
def _route_only(headers):
    """Headers that take a request past the fast path to FastAPI's route (a Content-Type with a
    charset is JSON to FastAPI, not to the fast path)."""
    return {**headers, "Content-Type": "application/json; charset=utf-8"}


@pytest.mark.parametrize(("query", "body"), [
    ("", {"text": THREAT}),
    ("?lang=en", {"text": "Paket kommt nicht", "context": {"followers": 90_000, "earlier_contacts": 3}}),
    ("?lang=de", {"text": "Meine IBAN DE89 3704 0044 0532 0130 00, ruft mich an: max@example.de"}),
    ("", {"text": ""}),
    ("", {"text": "🤬" * 50}),
])
def test_issue14_fast_path_answers_as_the_route_does(client, query, body):
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    fast = client.post(f"/v1/score{query}", content=raw, headers={**AUTH, "Content-Type": "application/json"})
    route = client.post(f"/v1/score{query}", content=raw, headers=_route_only(AUTH))
    assert fast.status_code == route.status_code == 200
    assert fast.content == route.content
    assert fast.headers["content-type"] == route.headers["content-type"] == "application/json"
    assert fast.headers["content-length"] == route.headers["content-length"]


@pytest.mark.parametrize(("query", "headers", "body", "status"), [
    ("", {"Authorization": "Bearer falsch-falsch-falsch-falsch"}, b'{"text": "Hallo"}', 401),
    ("", {}, b'{"text": "Hallo"}', 401),
    ("", {"Authorization": f"bearer {TOKEN}"}, b'{"text": "Hallo"}', 200),  # the route takes any case
    ("?lang=fr", AUTH, b'{"text": "Hallo"}', 422),
    ("?lang=en&lang=de", AUTH, b'{"text": "Hallo"}', 200),
    ("", AUTH, b'{"text": 5}', 422),
    ("", AUTH, b'{"text": "Hallo", "extra": 1}', 422),
    ("", AUTH, b'{"text": "Hallo", "context": {"followers": -1}}', 422),
    ("", AUTH, b'{"text": "unterbrochen', 422),
    ("", AUTH, b"", 422),
])
def test_issue14_requests_the_fast_path_does_not_take_get_the_routes_answer(client, query, headers, body, status):
    fast = client.post(f"/v1/score{query}", content=body, headers={**headers, "Content-Type": "application/json"})
    route = client.post(f"/v1/score{query}", content=body, headers=_route_only(headers))
    assert fast.status_code == route.status_code == status
    assert fast.content == route.content and fast.headers.get("www-authenticate") == route.headers.get("www-authenticate")


def test_issue14_fast_path_waits_for_the_model(tiny_model):
    app = create_app(ServerConfig(token=TOKEN), model=tiny_model)
    app.state.shitstorm["model"] = None  # as before the lifespan has loaded it
    r = TestClient(app).post("/v1/score", json={"text": THREAT}, headers=AUTH)
    assert r.status_code == 503 and r.json() == {"detail": "model not loaded yet"}


def test_issue14_posts_and_batches_are_scored_on_their_own_threads(tiny_model):
    seen = _scoring_threads_seen(tiny_model)
    assert seen[0].startswith("shitstorm-score-posts") and seen[1].startswith("shitstorm-score-batches")


def test_issue14_a_failing_post_fails_alone_in_its_micro_batch(tiny_model):
    import asyncio

    from shitstorm.server.app import MicroBatcher

    async def run(fn, *args):
        return fn(*args)

    batcher = MicroBatcher(lambda: tiny_model, run)

    def boom(score):
        raise RuntimeError("kaputt")

    async def go():
        return await asyncio.gather(batcher.score("Danke!"), batcher.score("Hallo", boom),
                                    batcher.score(THREAT, lambda s: s.level), return_exceptions=True)

    first, second, third = asyncio.run(go())
    assert first.level == tiny_model.score("Danke!").level
    assert isinstance(second, RuntimeError)
    assert third == tiny_model.score(THREAT).level


def test_issue14_serve_freezes_what_the_loaded_model_holds(tiny_model):
    import gc

    gc.unfreeze()
    try:
        with TestClient(create_app(ServerConfig(token=TOKEN), model=tiny_model, gc_freeze=True)) as c:
            assert gc.get_freeze_count() > 0  # out of the collector's sight: no 100 ms full collections
            assert c.post("/v1/score", json={"text": THREAT}, headers=AUTH).status_code == 200
    finally:
        gc.unfreeze()


def test_the_api_languages_are_the_policy_languages():
    """``?lang=`` (the route's ``Lang`` and the fast path's query strings) takes exactly the
    languages triage has advice in."""
    import typing

    from shitstorm.policy import LANGS
    from shitstorm.server.app import _FAST_LANGS, Lang

    assert typing.get_args(Lang) == LANGS
    assert set(_FAST_LANGS.values()) == set(LANGS) and _FAST_LANGS[b""] == "de"
