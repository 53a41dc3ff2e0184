"""Cold start of the command line (issue #14): CPU and wall time of fresh processes.

    python benchmarks/cold_start.py             # median of 5 runs of each command
    python benchmarks/cold_start.py --runs 9 --json

Each command runs as a fresh process, one after the other; CPU time is the process's user +
system time (``resource.getrusage(RUSAGE_CHILDREN)`` before and after), wall time is measured
around it. The ``shitstorm`` console script next to ``sys.executable`` is used (what a user
types); without it, ``python -m shitstorm``. Children inherit this environment, so with
``PYTHONPATH`` set they import that checkout (the first line printed names it). Targets: at most
0.2 s CPU for ``--version``, ``--help`` and ``redact``, 0.5 s for ``score``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGETS_CPU_S = {"version": 0.2, "help": 0.2, "redact": 0.2, "score": 0.5}


def shitstorm_command() -> list[str]:
    script = Path(sys.executable).parent / "shitstorm"
    return [str(script)] if script.exists() else [sys.executable, "-m", "shitstorm"]


def commands() -> list[tuple[str, list[str]]]:
    cli = shitstorm_command()
    return [
        ("version", [*cli, "--version"]),
        ("help", [*cli, "--help"]),
        ("redact", [*cli, "redact", "Meine Nummer ist 0171 2345678"]),
        ("score", [*cli, "score", "Frechheit!"]),
        ("import", [sys.executable, "-c", "import shitstorm"]),
    ]


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one fresh process; its output is discarded."""
    c0, w0 = children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall, cpu = time.perf_counter() - w0, children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} … exited {proc.returncode}:\n"
                         f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return cpu, wall


def which_shitstorm() -> str:
    code = "import shitstorm; print(shitstorm.__version__, shitstorm.__file__)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def measure(runs: int) -> dict:
    out: dict = {"shitstorm": which_shitstorm(), "cli": " ".join(shitstorm_command()),
                 "runs": runs, "commands": {}}
    for name, cmd in commands():
        samples = [run_once(cmd) for _ in range(runs)]
        cpu = statistics.median(s[0] for s in samples)
        wall = statistics.median(s[1] for s in samples)
        target = TARGETS_CPU_S.get(name)
        out["commands"][name] = {
            "command": shlex.join([Path(cmd[0]).name, *cmd[1:]]),
            "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
            "target_cpu_s": target, "met": None if target is None else cpu <= target,
        }
    return out


def report(out: dict) -> str:
    lines = [f"shitstorm {out['shitstorm']} (children inherit this environment)",
             f"median of {out['runs']} fresh processes each; CPU = user + sys of the process", ""]
    width = max(len(c["command"]) for c in out["commands"].values())
    for c in out["commands"].values():
        verdict = ("no target" if c["target_cpu_s"] is None else
                   f"target ≤ {c['target_cpu_s']:.1f} s CPU: {'MET' if c['met'] else 'NOT MET'}")
        lines.append(f"{c['command']:<{width}}  {c['cpu_s']:6.2f} s CPU  {c['wall_s']:6.2f} s wall  {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per command (default 5)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    out = measure(args.runs)
    print(json.dumps(out, indent=2, ensure_ascii=False) if args.json else report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
