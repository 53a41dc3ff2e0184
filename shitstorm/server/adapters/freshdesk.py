"""Freshdesk: ``POST /v1/adapters/freshdesk``, the target of an automation rule's "Trigger
webhook" action.

Two payload shapes are read:

* the JSON the admin writes in the action's *Advanced* content (recommended)::

    {"ticket_id": {{ticket.id}}, "latest_public_comment": "{{ticket.latest_public_comment}}",
     "description": "{{ticket.description}}", "tags": "{{ticket.tags}}", "source": "{{ticket.source}}"}

* the *Simple* content, which Freshdesk wraps as ``{"freshdesk_webhook": {"ticket_id": …,
  "ticket_latest_public_comment": …, "ticket_description": …, "ticket_tags": …}}``.

``ticket_id`` and one of the texts are required; ``tags`` (comma-separated, or a JSON list) lets
the answer's update keep the ticket's own tags, because Freshdesk's ``PUT /api/v2/tickets/{id}``
replaces the tag list: without them the update carries the custom fields only (the sync client
and the server's write-back read the tags from the ticket first). Custom fields are named by
``SHITSTORM_FRESHDESK_FIELDS="level=cf_shitstorm_level,priority=cf_shitstorm_priority"``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from ...helpdesk import PayloadError, channel_from_freshdesk_source, parse_tags, text_of, ticket_id_of
from ..config import ServerConfig
from ._helpdesk import HelpdeskItem, helpdesk_router

WRAPPER = "freshdesk_webhook"
TAG_SEPARATORS = r"\s*,\s*"
"""Freshdesk tags may contain spaces: only commas separate them."""


def parse_payload(payload: dict) -> HelpdeskItem:
    inner = payload.get(WRAPPER)
    if isinstance(inner, dict):  # "Simple" content: ticket_* keys under freshdesk_webhook
        prefix, data = f"{WRAPPER}.ticket_", inner
    else:
        prefix, data = "", payload
    key = (lambda name: f"ticket_{name}") if prefix else (lambda name: name)
    ticket_id = ticket_id_of(data.get("ticket_id"), f"{WRAPPER}.ticket_id" if prefix else "ticket_id")
    text = text_of(data, (key("latest_public_comment"), key("description")))
    if text is None:
        where = f"{prefix}latest_public_comment" if prefix else "latest_public_comment"
        raise PayloadError("latest_public_comment or description is required: the customer's text "
                           "({{ticket.latest_public_comment}} or {{ticket.description}})", where)
    return HelpdeskItem(ticket_id, text, channel_from_freshdesk_source(data.get(key("source"))),
                        parse_tags(data.get(key("tags")), TAG_SEPARATORS))


def make_router(app: FastAPI, config: ServerConfig) -> APIRouter:
    return helpdesk_router(
        app, config, "freshdesk", config.freshdesk_fields, parse_payload,
        summary="Freshdesk automation webhook",
        description="Score the ticket's latest public comment (or description); answer the tags and "
                    "custom-field values to set and the ticket update that sets them.")
