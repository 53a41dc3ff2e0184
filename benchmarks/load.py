"""Load figures of `shitstorm serve` (issue #6), loopback only, bounded in time.

    python benchmarks/load.py                      # 2 workers, 32 connections, 20 s per endpoint
    python benchmarks/load.py --workers 2 --duration 20 --connections 32

Starts the real server (`shitstorm serve --workers N`, bundled model, a token), then drives it
with wrk (Debian package `wrk`, a compiled load generator that shares the machine's cores with
the server):

* `POST /v1/score`: one post per request, posts cycled from the corpus's test split (50–400
  characters), at `--connections` concurrent connections; requests/s and latency percentiles.
* `POST /v1/score/batch`: 1,000 posts per request at 2 × workers connections; posts/s.

Prints a table; no thresholds here (the targets are in the README next to the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import corpus_texts  # benchmarks/ is on sys.path when run as a script

TOKEN = "load-test-token-" + "x" * 16

LUA_SINGLE = r"""
local bodies = {}
local i = 0
init = function(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do bodies[#bodies + 1] = line end
  f:close()
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/score", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer @TOKEN@"}, bodies[i])
end
"""

LUA_BATCH = r"""
local body
init = function(args)
  local f = assert(io.open(args[1], "r"))
  body = f:read("*a")
  f:close()
end
request = function()
  return wrk.format("POST", "/v1/score/batch", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer @TOKEN@"}, body)
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


def run_wrk(base: str, path: str, script: str, data_file: Path, connections: int, duration: int,
            threads: int = 1) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
           "-s", script, f"{base}{path}", "--", str(data_file)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--duration", type=int, default=20, help="seconds per endpoint (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint")
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    texts = corpus_texts()
    exe = shutil.which("shitstorm", path=os.path.dirname(sys.executable)) or "shitstorm"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SHITSTORM_API_TOKEN": TOKEN}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        single = tmp / "single.jsonl"
        single.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
                          encoding="utf-8")
        batch = tmp / "batch.json"
        posts = [{"id": str(i), "text": texts[i % len(texts)]} for i in range(1000)]
        batch.write_text(json.dumps({"posts": posts}, ensure_ascii=False), encoding="utf-8")
        (tmp / "single.lua").write_text(LUA_SINGLE.replace("@TOKEN@", TOKEN))
        (tmp / "batch.lua").write_text(LUA_BATCH.replace("@TOKEN@", TOKEN))
        log = open(tmp / "serve.log", "w")  # noqa: SIM115 - a file, not a pipe: a full pipe would stall the server
        proc = subprocess.Popen([exe, "serve", "--port", str(port), "--workers", str(args.workers),
                                 "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                                stderr=log, text=True)
        try:
            wait_ready(base, proc)
            time.sleep(2)  # every worker has loaded the model
            run_wrk(base, "/v1/score", str(tmp / "single.lua"), single, args.connections, args.warmup)
            one = run_wrk(base, "/v1/score", str(tmp / "single.lua"), single, args.connections, args.duration)
            conns = 2 * args.workers
            run_wrk(base, "/v1/score/batch", str(tmp / "batch.lua"), batch, conns, args.warmup)
            many = run_wrk(base, "/v1/score/batch", str(tmp / "batch.lua"), batch, conns, args.duration)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            log.close()
    print(f"shitstorm serve --workers {args.workers}, wrk on the same {os.cpu_count()}-core machine, "
          f"{args.duration} s per endpoint")
    print("| endpoint | connections | requests/s | posts/s | p50 | p99 | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| POST /v1/score | {args.connections} | {one['rps']:,.0f} | {one['rps']:,.0f} | "
          f"{one['p50_ms']:.1f} ms | {one['p99_ms']:.1f} ms | {one['non_2xx']} |")
    print(f"| POST /v1/score/batch (1,000 posts) | {conns} | {many['rps']:,.2f} | {many['rps'] * 1000:,.0f} | "
          f"{many['p50_ms']:.0f} ms | {many['p99_ms']:.0f} ms | {many['non_2xx']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
