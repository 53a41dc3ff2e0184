"""Thresholds for a team, as base rates: ``shitstorm evaluate --target-precision 0.9``.

The model decides every head at 0.5 on probabilities moved to stated base rates
(``classifier.shift_base_rate``). Moving a head's base rate moves its decision boundary on the
probabilities as trained: a head says yes at base rate ``b`` exactly when its probability for the
training mix ``p`` has odds of at least ``odds(trained) / odds(b)``. So a threshold that reaches
a target precision or recall on the team's rows *is* a base rate, and the team states it where
the model takes base rates (a policy file's ``[base_rates]``) instead of a second number that
would disagree with the probabilities.

Per head (``ge_low``, ``escalation``, ``critical``, ``publicity_pressure``) on the team's rows:

* **target precision P**: the lowest threshold whose precision is at least P (the most recall
  at that precision); none when even the most certain posts miss P;
* **target recall R**: the highest threshold whose recall is at least R (the most precision);
* the boundary is put halfway between that post's probability and the next lower one, and turned
  into the base rate that puts 0.5 there.

The heads are nested (pressure ⊂ critical ⊂ escalation ⊂ ≥ low), and so must the rates be: for
a precision target an inner head's rate is lowered to its outer head's (fewer alarms, precision
kept), for a recall target an outer head's is raised to the inner one's (recall kept). Heads the
rows cannot decide keep the model's rates. The search uses each whole post's probability; the
figures reported as *reached* come from scoring the rows again with the written rates (long
posts' sentence windows and the nesting included), so they are what the team will see.

The **implied** base rates are the label shares of the rows: the right rates when the rows are a
random sample of the team's feed — not when they were picked by ``shitstorm review``, which
chooses the uncertain posts on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..classifier import HEADS, head_targets
from ..model import Model, check_base_rates

RATE_LIMITS = (1e-6, 1 - 1e-6)
"""Base rates are kept strictly inside (0, 1)."""


def rate_for_threshold(threshold: float, trained: float) -> float:
    """The base rate at which a probability ``threshold`` for the training mix (base rate
    ``trained``) becomes exactly 0.5.

    >>> round(rate_for_threshold(0.5, 0.2), 6)
    0.2
    """
    t = min(max(threshold, 1e-12), 1 - 1e-12)
    prior_odds = (trained / (1 - trained)) / (t / (1 - t))
    return float(np.clip(prior_odds / (1 + prior_odds), *RATE_LIMITS))


def threshold_for_target(prob, truth, *, precision: float | None = None,
                         recall: float | None = None) -> float | None:
    """A boundary on ``prob`` (decide ``prob >= boundary``) reaching the target on these rows,
    or None (no positives, or the precision is not reachable)."""
    prob = np.asarray(prob, dtype=float)
    truth = np.asarray(truth, dtype=int)
    positives = int(truth.sum())
    if positives == 0:
        return None
    cuts = np.unique(prob)[::-1]  # descending: each cut says yes to prob >= cut
    tp = np.array([int(truth[prob >= c].sum()) for c in cuts])
    flagged = np.array([int((prob >= c).sum()) for c in cuts])
    if precision is not None:
        ok = np.nonzero(tp / flagged >= precision)[0]
        if len(ok) == 0:
            return None
        k = int(ok[-1])  # the lowest cut that still reaches the precision
    elif recall is not None:
        ok = np.nonzero(tp / positives >= recall)[0]
        k = int(ok[0])  # the highest cut that reaches the recall
    else:
        raise ValueError("give a target precision or a target recall")
    lower = cuts[k + 1] if k + 1 < len(cuts) else 0.0
    return float((cuts[k] + lower) / 2)


def implied_rates(levels, pressure) -> dict[str, float]:
    """Each head's share of positive labels in the rows."""
    t = head_targets(np.asarray(levels), np.asarray(pressure))
    return {h: round(float(np.mean(t[h])), 6) for h in HEADS}


def nested(rates: Mapping[str, float | None], fallback: Mapping[str, float], *,
           lower_inner: bool) -> dict[str, float]:
    """A complete, nested set: heads missing (or zero) take ``fallback``; then, outermost first,
    an inner rate above its outer one is lowered to it (``lower_inner``), or, innermost first,
    an outer rate below its inner one is raised to it."""
    out = {h: float(rates.get(h) or fallback[h]) for h in HEADS}
    if lower_inner:
        for outer, inner in zip(HEADS, HEADS[1:], strict=False):
            out[inner] = min(out[inner], out[outer])
    else:
        for inner, outer in zip(HEADS[::-1], HEADS[-2::-1], strict=False):
            out[outer] = max(out[outer], out[inner])
    return check_base_rates(out)


def _reached(levels_true, pressure_true, levels_pred, pressure_prob) -> dict[str, dict]:
    truth = head_targets(np.asarray(levels_true), np.asarray(pressure_true))
    lp = np.asarray(levels_pred)
    said = {"ge_low": lp >= 1, "escalation": lp >= 2, "critical": lp >= 3,
            "publicity_pressure": np.asarray(pressure_prob) >= 0.5}
    out = {}
    for h in HEADS:
        t, s = truth[h].astype(bool), said[h]
        tp = int((t & s).sum())
        out[h] = {"flagged": int(s.sum()), "positives": int(t.sum()),
                  "precision": round(tp / int(s.sum()), 4) if s.sum() else None,
                  "recall": round(tp / int(t.sum()), 4) if t.sum() else None}
    return out


