"""Where adapter results go: a JSON-lines file or an outgoing webhook (Slack, Teams, your own)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from pathlib import Path

from ..policy import PRIORITIES

log = logging.getLogger("shitstorm.server.sink")

WEBHOOK_TIMEOUT_S = 5.0
"""An outgoing webhook that does not answer within 5 s is given up (logged, not retried): the
adapter must answer its caller quickly, and Slack/Teams answer in well under a second."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def to_json_bytes(record: dict) -> bytes:
    """UTF-8 JSON of a record. A lone surrogate (JSON may carry "\\ud800", UTF-8 cannot) becomes
    U+FFFD instead of failing the delivery, which Facebook would retry forever."""
    text = json.dumps(record, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


class JsonLinesSink:
    """Appends one JSON object per line. Each line is one ``write`` on a file opened with
    ``O_APPEND``, so several worker processes can share the file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    async def deliver(self, records: list[dict]) -> int:
        if not records:
            return 0
        data = b"".join(to_json_bytes(r) + b"\n" for r in records)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return len(records)


class WebhookSink:
    """POSTs one message per record at or above ``min_priority``. The body has a ``text`` line
    (what Slack and Teams incoming webhooks show) and the full record under ``shitstorm``."""

    def __init__(self, url: str, min_priority: str = "P1"):
        self.url = url
        self.min_index = PRIORITIES.index(min_priority)

    async def deliver(self, records: list[dict]) -> int:
        import httpx

        wanted = [r for r in records if PRIORITIES.index(r["triage"]["priority"]) <= self.min_index]
        if not wanted:
            return 0
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S) as client:
            results = await asyncio.gather(*(self._post(client, r) for r in wanted))
        return sum(results)

    async def _post(self, client, record: dict) -> int:
        t = record["triage"]
        s = record["score"]
        where = record.get("comment_id") or record.get("post_id") or "?"
        text = (f"{t['priority']} on {record.get('source', '?')} ({where}): level {s['level']}, "
                f"publicity pressure {s['publicity_pressure']:.0%}, answer within {t['respond_within']} min, "
                f"route {t['route']}")
        try:
            r = await client.post(self.url, content=to_json_bytes({"text": text, "shitstorm": record}),
                                  headers={"content-type": "application/json"})
            r.raise_for_status()
            return 1
        except Exception as exc:  # a dead webhook must not fail the adapter's answer
            log.warning("sink webhook failed: %s", type(exc).__name__)
            return 0


def make_sink(spec: str, min_priority: str = "P4"):
    """``https://…`` / ``http://…`` → ``WebhookSink``; anything else is a file path."""
    if spec.startswith(("https://", "http://")):
        return WebhookSink(spec, min_priority)
    return JsonLinesSink(spec)
