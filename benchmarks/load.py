"""Load figures of `shitstorm serve` (issues #6 and #14), loopback only, bounded in time.

    python benchmarks/load.py                      # 2 workers, 32 connections, 10 s per endpoint
    python benchmarks/load.py --workers 2 --duration 10 --connections 32

Starts the real server (`python -m shitstorm serve --workers N`, bundled model, a token), then
drives it with wrk (Debian package `wrk`, a compiled load generator that shares the machine's
cores with the server). Texts are *distinct* real German posts of 50–400 characters
(`benchmarks/texts.py`: PotTS, GermEval 2018 training, the project corpus), never a small set
cycled; the warm-up runs on other posts than the measurement. The script says how often a post
was sent more than once (the pool holds about 21,000 posts).

* `POST /v1/score`: one post per request at `--connections` concurrent connections;
  requests/s, p50 and p99 (issue #14: ≥ 1,500 req/s with p99 ≤ 50 ms at 32 connections).
* `POST /v1/score/batch`: the largest batch the schema allows (`MAX_BATCH_POSTS` posts, each
  request other posts) at 2 × workers connections; posts/s (issue #14: ≥ 3,000 posts/s).
* `GET /healthz` while those batches are being scored: a probe on a fresh connection every
  20 ms for the whole batch run, its latency (max, p99) (issue #14: within 100 ms).

Prints a README-ready table pairing each figure with its target, MET or NOT MET.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from texts import distinct_posts  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from shitstorm.server.schemas import MAX_BATCH_CHARS, MAX_BATCH_POSTS  # noqa: E402

TOKEN = "load-test-token-" + "x" * 16
TARGET_RPS, TARGET_P99_MS = 1_500, 50.0
TARGET_HEALTH_MS = 100.0
TARGET_BATCH_POSTS_S = 3_000
PROBE_EVERY_S = 0.02

# Every request takes the next body of the file (one JSON body a line): distinct posts, in order.
LUA = r"""
local bodies = {}
local i = 0
init = function(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do bodies[#bodies + 1] = line end
  f:close()
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "@PATH@", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer @TOKEN@"}, bodies[i])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not become ready")


def parse_wrk(out: str) -> dict:
    def ms(v: str) -> float:
        n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
        return float(n) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "requests": total, "p50_ms": ms(lat["50"]), "p99_ms": ms(lat["99"]),
            "non_2xx": int(errors.group(1)) if errors else 0, "socket_errors": sock.group(1) if sock else ""}


def run_wrk(base: str, path: str, script: Path, data_file: Path, connections: int, duration: int) -> dict:
    # one wrk thread: it walks the bodies in order, so no post is sent twice before the file ends
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s",
           "-s", str(script), f"{base}{path}", "--", str(data_file)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


class HealthProbe(threading.Thread):
    """``GET /healthz`` on a fresh connection (as a load balancer or kubelet does) every
    ``PROBE_EVERY_S`` until stopped; the latencies in ms, failures counted."""

    def __init__(self, host: str, port: int):
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.stop = threading.Event()
        self.ms: list[float] = []
        self.failed = 0

    def run(self) -> None:
        while not self.stop.is_set():
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
            except OSError:
                ok = False
            elapsed = time.perf_counter() - start
            if ok:
                self.ms.append(elapsed * 1000)
            else:
                self.failed += 1
            self.stop.wait(max(0.0, PROBE_EVERY_S - elapsed))


