"""Helpdesk write-back: Zendesk, Freshdesk and Zammad tickets get ``shitstorm``'s tags and fields.

One module for the three vendors, used by the CLI (``shitstorm zendesk-sync``, ``freshdesk-sync``,
``zammad-sync``) and by the HTTP adapters (``/v1/adapters/zendesk|freshdesk|zammad``), so that
the update an adapter answers with is exactly what a sync sends:

* **plan** (pure): from a ticket's triage, its field values and the tags it already has, the
  list of API requests (``ApiRequest``) that set them;
* **clients** (``httpx``, sync): read a ticket's customer text and tags, send a plan. Bounded
  timeouts, ``429`` answered by waiting ``Retry-After`` (at most ``MAX_RETRY_WAIT_S``), clear
  errors for ``401``/``403``/``404``. Credentials come from the environment (``settings_from_env``).

What each vendor gets:

* Zendesk: ``PUT /api/v2/tickets/{id}/tags`` adds the ``Triage.tags`` (keeping the ticket's
  other tags), ``DELETE /api/v2/tickets/{id}/tags`` removes ``shitstorm`` tags of an earlier
  scoring that no longer hold, ``PUT /api/v2/tickets/{id}.json`` sets ``custom_fields``
  ``[{"id", "value"}]`` for the fields named in ``SHITSTORM_ZENDESK_FIELDS``. Basic auth
  ``{email}/token:{api_token}``.
* Freshdesk: ``PUT /api/v2/tickets/{id}`` with ``tags`` (Freshdesk replaces the list, so the
  ticket's other tags are kept and stale ``shitstorm`` tags dropped) and ``custom_fields``
  ``{"cf_…": value}`` (``SHITSTORM_FRESHDESK_FIELDS``). Basic auth ``{api_key}:X``.
* Zammad: ``PUT /api/v1/tickets/{id}`` with the ticket attributes named in
  ``SHITSTORM_ZAMMAD_FIELDS`` (when any), ``POST /api/v1/tags/add`` per new tag and
  ``DELETE /api/v1/tags/remove`` per stale tag (``object=Ticket``, ``o_id``, ``item``).
  ``Authorization: Token token=…``.

Post texts are read to be scored and never written anywhere: plans, results and error messages
carry ticket ids, tags, field values, paths and status codes only.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import ShitstormError
from .policy import TAG_VOCABULARY, Triage
from .schema import Score

VENDORS: tuple[str, ...] = ("zendesk", "freshdesk", "zammad")
VENDOR_LABELS = {"zendesk": "Zendesk", "freshdesk": "Freshdesk", "zammad": "Zammad"}
FIELD_NAMES: tuple[str, ...] = ("escalation", "level", "publicity_pressure", "priority", "route")
"""The values ``shitstorm`` can write into custom fields (Zendesk), custom fields (Freshdesk) or
ticket attributes (Zammad)."""

FIELDS_ENV = {"zendesk": "SHITSTORM_ZENDESK_FIELDS", "freshdesk": "SHITSTORM_FRESHDESK_FIELDS",
              "zammad": "SHITSTORM_ZAMMAD_FIELDS"}

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
MAX_RETRY_WAIT_S = 60.0
"""A ``429`` whose ``Retry-After`` asks for longer than this is reported, not waited for."""
MAX_ATTEMPTS = 3
MAX_PAGES = 10
"""Freshdesk conversations are read 100 per page, at most this many pages."""

_VOCABULARY = frozenset(TAG_VOCABULARY)
_sleep: Callable[[float], None] = time.sleep


class SyncConfigError(ShitstormError, ValueError):
    """A missing or invalid setting; the message names the environment variable."""


class SyncError(ShitstormError):
    """A vendor API call failed. ``status`` is the HTTP status (if any); ``fatal`` means that
    further calls with the same credentials will fail too (401)."""

    def __init__(self, message: str, status: int | None = None, fatal: bool = False):
        super().__init__(message)
        self.status = status
        self.fatal = fatal


class PayloadError(ShitstormError, ValueError):
    """A webhook payload the adapters cannot use: 422, like every body the service cannot use
    (not JSON, or ``field`` missing or invalid). The message never contains the payload's text."""

    def __init__(self, message: str, field: str | None = None, kind: str = "value_error"):
        super().__init__(message)
        self.field = field
        self.kind = kind
        self.status = 422

    def detail(self):
        return [{"loc": ["body", *self.field.split(".")] if self.field else ["body"], "msg": str(self),
                 "type": self.kind}]


