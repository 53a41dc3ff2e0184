"""One base exception: every error this package raises on purpose is a ``ShitstormError``.

Each also keeps the built-in base it always had (``ValueError`` for bad input, ``RuntimeError``
for a model file that does not check out), so existing ``except ValueError`` code still works:

    try:
        model = shitstorm.load("mymodel/")
    except shitstorm.ShitstormError as exc:
        print(exc)  # says what is wrong and what to do next
"""

from __future__ import annotations


class ShitstormError(Exception):
    """Base of every exception shitstorm raises on purpose."""


class DataError(ShitstormError, ValueError):
    """A data file (training, evaluation, review) is unusable; the message names file, row and
    problem. Also importable as ``shitstorm.train.dataset.DataError`` (the same class)."""
