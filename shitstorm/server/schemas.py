"""Request and response bodies of the HTTP API (pydantic models: they are the OpenAPI schema).

The response bodies are the dicts the library emits (``Score.to_dict()``, ``Triage.to_dict()``),
described field by field so that clients can be generated from ``/openapi.json``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    create_model,
    field_validator,
)

from ..policy import CONTEXT_FIELDS, CONTEXT_KINDS, PRIORITIES, ROUTES, context_value
from ..schema import CHANNELS, FLAGS, LEVELS, PII_KINDS, REASON_KINDS, output_fields

MAX_TEXT_CHARS = 100_000
"""Longest post text accepted (422 above it). The model reads the first 10,000 characters; the
rest of a 100,000-character text is still scanned for personal data."""
MAX_BATCH_POSTS = 1_000
"""Posts per ``/v1/score/batch`` request (422 above it): a batch answers in well under a second."""
MAX_BATCH_CHARS = 1_000_000
"""Characters of all texts of one ``/v1/score/batch`` request together (422 above it): 1,000
posts of 1,000 characters. Scoring time and memory grow with the characters, not the posts;
1,000 posts of 10,000 characters took 15 s and 300 MB. Send long posts in smaller batches."""

_CONTEXT_JSON_SCHEMA = {
    "channel": {"enum": list(CHANNELS), "type": "string"},
    "count": {"minimum": 0.0, "type": "integer"},
    "minutes": {"minimum": 0.0, "type": "number"},
}
"""The OpenAPI type of each kind of context field (``shitstorm.policy.CONTEXT_KINDS``)."""


def _context_field(name: str):
    """A context field checked by the library's one check (``shitstorm.policy.context_value``:
    a 422 naming the field, without the value); its OpenAPI type says the same."""
    schema = _CONTEXT_JSON_SCHEMA[CONTEXT_KINDS[name]]
    return (Annotated[Any, PlainValidator(partial(context_value, name)),
                      WithJsonSchema({"anyOf": [schema, {"type": "null"}]})], None)


ContextIn = create_model(
    "ContextIn",
    __config__=ConfigDict(extra="forbid"),
    __doc__="What the helpdesk knows about the post besides its text (all optional); see ``triage``.",
    __module__=__name__,
    **{name: _context_field(name) for name in CONTEXT_FIELDS},
)


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Wenn ich bis morgen nichts höre, geht das an die BILD!",
         "context": {"channel": "facebook", "followers": 12000}}]})

    text: StrictStr = Field(..., max_length=MAX_TEXT_CHARS, description="the post, as posted")
    context: ContextIn | None = None  # type: ignore[valid-type]  # built by create_model


class BatchPost(ScoreRequest):
    id: StrictStr = Field(..., max_length=200, description="your id of the post, echoed back")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    posts: list[BatchPost] = Field(..., max_length=MAX_BATCH_POSTS,
                                   description=f"at most {MAX_BATCH_POSTS:,} posts and {MAX_BATCH_CHARS:,} "
                                               "characters of text together")

    @field_validator("posts")
    @classmethod
    def _total_characters(cls, posts: list[BatchPost]) -> list[BatchPost]:
        total = sum(len(p.text) for p in posts)
        if total > MAX_BATCH_CHARS:
            raise ValueError(f"the texts hold {total:,} characters together, over the limit of "
                             f"{MAX_BATCH_CHARS:,}; send them in smaller batches")
        return posts


class ReasonOut(BaseModel):
    cue: Literal[REASON_KINDS]  # type: ignore[valid-type]
    text: str
    start: int
    end: int
    negated: bool


class PiiOut(BaseModel):
    kind: Literal[PII_KINDS]  # type: ignore[valid-type]
    text: str
    start: int
    end: int


_SCORE_TYPES = {
    "probability": Annotated[float, Field(ge=0, le=1)],
    "level": Literal[LEVELS],
    "reasons": list[ReasonOut],
    "text": str,
    "flags": list[Literal[FLAGS]],  # type: ignore[valid-type]
    "pii": list[PiiOut],
}
"""The OpenAPI type of each kind of ``shitstorm.schema.OutputField`` in a score."""

ScoreOut = create_model(  # type: ignore[call-overload]  # fields from schema.output_fields
    "ScoreOut",
    __module__=__name__,
    **{f.name: (_SCORE_TYPES[f.kind], Field(..., description=f.doc))
       for f in output_fields(pii=True)},
)
"""``Score.to_dict()``: the fields of ``shitstorm.schema.output_fields``."""


class AdviceOut(BaseModel):
    id: str
    text: str


class TriageOut(BaseModel):
    priority: Literal[PRIORITIES]  # type: ignore[valid-type]
    respond_within: int = Field(..., description="minutes to the first public answer")
    route: Literal[ROUTES]  # type: ignore[valid-type]
    tags: list[str]
    advice: list[AdviceOut]
    rules: list[str]


class ScoreResponse(BaseModel):
    score: ScoreOut  # type: ignore[valid-type]  # built by create_model
    triage: TriageOut
    pii: list[PiiOut]


class BatchResult(ScoreResponse):
    id: str


class BatchResponse(BaseModel):
    results: list[BatchResult]


class ModelInfo(BaseModel):
    model_version: str
    library_version: str
    metrics: dict
    data: dict
    credits: list[str]


class Health(BaseModel):
    status: Literal["ok", "loading", "draining"]


class FeedbackRequest(BaseModel):
    """An agent's verdict on a post's score: send only the text to confirm the model's level and
    publicity pressure; add ``level`` and/or ``publicity_pressure`` to correct them."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Wenn ich bis morgen nichts höre, geht das an die BILD!", "level": "elevated",
         "publicity_pressure": False, "source": "zendesk"}]})

    text: StrictStr = Field(..., max_length=MAX_TEXT_CHARS,
                            description="the post, as scored; the server scores it again to record what the "
                                        "model says, and stores it only when the operator enabled it (redacted)")
    level: Literal[LEVELS] | None = Field(  # type: ignore[valid-type]
        None, description="the right level; omitted: the model's level stands")
    publicity_pressure: StrictBool | None = Field(
        None, description="whether the author uses the public as leverage; omitted: the model's verdict "
                          "(probability ≥ 0.5) stands")
    source: str | None = Field(None, pattern=r"^[a-z0-9_-]{1,40}$",
                                  description="where the verdict comes from, e.g. playground, zendesk")


class FeedbackOut(BaseModel):
    id: str = Field(..., description="the record's id: DELETE /v1/feedback/{id} removes it")
    created_at: str = Field(..., description="UTC, ISO 8601")
    model_version: str
    verdict: Literal["confirmed", "corrected"]
    level: Literal[LEVELS]  # type: ignore[valid-type]
    publicity_pressure: bool
    model_level: Literal[LEVELS]  # type: ignore[valid-type]
    model_publicity_pressure: float = Field(..., ge=0, le=1)
    source: str | None = None
    text_stored: bool = Field(..., description="whether the (redacted) text was stored")
