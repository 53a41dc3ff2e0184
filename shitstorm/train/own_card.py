"""The model card of a team's own model, rendered from its manifest like the shipped card.

A model trained on a team's rows (``shitstorm train mine.csv``, ``train --base default mine.csv``)
describes those rows — files, rows per class, weights, the held-out rule, the before/after
comparison — and not the shipped corpus's writers, batches and findings. ``card.render_card``
hands any manifest with an ``own_data`` entry to ``render_own_card``.
"""

from __future__ import annotations

from .card import _metric_table, _rates, cv_reliability_credits


def _comparison(own: dict) -> list[str]:
    comp = own.get("comparison")
    if not comp:
        return []
    cols = comp["columns"]
    names = {"default": "default (shipped) model", "existing": "model replaced", "new": "this model"}
    out = [f"Before and after, at the same stated base rates ({_rates(own.get('comparison_base_rates') or {})}):",
           "", f"On your held-out rows ({own.get('own_heldout')}; never trained on):", ""]
    out += _metric_table([(names.get(c, c), comp["own_heldout"].get(c)) for c in cols])
    if any(comp["shipped_test"].get(c) for c in cols):
        out += ["", "On the shipped test split (written posts, never trained on):", ""]
        out += _metric_table([(names.get(c, c), comp["shipped_test"].get(c)) for c in cols])
    return out + [""]


def render_own_card(manifest: dict) -> str:
    own = manifest["own_data"]
    m = manifest.get("metrics", {})
    cv = m.get("cross_validated", {})
    data = manifest.get("data", {})
    counts = own.get("own_level_counts", {})
    lines = [
        f"# Model card: shitstorm {manifest.get('model_version', '')} (a team's own model)",
        "",
        "## What it is",
        "The shitstorm escalation scorer (`escalation`, `level`, `publicity_pressure` and reasons for",
        "German public customer posts), retrained on a team's own labelled posts. The pipeline is the",
        "shipped model's; the data is described below.",
        "",
        "## Intended use",
        "Ranking and routing the team's incoming public posts, with a person reading every post the",
        "model flags. Not for decisions about a person without a human.",
        "",
        "## Training data",
    ]
    files = ", ".join(f"`{f}`" for f in own.get("files", []))
    lines.append(f"- Your labelled rows: {own.get('own_rows', '?')} from {files} "
                 f"(sha256 `{str(own.get('own_sha256', ''))[:16]}…`).")
    if counts:
        lines.append("  Rows per class: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".")
    if own.get("base"):
        lines += [
            f"- Trained on top of the {own['base']}: {own.get('base_rows')} rows weighing "
            f"{own.get('base_weight'):g} each; your {own.get('own_trained')} training rows weigh "
            f"{own.get('own_weight'):g} each ({own.get('own_weight_share', 0):.1%} of the training weight).",
            f"- {own.get('own_heldout')} of your rows are held out by a fixed rule "
            f"({own.get('heldout_rule')}, on the text casefolded without retweet markers, links and",
            "  handles; `shitstorm/train/retrain.py`) and used only for the comparison below.",
        ]
    for b in data.get("background", []):
        lines.append(f"- Real background `{b['file']}`: {b['train_part_used']} posts used as `none`, "
                     f"{b['heldout']} held out.")
    if manifest.get("warnings"):
        lines += ["", "## Warnings at training time", ""] + [f"- {w}" for w in manifest["warnings"]]
    lines += ["", "## Base rates", f"- Stated: {_rates(manifest.get('base_rates', {}))}; every head decides at 0.5",
              "  on probabilities for these rates. State your feed's own with a policy file",
              "  (`shitstorm evaluate labelled.csv --write-policy team.toml`).",
              f"- The training mix (weighted): {_rates(manifest.get('training_rates', {}))}.", "",
              "## Limitations",
              "- The figures below are measured on the rows named above: they say how the model does on",
              "  posts like yours as far as your labels reach, and no further.",
              "- Few rows of a class make its figures uncertain; `shitstorm evaluate` gives intervals.",
              "", "## Evaluation", ""]
    lines += _comparison(own)
    test = m.get("test")
    if test and not own.get("comparison"):
        lines += [f"On the held-out test files ({test.get('n')} rows), probabilities for the training mix:", ""]
        lines += _metric_table([("this model", test), ("baseline (TF-IDF + LR)", m.get("baseline_test"))])
        lines.append("")
    lines += [f"Cross-validated on the training data ({cv.get('n', '?')} rows, out-of-fold):", "",
              "| metric | value |", "|---|---:|"]
    lines += cv_reliability_credits(manifest)
    lines += ["", "## Reproduce", "", "```", manifest.get("command", "shitstorm train ..."), "```", ""]
    return "\n".join(lines)
