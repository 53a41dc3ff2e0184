"""Cue rules: one small function per rule, each returning ``Reason`` objects. No model needed.

``find_reasons(text)`` runs every rule over the match view of a post (``normalise.prepare``)
and returns the reasons in text order. The model counts exactly these objects as features
(``features.CueFeatures``), and ``Score.reasons`` shows the same objects to the agent.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexicon import Entry, load_lexicons
from .schema import Reason

NEGATORS = frozenset(
    {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals",
     "nichts", "nix", "ohne", "weder", "net", "ned"}
)
"""Words that negate a following cue ("ich gehe *nicht* zur Presse"). ``net``/``ned`` are the
southern dialect forms of ``nicht``."""

NEGATION_WINDOW = 3
"""How many words before a cue a negator may stand: "nicht [an die] Presse", "keinen
[Shitstorm]", "nicht gleich [die] Presse". Wider windows reach into the previous thought."""

CLAUSE_BREAKERS = frozenset({"aber", "sondern", "doch", "jedoch", "trotzdem", "und"})
"""A negation does not reach past these: "keine Drohung, aber [Presse]"."""

_NEGATOR_HINT = re.compile(r"(?i)\b(?:%s)\b" % "|".join(sorted(NEGATORS)))
_CLAUSE_PUNCT = re.compile(r"[.!?;:,\n()\"“”„]")
_WORD = re.compile(r"\w+")

ACRONYMS = frozenset(
    {"DSL", "ICE", "IC", "RE", "RB", "EC", "BILD", "ADAC", "DHL", "DPD", "GLS", "UPS", "EU",
     "USA", "DSGVO", "IBAN", "BIC", "PIN", "TAN", "SMS", "PDF", "ZDF", "ARD", "WDR", "NDR",
     "SWR", "MDR", "RTL", "BR", "TV", "WLAN", "LTE", "GPS", "SEPA", "AGB", "FAQ", "OK", "KFZ",
     "TÜV", "ÖPNV", "BVG", "HVV", "MVG", "KVB", "DB", "ID", "APP", "CEO", "WISO", "NRW",
     "GMBH", "AG", "PS", "USB", "HD", "BAFIN", "SCHUFA", "IHK", "LOL", "OMG", "WTF", "PC"}
)
"""Upper-case words that are names, not shouting."""

SHOUT_MIN_LETTERS = 4
"""A single all-caps word counts as shouting from 4 letters ("NIE", "BITTE" → only the latter);
two or more all-caps words in a row count from 2 letters each ("ICH WILL MEIN GELD")."""

PUNCT_FLOOD = 3
"""Three or more ``!``/``?`` in a row ("!!!", "?!?") count as shouting."""

_CAPS_WORD = re.compile(r"\b[^\W\d_a-zäöüß]{2,}\b")
_FLOOD = re.compile(r"[!?]{%d,}" % PUNCT_FLOOD)


FAMILY_PRIORITY = (
    "sarcasm", "insult", "fraud_accusation", "legal_threat", "regulator", "ignored_contact",
    "publicity_media", "publicity_reviews", "publicity_viral", "mobilization", "ultimatum",
    "churn_threat", "repeat_failure", "waiting_time", "money_loss", "safety_harm",
    "discrimination", "data_protection", "vulnerable_person", "profanity", "gratitude",
)
"""When patterns of two families start at the same place, the earlier family wins: "Danke für
nichts" is sarcasm, not gratitude; "Scheißladen" an insult, not mere profanity. A cue of
another family that starts *inside* a match is still found ("bis morgen" in "wenn ich bis
morgen")."""

_DIGITS = frozenset("0123456789")
_START = re.compile(r"\w+|[^\w\s.,;:!?'\"()\[\]/\\-]")
"""Where a cue can start: each word, and each symbol that is not plain punctuation (emoji, €)."""


MAX_PREFIXES = 64
"""Expanding a regular expression's alternatives into literal prefixes stops at 64; past that
the entry is tried at every word (correct, only slower)."""


