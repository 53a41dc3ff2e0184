"""``score_frame(df)``: the score columns on a pandas DataFrame.

    scored = df.pipe(shitstorm.score_frame, text="text", triage=True)
    scored[scored.level == "critical"]

The appended columns have the names and types of the Parquet schema (``shitstorm.arrow``), as
pandas dtypes, so ``scored.to_parquet(...)`` writes what ``shitstorm batch`` writes:

==================================  ==========================  =================================
column                              pandas dtype                Arrow type (``shitstorm.arrow``)
==================================  ==========================  =================================
escalation, publicity_pressure      float64                     double
level, model_version                string                      string
reasons                             object: list of dicts       list<struct<cue, text, start,
                                    (cue, text, start, end,     end, negated>>
                                    negated)
flags                               object: list of str         list<string>
pii (``pii=True``)                  object: list of str         list<string>: kinds, never data
priority, route (``triage=True``)   string                      string
respond_within (``triage=True``)    int32                       int32 (minutes)
tags (``triage=True``)              object: list of str         list<string>
==================================  ==========================  =================================

No pyarrow needed. The index is kept; a missing text (None, NaN, ``pd.NA``) is scored as empty
input (level ``none``, flag ``empty``), like a null in Parquet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .schema import PII_OUTPUT, SCORE_OUTPUT, TRIAGE_OUTPUT, score_record

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .model import Model
    from .policy import Policy

DTYPES: dict[str, str] = {
    "probability": "float64", "level": "string", "reasons": "object", "text": "string", "flags": "object",
    "pii": "object", "priority": "string", "minutes": "int32", "route": "string", "tags": "object",
}
"""The pandas dtype of each kind of ``shitstorm.schema.OutputField`` (the pandas side of
``shitstorm.arrow.ARROW_TYPES``; a test holds them together)."""

SCORE_DTYPES: tuple[tuple[str, str], ...] = tuple((f.name, DTYPES[f.kind]) for f in SCORE_OUTPUT)
PII_DTYPE: tuple[str, str] = (PII_OUTPUT.name, DTYPES[PII_OUTPUT.kind])
TRIAGE_DTYPES: tuple[tuple[str, str], ...] = tuple((f.name, DTYPES[f.kind]) for f in TRIAGE_OUTPUT)
"""The columns of ``shitstorm.schema.output_fields``, with their pandas dtypes."""


def _texts(column: pd.Series, name: str) -> list[str]:
    import pandas as pd

    out: list[str] = []
    for index, value in column.items():
        if isinstance(value, str):
            out.append(value)
        elif value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
            out.append("")
        else:
            raise TypeError(f"column {name!r} holds {type(value).__name__} at index {index!r}, not text; "
                            f"cast it first: df[{name!r}].astype('string')")
    return out


def score_frame(df: pd.DataFrame, text: str = "text", pii: bool = False, triage: bool = False, *,
                prefix: str = "", model: Model | None = None, policy: Policy | None = None) -> pd.DataFrame:
    """``df`` with the score columns appended (and ``pii``, and the triage columns with
    ``triage=True``, decided by ``policy``), same index, same row order. ``df`` is not changed.

    ``model`` defaults to the bundled one; ``prefix`` names the new columns apart when ``df``
    already has a column of that name (a clash is a ``ValueError``).
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"score_frame takes a pandas DataFrame, not {type(df).__name__}")
    if text not in df.columns:
        raise KeyError(f"no column {text!r} (columns: {', '.join(map(str, df.columns))}); "
                       "name the text column with text=...")
    fields = list(SCORE_DTYPES) + ([PII_DTYPE] if pii else []) + (list(TRIAGE_DTYPES) if triage else [])
    names = [prefix + name for name, _ in fields]
    clash = [n for n in names if n in df.columns]
    if clash:
        raise ValueError(f"the DataFrame already has column(s) {', '.join(clash)}; use prefix='shitstorm_'")
    if model is None:
        from .model import default_model

        model = default_model()
    scores = model.score_many(_texts(df[text], text))
    decisions: list[Any] | None = None
    if triage:
        from .policy import triage as decide

        decisions = [decide(s, policy) for s in scores]
    records = [score_record(s, decisions[k] if decisions is not None else None, pii="kinds" if pii else None,
                            exact=True) for k, s in enumerate(scores)]
    columns: dict[str, list[Any]] = {name: [r[name] for r in records] for name, _ in fields}
    appended = pd.DataFrame({prefix + name: pd.Series(columns[name], index=df.index, dtype=dtype)
                             for name, dtype in fields}, index=df.index)
    return pd.concat([df, appended], axis=1)
