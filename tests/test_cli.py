"""The installed ``shitstorm`` command, run in a subprocess, on the tiny model."""

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import write_csv

EXE = shutil.which("shitstorm", path=os.path.dirname(sys.executable)) or shutil.which("shitstorm")


def run(*args, stdin=None, model=None, check=True):
    cmd = [EXE] if EXE else [sys.executable, "-m", "shitstorm.cli"]
    argv = list(args)
    if model is not None:
        argv[1:1] = ["--model", str(model)]
    p = subprocess.run(cmd + argv, input=stdin, capture_output=True, text=True, encoding="utf-8",
                       env={**os.environ, "PYTHONWARNINGS": "error"})
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {p.stderr}")
    return p


def test_installed_command_exists():
    assert EXE is not None, "the console script 'shitstorm' is not installed"


def test_score_text(tiny_model_dir):
    out = json.loads(run("score", "Wenn ich bis morgen nichts höre, geht das an die BILD!",
                         model=tiny_model_dir).stdout)
    assert out["level"] in ("none", "low", "elevated", "critical") and "text" not in out


def test_score_stdin_one_post_per_line(tiny_model_dir):
    p = run("score", "-", "--with-text", stdin="Danke!\nSchon wieder kein Paket!!!\n\n", model=tiny_model_dir)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert [d["text"] for d in lines] == ["Danke!", "Schon wieder kein Paket!!!", ""]
    assert lines[2]["flags"] == ["empty"]


def test_batch_csv_keeps_columns_and_appends_scores(tiny_model_dir, tmp_path):
    src = write_csv(tmp_path / "in.csv", [("1", "Danke für die Hilfe", "fb"), ("2", "Mein Anwalt, Betrug!", "x"),
                                          ("3", "Zeile mit\nUmbruch, \"Zitat\"", "x")],
                    header=("id", "text", "channel"))
    out = tmp_path / "out.csv"
    run("batch", str(src), "-o", str(out), "--text-column", "text", model=tiny_model_dir)
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[2]["text"] == "Zeile mit\nUmbruch, \"Zitat\""
    assert list(rows[0])[:3] == ["id", "text", "channel"]
    assert {"escalation", "level", "publicity_pressure", "reasons", "model_version", "flags"} <= set(rows[0])


def test_batch_jsonl_stdin_to_stdout(tiny_model_dir):
    lines = "\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate(["Danke", "Frechheit!!!"]))
    p = run("batch", "-", "--input-format", "jsonl", model=tiny_model_dir, stdin=lines)
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o["id"] for o in out] == [0, 1] and "level" in out[1]["shitstorm"]


def test_batch_parallel_equals_serial(tiny_model_dir, tmp_path):
    rows = [(str(i), t) for i, (t, _, _) in enumerate(__import__("tests.conftest", fromlist=["x"]).TINY_CORPUS)]
    src = write_csv(tmp_path / "in.csv", rows * 3, header=("id", "text"))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run("batch", str(src), "-o", str(a), model=tiny_model_dir)
    run("batch", str(src), "-o", str(b), "--jobs", "2", model=tiny_model_dir)
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")


@pytest.mark.parametrize("content,msg", [
    ("id,body\n1,Hallo\n", "no column 'text'"),
    ("", "empty input"),
    ("id,text\n1,Hallo,zuviel\n", "in.csv:2: 3 fields, the header has 2"),
])
def test_batch_bad_csv_fails_clearly_and_writes_nothing(tiny_model_dir, tmp_path, content, msg):
    src = tmp_path / "in.csv"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    p = run("batch", str(src), "-o", str(out), model=tiny_model_dir, check=False)
    assert p.returncode != 0 and msg in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()


def test_batch_jsonl_bad_line(tiny_model_dir):
    p = run("batch", "-", "--input-format", "jsonl", model=tiny_model_dir, stdin='{"text": "ok"}\n{kaputt\n',
            check=False)
    assert p.returncode == 1 and "-:2: not valid JSON" in p.stderr


def test_explain_is_human_readable(tiny_model_dir):
    out = run("explain", "Danke für nichts, schon wieder kein Paket!", model=tiny_model_dir).stdout
    assert "level:" in out and "sarcasm" in out and "[Danke für nichts]" in out


def test_info(tiny_model_dir):
    out = run("info", model=tiny_model_dir).stdout
    assert "model:" in out and "thresholds" in out
    assert "thresholds" in json.loads(run("info", "--json", model=tiny_model_dir).stdout)


def test_train_tiny_csv_and_score_with_it(tiny_csv, tmp_path):
    out = tmp_path / "model"
    p = run("train", str(tiny_csv), "--out", str(out), "--folds", "2", "--quiet")
    assert "cross_validated" in json.loads(p.stdout)
    assert (out / "manifest.json").exists() and (out / "MODEL_CARD.md").exists()
    assert json.loads(run("score", "Danke!", model=out).stdout)["model_version"].startswith("0.1.0+")


def test_train_bad_csv_names_the_row_and_writes_nothing(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [("Hallo", "none", "0"), ("Na toll", "wütend", "0")])
    out = tmp_path / "model"
    p = run("train", str(bad), "--out", str(out), check=False)
    assert p.returncode == 1 and "bad.csv:3: unknown level 'wütend'" in p.stderr
    assert not out.exists()


def test_usage_errors_exit_2():
    p = run("batch", "x.unknown", check=False)
    assert p.returncode == 2
    p = run(check=False)
    assert p.returncode == 2 and "usage" in p.stderr


def test_batch_scores_a_huge_cell_instead_of_failing(tiny_model_dir, tmp_path):
    src = write_csv(tmp_path / "huge.csv", [("1", "Frechheit! " * 500_000), ("2", "Danke")], header=("id", "text"))
    out = tmp_path / "out.csv"
    run("batch", str(src), "-o", str(out), model=tiny_model_dir)
    csv.field_size_limit(2**31 - 1)
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["flags"] == "truncated" and len(rows[0]["text"]) == 5_500_000
