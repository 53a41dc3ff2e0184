"""Score a Spark DataFrame of posts: the same numbers as ``score_many``, on every executor.

    from shitstorm.spark import score
    scored = score(spark.read.parquet("s3://bucket/posts/"), text_col="text", triage=True)
    scored.write.parquet("s3://bucket/scored/")

``score`` adds typed columns (``shitstorm.arrow.score_schema``) to the DataFrame, lazily: nothing
is collected to the driver. Executors exchange Arrow record batches with Python
(``DataFrame.mapInArrow``, the Arrow sibling of ``mapInPandas``): each batch's texts go through
``Model.score_many`` and come back as the columns ``shitstorm.arrow.score_arrays`` builds, the
ones ``shitstorm batch`` writes to Parquet.

The model is loaded once per Python worker process on the executors (Spark reuses them across
tasks), from the installed package, sha256-verified like ``shitstorm.load``; it is never pickled
and shipped from the driver. Install the wheel on the cluster (``pip install 'shitstorm[spark]'``).

Needs pyspark ≥ 3.5 and pyarrow (``pip install 'shitstorm[spark]'``).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from pathlib import Path

try:
    import pyarrow as pa
    from pyspark.sql import types as T
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("shitstorm.spark needs pyspark and pyarrow: pip install 'shitstorm[spark]'") from exc

from .arrow import score_arrays, score_schema

__all__ = ["score", "spark_schema"]

_MODELS: dict = {}
"""Per Python worker process: model directory (``None`` = bundled) → loaded ``Model``."""


def _worker_model(model_path: str | None):
    model = _MODELS.get(model_path)
    if model is None:
        from .model import default_model, load

        model = default_model() if model_path is None else load(model_path)
        _MODELS[model_path] = model
    return model


def _spark_type(t: pa.DataType) -> T.DataType:
    """The Spark type of one of the Arrow types in ``shitstorm.arrow``."""
    if pa.types.is_float64(t):
        return T.DoubleType()
    if pa.types.is_int32(t):
        return T.IntegerType()
    if pa.types.is_boolean(t):
        return T.BooleanType()
    if pa.types.is_string(t):
        return T.StringType()
    if pa.types.is_list(t):
        return T.ArrayType(_spark_type(t.value_type), containsNull=True)
    if pa.types.is_struct(t):
        return T.StructType([T.StructField(f.name, _spark_type(f.type), True) for f in t])
    raise TypeError(f"no Spark type for Arrow type {t}")  # a new column type needs a case here


def spark_schema(prefix: str = "", *, triage: bool = False) -> T.StructType:
    """The Spark schema of the columns ``score`` appends, derived from ``shitstorm.arrow``."""
    return T.StructType([T.StructField(f.name, _spark_type(f.type), True)
                         for f in score_schema(prefix, pii=True, triage=triage)])


def _score_batches(batches: Iterator[pa.RecordBatch], *, text_col: str, model_path: str | None,
                   triage: bool, policy, prefix: str) -> Iterator[pa.RecordBatch]:
    """Runs on the executors: each input batch plus its score columns."""
    model = _worker_model(model_path)
    if triage:
        from .policy import triage as decide
    for batch in batches:
        # a null text is a missing post: the library's result for empty input (flag "empty")
        texts = ["" if t is None else t for t in batch.column(text_col).to_pylist()]
        scores = model.score_many(texts)
        triages = [decide(s, policy) for s in scores] if triage else None
        new = score_arrays(scores, triages, prefix, pii=True)
        yield pa.RecordBatch.from_arrays(list(batch.columns) + list(new.columns),
                                         names=list(batch.schema.names) + list(new.schema.names))


def score(df, text_col: str = "text", triage: bool = False, *, prefix: str = "",
          model: str | Path | None = None, policy=None):
    """``df`` with the score columns appended (lazily; nothing is collected to the driver).

    Columns: ``escalation`` double, ``level`` string, ``publicity_pressure`` double, ``reasons``
    array<struct<cue, text, start, end, negated>>, ``model_version`` string, ``flags``
    array<string>, ``pii`` array<string> (kinds of personal data, not the data); with
    ``triage=True`` also ``priority`` string, ``respond_within`` int, ``route`` string, ``tags``
    array<string> (from ``policy``, a ``shitstorm.Policy``, default: the built-in policy).
    ``prefix`` names the new columns apart (``prefix="shitstorm_"``).

    ``model`` is a model directory every executor can read (default: the bundled model). A null
    text scores as empty input; a ``text_col`` that is not a string column is a ``TypeError``,
    raised here before any job runs.
    """
    if text_col not in df.columns:
        raise ValueError(f"no column {text_col!r} in the DataFrame (columns: {', '.join(df.columns)})")
    dtype = df.schema[text_col].dataType
    if not isinstance(dtype, T.StringType):
        raise TypeError(f"column {text_col!r} is {dtype.simpleString()}, not string: shitstorm scores "
                        f"text; cast it (df.withColumn({text_col!r}, df[{text_col!r}].cast('string'))) "
                        "or pass the text column as text_col")
    if policy is not None:
        from .policy import Policy

        if not triage:
            raise ValueError("policy is used by triage; pass triage=True")
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a shitstorm.Policy, not {type(policy).__name__}")
    new = spark_schema(prefix, triage=triage)
    clash = [f.name for f in new if f.name in df.columns]
    if clash:
        raise ValueError(f"the DataFrame already has column(s) {', '.join(clash)}; "
                         "pass prefix='shitstorm_' to name the new ones apart")
    out_schema = T.StructType(list(df.schema.fields) + list(new.fields))
    func = functools.partial(_score_batches, text_col=text_col,
                             model_path=None if model is None else str(model),
                             triage=triage, policy=policy, prefix=prefix)
    with warnings.catch_warnings():
        # PySpark warns about pandas >= 3 when it builds any Arrow-exchanging function; this one
        # exchanges Arrow record batches only, so no pandas conversion happens on its data.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                                category=FutureWarning)
        return df.mapInArrow(func, out_schema)
