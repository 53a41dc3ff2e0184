"""Training on small data, and train --base: a team's rows on top of a corpus (issue #15)."""

import json
import shutil

import numpy as np
import pytest

from shitstorm.classifier import EscalationClassifier
from shitstorm.cli import main
from shitstorm.train import retrain
from shitstorm.train.datacheck import check_trainable
from shitstorm.train.dataset import DataError, read_labelled_csv

from .conftest import TINY_CORPUS, write_csv

MINE = [(p + t, lv, pp) for p in ("Ehrlich, ", "Also: ", "Hallo Team, ", "Kurz: ", "Moin, ")
        for t, lv, pp in TINY_CORPUS]
"""A team's rows: the tiny corpus's posts, each opened five ways (160 rows, 34 held out)."""

FLIP = {"none": "critical", "low": "elevated", "elevated": "low", "critical": "none"}


def test_two_rows_are_a_clear_error_not_a_traceback(tmp_path, capsys):
    two = write_csv(tmp_path / "two.csv", [("Danke!", "none", "0"), ("Frechheit!!!", "elevated", "0")])
    assert main(["train", str(two), "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert "too few rows to train" in err and "level critical has 0" in err and "--base default" in err
    assert "Traceback" not in err and not (tmp_path / "m").exists()


def test_small_data_trains_with_a_warning():
    assert check_trainable([0, 1, 2, 3] * 10, [0, 0, 0, 1] * 10, folds=2)[0].startswith(
        "the training data: only 40 labelled rows")
    with pytest.raises(DataError, match="publicity_pressure 1 has 3"):
        check_trainable([0, 1, 2, 3] * 10, [0] * 37 + [1] * 3, folds=2)
    with pytest.raises(DataError, match="at least 10 rows"):
        check_trainable([0, 1, 2, 3] * 8, [0, 0, 0, 1] * 8, folds=10)


def test_sample_weight_weighs_the_training_rates():
    from shitstorm.text.analysis import analyze

    X = [analyze(t) for t, _, _ in TINY_CORPUS]
    y = np.array([[{"none": 0, "low": 1, "elevated": 2, "critical": 3}[lv], p] for _, lv, p in TINY_CORPUS])
    w = np.where(y[:, 0] == 3, 3.0, 1.0)  # critical posts count three times
    clf = EscalationClassifier(max_iter=10, min_samples_leaf=3, n_folds=2).fit(X, y, sample_weight=w)
    assert clf.training_rates_["critical"] == pytest.approx(24 / 48)
    with pytest.raises(ValueError, match="one positive weight per post"):
        EscalationClassifier(n_folds=2).fit(X, y, sample_weight=w[:-1])


def test_the_held_out_split_is_fixed_by_the_text():
    data = read_labelled_csv([write_csv_tmp(MINE)])
    own_train, held = retrain.split_own(data)
    assert len(own_train) + len(held) == len(MINE) and 20 <= len(held) <= 45
    assert retrain.is_own_heldout("Hallo @anna https://t.co/x MOIN") == retrain.is_own_heldout("hallo moin")


def write_csv_tmp(rows, name="mine.csv"):
    import tempfile
    from pathlib import Path

    return write_csv(Path(tempfile.mkdtemp()) / name, rows)


def test_base_default_without_the_corpus_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(retrain, "checkout_corpus_dir", lambda: tmp_path / "nowhere")
    mine = write_csv(tmp_path / "mine.csv", MINE)
    assert main(["train", "--base", "default", str(mine), "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert "needs the shipped corpus (training/data/train_*.csv)" in err and "source checkout" in err


def test_base_options_need_base(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "x.csv", "--out", str(tmp_path / "m"), "--force"])
    assert "go with --base" in capsys.readouterr().err


def test_a_worse_model_is_refused_then_forced(tmp_path, tiny_model_dir, capsys):
    """A corpus with every level flipped, weighing far more than the team's rows, makes a model
    that is worse on the team's held-out rows than the one in --out: it is refused, the
    directory is left as it was; --force writes it, and its card describes the team's data."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    flipped = [(t, FLIP[lv], int(FLIP[lv] == "critical" and i % 2 == 0)) for i, (t, lv, _) in enumerate(TINY_CORPUS)]
    write_csv(corpus / "train_flipped.csv", flipped * 2)
    write_csv(corpus / "test_a.csv", TINY_CORPUS)
    mine = write_csv(tmp_path / "mine.csv", MINE)
    out = tmp_path / "model"
    shutil.copytree(tiny_model_dir, out)
    before = (out / "manifest.json").read_bytes()
    argv = ["train", "--base", str(corpus), str(mine), "--out", str(out), "--folds", "2", "--own-weight", "0.01",
            "--base-weight", "5", "--quiet"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "worse on your held-out rows" in err and "--force" in err and "Traceback" not in err
    assert (out / "manifest.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no candidate left behind

    assert main(argv + ["--force"]) == 0
    captured = capsys.readouterr()
    assert "your held-out rows" in captured.out and "shipped test split" in captured.out
    assert "x 0.01" in captured.out and "default" in captured.out and "existing" in captured.out
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    own = manifest["own_data"]
    assert own["files"] == ["mine.csv"] and own["own_weight"] == 0.01 and own["base_weight"] == 5.0
    assert own["own_trained"] + own["own_heldout"] == len(MINE)
    assert set(own["comparison"]["own_heldout"]) == {"default", "existing", "new"}
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "`mine.csv`" in card and "held out by a fixed rule" in card and "this model" in card
    assert "training/data/" not in card and "written for this project" not in card


def test_plain_training_on_own_files_gets_a_card_of_its_own(tiny_model_dir, tiny_csv):
    from shitstorm.train.card import render_card

    manifest = json.loads((tiny_model_dir / "manifest.json").read_text(encoding="utf-8"))
    assert "training/data/" in render_card(manifest)  # without own_data: the shipped corpus's card
    data = read_labelled_csv([tiny_csv])
    manifest["own_data"] = retrain.own_files_data([tiny_csv], data)
    card = render_card(manifest)
    assert "a team's own model" in card and "`tiny.csv`" in card and "training/data/" not in card
    assert "level critical 16" in card
    corpus = sorted(retrain.checkout_corpus_dir().glob("train_*.csv"))[:2]
    assert retrain.own_files_data(corpus, data) is None  # reproducing the shipped model
