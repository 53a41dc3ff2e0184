"""One typed schema for the score columns appended to Parquet files and Spark DataFrames.

``shitstorm batch`` (Parquet output) and ``shitstorm.spark.score`` both build their new columns
with ``score_arrays``, so a column means the same thing, with the same Arrow type, wherever it
lands. Spark's ``StructType`` is derived from ``score_schema`` (``shitstorm.spark``). The columns
and their values are ``shitstorm.schema``'s (``output_fields``, ``score_record``); this module
adds the Arrow type of each kind of field (``ARROW_TYPES``).

Unlike CSV and JSON lines, which round to 4 decimals, these columns carry the probabilities
exactly as ``score_many`` returns them.

Needs pyarrow (``pip install 'shitstorm[parquet]'``).
"""

from __future__ import annotations

from collections.abc import Sequence

try:
    import pyarrow as pa
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("Parquet and Spark output need pyarrow: pip install 'shitstorm[parquet]'") from exc

from .schema import PII_OUTPUT, SCORE_OUTPUT, TRIAGE_OUTPUT, OutputField, Score, score_record

REASON_TYPE = pa.struct([
    pa.field("cue", pa.string()),
    pa.field("text", pa.string()),
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("negated", pa.bool_()),
])
"""One ``Reason``: cue family, matched words, offsets into the post as scored, negated."""

ARROW_TYPES: dict[str, pa.DataType] = {
    "probability": pa.float64(), "level": pa.string(), "reasons": pa.list_(REASON_TYPE),
    "text": pa.string(), "flags": pa.list_(pa.string()), "pii": pa.list_(pa.string()),
    "priority": pa.string(), "minutes": pa.int32(), "route": pa.string(), "tags": pa.list_(pa.string()),
}
"""The Arrow type of each kind of ``shitstorm.schema.OutputField``; ``pii`` holds the kinds of
personal data found, in ``PII_KINDS`` order, never the data itself."""


def _typed(fields: tuple[OutputField, ...]) -> tuple[tuple[str, pa.DataType], ...]:
    return tuple((f.name, ARROW_TYPES[f.kind]) for f in fields)


SCORE_FIELDS: tuple[tuple[str, pa.DataType], ...] = _typed(SCORE_OUTPUT)
PII_FIELD: tuple[str, pa.DataType] = _typed((PII_OUTPUT,))[0]
TRIAGE_FIELDS: tuple[tuple[str, pa.DataType], ...] = _typed(TRIAGE_OUTPUT)


def score_schema(prefix: str = "", *, pii: bool = True, triage: bool = False) -> pa.Schema:
    """The Arrow schema of the appended columns, in order."""
    fields = list(SCORE_FIELDS) + ([PII_FIELD] if pii else []) + (list(TRIAGE_FIELDS) if triage else [])
    return pa.schema([pa.field(prefix + name, typ) for name, typ in fields])


def score_arrays(scores: Sequence[Score], triages: Sequence | None = None, prefix: str = "", *,
                 pii: bool = True) -> pa.RecordBatch:
    """The appended columns for ``scores`` (and their ``Triage`` objects) as one record batch
    with ``score_schema(prefix, pii=pii, triage=triages is not None)``: ``score_record``'s values,
    probabilities as scored."""
    if triages is not None and len(triages) != len(scores):
        raise ValueError(f"{len(triages)} triage decisions for {len(scores)} scores")
    schema = score_schema(prefix, pii=pii, triage=triages is not None)
    records = [score_record(s, triages[k] if triages is not None else None, pii="kinds" if pii else None,
                            exact=True) for k, s in enumerate(scores)]
    arrays = [pa.array([r[field.name[len(prefix):]] for r in records], type=field.type) for field in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
