"""The ``shitstorm`` command: its commands run in process (``tests._cli.run``, i.e. ``main([...])``
with captured output); the installed script and signals in a real process. ``batch`` is in
tests/test_batch.py."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import shitstorm

from ._cli import EXE, no_part_files, run
from .conftest import write_csv


def test_installed_command_exists():
    assert EXE is not None, "the console script 'shitstorm' is not installed"
    p = subprocess.run([EXE, "--version"], capture_output=True, text=True, encoding="utf-8",
                       env={**os.environ, "PYTHONWARNINGS": "error"})
    assert p.returncode == 0 and p.stdout.strip() == f"shitstorm {shitstorm.__version__}"


def test_score_text(tiny_model_dir):
    out = json.loads(run("score", "Wenn ich bis morgen nichts höre, geht das an die BILD!",
                         model=tiny_model_dir).stdout)
    assert out["level"] in ("none", "low", "elevated", "critical") and "text" not in out


def test_score_stdin_one_post_per_line(tiny_model_dir):
    p = run("score", "-", "--with-text", stdin="Danke!\nSchon wieder kein Paket!!!\n\n", model=tiny_model_dir)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert [d["text"] for d in lines] == ["Danke!", "Schon wieder kein Paket!!!", ""]
    assert lines[2]["flags"] == ["empty"]


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
    # the library's version (defined once, in shitstorm/__init__.py) + the training data's hash
    version = json.loads(run("score", "Danke!", model=out).stdout)["model_version"]
    assert version.startswith(shitstorm.__version__ + "+")


def test_train_bad_csv_names_the_row_and_writes_nothing(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [("Hallo", "none", "0"), ("Na toll", "wütend", "0")])
    out = tmp_path / "model"
    p = run("train", str(bad), "--out", str(out), check=False)
    assert p.returncode == 1 and "bad.csv:3: unknown level 'wütend'" in p.stderr
    assert not out.exists()


def test_explain_shows_personal_data_triage_and_advice(tiny_model_dir):
    out = run("explain", "Mein Anwalt meldet sich, Tel 0171 2345678", model=tiny_model_dir).stdout
    assert "<0171 2345678>" in out and "personal data:" in out
    assert "priority:" in out and "[pii_hide_never_repeat]" in out
    en = run("explain", "--lang", "en", "Tel 0171 2345678", model=tiny_model_dir).stdout
    assert "Hide or remove the personal data" in en


def test_score_triage_flag(tiny_model_dir):
    d = json.loads(run("score", "--triage", "Meine IBAN DE89 3704 0044 0532 0130 00", model=tiny_model_dir).stdout)
    assert d["pii"][0]["kind"] == "iban" and d["triage"]["priority"] in ("P1", "P2")


def test_redact_filter():
    p = run("redact", "-", stdin="Tel 0171 2345678\nnichts\nIBAN DE89 3704 0044 0532 0130 00")
    assert p.stdout == "Tel [TELEFON]\nnichts\nIBAN [IBAN]"
    bad = run("redact", "--kinds", "telefon", "x", check=False)
    assert bad.returncode == 2 and "telefon" in bad.stderr


def test_usage_errors_exit_2():
    p = run("batch", "x.unknown", check=False)
    assert p.returncode == 2
    p = run(check=False)
    assert p.returncode == 2 and "usage" in p.stderr


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_issue12_item11_sigterm_and_sighup_leave_no_part(tiny_model_dir, tmp_path, sig):
    rows = [(str(i), "Schon wieder kein Paket, ruft mich an unter 0171 2345678!") for i in range(100_000)]
    src = write_csv(tmp_path / "big.csv", rows, header=("id", "text"))
    out = tmp_path / "out.csv"
    out.write_text("old output\n", encoding="utf-8")
    cmd = [EXE] if EXE else [sys.executable, "-m", "shitstorm.cli"]
    p = subprocess.Popen(cmd + ["batch", "--model", str(tiny_model_dir), str(src), "-o", str(out), "--quiet"],
                         stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / ".out.csv.part").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    p.send_signal(getattr(signal, sig))
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + getattr(signal, sig)
    assert f"stopped by {sig}" in err and "Traceback" not in err
    assert out.read_text(encoding="utf-8") == "old output\n" and no_part_files(tmp_path)


def test_issue14_cold_start_version_help_and_redact_import_no_scikit_learn():
    """``--version``, ``--help`` and ``redact`` need neither the model nor the training code: no
    scikit-learn, scipy, pandas or skops is imported (a fresh interpreter, so nothing is cached)."""
    probe = ("import sys\nfrom shitstorm.cli import main\n"
             "for argv in (['--version'], ['--help'], ['redact', 'Ruf mich an: 0171 2345678']):\n"
             "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
             "print('HEAVY', sorted(m for m in ('sklearn', 'scipy', 'pandas', 'skops') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8", check=True)
    assert "HEAVY []" in p.stdout and "[TELEFON]" in p.stdout


def test_issue14_version_and_help_import_not_even_numpy():
    """``import shitstorm`` loads its public names on first use, so ``--version`` and ``--help``
    import neither numpy nor the scoring modules; every public name still resolves."""
    probe = ("import sys\nfrom shitstorm.cli import main\n"
             "for argv in (['--version'], ['--help']):\n"
             "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
             "print('LOADED', sorted(m for m in ('numpy', 'shitstorm.model', 'shitstorm.pii') if m in sys.modules))\n"
             "import shitstorm\nprint('ALL', all(getattr(shitstorm, n) is not None for n in shitstorm.__all__))")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8", check=True)
    assert "LOADED []" in p.stdout and "ALL True" in p.stdout


def test_issue15_evaluate_review_train_read_excel_csv(tiny_model_dir, tmp_path):
    """German Excel's CSV (semicolons, Windows-1252) for the commands that read labelled rows:
    sniffed or given, the not-UTF-8 error names --encoding."""
    rows = [("Schon wieder kein Paket; Frechheit!", "elevated", "0"), ("Danke für die Hilfe, Grüße", "none", "0"),
            ("Das geht an die BILD, ich schreibe eine öffentliche Bewertung", "critical", "1")]
    src = tmp_path / "labels.csv"
    src.write_bytes(("text;level;publicity_pressure\n" + "".join(f'"{t}";{lv};{p}\n' for t, lv, p in rows))
                    .encode("cp1252"))
    for argv in (["evaluate", src], ["review", src], ["train", src, "--out", tmp_path / "m"]):
        p = run(*argv, check=False)
        assert p.returncode == 1 and "labels.csv:3: not UTF-8" in p.stderr and "--encoding" in p.stderr, argv
    assert not (tmp_path / "m").exists()
    for bad in (["--encoding", "klingon"], ["--delimiter", "::"]):
        p = run("evaluate", src, *bad, check=False)
        assert p.returncode == 2 and bad[1] in p.stderr
    out = run("evaluate", src, "--encoding", "cp1252", "--json", model=tiny_model_dir).stdout
    assert json.loads(out)["n"] == 3
    same = run("evaluate", src, "--encoding", "cp1252", "--delimiter", ";", "--json", model=tiny_model_dir).stdout
    assert same == out
    picked = run("review", src, "--encoding", "windows-1252", "-n", "2", model=tiny_model_dir).stdout
    lines = picked.splitlines()
    # keeps the delimiter; UTF-8 with the byte-order mark Excel needs (the input was Windows-1252)
    assert lines[0].startswith("\ufefftext;level;publicity_pressure;") and len(lines) == 3


@pytest.mark.parametrize("port", ["99999", "0", "-5", "acht"])
def test_serve_refuses_a_port_that_does_not_exist(port):
    """Closing note of #15: ``serve --port 99999`` started and logged "running on :99999" while
    the operating system bound another port."""
    p = run("serve", "--port", port, check=False)
    assert p.returncode == 2 and "--port" in p.stderr and "from 1 to 65535" in p.stderr
