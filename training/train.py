"""Reproduce the shipped model: ``python -m training.train`` (from the repository root).

Trains on the corpus's training batches (``training/data/train_*.csv``), evaluates on the
held-out test batches (``training/data/test_*.csv``), adds the GermEval 2018 hostility head when
``../shared/data/germeval2018/`` is present, and writes ``models/``. It runs exactly the
``shitstorm train`` command it prints, so either reproduces the other.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GERMEVAL = ROOT.parent / "shared" / "data" / "germeval2018" / "germeval2018.training.txt"
POTTS = ROOT.parent / "shared" / "data" / "potts" / "potts.csv"


def command(out: str = "models", hostility: Path | None = GERMEVAL) -> list[str]:
    train = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "training" / "data").glob("train_*.csv"))
    test = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "training" / "data").glob("test_*.csv"))
    argv = ["train", *train, "--test", *test, "--out", out]
    if hostility is not None and hostility.is_file():
        argv += ["--hostility", "../shared/data/germeval2018/germeval2018.training.txt"]
    background = [p for p in (POTTS, GERMEVAL) if p.is_file()]
    if background:
        argv += ["--background", *(f"../shared/data/{p.parent.name}/{p.name}" for p in background)]
    return argv


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="models")
    p.add_argument("--no-hostility", action="store_true", help="train without the GermEval head")
    args = p.parse_args(argv)
    import os

    from shitstorm.cli import main as cli_main

    os.chdir(ROOT)
    cli_argv = command(args.out, None if args.no_hostility else GERMEVAL)
    print("shitstorm " + " ".join(cli_argv[:1]) + " training/data/train_*.csv --test training/data/test_*.csv ...",
          file=sys.stderr)
    return cli_main(cli_argv)


if __name__ == "__main__":
    sys.exit(main())
