"""Distinct real German posts of 50–400 characters for the benchmarks (issue #14).

Read in place, never copied into the repository: PotTS (``../shared/data/potts/potts.csv``),
GermEval 2018's training split (``../shared/data/germeval2018/germeval2018.training.txt``), both
seen from the repository root, and the project corpus (``training/data/*.csv``). Texts are
deduplicated across all three (a text is counted for the first corpus it was read from) and
shuffled with a fixed seed, so that any prefix mixes the corpora. Post texts are never printed.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
POTTS = SHARED / "potts" / "potts.csv"
GERMEVAL = SHARED / "germeval2018" / "germeval2018.training.txt"
CORPUS_DIR = ROOT / "training" / "data"
MIN_CHARS, MAX_CHARS = 50, 400
SEED = 14


@dataclass
class Pool:
    """The distinct texts and how many came from each corpus (after deduplication)."""

    texts: list[str]
    per_corpus: dict[str, int]
    source: dict[str, str]  # text -> the corpus it was first read from
    missing: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{name} {n:,}" for name, n in self.per_corpus.items()]
        text = (f"{len(self.texts):,} distinct posts of {MIN_CHARS}-{MAX_CHARS} characters "
                f"({', '.join(parts)})")
        if self.missing:
            text += f"; not found: {', '.join(self.missing)}"
        return text

    def composition(self, texts: list[str]) -> dict[str, int]:
        """How many of ``texts`` (a subset of the pool) came from each corpus."""
        out = dict.fromkeys(self.per_corpus, 0)
        for t in texts:
            out[self.source[t]] += 1
        return out


def _potts(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def _germeval(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        # text <TAB> coarse <TAB> fine; line breaks inside a tweet are written as |LBR|
        return [line.split("\t", 1)[0].replace("|LBR|", "\n") for line in fh if line.strip()]


def _corpus(directory: Path) -> list[str]:
    texts: list[str] = []
    for path in sorted(directory.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)]
    return texts


def distinct_posts(potts: Path = POTTS, germeval: Path = GERMEVAL,
                   corpus_dir: Path = CORPUS_DIR) -> Pool:
    """Every distinct text of 50–400 characters from the three corpora, shuffled (fixed seed).
    A corpus whose file is missing is named in ``Pool.missing`` and skipped."""
    sources = [("PotTS", potts, _potts), ("GermEval 2018 training", germeval, _germeval),
               ("project corpus training/data", corpus_dir, _corpus)]
    seen: dict[str, str] = {}
    per_corpus: dict[str, int] = {}
    missing: list[str] = []
    for name, path, read in sources:
        if not path.exists():
            missing.append(f"{name} ({path})")
            continue
        n = 0
        for text in read(path):
            if MIN_CHARS <= len(text) <= MAX_CHARS and text not in seen:
                seen[text] = name
                n += 1
        per_corpus[name] = n
    texts = list(seen)
    random.Random(SEED).shuffle(texts)
    return Pool(texts, per_corpus, seen, missing)


def corpus_training_split(corpus_dir: Path = CORPUS_DIR) -> tuple[list[str], list[str]]:
    """Texts and ``level`` labels of the project corpus's training split (``split == "train"``)."""
    texts, labels = [], []
    for path in sorted(corpus_dir.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("split") == "train":
                    texts.append(row["text"])
                    labels.append(row["level"])
    return texts, labels
