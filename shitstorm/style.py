"""Style features: how a post is written, not what it says. One small function per feature
group; ``style_vector`` puts them in the order of ``STYLE_FEATURES``."""

from __future__ import annotations

import math
import re

from .normalise import EMAIL_TOKEN, MENTION_TOKEN, NUMBER_TOKEN, URL_TOKEN

ANGRY_EMOJI = frozenset("🤬😡😠👎💩🖕😤🙄😒🤮")
FRIENDLY_EMOJI = frozenset("😊🙂😀😃😄😁❤💕👍🙏😍🥰☺🤗👌")

SECOND_PERSON = frozenset({"ihr", "euch", "euer", "eure", "euren", "eurem", "eurer", "sie", "ihnen"})
FIRST_PERSON = frozenset({"ich", "mich", "mir", "mein", "meine", "meinen", "meinem", "meiner",
                          "wir", "uns", "unser", "unsere"})
CONDITIONAL = frozenset({"wenn", "falls", "sonst", "ansonsten", "andernfalls", "solange", "bevor"})
FUTURE = frozenset({"werde", "werden", "werd", "wird", "gleich", "morgen", "demnächst"})
"""Who threatens whom: "*ich werde* … *wenn ihr* … *sonst*" is the grammar of a threat; the
same nouns in "*Sie* haben in der Zeitung gelesen" are not. These counts let the booster tell
the two apart next to the lexical cues."""

ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
"""A letter three or more times in a row: "neeeein", "bitteeee"."""

STYLE_FEATURES: tuple[str, ...] = (
    "log_chars", "log_words", "caps_ratio", "caps_words", "exclamations", "questions",
    "punct_floods", "elongations", "emoji", "angry_emoji", "friendly_emoji",
    "urls", "mentions", "emails", "numbers", "hashtags",
    "first_person", "second_person", "conditional", "future",
)


_UPPER = re.compile(r"[A-ZÄÖÜÀ-ÖØ-Þ]")
"""Upper-case letters of German and its neighbours; other scripts count as letters, not caps."""


def style_vector(prepared: str, normalised: str, tokens: list[str]) -> list[float]:
    """The ``STYLE_FEATURES`` of one post (prepared text, model view, tokens)."""
    words = [t for t in tokens if t[0].isalnum()]
    letters = sum(len(w) for w in words)
    caps = len(_UPPER.findall(prepared))
    lower = [w.casefold() for w in words]
    counts: dict[str, int] = {}
    for w in lower:
        counts[w] = counts.get(w, 0) + 1
    caps_words = sum(1 for w in words if len(w) >= 3 and w.isupper())
    emoji = [t for t in tokens if not t[0].isalnum() and t[0] not in "!?_"]
    return [
        math.log1p(len(prepared)),
        math.log1p(len(words)),
        min(caps / letters, 1.0) if letters else 0.0,
        float(caps_words),
        float(prepared.count("!")),
        float(prepared.count("?")),
        float(sum(1 for t in tokens if t[0] in "!?" and len(t) >= 3)),
        float(len(ELONGATION.findall(prepared))),
        float(len(emoji)),
        float(sum(1 for e in emoji if e in ANGRY_EMOJI)),
        float(sum(1 for e in emoji if e in FRIENDLY_EMOJI)),
        float(counts.get(URL_TOKEN, 0)),
        float(counts.get(MENTION_TOKEN, 0)),
        float(counts.get(EMAIL_TOKEN, 0)),
        float(counts.get(NUMBER_TOKEN, 0)),
        float(prepared.count("#")),
        float(sum(counts.get(w, 0) for w in FIRST_PERSON)),
        float(sum(counts.get(w, 0) for w in SECOND_PERSON)),
        float(sum(counts.get(w, 0) for w in CONDITIONAL)),
        float(sum(counts.get(w, 0) for w in FUTURE)),
    ]
