"""The project's labelled corpus: loading, validation and the quality checks.

Usage::

    python -m training.corpus check training/data/*.csv     # schema + balance report
    python -m training.corpus dupes training/data/*.csv     # near-duplicate report

The corpus CSVs have the columns ``shitstorm.schema.CORPUS_COLUMNS``. The checks here are run by
the test-suite (``tests/test_corpus.py``) and by the people writing batches.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from shitstorm.schema import (
    CHANNELS,
    CORPUS_COLUMNS,
    CUE_FAMILIES,
    INDUSTRIES,
    LEVELS,
    LIST_SEPARATOR,
    PRESSURE_FORMS,
    SPLITS,
)
from shitstorm.train.dataset import DataError, read_table

DATA_DIR = Path(__file__).resolve().parent / "data"

NEAR_DUPLICATE_JACCARD = 0.6
"""Word-5-gram Jaccard similarity above which two posts count as near-duplicates (issue #3)."""
SHINGLE_WORDS = 5
MAX_POST_CHARS = 800
"""Longest post the corpus brief allows (issue #3: 'lengths from one word to 800 characters')."""

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Post:
    id: str
    text: str
    level: str
    publicity_pressure: int
    cues: tuple[str, ...]
    pressure_form: str
    hard_negative: int
    industry: str
    channel: str
    split: str
    source: str  # "file:line", the line the row starts on


class CorpusError(ValueError):
    """A corpus file breaks the schema; the message names file, row and problem."""


def read_posts(paths: list[Path]) -> list[Post]:
    """Read and validate corpus CSVs (through ``shitstorm.train.dataset.read_table``, as every
    data file of the package). Raises CorpusError listing every problem found."""
    posts: list[Post] = []
    problems: list[str] = []
    for path in paths:
        try:
            for line, row in read_table(path, CORPUS_COLUMNS).dicts(problems):
                where = f"{Path(path).name}:{line}"
                post, errs = _parse_row(row, where)
                problems.extend(f"{where}: {e}" for e in errs)
                if post is not None:
                    posts.append(post)
        except DataError as exc:  # unreadable, missing columns, malformed CSV
            problems.append(str(exc))
    ids = Counter(p.id for p in posts)
    problems.extend(f"duplicate id {i!r} ({n} times)" for i, n in ids.items() if n > 1)
    if problems:
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise CorpusError(f"{len(problems)} problem(s) in the corpus:\n{shown}{more}")
    return posts


def _field(row: dict[str, str], name: str, default: str = "") -> str:
    return (row.get(name) or default).strip()


def _parse_row(row: dict[str, str], where: str) -> tuple[Post | None, list[str]]:
    """The post of one corpus row, or the row's problems (all of them, in column order)."""
    text = row.get("text") or ""
    level = _field(row, "level")
    pressure_raw = _field(row, "publicity_pressure")
    cues = tuple(c.strip() for c in (row.get("cues") or "").split(LIST_SEPARATOR) if c.strip())
    form = _field(row, "pressure_form")
    hard_raw = _field(row, "hard_negative", "0")
    pressure, hard = int(pressure_raw == "1"), int(hard_raw == "1")
    industry, channel, split = _field(row, "industry"), _field(row, "channel"), _field(row, "split")
    post_id = _field(row, "id")
    errs = [
        *_text_problems(text),
        *_label_problems(level, pressure_raw, cues),
        *_pressure_problems(level, pressure, form),
        *_hard_negative_problems(level, pressure, hard_raw),
        *_metadata_problems(industry, channel, split, post_id),
    ]
    if errs:
        return None, errs
    return (
        Post(post_id, text, level, pressure, cues, form, hard, industry, channel, split, where),
        [],
    )


def _text_problems(text: str) -> list[str]:
    errs = []
    if not text.strip():
        errs.append("empty text")
    if len(text) > MAX_POST_CHARS:
        errs.append(f"text longer than {MAX_POST_CHARS} characters ({len(text)})")
    return errs


def _label_problems(level: str, pressure_raw: str, cues: tuple[str, ...]) -> list[str]:
    errs = []
    if level not in LEVELS:
        errs.append(f"level {level!r} not in {LEVELS}")
    if pressure_raw not in ("0", "1"):
        errs.append(f"publicity_pressure {pressure_raw!r} is not 0 or 1")
    bad = [c for c in cues if c not in CUE_FAMILIES]
    if bad:
        errs.append(f"unknown cue families {bad}")
    return errs


def _pressure_problems(level: str, pressure: int, form: str) -> list[str]:
    errs = []
    if pressure and form not in PRESSURE_FORMS:
        errs.append(f"pressure_form {form!r} not in PRESSURE_FORMS (needed when pressure is 1)")
    if not pressure and form:
        errs.append(f"pressure_form {form!r} given but publicity_pressure is 0")
    if pressure and level != "critical":
        errs.append("publicity_pressure 1 requires level critical (guideline section 3)")
    return errs


def _hard_negative_problems(level: str, pressure: int, hard_raw: str) -> list[str]:
    errs = []
    if hard_raw not in ("0", "1"):
        errs.append(f"hard_negative {hard_raw!r} is not 0 or 1")
    if hard_raw == "1" and (pressure or level not in ("none", "low")):
        errs.append("hard_negative 1 requires level none/low and publicity_pressure 0")
    return errs


def _metadata_problems(industry: str, channel: str, split: str, post_id: str) -> list[str]:
    errs = []
    if industry not in INDUSTRIES:
        errs.append(f"industry {industry!r} not in INDUSTRIES")
    if channel not in CHANNELS:
        errs.append(f"channel {channel!r} not in CHANNELS")
    if split not in SPLITS:
        errs.append(f"split {split!r} not in {SPLITS}")
    if not post_id:
        errs.append("empty id")
    return errs


def corpus_paths(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(data_dir.glob("*.csv"))


# --- near-duplicates ----------------------------------------------------------------------
def shingles(text: str, n: int = SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True)
class DuplicateReport:
    posts: int
    posts_with_near_duplicate: int
    near_duplicate_pairs: int
    sampled_pairs: int
    sampled_pairs_near_duplicate: int
    exact_duplicates: int
    examples: tuple[tuple[str, str, float], ...]

    @property
    def post_rate(self) -> float:
        return self.posts_with_near_duplicate / max(self.posts, 1)

    @property
    def sampled_pair_rate(self) -> float:
        return self.sampled_pairs_near_duplicate / max(self.sampled_pairs, 1)


def near_duplicates(
    posts: list[Post], sample_pairs: int = 200_000, seed: int = 0
) -> DuplicateReport:
    """All near-duplicate pairs (via an inverted index of 5-gram shingles) plus a random sample.

    The exhaustive count is the strict figure: the share of posts that have at least one other
    post with word-5-gram Jaccard above ``NEAR_DUPLICATE_JACCARD``. The random-pair figure is what
    the brief names (share of sampled pairs above the threshold) and is reported as well.
    """
    sh = [shingles(p.text) for p in posts]
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, s in enumerate(sh):
        for g in s:
            index[g].append(i)
    candidates: set[tuple[int, int]] = set()
    for ids in index.values():
        if len(ids) > 1:
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    candidates.add((ids[a], ids[b]))
    dup_pairs = []
    for a, b in candidates:
        j = jaccard(sh[a], sh[b])
        if j > NEAR_DUPLICATE_JACCARD:
            dup_pairs.append((a, b, j))
    involved = {i for a, b, _ in dup_pairs for i in (a, b)}
    rng = random.Random(seed)
    n = len(posts)
    hits = 0
    total = min(sample_pairs, n * (n - 1) // 2) if n > 1 else 0
    for _ in range(total):
        a, b = rng.sample(range(n), 2)
        if jaccard(sh[a], sh[b]) > NEAR_DUPLICATE_JACCARD:
            hits += 1
    norm = Counter(" ".join(_WORD.findall(p.text.casefold())) for p in posts)
    exact = sum(c - 1 for c in norm.values() if c > 1)
    dup_pairs.sort(key=lambda t: -t[2])
    examples = tuple((posts[a].id, posts[b].id, round(j, 3)) for a, b, j in dup_pairs[:10])
    return DuplicateReport(n, len(involved), len(dup_pairs), total, hits, exact, examples)


# --- balance ------------------------------------------------------------------------------
def balance_report(posts: list[Post]) -> str:
    n = len(posts)
    lines = [f"posts: {n}"]
    for split in SPLITS:
        lines.append(f"  split {split}: {sum(p.split == split for p in posts)}")
    levels = Counter(p.level for p in posts)
    for lv in LEVELS:
        lines.append(f"  level {lv}: {levels[lv]} ({levels[lv] / max(n, 1):.1%})")
    lines.append(f"  publicity_pressure: {sum(p.publicity_pressure for p in posts)}")
    forms = Counter(p.pressure_form for p in posts if p.publicity_pressure)
    lines.append(f"  pressure forms ({len(forms)}): {dict(forms.most_common())}")
    lines.append(f"  hard negatives: {sum(p.hard_negative for p in posts)}")
    lines.append(f"  industries ({len({p.industry for p in posts})}): "
                 f"{dict(Counter(p.industry for p in posts).most_common())}")
    lines.append(f"  channels: {dict(Counter(p.channel for p in posts).most_common())}")
    cues = Counter(c for p in posts for c in p.cues)
    lines.append(f"  cues: {dict(cues.most_common())}")
    lengths = sorted(len(p.text) for p in posts)
    if lengths:
        lines.append(f"  length: min {lengths[0]}, median {lengths[len(lengths) // 2]}, "
                     f"max {lengths[-1]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "dupes"])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.files or corpus_paths()
    try:
        posts = read_posts(paths)
    except CorpusError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.command == "check":
        print(balance_report(posts))
    else:
        rep = near_duplicates(posts)
        print(f"posts: {rep.posts}")
        print(f"posts with a near-duplicate (5-gram Jaccard > {NEAR_DUPLICATE_JACCARD}): "
              f"{rep.posts_with_near_duplicate} ({rep.post_rate:.2%}), pairs: "
              f"{rep.near_duplicate_pairs}")
        print(f"sampled pairs: {rep.sampled_pairs}, near-duplicate: "
              f"{rep.sampled_pairs_near_duplicate} ({rep.sampled_pair_rate:.4%})")
        print(f"exact duplicates (after folding case and punctuation): {rep.exact_duplicates}")
        for a, b, j in rep.examples:
            print(f"  {a} ~ {b}: {j}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