# --- plans ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiRequest:
    """One call to a vendor's API: method, path (relative to the instance's base URL), JSON body."""

    method: str
    path: str
    json: Any = None

    def to_dict(self) -> dict:
        return {"method": self.method, "path": self.path, "json": self.json}


def field_values(score: Score, tri: Triage) -> dict[str, Any]:
    """The values of ``FIELD_NAMES`` for one scored and triaged ticket."""
    from .schema import score_record

    record = score_record(score, tri, pii=None)
    return {name: record[name] for name in FIELD_NAMES}


def stale_tags(existing: Iterable[str] | None, new: Iterable[str]) -> list[str]:
    """``shitstorm`` tags on the ticket from an earlier scoring that the new one does not set
    (a level that changed, a cue no longer found). Other tags are never touched."""
    wanted = set(new)
    return [t for t in (existing or ()) if t in _VOCABULARY and t not in wanted]


def merged_tags(existing: Iterable[str], new: Iterable[str]) -> list[str]:
    """The ticket's own tags (in order, stale ``shitstorm`` tags dropped) + the new tags."""
    new = list(new)
    stale = set(stale_tags(existing, new))
    out: list[str] = []
    for t in [*existing, *new]:
        if t not in stale and t not in out:
            out.append(t)
    return out


def _configured(values: Mapping[str, Any], names: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(n, names[n], values[n]) for n in FIELD_NAMES if n in names]


