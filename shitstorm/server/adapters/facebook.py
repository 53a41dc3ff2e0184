"""Facebook page webhooks (Graph API): ``GET|POST /v1/adapters/facebook``.

* ``GET``: the verification handshake. Facebook calls
  ``?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…``; we answer the challenge as plain
  text when the token equals ``SHITSTORM_FB_VERIFY_TOKEN`` (constant-time), else 403.
* ``POST``: change notifications of the page's ``feed`` field. The raw body is checked against
  ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body with the app secret>``
  (``SHITSTORM_FB_APP_SECRET``, constant-time) *before* it is parsed; a missing or bad signature
  is 401 / 403 and nothing is scored. Comments and posts with a message (``verb`` add or
  edited) are scored and triaged; the results go to the configured sink
  (``SHITSTORM_FB_SINK``): a JSON-lines file, or an ``https://``/``http://`` URL that receives
  one JSON message per post at or above ``SHITSTORM_FB_SINK_MIN_PRIORITY`` (e.g. a Slack or
  Teams incoming webhook for P1 posts). The post's text reaches the sink only with
  ``SHITSTORM_FB_SINK_TEXT=redacted``, and then with personal data replaced.

Facebook retries deliveries that are not answered with 200 quickly, so the endpoint answers 200
with a summary once the results are handed to the sink.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from ..config import ServerConfig
from ..sinks import make_sink
from .common import score_and_triage_many

SCORED_ITEMS = frozenset({"comment", "post", "status"})
"""Feed items with a customer's text. Reactions, likes, shares and photos without a message
carry nothing to score."""
SCORED_VERBS = frozenset({"add", "edited"})


class FacebookSummary(BaseModel):
    received: int
    scored: int
    delivered: int


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """``X-Hub-Signature-256`` check: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256="):].strip().lower().encode("ascii", "replace"),
                               expected.encode("ascii"))


def feed_items(payload: dict) -> list[dict]:
    """The comment and post events with a message, from a page webhook payload."""
    items: list[dict] = []
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return items
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "feed":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            if value.get("item") not in SCORED_ITEMS or value.get("verb") not in SCORED_VERBS:
                continue
            message = value.get("message")
            if not isinstance(message, str) or not message.strip():
                continue
            items.append({
                "page_id": str(entry.get("id", "")),
                "item": value.get("item"),
                "verb": value.get("verb"),
                "post_id": value.get("post_id"),
                "comment_id": value.get("comment_id"),
                "parent_id": value.get("parent_id"),
                "created_time": value.get("created_time"),
                "message": message,
            })
    return items


def make_router(app: FastAPI, config: ServerConfig) -> APIRouter:
    router = APIRouter()
    sink = make_sink(config.fb_sink, config.fb_sink_min_priority) if config.fb_sink else None

    @router.get("", response_class=PlainTextResponse, summary="Facebook webhook verification",
                responses={403: {"description": "wrong verify token or mode"}})
    async def verify(mode: str = Query("", alias="hub.mode"),
                     token: str = Query("", alias="hub.verify_token"),
                     challenge: str = Query("", alias="hub.challenge", max_length=200)) -> PlainTextResponse:
        expected = config.fb_verify_token
        if expected is None:
            raise HTTPException(503, "Facebook adapter not configured: set SHITSTORM_FB_VERIFY_TOKEN")
        if mode != "subscribe" or not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
            raise HTTPException(403, "verification failed")
        return PlainTextResponse(challenge)

    @router.post("", response_model=FacebookSummary, summary="Facebook page feed events",
                 responses={401: {"description": "no signature"}, 403: {"description": "bad signature"},
                            422: {"description": "body is not JSON"},
                            503: {"description": "adapter not configured"}},
                 openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"type": "object", "description": "a Graph API page webhook payload"}}}}})
    async def receive(request: Request) -> FacebookSummary:
        if not config.fb_app_secret:
            raise HTTPException(503, "Facebook adapter not configured: set SHITSTORM_FB_APP_SECRET")
        body = await request.body()
        header = request.headers.get("x-hub-signature-256")
        if not header:
            raise HTTPException(401, "missing X-Hub-Signature-256")
        if not signature_ok(body, header, config.fb_app_secret):
            raise HTTPException(403, "bad X-Hub-Signature-256")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, huge numbers, deep nesting
            from ..app import NOT_JSON

            raise HTTPException(422, [NOT_JSON]) from None
        items = feed_items(payload)
        results = await app.state.run_scoring(score_and_triage_many, app, [i["message"] for i in items],
                                              [{"channel": "facebook"}] * len(items))
        delivered = 0
        if sink is not None:
            records = [_record(i, s, t, config.fb_sink_text) for i, (s, t) in zip(items, results, strict=False)]
            delivered = await sink.deliver(records)
        return FacebookSummary(received=len(items), scored=len(results), delivered=delivered)

    return router


def _record(item: dict, score, tri, with_text: str) -> dict:
    """What the sink gets: ids to find the post, scores and triage. The post's text only when
    ``SHITSTORM_FB_SINK_TEXT=redacted`` (then with personal data replaced); personal data
    itself never."""
    from ...pii import redact

    ident = {k: item[k] for k in ("page_id", "item", "verb", "post_id", "comment_id", "parent_id",
                                  "created_time")}
    from ...schema import score_record

    # the matched words are pieces of the post: left out too, unless the text is sent redacted
    d = score_record(score, pii="spans", reason_text=with_text == "redacted")
    record = {"source": "facebook", **ident, "score": d, "triage": tri.to_dict()}
    if with_text == "redacted":
        record["message_redacted"] = redact(item["message"])
    return record