def server_cpu_s(root: int) -> float:
    """User + system CPU seconds of the server: the supervisor and every worker process (read from
    /proc, Linux only; 0 elsewhere). Per request it is the figure that the other jobs on a shared
    machine disturb least."""
    clock = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / clock)
    tree, total = {root}, 0.0
    for _ in range(3):  # supervisor -> workers (-> their helpers)
        tree |= {pid for pid, (ppid, _) in stats.items() if ppid in tree}
    for pid in tree:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def verdict(met: bool) -> str:
    return "MET" if met else "**NOT MET**"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--duration", type=int, default=10, help="seconds per endpoint (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint (default 2)")
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    pool = distinct_posts()
    texts = pool.texts
    if len(texts) < 4 * MAX_BATCH_POSTS:
        raise SystemExit(f"too few distinct posts for the benchmark: {pool.describe()}")
    warm, measured = texts[-MAX_BATCH_POSTS:], texts[:-MAX_BATCH_POSTS]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SHITSTORM_API_TOKEN": TOKEN,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def lines(name: str, bodies: list[dict]) -> Path:
            path = tmp / name
            path.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bodies), encoding="utf-8")
            return path

        def batches(posts: list[str]) -> list[dict]:
            out = []
            for k in range(0, len(posts) - MAX_BATCH_POSTS + 1, MAX_BATCH_POSTS):
                chunk = posts[k:k + MAX_BATCH_POSTS]
                assert sum(map(len, chunk)) <= MAX_BATCH_CHARS
                out.append({"posts": [{"id": str(k + i), "text": t} for i, t in enumerate(chunk)]})
            return out

        single_warm = lines("single_warm.jsonl", [{"text": t} for t in warm])
        single = lines("single.jsonl", [{"text": t} for t in measured])
        batch_warm = lines("batch_warm.jsonl", batches(warm))
        batch = lines("batch.jsonl", batches(measured))
        n_batches = len(measured) // MAX_BATCH_POSTS
        (tmp / "single.lua").write_text(LUA.replace("@TOKEN@", TOKEN).replace("@PATH@", "/v1/score"))
        (tmp / "batch.lua").write_text(LUA.replace("@TOKEN@", TOKEN).replace("@PATH@", "/v1/score/batch"))
        log = open(tmp / "serve.log", "w")  # noqa: SIM115 - a file, not a pipe: a full pipe would stall the server
        cmd = [sys.executable, "-m", "shitstorm", "serve", "--port", str(port), "--workers", str(args.workers),
               "--log-level", "warning"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True, cwd=tmp)
        try:
            wait_ready(base, proc)
            time.sleep(2)  # every worker has loaded the model
            run_wrk(base, "/v1/score", tmp / "single.lua", single_warm, args.connections, args.warmup)
            cpu0 = server_cpu_s(proc.pid)
            one = run_wrk(base, "/v1/score", tmp / "single.lua", single, args.connections, args.duration)
            one["cpu_ms"] = (server_cpu_s(proc.pid) - cpu0) * 1000 / max(1, one["requests"])
            conns = 2 * args.workers
            run_wrk(base, "/v1/score/batch", tmp / "batch.lua", batch_warm, conns, args.warmup)
            probe = HealthProbe("127.0.0.1", port)
            probe.start()
            cpu0 = server_cpu_s(proc.pid)
            many = run_wrk(base, "/v1/score/batch", tmp / "batch.lua", batch, conns, args.duration)
            many["cpu_ms"] = (server_cpu_s(proc.pid) - cpu0) * 1000 / max(1, many["requests"] * MAX_BATCH_POSTS)
            probe.stop.set()
            probe.join()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            log.close()
    if not probe.ms:
        raise SystemExit("no /healthz probe was answered")
    posts_s = many["rps"] * MAX_BATCH_POSTS
    h_max, h_p99 = max(probe.ms), percentile(probe.ms, 99)
    resent_single = max(0, one["requests"] - len(measured))
    resent_batch = max(0, many["requests"] - n_batches) * MAX_BATCH_POSTS
    failed = one["non_2xx"] + many["non_2xx"] + probe.failed
    print(f"Command: python benchmarks/load.py --workers {args.workers} --connections {args.connections} "
          f"--duration {args.duration} --warmup {args.warmup}")
    print(f"Server: shitstorm serve --workers {args.workers}; wrk (1 thread) and the /healthz probe on the same "
          f"{os.cpu_count()}-core machine; {args.duration} s per endpoint after {args.warmup} s of warm-up on "
          f"other posts.")
    print(f"Texts: {pool.describe()}; /v1/score: {one['requests']:,} requests, {resent_single:,} of them a post "
          f"sent before; /v1/score/batch: {many['requests']:,} requests of {MAX_BATCH_POSTS:,} posts, "
          f"{resent_batch:,} posts sent before (the pool holds {n_batches} distinct batches).")
    print(f"Failed: {one['non_2xx']} non-2xx on /v1/score, {many['non_2xx']} on /v1/score/batch, "
          f"{probe.failed} /healthz probes; socket errors: {one['socket_errors'] or 'none'} / "
          f"{many['socket_errors'] or 'none'}.")
    print(f"Server CPU (all processes): {one['cpu_ms']:.2f} ms per /v1/score request, {many['cpu_ms']:.3f} ms per "
          f"post of /v1/score/batch (the probes included); load average before the run: {load_before}.")
    print()
    print("| endpoint | connections | measured | p50 | p99 | max | target | |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    print(f"| `POST /v1/score` | {args.connections} | {one['rps']:,.0f} req/s | {one['p50_ms']:.1f} ms | "
          f"{one['p99_ms']:.1f} ms | | ≥ {TARGET_RPS:,} req/s, p99 ≤ {TARGET_P99_MS:.0f} ms | "
          f"{verdict(one['rps'] >= TARGET_RPS and one['p99_ms'] <= TARGET_P99_MS)} |")
    print(f"| `POST /v1/score/batch` ({MAX_BATCH_POSTS:,} posts a request) | {conns} | {posts_s:,.0f} posts/s "
          f"({many['rps']:.2f} req/s) | {many['p50_ms']:,.0f} ms | {many['p99_ms']:,.0f} ms | | "
          f"≥ {TARGET_BATCH_POSTS_S:,} posts/s | {verdict(posts_s >= TARGET_BATCH_POSTS_S)} |")
    print(f"| `GET /healthz` while those batches are scored ({len(probe.ms):,} probes, a new connection each) | 1 "
          f"| | {statistics.median(probe.ms):.1f} ms | {h_p99:.1f} ms | {h_max:.1f} ms | "
          f"≤ {TARGET_HEALTH_MS:.0f} ms | {verdict(h_max <= TARGET_HEALTH_MS and probe.failed == 0)} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
