"""``shitstorm/train/datacheck.py``: whether labelled rows are enough to train, with a warning for
small classes and a clear error (naming the class and its count) when they are too few."""

import pytest

from shitstorm.train.datacheck import check_trainable
from shitstorm.train.dataset import DataError


def test_small_data_trains_with_a_warning():
    assert check_trainable([0, 1, 2, 3] * 10, [0, 0, 0, 1] * 10, folds=2)[0].startswith(
        "the training data: only 40 labelled rows")
    with pytest.raises(DataError, match="publicity_pressure 1 has 3"):
        check_trainable([0, 1, 2, 3] * 10, [0] * 37 + [1] * 3, folds=2)
    with pytest.raises(DataError, match="at least 10 rows"):
        check_trainable([0, 1, 2, 3] * 8, [0, 0, 0, 1] * 8, folds=10)
