"""One source of truth for labels and output: levels, cue families, CSV columns, and a score's
output fields (``output_fields``, ``score_record``): every form a score takes (``to_dict``, CSV
cells, Parquet and DataFrame columns, the HTTP API's schema, helpdesk fields) is derived from them.

Imported by the library (``shitstorm``) and by ``training/`` alike, so that a label
written by an annotator, a column read from a CSV and a field emitted by ``score()``
all mean the same thing.
"""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("none", "low", "elevated", "critical")
"""Escalation levels, in order. ``escalation`` is the probability of ``level >= "elevated"``."""

LEVEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(LEVELS)}

HEADS: tuple[str, ...] = ("ge_low", "escalation", "critical", "publicity_pressure")
"""The model's heads, lowest level first: P(level ≥ low), P(level ≥ elevated), P(critical),
P(publicity pressure). Base rates, thresholds and training rates are keyed by these names."""

ESCALATION_MIN_LEVEL = "elevated"
"""``Score.escalation`` is the calibrated probability that the level is at least this."""

CUE_FAMILIES: tuple[str, ...] = (
    # publicity pressure: the audience used as leverage
    "publicity_media",      # press, TV, radio, bloggers, tagging media accounts
    "publicity_reviews",    # bad reviews on portals, app stores, Google, Trustpilot
    "publicity_viral",      # videos, screenshots, "going viral", own reach/followers
    "mobilization",         # calls to share, boycott, petition, collect cases
    # pressure without the public
    "ultimatum",            # deadlines: "bis morgen", "letzte Frist"
    "legal_threat",         # lawyer, lawsuit, criminal complaint, court
    "regulator",            # Bundesnetzagentur, Verbraucherzentrale, BaFin, data-protection authority
    "churn_threat",         # cancellation, switching provider, "nie wieder"
    # hostility
    "insult",               # insults at staff or people, slurs; put-downs of the company
    "profanity",            # swearing not aimed at a person
    "shouting",             # ALL CAPS, punctuation floods (style rule, no lexicon)
    "sarcasm",              # "Danke für nichts", "Toll gemacht 👏"
    # what went wrong
    "repeat_failure",       # "schon wieder", "zum dritten Mal"
    "waiting_time",         # "seit Wochen", "keine Antwort"
    "ignored_contact",      # "hier meldet sich wenigstens jemand", unanswered e-mails
    "money_loss",           # double charges, refunds withheld, lost money
    "fraud_accusation",     # "Betrug", "Abzocke", "Betrüger"
    "safety_harm",          # danger to safety or health, injury, fire, food poisoning
    "discrimination",       # racism, sexism, ableism, mistreatment for who someone is
    "data_protection",      # data breach, leaked data, GDPR requests
    "vulnerable_person",    # elderly, sick, disabled, children, pregnant, bereaved
    # de-escalating
    "gratitude",            # thanks and praise
)

EVIDENCE_CUE = "words"
"""The kind of ``Reason`` that names the words the model's text heads weighed most towards an
alarm (when no lexicon knows them): evidence of its own kind, not a cue family."""

REASON_KINDS: tuple[str, ...] = (*CUE_FAMILIES, EVIDENCE_CUE)
"""What ``Reason.cue`` may hold."""

PRESSURE_FORMS: tuple[str, ...] = (
    "press",           # newspaper, BILD, Lokalzeitung, journalists
    "tv_radio",        # TV and radio, consumer shows (WISO, Markt, Akte)
    "review",          # negative reviews on portals, app stores, Google, Trustpilot
    "video",           # filming, YouTube/TikTok videos
    "screenshot",      # screenshots of chats/letters going online
    "tag_media",       # tagging media or consumer accounts in the post
    "influencer",      # bloggers, influencers, YouTubers
    "follower_reach",  # pointing at own reach ("12.000 Follower")
    "share_call",      # calling on others to share / spread the story
    "boycott",         # calling for a boycott
    "petition",        # petitions, open letters
    "collect_cases",   # collecting affected customers, class actions with publicity
    "go_public",       # "mache das öffentlich", "reagiert ihr nur öffentlich?"
)

INDUSTRIES: tuple[str, ...] = (
    "telecom", "energy", "rail_transport", "airline", "parcel", "retail_fashion",
    "banking", "insurance", "car_rental", "food_retail", "apps_streaming",
    "public_services", "travel_hotel", "housing", "automotive", "other",
)

CHANNELS: tuple[str, ...] = (
    "facebook", "x", "instagram", "google_review", "app_store_review", "forum", "other",
)

SPLITS: tuple[str, ...] = ("train", "test")

# --- CSV columns -------------------------------------------------------------------------
TEXT_COLUMN = "text"
LEVEL_COLUMN = "level"
PRESSURE_COLUMN = "publicity_pressure"
LABEL_COLUMNS: tuple[str, ...] = (TEXT_COLUMN, LEVEL_COLUMN, PRESSURE_COLUMN)
"""Required in every training CSV."""

