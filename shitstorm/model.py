"""The model object users hold: ``load(path)`` → ``Model`` with ``score``, ``score_many``,
``analyze`` and ``info``; and the lazily loaded default model behind ``shitstorm.score``."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import islice
from pathlib import Path

import numpy as np

from .persist import MANIFEST_FILE, ModelIntegrityError, load_classifier, load_inference, verify_model_file
from .pii import find_pii
from .schema import EVIDENCE_CUE, HEADS, LEVELS, PiiFinding, Reason, Score
from .text._cue_index import _is_word_char
from .text.analysis import Analysis, analyze, analyze_if
from .text.normalise import blank_form, prepare

FEED_BASE_RATES: Mapping[str, float] = {
    "ge_low": 0.25,
    "escalation": 0.08,
    "critical": 0.02,
    "publicity_pressure": 0.005,
}
"""The share of posts at or above each level, and with publicity pressure, in the real feed the
shipped probabilities are for (see the model card, "Base rates"). Evidence: publicity pressure
is "a few posts in a thousand" and critical posts "one or two in a hundred" of a brand's feed, as
social-media teams report it (project brief, issue #11); the upper ends are taken (0.5%, 2%). In
13,000 ordinary German tweets (PotTS, GermEval 2018) none was found to be pressure, so they
cannot tell the rate, only that it is small. ``escalation`` (one post in twelve needs a prompt,
careful answer) and ``ge_low`` (a quarter report a problem) are assumptions, not measurements.
A team states its own: ``load(base_rates=...)``, ``--base-rates``, or ``[base_rates]`` in the
policy file."""

SCORE_BLOCK = 2_048
"""Posts scored together by ``score_many`` and ``score_analyses``: each post's numbers do not
depend on its block (tested), but one vectorised pass over tens of thousands of posts sorts
arrays of millions of n-gram ids and was a third slower a post (measured: 18,983 distinct posts,
``score_analyses`` 251 µs a post in one block, 182 µs in blocks of 2,048)."""

WINDOW_MIN_CHARS = 280
"""Posts longer than a tweet are also scored sentence pair by sentence pair: the guideline labels
the highest level *any part* of a post reaches, and a threat sentence at the end of a long, calm
post is diluted in the whole post's n-gram average. A window replaces the whole post's
probabilities (where higher) only when it is an alarm on its own *and* holds a cue of a critical
family (``WINDOW_CUES``): short windows of calm posts otherwise score higher than the post does,
which is the length talking, not the content."""
WINDOW_CUES = frozenset({
    "publicity_media", "publicity_reviews", "publicity_viral", "mobilization", "ultimatum",
    "legal_threat", "regulator", "insult", "fraud_accusation", "safety_harm", "discrimination",
    "data_protection", "vulnerable_person",
})
_SENTENCE = re.compile(r"[^\n.!?…]+(?:[.!?…]+|$)")

EVIDENCE_WORDS = 3
"""A post scored elevated or critical, or with publicity pressure ≥ 0.5, names up to three words
the text heads weighed most towards that verdict,"""
EVIDENCE_MIN_SHARE = 0.25
"""each adding at least a quarter of what the strongest word adds,"""
EVIDENCE_MIN_LETTERS = 5
"""and of at least five letters ("ich", "hier", "geht" are the grammar of a threat, not its
evidence; an emoji counts)."""


def check_base_rates(rates: Mapping[str, float], where: str = "base_rates") -> dict[str, float]:
    """Validate a full set of base rates: every head, each in (0, 1), and ordered as the levels
    are nested (``ge_low`` ≥ ``escalation`` ≥ ``critical`` ≥ ``publicity_pressure``: pressure is
    critical by the guideline)."""
    unknown = sorted(set(rates) - set(HEADS))
    if unknown:
        raise ValueError(f"{where}: unknown head(s) {', '.join(unknown)}; use {', '.join(HEADS)}")
    out = {}
    for h in HEADS:
        v = rates.get(h)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < float(v) < 1:
            raise ValueError(f"{where}: {h} must be a share between 0 and 1 (exclusive), got {v!r}")
        out[h] = float(v)
    for lo, hi in zip(HEADS, HEADS[1:], strict=False):
        if out[hi] > out[lo]:
            raise ValueError(f"{where}: {hi} ({out[hi]}) cannot exceed {lo} ({out[lo]}): "
                             "the levels are nested and publicity pressure is critical")
    return out


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


def _in_blocks(predict, analyses: list[Analysis]) -> dict[str, np.ndarray]:
    """``predict`` (analyses → head → probabilities) over ``SCORE_BLOCK`` posts at a time,
    joined: the same numbers as one call, without one call's huge arrays."""
    if len(analyses) <= SCORE_BLOCK:
        return predict(analyses)
    parts = [predict(analyses[i:i + SCORE_BLOCK]) for i in range(0, len(analyses), SCORE_BLOCK)]
    return {h: np.concatenate([p[h] for p in parts]) for h in parts[0]}


def _empty_score(a: Analysis, version: str, pii: tuple[PiiFinding, ...] = ()) -> Score:
    return Score(0.0, LEVELS[0], 0.0, (), version, a.flags, pii)


def _windows(text: str) -> list[tuple[int, int]]:
    """(start, end) of each pair of neighbouring sentences of a long post; [] for short posts
    and posts of fewer than three sentences."""
    if len(text) <= WINDOW_MIN_CHARS:
        return []
    spans = [m.span() for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    if len(spans) < 3:
        return []
    return [(spans[i][0], spans[i + 1][1]) for i in range(len(spans) - 1)]


def _has_window_cue(reasons: tuple[Reason, ...]) -> bool:
    """Whether a window's reasons hold a cue of a critical family, not negated: without one
    the window cannot count, whatever it scores (so it is neither analysed further nor
    scored)."""
    return any(r.cue in WINDOW_CUES and not r.negated for r in reasons)


def _token_spans(a: Analysis) -> list[tuple[int, int] | None]:
    """Where each token of ``a`` stands in ``a.text`` (the match view), in order; None for a
    token not found there as written (an HTML entity decoded, say). A word token must stand
    between non-word characters (what ``(?<!\\w)word(?!\\w)`` finds)."""
    text = blank_form(a.text)
    n = len(text)
    out: list[tuple[int, int] | None] = []
    pos = 0
    for tok in a.tokens:
        i = text.find(tok, pos)
        if _is_word_char(tok[0]):
            while i >= 0 and ((i > 0 and _is_word_char(text[i - 1]))
                              or (i + len(tok) < n and _is_word_char(text[i + len(tok)]))):
                i = text.find(tok, i + 1)
        if i < 0:
            out.append(None)
            continue
        pos = i + len(tok)
        out.append((i, pos))
    return out


class Model:
    """A loaded, verified model. Thread-safe for scoring (nothing is mutated).

    ``base_rates``: the share of posts per head in the feed the probabilities are for (default:
    the manifest's, a real brand feed; ``"training"``: the training mix, unshifted; a dict of
    some heads overrides those). Every head decides at 0.5 on these probabilities."""

    def __init__(self, classifier, manifest: dict, path: Path | None = None, *,
                 base_rates: Mapping[str, float] | str | None = None, inference=None):
        if classifier is None and (inference is None or path is None):
            raise ValueError("Model needs a classifier, or inference arrays and the model directory")
        self._classifier = classifier
        self._classifier_lock = threading.Lock()
        # what scoring runs on: the directory's verified inference arrays, or arrays derived
        # from the classifier (the same numbers, to the bit)
        self._inference = inference if inference is not None else classifier._inference()
        self.manifest = manifest
        self.path = path
        self.version = str(manifest.get("model_version", "unversioned"))
        trained = self._inference.training_rates_
        self.training_rates = dict(trained) if trained else None
        self.base_rates = self._resolve_base_rates(base_rates)

    @property
    def classifier(self):
        """The fitted ``EscalationClassifier`` (scikit-learn objects, for training, evaluation
        and inspection). A model loaded with inference arrays reads its skops file, verified,
        on first access; scoring never needs it."""
        if self._classifier is None:
            with self._classifier_lock:
                if self._classifier is None:
                    assert self.path is not None  # checked in __init__
                    self._classifier, _ = load_classifier(self.path)
        return self._classifier

    def _resolve_base_rates(self, base_rates) -> dict[str, float] | None:
        if self.training_rates is None:  # a model from before base rates: probabilities as trained
            if base_rates not in (None, "training"):
                raise ValueError("this model file records no training rates; retrain it to use base rates")
            return None
        if base_rates == "training":
            return dict(self.training_rates)
        if isinstance(base_rates, str):
            raise ValueError(f"base_rates: {base_rates!r} is not a preset; give a dict of head → share, "
                             "or 'training' for the probabilities as trained")
        merged = dict(self.manifest.get("base_rates") or FEED_BASE_RATES)
        merged.update(base_rates or {})
        return check_base_rates(merged)

    def __repr__(self) -> str:
        return f"<shitstorm.Model {self.version} from {self.path}>"

    def analyze(self, text: str) -> Analysis:
        return analyze(text)

    def score(self, text: str) -> Score:
        """Score one post. Raises ``TypeError`` for a non-string."""
        return self.score_many([text])[0]

    def score_many(self, texts: Iterable[str]) -> list[Score]:
        """Score many posts at once; the same numbers as ``score`` on each. Posts are analysed
        and scored ``SCORE_BLOCK`` at a time, so a long list (or generator) never builds one
        huge array."""
        if isinstance(texts, str):
            raise TypeError("score_many takes an iterable of str, not a single str; use score(text)")
        out: list[Score] = []
        items = iter(texts)
        while block := list(islice(items, SCORE_BLOCK)):
            analyses, pii = [], []
            for t in block:
                if not isinstance(t, str):
                    raise TypeError(f"item {len(out) + len(analyses)} is {type(t).__name__}, not str: "
                                    "shitstorm scores text; decode bytes first and pass None as an empty string")
                analyses.append(analyze(t))
                pii.append(find_pii(t))  # the whole text, however long: only scoring stops at MAX_CHARS
            out += self.score_analyses(analyses, pii, block)
        return out

    def with_base_rates(self, base_rates: Mapping[str, float] | str | None) -> Model:
        """The same model (the same arrays, nothing read again) for other base rates."""
        return Model(self._classifier, self.manifest, self.path, base_rates=base_rates,
                     inference=self._inference)

    def probabilities_as_trained(self, analyses: list[Analysis]) -> dict[str, np.ndarray]:
        """Each head's calibrated probability for the training mix (no base-rate shift, no
        windows): what the heads say before ``probabilities`` moves them to the feed's rates.
        ``SCORE_BLOCK`` posts at a time."""
        return _in_blocks(self._inference.predict_heads, analyses)

    def probabilities(self, analyses: list[Analysis]) -> dict[str, np.ndarray]:
        """Each head's probability for the model's base rates (no windows), ``SCORE_BLOCK``
        posts at a time."""
        return _in_blocks(lambda block: self._probabilities_rows(block)[0], analyses)

    def _probabilities_rows(self, analyses: list[Analysis]):
        """``probabilities`` and the tf-idf rows they came from (``TfidfRows``)."""
        probs, rows = self._inference.predict_heads_rows(analyses)
        return self._shifted(probs), rows

    def _shifted(self, probs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.base_rates is None or self.training_rates is None:
            return probs
        from ._compiled import shift_base_rate

        out = {h: shift_base_rate(p, self.training_rates[h], self.base_rates[h])
               for h, p in probs.items()}
        # the events are nested (pressure ⊂ critical ⊂ ≥ elevated ⊂ ≥ low): so are their
        # probabilities, which heads shifted one by one need not be
        out["critical"] = np.maximum(out["critical"], out["publicity_pressure"])
        out["escalation"] = np.maximum(out["escalation"], out["critical"])
        out["ge_low"] = np.maximum(out["ge_low"], out["escalation"])
        return out

    def score_analyses(self, analyses: list[Analysis], pii: list[tuple[PiiFinding, ...]] | None = None,
                       sources: list[str] | None = None) -> list[Score]:
        """Scores of ``analyze()`` results. ``pii``: the findings of each post's whole text
        (``find_pii(text)``); without it, the findings in each analysis's (cut) text.
        ``sources``: the caller's strings, so that evidence offsets point into them (without
        them, into each analysis's text, which is the same for composed text)."""
        from ._compiled import DECISION_THRESHOLD, decide_levels

        if len(analyses) > SCORE_BLOCK:
            return [s for i in range(0, len(analyses), SCORE_BLOCK)
                    for s in self.score_analyses(analyses[i:i + SCORE_BLOCK],
                                                 None if pii is None else pii[i:i + SCORE_BLOCK],
                                                 None if sources is None else sources[i:i + SCORE_BLOCK])]
        if pii is None:
            pii = [find_pii(a.text) for a in analyses]

        live = [i for i, a in enumerate(analyses) if "empty" not in a.flags]
        out: list[Score | None] = [None] * len(analyses)
        if live:
            # the whole post and, for long posts, its windows that hold a cue of a critical
            # family (no other window can count): (post, analysis, offset, window?)
            rows: list[tuple[int, Analysis, int, bool]] = []
            for k, i in enumerate(live):
                a = analyses[i]
                rows.append((k, a, 0, False))
                for start, end in _windows(a.text):
                    window = analyze_if(a.text[start:end], _has_window_cue)
                    if window is not None:
                        rows.append((k, window, start, True))
            probs, tfidf = self._probabilities_rows([r[1] for r in rows])
            best = {h: np.zeros(len(live)) for h in HEADS}
            source = {h: np.zeros(len(live), dtype=int) for h in HEADS}
            for j, (k, _, _, is_window) in enumerate(rows):
                # a window counts only as an alarm (its cue was checked above)
                if is_window and max(probs["critical"][j], probs["publicity_pressure"][j]) < DECISION_THRESHOLD:
                    continue
                for h in HEADS:
                    if probs[h][j] > best[h][k]:
                        best[h][k] = probs[h][j]
                        source[h][k] = j
            levels = decide_levels(best, {h: DECISION_THRESHOLD for h in HEADS})
            for k, i in enumerate(live):
                a = analyses[i]
                level = LEVELS[int(levels[k])]
                pp = float(best["publicity_pressure"][k])
                reasons = a.reasons
                if level in ("elevated", "critical") or pp >= DECISION_THRESHOLD:
                    head = ("publicity_pressure" if pp >= DECISION_THRESHOLD
                            else "critical" if level == "critical" else "escalation")
                    j = int(source[head][k])
                    _, window, offset, _ = rows[j]
                    evidence = self._evidence(window, head, offset, a.reasons,
                                              sources[i] if sources is not None else None,
                                              tfidf.row(j))
                    reasons = tuple(sorted(a.reasons + evidence, key=lambda r: (r.start, r.end, r.cue)))
                out[i] = Score(float(best["escalation"][k]), level, pp, reasons,
                               self.version, a.flags, pii[i])
        for i, a in enumerate(analyses):
            if out[i] is None:
                out[i] = _empty_score(a, self.version, pii[i])
        return out  # type: ignore[return-value]

    def _evidence(self, a: Analysis, head: str, offset: int, taken: tuple[Reason, ...],
                  source: str | None = None, tfidf_row=None) -> tuple[Reason, ...]:
        """Up to ``EVIDENCE_WORDS`` words that added most to ``head``'s text score, as
        ``words`` reasons (neighbouring words joined into one span), skipping words a cue
        reason already shows. ``offset``: where ``a.text`` starts in the post's match view;
        ``source``: the caller's string, into which the reasons then point (like cue reasons);
        ``tfidf_row``: ``a``'s tf-idf row from scoring it (else it is transformed again)."""
        contrib = self._inference.token_contributions(a, head, tfidf_row)
        spans = [None if sp is None else (sp[0] + offset, sp[1] + offset) for sp in _token_spans(a)]
        if source is not None:
            to_source = prepare(source).source_span
            spans = [None if sp is None else to_source(*sp) for sp in spans]
            words = source
        else:
            words = " " * offset + a.text  # offsets of the match view
        covered = [(r.start, r.end) for r in taken]
        picked: list[int] = []
        order = np.argsort(-contrib, kind="stable")
        for i in order:
            if len(picked) == EVIDENCE_WORDS or contrib[i] <= 0:
                break
            span = spans[i]
            tok = a.tokens[i]
            if span is None or contrib[i] < EVIDENCE_MIN_SHARE * contrib[order[0]] or (
                    tok[0].isalnum() and len(tok) < EVIDENCE_MIN_LETTERS) or tok[0] in "!?":
                continue  # weak, a short function word, or "!!!" (shown as shouting already)
            if any(cs < span[1] and span[0] < ce for cs, ce in covered):
                continue
            picked.append(int(i))
        out: list[Reason] = []
        last = -2
        for i in sorted(picked):
            s, e = spans[i]  # type: ignore[misc]  # picked holds only located words
            if i == last + 1:  # the next word: one span
                s = out.pop().start
            out.append(Reason(EVIDENCE_CUE, words[s:e], s, e))
            last = i
        return tuple(out)

    def info(self) -> dict:
        """Version, thresholds, metrics and data credits from the manifest."""
        keys = ("model_version", "trained_on", "thresholds", "metrics", "data", "credits", "versions")
        out = {k: self.manifest[k] for k in keys if k in self.manifest}
        out["base_rates"] = self.base_rates
        out["training_rates"] = self.training_rates
        return out


def load(path: str | Path | None = None, *, trusted: Iterable[str] = (), trust: bool = False,
         base_rates: Mapping[str, float] | str | None = None) -> Model:
    """Load a model directory (default: the bundled model), verifying its sha256 first.

    ``trusted``: type names (``"module.Class"``) you accept beyond the reviewed list, as in
    skops; a file holding any other type is refused, and loading the accepted ones is warned
    about (``ModelTrustWarning``). ``trust=True`` accepts every type and a missing or altered
    manifest, each with a ``ModelTrustWarning``: only for files you made yourself.
    ``base_rates``: the feed the probabilities are for — a dict of head → share
    (``{"publicity_pressure": 0.01}``; heads left out keep the model's default), or
    ``"training"`` for the training mix's rates (see ``Model``).
    """
    model_dir = Path(path) if path is not None else bundled_model_dir()
    if model_dir.is_file():
        model_dir = model_dir.parent
    trusted = list(trusted)
    if not trust and not trusted:
        # the fast path: both files checked against the manifest, the arrays read (no
        # scikit-learn, scipy or skops import); the skops file is read only if asked for
        manifest = verify_model_file(model_dir)
        inference = load_inference(model_dir, manifest)
        if inference is not None:
            return Model(None, manifest, model_dir, base_rates=base_rates, inference=inference)
    classifier, manifest = load_classifier(model_dir, trusted=trusted, trust=trust)
    return Model(classifier, manifest, model_dir, base_rates=base_rates)


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The bundled model, loaded once on first use."""
    return load()
