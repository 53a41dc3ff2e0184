"""What the three helpdesk adapters (Zendesk, Freshdesk, Zammad) share: the answer's schema and
the endpoint around a vendor's payload parser (bearer token, signature check, JSON, parse, score
and triage, answer, write-back when configured). Each vendor's module holds its parser only."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from ...helpdesk import (
    VENDOR_LABELS,
    PayloadError,
    Settings,
    SyncConfigError,
    SyncError,
    field_values,
    parse_json_object,
    settings_from_env,
    skipped_result,
    webhook_result,
    writeback,
)
from ...policy import Triage
from ..config import ConfigError, ServerConfig
from .common import score_and_triage

log = logging.getLogger("shitstorm.server.helpdesk")


@dataclass(frozen=True)
class HelpdeskItem:
    """What an adapter takes from a vendor payload. ``text`` is ``None`` when the item is
    skipped (``skipped`` says why)."""

    ticket_id: int
    text: str | None
    channel: str | None = None
    tags: list[str] | None = None
    skipped: str | None = None


class HelpdeskFields(BaseModel):
    escalation: float
    level: str
    publicity_pressure: float
    priority: str
    route: str


class HelpdeskRequest(BaseModel):
    method: str
    path: str
    body: Any = Field(default=None, alias="json", description="the JSON body")


class HelpdeskAdvice(BaseModel):
    id: str
    text: str


class HelpdeskResult(BaseModel):
    vendor: str
    ticket_id: int
    scored: bool = Field(description="false when the payload was skipped (e.g. an internal note)")
    skipped: str | None = None
    tags: list[str] = Field(description="tags to add: the triage's tags")
    remove_tags: list[str] = Field(description="shitstorm tags of an earlier scoring that no longer hold")
    fields: HelpdeskFields | None = None
    custom_fields: list[dict] | dict | None = Field(
        default=None, description="the configured fields in the vendor's shape: Zendesk [{id, value}], "
                                  "Freshdesk {cf_name: value}, Zammad {attribute: value}")
    priority: str | None = None
    respond_within: int | None = None
    route: str | None = None
    rules: list[str] = []
    advice: list[HelpdeskAdvice] = []
    update: list[HelpdeskRequest] = Field(description="the requests that apply it, as the sync client sends them")
    writeback: str = Field(description="'scheduled' when the server sends the update itself, else 'off'")


def writeback_settings(vendor: str, config: ServerConfig, fields: Mapping[str, Any]) -> Settings | None:
    """The vendor's credentials when the server writes back, with the field mapping of the
    server's configuration (so the write-back sets what the answer says)."""
    if vendor not in config.helpdesk_writeback:
        return None
    try:
        settings = settings_from_env(vendor)
    except SyncConfigError as exc:
        raise ConfigError(str(exc)) from None
    return dataclasses.replace(settings, fields=dict(fields))


def _writeback_task(settings: Settings, ticket_id: int, tri: Triage, values: dict) -> None:
    label = VENDOR_LABELS[settings.vendor]
    try:
        plan = writeback(settings, ticket_id, tri, values)
    except (SyncError, SyncConfigError) as exc:
        log.warning("%s write-back for ticket %d failed: %s", label, ticket_id, exc)
        return
    except Exception as exc:  # a background task must not take the worker down; no payload in the log
        log.warning("%s write-back for ticket %d failed: %s", label, ticket_id, type(exc).__name__)
        return
    log.info("%s write-back for ticket %d: %d request(s) sent", label, ticket_id, len(plan))


def helpdesk_router(app: FastAPI, config: ServerConfig, vendor: str, fields: Mapping[str, Any],
                    parse: Callable[[dict], HelpdeskItem],
                    check: Callable[[Request, bytes], None] | None = None, summary: str = "",
                    description: str = "", extra_responses: dict | None = None) -> APIRouter:
    """One ``POST ""`` endpoint: bearer token → ``check(request, raw_body)`` (signatures) → JSON →
    ``parse`` → score + triage → answer (+ write-back when configured)."""
    router = APIRouter()
    settings = writeback_settings(vendor, config, fields)
    responses = {401: {"description": "missing or wrong bearer token"},
                 422: {"description": "body not JSON, or ticket id or text missing or invalid (the field is named)"},
                 **(extra_responses or {})}

    @router.post("", response_model=HelpdeskResult, dependencies=[Depends(app.state.require_token)],
                 summary=summary, description=description, responses=responses,
                 openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"type": "object", "description": f"a {VENDOR_LABELS[vendor]} webhook payload"}}}}})
    async def receive(request: Request, background: BackgroundTasks) -> dict:
        body = await request.body()
        if check is not None:
            check(request, body)
        try:
            item = parse(parse_json_object(body))
        except PayloadError as exc:
            raise HTTPException(exc.status, exc.detail()) from None
        if item.text is None:
            return skipped_result(vendor, item.ticket_id, item.skipped or "nothing to score")
        s, t = await app.state.run_scoring(score_and_triage, app, item.text,
                                           {"channel": item.channel} if item.channel else None)
        values = field_values(s, t)
        if settings is not None:
            background.add_task(_writeback_task, settings, item.ticket_id, t, values)
        return webhook_result(vendor, item.ticket_id, s, t, fields, item.tags, writeback=settings is not None,
                              values=values)

    return router


__all__ = ["HelpdeskItem", "HelpdeskResult", "helpdesk_router"]
