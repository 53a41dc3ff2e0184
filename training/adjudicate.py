"""Apply the adjudicated labels (``training/annotation/adjudication.csv``) to the corpus.

    python -m training.adjudicate       # idempotent: rewrites only rows whose level differs

Also drops test-split posts whose text (case-folded) also stands in the training split, so the
test split holds only unseen texts (``tests/test_corpus.py`` checks both).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from shitstorm.schema import CORPUS_COLUMNS
from shitstorm.train.dataset import read_table
from training.corpus import DATA_DIR

ADJUDICATION = Path(__file__).resolve().parent / "annotation" / "adjudication.csv"
EXTRA_CUES = {"legal_threat": {"w4b-161"}, "safety_harm": {"w6c-106"}}


def _rewrite(path: Path, rows: list[dict], header: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


def main() -> int:
    final = {r["id"]: r["final_level"] for _, r in read_table(ADJUDICATION, ("id", "final_level")).dicts()}
    files = sorted(DATA_DIR.glob("*.csv"))
    tables = {}
    for path in files:
        table = read_table(path, CORPUS_COLUMNS)
        tables[path] = ([row for _, row in table.dicts()], list(table.header))
    train_texts = {r["text"].strip().casefold() for p, (rows, _) in tables.items()
                   if p.name.startswith("train_") for r in rows}
    for path, (rows, header) in tables.items():
        changed = 0
        for r in rows:
            lv = final.get(r["id"])
            if lv and r["level"] != lv:
                r["level"] = lv
                changed += 1
                if lv not in ("none", "low"):
                    r["hard_negative"] = "0"
                for cue, ids in EXTRA_CUES.items():
                    if r["id"] in ids and cue not in r["cues"].split(";"):
                        r["cues"] = ";".join([c for c in r["cues"].split(";") if c] + [cue])
        kept = rows
        if path.name.startswith("test_"):
            kept = [r for r in rows if r["text"].strip().casefold() not in train_texts]
        if changed or len(kept) != len(rows):
            _rewrite(path, kept, header)
            print(f"{path.name}: {changed} relabelled, {len(rows) - len(kept)} dropped as seen in training")
    return 0


if __name__ == "__main__":
    sys.exit(main())
