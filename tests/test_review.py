"""shitstorm review: what to label next, in the training schema, deterministic with a seed."""

import csv

import numpy as np
import pytest

from shitstorm.cli import main
from shitstorm.train.dataset import DataError, read_labelled_csv
from shitstorm.train.review import disagreement, read_posts, select

from .conftest import TINY_CORPUS, write_csv

POSTS = [(f"p{i}", f"{t} ({i})", "facebook") for i, (t, _, _) in enumerate(TINY_CORPUS * 4)]


@pytest.fixture
def posts_csv(tmp_path):
    return write_csv(tmp_path / "posts.csv", POSTS, header=("id", "text", "channel"))


def _run(model_dir, src, out, *extra):
    assert main(["review", "--model", str(model_dir), str(src), "-o", str(out), *extra]) == 0
    with open(out, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_output_is_the_training_schema_with_empty_labels(tiny_model_dir, posts_csv, tmp_path, capsys):
    rows = _run(tiny_model_dir, posts_csv, tmp_path / "out.csv", "-n", "20")
    assert len(rows) == 20
    assert list(rows[0])[:3] == ["text", "level", "publicity_pressure"]
    assert {"id", "channel", "source_line", "review_reason"} <= set(rows[0])
    assert all(r["level"] == "" and r["publicity_pressure"] == "" for r in rows)
    by_id = {p[0]: p[1] for p in POSTS}
    assert all(by_id[r["id"]] == r["text"] for r in rows)
    err = capsys.readouterr().err
    assert "20 of 128 posts picked" in err and "BILD" not in err  # counts, never post text


def test_same_seed_same_rows_other_seed_other_spread(tiny_model_dir, posts_csv, tmp_path):
    a = _run(tiny_model_dir, posts_csv, tmp_path / "a.csv", "-n", "40", "--seed", "3")
    b = _run(tiny_model_dir, posts_csv, tmp_path / "b.csv", "-n", "40", "--seed", "3")
    c = _run(tiny_model_dir, posts_csv, tmp_path / "c.csv", "-n", "40", "--seed", "4")
    assert a == b and [r["id"] for r in a] != [r["id"] for r in c]


def test_the_picks_mix_uncertain_disagreeing_and_spread():
    rng = np.random.default_rng(0)
    n_posts = 400
    ge_low = rng.uniform(0, 1, n_posts)
    nested = {"ge_low": ge_low, "escalation": ge_low * 0.6, "critical": ge_low * 0.3,
              "publicity_pressure": ge_low * 0.1}
    raw = dict(nested)
    raw["publicity_pressure"] = nested["publicity_pressure"].copy()
    raw["publicity_pressure"][:5] = 0.9  # pressure sure, the outer heads not: disagreement
    picks = select(raw, nested, 40, seed=0)
    reasons = [r for _, r in picks]
    assert sorted(i for i, r in picks if r == "disagreement") == [0, 1, 2, 3, 4]
    assert reasons.count("spread") == 10 and len(picks) == 40
    unsure = [i for i, r in picks if r == "uncertain:escalation"]
    assert all(abs(nested["escalation"][i] - 0.5) < 0.1 for i in unsure)
    spread = sorted(nested["escalation"][i] for i, r in picks if r == "spread")
    assert spread[0] < 0.1 and spread[-1] > 0.45  # from the whole range
    assert disagreement(raw)[0] == pytest.approx(0.9 - nested["critical"][0])


def test_labelled_output_trains_after_labelling(tiny_model_dir, posts_csv, tmp_path):
    rows = _run(tiny_model_dir, posts_csv, tmp_path / "out.csv", "-n", "10")
    for r in rows:
        r["level"], r["publicity_pressure"] = "low", "0"
    with open(tmp_path / "labelled.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    data = read_labelled_csv([tmp_path / "labelled.csv"])
    assert len(data) == 10 and set(data.ignored_columns) == {"id", "channel", "source_line", "review_reason"}


def test_label_columns_of_the_input_are_dropped_and_said(tiny_model_dir, tmp_path, capsys):
    src = write_csv(tmp_path / "scored.csv", [("Frechheit!!!", "critical", "0.9"), ("Danke", "none", "0.0")])
    rows = _run(tiny_model_dir, src, tmp_path / "out.csv", "-n", "5")
    assert len(rows) == 2 and all(r["level"] == "" for r in rows)
    err = capsys.readouterr().err
    assert "input columns level, publicity_pressure dropped" in err and "2 posts picked" in err


def test_repeats_and_empty_posts_are_skipped(tiny_model_dir, tmp_path, capsys):
    src = write_csv(tmp_path / "p.csv", [("Frechheit!!!",), ("frechheit!!!  ",), ("   ",), ("Danke",)],
                    header=("text",))
    rows = _run(tiny_model_dir, src, tmp_path / "out.csv", "-n", "5")
    assert [r["source_line"] for r in rows] == ["2", "5"]


@pytest.mark.parametrize("content,msg", [
    ("id,body\n1,Hallo\n", r"p.csv:1: missing column\(s\) text; found id, body; choose one with --text-column"),
    ("text,x\nHallo,1\n\"a\",1,2\n", "p.csv:3: 3 fields, the header has 2"),
])
def test_bad_posts_file_names_the_line(tmp_path, content, msg):
    src = tmp_path / "p.csv"
    src.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=msg):
        read_posts(src)


def test_bad_posts_file_at_the_command_line(tiny_model_dir, tmp_path, capsys):
    src = tmp_path / "p.csv"
    src.write_bytes("text\nKündigung\n".encode("latin-1"))
    assert main(["review", "--model", str(tiny_model_dir), str(src)]) == 1
    assert "p.csv:2: not UTF-8" in capsys.readouterr().err
