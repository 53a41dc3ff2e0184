"""The German Snowball stemmer, ported from NLTK so that scoring does not import ``nltk``.

Source: NLTK 3.10.4, ``nltk/stem/snowball.py``, class ``GermanStemmer`` and the helper
``_StandardStemmer._r1r2_standard`` it uses. Copyright (C) 2001-2026 NLTK Project; authors
Peter Michael Stahl <pemistahl@gmail.com>, Peter Ljunglof <peter.ljunglof@heatherleaf.se>
(revisions); algorithm by Dr Martin Porter <martin@tartarus.org>. Licensed under the Apache
License, Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0); this file is a modified
version: the same steps, rewritten with precompiled regular expressions and string indices
instead of per-character Python loops and region copies.

The algorithm: https://snowballstem.org/algorithms/german/stemmer.html (formerly
http://snowball.tartarus.org/algorithms/german/stemmer.html).

The port reproduces NLTK's stems exactly, including where NLTK differs from the reference
Snowball implementation (e.g. ``ß`` → ``ss`` up front, ``u``/``y`` between vowels marked left
to right, so a marked letter no longer counts as a vowel for the next one, and R1 moved to
after the third letter only when the first vowel–consonant pair starts the word).
``tests/test_snowball.py`` checks it word for word against NLTK's ``GermanStemmer``.

``import nltk`` costs over a second (its package ``__init__`` imports scipy.stats, scikit-learn
and pandas); this module imports only ``re``.
"""

from __future__ import annotations

import re

_V = "aeiouyäöü"
"""The German vowels (lower case only: a marked ``U``/``Y`` is a consonant)."""

_UY_BETWEEN_VOWELS = re.compile(f"([{_V}])([uy])(?=[{_V}])")
# Leftmost, non-overlapping matches consume the vowel before the u/y: once a u/y is marked, the
# next letter can no longer be marked, exactly like NLTK's left-to-right in-place loop.

_VOWEL_CONSONANT = re.compile(f"[{_V}][^{_V}]")
"""A vowel followed by a non-vowel: R1 starts after the first one, R2 after the next in R1."""

# Step 1's and step 2's suffixes by their last letter, longest first: NLTK tries them in the
# order ern, em, er, en, es, e, s (step 2: est, en, er, st) and takes the first that R1 ends
# with, which is the longest one ending the word inside R1.
_STEP1 = {"n": ("ern", "en"), "m": ("em",), "r": ("er",), "s": ("es", "s"), "e": ("e",)}
_STEP2 = {"t": ("est", "st"), "n": ("en",), "r": ("er",)}
_STEP3 = ("isch", "lich", "heit", "keit", "end", "ung", "ig", "ik")
"""Step 3's suffixes; none ends another, so at most one ends the word."""

_S_ENDING = "bdfghklmnrt"
"""Letters that may stand before a deleted final ``s``."""
_ST_ENDING = "bdfghklmnt"
"""Letters that may stand before a deleted final ``st``."""


def german_stem(word: str) -> str:
    """NLTK's ``GermanStemmer().stem(word)`` (no stop words), without importing NLTK.

    >>> [german_stem(w) for w in ["Kündigungen", "öffentlichkeit", "Ärgernisse", "Straße"]]
    ['kundig', 'offent', 'argernis', 'strass']
    """
    word = word.lower().replace("ß", "ss")
    marked = 0
    if "u" in word or "y" in word:
        word, marked = _UY_BETWEEN_VOWELS.subn(_mark, word)

    # R1 and R2 as start indices into ``word``; a region cut by a deletion is clamped to the end.
    n = len(word)
    m = _VOWEL_CONSONANT.search(word)
    if m is None:
        return _unmark(word, marked)  # R1 and R2 are empty: no step applies
    p1 = m.end()
    m = _VOWEL_CONSONANT.search(word, p1)
    p2 = n if m is None else m.end()
    if p1 == 2:  # the region before R1 holds at least three letters
        p1 = 3

    # Steps 1 and 2: inflectional endings in R1
    if p1 < n:
        word = _step1(word, p1)
        if p1 < len(word):
            word = _step2(word, p1)
    n = len(word)

    # Step 3: derivational suffixes in R2 (the conditions read R1 and R2 as NLTK slices them)
    if p2 < n and word.endswith(_STEP3, p2):
        r2 = word[p2:]
        suffix = next(s for s in _STEP3 if r2.endswith(s))
        word = _step3(word, suffix, word[p1:], r2)

    return _unmark(word, marked)


def _step1(word: str, p1: int) -> str:
    """Inflectional endings in R1 (``word[p1:]``, not empty)."""
    for suffix in _STEP1.get(word[-1], ()):
        if word.endswith(suffix, p1):
            k = len(suffix)
            if suffix == "s":
                return word[:-1] if word[-2] in _S_ENDING else word
            if suffix in ("en", "es", "e") and word[-k - 4:-k] == "niss":
                return word[:-k - 1]  # "nisse", "nissen", "nisses" → "nis"
            return word[:-k]
    return word


def _step2(word: str, p1: int) -> str:
    """"est", "en", "er", "st" in R1 (``word[p1:]``, not empty)."""
    for suffix in _STEP2.get(word[-1], ()):
        if word.endswith(suffix, p1):
            if suffix == "st":
                return word[:-2] if word[-3] in _ST_ENDING and len(word) >= 6 else word
            return word[:-len(suffix)]
    return word


def _mark(m: re.Match[str]) -> str:
    return m[1] + ("U" if m[2] == "u" else "Y")


def _unmark(word: str, marked: int) -> str:
    """Umlauts folded, marked ``U``/``Y`` back to lower case."""
    if not word.isascii():
        word = word.replace("ä", "a").replace("ö", "o").replace("ü", "u")
    if marked:
        word = word.replace("U", "u").replace("Y", "y")
    return word


def _step3(word: str, suffix: str, r1: str, r2: str) -> str:
    k = len(suffix)
    if suffix == "end" or suffix == "ung":
        if "ig" in r2[-k - 2:-k] and "e" not in r2[-k - 3:-k - 2]:
            return word[:-k - 2]
        return word[:-k]
    if suffix == "ig" or suffix == "ik" or suffix == "isch":
        if "e" not in r2[-k - 1:-k]:
            return word[:-k]
        return word
    if suffix == "lich" or suffix == "heit":
        if "er" in r1[-k - 2:-k] or "en" in r1[-k - 2:-k]:
            return word[:-k - 2]
        return word[:-k]
    # keit
    if "lich" in r2[-k - 4:-k]:
        return word[:-k - 4]
    if "ig" in r2[-k - 2:-k]:
        return word[:-k - 2]
    return word[:-k]