def _literal_prefixes(regex: str) -> frozenset[str] | None:
    """The literal word-character prefixes a match of ``regex`` must start with (lower case),
    ``frozenset({""})`` when it starts with a symbol, or None when that cannot be told."""
    try:
        from re import _constants as C
        from re import _parser
    except ImportError:  # pragma: no cover - other Python implementations
        return None

    def seq(items, prefixes: set[str]) -> set[str] | None:
        for op, av in items:
            if op is C.LITERAL:
                ch = chr(av).lower()
                if not (ch.isalnum() or ch == "_"):
                    # a symbol at the very start (emoji, €) is its own one-character key
                    return {ch} if prefixes == {""} else prefixes
                prefixes = {p + ch for p in prefixes}
            elif op is C.SUBPATTERN:
                out = seq(av[-1], prefixes)
                if out is None:
                    return None
                if any(len(p) == len(q) for p in out for q in prefixes):
                    return out  # the group may end the literal run; stop here
                prefixes = out
            elif op is C.BRANCH:
                out: set[str] = set()
                for branch in av[1]:
                    got = seq(branch, prefixes)
                    if got is None:
                        return None
                    out |= got
                return out if len(out) <= MAX_PREFIXES else None
            elif op is C.IN:
                chars = set()
                for iop, iav in av:
                    if iop is C.LITERAL:
                        chars.add(chr(iav).lower())
                    elif iop is C.CATEGORY and iav is C.CATEGORY_DIGIT:
                        chars |= set("0123456789")
                    else:
                        return prefixes
                if prefixes == {""} and not any(ch.isalnum() for ch in chars):
                    return chars  # symbols at the start: each its own key
                new = {p + ch for p in prefixes for ch in chars if ch.isalnum()}
                if len(new) > MAX_PREFIXES or len(new) != len(prefixes) * len(chars):
                    return prefixes
                prefixes = new
            elif op is C.MAX_REPEAT and av[0] >= 1 and _is_digit_class(list(av[2]), C):
                return {p + d for p in prefixes for d in "0123456789"}
            else:
                return prefixes
        return prefixes

    got = seq(_parser.parse(regex), {""})
    return frozenset(got) if got is not None else None


def _is_digit_class(items: list, C) -> bool:
    return len(items) == 1 and items[0][0] is C.IN and list(items[0][1]) == [
        (C.CATEGORY, C.CATEGORY_DIGIT)
    ]


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, re.Pattern], dict[str, tuple[str, ...]], bool]:
    """First character → one compiled regex over all entries that can start with it (one named
    group per family, ``FAMILY_PRIORITY`` order, longest pattern first); first character → the
    literal word prefixes entries start with; whether some entry can start anywhere."""
    buckets: dict[str, list[tuple[int, Entry]]] = {}
    prefixes: dict[str, set[str]] = {}
    anywhere: list[tuple[int, Entry]] = []
    for family, entries in load_lexicons().items():
        rank = FAMILY_PRIORITY.index(family)
        for e in entries:
            pre = _literal_prefixes(e.regex.lower())
            if pre is None or "" in pre:
                anywhere.append((rank, e))
                continue
            for px in pre:
                buckets.setdefault(px[0], []).append((rank, e))
                prefixes.setdefault(px[0], set()).add(px)
    out = {ch: _compile_bucket(items + anywhere) for ch, items in buckets.items()}
    if anywhere:
        out[""] = _compile_bucket(anywhere)
    return out, {ch: tuple(sorted(v)) for ch, v in prefixes.items()}, bool(anywhere)


@lru_cache(maxsize=100_000)
def _may_start(word: str) -> bool:
    """Can a lexicon entry start at this (lower-case) word? Cached: most words say no."""
    _, prefixes, anywhere = _index()
    return anywhere or any(word.startswith(px) for px in prefixes.get(word[0], ()))


def _compile_bucket(items: list[tuple[int, Entry]]) -> re.Pattern:
    groups = []
    by_family: dict[str, list[Entry]] = {}
    for rank, e in sorted(items, key=lambda t: (t[0], -len(t[1].pattern))):
        by_family.setdefault(e.family, []).append(e)
    for family, entries in by_family.items():
        alternation = "|".join(f"(?:{e.regex.lower()})" for e in entries)
        groups.append(f"(?P<{family}>{alternation})")
    return re.compile(r"(?:%s)(?!\w)" % "|".join(groups))


