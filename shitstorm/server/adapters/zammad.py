"""Zammad: ``POST /v1/adapters/zammad``, the target of a webhook that a trigger runs.

Zammad's default webhook payload has the ``ticket`` and the ``article`` that fired the trigger;
the article's ``body`` is scored when it is a public article from the customer (internal notes
and agents' replies are answered with ``scored: false`` and no update). ``ticket.id`` and
``article.body`` are required.

With ``SHITSTORM_ZAMMAD_SECRET`` set (the webhook's "HMAC SHA1 Signature Token"), the raw body
must carry ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>``, checked in constant time
before anything is parsed: missing → 401, wrong → 403. The bearer token (the webhook's
"Bearer Token" authentication) is checked as on every endpoint.

The answer's update: ``PUT /api/v1/tickets/{id}`` with the ticket attributes named in
``SHITSTORM_ZAMMAD_FIELDS="level=shitstorm_level,priority=shitstorm_priority"`` (when any),
``POST /api/v1/tags/add`` per tag and ``DELETE /api/v1/tags/remove`` per stale ``shitstorm`` tag.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import APIRouter, FastAPI, HTTPException, Request

from ...helpdesk import (
    PayloadError,
    channel_from_zammad_type,
    parse_tags,
    text_of,
    ticket_id_of,
    zammad_article_from_customer,
)
from ..config import ServerConfig
from ._helpdesk import HelpdeskItem, helpdesk_router

SIGNATURE_HEADER = "x-hub-signature"


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """``X-Hub-Signature``: ``sha1=`` + hex HMAC-SHA1 of the raw body with the signature token."""
    if not header:
        return False
    given = header.strip()
    if given.lower().startswith("sha1="):
        given = given[5:]
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()
    return hmac.compare_digest(given.lower().encode("ascii", "replace"), expected.encode("ascii"))


def parse_payload(payload: dict) -> HelpdeskItem:
    ticket = payload.get("ticket")
    if not isinstance(ticket, dict):
        raise PayloadError("ticket is required: Zammad's ticket object", "ticket")
    ticket_id = ticket_id_of(ticket.get("id"), "ticket.id")
    article = payload.get("article")
    text = text_of(payload, ("article.body",))
    if text is None or not isinstance(article, dict):  # a text is found in an article object only
        raise PayloadError("article.body is required: the article's text (a trigger on a ticket "
                           "without a new article has nothing to score)", "article.body")
    if article.get("internal") is True:
        return HelpdeskItem(ticket_id, None, skipped="internal article")
    if not zammad_article_from_customer(article):
        return HelpdeskItem(ticket_id, None, skipped="article not from the customer")
    return HelpdeskItem(ticket_id, text, channel_from_zammad_type(article.get("type")),
                        parse_tags(ticket.get("tags"), r"\s*,\s*"))


def make_router(app: FastAPI, config: ServerConfig) -> APIRouter:
    secret = config.zammad_secret

    def check(request: Request, body: bytes) -> None:
        if not secret:
            return
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            raise HTTPException(401, "missing X-Hub-Signature")
        if not signature_ok(body, header, secret):
            raise HTTPException(403, "bad X-Hub-Signature")

    return helpdesk_router(
        app, config, "zammad", config.zammad_fields, parse_payload, check=check,
        summary="Zammad trigger webhook",
        description="Score the customer's article; answer the tags and attribute values to set and the "
                    "API requests that set them.",
        extra_responses={403: {"description": "bad X-Hub-Signature (with SHITSTORM_ZAMMAD_SECRET)"}})
