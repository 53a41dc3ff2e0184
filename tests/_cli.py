"""Running ``shitstorm`` in this process: ``main([...])`` with stdin given and stdout/stderr
captured, as the installed command would see them (tests/test_cli.py keeps the few tests that
need a real process: the installed script, signals)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
from dataclasses import dataclass

from shitstorm.cli import main

EXE = shutil.which("shitstorm", path=os.path.dirname(sys.executable)) or shutil.which("shitstorm")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def run(*args, stdin=None, model=None, check=True) -> Result:
    """``shitstorm ARGS`` in process; ``model`` goes after the subcommand as ``--model``."""
    argv = [str(a) for a in args]
    if model is not None:
        argv[1:1] = ["--model", str(model)]
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.StringIO()
    fake_in = io.TextIOWrapper(io.BytesIO((stdin or "").encode("utf-8")), encoding="utf-8")
    saved = sys.stdin
    sys.stdin = fake_in
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: usage errors, --help, --version
                code = exc.code if isinstance(exc.code, int) else 1
            out.flush()
    finally:
        sys.stdin = saved
    raw = out.buffer.getvalue()  # type: ignore[attr-defined]
    result = Result(code, raw.decode("utf-8", errors="replace"), err.getvalue(), raw)  # Parquet: stdout_bytes
    if check and code != 0:
        raise AssertionError(f"exit {code}: {result.stderr}")
    return result


def no_part_files(directory) -> bool:
    """No ``.part`` file left behind (``batch`` writes ``.OUT.part`` and renames it)."""
    return not [p for p in os.listdir(directory) if p.endswith(".part")]
