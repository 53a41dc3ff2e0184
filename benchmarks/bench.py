"""Speed and size figures of the bundled model (issue #2). Prints a table; no thresholds here.

    python benchmarks/bench.py                 # throughput, latency, load time, size
    python benchmarks/bench.py --batch-mb 1024 # plus peak RSS of `shitstorm batch` on a 1 GB CSV

Posts are the corpus's test-split posts of 50–400 characters, cycled. The process is pinned to
one core (``os.sched_setaffinity``) for the single-core figures. ``--batch-mb`` writes its CSV and
measures the batch process as ``memory.py`` does (rows past the first pass made distinct by an
appended word; ``ru_maxrss`` of that process).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # memory.py, beside this file


def corpus_texts(lo: int = 50, hi: int = 400) -> list[str]:
    texts = []
    for path in sorted((ROOT / "training" / "data").glob("test_*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [r["text"] for r in csv.DictReader(fh) if lo <= len(r["text"]) <= hi]
    return texts


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def bench_load() -> tuple[float, float]:
    code = ("import time; t=time.perf_counter(); import shitstorm, shitstorm.model, shitstorm.classifier, "
            "skops.io; t1=time.perf_counter(); shitstorm.load(); t2=time.perf_counter(); "
            "print(t1-t, t2-t1)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            .stdout.split() for _ in range(3)]
    imports = statistics.median(float(r[0]) for r in runs)
    load = statistics.median(float(r[1]) for r in runs)
    return imports, load


def bench_batch_rss(mb: int, texts: list[str], jobs: int) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, rows) of ``shitstorm batch`` on a CSV of about ``mb`` MB,
    written and measured as ``memory.py`` does (``write_csv``, ``run_batch``)."""
    from memory import run_batch, write_csv

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "posts.csv"
        n, _ = write_csv(src, texts, mb)
        elapsed, rss = run_batch(src, Path(tmp) / "scored.csv", jobs)
        return elapsed, rss, n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=20_000, help="posts for the throughput figure")
    ap.add_argument("--latency-posts", type=int, default=2_000)
    ap.add_argument("--batch-mb", type=int, default=0, help="also batch-score a CSV of this size")
    ap.add_argument("--jobs", type=int, default=1, help="--jobs for the batch figure")
    args = ap.parse_args(argv)

    import shitstorm
    from shitstorm.model import bundled_model_dir
    from shitstorm.persist import MODEL_FILE

    imports, load = bench_load()
    pin_one_core()
    model = shitstorm.load()
    base = corpus_texts()
    texts = (base * (args.posts // len(base) + 1))[: args.posts]
    model.score_many(base[:200])  # warm caches as a long-running service would have them

    t = time.perf_counter()
    for i in range(0, len(texts), 2_000):
        model.score_many(texts[i : i + 2_000])
    rate = len(texts) / (time.perf_counter() - t)

    lat = []
    for text in texts[: args.latency_posts]:
        t = time.perf_counter()
        model.score(text)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p50 = lat[len(lat) // 2]
    p99 = lat[int(len(lat) * 0.99)]
    size = sum(f.stat().st_size for f in bundled_model_dir().iterdir()) / 1e6
    model_file = (bundled_model_dir() / MODEL_FILE).stat().st_size / 1e6

    rows = [
        ("score_many throughput, 1 core", f"{rate:,.0f} posts/s", f"{len(texts):,} posts of 50-400 chars"),
        ("score() latency p50 / p99", f"{p50:.2f} / {p99:.2f} ms", f"{len(lat):,} single calls, model loaded"),
        ("model load (shitstorm.load())", f"{load:.2f} s", "median of 3 fresh processes, after imports"),
        ("imports (shitstorm, scikit-learn, skops)", f"{imports:.2f} s", "median of 3 fresh processes"),
        ("model files on disk", f"{size:.1f} MB", f"of which the model file {model_file:.1f} MB"),
    ]
    if args.batch_mb:
        elapsed, rss, n = bench_batch_rss(args.batch_mb, base, args.jobs)
        rows.append((f"batch {args.batch_mb} MB CSV, --jobs {args.jobs}", f"{n / elapsed:,.0f} posts/s",
                     f"{n:,} posts in {elapsed:.0f} s"))
        rows.append(("batch peak RSS (largest process)", f"{rss:.0f} MB", "ru_maxrss of the batch process"))
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>16}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
