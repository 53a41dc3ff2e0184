"""shitstorm evaluate: the model card's figures on a team's rows, intervals, warnings, the report."""

import json

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


def test_bad_labelled_file_names_file_and_line(tiny_model_dir, tmp_path, capsys):
    bad = write_csv(tmp_path / "bad.csv", [("Hallo", "none", "0"), ("Na toll", "sauer", "0")])
    assert main(["evaluate", "--model", str(tiny_model_dir), str(bad)]) == 1
    assert "bad.csv:3: unknown level 'sauer'" in capsys.readouterr().err
