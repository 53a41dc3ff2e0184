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


def _metric_table(columns: list[tuple[str, dict | None]]) -> list[str]:
    out = ["| metric | " + " | ".join(name for name, _ in columns) + " |",
           "|---|" + "---:|" * len(columns)]
    for key, label in METRIC_ROWS:
        out.append(f"| {label} | " + " | ".join(_fmt((c or {}).get(key)) for _, c in columns) + " |")
    return out


def _rates(rates: dict) -> str:
    return ", ".join(f"`{k}` {v:.3%}" if v < 0.01 else f"`{k}` {v:.1%}" for k, v in rates.items())


def cv_reliability_credits(manifest: dict) -> list[str]:
    """The rows of the cross-validated table (calibration errors left out: the calibrators were
    fitted on those predictions), the reliability tables and the credits: the part every model
    card shares."""
    m = manifest.get("metrics", {})
    cv = m.get("cross_validated", {})
    lines = [f"| {label} | {_fmt(cv.get(key))} |" for key, label in METRIC_ROWS
             if key in cv and not key.endswith("_ece")]
    rel = m.get("reliability", {})
    for head, title in (("escalation", "escalation"), ("publicity_pressure", "publicity pressure")):
        if head in rel:
            lines += ["", f"### Reliability of `{title}` ({rel.get('source', '')})", "", _reliability(rel[head])]
    if manifest.get("credits"):
        lines += ["", "## Credits", ""] + [f"- {c}" for c in manifest["credits"]]
    return lines


