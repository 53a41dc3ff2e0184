"""The labelled corpus in training/data/ meets the brief (issue #3)."""

from collections import Counter

import pytest

from shitstorm.schema import LEVELS
from training.corpus import NEAR_DUPLICATE_JACCARD, corpus_paths, near_duplicates, read_posts

MIN_POSTS = 6_000
MIN_LEVEL_SHARE = 0.15
MIN_PRESSURE = 1_200
MIN_PRESSURE_FORMS = 10
MIN_HARD_NEGATIVES = 1_000
MIN_INDUSTRIES = 12
MIN_TEST = 1_200
MAX_NEAR_DUPLICATE_SHARE = 0.01


@pytest.fixture(scope="module")
def posts():
    return read_posts(corpus_paths())  # raises CorpusError on any schema problem


def test_size_and_balance(posts):
    assert len(posts) >= MIN_POSTS
    levels = Counter(p.level for p in posts)
    for lv in LEVELS:
        assert levels[lv] / len(posts) >= MIN_LEVEL_SHARE, (lv, levels[lv])


def test_publicity_pressure_is_plentiful_and_varied(posts):
    pressure = [p for p in posts if p.publicity_pressure]
    assert len(pressure) >= MIN_PRESSURE
    assert len({p.pressure_form for p in pressure}) >= MIN_PRESSURE_FORMS
    assert all(p.level == "critical" for p in pressure)


def test_hard_negatives(posts):
    hard = [p for p in posts if p.hard_negative]
    assert len(hard) >= MIN_HARD_NEGATIVES
    assert all(p.level in ("none", "low") and not p.publicity_pressure for p in hard)


def test_breadth(posts):
    assert len({p.industry for p in posts}) >= MIN_INDUSTRIES
    assert len({p.channel for p in posts}) >= 6
    lengths = [len(p.text) for p in posts]
    assert min(lengths) <= 10 and max(lengths) >= 600


def test_test_split_is_separate_batches(posts):
    test = [p for p in posts if p.split == "test"]
    assert len(test) >= MIN_TEST
    # written in separate batches: a file holds one split only
    by_file = {}
    for p in posts:
        by_file.setdefault(p.source.split(":")[0], set()).add(p.split)
    assert all(len(s) == 1 for s in by_file.values())
    train_texts = {p.text.strip().casefold() for p in posts if p.split == "train"}
    leaked = [p.id for p in test if p.text.strip().casefold() in train_texts]
    assert not leaked


def test_near_duplicates_below_one_percent(posts):
    rep = near_duplicates(posts, sample_pairs=50_000)
    print(f"\nnear-duplicates (5-gram Jaccard > {NEAR_DUPLICATE_JACCARD}): "
          f"{rep.posts_with_near_duplicate} posts ({rep.post_rate:.2%}), "
          f"{rep.sampled_pairs_near_duplicate} of {rep.sampled_pairs} sampled pairs")
    assert rep.sampled_pair_rate <= MAX_NEAR_DUPLICATE_SHARE
    assert rep.post_rate <= MAX_NEAR_DUPLICATE_SHARE
