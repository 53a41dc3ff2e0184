"""Tokens and Snowball stems, as plain functions.

Stems are NLTK's German Snowball stems, from a port of NLTK's ``GermanStemmer``
(``_snowball.py``, tested word for word against NLTK), so scoring never imports ``nltk``. The
stemmer folds umlauts (``schön`` → ``schon``, ``Kündigung`` → ``kundig``); the model therefore
pairs stemmed word n-grams with unstemmed character n-grams (``features.py``). No stop-word
list is applied: German lists contain ``nicht``, ``kein``, ``nie``, ``schon``, ``wieder``,
``noch`` — the escalation vocabulary itself.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain

from ._snowball import german_stem
from .normalise import PLACEHOLDERS

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[!?]+|[^\w\s]", re.UNICODE)
_PUNCT = re.compile(r"[^\w\s!?]")

STEM_CACHE_SIZE = 32_768
"""Stemming costs ~1–2 µs a word in pure Python (NLTK's own code: ~4–6 µs); word frequencies are
Zipfian, so a cache of 32,768 forms (LRU) turns nearly every call into a dict look-up. Measured
(tracemalloc, distinct real tokens): ~190 bytes an entry with its key, so ~6 MB when full. The
bound keeps ``shitstorm batch`` flat however many new words a file brings (issue #14)."""


def _keep(tok: str) -> bool:
    ch = tok[0]
    if ch.isalnum() or ch == "_" or ch in "!?":
        return True
    # emoji and pictographs carry tone; other punctuation does not
    return unicodedata.category(ch) == "So"


CHUNK_CACHE_SIZE = 32_768
"""Tokens of up to 32,768 distinct whitespace-separated chunks are cached (``_chunk_tokens``,
LRU); like words, chunks repeat (Zipf), so most of a post is tokenised by dict look-ups.
Measured: ~220 bytes an entry with its key, so ~7 MB when full."""


def tokenise(text: str) -> list[str]:
    """Words (case kept), ``!``/``?`` runs and emoji, in order; the model view's placeholders
    (``xurlx``, ``xmentionx``, …) are left out: the form of a post is not evidence.

    No token contains or spans whitespace (``\\s`` and ``str.split`` agree on what whitespace
    is), so the text is tokenised chunk by whitespace-separated chunk, each chunk through a
    cache.

    >>> tokenise("Schon WIEDER?! Danke für nichts 👏👏")
    ['Schon', 'WIEDER', '?!', 'Danke', 'für', 'nichts', '👏', '👏']
    >>> tokenise("xmentionx xmentionx Glückwunsch!!! xurlx")
    ['Glückwunsch', '!!!']
    """
    return list(chain.from_iterable(map(_chunk_tokens, text.split())))


@lru_cache(maxsize=CHUNK_CACHE_SIZE)
def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    if chunk in PLACEHOLDERS:
        return ()
    toks = _TOKEN.findall(chunk)
    if not _PUNCT.search(chunk):
        return tuple(toks)  # nothing but words and !/? runs
    return tuple(t for t in toks if _keep(t))


@lru_cache(maxsize=STEM_CACHE_SIZE)
def stem(token: str) -> str:
    """Snowball stem of a word token, casefolded; ``!``/``?`` runs become ``!``, ``?``,
    ``!!`` (a flood) or ``?!``; emoji stay as they are.

    >>> [stem(t) for t in ["Kündigungen", "ÖFFENTLICH", "!!!", "😡"]]
    ['kundig', 'offent', '!!', '😡']
    """
    ch = token[0]
    if ch in "!?":
        if "!" in token and "?" in token:
            return "?!"
        return token[0] * min(len(token), 2)
    if ch.isalnum() or ch == "_":
        return german_stem(token.casefold())
    return token


def stems(tokens: list[str]) -> list[str]:
    return [stem(t) for t in tokens]
