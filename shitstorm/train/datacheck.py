"""Is a labelled set big enough? One rule for training (an error below a minimum per class, a
warning below a sensible size) and for evaluation (a warning where a figure rests on few rows).

Before this check, two rows gave a scikit-learn traceback and 24 rows trained silently to a model
that scored every post critical at 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..schema import LEVELS
from .dataset import DataError

MIN_ROWS_PER_CLASS = 5
"""Training refuses fewer rows than this of any level or pressure value (or fewer than the
cross-validation folds, if more): every fold must see both sides of every head, or its text head
and booster cannot be fitted."""

FEW_ROWS_PER_CLASS = 30
"""Below this many rows of a class, its figures rest on too few posts to mean much (a share
estimated from 30 rows is ±0.18 at 95%); training and evaluation warn."""

SENSIBLE_TRAINING_ROWS = 300
"""Training from fewer labelled rows warns: the model learns the handful of wordings it saw.
Training on top of the shipped corpus (``train --base default``) is the way out."""


def class_counts(levels: ArrayLike, pressure: ArrayLike) -> dict[str, int]:
    """Rows per level and per publicity-pressure value, keyed ``level none`` … ``pressure 1``."""
    lv = np.asarray(levels, dtype=int)
    pp = np.asarray(pressure, dtype=int)
    out = {f"level {name}": int((lv == i).sum()) for i, name in enumerate(LEVELS)}
    out["publicity_pressure 0"] = int((pp == 0).sum())
    out["publicity_pressure 1"] = int((pp == 1).sum())
    return out


def few_rows_warnings(counts: dict[str, int], minimum: int = FEW_ROWS_PER_CLASS) -> list[str]:
    """One plain sentence naming the classes with fewer than ``minimum`` rows (none if there are none)."""
    few = [f"{cls} ({n})" for cls, n in counts.items() if n < minimum]
    if not few:
        return []
    return [f"fewer than {minimum} rows of {', '.join(few)}: figures that rest on "
            f"{'this class' if len(few) == 1 else 'these classes'} are uncertain"]


def check_trainable(levels: Sequence[int], pressure: Sequence[int], *, folds: int = 5,
                    where: str = "the training data", on_base: bool = False) -> list[str]:
    """Raise ``DataError`` when a class has fewer than ``max(MIN_ROWS_PER_CLASS, folds)`` rows;
    return warnings when the set is small (fewer than ``SENSIBLE_TRAINING_ROWS`` rows, or a class
    under ``FEW_ROWS_PER_CLASS``). ``on_base``: already on top of a corpus (no advice to be)."""
    counts = class_counts(levels, pressure)
    minimum = max(MIN_ROWS_PER_CLASS, folds)
    short = [f"{cls} has {n}" for cls, n in counts.items() if n < minimum]
    if short:
        raise DataError(
            f"{where}: too few rows to train: {', '.join(short)}; every level and both publicity_pressure "
            f"values need at least {minimum} rows (one per cross-validation fold). Label more, or train on "
            "top of the shipped corpus: shitstorm train --base default FILE …")
    out = []
    total = len(levels)
    if total < SENSIBLE_TRAINING_ROWS:
        out.append(f"{where}: only {total} labelled rows; a model from fewer than {SENSIBLE_TRAINING_ROWS} "
                   "learns little more than the wordings it saw"
                   + ("" if on_base else ". Consider training on top of the shipped corpus: "
                      "shitstorm train --base default FILE …"))
    out += [f"{where}: {w}" for w in few_rows_warnings(counts)]
    return out
