"""Scale-out figures (issue #7): posts/s of `shitstorm batch --jobs 2` and of Spark `local[2]` on
one Parquet file of 1M posts, the per-core rate of each, and the wall time those rates predict for
100M posts on a 32-core cluster.

    python benchmarks/bench_scale.py                  # 1,000,000 posts (takes a while)
    python benchmarks/bench_scale.py --posts 20000    # a quick look

Posts are the corpus's test-split posts (training/data/test_*.csv), cycled, written to a
temporary Parquet file (columns id, text; row groups of 50,000 rows). Both runs are timed end to
end as a user runs them, start-up included (Python imports, model load in each worker process,
for Spark also the JVM), each writing Parquet output. Needs pyspark, pyarrow and Java.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import corpus_texts  # benchmarks/ is on sys.path when run as a script

CLUSTER_POSTS = 100_000_000
CLUSTER_CORES = 32


def write_posts(path: Path, n: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = corpus_texts(0, sys.maxsize)  # every test-split post, whatever its length
    with pq.ParquetWriter(path, pa.schema([("id", pa.int64()), ("text", pa.string())])) as w:
        for start in range(0, n, 50_000):
            ids = range(start, min(n, start + 50_000))
            w.write_table(pa.table({"id": pa.array(ids, pa.int64()),
                                    "text": [texts[i % len(texts)] for i in ids]}))


def timed(cmd: list[str], env=None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def hms(seconds: float) -> str:
    h, rest = divmod(round(seconds), 3600)
    return f"{h} h {rest // 60:02d} min" if h else f"{rest // 60} min {rest % 60:02d} s"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--cores", type=int, default=2, help="--jobs for batch and local[N] for Spark")
    args = ap.parse_args(argv)
    exe = [sys.executable, "-m", "shitstorm"]
    n, cores = args.posts, args.cores
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "posts.parquet"
        write_posts(src, n)
        print(f"{n:,} posts, {src.stat().st_size / 1e6:.0f} MB of Parquet; load average before: "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

        batch_cmd = exe + ["batch", str(src), "-o", str(Path(tmp) / "batch.parquet"), "--jobs", str(cores),
                           "--quiet"]
        batch_s = timed(batch_cmd)
        print(f"batch --jobs {cores}: {batch_s:.0f} s; load average now {os.getloadavg()[0]:.1f}", flush=True)

        env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
        spark_cmd = exe + ["spark-score", str(src), str(Path(tmp) / "spark-out"), "--master", f"local[{cores}]"]
        spark_s = timed(spark_cmd, env=env)
        print(f"spark local[{cores}]: {spark_s:.0f} s; load average now {os.getloadavg()[0]:.1f}", flush=True)

    print()
    print(f"| run ({n:,} posts, Parquet in and out) | wall time | posts/s | per core | "
          f"{CLUSTER_POSTS // 1_000_000}M posts on {CLUSTER_CORES} cores |")
    print("|---|---:|---:|---:|---:|")
    for name, secs in ((f"`shitstorm batch --jobs {cores}`", batch_s), (f"Spark `local[{cores}]`", spark_s)):
        rate = n / secs
        per_core = rate / cores
        print(f"| {name} | {secs:,.0f} s | {rate:,.0f} | {per_core:,.0f} | "
              f"{hms(CLUSTER_POSTS / (per_core * CLUSTER_CORES))} |")
    print(f"\nEstimate: {CLUSTER_POSTS:,} / (per-core rate × {CLUSTER_CORES} cores), assuming linear "
          "scaling per core; excludes cluster start-up, storage and network limits.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
