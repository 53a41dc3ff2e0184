"""Peak memory of `shitstorm batch` as the input grows (issue #14).

    python benchmarks/memory.py                  # CSVs of ~30 MB and ~300 MB
    python benchmarks/memory.py --gb             # plus ~1 GB
    python benchmarks/memory.py --sizes 5,50 --jobs 2 --json

Each CSV (columns id, text) is written to a temporary directory from the DISTINCT real posts of
``benchmarks/texts.py`` (PotTS, GermEval 2018 training, the project corpus; 50–400 characters),
each once; a file larger than that pool goes on with the pool again, every such row made
distinct by one appended word spelling its row number in letters (" zeileqdx"). Every
appended word is new to the scorer, so a per-token cache that grows with the input shows here.
Each ``shitstorm batch FILE -o scored.csv --quiet --jobs N`` runs as a fresh process; its peak
RSS is ``ru_maxrss`` from ``os.wait4`` on that process (the largest of it and its worker
processes). Target: at most 300 MB at every size and flat (the largest input within 10% of the
smallest).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cold_start import shitstorm_command
from texts import GERMEVAL, POTTS, distinct_posts

TARGET_MB = 300.0
FLAT_WITHIN = 0.10
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def row_word(n: int) -> str:
    """The row number ``n`` spelt in letters (bijective base 26): a word no post contains."""
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = LETTERS[r] + letters
    return "zeile" + letters


def write_csv(path: Path, texts: list[str], megabytes: float) -> tuple[int, int]:
    """Write about ``megabytes`` MB of rows; (rows, rows made distinct by an appended word)."""
    target = int(megabytes * 1024 * 1024)
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        while fh.tell() < target:
            for t in texts:
                w.writerow([n, t if n < len(texts) else f"{t} {row_word(n)}"])
                n += 1
                if n % 1000 == 0 and fh.tell() >= target:
                    break
    return n, max(0, n - len(texts))


def run_batch(src: Path, out: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one ``shitstorm batch`` process."""
    cmd = [*shitstorm_command(), "batch", str(src), "-o", str(out), "--quiet", "--jobs", str(jobs)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} exited {proc.returncode}:\n"
                         f"{stderr.decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def measure(sizes: list[float], jobs: int, potts: Path, germeval: Path, tmp_dir: str | None) -> dict:
    pool = distinct_posts(potts, germeval)
    out: dict = {"texts": pool.describe(), "jobs": jobs, "target_mb": TARGET_MB,
                 "flat_within": FLAT_WITHIN, "sizes": []}
    for mb in sizes:
        with tempfile.TemporaryDirectory(dir=tmp_dir) as tmp:
            src = Path(tmp) / "posts.csv"
            rows, suffixed = write_csv(src, pool.texts, mb)
            size_mb = src.stat().st_size / 1024 / 1024
            elapsed, peak = run_batch(src, Path(tmp) / "scored.csv", jobs)
        out["sizes"].append({"csv_mb": round(size_mb, 1), "rows": rows,
                             "rows_with_row_word": suffixed, "wall_s": round(elapsed, 1),
                             "posts_per_s_wall": round(rows / elapsed, 1),
                             "peak_rss_mb": round(peak, 1)})
    peaks = [s["peak_rss_mb"] for s in out["sizes"]]
    out["max_peak_rss_mb"] = max(peaks)
    out["growth"] = round(peaks[-1] / peaks[0] - 1, 3)
    out["met"] = max(peaks) <= TARGET_MB and out["growth"] <= FLAT_WITHIN
    return out


def report(out: dict) -> str:
    lines = [f"texts: {out['texts']}",
             f"`shitstorm batch --jobs {out['jobs']}`, one fresh process per file", ""]
    for s in out["sizes"]:
        extra = (f", {s['rows_with_row_word']:,} of them with a row-number word appended"
                 if s["rows_with_row_word"] else ", all distinct as read")
        lines.append(f"{s['csv_mb']:8.1f} MB CSV  {s['rows']:>10,} rows{extra}: peak RSS "
                     f"{s['peak_rss_mb']:6.1f} MB, {s['wall_s']:,.0f} s wall "
                     f"({s['posts_per_s_wall']:,.0f} posts/s)")
    lines += ["", f"target: peak RSS ≤ {out['target_mb']:.0f} MB at every size and flat (largest "
              f"within {out['flat_within']:.0%} of smallest; measured {out['growth']:+.1%}, max "
              f"{out['max_peak_rss_mb']:.0f} MB): {'MET' if out['met'] else 'NOT MET'}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="30,300", help="CSV sizes in MB, comma-separated (default 30,300)")
    ap.add_argument("--gb", action="store_true", help="add a ~1 GB CSV (1024 MB)")
    ap.add_argument("--quick", action="store_true", help="smoke run: CSVs of 0.3 and 1 MB")
    ap.add_argument("--jobs", type=int, default=1, help="--jobs for shitstorm batch (default 1)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--tmp-dir", default=None, help="where to write the CSVs (default: the system's)")
    ap.add_argument("--potts", type=Path, default=POTTS)
    ap.add_argument("--germeval", type=Path, default=GERMEVAL)
    args = ap.parse_args(argv)
    try:
        sizes = [float(s) for s in ("0.3,1" if args.quick else args.sizes).split(",") if s.strip()]
    except ValueError:
        ap.error(f"--sizes takes MB numbers separated by commas, not {args.sizes!r}")
    if args.gb:
        sizes.append(1024.0)
    if not sizes or min(sizes) <= 0 or args.jobs < 1:
        ap.error("sizes must be positive and --jobs at least 1")
    out = measure(sorted(sizes), args.jobs, args.potts, args.germeval, args.tmp_dir)
    out["quick"] = args.quick
    print(json.dumps(out, indent=2, ensure_ascii=False) if args.json else report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