def zendesk_plan(ticket_id: int, tri: Triage, values: Mapping[str, Any], field_ids: Mapping[str, int],
                 existing_tags: Iterable[str] | None = None) -> list[ApiRequest]:
    """Tags through the Tags API (``PUT`` adds to the ticket's tags, ``DELETE`` removes the
    named ones: Update Ticket's ``tags`` would replace them all, and its ``additional_tags`` /
    ``remove_tags`` are documented for Update Many only); custom fields through Update Ticket."""
    plan = [ApiRequest("PUT", f"/api/v2/tickets/{ticket_id}/tags", {"tags": list(tri.tags)})]
    remove = stale_tags(existing_tags, tri.tags)
    if remove:
        plan.append(ApiRequest("DELETE", f"/api/v2/tickets/{ticket_id}/tags", {"tags": remove}))
    fields = [{"id": fid, "value": v} for _, fid, v in _configured(values, field_ids)]
    if fields:
        plan.append(ApiRequest("PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"custom_fields": fields}}))
    return plan


def freshdesk_plan(ticket_id: int, tri: Triage, values: Mapping[str, Any], field_names: Mapping[str, str],
                   existing_tags: Iterable[str] | None = None) -> list[ApiRequest]:
    """With ``existing_tags`` unknown (``None``) the body has no ``tags``: Freshdesk would replace
    the ticket's tags with ours. The sync client always knows them (it reads the ticket first)."""
    body: dict[str, Any] = {}
    if existing_tags is not None:
        body["tags"] = merged_tags(existing_tags, tri.tags)
    fields = {name: v for _, name, v in _configured(values, field_names)}
    if fields:
        body["custom_fields"] = fields
    return [ApiRequest("PUT", f"/api/v2/tickets/{ticket_id}", body)] if body else []


def zammad_plan(ticket_id: int, tri: Triage, values: Mapping[str, Any], attributes: Mapping[str, str],
                existing_tags: Iterable[str] | None = None) -> list[ApiRequest]:
    """Attribute values are strings (probabilities as ``"0.973"``): Zammad's text and select
    attributes take them as they are."""
    plan: list[ApiRequest] = []
    attrs = {name: (f"{v:.3f}" if isinstance(v, float) else str(v))
             for _, name, v in _configured(values, attributes)}
    if attrs:
        plan.append(ApiRequest("PUT", f"/api/v1/tickets/{ticket_id}", attrs))
    have = set(existing_tags or ())
    for tag in tri.tags:
        if tag not in have:
            plan.append(ApiRequest("POST", "/api/v1/tags/add", {"object": "Ticket", "o_id": ticket_id, "item": tag}))
    for tag in stale_tags(existing_tags, tri.tags):
        plan.append(ApiRequest("DELETE", "/api/v1/tags/remove", {"object": "Ticket", "o_id": ticket_id, "item": tag}))
    return plan


Planner = Callable[[int, Triage, Mapping[str, Any], Mapping[str, Any], Iterable[str] | None], list[ApiRequest]]
"""``(ticket_id, triage, field values, field mapping, existing tags) -> requests``."""
PLANNERS: dict[str, Planner] = {"zendesk": zendesk_plan, "freshdesk": freshdesk_plan, "zammad": zammad_plan}


def custom_field_values(vendor: str, values: Mapping[str, Any], fields: Mapping[str, Any]):
    """The configured fields in the vendor's own shape (for the adapters' answers)."""
    configured = _configured(values, fields)
    if vendor == "zendesk":
        return [{"id": fid, "value": v} for _, fid, v in configured]
    return {name: v for _, name, v in configured}


def webhook_result(vendor: str, ticket_id: int, score: Score, tri: Triage, fields: Mapping[str, Any],
                   existing_tags: Iterable[str] | None, writeback: bool,
                   values: Mapping[str, Any] | None = None) -> dict:
    """What an adapter answers: ids, tags, field values and the update requests. Never the post's
    text, its matched words or its personal data. ``values``: ``field_values(score, tri)`` when
    the caller has them already (the write-back sends the same)."""
    values = dict(field_values(score, tri) if values is None else values)
    existing = None if existing_tags is None else list(existing_tags)
    plan = PLANNERS[vendor](ticket_id, tri, values, fields, existing)
    return {
        "vendor": vendor, "ticket_id": ticket_id, "scored": True, "skipped": None,
        "tags": list(tri.tags), "remove_tags": stale_tags(existing, tri.tags),
        "fields": values, "custom_fields": custom_field_values(vendor, values, fields),
        "priority": tri.priority, "respond_within": tri.respond_within, "route": tri.route,
        "rules": list(tri.rules), "advice": [a.to_dict() for a in tri.advice],
        "update": [r.to_dict() for r in plan],
        "writeback": "scheduled" if writeback else "off",
    }


def skipped_result(vendor: str, ticket_id: int, reason: str) -> dict:
    return {"vendor": vendor, "ticket_id": ticket_id, "scored": False, "skipped": reason, "tags": [],
            "remove_tags": [], "fields": None, "custom_fields": None, "priority": None,
            "respond_within": None, "route": None, "rules": [], "advice": [], "update": [],
            "writeback": "off"}


# --- payload helpers (shared by the adapters) ---------------------------------------------------
def parse_json_object(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, a 5,000-digit number, 10,000 levels deep
        raise PayloadError("body is not valid JSON (UTF-8, numbers of at most 4,300 digits, nested at most "
                           "about 1,000 levels deep)", None, "json_invalid") from None
    if not isinstance(payload, dict):
        raise PayloadError("the payload must be a JSON object", None)
    return payload


def ticket_id_of(value: Any, name: str) -> int:
    """A ticket id from a payload: a positive whole number, or a string of digits (placeholders
    put in quotes render as strings)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        value = _whole_number(value.strip())
    if not isinstance(value, int) or not 0 < value <= MAX_TICKET_ID:
        raise PayloadError(f"{name} is required: the ticket's id, a positive whole number "
                           f"of at most {len(str(MAX_TICKET_ID))} digits", name)
    return value


MAX_TICKET_ID = 2**63 - 1
"""The largest id a helpdesk's 64-bit ticket ids hold."""


def _whole_number(text: str) -> int | None:
    """ASCII digits only: ``"²".isdigit()`` is true, but "²" is no number ``int`` reads."""
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_TICKET_ID)):
        return int(text)
    return None


def text_of(payload: Mapping[str, Any], names: Iterable[str]) -> str | None:
    """The first non-blank string among ``names`` (dotted paths into nested objects)."""
    for name in names:
        value: Any = payload
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value.strip():
            return value
    return None


def parse_tags(value: Any, separators: str = r"[\s,]+") -> list[str] | None:
    """Tags from a payload: a JSON list, or a placeholder's rendering (Zendesk ``{{ticket.tags}}``
    is space-separated, Freshdesk's comma-separated). ``None``: the payload has no tags."""
    if value is None:
        return None
    if isinstance(value, list):
        return [t.strip() for t in value if isinstance(t, str) and t.strip()]
    if isinstance(value, str):
        return [t for t in re.split(separators, value.strip()) if t]
    return None


def channel_from_zendesk_via(via: Any) -> str | None:
    """``via.channel`` of the API (``facebook``, ``twitter``, ``instagram_dm``) or what
    ``{{ticket.via}}`` renders (``Facebook Post``, ``Twitter``, ``Instagram Direct``)."""
    if isinstance(via, Mapping):
        via = via.get("channel")
    if not isinstance(via, str):
        return None
    v = via.strip().lower()
    if "facebook" in v:
        return "facebook"
    if "twitter" in v or v in ("x", "x corp", "x (twitter)"):
        return "x"
    if "instagram" in v:
        return "instagram"
    return None


FRESHDESK_SOURCES = {4: "forum", 5: "x", 6: "facebook"}
"""Freshdesk ticket ``source`` codes of public channels: 4 forum, 5 Twitter, 6 Facebook."""


def channel_from_freshdesk_source(source: Any) -> str | None:
    if isinstance(source, str):
        s = source.strip().lower()
        if s.isdigit():
            source = int(s)
        else:
            return {"forum": "forum", "twitter": "x", "facebook": "facebook"}.get(s)
    return FRESHDESK_SOURCES.get(source) if isinstance(source, int) and not isinstance(source, bool) else None


def channel_from_zammad_type(article_type: Any) -> str | None:
    """Zammad article types ``facebook feed post``/``facebook feed comment``, ``twitter status``…"""
    if not isinstance(article_type, str):
        return None
    t = article_type.lower()
    if t.startswith("facebook"):
        return "facebook"
    if t.startswith("twitter"):
        return "x"
    if t.startswith("instagram"):
        return "instagram"
    return None


# --- settings ---------------------------------------------------------------------------------
def parse_field_map(spec: str, var: str, ids: bool) -> dict[str, Any]:
    """``"level=360001,priority=360002"`` (Zendesk field ids, ``ids=True``) or
    ``"level=cf_shitstorm_level"`` (Freshdesk field / Zammad attribute names)."""
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, value = part.partition("=")
        name, value = name.strip(), value.strip()
        ok = value.isdigit() if ids else bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,99}", value))
        if name not in FIELD_NAMES or not ok:
            what = "FIELD_ID" if ids else "FIELD_NAME (letters, digits, underscores)"
            raise SyncConfigError(f"{var}: {part!r} is not NAME={what} with NAME one of {', '.join(FIELD_NAMES)}")
        out[name] = int(value) if ids else value
    return out


