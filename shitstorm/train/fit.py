"""Retraining from labelled CSVs: ``shitstorm train`` and ``python -m training.train`` both
end here. Reads and validates everything first, trains deterministically, evaluates, and only
then writes model + manifest + card (atomically) to the output directory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .. import __version__
from ..classifier import HEADS, EscalationClassifier, head_targets
from ..model import FEED_BASE_RATES, Model, check_base_rates
from ..persist import save_model_dir
from ..schema import LEVEL_INDEX
from ..text.analysis import analyze
from .background import HELDOUT_SHARE, read_real_posts
from .baseline import baseline_metrics
from .card import render_card
from .datacheck import check_trainable
from .dataset import LabelledData
from .evaluation import register_variant, traffic_report
from .metrics import evaluate, reliability_table


def _analyses(texts, say):
    out = []
    for i, t in enumerate(texts):
        out.append(analyze(t))
        if i and i % 2000 == 0:
            say(f"  analysed {i}/{len(texts)}")
    return out


def _rates(levels, pressure) -> dict[str, float]:
    t = head_targets(np.asarray(levels), np.asarray(pressure))
    return {h: float(np.mean(t[h])) for h in HEADS}


def _score_metrics(model: Model, analyses, levels, pressure) -> tuple[dict, list]:
    scores = model.score_analyses(analyses)
    esc = np.array([s.escalation for s in scores])
    pp = np.array([s.publicity_pressure for s in scores])
    lv = np.array([LEVEL_INDEX[s.level] for s in scores])
    return evaluate(levels, pressure, esc, pp, lv, 0.5, 0.5), scores


def train_and_save(train: LabelledData, out_dir: Path | str, *, test: LabelledData | None = None,
                   hostility_path: Path | str | None = None, background: Sequence[Path | str] = (),
                   base_rates: dict[str, float] | None = None, seed: int = 0, folds: int = 5,
                   command: str = "", progress: Callable[[str], None] | None = None,
                   classifier: EscalationClassifier | None = None, sample_weight=None,
                   own_data: dict | None = None, warn: Callable[[str], None] | None = None) -> dict:
    """Train, evaluate and write a model directory; returns the manifest.

    ``background``: files of real, unlabelled ordinary posts (``background.read_real_posts``);
    the training part of the fixed split joins the training data as ``none``, the held-out
    part is measured as real traffic. ``base_rates``: the feed the shipped probabilities are
    for (default ``model.FEED_BASE_RATES``). ``sample_weight``: one weight per row of ``train``
    (background rows weigh 1). ``own_data``: a team's data description for the manifest, from
    which the card describes the team's data (``own_card.py``). Too few rows of a class raise
    ``DataError`` (``datacheck.check_trainable``); a small set's warnings go to ``warn`` and the
    manifest."""
    say = progress or (lambda msg: None)
    feed_rates = check_base_rates({**FEED_BASE_RATES, **(base_rates or {})})
    real = [read_real_posts(p) for p in background]
    texts, levels, pressure = list(train.texts), list(train.levels), list(train.pressure)
    data: dict = {"train_posts": len(train), "train_sha256": train.sha256}
    heldout_real: list[str] = []
    if real:
        data["background"] = []
        data["background_heldout_share"] = HELDOUT_SHARE
        for r in real:
            used = r.part(heldout=False).background()
            kept = r.part(heldout=True)
            heldout_real += kept.texts
            texts += used
            levels += [0] * len(used)
            pressure += [0] * len(used)
            data["background"].append({"file": Path(r.path).name, "sha256": r.sha256,
                                       "posts": len(r.texts), "train_part_used": len(used),
                                       "heldout": len(kept.texts)})
    weights = None
    if sample_weight is not None:
        weights = [float(w) for w in sample_weight] + [1.0] * (len(texts) - len(train))
    cautions = check_trainable(levels, pressure, folds=folds, on_base=bool((own_data or {}).get("base")))
    for c in cautions:
        (warn or (lambda m: None))(c)
    say(f"analysing {len(texts)} training posts ({len(train)} labelled, "
        f"{len(texts) - len(train)} real background)")
    X = _analyses(texts, say)
    y = np.column_stack([levels, pressure])
    hostility = None
    if hostility_path is not None:
        h = read_real_posts(hostility_path).part(heldout=False)
        say(f"analysing {len(h.texts)} hostility posts (training part of {hostility_path})")
        hostility = (_analyses(h.texts, say), [int(x) for x in h.offensive])
        data["hostility_posts"] = len(h.texts)
        data["hostility_sha256"] = h.sha256
    clf = classifier if classifier is not None else EscalationClassifier(n_folds=folds, random_state=seed)
    clf.set_params(random_state=seed, n_folds=folds)
    clf.fit(X, y, hostility=hostility, progress=lambda m: say(f"fitting: {m}"), sample_weight=weights)

    manifest = {
        "model_version": f"{__version__}+{train.sha256[:8]}",
        "heads": list(HEADS),
        "thresholds": clf.thresholds_,
        "base_rates": feed_rates,
        "training_rates": {h: round(v, 6) for h, v in clf.training_rates_.items()},
        "corpus_rates": {h: round(v, 6) for h, v in _rates(train.levels, train.pressure).items()},
        "seed": seed,
        "folds": folds,
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in clf.get_params().items()},
        "data": data,
        "ignored_columns": list(train.ignored_columns),
        "credits": [],
        "command": command,
    }
    if cautions:
        manifest["warnings"] = cautions
    if own_data is not None:
        manifest["own_data"] = own_data
    oof = clf.oof_probabilities_
    from ..classifier import decide_levels

    cv = evaluate(levels, pressure, oof["escalation"], oof["publicity_pressure"],
                  decide_levels(oof, clf.thresholds_), 0.5, 0.5)
    metrics: dict = {"cross_validated": cv}
    reliability = {"source": "cross-validated training predictions (training mix)",
                   "escalation": reliability_table(oof["escalation"], np.asarray(levels) >= 2),
                   "publicity_pressure": reliability_table(oof["publicity_pressure"], pressure)}
    at_training = Model(clf, manifest, base_rates="training")
    at_feed = Model(clf, manifest)
    if test is not None:
        say(f"evaluating on {len(test)} test posts")
        Xt = _analyses(test.texts, say)
        metrics["test"], test_scores = _score_metrics(at_training, Xt, test.levels, test.pressure)
        metrics["test_feed_rates"], _ = _score_metrics(at_feed, Xt, test.levels, test.pressure)
        Xr = _analyses([register_variant(t, i) for i, t in enumerate(test.texts)], say)
        metrics["test_register"], _ = _score_metrics(at_training, Xr, test.levels, test.pressure)
        say("baseline (TF-IDF + logistic regression)")
        metrics["baseline_test"] = baseline_metrics(train.texts, train.levels, train.pressure,
                                                    test.texts, test.levels, test.pressure, seed)
        reliability = {"source": "held-out test split, probabilities for the training mix's base rates",
                       "escalation": reliability_table([s.escalation for s in test_scores],
                                                       np.asarray(test.levels) >= 2),
                       "publicity_pressure": reliability_table(
                           [s.publicity_pressure for s in test_scores], test.pressure)}
        data["test_posts"] = len(test)
        data["test_sha256"] = test.sha256
    if heldout_real:
        say(f"measuring {len(heldout_real)} held-out real posts")
        metrics["real_traffic"] = traffic_report(at_feed.score_analyses(_analyses(heldout_real, say)))
    metrics["reliability"] = reliability
    manifest["metrics"] = metrics
    names = {Path(r.path).name for r in real} | ({Path(hostility_path).name} if hostility_path else set())
    if "germeval2018.training.txt" in names:
        from .card import GERMEVAL_CITATION

        manifest["credits"].append("GermEval 2018 (CC BY 4.0): " + GERMEVAL_CITATION)
    if "potts.csv" in names:
        from .card import POTTS_CITATION

        manifest["credits"].append("PotTS (MIT): " + POTTS_CITATION)
    say(f"writing {out_dir}")
    save_model_dir(clf, manifest, render_card(manifest), out_dir)
    return manifest
