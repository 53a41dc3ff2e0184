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


_GROUPS = {w: i for i, group in enumerate((FIRST_PERSON, SECOND_PERSON, CONDITIONAL, FUTURE)) for w in group}
_PLACEHOLDERS = {URL_TOKEN: 0, MENTION_TOKEN: 1, EMAIL_TOKEN: 2, NUMBER_TOKEN: 3}


def style_vector(prepared: str, normalised: str, tokens: list[str]) -> list[float]:
    """The ``STYLE_FEATURES`` of one post (prepared text, model view, tokens), in one pass."""
    n_words = letters = caps_words = floods = emoji = angry = friendly = 0
    groups = [0, 0, 0, 0]
    placeholders = [0, 0, 0, 0]
    for t in tokens:
        ch = t[0]
        if ch.isalnum():
            n_words += 1
            letters += len(t)
            if len(t) >= 3 and t.isupper():
                caps_words += 1
            w = t.lower()
            g = _GROUPS.get(w)
            if g is not None:
                groups[g] += 1
            elif w[0] == "x":
                ph = _PLACEHOLDERS.get(w)
                if ph is not None:
                    placeholders[ph] += 1
        elif ch in "!?":
            if len(t) >= 3:
                floods += 1
        elif ch != "_":
            emoji += 1
            if t in ANGRY_EMOJI:
                angry += 1
            elif t in FRIENDLY_EMOJI:
                friendly += 1
    caps = len(_UPPER.findall(prepared))
    return [
        math.log1p(len(prepared)),
        math.log1p(n_words),
        min(caps / letters, 1.0) if letters else 0.0,
        float(caps_words),
        float(prepared.count("!")),
        float(prepared.count("?")),
        float(floods),
        float(len(ELONGATION.findall(prepared))),
        float(emoji),
        float(angry),
        float(friendly),
        float(placeholders[0]),
        float(placeholders[1]),
        float(placeholders[2]),
        float(placeholders[3]),
        float(prepared.count("#")),
        float(groups[0]),
        float(groups[1]),
        float(groups[2]),
        float(groups[3]),
    ]