def fields_from_env(vendor: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The vendor's field mapping from ``FIELDS_ENV[vendor]``: Zendesk's custom-field ids, the
    other vendors' field or attribute names (``{}`` when the variable is unset)."""
    return parse_field_map(env.get(FIELDS_ENV[vendor]) or "", FIELDS_ENV[vendor], ids=vendor == "zendesk")


def is_loopback(host: str | None) -> bool:
    """``localhost`` or a loopback IP address (``127.0.0.0/8``, ``::1``, with or without brackets):
    where ``shitstorm serve`` may listen without a token, and an instance URL may be ``http://``."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, var: str) -> str:
    """An instance's base URL: ``https://`` (``http://`` only to a loopback address), no
    credentials, query or fragment. Returned without a trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SyncConfigError(f"{var} must be an https:// URL, not {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise SyncConfigError(f"{var} must use https:// (plain http:// only to a loopback address)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SyncConfigError(f"{var} must not contain credentials, a query or a fragment")
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class Settings:
    vendor: str
    base_url: str
    auth: tuple[str, str] | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    fields: Mapping[str, Any] = field(default_factory=dict)
    credential_hint: str = ""


def _host_url(env: Mapping[str, str], url_var: str, name_var: str, suffix: str) -> str:
    if env.get(url_var):
        return check_base_url(env[url_var], url_var)
    name = env[name_var].strip().lower()
    if name.startswith(("https://", "http://")):
        raise SyncConfigError(f"{name_var} is the name only (acme for acme{suffix}); put a full URL in {url_var}")
    name = name.removesuffix(suffix)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", name):
        raise SyncConfigError(f"{name_var}: {env[name_var]!r} is not a {suffix.lstrip('.')} name like acme")
    return f"https://{name}{suffix}"


def settings_from_env(vendor: str, env: Mapping[str, str] | None = None) -> Settings:
    """The vendor's address, credentials and field mapping from the environment; a missing or
    bad variable is a ``SyncConfigError`` naming it (never its value)."""
    env = os.environ if env is None else env
    env = {k: v for k, v in env.items() if v and v.strip()}

    def need(*names: str) -> None:
        missing = [n for n in names if n not in env]
        if missing:
            raise SyncConfigError(f"{VENDOR_LABELS[vendor]}: set the environment variable(s) {', '.join(missing)}")

    fields = fields_from_env(vendor, env)
    if vendor == "zendesk":
        need(*(() if "ZENDESK_URL" in env else ("ZENDESK_SUBDOMAIN",)), "ZENDESK_EMAIL", "ZENDESK_API_TOKEN")
        base = _host_url(env, "ZENDESK_URL", "ZENDESK_SUBDOMAIN", ".zendesk.com")
        return Settings(vendor, base, auth=(f"{env['ZENDESK_EMAIL'].strip()}/token", env["ZENDESK_API_TOKEN"].strip()),
                        fields=fields, credential_hint="check ZENDESK_EMAIL and ZENDESK_API_TOKEN "
                        "(and that token access is on in Admin Center)")
    if vendor == "freshdesk":
        need(*(() if "FRESHDESK_URL" in env else ("FRESHDESK_DOMAIN",)), "FRESHDESK_API_KEY")
        base = _host_url(env, "FRESHDESK_URL", "FRESHDESK_DOMAIN", ".freshdesk.com")
        return Settings(vendor, base, auth=(env["FRESHDESK_API_KEY"].strip(), "X"), fields=fields,
                        credential_hint="check FRESHDESK_API_KEY")
    if vendor == "zammad":
        need("ZAMMAD_URL", "ZAMMAD_TOKEN")
        base = check_base_url(env["ZAMMAD_URL"], "ZAMMAD_URL")
        return Settings(vendor, base, headers={"Authorization": f"Token token={env['ZAMMAD_TOKEN'].strip()}"},
                        fields=fields, credential_hint="check ZAMMAD_TOKEN (an access token with ticket.agent)")
    raise SyncConfigError(f"unknown helpdesk {vendor!r}; known: {', '.join(VENDORS)}")


# --- clients ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TicketText:
    """What a sync needs from a ticket: the customer's latest public text, the channel (when it
    is a public one ``shitstorm`` knows) and the ticket's tags."""

    ticket_id: int
    text: str
    channel: str | None
    tags: tuple[str, ...]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_summary(response) -> str:
    """A short reason from a vendor's error body: its error codes and field names, never values."""
    try:
        data = response.json()
    except ValueError:
        return ""
    bits: list[str] = []
    if isinstance(data, dict):
        for key in ("error", "description", "title"):
            v = data.get(key)
            if isinstance(v, str):
                bits.append(v[:120])
            elif isinstance(v, dict) and isinstance(v.get("title"), str):
                bits.append(v["title"][:120])
        errors = data.get("errors")
        for e in errors if isinstance(errors, list) else []:
            if isinstance(e, dict):
                bits.append(":".join(str(e[k])[:60] for k in ("field", "code") if k in e))
    return f" ({'; '.join(b for b in bits if b)})" if any(bits) else ""


class HelpdeskClient:
    """One vendor instance. ``fetch`` reads a ticket, ``apply`` sends a plan, ``current_tags``
    reads the tags only (the server's write-back)."""

    def __init__(self, settings: Settings, max_wait: float = MAX_RETRY_WAIT_S, transport=None):
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - the server extra is missing
            raise SyncConfigError("the helpdesk sync needs httpx: pip install 'shitstorm[server]'") from exc
        self.settings = settings
        self.vendor = settings.vendor
        self.label = VENDOR_LABELS[settings.vendor]
        self.max_wait = max_wait
        self._httpx = httpx
        self._http = httpx.Client(
            base_url=settings.base_url, auth=settings.auth,
            headers={"Accept": "application/json", "User-Agent": "shitstorm-helpdesk-sync",
                     **settings.headers},
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S), follow_redirects=False,
            transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # one request, with 429 handling and clear errors
    def request(self, method: str, path: str, json_body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        httpx = self._httpx
        where = f"{method} {path}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                r = self._http.request(method, path, json=json_body, params=params)
            except httpx.TimeoutException:
                raise SyncError(f"{self.label}: {where}: no answer within {READ_TIMEOUT_S:.0f} s") from None
            except httpx.HTTPError as exc:
                raise SyncError(f"{self.label}: cannot reach {self.settings.base_url} ({type(exc).__name__})") from None
            if r.status_code != 429:
                break
            wait = _retry_after(r.headers.get("retry-after"))
            wait = float(2 ** (attempt - 1)) if wait is None else wait
            if wait > self.max_wait:
                raise SyncError(f"{self.label}: {where}: rate limited (429); Retry-After {wait:.0f} s is over the "
                                f"limit of {self.max_wait:.0f} s, try again later", status=429)
            if attempt == MAX_ATTEMPTS:
                raise SyncError(f"{self.label}: {where}: still rate limited (429) after {MAX_ATTEMPTS} attempts",
                                status=429)
            _sleep(wait)
        status = r.status_code
        if status == 401:
            raise SyncError(f"{self.label} refused the credentials (401): {self.settings.credential_hint}",
                            status=401, fatal=True)
        if status == 403:
            raise SyncError(f"{self.label}: {where}: forbidden (403): the API user may not do this", status=403)
        if status == 404:
            raise SyncError(f"{self.label}: {where}: not found (404)", status=404)
        if 300 <= status < 400:
            raise SyncError(f"{self.label}: {where}: redirected ({status}); check the instance URL", status=status)
        if status >= 400:
            raise SyncError(f"{self.label}: {where}: HTTP {status}{_error_summary(r)}", status=status)
        if not r.content:
            return None
        try:
            return r.json()
        except ValueError:
            if method == "GET":
                raise SyncError(f"{self.label}: {where}: the answer is not JSON", status=status) from None
            return None

    def apply(self, plan: Iterable[ApiRequest]) -> None:
        for req in plan:
            self.request(req.method, req.path, req.json)

    def plan(self, ticket_id: int, tri: Triage, values: Mapping[str, Any],
             existing_tags: Iterable[str] | None) -> list[ApiRequest]:
        return PLANNERS[self.vendor](ticket_id, tri, values, self.settings.fields, existing_tags)

    def fetch(self, ticket_id: int) -> TicketText:
        readers = {"zendesk": self._fetch_zendesk, "freshdesk": self._fetch_freshdesk, "zammad": self._fetch_zammad}
        return readers[self.vendor](ticket_id)

    def current_tags(self, ticket_id: int) -> list[str]:
        if self.vendor == "zammad":
            return self._zammad_tags(ticket_id)
        return list(self.fetch_ticket(ticket_id).get("tags") or [])

    def fetch_ticket(self, ticket_id: int) -> dict:
        if self.vendor == "zendesk":
            data = self.request("GET", f"/api/v2/tickets/{ticket_id}.json")
            ticket = data.get("ticket") if isinstance(data, dict) else None
        else:
            path = f"/api/v2/tickets/{ticket_id}" if self.vendor == "freshdesk" else f"/api/v1/tickets/{ticket_id}"
            ticket = self.request("GET", path)
        if not isinstance(ticket, dict):
            raise SyncError(f"{self.label}: ticket {ticket_id}: unexpected answer (no ticket object)")
        return ticket

    # vendors
    def _fetch_zendesk(self, ticket_id: int) -> TicketText:
        ticket = self.fetch_ticket(ticket_id)
        data = self.request("GET", f"/api/v2/tickets/{ticket_id}/comments.json", params={"sort_order": "desc"})
        comments = data.get("comments") if isinstance(data, dict) else None
        text: str | None = None
        requester = ticket.get("requester_id")
        for c in comments or []:  # newest first: the requester's latest public comment
            if isinstance(c, dict) and c.get("public") and c.get("author_id") == requester:
                body = c.get("plain_body") or c.get("body")
                if isinstance(body, str) and body.strip():
                    text = body
                    break
        if text is None:
            description = ticket.get("description")
            text = description if isinstance(description, str) else ""
        return TicketText(ticket_id, text, channel_from_zendesk_via(ticket.get("via")),
                          tuple(t for t in ticket.get("tags") or [] if isinstance(t, str)))

    def _fetch_freshdesk(self, ticket_id: int) -> TicketText:
        ticket = self.fetch_ticket(ticket_id)
        text = None
        for page in range(1, MAX_PAGES + 1):
            convs = self.request("GET", f"/api/v2/tickets/{ticket_id}/conversations",
                                 params={"per_page": 100, "page": page})
            if not isinstance(convs, list):
                break
            for c in convs:  # oldest first: keep the latest incoming public one
                if isinstance(c, dict) and c.get("incoming") and not c.get("private"):
                    body = c.get("body_text") or c.get("body")
                    if isinstance(body, str) and body.strip():
                        text = body
            if len(convs) < 100:
                break
        if text is None:
            text = ticket.get("description_text") or ticket.get("description") or ""
        return TicketText(ticket_id, text if isinstance(text, str) else "",
                          channel_from_freshdesk_source(ticket.get("source")),
                          tuple(t for t in ticket.get("tags") or [] if isinstance(t, str)))

    def _zammad_tags(self, ticket_id: int) -> list[str]:
        data = self.request("GET", "/api/v1/tags", params={"object": "Ticket", "o_id": ticket_id})
        tags = data.get("tags") if isinstance(data, dict) else None
        return [t for t in tags or [] if isinstance(t, str)]

    def _fetch_zammad(self, ticket_id: int) -> TicketText:
        self.fetch_ticket(ticket_id)  # 404 for a missing ticket, before anything else
        articles = self.request("GET", f"/api/v1/ticket_articles/by_ticket/{ticket_id}")
        text, channel = "", None
        for a in articles if isinstance(articles, list) else []:  # oldest first: keep the latest
            if isinstance(a, dict) and zammad_article_from_customer(a) and not a.get("internal"):
                body = a.get("body")
                if isinstance(body, str) and body.strip():
                    text, channel = body, channel_from_zammad_type(a.get("type"))
        return TicketText(ticket_id, text, channel, tuple(self._zammad_tags(ticket_id)))


ZAMMAD_CUSTOMER_SENDER_ID = 2
"""Zammad's built-in article sender ids: 1 Agent, 2 Customer, 3 System."""


def zammad_article_from_customer(article: Mapping[str, Any]) -> bool:
    """By ``sender`` (``"Customer"``) or ``sender_id``; a custom payload with neither is taken
    as the customer's (the trigger's conditions decide then)."""
    sender = article.get("sender")
    if isinstance(sender, str):
        return sender.strip().lower() == "customer"
    if "sender_id" in article:
        return article.get("sender_id") == ZAMMAD_CUSTOMER_SENDER_ID
    return True


# --- sync -------------------------------------------------------------------------------------
def sync_ticket(client: HelpdeskClient, ticket_id: int, model, policy=None, dry_run: bool = False) -> dict:
    """Read, score, triage and (unless ``dry_run``) update one ticket; the summary of what was
    done (no text)."""
    from .policy import triage

    info = client.fetch(ticket_id)
    if not info.text.strip():
        return {"ticket_id": ticket_id, "status": "skipped", "reason": "no customer text on the ticket"}
    s = model.score(info.text)
    t = triage(s, policy, {"channel": info.channel} if info.channel else None)
    values = field_values(s, t)
    plan = client.plan(ticket_id, t, values, info.tags)
    if not dry_run:
        client.apply(plan)
    have = set(info.tags)
    return {
        "ticket_id": ticket_id, "status": "dry_run" if dry_run else "updated",
        "level": s.level, "escalation": values["escalation"], "publicity_pressure": values["publicity_pressure"],
        "priority": t.priority, "route": t.route, "channel": info.channel,
        "tags_added": [tag for tag in t.tags if tag not in have],
        "tags_removed": stale_tags(info.tags, t.tags),
        "fields": custom_field_values(client.vendor, values, client.settings.fields),
        "requests": [r.to_dict() for r in plan],
    }


def sync_tickets(client: HelpdeskClient, ticket_ids: Iterable[int], model, policy=None,
                 dry_run: bool = False) -> Iterator[dict]:
    """``sync_ticket`` for each id; a failed ticket yields ``status: error`` and the next one is
    tried, except after a 401 (the credentials are wrong for all of them): then it stops."""
    for ticket_id in ticket_ids:
        try:
            yield sync_ticket(client, ticket_id, model, policy, dry_run)
        except SyncError as exc:
            yield {"ticket_id": ticket_id, "status": "error", "error": str(exc), "http_status": exc.status}
            if exc.fatal:
                return


def writeback(settings: Settings, ticket_id: int, tri: Triage, values: Mapping[str, Any]) -> list[ApiRequest]:
    """The server's write-back after a webhook: read the ticket's current tags (so Freshdesk's
    tag list is merged, stale tags removed), then send the plan."""
    with HelpdeskClient(settings) as client:
        plan = client.plan(ticket_id, tri, values, client.current_tags(ticket_id))
        client.apply(plan)
        return plan


def parse_ticket_ids(values: Iterable[str]) -> list[int]:
    ids = []
    for v in values:
        n = _whole_number(v.strip())
        if n is None or not 0 < n <= MAX_TICKET_ID:
            raise ValueError(f"{v.strip()[:40]!r} is not a ticket id (a positive whole number)")
        ids.append(n)
    return ids
