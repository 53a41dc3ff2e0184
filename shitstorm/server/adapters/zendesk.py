"""Zendesk: ``POST /v1/adapters/zendesk``, the target of a webhook that a trigger notifies.

The trigger ("Notify by > Active webhook") sends a JSON body the admin writes with placeholders:

    {"ticket_id": "{{ticket.id}}", "latest_public_comment": "{{ticket.latest_public_comment}}",
     "description": "{{ticket.description}}", "via": "{{ticket.via}}", "tags": "{{ticket.tags}}"}

``ticket_id`` and one of ``latest_public_comment`` / ``description`` are required (the latest
public comment is scored when it has text, else the description); ``via`` gives the channel
(Facebook, X, Instagram) and ``tags`` the ticket's tags, so that ``shitstorm`` tags of an earlier
scoring that no longer hold are removed. The answer names the tags to add and remove, the
custom-field values (field ids from ``SHITSTORM_ZENDESK_FIELDS``) and the exact requests that
set them (Tags API add / remove, Update Ticket for the custom fields). Zendesk itself does
nothing with a webhook's answer:
the update is sent by ``shitstorm zendesk-sync`` or, with ``SHITSTORM_HELPDESK_WRITEBACK=zendesk``,
by the server right after answering.

The endpoint around the parser, shared with Freshdesk and Zammad, is in ``_helpdesk.py``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from ...helpdesk import PayloadError, channel_from_zendesk_via, parse_tags, text_of, ticket_id_of
from ..config import ServerConfig
from ._helpdesk import HelpdeskItem, helpdesk_router

TEXT_FIELDS = ("latest_public_comment", "description")


def parse_payload(payload: dict) -> HelpdeskItem:
    ticket_id = ticket_id_of(payload.get("ticket_id"), "ticket_id")
    text = text_of(payload, TEXT_FIELDS)
    if text is None:
        raise PayloadError("latest_public_comment or description is required: the customer's text "
                           "({{ticket.latest_public_comment}} or {{ticket.description}})", "latest_public_comment")
    return HelpdeskItem(ticket_id, text, channel_from_zendesk_via(payload.get("via")),
                        parse_tags(payload.get("tags"), r"\s+"))


def make_router(app: FastAPI, config: ServerConfig) -> APIRouter:
    return helpdesk_router(
        app, config, "zendesk", config.zendesk_fields, parse_payload,
        summary="Zendesk trigger webhook",
        description="Score the ticket's latest public comment (or description); answer the tags and "
                    "custom-field values to set and the Tickets API update that sets them.")


__all__ = ["make_router", "parse_payload"]
