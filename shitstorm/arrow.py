"""One typed schema for the score columns appended to Parquet files and Spark DataFrames.

``shitstorm batch`` (Parquet output) and ``shitstorm.spark.score`` both build their new columns
with ``score_arrays``, so a column means the same thing, with the same Arrow type, wherever it
lands. Spark's ``StructType`` is derived from ``score_schema`` (``shitstorm.spark``).

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

from .schema import PII_KINDS, Score

REASON_TYPE = pa.struct([
    pa.field("cue", pa.string()),
    pa.field("text", pa.string()),
    pa.field("start", pa.int32()),
    pa.field("end", pa.int32()),
    pa.field("negated", pa.bool_()),
])
"""One ``Reason``: cue family, matched words, offsets into the post as scored, negated."""

SCORE_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("escalation", pa.float64()),
    ("level", pa.string()),
    ("publicity_pressure", pa.float64()),
    ("reasons", pa.list_(REASON_TYPE)),
    ("model_version", pa.string()),
    ("flags", pa.list_(pa.string())),
)
PII_FIELD: tuple[str, pa.DataType] = ("pii", pa.list_(pa.string()))
"""Kinds of personal data found, in ``PII_KINDS`` order; never the data itself."""

TRIAGE_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("priority", pa.string()),
    ("respond_within", pa.int32()),
    ("route", pa.string()),
    ("tags", pa.list_(pa.string())),
)


def score_schema(prefix: str = "", *, pii: bool = True, triage: bool = False) -> pa.Schema:
    """The Arrow schema of the appended columns, in order."""
    fields = list(SCORE_FIELDS) + ([PII_FIELD] if pii else []) + (list(TRIAGE_FIELDS) if triage else [])
    return pa.schema([pa.field(prefix + name, typ) for name, typ in fields])


def pii_kinds(score: Score) -> list[str]:
    """The kinds of personal data in a score, each once, in ``PII_KINDS`` order."""
    found = {f.kind for f in score.pii}
    return [k for k in PII_KINDS if k in found]


def score_arrays(scores: Sequence[Score], triages: Sequence | None = None, prefix: str = "", *,
                 pii: bool = True) -> pa.RecordBatch:
    """The appended columns for ``scores`` (and their ``Triage`` objects) as one record batch
    with ``score_schema(prefix, pii=pii, triage=triages is not None)``."""
    schema = score_schema(prefix, pii=pii, triage=triages is not None)
    columns = [
        [float(s.escalation) for s in scores],
        [s.level for s in scores],
        [float(s.publicity_pressure) for s in scores],
        [[{"cue": r.cue, "text": r.text, "start": r.start, "end": r.end, "negated": r.negated}
          for r in s.reasons] for s in scores],
        [s.model_version for s in scores],
        [list(s.flags) for s in scores],
    ]
    if pii:
        columns.append([pii_kinds(s) for s in scores])
    if triages is not None:
        if len(triages) != len(scores):
            raise ValueError(f"{len(triages)} triage decisions for {len(scores)} scores")
        columns += [
            [t.priority for t in triages],
            [int(t.respond_within) for t in triages],
            [t.route for t in triages],
            [list(t.tags) for t in triages],
        ]
    arrays = [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=False)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