def team_rates(model: Model, pred, *, target_precision: float | None = None,
               target_recall: float | None = None) -> dict:
    """Base rates for a target precision or recall on the rows of ``pred``
    (``evaluate.Predictions``) — without a target, the rates the rows imply — and what the model
    reaches with them."""
    from ..schema import LEVEL_INDEX

    if target_precision is not None and target_recall is not None:
        raise ValueError("give one of target_precision and target_recall, not both")
    if model.training_rates is None:
        raise ValueError("this model file records no training rates; retrain it to use base rates")
    implied = implied_rates(pred.levels_true, pred.pressure_true)
    current = dict(model.base_rates or model.training_rates)
    target = target_precision if target_precision is not None else target_recall
    if target is None:  # the rows' own shares
        found: dict[str, float | None] = {h: (v or None) for h, v in implied.items()}
        rates = nested(found, current, lower_inner=True)
    else:
        if not 0 < target <= 1:
            raise ValueError(f"a target precision or recall is a share in (0, 1], got {target}")
        probs = model.probabilities_as_trained(list(pred.analyses))
        truth = head_targets(pred.levels_true, pred.pressure_true)
        found = {}
        for h in HEADS:
            cut = threshold_for_target(probs[h], truth[h], precision=target_precision, recall=target_recall)
            found[h] = None if cut is None else round(rate_for_threshold(cut, model.training_rates[h]), 6)
        rates = nested(found, current, lower_inner=target_precision is not None)
    rates = {h: float(f"{v:.6g}") for h, v in rates.items()}
    scores = model.with_base_rates(rates).score_analyses(
        list(pred.analyses))
    reached = _reached(pred.levels_true, pred.pressure_true, [LEVEL_INDEX[s.level] for s in scores],
                       [s.publicity_pressure for s in scores])
    if target_precision is not None:
        goal = {"precision": target_precision}
    elif target_recall is not None:
        goal = {"recall": target_recall}
    else:
        goal = {}
    return {"target": goal, "found": found, "base_rates": rates, "reached": reached,
            "implied": implied, "n": len(pred)}


def policy_toml(found: dict, *, model_version: str, source: str) -> str:
    """A policy file holding the base rates of ``team_rates`` (the result dict), with the
    figures reached and the implied rates as comments. ``Policy.from_toml`` reads it; every
    other policy key keeps its default."""
    target = ", ".join(f"target {k} {v:g}" for k, v in found["target"].items()) or "their label shares"
    lines = [
        f"# Base rates for shitstorm model {model_version}, found by `shitstorm evaluate` on",
        f"# {source} ({found['n']} labelled rows), {target}.",
        "# Every head decides at 0.5 on probabilities for these rates. Use the file with",
        "#   shitstorm batch posts.csv --triage --policy THIS_FILE",
        "#   shitstorm evaluate labelled.csv --policy THIS_FILE",
        "# Heads the rows could not decide keep the model's rates; rates are kept nested",
        "# (publicity_pressure <= critical <= escalation <= ge_low).",
        "# The rates your rows imply (their label shares; right only if the rows are a random",
        "# sample of your feed, not when `shitstorm review` picked them):",
    ]
    lines += [f"#   {h} = {v:g}" for h, v in found["implied"].items()]
    lines += ["", "[base_rates]"]
    for h in HEADS:
        r = found["reached"][h]
        how = (f"not decided by the rows (no positives, or the target out of reach): the model's rate, nested; "
               f"precision {_f(r['precision'])}, recall {_f(r['recall'])}" if found["found"][h] is None else
               f"precision {_f(r['precision'])}, recall {_f(r['recall'])} on your rows")
        lines.append(f"{h} = {found['base_rates'][h]!r}  # {how}")
    return "\n".join(lines) + "\n"


def _f(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def rates_summary(found: dict) -> str:
    """The plain-text table ``shitstorm evaluate`` prints for the base rates."""
    goal = ", ".join(f"target {k} {v:g}" for k, v in found["target"].items()) or "your rows' label shares"
    lines = [f"base rates for the team ({goal}; decisions at 0.5, scored again with these rates)",
             f"{'head':<20} {'rate':>9} {'precision':>10} {'recall':>8} {'flagged':>8} {'rows share':>11}"]
    for h in HEADS:
        r = found["reached"][h]
        mark = "" if found["found"][h] is not None else " *"
        lines.append(f"{h + mark:<20} {found['base_rates'][h]:>9.4g} {_f(r['precision']):>10} {_f(r['recall']):>8} "
                     f"{r['flagged']:>8} {found['implied'][h]:>11.4g}")
    if any(v is None for v in found["found"].values()):
        lines.append("* not decided by your rows (no positives, or the target out of reach): the model's rate, nested")
    return "\n".join(lines)
