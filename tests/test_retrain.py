"""Training on small data, and train --base: a team's rows on top of a corpus (issue #15)."""

import json
import shutil

import pytest

from shitstorm.cli import main
from shitstorm.train import retrain
from shitstorm.train.dataset import read_labelled_csv

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


