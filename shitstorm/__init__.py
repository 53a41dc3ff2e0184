"""shitstorm: escalation and publicity-pressure scores for German public customer posts.

>>> import shitstorm
>>> s = shitstorm.score("Wenn ich bis morgen nichts höre, geht das an die BILD!")
>>> s.level
'critical'
"""

from __future__ import annotations

__version__ = "0.2.0"

from .frame import score_frame
from .model import Model, load
from .persist import ModelIntegrityError
from .pii import find_pii, redact
from .policy import Advice, Context, Policy, PolicyError, Triage, triage
from .schema import PiiFinding, Reason, Score
from .text.analysis import Analysis, analyze

__all__ = [
    "Advice",
    "Analysis",
    "Context",
    "Model",
    "ModelIntegrityError",
    "PiiFinding",
    "Policy",
    "PolicyError",
    "Reason",
    "Score",
    "Triage",
    "__version__",
    "analyze",
    "find_pii",
    "load",
    "redact",
    "score",
    "score_frame",
    "score_many",
    "triage",
]


def score(text: str) -> Score:
    """Score one post with the bundled model (loaded on first use)."""
    from .model import default_model

    return default_model().score(text)


def score_many(texts) -> list[Score]:
    """Score many posts with the bundled model; same results as ``score`` on each."""
    from .model import default_model

    return default_model().score_many(texts)
