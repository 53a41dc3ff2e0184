"""Text → normalised text. Plain functions; each keeps the signal the model needs.

Two views of a post exist:

* the **match view** (``prepare``): the post as the caller sent it, NFC-composed, cut to
  ``MAX_CHARS`` and with control characters blanked *one for one*. ``Prepared.source_span``
  maps a span of it back to the caller's string (composition may have joined characters). Cue
  rules run on it and their spans point into it.
* the **model view** (``normalise``): the match view with HTML removed, retweet markers
  ("RT @quelle:") dropped, URLs, @handles, e-mail addresses and long digit runs masked to
  placeholders, and whitespace folded. Case, umlauts, ß, ``!``/``?``, elongations ("neeeein") and
  emoji are kept.

A placeholder is not evidence: ``tokenise`` leaves the placeholders out, so no feature counts
the *form* of a post (how many handles, links or numbers it carries). A model trained on a
written corpus in which only threats tagged several accounts learned exactly that form, and
flagged a third of ordinary tweets. Handles that *are* evidence (a media or consumer-protection
account tagged in a complaint) are found by the cue rules on the match view (``cues.py``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from ._offsets import OffsetMap, nfc_with_offsets

MAX_CHARS = 10_000
"""Posts are scored on their first 10,000 characters (flag ``truncated``). The longest post the
corpus brief foresees is 800 characters; 10,000 leaves room for long reviews and keeps a 5 MB
paste from costing seconds. The flag makes the cut visible, never silent."""

BINARY_SHARE = 0.10
"""A text in which more than 10% of the characters are control, surrogate or private-use code
points (or U+FFFD, the decoder's replacement character) is flagged ``binary``: real posts have none, a file
read with the wrong codec or raw bytes decoded as text have many."""

# Placeholders are plain words so that both the word and the character n-grams see them.
URL_TOKEN = "xurlx"
MENTION_TOKEN = "xmentionx"
EMAIL_TOKEN = "xemailx"
NUMBER_TOKEN = "xnumberx"
PLACEHOLDERS = frozenset({URL_TOKEN, MENTION_TOKEN, EMAIL_TOKEN, NUMBER_TOKEN})
"""Shown in the model view so a reader sees where something was masked; never a token."""

_RETWEET = re.compile(r"(?<!\w)RT\s+@\w+:?")
"""A retweet marker, "RT @tagesschau:": who is quoted, not what the post says."""

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MENTION = re.compile(r"(?<![\w@])@\w{2,}")
_LONG_DIGITS = re.compile(r"\d(?:[\d /.-]*\d){4,}")
"""Five or more digits, possibly grouped by spaces, dots, slashes or dashes: phone numbers,
customer numbers, IBAN tails, order numbers. Shorter numbers (dates, prices, "3 Wochen") stay:
they carry meaning ("zum 3. Mal")."""
_FIVE_DIGITS = re.compile(r"\d(?:[\d /.-]?\d){4}|\d{5}")
_DIGIT = re.compile(r"\d")
"""Cheap pre-check for ``_FIVE_DIGITS``, whose alternation makes it scan slowly: most posts
have no digit at all."""
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_HTML_HINT = re.compile(r"</?[A-Za-z][^<>]{0,200}>|&(?:[A-Za-z]{2,8}|#\d{2,6});")


@dataclass(frozen=True)
class Prepared:
    """The match view of a post and what was noticed on the way (see ``Score.flags``)."""

    text: str
    flags: tuple[str, ...]
    offsets: OffsetMap | None = field(default=None, repr=False, compare=False)
    """How spans of ``text`` map back to the caller's string; ``None``: they are the same."""

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the caller's string that ``text[start:end]`` came from."""
        return (start, end) if self.offsets is None else self.offsets.span(start, end)


_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd\uffff]")
"""Control characters (but tab and line breaks), lone surrogates, private-use characters and
U+FFFD, the decoder's replacement character: what binary junk decoded as text consists of."""