def render_card(manifest: dict) -> str:
    if manifest.get("own_data"):  # a team's own model describes the team's data
        from .own_card import render_own_card

        return render_own_card(manifest)
    m = manifest.get("metrics", {})
    cv, test, base = m.get("cross_validated", {}), m.get("test"), m.get("baseline_test")
    data = manifest.get("data", {})
    lines = [
        f"# Model card: shitstorm {manifest.get('model_version', '')}",
        "",
        "## What it is",
        "A German-text escalation scorer for public customer-service posts (Facebook, X, Instagram,",
        "reviews, forums). For each post: `escalation`, the probability that the post needs a prompt,",
        "careful answer or senior handling (level elevated or critical); `level` (none / low / elevated",
        "/ critical); `publicity_pressure`, the probability that the author uses or threatens the",
        "public as leverage; and the reasons behind them. Pipeline: German normalisation (links,",
        "handles, numbers masked and left out of the features) → lexicon cues (tagged media and",
        "regulator accounts among them), style features, stemmed word and character n-grams →",
        "logistic-regression text heads (out-of-fold) → scikit-learn HistGradientBoosting per output",
        "→ isotonic calibration → shift to the stated base rates → every head decides at 0.5. Every",
        "post scored elevated or critical, or with pressure ≥ 0.5, names its evidence: the cue",
        "reasons, plus up to three `words` reasons, the words the text heads weighed most towards it.",
        "",
        "## Intended use",
        "Ranking and routing incoming public posts for a customer-service team, with a human reading",
        "every post the model flags. Not for decisions about a person without a human, not for",
        "moderation verdicts, not for texts other than German customer posts.",
        "",
        "## Base rates: what the probabilities are for",
    ]
    if manifest.get("base_rates"):
        lines += [
            f"- Shipped for a real brand feed: {_rates(manifest['base_rates'])}. Publicity pressure",
            "  \"a few posts in a thousand\" and critical posts \"one or two in a hundred\" are what",
            "  social-media teams report of their feeds (project brief, issue #11; the upper ends are",
            "  taken); the escalation and `ge_low` rates are assumptions, not measurements.",
            f"- The training mix (written corpus + real background): {_rates(manifest.get('training_rates', {}))};",
            f"  the written corpus alone: {_rates(manifest.get('corpus_rates', {}))}.",
            "- Calibrated probabilities for the training mix are moved to the stated rates by Bayes' rule",
            "  (prior odds ratio), then kept nested (pressure ≤ critical ≤ escalation ≤ low). A team",
            "  states its own: `shitstorm.load(base_rates={...})`, `--base-rates`, or `[base_rates]` in",
            "  the policy file. The same 0.5 decides the level rule and triage's pressure rule.",
        ]
    lines += [
        "",
        "## Limitations",
        "- The labelled posts are written for this project (see Training data), not sampled from",
        "  real traffic; real ordinary tweets enter only as unlabelled background (`none`).",
        "- The base rates are stated, not measured on a labelled real feed: with them the model",
        "  flags few real posts; a team whose feed has more pressure should state its rates, or",
        "  it will miss threats the model is less than sure of.",
        "- Some background tweets are real complaints about companies (PotTS, 2013) and are labelled",
        "  `none`: a little label noise towards calm. Hostile tweets in the register of political",
        "  Twitter, not aimed at a company, are rarely scored elevated (0.4% of GermEval's offensive",
        "  tweets, `python -m training.experiments --background`): insults at staff in a complaint",
        "  are what the corpus teaches, not offensiveness in general.",
        "- Sarcasm, irony and threats without typical wording remain hard; English or mixed-language",
        "  posts are flagged `not_german`.",
        "- The accounts lexicon (`shitstorm/text/lexicons/accounts/`) lists national outlets and bodies;",
        "  a local paper's handle is no evidence until a team adds it.",
        "- Lexicon cues are shown as reasons even when the model decides they are harmless (a",
        "  newspaper mentioned in a question); the probabilities, not the reasons, carry the verdict.",
        "",
        "## Training data",
        f"- {data.get('train_posts', '?')} labelled posts for training"
        + (f", {data.get('test_posts')} held-out test posts" if data.get("test_posts") else "")
        + f"; data sha256 `{str(data.get('train_sha256', ''))[:16]}…`.",
        "- The shitstorm corpus (`training/data/`): German public posts written for this project",
        "  by separate writers from one brief and annotation guideline (`training/GUIDELINES.md`),",
        "  including batches in the register of a real feed (`training/REGISTER_BRIEF.md`), with a",
        "  second, independent annotation pass (see `training/README.md`).",
    ]
    for b in data.get("background", []):
        lines.append(f"- Real background `{b['file']}` (sha256 `{b['sha256'][:16]}…`): {b['posts']} posts; "
                     f"{b['train_part_used']} of the training part used as `none`, {b['heldout']} held out.")
    if data.get("background"):
        lines += [
            "  Split rule: a post is held out when the sha256 of its key (casefolded text without",
            "  retweet markers, links and handles) falls in the lowest "
            f"{data.get('background_heldout_share', 0.3):.0%}",
            "  of the range (`shitstorm/train/background.py`); copies and retweets share a side. Offensive",
            "  GermEval tweets are not used as `none`. The held-out part is never used for any choice.",
        ]
    if data.get("hostility_posts"):
        lines += [
            f"- Auxiliary hostility head: {data['hostility_posts']} German tweets of the GermEval 2018",
            "  training data (its training part of the split above), offensive language.",
        ]
    lines += ["", "## Evaluation", ""]
    rt = m.get("real_traffic")
    if rt:
        lines += [f"On {rt['n']} held-out real German tweets (PotTS and GermEval 2018, non-offensive;",
                  "never seen in training), at the shipped base rates:", "",
                  "| measure | value | target (issue #11) |", "|---|---:|---:|",
                  f"| publicity pressure ≥ 0.5 | {rt['pressure_flagged']:.2%} | ≤ 0.5% |",
                  f"| level critical | {rt['critical']:.2%} | ≤ 1% |",
                  f"| escalation ≥ 0.5 | {rt['escalation_ge_0_5']:.2%} | ≤ 10% |",
                  f"| alarms without a reason | {rt['alarms_without_reason']} of {rt['alarms']} | 0 |",
                  "", "Levels: " + ", ".join(f"{k} {v:.2%}" for k, v in rt["level_shares"].items())
                  + ". The alarms themselves: `python benchmarks/real_traffic.py`.", ""]
    if test:
        lines += [f"On the held-out test split ({test.get('n')} written posts, separate writers, never used",
                  "for any choice). `training mix`: probabilities as calibrated on the training mix",
                  "(nearest to the split's own composition); `register added`: the same posts with",
                  "handles, retweet markers, links, neutral hashtags and emoji added, labels unchanged",
                  "(`shitstorm.train.evaluation.register_variant`); `feed rates`: the shipped base rates, under",
                  "which only near-certain posts pass 0.5:", ""]
        lines += _metric_table([("training mix", test), ("register added", m.get("test_register")),
                                ("feed rates", m.get("test_feed_rates")),
                                ("baseline (TF-IDF + LR)", base)])
        lines.append("")
    lines += [f"Cross-validated on the training data ({cv.get('n', '?')} posts incl. background, out-of-fold;",
              "the calibrators were fitted on these same predictions, so calibration error is only",
              "meaningful on the test split):", "", "| metric | value |", "|---|---:|"]
    lines += cv_reliability_credits(manifest)
    lines += ["", "## Reproduce", "Every number above was produced by (from the repository root; for the",
              "shipped model `python -m training.train` runs exactly this command):", "", "```",
              manifest.get("command", "shitstorm train ..."), "```", ""]
    return "\n".join(lines)
