"""Cue rules: one small function per rule, each returning ``Reason`` objects. No model needed.

``find_reasons(text)`` runs every rule over the match view of a post (``normalise.prepare``)
and returns the reasons in text order. The model counts exactly these objects as features
(``features.CueFeatures``), and ``Score.reasons`` shows the same objects to the agent.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache, lru_cache

from ..schema import Reason
from .lexicon import Entry, LexiconError, load_accounts, load_lexicons
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

_SYMBOL = re.compile(r"[^\w\s.,;:!?'\"()\[\]/\\*&%#+=<>|~^`@-]")
"""Symbols a cue can start with: emoji, €, and other non-punctuation signs."""


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


MAX_PREFIXES = 64
"""Expanding a regular expression's alternatives into literal prefixes stops at 64; past that
the entry is tried at every word (correct, only slower)."""


def _literal_prefixes(regex: str) -> frozenset[tuple[str, bool]] | None:  # noqa: C901 - to split (complexity over 15, see CHANGELOG)
    """How a match of ``regex`` must start: a set of ``(text, exact)`` pairs, lower case.

    ``exact`` means the match's first word is exactly ``text`` (the literal run ends at a space,
    a hyphen, a word boundary or the end); otherwise the first word starts with ``text``. A
    pattern that starts with a symbol gives ``(symbol, True)``. None when it cannot be told.
    """
    try:
        from re import _constants as C  # type: ignore[attr-defined]  # the stdlib's own parser
        from re import _parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - other Python implementations
        return None

    def is_space_class(items) -> bool:
        items = list(items)
        return bool(items) and all(
            (op is C.IN and all((iop is C.CATEGORY and iav is C.CATEGORY_SPACE)
                                or (iop is C.LITERAL and chr(iav).isspace()) for iop, iav in av))
            or (op is C.LITERAL and chr(av).isspace())
            for op, av in items)

    def seq(items, states: set) -> set:  # noqa: C901 - to split (complexity over 15, see CHANGELOG)
        for op, av in items:
            open_ = {s for s, st in states if st == "open"}
            closed = {(s, st) for s, st in states if st != "open"}
            if not open_:
                return states

            def close(kind, closed=closed, open_=open_):  # bound now: the loop moves on
                return closed | {(s, kind) for s in open_}

            if op is C.LITERAL:
                ch = chr(av).lower()
                if _is_word_char(ch):
                    states = closed | {(s + ch, "open") for s in open_}
                    continue
                if open_ == {""}:
                    return closed | {(ch, "exact")}  # a symbol start: its own key
                return close("exact")
            if op is C.AT:
                return close("exact") if "" not in open_ else close("prefix")
            if op is C.SUBPATTERN:
                states = closed | seq(av[-1], {(s, "open") for s in open_})
            elif op is C.BRANCH:
                result = set(closed)
                for branch in av[1]:
                    result |= seq(branch, {(s, "open") for s in open_})
                if len(result) > MAX_PREFIXES:
                    return close("prefix")
                states = result
            elif op is C.IN:
                if is_space_class([(op, av)]):
                    return close("exact")
                chars = set()
                for iop, iav in av:
                    if iop is C.LITERAL:
                        chars.add(chr(iav).lower())
                    elif iop is C.CATEGORY and iav is C.CATEGORY_DIGIT:
                        chars |= set("0123456789")
                    else:
                        return close("prefix")
                if open_ == {""} and not any(_is_word_char(ch) for ch in chars):
                    return closed | {(ch, "exact") for ch in chars}
                if not all(_is_word_char(ch) for ch in chars) or len(open_) * len(chars) > MAX_PREFIXES:
                    return close("prefix")
                states = closed | {(s + ch, "open") for s in open_ for ch in chars}
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
                if av[0] >= 1 and is_space_class(av[2]):
                    return close("exact")
                if av[0] >= 1 and _is_digit_class(list(av[2]), C):
                    return closed | {(s + d, "prefix") for s in open_ for d in "0123456789"}
                return close("prefix")
            else:
                return close("prefix")
        return states

    got = seq(_parser.parse(regex), {("", "open")})
    out = set()
    for s, st in got:
        if s == "":
            return None
        out.add((s, st != "prefix"))
    return frozenset(out)


def _is_digit_class(items: list, C) -> bool:
    return len(items) == 1 and items[0][0] is C.IN and list(items[0][1]) == [
        (C.CATEGORY, C.CATEGORY_DIGIT)
    ]


@lru_cache(maxsize=1)
def _buckets() -> dict[str, list[tuple[int, Entry, frozenset[str]]]]:
    """First character → the entries that can start with it, as ``(family rank, entry, the
    literal starts of the entry)``, in lexicon order (an entry with several starts of the same
    first character is listed once per start)."""
    buckets: dict[str, list[tuple[int, Entry, frozenset[str]]]] = {}
    anywhere: list[str] = []
    for family, entries in load_lexicons().items():
        rank = FAMILY_PRIORITY.index(family)
        for e in entries:
            if not e.pattern.startswith("re:"):
                first = e.pattern.split()[0].lower()
                starts = {(first.removesuffix("*"), not first.endswith("*"))}
            else:
                pre = _literal_prefixes(e.regex.lower())
                if pre is None:
                    anywhere.append(e.pattern)
                    continue
                starts = set(pre)
            literal = frozenset(px for px, _ in starts)
            for px, _exact in sorted(starts):
                buckets.setdefault(px[0], []).append((rank, e, literal))
    if anywhere:
        raise LexiconError("lexicon patterns without a literal start: " + ", ".join(anywhere)
                           + "; begin each regular expression with a word or a symbol")
    return buckets


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, re.Pattern], frozenset[str], dict[str, tuple[str, ...]]]:
    """First character → one compiled regex over all entries that can start with it (one named
    group per family, ``FAMILY_PRIORITY`` order, longest pattern first); the words a plain entry
    starts with; first character → the word prefixes other entries start with."""
    exact: set[str] = set()
    prefixes: dict[str, set[str]] = {}
    for entries in load_lexicons().values():
        for e in entries:
            if not e.pattern.startswith("re:"):
                first = e.pattern.split()[0].lower()
                if first.endswith("*"):
                    first = first[:-1]
                    prefixes.setdefault(first[0], set()).add(first)
                else:
                    exact.add(first)
                continue
            for px, is_exact in _literal_prefixes(e.regex.lower()) or ():
                if _is_word_char(px[0]):
                    (exact.add(px) if is_exact else prefixes.setdefault(px[0], set()).add(px))
    buckets = _buckets()
    out = {ch: _compile_bucket([(rank, e) for rank, e, _ in items]) for ch, items in buckets.items()}
    return out, frozenset(exact), {ch: tuple(sorted(v)) for ch, v in prefixes.items()}


@lru_cache(maxsize=100_000)
def _may_start(word: str) -> bool:
    """Can a lexicon entry start at this (lower-case) word? Cached: most words say no."""
    _, exact, prefixes = _index()
    return word in exact or any(word.startswith(px) for px in prefixes.get(word[0], ()))


def _admits(start: str, word: str) -> bool:
    """Can a match that begins with the literal ``start`` begin at a word (maximal ``\\w`` run)
    ``word``? Only if the word starts with it, or, when ``start`` goes on past its leading word
    characters ("e-mail"), only if the word is exactly those characters."""
    lead = _WORD.match(start)
    if lead is None:
        return False  # a symbol start: never at a word
    if lead.end() < len(start):
        return word == lead.group(0)
    return word.startswith(start)


_BUCKET_REGEXES: dict[tuple[str | int, ...], re.Pattern] = {}
"""Compiled regexes of bucket subsets, by the positions of their items in the bucket; many
words share one subset (all words starting with "kündig")."""


@lru_cache(maxsize=100_000)
def _word_regex(word: str) -> re.Pattern | None:
    """The regex to try where ``word`` (lower case) starts: the bucket of its first character
    (``_index``) cut down to the entries whose literal start admits the word, in the same order.
    The left-out entries cannot match there, so the first match is the bucket's first match,
    but the regex engine tries a handful of alternatives instead of hundreds. None when no
    entry can start at the word."""
    items = _buckets().get(word[0], ())
    keep = tuple(i for i, (_, _, starts) in enumerate(items)
                 if any(_admits(px, word) for px in starts))
    if not keep:
        return None
    key = (word[0],) + keep
    rx = _BUCKET_REGEXES.get(key)
    if rx is None:
        rx = _BUCKET_REGEXES[key] = _compile_bucket([items[i][:2] for i in keep])
    return rx


def _compile_bucket(items: list[tuple[int, Entry]]) -> re.Pattern:
    groups = []
    by_family: dict[str, list[Entry]] = {}
    for _rank, e in sorted(items, key=lambda t: (t[0], -len(t[1].pattern))):
        by_family.setdefault(e.family, []).append(e)
    for family, entries in by_family.items():
        alternation = "|".join(f"(?:{e.regex.lower()})" for e in entries)
        groups.append(f"(?P<{family}>{alternation})")
    return re.compile(r"(?:{})(?!\w)".format("|".join(groups)))


@cache
def _weight(family: str, matched: str) -> float:
    """Weight of the (longest) entry of ``family`` that matches ``matched`` in full."""
    best = None
    for e in load_lexicons()[family]:
        if re.fullmatch(e.regex, matched, re.IGNORECASE) and (
                best is None or len(e.pattern) > len(best.pattern)):
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


CHUNK_CACHE_SIZE = 200_000
"""Candidates of up to 200,000 distinct whitespace-separated chunks are cached."""


@lru_cache(maxsize=CHUNK_CACHE_SIZE)
def _chunk_candidates(chunk: str) -> tuple[tuple[int, re.Pattern], ...]:
    """``(offset in chunk, regex to try)`` where a lexicon entry may start in one
    whitespace-separated chunk of the lower-case text: each word (maximal ``\\w`` run) that some
    entry can start with (``_may_start``) and each symbol (emoji, €) that starts a bucket."""
    found = []
    for m in _WORD.finditer(chunk):
        word = m.group(0)
        if _may_start(word):
            rx = _word_regex(word)
            if rx is not None:
                found.append((m.start(), rx))
    if _SYMBOL.search(chunk):
        index = _index()[0]
        for m in _SYMBOL.finditer(chunk):
            rx = index.get(chunk[m.start()])
            if rx is not None:
                found.append((m.start(), rx))
        found.sort(key=lambda t: t[0])
    return tuple(found)


def _candidates(lower: str) -> list[tuple[int, re.Pattern]]:
    """Offsets where a lexicon entry may start, with the regex to try there, in text order.

    Words and symbols never contain whitespace, so each whitespace-separated chunk is looked
    at once (``_chunk_candidates``, cached): most chunks are common words with no candidate."""
    out: list[tuple[int, re.Pattern]] = []
    pos = 0
    chunks = lower.split()
    for chunk, found in zip(chunks, map(_chunk_candidates, chunks), strict=False):
        if found:
            pos = _find_chunk(lower, chunk, pos)
            out.extend((pos + off, rx) for off, rx in found)
            pos += len(chunk)
    return out


def _find_chunk(text: str, chunk: str, pos: int) -> int:
    """Offset of the first whole whitespace-separated ``chunk`` at or after ``pos``.

    ``_candidates`` skips the chunks without candidates; none of those equals ``chunk`` (it
    would have the same candidates), so the first occurrence that stands between whitespace (or
    the ends of the text) is the chunk itself, not a piece of a skipped one."""
    n = len(text)
    while True:
        i = text.find(chunk, pos)
        end = i + len(chunk)
        if (i == 0 or text[i - 1].isspace()) and (end == n or text[end].isspace()):
            return i
        pos = i + 1


def lexicon_reasons(text: str) -> list[Reason]:
    """Every lexicon match, with its family, weight and negation.

    Matching runs on ``text.lower()`` (same length as ``text`` for German) at the few places an
    entry may start (``_candidates``), each with a regex over just the entries that can start
    there, so a post costs a handful of small regex calls instead of one scan per pattern.
    """
    lower = text.lower()
    if len(lower) != len(text):  # rare characters whose lower case is longer (e.g. "İ")
        lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    reasons: list[Reason] = []
    last: dict[str, Reason] = {}
    for p, rx in _candidates(lower):
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
        reason = Reason(family, text[p:end], p, end, negated, _weight(family, m.group(0)))
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
