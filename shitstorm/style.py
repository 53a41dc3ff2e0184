"""Style features: how a post is written, not what it says. One small function per feature
group; ``style_vector`` puts them in the order of ``STYLE_FEATURES``."""

from __future__ import annotations

import math
import re
import unicodedata

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


def _letters_caps(text: str) -> tuple[int, int]:
    letters = caps = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            if ch.isupper():
                caps += 1
    return letters, caps


def style_vector(prepared: str, normalised: str, tokens: list[str]) -> list[float]:
    """The ``STYLE_FEATURES`` of one post (prepared text, model view, tokens)."""
    letters, caps = _letters_caps(prepared)
    words = [t for t in tokens if t[0].isalnum()]
    lower = [w.casefold() for w in words]
    caps_words = sum(1 for w in words if len(w) >= 3 and w.isupper())
    emoji = [t for t in tokens if unicodedata.category(t[0]) == "So"]
    return [
        math.log1p(len(prepared)),
        math.log1p(len(words)),
        caps / letters if letters else 0.0,
        float(caps_words),
        float(prepared.count("!")),
        float(prepared.count("?")),
        float(sum(1 for t in tokens if t[0] in "!?" and len(t) >= 3)),
        float(len(ELONGATION.findall(prepared))),
        float(len(emoji)),
        float(sum(1 for e in emoji if e in ANGRY_EMOJI)),
        float(sum(1 for e in emoji if e in FRIENDLY_EMOJI)),
        float(lower.count(URL_TOKEN)),
        float(lower.count(MENTION_TOKEN)),
        float(lower.count(EMAIL_TOKEN)),
        float(lower.count(NUMBER_TOKEN)),
        float(prepared.count("#")),
        float(sum(1 for w in lower if w in FIRST_PERSON)),
        float(sum(1 for w in lower if w in SECOND_PERSON)),
        float(sum(1 for w in lower if w in CONDITIONAL)),
        float(sum(1 for w in lower if w in FUTURE)),
    ]
