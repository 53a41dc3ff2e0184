"""Cue rules: one small function per rule, each returning ``Reason`` objects. No model needed.

``find_reasons(text)`` runs every rule over the match view of a post (``normalise.prepare``)
and returns the reasons in text order. The model counts exactly these objects as features
(``features.CueFeatures``), and ``Score.reasons`` shows the same objects to the agent.
Where in a post a lexicon entry may start, and which regex to try there, is speed machinery
kept apart in ``_cue_index.py``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..schema import Reason
from ._cue_index import candidates, weight
from .lexicon import load_accounts
from .normalise import _MENTION, blank_form

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

_NEGATOR_HINT = re.compile(r"(?i)\b(?:{})\b".format("|".join(sorted(NEGATORS))))
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
_CAPS_PAIR = re.compile(r"[^\W\d_a-zäöüß]{2}")
"""Two upper-case letters in a row: what every ``_CAPS_WORD`` contains. Starting with a
character class, it scans much faster, and most posts have none."""
_FLOOD = re.compile(r"[!?]{" + str(PUNCT_FLOOD) + ",}")


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

    Matching runs on ``text.lower()`` (same length as ``text`` for German) at the few places an
    entry may start (``_cue_index.candidates``), each with a regex over just the entries that can start
    there, so a post costs a handful of small regex calls instead of one scan per pattern.
    """
    lower = text.lower()
    if len(lower) != len(text):  # rare characters whose lower case is longer (e.g. "İ")
        lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    reasons: list[Reason] = []
    last: dict[str, Reason] = {}
    for p, rx in candidates(lower):
        m = rx.match(lower, p)
        if m is None:
            continue
        family = m.lastgroup
        if family is None:  # pragma: no cover - every alternative is a named group
            continue
        end = m.end()
        prev = last.get(family)
        if prev is not None and prev.end > p:
            # overlaps an earlier match of the same family: keep the longer one
            # ("mein anwalt" over "anwalt"; "seit drei Wochen" over "warte seit")
            if end - p <= prev.end - prev.start:
                continue
            reasons.remove(prev)
        negated = text[p].isalnum() and is_negated(text, p)
        reason = Reason(family, text[p:end], p, end, negated, weight(family, m.group(0)))
        reasons.append(reason)
        last[family] = reason
    return reasons


def shouting_reasons(text: str) -> list[Reason]:
    """ALL-CAPS words (not acronyms) and ``!!!``/``?!?`` floods."""
    reasons = []
    if not _CAPS_PAIR.search(text):
        caps = []
    else:
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


_SOURCE_MARK = re.compile(r"(?i)(?:\bRT|\bvia|\bquelle:?)\s*$")
"""What stands before a handle that is credited, not tagged: "RT @tagesschau:", "via @BILD"."""


def tagged_account_reasons(text: str) -> list[Reason]:
    """@handles of media, consumer-protection and regulator accounts (``lexicons/accounts/``)
    tagged in the post. Any other handle is a person or the company and no evidence; a
    retweet source or a "via" credit is no tag.

    >>> [(r.cue, r.text) for r in tagged_account_reasons("@Stromfix @wiso_zdf seit 3 Wochen kein Strom")]
    [('publicity_media', '@wiso_zdf')]
    >>> tagged_account_reasons("RT @tagesschau: Bahn meldet Rekordumsatz")
    []
    """
    if "@" not in text:
        return []
    accounts = load_accounts()
    out = []
    for m in _MENTION.finditer(text):
        acc = accounts.get(m.group(0)[1:].casefold())
        if acc is None or _SOURCE_MARK.search(text, max(0, m.start() - 8), m.start()):
            continue
        out.append(Reason(acc.family, m.group(0), m.start(), m.end(), False, acc.weight))
    return out


WORD_RULES = (lexicon_reasons, shouting_reasons)
"""Rules over the words of a post: they run on the match view with links, handles, e-mail
addresses and retweet markers blanked (``normalise.blank_form``), so nothing inside a link or a
handle is read as a word."""


def find_reasons(text: str) -> tuple[Reason, ...]:
    """All reasons in the (prepared) text, sorted by position."""
    words = blank_form(text)
    found: list[Reason] = tagged_account_reasons(text)
    for rule in WORD_RULES:
        got = rule(words)
        if words is not text:  # a match that spans a blanked handle shows the words as written
            got = [r if r.text == text[r.start:r.end] else replace(r, text=text[r.start:r.end])
                   for r in got]
        found.extend(got)
    found.sort(key=lambda r: (r.start, r.end, r.cue))
    return tuple(found)
