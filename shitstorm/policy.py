"""Triage: from a ``Score`` to a decision a helpdesk can act on: priority, answer time, route, tags, advice.

``triage(score, policy=None, context=None)`` applies a ``Policy`` (the default one is
``triage_data/default_policy.toml``; teams override it with ``Policy.from_toml(path)``) and the
optional ``Context`` of the post (reach, engagement, earlier contacts). Every step is one small
function; ``Triage.rules`` lists which rules decided, so an agent can see why.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import ShitstormError
from .schema import CHANNELS, CUE_FAMILIES, FLAGS, HEADS, LEVEL_INDEX, LEVELS, PII_KINDS, Score, pii_kinds, whole_number

__all__ = ["Advice", "Context", "Policy", "PolicyError", "Triage", "triage", "TAG_VOCABULARY",
           "ADVICE_IDS", "PRIORITIES", "ROUTES"]

PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
"""P1 is the most urgent."""
ROUTES: tuple[str, ...] = ("community", "second_level", "legal_pr")
"""community team / second-level support / legal & PR."""
CONTEXT_RULES: tuple[str, ...] = ("reach", "repeat_contact")
"""Context rules: large reach or fast-growing engagement; a third contact about the same case."""
LANGS: tuple[str, ...] = ("de", "en")

TAG_PREFIX = "shitstorm_"


def _tag_vocabulary() -> tuple[str, ...]:
    tags = [f"{TAG_PREFIX}level__{lv}" for lv in LEVELS]
    tags += [f"{TAG_PREFIX}priority__{p.lower()}" for p in PRIORITIES]
    tags += [f"{TAG_PREFIX}route__{r}" for r in ROUTES]
    tags += [f"{TAG_PREFIX}publicity_pressure"]
    tags += [f"{TAG_PREFIX}cue__{c}" for c in CUE_FAMILIES]
    tags += [f"{TAG_PREFIX}pii__{k}" for k in PII_KINDS]
    tags += [f"{TAG_PREFIX}context__{r}" for r in CONTEXT_RULES]
    tags += [f"{TAG_PREFIX}flag__{f}" for f in FLAGS]
    return tuple(tags)


TAG_VOCABULARY: tuple[str, ...] = _tag_vocabulary()
"""Every tag ``triage`` can emit. Stable across versions: tags are only ever added (a test pins
the list). Lower case, digits and underscores only, so Zendesk, Freshdesk and Zammad take them
as they are."""


class PolicyError(ShitstormError, ValueError):
    """A policy file or dict is invalid; the message names the key and the file."""


# --- context ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What a helpdesk knows about a post besides its text. Every field is optional."""

    channel: str | None = None
    followers: int | None = None
    likes: int | None = None
    shares: int | None = None
    replies: int | None = None
    minutes_since_post: float | None = None
    earlier_contacts: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, context_value(f.name, getattr(self, f.name)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Context:
        """From a JSON-like dict; unknown keys are an error naming them. ``None`` values = unknown."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ValueError(f"context must be a mapping, not {type(data).__name__}")
        unknown = sorted(map(str, set(data) - set(CONTEXT_FIELDS)))
        if unknown:
            raise ValueError(f"context: unknown key(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(CONTEXT_FIELDS))}")
        return cls(**data)

    @property
    def engagement(self) -> int | None:
        parts = [v for v in (self.likes, self.shares, self.replies) if v is not None]
        return sum(parts) if parts else None


CONTEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Context))
"""The fields of a ``Context``: the keys of ``Context.from_dict``, the request body's ``context``
and the columns ``shitstorm batch --context`` reads."""

CONTEXT_KINDS: Mapping[str, str] = MappingProxyType(
    {name: {"channel": "channel", "minutes_since_post": "minutes"}.get(name, "count") for name in CONTEXT_FIELDS})
"""What each context field holds: ``channel`` (a name from ``CHANNELS``), ``count`` (a whole number
>= 0) or ``minutes`` (a number >= 0)."""

_CONTEXT_EXPECTED = {"channel": f"one of {', '.join(CHANNELS)}", "count": "a whole number >= 0",
                     "minutes": "a number >= 0"}


def context_value(name: str, value: Any, *, text: bool = False) -> Any:
    """One ``Context`` field's value, checked: ``None`` (unknown), a name from ``CHANNELS``, a
    count (a whole number >= 0; 12000.0 is 12000, as JSON has one number type) or minutes (a
    finite number >= 0, a float). With ``text=True`` (CSV cells) a string is read as the number it
    spells and a blank one is unknown. Otherwise a ``ValueError`` naming the field; the value is
    not repeated (the HTTP API never echoes input), callers that may show it add it.

    The one check of a context, used by ``Context`` (the library), the HTTP API's request body
    and ``shitstorm batch --context``."""
    if name not in CONTEXT_FIELDS:
        raise ValueError(f"context: unknown key {name}; known: {', '.join(sorted(CONTEXT_FIELDS))}")
    if text and isinstance(value, str):
        value = value.strip() or None
    if value is None:
        return None
    kind = CONTEXT_KINDS[name]
    if kind == "channel":
        if value not in CHANNELS:
            raise ValueError(f"context.channel: must be {_CONTEXT_EXPECTED[kind]}")
        return value
    if text and isinstance(value, str):
        value = _number(value)
    if kind == "minutes":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"context.{name}: must be {_CONTEXT_EXPECTED[kind]}")
        return float(value)
    count = whole_number(value, 0, exact_floats=True)
    if count is None:
        raise ValueError(f"context.{name}: must be {_CONTEXT_EXPECTED[kind]}")
    return count


def _number(cell: str) -> int | float | None:
    """The number a CSV cell spells (``"12000"``, ``"12000.0"``, ``"2.5"``), or None."""
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return None


# --- advice -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Advice:
    """One piece of guidance for the agent; ``id`` is stable across versions."""

    id: str
    text: str

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text}


@dataclass(frozen=True)
class _AdviceItem:
    id: str
    when: tuple[str, ...]
    text: Mapping[str, str]


_CONDITION_KINDS = ("always", "level>=", "level<=", "pressure", "pii", "route:", "cue:", "context:", "channel:")


def _check_condition(cond: str, where: str) -> None:
    if cond in ("always", "pressure", "pii"):
        return
    for prefix, allowed in (("level>=", LEVELS), ("level<=", LEVELS), ("route:", ROUTES),
                            ("cue:", CUE_FAMILIES), ("context:", CONTEXT_RULES), ("channel:", CHANNELS)):
        if cond.startswith(prefix):
            values = cond[len(prefix):].split(",")
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"{where}: unknown {prefix.rstrip(':<=>')} {', '.join(bad)} in {cond!r}")
            return
    raise ValueError(f"{where}: unknown condition {cond!r} (known: {', '.join(_CONDITION_KINDS)})")


def parse_advice(text: str, name: str = "advice.tsv") -> tuple[_AdviceItem, ...]:
    """Parse the advice table; every row checked (ids unique, conditions known, both languages)."""
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or rows[0] != ["id", "when", "de", "en"]:
        raise ValueError(f"{name}: header must be id, when, de, en")
    items, seen = [], set()
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != 4 or not all(c.strip() for c in row):
            raise ValueError(f"{name}: row {n}: expected 4 non-empty tab-separated fields")
        ident, when, de, en = row
        if ident in seen:
            raise ValueError(f"{name}: row {n}: duplicate id {ident}")
        seen.add(ident)
        conds = tuple(c.strip() for c in when.split("&"))
        for c in conds:
            _check_condition(c, f"{name}: row {n}")
        items.append(_AdviceItem(ident, conds, MappingProxyType({"de": de, "en": en})))
    return tuple(items)


@lru_cache(maxsize=1)
def advice_items() -> tuple[_AdviceItem, ...]:
    text = resources.files("shitstorm").joinpath("triage_data/advice.tsv").read_text(encoding="utf-8")
    return parse_advice(text)


ADVICE_IDS: tuple[str, ...] = tuple(i.id for i in advice_items())
"""Every advice id, in the order advice is given. Stable across versions (a test pins it)."""


# --- policy -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _default() -> Policy:
    """The shipped policy (``triage_data/default_policy.toml``), read once: the defaults of
    ``Policy``'s fields."""
    name = "shitstorm/triage_data/default_policy.toml"
    data = tomllib.loads(resources.files("shitstorm").joinpath("triage_data/default_policy.toml")
                         .read_text(encoding="utf-8"))
    policy = _parse_policy(data, name, _EMPTY_BASE)
    missing = [p for p in PRIORITIES if p not in policy.respond_within] + \
              [lv for lv in LEVELS if lv not in policy.levels]
    if missing:
        raise PolicyError(f"{name}: missing {', '.join(missing)}")
    return Policy(**{**{f.name: getattr(policy, f.name) for f in fields(Policy)}, "source": "default"})


@dataclass(frozen=True)
class Policy:
    """How a team triages. ``Policy()`` is the default policy; ``Policy.from_toml(path)`` reads a
    team's file over the defaults."""

    respond_within: Mapping[str, int] = field(default_factory=lambda: _default().respond_within)
    levels: Mapping[str, str] = field(default_factory=lambda: _default().levels)
    pressure_threshold: float = field(default_factory=lambda: _default().pressure_threshold)
    pressure_priority: str = field(default_factory=lambda: _default().pressure_priority)
    cues: Mapping[str, str] = field(default_factory=lambda: _default().cues)
    pii_priority: str = field(default_factory=lambda: _default().pii_priority)
    reach_followers: int = field(default_factory=lambda: _default().reach_followers)
    reach_engagement: int = field(default_factory=lambda: _default().reach_engagement)
    engagement_per_minute: float = field(default_factory=lambda: _default().engagement_per_minute)
    growth_min_engagement: int = field(default_factory=lambda: _default().growth_min_engagement)
    earlier_contacts: int = field(default_factory=lambda: _default().earlier_contacts)
    legal_pr_cues: frozenset[str] = field(default_factory=lambda: _default().legal_pr_cues)
    legal_pr_levels: frozenset[str] = field(default_factory=lambda: _default().legal_pr_levels)
    second_level_cues: frozenset[str] = field(default_factory=lambda: _default().second_level_cues)
    second_level_levels: frozenset[str] = field(default_factory=lambda: _default().second_level_levels)
    cue_min_level: str = field(default_factory=lambda: _default().cue_min_level)
    legal_pr_cue_min_level: str = field(default_factory=lambda: _default().legal_pr_cue_min_level)
    second_level_cue_min_level: str = field(default_factory=lambda: _default().second_level_cue_min_level)
    base_rates: Mapping[str, float] | None = None
    """The team's feed: share of posts per model head (``[base_rates]`` in the file; heads left
    out keep the model's). ``None``: the model's own base rates. Scoring with this policy loads
    the model for these rates (CLI, server)."""
    source: str = "default"

    @classmethod
    def from_toml(cls, path: str | Path) -> Policy:
        """Read a policy file; keys it does not set keep their defaults. Any unknown key, unknown
        cue family or bad value raises ``PolicyError`` naming the key and the file."""
        path = Path(path)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise PolicyError(f"{path}: policy file not found") from None
        except tomllib.TOMLDecodeError as e:
            raise PolicyError(f"{path}: not valid TOML: {e}") from None
        except UnicodeDecodeError as e:
            raise PolicyError(f"{path}: not UTF-8 text: {e}") from None
        return cls.from_dict(data, source=str(path), base=_default())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>",
                  base: Policy | None = None) -> Policy:
        """The same as ``from_toml`` for an already parsed mapping (TOML's table layout)."""
        return _parse_policy(data, source, base if base is not None else _default())

    def __reduce__(self):  # MappingProxyType does not pickle; worker processes need policies
        return (_policy_from_state, (self.to_dict(), self.source))

    def to_dict(self) -> dict:
        """The policy in the TOML file's layout (round-trips through ``from_dict``)."""
        return {
            "respond_within": dict(self.respond_within),
            "levels": dict(self.levels),
            "publicity_pressure": {"threshold": self.pressure_threshold, "priority": self.pressure_priority},
            "cues": dict(self.cues),
            "cue_rules": {"min_level": self.cue_min_level},
            "pii": {"priority": self.pii_priority},
            "context": {"followers": self.reach_followers, "engagement": self.reach_engagement,
                        "engagement_per_minute": self.engagement_per_minute,
                        "growth_min_engagement": self.growth_min_engagement,
                        "earlier_contacts": self.earlier_contacts},
            **({"base_rates": dict(self.base_rates)} if self.base_rates else {}),
            "routes": {"legal_pr": {"cues": sorted(self.legal_pr_cues), "levels": sorted(self.legal_pr_levels),
                                    "cue_min_level": self.legal_pr_cue_min_level},
                       "second_level": {"cues": sorted(self.second_level_cues),
                                        "levels": sorted(self.second_level_levels),
                                        "cue_min_level": self.second_level_cue_min_level}},
        }


