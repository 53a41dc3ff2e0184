"""The speed machinery behind ``cues.lexicon_reasons``: where in a post a lexicon entry may
start, and which regex to try there. The rules themselves live in ``cues.py``.

Every lexicon entry must start with a literal word (or a word prefix, ``kündig*``) or a symbol
(emoji, €). ``_literal_prefixes`` reads those starts out of an entry's regular expression;
``_buckets``/``_index`` group the entries by first character; ``candidates(lower)`` returns,
for a lower-case post, each offset where some entry may start with a regex over just the
entries that can start there. Leaving out entries that cannot match at an offset never changes
the first match, so the reasons are the same as trying every entry at every word
(``tests/test_cue_index.py`` checks this against a brute-force scan of the corpus).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .lexicon import Entry, LexiconError, load_lexicons

try:  # the stdlib's own regex parser: ``re._parser`` from Python 3.11, ``sre_parse`` before
    from re import _constants as _C  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _C  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

_WORD = re.compile(r"\w+")

_SYMBOL = re.compile(r"[^\w\s.,;:!?'\"()\[\]/\\*&%#+=<>|~^`@-]")
"""Symbols a cue can start with: emoji, €, and other non-punctuation signs."""


def _is_word_char(ch: str) -> bool:
    """What ``\\w`` matches in a ``str`` pattern: alphanumeric (``str.isalnum``) or ``_``."""
    return ch.isalnum() or ch == "_"


MAX_PREFIXES = 64
"""Expanding a regular expression's alternatives into literal prefixes stops at 64; past that
the entry is tried at every word (correct, only slower)."""

# -- literal prefixes of a regular expression --------------------------------------------------
# The parse tree is walked with a set of states ``(text so far, kind)``: ``open`` (the literal
# run goes on), ``exact`` (the first word is exactly the text) or ``prefix`` (the first word
# starts with the text). Each node kind has a small handler returning ``(states, done)``.

_OPEN, _EXACT, _PREFIX = "open", "exact", "prefix"


def _close(closed: set, open_: set, kind: str) -> set:
    return closed | {(s, kind) for s in open_}


def _opened(open_: set) -> set:
    return {(s, _OPEN) for s in open_}


def _is_space_class(items) -> bool:
    items = list(items)
    return bool(items) and all(
        (op is _C.IN and all((iop is _C.CATEGORY and iav is _C.CATEGORY_SPACE)
                             or (iop is _C.LITERAL and chr(iav).isspace()) for iop, iav in av))
        or (op is _C.LITERAL and chr(av).isspace())
        for op, av in items)


def _is_digit_class(items: list) -> bool:
    return len(items) == 1 and items[0][0] is _C.IN and list(items[0][1]) == [
        (_C.CATEGORY, _C.CATEGORY_DIGIT)
    ]


def _on_literal(av, open_: set, closed: set) -> tuple[set, bool]:
    ch = chr(av).lower()
    if _is_word_char(ch):
        return closed | {(s + ch, _OPEN) for s in open_}, False
    if open_ == {""}:
        return closed | {(ch, _EXACT)}, True  # a symbol start: its own key
    return _close(closed, open_, _EXACT), True


def _on_at(av, open_: set, closed: set) -> tuple[set, bool]:
    return _close(closed, open_, _EXACT if "" not in open_ else _PREFIX), True


def _on_subpattern(av, open_: set, closed: set) -> tuple[set, bool]:
    return closed | _seq(av[-1], _opened(open_)), False


def _on_branch(av, open_: set, closed: set) -> tuple[set, bool]:
    result = set(closed)
    for branch in av[1]:
        result |= _seq(branch, _opened(open_))
    if len(result) > MAX_PREFIXES:
        return _close(closed, open_, _PREFIX), True
    return result, False


def _class_chars(av) -> set[str] | None:
    """The (lower-case) characters of a character class of literals and ``\\d``; None for
    anything else."""
    chars: set[str] = set()
    for iop, iav in av:
        if iop is _C.LITERAL:
            chars.add(chr(iav).lower())
        elif iop is _C.CATEGORY and iav is _C.CATEGORY_DIGIT:
            chars |= set("0123456789")
        else:
            return None
    return chars


def _on_in(av, open_: set, closed: set) -> tuple[set, bool]:
    if _is_space_class([(_C.IN, av)]):
        return _close(closed, open_, _EXACT), True
    chars = _class_chars(av)
    if chars is None:
        return _close(closed, open_, _PREFIX), True
    if open_ == {""} and not any(_is_word_char(ch) for ch in chars):
        return closed | {(ch, _EXACT) for ch in chars}, True
    if not all(_is_word_char(ch) for ch in chars) or len(open_) * len(chars) > MAX_PREFIXES:
        return _close(closed, open_, _PREFIX), True
    return closed | {(s + ch, _OPEN) for s in open_ for ch in chars}, False


def _on_repeat(av, open_: set, closed: set) -> tuple[set, bool]:
    if av[0] >= 1 and _is_space_class(av[2]):
        return _close(closed, open_, _EXACT), True
    if av[0] >= 1 and _is_digit_class(list(av[2])):
        return closed | {(s + d, _PREFIX) for s in open_ for d in "0123456789"}, True
    return _close(closed, open_, _PREFIX), True


def _on_other(av, open_: set, closed: set) -> tuple[set, bool]:
    return _close(closed, open_, _PREFIX), True


_HANDLERS = {
    _C.LITERAL: _on_literal, _C.AT: _on_at, _C.SUBPATTERN: _on_subpattern, _C.BRANCH: _on_branch,
    _C.IN: _on_in, _C.MAX_REPEAT: _on_repeat, _C.MIN_REPEAT: _on_repeat,
}


def _seq(items, states: set) -> set:
    """The states after a sequence of parse-tree nodes."""
    for op, av in items:
        open_ = {s for s, st in states if st == _OPEN}
        if not open_:
            return states
        closed = {(s, st) for s, st in states if st != _OPEN}
        states, done = _HANDLERS.get(op, _on_other)(av, open_, closed)
        if done:
            return states
    return states


def _literal_prefixes(regex: str) -> frozenset[tuple[str, bool]] | None:
    """How a match of ``regex`` must start: a set of ``(text, exact)`` pairs, lower case.

    ``exact`` means the match's first word is exactly ``text`` (the literal run ends at a space,
    a hyphen, a word boundary or the end); otherwise the first word starts with ``text``. A
    pattern that starts with a symbol gives ``(symbol, True)``. None when it cannot be told.

    >>> sorted(_literal_prefixes(r"(?:an|in) die presse"))
    [('an', True), ('in', True)]
    >>> sorted(_literal_prefixes(r"kündig\\w*"))
    [('kündig', False)]
    """
    got = _seq(_parser.parse(regex), {("", _OPEN)})
    if any(s == "" for s, _ in got):
        return None
    return frozenset((s, st != _PREFIX) for s, st in got)


# -- the candidate index -------------------------------------------------------------------------

def _entry_starts(e: Entry) -> set[tuple[str, bool]] | None:
    """The literal starts of a lexicon entry, as ``(text, exact)``; None when unknown."""
    if not e.pattern.startswith("re:"):
        first = e.pattern.split()[0].lower()
        return {(first.removesuffix("*"), not first.endswith("*"))}
    pre = _literal_prefixes(e.regex.lower())
    return None if pre is None else set(pre)


@lru_cache(maxsize=1)
def _buckets() -> dict[str, list[tuple[int, Entry, frozenset[str]]]]:
    """First character → the entries that can start with it, as ``(family rank, entry, the
    literal starts of the entry)``, in lexicon order (an entry with several starts of the same
    first character is listed once per start)."""
    from .cues import FAMILY_PRIORITY  # the rule lives with the rules

    buckets: dict[str, list[tuple[int, Entry, frozenset[str]]]] = {}
    anywhere: list[str] = []
    for family, entries in load_lexicons().items():
        rank = FAMILY_PRIORITY.index(family)
        for e in entries:
            starts = _entry_starts(e)
            if starts is None:
                anywhere.append(e.pattern)
                continue
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
    buckets = _buckets()  # first: it raises for an entry without a literal start
    exact: set[str] = set()
    prefixes: dict[str, set[str]] = {}
    for entries in load_lexicons().values():
        for e in entries:
            for px, is_exact in _entry_starts(e) or ():
                if _is_word_char(px[0]):
                    (exact.add(px) if is_exact else prefixes.setdefault(px[0], set()).add(px))
    out = {ch: _compile_bucket([(rank, e) for rank, e, _ in items]) for ch, items in buckets.items()}
    return out, frozenset(exact), {ch: tuple(sorted(v)) for ch, v in prefixes.items()}


WORD_CACHE_SIZE = 32_768
"""``_may_start`` and ``_word_regex`` each cache up to 32,768 words (LRU): a bool, or a
shared compiled regex, per word. Measured (tracemalloc, distinct real words): ~140 and ~160
bytes an entry with its key, so ~5 MB each when full."""


@lru_cache(maxsize=WORD_CACHE_SIZE)
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
words share one subset (all words starting with "kündig"). Bounded by the lexicons: one per
distinct subset of entries that some word admits (a few hundred)."""


