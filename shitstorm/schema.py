"""One source of truth for labels and output: levels, cue families, CSV columns.

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

PUBLICITY_FAMILIES: frozenset[str] = frozenset(
    {"publicity_media", "publicity_reviews", "publicity_viral", "mobilization"}
)

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

OUTPUT_COLUMNS: tuple[str, ...] = (
    "escalation", "level", "publicity_pressure", "reasons", "model_version",
)
"""Columns appended by ``shitstorm batch``, in order (``Score.to_dict()`` keys)."""


# --- output types --------------------------------------------------------------------------
from dataclasses import dataclass, field  # noqa: E402


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
        """JSON-safe dict: what the CLI emits (``OUTPUT_COLUMNS`` plus ``flags`` and ``pii``)."""
        return {
            "escalation": round(float(self.escalation), 4),
            "level": self.level,
            "publicity_pressure": round(float(self.publicity_pressure), 4),
            "reasons": [r.to_dict() for r in self.reasons],
            "model_version": self.model_version,
            "flags": list(self.flags),
            "pii": [f.to_dict() for f in self.pii],
        }