CORPUS_COLUMNS: tuple[str, ...] = (
    "id", TEXT_COLUMN, LEVEL_COLUMN, PRESSURE_COLUMN, "cues", "pressure_form",
    "hard_negative", "industry", "channel", "split",
)
"""Columns of the project's own corpus in ``training/data/``."""

LIST_SEPARATOR = ";"
"""Separator of multi-valued CSV cells (``cues``)."""



# --- output types --------------------------------------------------------------------------
from collections.abc import Iterable, Mapping  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any, Literal  # noqa: E402


@dataclass(frozen=True)
class Reason:
    """A cue found in a post: the same object the model counted as a feature.

    ``start``/``end`` index into the post as scored (NFC-composed, first ``MAX_CHARS``
    characters; for ordinary input that is the caller's string). ``negated`` is true when a
    negation ("nicht", "kein", "nie"…) stands just before the cue in the same clause.
    """

    cue: str
    text: str
    start: int
    end: int
    negated: bool = False
    weight: float = 1.0

    def to_dict(self) -> dict:
        return {"cue": self.cue, "text": self.text, "start": self.start, "end": self.end,
                "negated": self.negated}


PII_KINDS: tuple[str, ...] = (
    "phone", "email", "iban", "payment_card", "customer_number", "contract_number",
    "order_number", "ticket_number", "address", "date_of_birth",
)
"""Kinds of personal data ``find_pii`` reports (``Score.pii``); see README "Personal data"."""

PII_PLACEHOLDERS: dict[str, str] = {
    "phone": "[TELEFON]",
    "email": "[E-MAIL]",
    "iban": "[IBAN]",
    "payment_card": "[KARTENNUMMER]",
    "customer_number": "[KUNDENNUMMER]",
    "contract_number": "[VERTRAGSNUMMER]",
    "order_number": "[BESTELLNUMMER]",
    "ticket_number": "[VORGANGSNUMMER]",
    "address": "[ADRESSE]",
    "date_of_birth": "[GEBURTSDATUM]",
}
"""What ``redact`` puts in place of each kind (German: the text it lands in is German)."""


@dataclass(frozen=True)
class PiiFinding:
    """Personal data found in a post. ``start``/``end`` index the text it was found in (for
    ``Score.pii``: the post as scored, like ``Reason``)."""

    kind: str
    text: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "start": self.start, "end": self.end}


FLAGS: tuple[str, ...] = ("empty", "truncated", "binary", "html", "not_german")
"""What ``Score.flags`` may hold; see README "Bad input"."""


@dataclass(frozen=True)
class Score:
    """The scores of one post. Frozen; the same fields whatever the input."""

    escalation: float
    level: str
    publicity_pressure: float
    reasons: tuple[Reason, ...] = ()
    model_version: str = ""
    flags: tuple[str, ...] = field(default=())
    pii: tuple[PiiFinding, ...] = field(default=())

    def to_dict(self) -> dict:
        """JSON-safe dict: what the CLI and the HTTP API emit, the fields of ``SCORE_OUTPUT`` and
        ``PII_OUTPUT`` (``score_record(self)``)."""
        return score_record(self)


# --- a score's output, defined once -------------------------------------------------------------
@dataclass(frozen=True)
class OutputField:
    """One field of a score's output: the ``Score.to_dict()`` key and the column of ``shitstorm
    batch``, Parquet, Spark and ``score_frame``; ``kind`` says what its value is (every form of
    the output, CSV cell, Arrow type, pandas dtype, OpenAPI type, is derived from it)."""

    name: str
    kind: str
    doc: str


OUTPUT_KINDS: tuple[str, ...] = ("probability", "level", "reasons", "text", "flags", "pii",
                                 "priority", "minutes", "route", "tags")
"""What an ``OutputField`` may hold: a probability in [0, 1]; a name from ``LEVELS``; a list of
``Reason``; a string; names from ``FLAGS``; ``PiiFinding``s (in files only their kinds); a
priority, a number of minutes, a route and tags of a ``Triage``."""

SCORE_OUTPUT: tuple[OutputField, ...] = (
    OutputField("escalation", "probability", "calibrated P(level ≥ elevated)"),
    OutputField("level", "level", "the escalation level: none, low, elevated or critical"),
    OutputField("publicity_pressure", "probability", "calibrated P(public used as leverage)"),
    OutputField("reasons", "reasons", "the cues found: cue family, the words, their offsets into the "
                                      "post as scored, whether negated"),
    OutputField("model_version", "text", "the version of the model that scored"),
    OutputField("flags", "flags", "what was odd about the input: empty, truncated, binary, html, "
                                  "not_german"),
)
"""A score's fields, in order (without ``pii``: a column of its own choice in files)."""

