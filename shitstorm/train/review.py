"""What to label next: ``shitstorm review posts.csv -n 200``.

From a file of unlabelled posts, pick the ``n`` whose labels would teach the model most, and write
them in the training schema (``text``, ``level``, ``publicity_pressure`` left empty, then the
file's other columns) ready for labelling. Three kinds, in this order of filling:

1. **disagreement** (up to a quarter of ``n``): the heads contradict each other — the events are
   nested (pressure ⊂ critical ⊂ ≥ elevated ⊂ ≥ low), yet an inner head's probability exceeds an
   outer one's by at least ``DISAGREEMENT_MIN`` (publicity pressure likely, escalation not): the
   model's level hides a conflict a label settles;
2. **uncertain** (the rest of three quarters of ``n``): the posts nearest a
   decision — each head's probability (for the model's base rates: the feed's, unless stated)
   closest to 0.5 — taken in turn from the four heads, so every level boundary gets its share;
3. **spread** (a quarter of ``n``): posts from every part of the score range, one after another from ten
   equal-count bins of the escalation score, so that the labelled set also holds clear cases to
   check the calibration against.

Ties and the spread picks are drawn with ``seed``: the same file, model and seed give the same
rows. Empty posts and repeated texts (same text after casefolding, links and handles removed)
are skipped. The texts are scored and written to the output only, never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..classifier import HEADS, shift_base_rate
from ..schema import LABEL_COLUMNS, TEXT_COLUMN
from ..text.analysis import analyze
from .background import split_key
from .dataset import read_table

DISAGREEMENT_MIN = 0.25
"""An inner head's probability above its outer head's by at least this much counts as the heads
disagreeing (smaller gaps are calibration noise between separately calibrated heads)."""
DISAGREEMENT_SHARE = 0.25
"""At most a quarter of the picks are disagreements,"""
SPREAD_SHARE = 0.25
"""a quarter are spread over the score range, and the rest are the most uncertain posts."""
SPREAD_BINS = 10
LINE_COLUMN = "source_line"
"""The line of the post in the input file, to find it again (the file's ``id`` column is kept too)."""
REASON_COLUMN = "review_reason"
"""Why a post was picked: ``disagreement``, ``uncertain:<head>`` or ``spread``."""


@dataclass(frozen=True)
class Posts:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    texts: tuple[str, ...]
    lines: tuple[int, ...]  # the line each row starts on
    text_index: int
    delimiter: str = ","  # the file's, given or sniffed: a CSV written for labelling keeps it
    bom: bool = False  # that CSV starts with a UTF-8 byte-order mark (``batch.output_bom``)


def read_posts(path: Path | str, text_column: str = TEXT_COLUMN, *, delimiter: str | None = None,
               encoding: str = "utf-8") -> Posts:
    """A CSV of posts with a header (``dataset.read_table``); errors name the file and line."""
    table = read_table(path, (text_column,), hint="; choose one with --text-column", delimiter=delimiter,
                       encoding=encoding)
    col = table.header.index(text_column)
    rows, texts, lines = [], [], []
    for line, row in table.records():
        rows.append(tuple(row))
        texts.append(row[col])
        lines.append(line)
    from ..batch import output_bom

    return Posts(table.header, tuple(rows), tuple(texts), tuple(lines), col, table.delimiter,
                 output_bom(encoding, table.raw[:3]))


def head_probabilities(model, analyses) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each head's whole-post probability for the model's base rates: as each head says it
    (``raw``), and kept nested as the model decides on them (``nested``)."""
    probs = model.probabilities_as_trained(analyses)
    if model.base_rates is not None:
        raw = {h: shift_base_rate(p, model.training_rates[h], model.base_rates[h]) for h, p in probs.items()}
    else:
        raw = dict(probs)
    return raw, model.probabilities(analyses)


def disagreement(raw: dict[str, np.ndarray]) -> np.ndarray:
    """Per post, the largest amount by which an inner head exceeds an outer one."""
    gaps = [raw[inner] - raw[outer] for i, outer in enumerate(HEADS) for inner in HEADS[i + 1:]]
    return np.maximum(0.0, np.max(np.vstack(gaps), axis=0))


def select(raw: dict[str, np.ndarray], nested: dict[str, np.ndarray], n: int, seed: int = 0) -> list[tuple[int, str]]:
    """``(index, reason)`` of up to ``n`` posts (see the module docstring); indices into the
    arrays, in the order picked."""
    total = len(nested["escalation"])
    rng = np.random.default_rng(seed)
    tiebreak = rng.permutation(total)  # a seeded order among equals
    picked: dict[int, str] = {}
    spread_n = int(n * SPREAD_SHARE)

    gap = disagreement(raw)
    for i in np.lexsort((tiebreak, -gap)):
        if len(picked) >= int(n * DISAGREEMENT_SHARE) or gap[i] < DISAGREEMENT_MIN:
            break
        picked[int(i)] = "disagreement"
    # uncertain: the four heads in turn, each its next post nearest 0.5
    queues = {h: np.lexsort((tiebreak, np.abs(nested[h] - 0.5))) for h in HEADS}
    at = dict.fromkeys(HEADS, 0)
    while len(picked) < min(n - spread_n, total):
        for h in HEADS:
            q = queues[h]
            while at[h] < total and int(q[at[h]]) in picked:
                at[h] += 1
            if at[h] < total and len(picked) < n - spread_n:
                picked[int(q[at[h]])] = f"uncertain:{h}"
    # spread: equal-count bins of the escalation score, a seeded post from each in turn
    rest = [int(i) for i in np.lexsort((tiebreak, nested["escalation"])) if int(i) not in picked]
    bins = [list(b) for b in np.array_split(np.array(rest, dtype=int), SPREAD_BINS) if len(b)]
    for b in bins:
        rng.shuffle(b)
    while len(picked) < n and any(bins):
        for b in bins:
            if b and len(picked) < n:
                picked[int(b.pop())] = "spread"
    return list(picked.items())


def review(model, posts: Posts, n: int, seed: int = 0) -> tuple[list[str], list[list[str]], dict]:
    """The header and rows to write, and counts for the summary."""
    seen: set[str] = set()
    keep = []
    for i, t in enumerate(posts.texts):
        key = split_key(t)
        if not key.strip() or key in seen:
            continue
        seen.add(key)
        keep.append(i)
    analyses = [analyze(posts.texts[i]) for i in keep]
    live = [k for k, a in enumerate(analyses) if "empty" not in a.flags]
    keep = [keep[k] for k in live]
    analyses = [analyses[k] for k in live]
    chosen: list[tuple[int, str]] = []
    if analyses:
        raw, nested = head_probabilities(model, analyses)
        chosen = select(raw, nested, n, seed)
    dropped = [c for c in posts.header if c in LABEL_COLUMNS[1:] or c in (REASON_COLUMN, LINE_COLUMN)]
    others = [(j, c) for j, c in enumerate(posts.header)
              if j != posts.text_index and c not in LABEL_COLUMNS and c not in (REASON_COLUMN, LINE_COLUMN)]
    header = list(LABEL_COLUMNS) + [c for _, c in others] + [LINE_COLUMN, REASON_COLUMN]
    rows = []
    for k, reason in sorted(chosen, key=lambda c: keep[c[0]]):  # in the file's order
        i = keep[k]
        row = posts.rows[i]
        rows.append([posts.texts[i], "", ""] + [row[j] for j, _ in others] + [str(posts.lines[i]), reason])
    counts = {"posts": len(posts.rows), "scored": len(keep), "picked": len(rows),
              "reasons": {r: sum(1 for _, x in chosen if x.split(":")[0] == r)
                          for r in ("disagreement", "uncertain", "spread")},
              "dropped_columns": dropped}
    return header, rows, counts
