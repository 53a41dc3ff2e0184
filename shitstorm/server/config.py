"""Server settings: from ``shitstorm serve`` flags and the environment, validated once."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ShitstormError
from ..helpdesk import FIELDS_ENV, VENDORS, SyncConfigError, fields_from_env, settings_from_env
from ..policy import PRIORITIES, Policy

MIN_TOKEN_CHARS = 16
"""A bearer token shorter than this (after trimming whitespace) is refused, from any source."""
DEFAULT_BODY_TIMEOUT_S = 30.0
"""Seconds a request body may take to arrive (408 after that)."""

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
"""16 MB: a full batch of 1,000 posts of 10,000 characters (UTF-8, JSON-escaped) fits; anything
larger is refused with 413 before it is read."""

ENV = {
    "token": "SHITSTORM_API_TOKEN",
    "token_file": "SHITSTORM_API_TOKEN_FILE",
    "model_dir": "SHITSTORM_MODEL_DIR",
    "policy": "SHITSTORM_POLICY",
    "max_body_bytes": "SHITSTORM_MAX_BODY_BYTES",
    "body_timeout_s": "SHITSTORM_BODY_TIMEOUT_S",
    "fb_verify_token": "SHITSTORM_FB_VERIFY_TOKEN",
    "fb_app_secret": "SHITSTORM_FB_APP_SECRET",
    "fb_sink": "SHITSTORM_FB_SINK",
    "fb_sink_min_priority": "SHITSTORM_FB_SINK_MIN_PRIORITY",
    "fb_sink_text": "SHITSTORM_FB_SINK_TEXT",
    "zendesk_fields": FIELDS_ENV["zendesk"],
    "freshdesk_fields": FIELDS_ENV["freshdesk"],
    "zammad_fields": FIELDS_ENV["zammad"],
    "zammad_secret": "SHITSTORM_ZAMMAD_SECRET",
    "helpdesk_writeback": "SHITSTORM_HELPDESK_WRITEBACK",
    "feedback_db": "SHITSTORM_FEEDBACK_DB",
    "feedback_text": "SHITSTORM_FEEDBACK_TEXT",
}
"""Environment variables read by ``ServerConfig.from_env`` (also how ``--workers`` processes
get their settings)."""


class ConfigError(ShitstormError, ValueError):
    """A server setting is invalid; the message names it."""


@dataclass(frozen=True)
class ServerConfig:
    token: str | None = None
    model_dir: str | None = None
    policy: Policy | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    fb_verify_token: str | None = None
    fb_app_secret: str | None = None
    fb_sink: str | None = None
    fb_sink_min_priority: str = PRIORITIES[-1]
    """The sink webhook gets the posts at or above this priority (default: all of them)."""
    fb_sink_text: str = "none"
    zendesk_fields: Mapping[str, int] = field(default_factory=dict)
    freshdesk_fields: Mapping[str, str] = field(default_factory=dict)
    zammad_fields: Mapping[str, str] = field(default_factory=dict)
    zammad_secret: str | None = None
    helpdesk_writeback: frozenset[str] = frozenset()
    """Helpdesks whose adapter writes its result back to the ticket (credentials from the
    vendor's environment variables, see ``helpdesk.settings_from_env``)."""
    feedback_db: str | None = None
    """SQLite file for agents' corrections (``POST /v1/feedback``); None: the endpoints are off."""
    feedback_text: str = "none"
    """``none``: no post text is stored with a correction; ``redacted``: the text with personal
    data replaced by placeholders (needed to train on the corrections)."""
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S

    def __post_init__(self):
        if self.token is not None:
            check_token(self.token, "the API token")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServerConfig:
        source: Mapping[str, str] = os.environ if env is None else env

        def get(key: str) -> str | None:
            return source.get(ENV[key]) or None

        token = get("token")
        if token is not None:
            check_token(token, ENV["token"])
        token_file = get("token_file")
        if token_file:
            token = read_token_file(token_file)
        policy_file = get("policy")
        policy = Policy.from_toml(policy_file) if policy_file else None
        try:
            max_body = int(get("max_body_bytes") or DEFAULT_MAX_BODY_BYTES)
        except ValueError:
            raise ConfigError(f"{ENV['max_body_bytes']} must be a whole number of bytes") from None
        if max_body < 1024:
            raise ConfigError(f"{ENV['max_body_bytes']} must be at least 1024")
        try:
            body_timeout = float(get("body_timeout_s") or DEFAULT_BODY_TIMEOUT_S)
        except ValueError:
            raise ConfigError(f"{ENV['body_timeout_s']} must be a number of seconds") from None
        if not 0 < body_timeout < 3600:
            raise ConfigError(f"{ENV['body_timeout_s']} must be between 0 and 3600 seconds")
        min_priority = get("fb_sink_min_priority") or PRIORITIES[-1]
        if min_priority not in PRIORITIES:
            raise ConfigError(f"{ENV['fb_sink_min_priority']} must be one of {', '.join(PRIORITIES)}")
        sink_text = get("fb_sink_text") or "none"
        if sink_text not in ("none", "redacted"):
            raise ConfigError(f"{ENV['fb_sink_text']} must be none or redacted")
        feedback_text = get("feedback_text") or "none"
        if feedback_text not in ("none", "redacted"):
            raise ConfigError(f"{ENV['feedback_text']} must be none or redacted")
        feedback_db = get("feedback_db")
        if feedback_db and not Path(feedback_db).expanduser().parent.is_dir():
            raise ConfigError(f"{ENV['feedback_db']}: the folder of {feedback_db} does not exist")
        return cls(feedback_db=feedback_db, feedback_text=feedback_text, fb_sink_text=sink_text, token=token,
                   body_timeout_s=body_timeout, model_dir=get("model_dir"), policy=policy, max_body_bytes=max_body,
                   fb_verify_token=get("fb_verify_token"), fb_app_secret=get("fb_app_secret"),
                   fb_sink=get("fb_sink"), fb_sink_min_priority=min_priority,
                   zammad_secret=get("zammad_secret"), **_helpdesk_settings(source, get))


def read_token_file(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"token file {path}: {exc.strerror or exc}") from None
    check_token(token, f"token file {path}")
    return token


def check_token(token: str, source: str) -> None:
    """Every token source (environment, file, ``ServerConfig``) gets the same minimum length."""
    if len(token.strip()) < MIN_TOKEN_CHARS:
        raise ConfigError(f"{source}: the token must be at least {MIN_TOKEN_CHARS} characters "
                          "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")


def _helpdesk_settings(env: Mapping[str, str], get: Callable[[str], str | None]) -> dict[str, Any]:
    """Each helpdesk's field mapping (``helpdesk.fields_from_env``, as the sync commands read
    it), and the helpdesks to write back to (whose credentials are checked now, so that
    ``serve`` fails at start, not at the first webhook)."""
    try:
        out: dict[str, Any] = {f"{vendor}_fields": fields_from_env(vendor, env) for vendor in VENDORS}
        names = [n.strip().lower() for n in (get("helpdesk_writeback") or "").split(",") if n.strip()]
        unknown = [n for n in names if n not in VENDORS]
        if unknown:
            raise ConfigError(f"{ENV['helpdesk_writeback']}: unknown helpdesk(s) {', '.join(unknown)}; "
                              f"known: {', '.join(VENDORS)}")
        for name in names:
            try:
                settings_from_env(name, env)
            except SyncConfigError as exc:
                raise ConfigError(f"{ENV['helpdesk_writeback']}={name}: {exc}") from None
    except SyncConfigError as exc:
        raise ConfigError(str(exc)) from None
    return {**out, "helpdesk_writeback": frozenset(names)}
