"""Loading the cue lexicons (``shitstorm/text/lexicons/*.tsv``) into immutable, validated structures.

Each TSV holds one cue family, opens with ``#`` lines saying where its entries come from, then
a header ``pattern family weight note``. Loading rejects unknown families, a family that does
not match the file name, duplicate patterns, bad weights, empty notes and regular expressions
that do not compile, so a broken lexicon fails at import, not silently at scoring time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from ..errors import ShitstormError
from ..schema import CUE_FAMILIES

MAX_WEIGHT = 3.0
"""Upper bound of a lexicon weight; the files use 0.3–2 (2 = specific to the family)."""

RULE_FAMILIES = frozenset({"shouting"})
"""Families found by a rule function in ``cues.py`` rather than by a lexicon."""

HEADER = ("pattern", "family", "weight", "note")


class LexiconError(ShitstormError, ValueError):
    """A lexicon file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Entry:
    pattern: str
    family: str
    weight: float
    note: str
    regex: str  # the pattern as a regular expression (without word boundaries)


def pattern_to_regex(pattern: str) -> str:
    """``"an die presse"`` → ``an\\s+die\\s+presse``; ``"kündig*"`` → ``kündig\\w*``;
    ``"re:..."`` is taken as it is."""
    if pattern.startswith("re:"):
        return pattern[3:]
    words = []
    for word in pattern.split():
        if word.endswith("*"):
            words.append(re.escape(word[:-1]) + r"\w*")
        else:
            words.append(re.escape(word))
    return r"\s+".join(words)


def _rows(text: str, name: str, header: tuple[str, ...]):
    """The data rows of a lexicon-style TSV as ``(line number, four stripped cells, weight)``:
    ``#`` lines and blank lines skipped, the header checked, every row of four cells with a
    weight in (0, ``MAX_WEIGHT``] and a note. Raises ``LexiconError`` naming file and line, also
    when no ``# source:`` line says where the entries come from."""
    header_seen = saw_source = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            saw_source = saw_source or line.lower().startswith("# source:")
            continue
        cols = line.split("\t")
        if not header_seen:
            if tuple(cols) != header:
                raise LexiconError(f"{name}:{lineno}: header must be {header}, got {tuple(cols)}")
            header_seen = True
            continue
        if len(cols) != 4:
            raise LexiconError(f"{name}:{lineno}: expected 4 tab-separated columns, got {len(cols)}")
        key, family, weight_s, note = (c.strip() for c in cols)
        try:
            weight = float(weight_s)
        except ValueError:
            raise LexiconError(f"{name}:{lineno}: weight {weight_s!r} is not a number") from None
        if not 0 < weight <= MAX_WEIGHT:
            raise LexiconError(f"{name}:{lineno}: weight {weight} outside (0, {MAX_WEIGHT}]")
        if not note:
            raise LexiconError(f"{name}:{lineno}: every entry needs a note saying what it catches")
        yield lineno, (key, family, note), weight
    if not saw_source:
        raise LexiconError(f"{name}: a '# source:' line saying where the entries come from is required")


def parse_lexicon(text: str, name: str) -> tuple[Entry, ...]:
    """Parse one lexicon file's text; ``name`` is the file name used in error messages."""
    family_from_name = name.rsplit("/", 1)[-1].removesuffix(".tsv")
    entries: list[Entry] = []
    seen: set[str] = set()
    for lineno, (pattern, family, note), weight in _rows(text, name, HEADER):
        if family not in CUE_FAMILIES or family in RULE_FAMILIES:
            raise LexiconError(f"{name}:{lineno}: unknown cue family {family!r}")
        if family != family_from_name:
            raise LexiconError(f"{name}:{lineno}: family {family!r} in the file for {family_from_name!r}")
        key = pattern.casefold()
        if key in seen:
            raise LexiconError(f"{name}:{lineno}: duplicate pattern {pattern!r}")
        seen.add(key)
        regex = pattern_to_regex(pattern)
        try:
            re.compile(regex, re.IGNORECASE)
        except re.error as exc:
            raise LexiconError(f"{name}:{lineno}: bad regular expression {pattern!r}: {exc}") from None
        entries.append(Entry(pattern, family, weight, note, regex))
    if not entries:
        raise LexiconError(f"{name}: no entries")
    return tuple(entries)


ACCOUNTS_HEADER = ("handle", "family", "weight", "note")
ACCOUNT_FAMILIES = frozenset({"publicity_media", "regulator"})
"""What tagging an account can be evidence of: the public as leverage, or a regulatory step."""
_HANDLE = re.compile(r"\w{2,}")


@dataclass(frozen=True)
class Account:
    handle: str  # casefolded, without "@"
    family: str
    weight: float
    note: str


def parse_accounts(text: str, name: str) -> Mapping[str, Account]:
    """Parse an accounts file (``handle family weight note``): casefolded handle → ``Account``.
    Rejects duplicates, handles that are not ``\\w{2,}``, other families, bad weights, empty
    notes and a missing ``# source:`` line."""
    out: dict[str, Account] = {}
    for lineno, (handle, family, note), weight in _rows(text, name, ACCOUNTS_HEADER):
        handle = handle.removeprefix("@")
        if not _HANDLE.fullmatch(handle):
            raise LexiconError(f"{name}:{lineno}: {handle!r} is not a handle (letters, digits, _)")
        if family not in ACCOUNT_FAMILIES:
            raise LexiconError(f"{name}:{lineno}: family {family!r} is not one of {sorted(ACCOUNT_FAMILIES)}")
        key = handle.casefold()
        if key in out:
            raise LexiconError(f"{name}:{lineno}: duplicate handle {handle!r}")
        out[key] = Account(key, family, weight, note)
    if not out:
        raise LexiconError(f"{name}: no entries")
    return MappingProxyType(out)


@lru_cache(maxsize=1)
def load_accounts() -> Mapping[str, Account]:
    """The bundled accounts (``lexicons/accounts/*.tsv``), casefolded handle → ``Account``."""
    out: dict[str, Account] = {}
    folder = resources.files("shitstorm.text") / "lexicons" / "accounts"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".tsv"):
            name = f"lexicons/accounts/{item.name}"
            for key, acc in parse_accounts(item.read_text(encoding="utf-8"), name).items():
                if key in out:
                    raise LexiconError(f"{name}: handle {key!r} is listed in another accounts file too")
                out[key] = acc
    return MappingProxyType(out)


@lru_cache(maxsize=1)
def load_lexicons() -> Mapping[str, tuple[Entry, ...]]:
    """All bundled lexicons, family → entries (read once, immutable)."""
    out: dict[str, tuple[Entry, ...]] = {}
    folder = resources.files("shitstorm.text") / "lexicons"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".tsv"):
            continue
        entries = parse_lexicon(item.read_text(encoding="utf-8"), f"lexicons/{item.name}")
        out[entries[0].family] = entries
    missing = set(CUE_FAMILIES) - RULE_FAMILIES - set(out)
    if missing:
        raise LexiconError(f"no lexicon file for cue families {sorted(missing)}")
    return MappingProxyType(out)
