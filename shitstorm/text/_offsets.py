"""NFC with a way back: ``nfc_with_offsets(text)`` composes a text like
``unicodedata.normalize("NFC", text)`` and returns an ``OffsetMap`` that turns a span of the
composed text into the span of the caller's string it came from.

Composition only ever joins a character with the characters right after it, and an ASCII
character never composes with what stands before it. So the text splits, before every ASCII
character, into pieces that compose on their own; inside a piece that changes, a starter that
does not compose with the piece before it starts a new piece. Each changed piece maps as a
whole (a decomposed "o" + "◌̈" is one "ö"); everything between changed pieces maps one for one.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

_NON_ASCII_RUN = re.compile(r"[\x00-\x7f]?[^\x00-\x7f]+")
"""Pieces that can change under NFC: a run of non-ASCII characters and the ASCII character
before it (an "o" followed by a combining diaeresis)."""


class OffsetMap:
    """Maps offsets of a composed (NFC) text back to the string it was composed from.

    Holds only the pieces that composition changed, so ordinary text costs nothing.
    """

    __slots__ = ("_nfc_starts", "_nfc_ends", "_src_starts", "_src_ends")

    def __init__(self, pieces: list[tuple[int, int, int, int]]):
        # (nfc_start, nfc_end, src_start, src_end) of every changed piece, in text order
        self._nfc_starts = [p[0] for p in pieces]
        self._nfc_ends = [p[1] for p in pieces]
        self._src_starts = [p[2] for p in pieces]
        self._src_ends = [p[3] for p in pieces]

    def start(self, pos: int) -> int:
        """Where the composed character at ``pos`` (or the end, ``pos == len``) starts in the source."""
        k = bisect_right(self._nfc_starts, pos) - 1
        if k < 0:
            return pos
        if pos < self._nfc_ends[k]:
            return self._src_starts[k]
        return self._src_ends[k] + pos - self._nfc_ends[k]

    def end(self, pos: int) -> int:
        """Where a span of the composed text ending at ``pos`` ends in the source."""
        if pos <= 0:
            return self.start(pos)
        k = bisect_right(self._nfc_starts, pos - 1) - 1
        if k < 0:
            return pos
        if pos - 1 < self._nfc_ends[k]:
            return self._src_ends[k]
        return self._src_ends[k] + pos - self._nfc_ends[k]

    def span(self, start: int, end: int) -> tuple[int, int]:
        s = self.start(start)
        e = self.end(end) if end > start else s
        return s, max(s, e)


def nfc_with_offsets(text: str) -> tuple[str, OffsetMap | None]:
    """``(NFC of text, map back)``; the map is ``None`` when the text is already NFC (offsets
    are the same)."""
    if unicodedata.is_normalized("NFC", text):
        return text, None
    parts: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    src = nfc = 0  # how far the source has been copied, and the length of the output so far
    for m in _NON_ASCII_RUN.finditer(text):
        run = m.group()
        if unicodedata.is_normalized("NFC", run):
            continue
        parts.append(text[src:m.start()])
        nfc += m.start() - src
        for a, b in _pieces(run):
            piece = run[a:b]
            composed = unicodedata.normalize("NFC", piece)
            if composed != piece:
                pieces.append((nfc, nfc + len(composed), m.start() + a, m.start() + b))
            parts.append(composed)
            nfc += len(composed)
        src = m.end()
    parts.append(text[src:])
    out = "".join(parts)
    if out != unicodedata.normalize("NFC", text):  # a safety net: never observed
        whole = unicodedata.normalize("NFC", text)
        return whole, OffsetMap([(0, len(whole), 0, len(text))])
    return out, OffsetMap(pieces)


def _pieces(run: str):
    """Split a run at starters that do not compose with the piece before them."""
    start = 0
    for k in range(1, len(run)):
        ch = run[k]
        if unicodedata.combining(ch) or unicodedata.combining(unicodedata.normalize("NFD", ch)[0]):
            continue
        before = unicodedata.normalize("NFC", run[start:k])
        if unicodedata.normalize("NFC", before[-1:] + ch) == before[-1:] + unicodedata.normalize("NFC", ch):
            yield start, k
            start = k
    yield start, len(run)
