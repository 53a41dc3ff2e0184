"""``shitstorm/train/card.py`` (and ``own_card.py``, which ``render_card`` hands a team's own model
to): the model card is rendered from the manifest. The shipped card matching the shipped
manifest: tests/test_reproduction.py."""

import json

from shitstorm.train import retrain
from shitstorm.train.dataset import read_labelled_csv


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