@lru_cache(maxsize=None)
def _weight(family: str, matched: str) -> float:
    """Weight of the (longest) entry of ``family`` that matches ``matched`` in full."""
    best = None
    for e in load_lexicons()[family]:
        if re.fullmatch(e.regex, matched, re.IGNORECASE):
            if best is None or len(e.pattern) > len(best.pattern):
                best = e
    return best.weight if best is not None else 1.0


def is_negated(text: str, start: int) -> bool:
    """True when a negator stands within ``NEGATION_WINDOW`` words before ``start``, in the
    same clause.

    >>> is_negated("Ich gehe nicht an die Presse", 18)
    True
    >>> is_negated("Kein Problem, aber die Presse", 23)
    False
    """
    before = text[max(0, start - 80) : start]
    if not _NEGATOR_HINT.search(before):
        return False  # fast path: no negator anywhere near
    cut = None
    for m in _CLAUSE_PUNCT.finditer(before):
        cut = m.end()
    if cut is not None:
        before = before[cut:]
    words = _WORD.findall(before.casefold())[-NEGATION_WINDOW:]
    for word in reversed(words):
        if word in CLAUSE_BREAKERS:
            return False
        if word in NEGATORS:
            return True
    return False


def lexicon_reasons(text: str) -> list[Reason]:
    """Every lexicon match, with its family, weight and negation.

    Matching runs on ``text.lower()`` (same length as ``text`` for German) through an index by
    first character, so a post costs one regex call per word instead of one scan per pattern.
    """
    lower = text.lower()
    if len(lower) != len(text):  # rare characters whose lower case is longer (e.g. "İ")
        lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    index = _index()[0]
    reasons: list[Reason] = []
    last_end: dict[str, int] = {}
    for w in _START.finditer(lower):
        p = w.start()
        word = w.group(0)
        if word[0].isalnum() or word[0] == "_":
            if not _may_start(word):
                continue
            rx = index.get(word[0])
        else:
            rx = index.get(word[0]) or index.get("")
        if rx is None:
            continue
        m = rx.match(lower, p)
        if m is None:
            continue
        family = m.lastgroup
        if last_end.get(family, -1) > p:
            continue  # inside an earlier match of the same family ("mein anwalt" / "anwalt")
        last_end[family] = m.end()
        negated = text[p].isalnum() and is_negated(text, p)
        reasons.append(Reason(family, text[p : m.end()], p, m.end(), negated,
                              _weight(family, m.group(0))))
    return reasons


def shouting_reasons(text: str) -> list[Reason]:
    """ALL-CAPS words (not acronyms) and ``!!!``/``?!?`` floods."""
    reasons = []
    caps = [m for m in _CAPS_WORD.finditer(text) if m.group(0) not in ACRONYMS]
    for i, m in enumerate(caps):
        word = m.group(0)
        in_run = (i > 0 and _adjacent(text, caps[i - 1], m)) or (
            i + 1 < len(caps) and _adjacent(text, m, caps[i + 1])
        )
        if len(word) >= SHOUT_MIN_LETTERS or in_run:
            reasons.append(Reason("shouting", word, m.start(), m.end()))
    for m in _FLOOD.finditer(text):
        reasons.append(Reason("shouting", m.group(0), m.start(), m.end()))
    return reasons


def _adjacent(text: str, a: re.Match, b: re.Match) -> bool:
    gap = text[a.end() : b.start()]
    return len(gap) <= 3 and not any(ch.isalnum() for ch in gap)


RULES = (lexicon_reasons, shouting_reasons)
"""The rules ``find_reasons`` runs, in order."""


def find_reasons(text: str) -> tuple[Reason, ...]:
    """All reasons in the (prepared) text, sorted by position."""
    found: list[Reason] = []
    for rule in RULES:
        found.extend(rule(text))
    found.sort(key=lambda r: (r.start, r.end, r.cue))
    return tuple(found)
