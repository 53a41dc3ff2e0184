"""shitstorm: escalation and publicity-pressure scores for German public customer posts.

The flow of one post, module by module::

    text ─ text/normalise ─ text/tokenise, text/cues, text/style ─→ Analysis    (analyze(text))
         ─ features, _compiled (the model's arrays): text heads → boosted trees → calibration
         ─ model: probabilities for the stated base rates, level, evidence words ─→ Score
         ─ pii: personal data in the post (Score.pii; redact)
         ─ policy: priority, minutes to answer, route, tags, advice ─→ Triage   (triage(score))

Training and evaluation live in ``shitstorm.train`` (never loaded for scoring); files in
``shitstorm.batch``, the HTTP service in ``shitstorm.server``.

>>> import shitstorm
>>> s = shitstorm.score("Wenn ich bis morgen nichts höre, geht das an die BILD!")
>>> s.level
'critical'
"""

from __future__ import annotations

__version__ = "0.2.0"

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and readers see; at run time each name loads on first use
    from .frame import score_frame
    from .model import Model, load
    from .persist import ModelIntegrityError
    from .pii import find_pii, redact
    from .policy import Advice, Context, Policy, PolicyError, Triage, triage
    from .schema import PiiFinding, Reason, Score
    from .text.analysis import Analysis, analyze

_WHERE = {
    "score_frame": ".frame", "Model": ".model", "load": ".model", "ModelIntegrityError": ".persist",
    "find_pii": ".pii", "redact": ".pii", "Advice": ".policy", "Context": ".policy",
    "Policy": ".policy", "PolicyError": ".policy", "Triage": ".policy", "triage": ".policy",
    "PiiFinding": ".schema", "Reason": ".schema", "Score": ".schema", "Analysis": ".text.analysis",
    "analyze": ".text.analysis",
}
"""The module of each public name. They are imported on first use (PEP 562), so that
``shitstorm --version``, ``--help`` and ``import shitstorm`` itself do not pay for numpy and the
scoring modules (issue 14: a cold command line)."""


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        # a submodule (``shitstorm.text``, ``shitstorm.model`` …), as an eager ``__init__`` made
        # them reachable after a bare ``import shitstorm``
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
        raise AttributeError(f"module 'shitstorm' has no attribute {name!r}")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
