"""Style features: how a post is written, not what it says. One small function per feature
group; ``style_vector`` puts them in the order of ``STYLE_FEATURES``."""

from __future__ import annotations

import math
import re
import sys
from array import array
from functools import lru_cache

from .normalise import PLACEHOLDERS

ANGRY_EMOJI = frozenset("🤬😡😠👎💩🖕😤🙄😒🤮")
FRIENDLY_EMOJI = frozenset("😊🙂😀😃😄😁❤💕👍🙏😍🥰☺🤗👌")

SECOND_PERSON = frozenset({"ihr", "euch", "euer", "eure", "euren", "eurem", "eurer", "sie", "ihnen"})
FIRST_PERSON = frozenset({"ich", "mich", "mir", "mein", "meine", "meinen", "meinem", "meiner",
                          "wir", "uns", "unser", "unsere"})
CONDITIONAL = frozenset({"wenn", "falls", "sonst", "ansonsten", "andernfalls", "solange", "bevor"})
FUTURE = frozenset({"werde", "werden", "werd", "wird", "gleich", "morgen", "demnächst"})
"""Who threatens whom: "*ich werde* … *wenn ihr* … *sonst*" is the grammar of a threat; the
same nouns in "*Sie* haben in der Zeitung gelesen" are not. These counts let the booster tell
the two apart next to the lexical cues."""

ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
"""A letter three or more times in a row: "neeeein", "bitteeee"."""

# No counts of links, handles, e-mail addresses, numbers or hashtags: those are the *form* of a
# post, and a written corpus in which only threats tagged accounts taught a model that the form
# means pressure (issue #11). Every feature is computed on the model view, in which they are
# masked, so a capitalised handle or link is no shouting either.
STYLE_FEATURES: tuple[str, ...] = (
    "log_chars", "log_words", "caps_ratio", "caps_words", "exclamations", "questions",
    "punct_floods", "elongations", "emoji", "angry_emoji", "friendly_emoji",
    "first_person", "second_person", "conditional", "future",
)


_UPPER = re.compile(r"[A-ZÄÖÜÀ-ÖØ-Þ]")
"""Upper-case letters of German and its neighbours; other scripts count as letters, not caps."""


_COLUMN = {name: i for i, name in enumerate(STYLE_FEATURES)}
_WORD_COLUMNS = {
    w: _COLUMN[name]
    for name, group in (("first_person", FIRST_PERSON), ("second_person", SECOND_PERSON),
                        ("conditional", CONDITIONAL), ("future", FUTURE))
    for w in group
}
"""Lower-cased word → the column it is counted in (pronoun groups)."""

FIELD_BITS = 32
"""A token's (or chunk's) counts are packed into one integer, 32 bits per field, so that a
post's counts are a single C-level ``sum`` over cached integers. A field would overflow past
4 billion tokens; posts are cut to 10,000 characters."""
_MASK = (1 << FIELD_BITS) - 1
_LETTERS = len(STYLE_FEATURES)
_CAPS = len(STYLE_FEATURES) + 1
"""Two fields past the ``STYLE_FEATURES`` columns: letters in words, upper-case letters."""
_N_FIELDS = len(STYLE_FEATURES) + 2

TOKEN_CACHE_SIZE = 32_768
"""Packed counts of up to 32,768 distinct tokens (and as many whitespace-separated chunks)
are cached (LRU); words are Zipfian, so nearly every look-up hits. Measured (tracemalloc,
distinct real tokens and chunks): ~230 and ~190 bytes an entry with its key, so ~7 and ~6 MB
when full."""


def _pack(counts: dict[int, int]) -> int:
    return sum(n << (FIELD_BITS * field) for field, n in counts.items())


_FIELD_TYPE = next((t for t in "IL" if array(t).itemsize * 8 == FIELD_BITS), None)


def _unpack(total: int) -> list[int]:
    """The ``_N_FIELDS`` counts of a packed integer: its bytes read as an array of 32-bit
    unsigned integers (one C call instead of a shift and a mask per field)."""
    if _FIELD_TYPE is None:  # pragma: no cover - a platform without a 32-bit array type
        return [(total >> (FIELD_BITS * field)) & _MASK for field in range(_N_FIELDS)]
    return array(_FIELD_TYPE, total.to_bytes(_N_FIELDS * FIELD_BITS // 8, sys.byteorder)).tolist()


@lru_cache(maxsize=TOKEN_CACHE_SIZE)
def _token_counts(token: str) -> int:
    """What one token adds to a post's style, packed: its letters (words only) and one for
    each column of ``STYLE_FEATURES`` it counts in (``log_words`` holding the word count)."""
    ch = token[0]
    if ch.isalnum():
        counts = {_LETTERS: len(token), _COLUMN["log_words"]: 1}
        if len(token) >= 3 and token.isupper():
            counts[_COLUMN["caps_words"]] = 1
        col = _WORD_COLUMNS.get(token.lower())
        if col is not None:
            counts[col] = 1
        return _pack(counts)
    if ch in "!?":
        return _pack({_COLUMN["punct_floods"]: 1} if len(token) >= 3 else {})
    if ch == "_":
        return 0
    if token in ANGRY_EMOJI:
        return _pack({_COLUMN["emoji"]: 1, _COLUMN["angry_emoji"]: 1})
    if token in FRIENDLY_EMOJI:
        return _pack({_COLUMN["emoji"]: 1, _COLUMN["friendly_emoji"]: 1})
    return _pack({_COLUMN["emoji"]: 1})


@lru_cache(maxsize=TOKEN_CACHE_SIZE)
def _chunk_counts(chunk: str) -> int:
    """Upper-case letters and elongations of one whitespace-separated chunk of the prepared
    text, packed. Neither pattern matches whitespace, so the post's counts are the sums over
    its chunks."""
    return _pack({_CAPS: len(_UPPER.findall(chunk)),
                  _COLUMN["elongations"]: len(ELONGATION.findall(chunk))})


def style_vector(normalised: str, tokens: list[str]) -> list[float]:
    """The ``STYLE_FEATURES`` of one post (model view, tokens).

    Per-token and per-chunk counts come packed from caches (``_token_counts``,
    ``_chunk_counts``) and are added up in one go."""
    prepared = " ".join(c for c in normalised.split() if c not in PLACEHOLDERS)
    total = sum(map(_token_counts, tokens)) + sum(map(_chunk_counts, prepared.split()))
    counts = _unpack(total)
    letters = counts[_LETTERS]
    caps = counts[_CAPS]
    counts[_COLUMN["exclamations"]] = prepared.count("!")
    counts[_COLUMN["questions"]] = prepared.count("?")
    out = [float(c) for c in counts[: len(STYLE_FEATURES)]]
    out[_COLUMN["log_chars"]] = math.log1p(len(prepared))
    out[_COLUMN["log_words"]] = math.log1p(counts[_COLUMN["log_words"]])
    out[_COLUMN["caps_ratio"]] = min(caps / letters, 1.0) if letters else 0.0
    return out
