"""shitstorm evaluate: the model card's figures on a team's rows, intervals, warnings, the report."""

import base64
import json
import sys

import numpy as np
import pytest

from shitstorm.cli import main
from shitstorm.train.dataset import read_labelled_csv
from shitstorm.train.evaluate import bootstrap_intervals, confusion_matrix, evaluate_rows, figures
from shitstorm.train.metrics import evaluate

from .conftest import TINY_CORPUS, write_csv

# the tiny corpus's posts said a little differently: labelled rows a team might hold
LABELLED = [("Hallo, " + t, lv, p) for t, lv, p in TINY_CORPUS] + [(t.replace("!", "!!"), lv, p)
                                                                     for t, lv, p in TINY_CORPUS]


@pytest.fixture
def labelled_csv(tmp_path):
    return write_csv(tmp_path / "labelled.csv", LABELLED)


def test_bootstrap_figures_are_the_model_cards(tiny_model, labelled_csv):
    result, pred = evaluate_rows(tiny_model, read_labelled_csv([labelled_csv]), samples=50)
    card = evaluate(pred.levels_true, pred.pressure_true, pred.escalation, pred.pressure, pred.levels_pred, 0.5, 0.5)
    fast = figures(pred.levels_true, pred.pressure_true, pred.escalation, pred.pressure, pred.levels_pred)
    for k, v in fast.items():
        assert v == pytest.approx(card[k], abs=1e-4), k
    assert result["metrics"] == card


def test_intervals_are_fixed_by_the_seed_and_hold_the_figure(tiny_model, labelled_csv):
    data = read_labelled_csv([labelled_csv])
    a, pred = evaluate_rows(tiny_model, data, samples=200)
    b, _ = evaluate_rows(tiny_model, data, samples=200)
    assert a["intervals"] == b["intervals"]
    assert bootstrap_intervals(pred, 200, seed=1) != a["intervals"] or a["intervals"]["level_accuracy"][0] == 1
    lo, hi = a["intervals"]["level_accuracy"]
    assert lo <= a["metrics"]["level_accuracy"] <= hi


def test_confusion_matrix_rows_are_labels():
    assert confusion_matrix([0, 0, 3, 2], [0, 1, 3, 3]) == [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1]]


def test_auc_of_one_class_is_undefined_not_an_error():
    lt = np.array([0, 1, 1, 0])
    out = figures(lt, np.zeros(4, dtype=int), np.array([.1, .2, .3, .4]), np.zeros(4), lt)
    assert np.isnan(out["escalation_roc_auc"]) and np.isnan(out["pressure_roc_auc"])


def test_cli_warns_plainly_about_small_classes(tiny_model_dir, labelled_csv, capsys):
    assert main(["evaluate", "--model", str(tiny_model_dir), str(labelled_csv)]) == 0
    out, err = capsys.readouterr()
    assert "warning: fewer than 30 rows of level none (16)" in err and "publicity_pressure 1 (8)" in err
    assert "95% interval" in out and "level confusion" in out
    assert "Hallo" not in out + err  # no post text


def test_cli_json(tiny_model_dir, labelled_csv, capsys):
    assert main(["evaluate", "--model", str(tiny_model_dir), str(labelled_csv), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n"] == len(LABELLED) and d["bootstrap"] == {"samples": 1000, "seed": 0, "interval": 0.95}
    assert set(d["intervals"]) >= {"escalation_roc_auc", "pressure_f1", "level_within_one"}


def test_report_is_one_offline_html_file_with_the_pictures(tiny_model_dir, labelled_csv, tmp_path, capsys):
    rep = tmp_path / "report"
    assert main(["evaluate", "--model", str(tiny_model_dir), str(labelled_csv), "--report", str(rep)]) == 0
    for name in ("reliability_escalation.png", "reliability_publicity_pressure.png", "precision_recall.png"):
        assert (rep / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (rep / "report.html").read_text(encoding="utf-8")
    images = page.count('src="data:image/png;base64,')
    assert images == 3
    first = page.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(first)[:4] == b"\x89PNG"
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    assert "Hallo" not in page and "BILD" not in page  # figures, never post text
    assert json.loads((rep / "metrics.json").read_text(encoding="utf-8"))["n"] == len(LABELLED)


def test_report_without_matplotlib_names_the_extra(tiny_model_dir, labelled_csv, tmp_path, capsys, monkeypatch):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    rep = tmp_path / "report"
    code = main(["evaluate", "--model", str(tiny_model_dir), str(labelled_csv), "--report", str(rep)])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'shitstorm[report]'" in err and "Traceback" not in err
    assert not rep.exists()


def test_bad_labelled_file_names_file_and_line(tiny_model_dir, tmp_path, capsys):
    bad = write_csv(tmp_path / "bad.csv", [("Hallo", "none", "0"), ("Na toll", "sauer", "0")])
    assert main(["evaluate", "--model", str(tiny_model_dir), str(bad)]) == 1
    assert "bad.csv:3: unknown level 'sauer'" in capsys.readouterr().err
