"""The model object users hold: ``load(path)`` → ``Model`` with ``score``, ``score_many``,
``analyze`` and ``info``; and the lazily loaded default model behind ``shitstorm.score``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .analysis import Analysis, analyze
from .pii import find_pii
from .persist import MANIFEST_FILE, ModelIntegrityError, load_classifier
from .schema import LEVELS, PiiFinding, Score


def bundled_model_dir() -> Path:
    """Where the shipped model lives: inside the installed wheel (``shitstorm/models``), or the
    checkout's top-level ``models/`` for editable installs and source trees."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "models", here.parent / "models"):
        if (candidate / MANIFEST_FILE).is_file():
            return candidate
    raise ModelIntegrityError(
        "the bundled model was not found (looked in shitstorm/models and the checkout's models/); "
        "reinstall shitstorm or pass a model directory to shitstorm.load()"
    )


def _empty_score(a: Analysis, version: str, pii: tuple[PiiFinding, ...] = ()) -> Score:
    return Score(0.0, LEVELS[0], 0.0, (), version, a.flags, pii)


class Model:
    """A loaded, verified model. Thread-safe for scoring (nothing is mutated)."""

    def __init__(self, classifier, manifest: dict, path: Path | None = None):
        self.classifier = classifier
        self.manifest = manifest
        self.path = path
        self.version = str(manifest.get("model_version", "unversioned"))

    def __repr__(self) -> str:
        return f"<shitstorm.Model {self.version} from {self.path}>"

    def analyze(self, text: str) -> Analysis:
        return analyze(text)

    def score(self, text: str) -> Score:
        """Score one post. Raises ``TypeError`` for a non-string."""
        return self.score_many([text])[0]

    def score_many(self, texts: Iterable[str]) -> list[Score]:
        """Score many posts at once; the same numbers as ``score`` on each."""
        if isinstance(texts, str):
            raise TypeError("score_many takes an iterable of str, not a single str; use score(text)")
        analyses, pii = [], []
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"item {i} is {type(t).__name__}, not str: shitstorm scores text; "
                                "decode bytes first and pass None as an empty string")
            analyses.append(analyze(t))
            pii.append(find_pii(t))  # the whole text, however long: only scoring stops at MAX_CHARS
        return self.score_analyses(analyses, pii)

    def score_analyses(self, analyses: list[Analysis],
                       pii: list[tuple[PiiFinding, ...]] | None = None) -> list[Score]:
        """Scores of ``analyze()`` results. ``pii``: the findings of each post's whole text
        (``find_pii(text)``); without it, the findings in each analysis's (cut) text."""
        if pii is None:
            pii = [find_pii(a.text) for a in analyses]
        live = [i for i, a in enumerate(analyses) if "empty" not in a.flags]
        out: list[Score | None] = [None] * len(analyses)
        if live:
            probs = self.classifier.predict_heads([analyses[i] for i in live])
            from .classifier import decide_levels

            levels = decide_levels(probs, self.classifier.thresholds_)
            esc = probs["escalation"].astype(float)
            pp = probs["publicity_pressure"].astype(float)
            for k, i in enumerate(live):
                a = analyses[i]
                out[i] = Score(float(esc[k]), LEVELS[int(levels[k])], float(pp[k]), a.reasons,
                               self.version, a.flags, pii[i])
        for i, a in enumerate(analyses):
            if out[i] is None:
                out[i] = _empty_score(a, self.version, pii[i])
        return out  # type: ignore[return-value]

    def info(self) -> dict:
        """Version, thresholds, metrics and data credits from the manifest."""
        keys = ("model_version", "trained_on", "thresholds", "metrics", "data", "credits", "versions")
        return {k: self.manifest[k] for k in keys if k in self.manifest}


def load(path: str | Path | None = None, *, trusted: Iterable[str] = (), trust: bool = False) -> Model:
    """Load a model directory (default: the bundled model), verifying its sha256 first.

    ``trusted``: type names (``"module.Class"``) you accept beyond the reviewed list, as in
    skops; a file holding any other type is refused, and loading the accepted ones is warned
    about (``ModelTrustWarning``). ``trust=True`` accepts every type and a missing or altered
    manifest, each with a ``ModelTrustWarning``: only for files you made yourself.
    """
    model_dir = Path(path) if path is not None else bundled_model_dir()
    if model_dir.is_file():
        model_dir = model_dir.parent
    classifier, manifest = load_classifier(model_dir, trusted=list(trusted), trust=trust)
    return Model(classifier, manifest, model_dir)


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The bundled model, loaded once on first use."""
    return load()
