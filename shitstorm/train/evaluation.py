"""Measuring a model the way it will be used: alarms on real traffic, and the test split in the
register of a real feed.

* ``traffic_report(scores)``: on unlabelled real posts, the share flagged as publicity pressure,
  critical, escalation ≥ 0.5, and the alarms that name no reason (the real-traffic benchmark,
  ``benchmarks/real_traffic.py``, and the model card print it).
* ``register_variant(text, i)``: the same post as it would stand in a feed — @handles of people
  and the company, a retweet marker, a link, hashtags, emoji — with its label unchanged. A model
  that learned the post and not its form scores both alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ..schema import Score

ALARM_THRESHOLD = 0.5
"""An alarm: level critical, or publicity pressure at least 0.5 (the decision threshold)."""


def is_alarm(s: Score) -> bool:
    return s.level == "critical" or s.publicity_pressure >= ALARM_THRESHOLD


def traffic_report(scores: Sequence[Score]) -> dict:
    """Shares of real posts flagged, and alarms without any reason, over non-empty posts."""
    live = [s for s in scores if "empty" not in s.flags]
    n = len(live) or 1
    alarms = [s for s in live if is_alarm(s)]
    return {
        "n": len(live),
        "pressure_flagged": round(sum(s.publicity_pressure >= ALARM_THRESHOLD for s in live) / n, 4),
        "critical": round(sum(s.level == "critical" for s in live) / n, 4),
        "escalation_ge_0_5": round(sum(s.escalation >= 0.5 for s in live) / n, 4),
        "level_shares": {lv: round(sum(s.level == lv for s in live) / n, 4)
                         for lv in ("none", "low", "elevated", "critical")},
        "alarms": len(alarms),
        "alarms_without_reason": sum(not s.reasons for s in alarms),
    }


# Invented accounts of people and a company: never a media or consumer account, so the variant
# carries no evidence the original lacks.
_PEOPLE = ("@anna_k", "@ben_m", "@lisa_mue", "@tom_hh", "@kati_90", "@murat_b", "@jule_s",
           "@p_schneider", "@nordlicht_77", "@kaffeejunkie")
_COMPANY = ("@Stromfix_Hilfe", "@FlinkPaket", "@BahnFix_Info", "@NetzKraft_Service", "@ModeHaus24")
_TAGS = ("#montag", "#kundenservice", "#service", "#heute", "#frage", "#berlin", "#pendeln", "#dienstag")
_EMOJI = ("👀", "📦", "🚆", "☕", "📱", "🤷")
"""Neutral hashtags and emoji only: "#fail" or "😤" would add meaning, not form."""


def _pick(seq: Sequence[str], h: bytes, k: int) -> str:
    return seq[h[k] % len(seq)]


def register_variant(text: str, i: int) -> str:
    """``text`` with the surface of a real feed added, deterministically from ``i`` and the text:
    1–4 handles in front (people, the company), a retweet marker for one post in five, a link for
    one in three, a hashtag or an emoji for one in three. Words of the post stay as they are.

    >>> register_variant("Wo bleibt mein Paket?", 3)
    '@kaffeejunkie @tom_hh @FlinkPaket Wo bleibt mein Paket? https://t.co/af8df4c5e0 #frage'
    """
    h = hashlib.sha256(f"{i}:{text}".encode()).digest()
    handles = [_pick(_PEOPLE, h, 1 + k) for k in range(h[0] % 3)] + [_pick(_COMPANY, h, 5)]
    out = " ".join(dict.fromkeys(handles)) + " " + text
    if h[6] % 5 == 0:
        out = f"RT {_pick(_PEOPLE, h, 7)}: {out}"
    if h[8] % 3 == 0:
        out += " https://t.co/" + h[9:14].hex()
    if h[10] % 3 == 0:
        out += " " + _pick(_TAGS, h, 11)
    elif h[10] % 3 == 1 and h[12] % 2 == 0:
        out += " " + _pick(_EMOJI, h, 13)
    return out