@lru_cache(maxsize=WORD_CACHE_SIZE)
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
    key: tuple[str | int, ...] = (word[0], *keep)
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
def weight(family: str, matched: str) -> float:
    """Weight of the (longest) entry of ``family`` that matches ``matched`` in full. Cached
    without bound: the keys are lexicon matches, a few thousand distinct ones."""
    best = None
    for e in load_lexicons()[family]:
        if re.fullmatch(e.regex, matched, re.IGNORECASE) and (
                best is None or len(e.pattern) > len(best.pattern)):
            best = e
    return best.weight if best is not None else 1.0


CHUNK_CACHE_SIZE = 32_768
"""Candidates of up to 32,768 distinct whitespace-separated chunks are cached (LRU); most are
the empty tuple. Measured: ~240 bytes an entry with its key, so ~8 MB when full."""


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


def candidates(lower: str) -> list[tuple[int, re.Pattern]]:
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

    ``candidates`` skips the chunks without candidates; none of those equals ``chunk`` (it
    would have the same candidates), so the first occurrence that stands between whitespace (or
    the ends of the text) is the chunk itself, not a piece of a skipped one."""
    n = len(text)
    while True:
        i = text.find(chunk, pos)
        end = i + len(chunk)
        if (i == 0 or text[i - 1].isspace()) and (end == n or text[end].isspace()):
            return i
        pos = i + 1
