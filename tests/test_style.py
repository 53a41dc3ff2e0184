"""``shitstorm/text/style.py``: the style counts (caps, floods, emoji) packed into one integer per
token. ``StyleFeatures``, the model's view of them, is in tests/test_features.py."""


def test_style_counts_unpack_like_shifts_and_masks():
    import random

    from shitstorm.text import style

    rng = random.Random(7)
    for _ in range(200):
        counts = [rng.choice([0, 1, 3, 2**31, 2**32 - 1]) for _ in range(style._N_FIELDS)]
        packed = style._pack(dict(enumerate(counts)))
        assert style._unpack(packed) == counts