def prepare(text: str) -> Prepared:
    """NFC, cut to ``MAX_CHARS``, control characters blanked one for one.

    Raises ``TypeError`` for anything but ``str`` (bytes must be decoded by the caller, who
    knows the encoding).
    """
    if not isinstance(text, str):
        raise TypeError(
            f"shitstorm scores text given as str, not {type(text).__name__}; "
            "decode bytes first (e.g. data.decode('utf-8')) and pass None as an empty string"
        )
    flags: list[str] = []
    text, offsets = nfc_with_offsets(text)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        flags.append("truncated")
    if _JUNK.search(text):
        junk = len(_JUNK.findall(text))
        if junk > BINARY_SHARE * len(text):
            flags.append("binary")
        text = _JUNK.sub(" ", text)
    if ("<" in text or "&" in text) and _HTML_HINT.search(text):  # both alternatives need one
        flags.append("html")
    if not text.strip() or not any(ch.isalnum() or _is_symbol(ch) for ch in text):
        flags.append("empty")
    return Prepared(text, tuple(flags), offsets)


def _is_symbol(ch: str) -> bool:
    # emoji and other pictographs (So) carry sentiment: "🤬🤬" is content, "..." is not
    return unicodedata.category(ch) == "So"


def strip_html(text: str) -> str:
    """Remove tags and decode entities (``&amp;`` → ``&``). Text between tags is kept."""
    return html.unescape(_HTML_TAG.sub(" ", text))


def mask(text: str) -> str:
    """Retweet markers dropped; URLs, e-mail addresses, @handles and long digit runs →
    placeholder words."""
    if "RT" in text:
        text = _RETWEET.sub(" ", text)
    if "http" in text or "www." in text or "HTTP" in text or "WWW." in text:
        text = _URL.sub(f" {URL_TOKEN} ", text)
    if "@" in text:  # both patterns need an "@"; skipping them saves most of the time
        text = _EMAIL.sub(f" {EMAIL_TOKEN} ", text)
        text = _MENTION.sub(f" {MENTION_TOKEN} ", text)
    if _DIGIT.search(text) and _FIVE_DIGITS.search(text):
        text = _LONG_DIGITS.sub(f" {NUMBER_TOKEN} ", text)
    return text


def blank_form(text: str) -> str:
    """The match view with retweet markers, URLs, e-mail addresses and @handles blanked by
    spaces of the same length: the cue rules look for words of the post, not inside a link or
    a handle (``t.co/ABCD`` is no shouting, ``@kuendigung_info`` no cancellation), and every
    offset stays an offset into the match view.

    >>> blank_form("RT @x: SCHON WIEDER https://t.co/AB")
    '       SCHON WIEDER                '
    """
    if "RT" in text or "http" in text or "www." in text or "HTTP" in text or "WWW." in text \
            or "@" in text:
        for rx in (_RETWEET, _URL, _EMAIL, _MENTION):
            text = rx.sub(lambda m: " " * len(m.group(0)), text)
    return text


def fold_whitespace(text: str) -> str:
    """Whitespace runs → one space, none at the ends. ``str.split`` and the regex ``\\s`` agree
    on what whitespace is (checked over all code points), and splitting is faster than
    ``re.sub(r"\\s+", " ", text).strip()``."""
    return " ".join(text.split())


def normalise(text: str) -> str:
    """The model view of a (prepared) post: HTML removed, masked, whitespace folded.

    >>> normalise("Schon WIEDER!!! Schreibt mir an max@example.de 😡")
    'Schon WIEDER!!! Schreibt mir an xemailx 😡'
    >>> normalise("RT @tagesschau: Bahn meldet Rekordumsatz https://t.co/x1")
    'Bahn meldet Rekordumsatz xurlx'
    """
    if "<" in text or "&" in text:
        text = strip_html(text)
    return fold_whitespace(mask(text))
