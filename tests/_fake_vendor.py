"""A fake helpdesk vendor API on loopback and the vendors' payload fixtures, shared by the sync
clients' tests (tests/test_helpdesk.py) and the server adapters' (tests/test_server_adapters_helpdesk.py).

Payload and API fixtures in ``tests/fixtures/helpdesk/`` are written from the vendors' public
docs (Zendesk trigger JSON with placeholders and the Tickets API, Freshdesk's automation webhook
and Tickets API, Zammad's default webhook payload, tickets, articles and tags APIs).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from shitstorm import helpdesk

FIXTURES = Path(__file__).parent / "fixtures" / "helpdesk"
VENDOR_ENV = ("ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_URL", "FRESHDESK_DOMAIN",
              "FRESHDESK_API_KEY", "FRESHDESK_URL", "ZAMMAD_URL", "ZAMMAD_TOKEN", "SHITSTORM_ZENDESK_FIELDS",
              "SHITSTORM_FRESHDESK_FIELDS", "SHITSTORM_ZAMMAD_FIELDS")


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def raw_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- a fake vendor API on loopback ------------------------------------------------------------
class FakeVendor:
    """Answers ``(method, path)`` with queued ``(status, body, headers)`` (the last one repeats)
    and records every request: method, path, query, headers, JSON body."""

    def __init__(self):
        self.routes: dict[tuple[str, str], list] = {}
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake.requests.append({"method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "json": json.loads(raw) if raw else None})
                queue = fake.routes.get((self.command, parts.path))
                if not queue:
                    status, body, headers = 404, {"error": "RecordNotFound"}, {}
                else:
                    status, body, headers = queue.pop(0) if len(queue) > 1 else queue[0]
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def route(self, method: str, path: str, *responses):
        self.routes[(method, path)] = [r if isinstance(r, tuple) else (200, r, {}) for r in responses]

    def writes(self) -> list[dict]:
        return [r for r in self.requests if r["method"] != "GET"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()




def zendesk_write_routes(fake, *tag_responses):
    fake.route("PUT", "/api/v2/tickets/35436/tags", *(tag_responses or ({"tags": ["vip"]},)))
    fake.route("DELETE", "/api/v2/tickets/35436/tags", None)
    fake.route("PUT", "/api/v2/tickets/35436.json", {"ticket": {"id": 35436}})


def clear_vendor_env(monkeypatch) -> None:
    """No vendor settings from the environment, and no real waiting on a Retry-After."""
    for name in VENDOR_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(helpdesk, "_sleep", lambda s: pytest.fail(f"unexpected wait of {s} s"))
