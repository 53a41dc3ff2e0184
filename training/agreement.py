"""Inter-annotator agreement of the second, independent annotation pass.

    python -m training.agreement            # kappa figures + list of disagreements

Reads ``training/annotation/second_pass_*.csv`` (id, level, publicity_pressure, note: labels
given without seeing the corpus labels) and compares them with the corpus labels of the same
ids *as first annotated* (``training/annotation/first_pass_labels.csv``, frozen before
adjudication; falls back to the current corpus when that file is absent).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

from shitstorm.schema import LEVELS
from shitstorm.train.dataset import read_table
from training.corpus import corpus_paths, read_posts

ANNOTATION_DIR = Path(__file__).resolve().parent / "annotation"
FIRST_PASS = ANNOTATION_DIR / "first_pass_labels.csv"


def load_second_pass() -> dict[str, tuple[str, int, str]]:
    out = {}
    for path in sorted(ANNOTATION_DIR.glob("second_pass_*.csv")):
        for _, row in read_table(path, ("id", "level", "publicity_pressure")).dicts():
            out[row["id"]] = (row["level"], int(row["publicity_pressure"]), row.get("note", ""))
    return out


def load_first_pass() -> dict[str, tuple[str, int]]:
    if FIRST_PASS.exists():
        table = read_table(FIRST_PASS, ("id", "level", "publicity_pressure"))
        return {r["id"]: (r["level"], int(r["publicity_pressure"])) for _, r in table.dicts()}
    return {p.id: (p.level, p.publicity_pressure) for p in read_posts(corpus_paths())}


def agreement() -> dict:
    second = load_second_pass()
    first = load_first_pass()
    ids = sorted(i for i in second if i in first)
    l1 = [LEVELS.index(first[i][0]) for i in ids]
    l2 = [LEVELS.index(second[i][0]) for i in ids]
    p1 = [first[i][1] for i in ids]
    p2 = [second[i][1] for i in ids]
    return {
        "posts": len(ids),
        "level_kappa": cohen_kappa_score(l1, l2),
        "level_kappa_linear": cohen_kappa_score(l1, l2, weights="linear"),
        "level_exact_agreement": sum(a == b for a, b in zip(l1, l2, strict=False)) / len(ids),
        "level_within_one": sum(abs(a - b) <= 1 for a, b in zip(l1, l2, strict=False)) / len(ids),
        "pressure_kappa": cohen_kappa_score(p1, p2),
        "pressure_agreement": sum(a == b for a, b in zip(p1, p2, strict=False)) / len(ids),
        "disagreements": [(i, first[i], second[i]) for i in ids
                          if first[i][0] != second[i][0] or first[i][1] != second[i][1]],
    }


def main() -> int:
    a = agreement()
    print(f"posts double-annotated: {a['posts']}")
    print(f"level: Cohen's kappa {a['level_kappa']:.3f} (linear-weighted {a['level_kappa_linear']:.3f}), "
          f"exact agreement {a['level_exact_agreement']:.1%}, within one level {a['level_within_one']:.1%}")
    print(f"publicity pressure: Cohen's kappa {a['pressure_kappa']:.3f}, agreement {a['pressure_agreement']:.1%}")
    print(f"disagreements: {len(a['disagreements'])}")
    if "-v" in sys.argv:
        for i, f, s in a["disagreements"]:
            print(f"  {i}: first {f[0]}/{f[1]}  second {s[0]}/{s[1]}  {s[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