PII_OUTPUT = OutputField("pii", "pii", "personal data found: kind, the data and its offsets; in "
                                       "files (CSV, Parquet, DataFrames) the kinds only, never the data")

TRIAGE_OUTPUT: tuple[OutputField, ...] = (
    OutputField("priority", "priority", "P1 (most urgent) to P4"),
    OutputField("respond_within", "minutes", "minutes to the first public answer"),
    OutputField("route", "route", "community, second_level or legal_pr"),
    OutputField("tags", "tags", "helpdesk tags, each from shitstorm.TAG_VOCABULARY"),
)
"""The columns a ``Triage`` adds to files (``--triage``), in order."""

OUTPUT_COLUMNS: tuple[str, ...] = tuple(f.name for f in SCORE_OUTPUT)
"""Columns appended by ``shitstorm batch``, in order; then ``pii`` (``--pii``) and the
``TRIAGE_OUTPUT`` columns (``--triage``)."""


def output_fields(*, pii: bool = True, triage: bool = False) -> tuple[OutputField, ...]:
    """The fields of a score's output in order: ``SCORE_OUTPUT``, ``PII_OUTPUT`` (unless
    ``pii=False``), ``TRIAGE_OUTPUT`` (with ``triage=True``)."""
    return SCORE_OUTPUT + ((PII_OUTPUT,) if pii else ()) + (TRIAGE_OUTPUT if triage else ())


def pii_kinds(kinds: Iterable[str]) -> list[str]:
    """The kinds of personal data among ``kinds``, each once, in ``PII_KINDS`` order:
    ``pii_kinds(f.kind for f in score.pii)``."""
    found = set(kinds)
    return [k for k in PII_KINDS if k in found]


PiiForm = Literal["findings", "spans", "kinds"]


def score_record(score: Score, triage: Any = None, *, pii: PiiForm | None = "findings",
                 reason_text: bool = True, exact: bool = False) -> dict[str, Any]:
    """A score (and its ``Triage``) as a JSON-safe dict, keyed by ``output_fields``, in order.

    Probabilities are rounded to 4 decimals (``exact=True``: as scored, for typed columns).
    ``pii``: ``"findings"`` (kind, text, start, end), ``"spans"`` (without the text),
    ``"kinds"`` (``pii_kinds``: what files get), ``None`` (left out). ``reason_text=False``
    leaves the matched words out of the reasons (they are pieces of the post).
    """
    out: dict[str, Any] = {}
    for f in output_fields(pii=pii is not None, triage=triage is not None):
        value = getattr(triage if f in TRIAGE_OUTPUT else score, f.name)
        if f.kind == "probability":
            out[f.name] = float(value) if exact else round(float(value), 4)
        elif f.kind == "reasons":
            out[f.name] = [{k: v for k, v in r.to_dict().items() if reason_text or k != "text"} for r in value]
        elif f.kind == "pii":
            out[f.name] = (pii_kinds(x.kind for x in value) if pii == "kinds" else
                           [{k: v for k, v in x.to_dict().items() if pii == "findings" or k != "text"}
                            for x in value])
        elif f.kind in ("flags", "tags"):
            out[f.name] = list(value)
        elif f.kind == "minutes":
            out[f.name] = int(value)
        else:
            out[f.name] = value
    return out


def csv_cells(record: Mapping[str, Any], *, pii: bool = False, triage: bool = False) -> dict[str, Any]:
    """One CSV row's cells for a ``score_record`` (with the ``Triage.to_dict()`` under
    ``"triage"`` for ``triage=True``): reasons as ``cue:words`` joined by ``"; "`` (`` (negated)``
    after a negated one), flags and pii kinds joined by ``;``, tags by spaces."""
    values = {**record, **(record["triage"] if triage else {})}
    cells: dict[str, Any] = {}
    for f in output_fields(pii=pii, triage=triage):
        value = values[f.name]
        if f.kind == "reasons":
            value = "; ".join(f"{r['cue']}:{r['text']}" + (" (negated)" if r["negated"] else "") for r in value)
        elif f.kind == "pii":
            value = LIST_SEPARATOR.join(pii_kinds(x["kind"] if isinstance(x, Mapping) else x for x in value))
        elif f.kind == "flags":
            value = LIST_SEPARATOR.join(value)
        elif f.kind == "tags":
            value = " ".join(value)
        cells[f.name] = value
    return cells


# --- numbers from users -------------------------------------------------------------------------
def whole_number(value: Any, minimum: int = 0, *, exact_floats: bool = False) -> int | None:
    """``value`` as a whole number of at least ``minimum``, or ``None`` when it is none: an
    ``int`` (``True`` is not a count), or with ``exact_floats=True`` a float without fraction
    (JSON has one number type: 12000.0 is the count 12000). The one "must be ≥ N" check behind
    context counts, policy minutes and counts."""
    if isinstance(value, float) and exact_floats and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return None
    return value