_SCHEMA: dict[str, Any] = {
    "respond_within": {p: "minutes" for p in PRIORITIES},
    "levels": {lv: "priority" for lv in LEVELS},
    "publicity_pressure": {"threshold": "probability", "priority": "priority"},
    "cues": {c: "priority" for c in CUE_FAMILIES},
    "cue_rules": {"min_level": "level"},
    "pii": {"priority": "priority"},
    "context": {"followers": "count", "engagement": "count", "engagement_per_minute": "rate",
                "growth_min_engagement": "count", "earlier_contacts": "count"},
    "routes": {r: {"cues": "cue_list", "levels": "level_list", "cue_min_level": "level"}
               for r in ("legal_pr", "second_level")},
    "base_rates": {h: "share" for h in HEADS},
}


class _Bad(Exception):
    """A policy value that is not what its key expects; ``_check_value`` names the key and file."""

    def __init__(self, expected: str = "", message: str = ""):
        super().__init__(expected or message)
        self.expected, self.message = expected, message


def _name_in(allowed: tuple[str, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in allowed:
            raise _Bad(f"one of {', '.join(allowed)}")
        return value
    return check


def _whole(minimum: int, expected: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if whole_number(value, minimum) is None:
            raise _Bad(expected)
        return value
    return check


def _real(ok: Callable[[float], bool], expected: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok(value):
            raise _Bad(expected)
        return float(value)
    return check


def _names(allowed: tuple[str, ...], what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Bad("a list of names")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise _Bad(message=f"unknown {what} {', '.join(map(repr, unknown))} (known: {', '.join(allowed)})")
        return frozenset(value)
    return check


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "level": _name_in(LEVELS),
    "priority": _name_in(PRIORITIES),
    "minutes": _whole(1, "a whole number of minutes >= 1"),
    "count": _whole(0, "a whole number >= 0"),
    "probability": _real(lambda v: 0 < v <= 1, "a probability in (0, 1]"),
    "share": _real(lambda v: 0 < v < 1,
                   "a share between 0 and 1 (exclusive), e.g. 0.003 for three posts in a thousand"),
    "rate": _real(lambda v: v > 0 and math.isfinite(v), "a number > 0"),
    "cue_list": _names(CUE_FAMILIES, "cue family"),
    "level_list": _names(LEVELS, "level"),
}
"""How each kind of value in ``_SCHEMA`` is checked (and converted: rates to float, lists to
frozensets)."""


def _check_value(kind: str, key: str, value: Any, source: str) -> Any:
    try:
        return _CHECKS[kind](value)
    except _Bad as bad:
        if bad.message:
            raise PolicyError(f"{source}: {key}: {bad.message}") from None
        raise PolicyError(f"{source}: {key} = {value!r}: expected {bad.expected}") from None


def _walk(data: Mapping[str, Any], schema: Mapping[str, Any], prefix: str, source: str) -> dict:
    out: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        raise PolicyError(f"{source}: {prefix.rstrip('.') or 'policy'} must be a table")
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in schema:
            hint = ""
            if prefix == "cues.":
                hint = f" (not a cue family; known: {', '.join(CUE_FAMILIES)})"
            else:
                hint = f" (known here: {', '.join(schema)})"
            raise PolicyError(f"{source}: unknown key {dotted!r}{hint}")
        kind = schema[key]
        if isinstance(kind, dict):
            out[key] = _walk(value, kind, dotted + ".", source)
        else:
            out[key] = _check_value(kind, dotted, value, source)
    return out


def _parse_policy(data: Mapping[str, Any], source: str, base: Policy) -> Policy:
    d = _walk(data, _SCHEMA, "", source)
    rw = {**base.respond_within, **d.get("respond_within", {})}
    minutes = [rw[p] for p in PRIORITIES]
    if minutes != sorted(minutes):
        raise PolicyError(f"{source}: respond_within: P1..P4 must not shrink from P1 to P4, got "
                          + ", ".join(f"{p}={rw[p]}" for p in PRIORITIES))
    pp = d.get("publicity_pressure", {})
    ctx = d.get("context", {})
    routes = d.get("routes", {})
    legal, second = routes.get("legal_pr", {}), routes.get("second_level", {})
    return Policy(
        respond_within=MappingProxyType(rw),
        levels=MappingProxyType({**base.levels, **d.get("levels", {})}),
        pressure_threshold=pp.get("threshold", base.pressure_threshold),
        pressure_priority=pp.get("priority", base.pressure_priority),
        cues=MappingProxyType({**base.cues, **d.get("cues", {})}),
        pii_priority=d.get("pii", {}).get("priority", base.pii_priority),
        reach_followers=ctx.get("followers", base.reach_followers),
        reach_engagement=ctx.get("engagement", base.reach_engagement),
        engagement_per_minute=ctx.get("engagement_per_minute", base.engagement_per_minute),
        growth_min_engagement=ctx.get("growth_min_engagement", base.growth_min_engagement),
        earlier_contacts=ctx.get("earlier_contacts", base.earlier_contacts),
        legal_pr_cues=legal.get("cues", base.legal_pr_cues),
        legal_pr_levels=legal.get("levels", base.legal_pr_levels),
        second_level_cues=second.get("cues", base.second_level_cues),
        second_level_levels=second.get("levels", base.second_level_levels),
        cue_min_level=d.get("cue_rules", {}).get("min_level", base.cue_min_level),
        legal_pr_cue_min_level=legal.get("cue_min_level", base.legal_pr_cue_min_level),
        second_level_cue_min_level=second.get("cue_min_level", base.second_level_cue_min_level),
        base_rates=_base_rates(d.get("base_rates"), base.base_rates, source),
        source=source,
    )


def _base_rates(given, base, source: str):
    if not given:
        return base
    from .model import FEED_BASE_RATES, check_base_rates

    merged = {**FEED_BASE_RATES, **(base or {}), **given}
    try:
        check_base_rates(merged, f"{source}: base_rates")
    except ValueError as exc:
        raise PolicyError(str(exc)) from None
    return MappingProxyType({**(base or {}), **given})


def _policy_from_state(data: dict, source: str) -> Policy:
    return _parse_policy(data, source, _default())


_EMPTY_BASE = Policy(
    respond_within=MappingProxyType({}), levels=MappingProxyType({}), pressure_threshold=1.0,
    pressure_priority="P1", cues=MappingProxyType({}), pii_priority="P4", reach_followers=0,
    reach_engagement=0, engagement_per_minute=1.0, growth_min_engagement=0, earlier_contacts=0,
    legal_pr_cues=frozenset(), legal_pr_levels=frozenset(), second_level_cues=frozenset(),
    second_level_levels=frozenset(), cue_min_level="none", legal_pr_cue_min_level="none",
    second_level_cue_min_level="none", source="",
)


# --- the decision -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Triage:
    """What to do with a post. Frozen; the same fields whatever the input."""

    priority: str
    respond_within: int
    route: str
    tags: tuple[str, ...]
    advice: tuple[Advice, ...]
    rules: tuple[str, ...]
    """Which rules set the priority, e.g. ``("level:critical", "publicity_pressure",
    "context:reach")``: the why behind the priority."""

    def to_dict(self) -> dict:
        return {"priority": self.priority, "respond_within": self.respond_within, "route": self.route,
                "tags": list(self.tags), "advice": [a.to_dict() for a in self.advice],
                "rules": list(self.rules)}


def _raise(priority: str, steps: int) -> str:
    return PRIORITIES[max(0, PRIORITIES.index(priority) - steps)]


def _at_least(current: str, floor: str) -> str:
    return min(current, floor, key=PRIORITIES.index)


def _at_or_above(level: str, minimum: str) -> bool:
    return LEVEL_INDEX[level] >= LEVEL_INDEX[minimum]


def found_cues(score: Score) -> tuple[str, ...]:
    """Cue families found and not negated, in ``CUE_FAMILIES`` order."""
    present = {r.cue for r in score.reasons if not r.negated}
    return tuple(c for c in CUE_FAMILIES if c in present)


def context_rules(context: Context, policy: Policy) -> tuple[str, ...]:
    """The context rules that fire: ``reach`` (followers or engagement or its growth) and
    ``repeat_contact`` (a third contact about the same case)."""
    fired = []
    eng = context.engagement
    reach = context.followers is not None and context.followers >= policy.reach_followers
    reach = reach or (eng is not None and eng >= policy.reach_engagement)
    if (not reach and eng is not None and eng >= policy.growth_min_engagement
            and context.minutes_since_post is not None):
        reach = eng / max(context.minutes_since_post, 1.0) >= policy.engagement_per_minute
    if reach:
        fired.append("reach")
    if context.earlier_contacts is not None and context.earlier_contacts >= policy.earlier_contacts:
        fired.append("repeat_contact")
    return tuple(fired)


def decide_priority(score: Score, policy: Policy, cues: tuple[str, ...],
                    fired: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    priority = policy.levels[score.level]
    rules = [f"level:{score.level}"]
    if score.publicity_pressure >= policy.pressure_threshold:
        priority = _at_least(priority, policy.pressure_priority)
        rules.append("publicity_pressure")
    for cue in (cues if _at_or_above(score.level, policy.cue_min_level) else ()):
        if cue in policy.cues:
            priority = _at_least(priority, policy.cues[cue])
            rules.append(f"cue:{cue}")
    if score.pii:
        priority = _at_least(priority, policy.pii_priority)
        rules.append("pii")
    for rule in fired:
        priority = _raise(priority, 1)
        rules.append(f"context:{rule}")
    return priority, tuple(rules)


def decide_route(score: Score, policy: Policy, cues: tuple[str, ...]) -> str:
    if score.level in policy.legal_pr_levels or (
            _at_or_above(score.level, policy.legal_pr_cue_min_level) and policy.legal_pr_cues.intersection(cues)):
        return "legal_pr"
    if score.level in policy.second_level_levels or (
            _at_or_above(score.level, policy.second_level_cue_min_level)
            and policy.second_level_cues.intersection(cues)):
        return "second_level"
    return "community"


def _holds(cond: str, facts: dict) -> bool:
    if cond == "always":
        return True
    if cond in ("pressure", "pii"):
        return facts[cond]
    if cond.startswith("level>="):
        return LEVEL_INDEX[facts["level"]] >= LEVEL_INDEX[cond[7:]]
    if cond.startswith("level<="):
        return LEVEL_INDEX[facts["level"]] <= LEVEL_INDEX[cond[7:]]
    kind, _, values = cond.partition(":")
    wanted = set(values.split(","))
    if kind == "route":
        return facts["route"] in wanted
    if kind == "cue":
        return bool(wanted.intersection(facts["cues"]))
    if kind == "context":
        return bool(wanted.intersection(facts["context"]))
    if kind == "channel":
        return facts["channel"] in wanted
    raise AssertionError(cond)


def choose_advice(facts: dict, lang: str) -> tuple[Advice, ...]:
    return tuple(Advice(item.id, item.text[lang]) for item in advice_items()
                 if all(_holds(c, facts) for c in item.when))


def make_tags(score: Score, priority: str, route: str, pressure: bool, cues: tuple[str, ...],
              fired: tuple[str, ...]) -> tuple[str, ...]:
    tags = [f"{TAG_PREFIX}level__{score.level}", f"{TAG_PREFIX}priority__{priority.lower()}",
            f"{TAG_PREFIX}route__{route}"]
    if pressure:
        tags.append(f"{TAG_PREFIX}publicity_pressure")
    tags += [f"{TAG_PREFIX}cue__{c}" for c in cues]
    tags += [f"{TAG_PREFIX}pii__{k}" for k in pii_kinds(f.kind for f in score.pii)]
    tags += [f"{TAG_PREFIX}context__{r}" for r in fired]
    tags += [f"{TAG_PREFIX}flag__{f}" for f in score.flags if f in FLAGS]
    return tuple(tags)


def triage(score: Score, policy: Policy | None = None, context: Context | Mapping | None = None,
           *, lang: str = "de") -> Triage:
    """Priority, answer time, route, tags and advice for one scored post.

    >>> import shitstorm
    >>> t = shitstorm.triage(shitstorm.score("Wenn ich bis morgen nichts höre, geht das an die BILD!"))
    >>> t.priority, t.respond_within, t.route
    ('P1', 30, 'legal_pr')
    """
    if not isinstance(score, Score):
        raise TypeError(f"triage takes a shitstorm.Score, not {type(score).__name__}; "
                        "call shitstorm.score(text) first")
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    if policy is None:
        policy = _default()
    elif not isinstance(policy, Policy):
        raise TypeError(f"policy must be a shitstorm.Policy, not {type(policy).__name__}")
    if not isinstance(context, Context):
        context = Context.from_dict(context)
    cues = found_cues(score)
    fired = context_rules(context, policy)
    priority, rules = decide_priority(score, policy, cues, fired)
    route = decide_route(score, policy, cues)
    pressure = score.publicity_pressure >= policy.pressure_threshold
    facts = {"level": score.level, "pressure": pressure, "pii": bool(score.pii), "route": route,
             "cues": cues, "context": fired, "channel": context.channel}
    return Triage(
        priority=priority,
        respond_within=int(policy.respond_within[priority]),
        route=route,
        tags=make_tags(score, priority, route, pressure, cues, fired),
        advice=choose_advice(facts, lang),
        rules=rules,
    )
