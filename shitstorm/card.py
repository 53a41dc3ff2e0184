"""The model card, rendered from the manifest so that every number in it is a measured one."""

from __future__ import annotations

GERMEVAL_CITATION = (
    'Michael Wiegand, Melanie Siegel, and Josef Ruppenhofer: "Overview of the GermEval 2018 '
    'Shared Task on the Identification of Offensive Language", in Proceedings of GermEval 2018, '
    "Vienna, Austria."
)

POTTS_CITATION = (
    'Uladzimir Sidarenka: "PotTS: The Potsdam Twitter Sentiment Corpus", in Proceedings of LREC '
    "2016, Portorož, Slovenia. Data under the MIT licence, copyright (c) 2015 Uladzimir Sidarenka."
)

METRIC_ROWS = (
    ("escalation_roc_auc", "escalation ROC-AUC (level ≥ elevated)"),
    ("escalation_f1", "escalation F1"),
    ("escalation_ece", "escalation expected calibration error"),
    ("level_macro_f1", "level macro-F1"),
    ("level_accuracy", "level accuracy"),
    ("level_within_one", "level within-one accuracy"),
    ("pressure_roc_auc", "publicity-pressure ROC-AUC"),
    ("pressure_f1", "publicity-pressure F1"),
    ("pressure_ece", "publicity-pressure expected calibration error"),
)


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _reliability(rows: list[dict]) -> str:
    out = ["| probability bin | posts | mean predicted | observed |", "|---|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['bin']} | {r['n']} | {_fmt(r['mean_predicted'])} | {_fmt(r['observed'])} |")
    return "\n".join(out)


def render_card(manifest: dict) -> str:
    m = manifest.get("metrics", {})
    cv, test, base = m.get("cross_validated", {}), m.get("test"), m.get("baseline_test")
    data = manifest.get("data", {})
    lines = [
        f"# Model card: shitstorm {manifest.get('model_version', '')}",
        "",
        "## What it is",
        "A German-text escalation scorer for public customer-service posts (Facebook, X, Instagram,",
        "reviews, forums). For each post: `escalation`, the calibrated probability that the post needs",
        "urgent, senior handling (level elevated or critical); `level` (none / low / elevated /",
        "critical); `publicity_pressure`, the calibrated probability that the author uses or threatens",
        "the public as leverage; and the cue reasons behind them. Pipeline: German normalisation →",
        "lexicon cues, style features, stemmed word and character n-grams → logistic-regression text",
        "heads (out-of-fold) → scikit-learn HistGradientBoosting per output → isotonic calibration →",
        "level thresholds chosen on out-of-fold predictions.",
        "",
        "## Intended use",
        "Ranking and routing incoming public posts for a customer-service team, with a human reading",
        "every post the model flags. Not for decisions about a person without a human, not for",
        "moderation verdicts, not for texts other than German customer posts.",
        "",
        "## Limitations",
        "- Trained on posts written for this project (see Training data), not on a sample of real",
        "  traffic; real posts differ in topic mix, spelling and length.",
        "- The training data is balanced (each level ≥ 15%, publicity pressure ≈ 20%); in real traffic",
        "  pressure is a few posts in a thousand. The probabilities are calibrated on the corpus",
        "  distribution: with a much rarer class, the share of false alarms among flagged posts is",
        "  higher than on the test split. Check the thresholds on your own labelled posts.",
        "- Sarcasm, irony and threats without typical wording remain hard; English or mixed-language",
        "  posts are flagged `not_german` and scored with less confidence in the result.",
        "- Real text outside the corpus: on 2,504 real German tweets (a held-out half of GermEval",
        "  2018, mostly political, not customer posts) the escalation probability separates offensive",
        "  from other tweets only weakly (ROC-AUC 0.56, `python -m training.experiments --real`).",
        "  Escalation is not offensiveness, but the figure is a reminder that the corpus is written,",
        "  not sampled: measure on your own labelled posts before relying on the thresholds.",
        "- Lexicon cues are shown as reasons even when the model decides they are harmless (a",
        "  newspaper mentioned in a question); the probabilities, not the reasons, carry the verdict.",
        "",
        "## Training data",
        f"- {data.get('train_posts', '?')} labelled posts for training"
        + (f", {data.get('test_posts')} held-out test posts" if data.get("test_posts") else "")
        + f"; data sha256 `{str(data.get('train_sha256', ''))[:16]}…`.",
        "- The shitstorm corpus (`training/data/`): German public posts written for this project",
        "  by separate writers from one brief and annotation guideline (`training/GUIDELINES.md`),",
        "  with a second, independent annotation pass (see `training/README.md`).",
    ]
    if data.get("hostility_posts"):
        lines += [
            f"- Auxiliary hostility head: {data['hostility_posts']} German tweets of the GermEval 2018",
            "  training split (offensive language), CC BY 4.0, read from `../shared/data/germeval2018/`,",
            "  not copied into the repository. Citation: " + GERMEVAL_CITATION,
        ]
    lines += ["", "## Evaluation", ""]
    if test:
        lines += [f"On the held-out test split ({test.get('n')} posts, written in separate batches and",
                  "never used for any choice):", "",
                  "| metric | shitstorm | baseline (TF-IDF + logistic regression) |", "|---|---:|---:|"]
        for key, label in METRIC_ROWS:
            lines.append(f"| {label} | {_fmt(test.get(key))} | {_fmt((base or {}).get(key))} |")
        lines.append("")
    lines += [f"Cross-validated on the training data ({cv.get('n', '?')} posts, out-of-fold predictions;",
              "the calibrators were fitted on these same predictions, so calibration error is only",
              "meaningful on the test split):", "", "| metric | value |", "|---|---:|"]
    for key, label in METRIC_ROWS:
        if key in cv and not key.endswith("_ece"):
            lines.append(f"| {label} | {_fmt(cv.get(key))} |")
    rel = m.get("reliability", {})
    for head, title in (("escalation", "escalation"), ("publicity_pressure", "publicity pressure")):
        if head in rel:
            lines += ["", f"### Reliability of `{title}` ({rel.get('source', '')})", "", _reliability(rel[head])]
    th = manifest.get("thresholds", {})
    lines += ["", "## Thresholds", "Chosen on out-of-fold training predictions (never on the test split):", ""]
    lines += [f"- `{k}`: {v}" for k, v in th.items()]
    lines += ["", "## Reproduce", "Every number above was produced by (from the repository root; for the",
              "shipped model `python -m training.train` runs exactly this command):", "", "```",
              manifest.get("command", "shitstorm train ..."), "```", ""]
    return "\n".join(lines)
