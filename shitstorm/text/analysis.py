"""``analyze(text)``: everything the model sees of a post, computed once and shared by all
feature extractors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from ..schema import Reason
from .cues import find_reasons
from .normalise import normalise, prepare
from .style import style_vector
from .tokenise import STEM_CACHE_SIZE, stem, tokenise

GERMAN_MARKERS = frozenset(
    {"ich", "und", "nicht", "ist", "die", "der", "das", "ein", "eine", "mit", "auf", "für",
     "ihr", "euch", "sie", "wir", "mein", "schon", "wieder", "noch", "kein", "keine", "bei",
     "von", "zu", "es", "auch", "aber", "mal", "seit", "wenn", "dass", "war", "habe", "hab",
     "bin", "sind", "wird", "euer", "eure", "danke", "bitte"}
)
ENGLISH_MARKERS = frozenset(
    {"the", "and", "is", "are", "was", "you", "your", "my", "i", "not", "of", "to", "for",
     "this", "that", "with", "have", "has", "it", "on", "please", "thanks", "why", "what",
     "never", "again", "service"}
)
LANGUAGE_MIN_WORDS = 4
"""Below four words a post is too short to tell its language ("worst service ever" is
flagged, "ok" is not)."""


@dataclass(frozen=True)
class Analysis:
    """What the model sees: the scored text, its model view, tokens, stems, cues and flags.

    ``text`` is the match view (NFC, first ``MAX_CHARS`` characters, control characters
    blanked); the offsets of ``reasons`` point into the string the caller passed, and each
    reason's ``text`` is that string's slice.
    """

    text: str
    normalised: str
    tokens: tuple[str, ...]
    stems: tuple[str, ...]
    reasons: tuple[Reason, ...]
    style: tuple[float, ...]
    flags: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "normalised": self.normalised,
            "tokens": list(self.tokens),
            "stems": list(self.stems),
            "reasons": [r.to_dict() for r in self.reasons],
            "flags": list(self.flags),
        }


_WORD, _GERMAN, _ENGLISH = 1, 2, 4
"""Bits of ``_language_marks``: the token is a word (starts with a letter), a German marker,
an English marker."""

LANGUAGE_CACHE_SIZE = STEM_CACHE_SIZE
"""``_language_marks`` caches as many tokens as ``stem`` (32,768, LRU). Measured (tracemalloc,
distinct real tokens): ~140 bytes an entry with its key, so ~5 MB when full."""


@lru_cache(maxsize=LANGUAGE_CACHE_SIZE)
def _language_marks(token: str) -> int:
    if not token[0].isalpha():
        return 0
    w = token.casefold()
    return _WORD | (_GERMAN if w in GERMAN_MARKERS else 0) | (_ENGLISH if w in ENGLISH_MARKERS else 0)


def looks_german(tokens: list[str]) -> bool:
    """False only when a post of some length has clearly more English than German words."""
    marks = list(map(_language_marks, tokens))
    words = len(marks) - marks.count(0)
    if words < LANGUAGE_MIN_WORDS:
        return True
    both = marks.count(_WORD | _GERMAN | _ENGLISH)
    de = marks.count(_WORD | _GERMAN) + both
    en = marks.count(_WORD | _ENGLISH) + both
    return not (en >= 2 and en > de)


def _in_source(reasons: tuple[Reason, ...], prepared, source: str) -> tuple[Reason, ...]:
    """The reasons with offsets and words of the caller's string. The cue, weight and negation,
    which the model counts, stay as they are."""
    out = []
    for r in reasons:
        start, end = prepared.source_span(r.start, r.end)
        words = source[start:end]
        out.append(r if (start, end, words) == (r.start, r.end, r.text)
                   else replace(r, text=words, start=start, end=end))
    return tuple(out)


def analyze(text: str) -> Analysis:
    """Analyse one post. Raises ``TypeError`` for a non-string.

    >>> a = analyze("Schon WIEDER kein Paket!!!")
    >>> [r.cue for r in a.reasons]
    ['repeat_failure', 'shouting', 'shouting']
    """
    out = analyze_if(text, None)
    assert out is not None  # only a ``keep`` test leaves a post out
    return out


def analyze_if(text: str, keep: Callable[[tuple[Reason, ...]], bool] | None) -> Analysis | None:
    """``analyze(text)``, or None when ``keep`` says no to the reasons ``analyze`` would give
    (their cues and negation; offsets may still be the match view's): found before the
    tokens, stems and style are, so a post that is not kept costs only its cue scan."""
    prepared = prepare(text)
    flags = list(prepared.flags)
    if "empty" in flags:
        empty = Analysis(prepared.text, "", (), (), (), (), tuple(flags))
        return empty if keep is None or keep(()) else None
    reasons = find_reasons(prepared.text)
    if keep is not None and not keep(reasons):
        return None
    norm = normalise(prepared.text)
    tokens = tokenise(norm)
    if not tokens and not reasons:  # only links, handles, e-mail addresses or numbers
        return Analysis(prepared.text, norm, (), (), (), (), (*flags, "empty"))
    if not looks_german(tokens):
        flags.append("not_german")
    return Analysis(
        text=prepared.text,
        normalised=norm,
        tokens=tuple(tokens),
        stems=tuple(map(stem, tokens)),
        reasons=_in_source(reasons, prepared, text),
        style=tuple(style_vector(norm, tokens)),
        flags=tuple(flags),
    )
