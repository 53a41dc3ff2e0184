"""Precision and recall of ``find_pii`` per kind on a labelled snippet file.

    python -m shitstorm.train.pii_eval tests/pii_corpus/test.csv [--show-errors]

The file format is described in ``tests/pii_corpus/README.md``: ``id,text,findings,note`` with
``findings`` a JSON list of ``[kind, exact text]`` pairs. A found span counts as correct when it
has the expected kind and overlaps the expected span; "exact" additionally needs the same span.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..pii import find_pii
from ..schema import PII_KINDS
from .dataset import DataError, read_table

SNIPPET_COLUMNS = ("id", "text", "findings", "note")


@dataclass(frozen=True)
class Snippet:
    id: str
    text: str
    expected: tuple[tuple[str, int, int], ...]  # (kind, start, end)
    note: str


def read_snippets(path: str | Path) -> list[Snippet]:
    """Read and check a snippet file (``dataset.read_table``); errors (``DataError``, a
    ``ValueError``) name the file and line."""
    table = read_table(path, SNIPPET_COLUMNS)
    out = []
    for line, row in table.dicts():
        where = f"{table.path}:{line}"
        try:
            pairs = json.loads(row["findings"])
        except json.JSONDecodeError as e:
            raise DataError(f"{where}: findings is not JSON: {e.msg}") from None
        expected = []
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2 and pair[0] in PII_KINDS
                    and isinstance(pair[1], str) and pair[1]):
                raise DataError(f"{where}: bad finding {pair!r}")
            start = row["text"].find(pair[1])
            if start < 0:
                raise DataError(f"{where}: {pair[1]!r} is not in the text")
            expected.append((pair[0], start, start + len(pair[1])))
        out.append(Snippet(row["id"], row["text"], tuple(expected), row["note"]))
    return out


@dataclass
class KindCounts:
    expected: int = 0
    found: int = 0
    found_correct: int = 0  # found spans overlapping an expected span of the same kind
    expected_found: int = 0  # expected spans overlapped by a found span of the same kind
    exact: int = 0

    @property
    def precision(self) -> float | None:
        return self.found_correct / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.expected_found / self.expected if self.expected else None


@dataclass
class Evaluation:
    kinds: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in PII_KINDS})
    negatives: int = 0
    negatives_flagged: int = 0
    errors: list[str] = field(default_factory=list)

    def total(self) -> KindCounts:
        t = KindCounts()
        for c in self.kinds.values():
            for name in ("expected", "found", "found_correct", "expected_found", "exact"):
                setattr(t, name, getattr(t, name) + getattr(c, name))
        return t


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate(snippets: list[Snippet]) -> Evaluation:
    ev = Evaluation()
    for sn in snippets:
        found = find_pii(sn.text)
        if not sn.expected:
            ev.negatives += 1
            ev.negatives_flagged += bool(found)
        for kind, s, e in sn.expected:
            c = ev.kinds[kind]
            c.expected += 1
            hit = [f for f in found if f.kind == kind and _overlaps((f.start, f.end), (s, e))]
            if hit:
                c.expected_found += 1
                c.exact += any((f.start, f.end) == (s, e) for f in hit)
            else:
                ev.errors.append(f"{sn.id}: missed {kind} {sn.text[s:e]!r}")
        for f in found:
            c = ev.kinds[f.kind]
            c.found += 1
            if any(k == f.kind and _overlaps((f.start, f.end), (s, e)) for k, s, e in sn.expected):
                c.found_correct += 1
            else:
                ev.errors.append(f"{sn.id}: false {f.kind} {f.text!r}")
    return ev


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def report(ev: Evaluation, snippets: int) -> str:
    lines = ["| kind | expected | found | precision | recall | exact span |", "|---|---:|---:|---:|---:|---:|"]
    for kind, c in list(ev.kinds.items()) + [("**all**", ev.total())]:
        exact = _pct(c.exact / c.expected_found) if c.expected_found else "–"
        lines.append(f"| {kind} | {c.expected} | {c.found} | {_pct(c.precision)} | {_pct(c.recall)} | {exact} |")
    lines.append("")
    lines.append(f"{snippets} snippets; {ev.negatives} negatives, of which {ev.negatives_flagged} "
                 f"had a finding ({_pct(ev.negatives_flagged / ev.negatives if ev.negatives else None)})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m shitstorm.train.pii_eval", description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--show-errors", action="store_true", help="list every miss and false finding")
    args = p.parse_args(argv)
    try:
        snippets = [s for f in args.files for s in read_snippets(f)]
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 1
    ev = evaluate(snippets)
    print(report(ev, len(snippets)))
    if args.show_errors:
        print("\n".join(ev.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
