"""Thresholds for a team are base rates: evaluate --target-precision/--target-recall --write-policy."""

import numpy as np
import pytest

from shitstorm import Policy
from shitstorm.classifier import shift_base_rate
from shitstorm.cli import main
from shitstorm.train.dataset import read_labelled_csv
from shitstorm.train.evaluate import predict
from shitstorm.train.team_rates import nested, rate_for_threshold, team_rates, threshold_for_target

from .test_evaluate import LABELLED, write_csv


@pytest.mark.parametrize("t,trained", [(0.3, 0.2), (0.9, 0.1), (0.02, 0.5)])
def test_the_rate_for_a_threshold_puts_0_5_there(t, trained):
    b = rate_for_threshold(t, trained)
    assert float(shift_base_rate(np.array([t]), trained, b)[0]) == pytest.approx(0.5)


def test_target_precision_takes_the_most_recall_that_keeps_it():
    prob = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    truth = [1, 1, 0, 1, 0, 0]
    cut = threshold_for_target(prob, truth, precision=0.75)  # top 4: 3 of 4 right
    assert 0.5 < cut < 0.6
    assert threshold_for_target(prob, truth, recall=0.5) == pytest.approx(0.75)  # top 2 suffice
    assert threshold_for_target(prob, [0, 1, 1, 0, 0, 0], precision=1.0) is None  # the top post is wrong
    assert threshold_for_target(prob, [0] * 6, recall=0.9) is None


def test_rates_are_nested_the_safe_way():
    fallback = {"ge_low": 0.25, "escalation": 0.08, "critical": 0.02, "publicity_pressure": 0.005}
    found = {"ge_low": 0.3, "escalation": 0.1, "critical": 0.05, "publicity_pressure": 0.2}
    assert nested(found, fallback, lower_inner=True)["publicity_pressure"] == 0.05  # precision: fewer alarms
    up = nested(found, fallback, lower_inner=False)  # recall: more alarms outside
    assert up["critical"] == up["escalation"] == 0.2 and up["ge_low"] == 0.3
    assert nested({"critical": None}, fallback, lower_inner=True) == fallback


def test_base_rates_reach_the_target_on_the_rows(tiny_model, tmp_path):
    pred = predict(tiny_model, read_labelled_csv([write_csv(tmp_path / "l.csv", LABELLED)]))
    found = team_rates(tiny_model, pred, target_recall=0.9)
    for head, r in found["reached"].items():
        assert r["recall"] >= 0.9, head
    assert found["implied"] == {"ge_low": 0.75, "escalation": 0.5, "critical": 0.25, "publicity_pressure": 0.125}
    with pytest.raises(ValueError, match="not both"):
        team_rates(tiny_model, pred, target_precision=0.9, target_recall=0.9)


def test_written_policy_is_accepted_and_scores_as_reported(tiny_model_dir, tmp_path, capsys):
    rows = write_csv(tmp_path / "labelled.csv", LABELLED)
    team = tmp_path / "team.toml"
    assert main(["evaluate", "--model", str(tiny_model_dir), str(rows), "--target-precision", "0.9",
                 "--write-policy", str(team), "--json"]) == 0
    import json

    d = json.loads(capsys.readouterr().out)
    policy = Policy.from_toml(team)
    assert dict(policy.base_rates) == d["team_rates"]["base_rates"]
    for r in d["team_rates"]["reached"].values():
        assert r["precision"] is None or r["precision"] >= 0.9
    # evaluating again with the policy gives the figures the file reports
    assert main(["evaluate", "--model", str(tiny_model_dir), str(rows), "--policy", str(team), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["base_rates"] == d["team_rates"]["base_rates"]
    said = sum(again["confusion_matrix"][i][3] for i in range(4))
    assert said == d["team_rates"]["reached"]["critical"]["flagged"]
    # and batch takes the file as it takes any policy
    posts = write_csv(tmp_path / "posts.csv", [("1", "Wenn ich bis morgen nichts höre, geht das an die BILD!")],
                      header=("id", "text"))
    assert main(["batch", "--model", str(tiny_model_dir), str(posts), "--triage", "--policy", str(team),
                 "-o", str(tmp_path / "out.csv")]) == 0


def test_without_a_target_the_policy_holds_the_rows_shares(tiny_model_dir, tmp_path, capsys):
    team = tmp_path / "team.toml"
    assert main(["evaluate", "--model", str(tiny_model_dir), str(write_csv(tmp_path / "l.csv", LABELLED)),
                 "--write-policy", str(team)]) == 0
    assert dict(Policy.from_toml(team).base_rates) == {"ge_low": 0.75, "escalation": 0.5, "critical": 0.25,
                                                       "publicity_pressure": 0.125}
    assert "label shares" in team.read_text(encoding="utf-8")


def test_a_bad_target_is_a_usage_error(tiny_model_dir, tmp_path, capsys):
    code = main(["evaluate", "--model", str(tiny_model_dir), str(write_csv(tmp_path / "l.csv", LABELLED)),
                 "--target-precision", "1.5"])
    assert code == 2 and "(0, 1]" in capsys.readouterr().err
