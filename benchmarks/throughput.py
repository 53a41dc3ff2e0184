"""Throughput of `shitstorm.score_many` against the pipeline a data team writes in an hour
(issue #14). The reference speed benchmark; every figure comes from one process run.

    python benchmarks/throughput.py              # up to 20,000 distinct posts, one core
    python benchmarks/throughput.py --json       # the same figures as one JSON object
    python benchmarks/throughput.py --quick      # a smoke run on 500 posts

Texts: DISTINCT real German posts of 50–400 characters — PotTS, GermEval 2018's training
split (both read from ``../shared/data``) and the project corpus (``training/data/*.csv``),
deduplicated and shuffled with a fixed seed (see ``benchmarks/texts.py``). Never cycled: if
fewer distinct texts exist than asked for, the count used is printed. The texts for the
single-call latency are held apart from the throughput texts.

The process is pinned to one core (``os.sched_setaffinity``); each figure is CPU time of this
process (``time.process_time``), with wall time next to it. In order:

1. ``shitstorm.score_many(texts)`` (its default: personal-data scan on), first pass after the
   model is loaded (cold per-token caches) and second pass over the same texts (warm).
2. DIY: ``TfidfVectorizer`` word 1–2-grams + ``TfidfVectorizer(analyzer="char_wb",
   ngram_range=(3, 5))`` in a ``FeatureUnion`` → ``LogisticRegression`` on ``level``, fitted
   beforehand on the project corpus's training split (not timed); ``predict_proba`` is timed
   once right before the cold pass and once right after the warm pass, each shitstorm figure
   paired with the DIY pass next to it.
3. The tokenising floor: ``[re.findall(r"\\w+", t.lower()) for t in texts]``.
4. textblob-de's sentiment (pattern tokenizer), if ``textblob_de`` is importable: a benchmark-only
   install, ``pip install textblob-de 'textblob<0.16'`` (0.4.3 imports ``textblob.translate``).
5. ``shitstorm.score(text)``: CPU µs per single call, p50 / p99, one call per distinct text; and
   p50 on 500 distinct two-word posts ("Danke bap"), the fixed cost of a call.
   Also ``shitstorm.triage(score)`` over the cold pass's scores (default policy, no context),
   and where ``score_many``'s time goes, stage by stage (``stages``).
6. Ratios, and the target: ``score_many`` (cold) ≥ 3× the DIY pipeline.

Speed targets are benchmarks, not tests; the figures move by ±10% on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/texts.py
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repository's shitstorm

from texts import GERMEVAL, POTTS, corpus_training_split, distinct_posts

TARGET_VS_DIY = 3.0
TARGET_P99_US = 1000.0
FIXED_COST_CALLS = 500
FLOOR_LABEL = 'tokenising floor: re.findall(r"\\w+", t.lower())'


def pin_one_core() -> int | None:
    """Pin this process to one core; the core's number, or None where it cannot be pinned."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = sorted(os.sched_getaffinity(0))[0]
    os.sched_setaffinity(0, {core})
    return core


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(CPU seconds, wall seconds, result) of one call."""
    c0, w0 = time.process_time(), time.perf_counter()
    result = fn()
    return time.process_time() - c0, time.perf_counter() - w0, result


def figure(n: int, cpu: float, wall: float, **extra) -> dict:
    return {"posts": n, "cpu_s": round(cpu, 4), "wall_s": round(wall, 4),
            "posts_per_s": round(n / cpu, 1) if cpu > 0 else None,
            "posts_per_s_wall": round(n / wall, 1) if wall > 0 else None, **extra}


def diy_pipeline():
    """The hour's work: word uni+bigrams and char_wb 3–5-grams (TF-IDF) → logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    return Pipeline([
        ("features", FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2))),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5))),
        ])),
        ("clf", LogisticRegression(max_iter=1000)),
    ])


def textblob_sentiment() -> Callable[[list[str]], list] | None:
    """textblob-de's sentiment per post, or None where it is not installed. With its pattern
    tokenizer: the default one needs NLTK's punkt data, which is never downloaded here. Its
    lexicon is loaded by one call before the timing starts."""
    try:
        from textblob_de import PatternTokenizer, TextBlobDE  # type: ignore[import-not-found]
    except ImportError:
        return None
    tokenizer = PatternTokenizer()
    TextBlobDE("Vorab geladen.", tokenizer=tokenizer).sentiment  # noqa: B018 - loads the lexicon
    return lambda texts: [TextBlobDE(t, tokenizer=tokenizer).sentiment for t in texts]


def stages(texts: list[str]) -> dict:
    """Where ``score_many``'s time goes, stage by stage over the same posts (caches warm from the
    passes before): CPU µs a post for the text analysis (``analyze``), the personal-data scan
    (``find_pii``), the prediction of the whole posts (tf-idf, linear heads, tree walk,
    calibration, base rates: ``Model.probabilities``, in blocks as ``score_many``) and the rest
    of ``score_analyses`` (long posts' windows, evidence words, Score objects), with
    ``score_many`` itself as the total."""
    from shitstorm.model import default_model
    from shitstorm.pii import find_pii
    from shitstorm.text.analysis import analyze

    model = default_model()
    n = len(texts) or 1
    cpu_analyze, _, analyses = timed(lambda: [analyze(t) for t in texts])
    cpu_pii, _, pii = timed(lambda: [find_pii(t) for t in texts])
    cpu_predict, _, _ = timed(lambda: model.probabilities(analyses))
    cpu_rest, _, _ = timed(lambda: model.score_analyses(analyses, pii, texts))
    cpu_total, _, _ = timed(lambda: model.score_many(texts))
    us = {"analyze": cpu_analyze, "find_pii": cpu_pii, "predict_whole_posts": cpu_predict,
          "windows_evidence_scores": max(cpu_rest - cpu_predict, 0.0), "score_many_total": cpu_total}
    return {k: round(v / n * 1e6, 1) for k, v in us.items()}


def single_call_latencies(score: Callable[[str], object], texts: list[str]) -> list[float]:
    """CPU µs of one ``score(text)`` call per text, ascending."""
    out = []
    for t in texts:
        c0 = time.process_time_ns()
        score(t)
        out.append((time.process_time_ns() - c0) / 1000)
    return sorted(out)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    k = max(0, min(len(sorted_values) - 1, int(-(-q * len(sorted_values) // 1)) - 1))
    return sorted_values[k]


def ratio(a: dict | None, b: dict | None) -> float | None:
    if not a or not b or not a.get("posts_per_s") or not b.get("posts_per_s"):
        return None
    return float(f"{a['posts_per_s'] / b['posts_per_s']:.4g}")


def run(n: int, latency_n: int, potts: Path, germeval: Path) -> dict:
    pool = distinct_posts(potts, germeval)
    if latency_n >= len(pool.texts):
        raise SystemExit(f"only {len(pool.texts):,} distinct texts: too few for --latency-n {latency_n}")
    latency_texts = pool.texts[-latency_n:]
    texts = pool.texts[: min(n, len(pool.texts) - latency_n)]
    core = pin_one_core()
    out: dict = {
        "texts": {"pool": pool.describe(), "asked": n, "used": len(texts),
                  "composition": pool.composition(texts), "latency_texts": len(latency_texts),
                  "cycled": False, "missing_corpora": pool.missing},
        "core": core,
    }

    # DIY fit (not timed); then load shitstorm's model (not timed) before any post is scored
    train_texts, train_labels = corpus_training_split()
    diy = diy_pipeline()
    fit_cpu, _, _ = timed(lambda: diy.fit(train_texts, train_labels))
    out["diy_fit"] = {"posts": len(train_texts), "cpu_s": round(fit_cpu, 2), "label": "level"}

    import shitstorm
    from shitstorm.model import default_model

    load_cpu, load_wall, model = timed(default_model)
    out["shitstorm"] = {"version": shitstorm.__version__, "model": str(getattr(model, "version", "")),
                        "load_cpu_s": round(load_cpu, 3), "load_wall_s": round(load_wall, 3)}

    cpu, wall, _ = timed(lambda: diy.predict_proba(texts))
    out["diy_before"] = figure(len(texts), cpu, wall)
    cpu, wall, cold_scores = timed(lambda: shitstorm.score_many(texts))
    out["score_many_cold"] = figure(len(texts), cpu, wall, caches="cold: first pass after load")
    cpu, wall, warm_scores = timed(lambda: shitstorm.score_many(texts))
    out["score_many_warm"] = figure(len(texts), cpu, wall,
                                    caches="warm: second pass over the same texts")
    out["score_many_warm"]["same_scores_as_cold"] = cold_scores == warm_scores
    cpu, wall, _ = timed(lambda scores=cold_scores: [shitstorm.triage(s) for s in scores])
    out["triage"] = figure(len(texts), cpu, wall, policy="the default policy, no context")
    out["triage"]["cpu_us_per_post"] = round(cpu / len(texts) * 1e6, 1) if texts else None
    del cold_scores, warm_scores
    cpu, wall, _ = timed(lambda: diy.predict_proba(texts))
    out["diy_after"] = figure(len(texts), cpu, wall)

    cpu, wall, _ = timed(lambda: [re.findall(r"\w+", t.lower()) for t in texts])
    out["floor"] = figure(len(texts), cpu, wall)

    sentiment = textblob_sentiment()
    if sentiment is None:
        out["textblob_de"] = None
    else:
        cpu, wall, _ = timed(lambda: sentiment(texts))
        out["textblob_de"] = figure(len(texts), cpu, wall)

    out["stages"] = stages(texts)

    lat = single_call_latencies(shitstorm.score, latency_texts)
    out["score_latency"] = {"calls": len(lat), "p50_cpu_us": round(percentile(lat, 0.50), 1),
                            "p99_cpu_us": round(percentile(lat, 0.99), 1),
                            "target_p99_cpu_us": TARGET_P99_US,
                            "met": percentile(lat, 0.99) <= TARGET_P99_US}

    # the fixed cost of one call: distinct two-word posts ("Danke" and a made-up word)
    short = [f"Danke {a}{b}{c}" for a in "bcdfghjklm" for b in "aeiou" for c in "nprstvwxyz"][:FIXED_COST_CALLS]
    lat_short = single_call_latencies(shitstorm.score, short)
    out["score_latency"]["two_word_p50_cpu_us"] = round(percentile(lat_short, 0.50), 1)
    out["score_latency"]["two_word_calls"] = len(short)

    vs_diy = ratio(out["score_many_cold"], out["diy_before"])
    out["ratios"] = {
        "cold_vs_diy": vs_diy,
        "warm_vs_diy": ratio(out["score_many_warm"], out["diy_after"]),
        "cold_vs_textblob_de": ratio(out["score_many_cold"], out["textblob_de"]),
        "cold_vs_floor": ratio(out["score_many_cold"], out["floor"]),
    }
    out["target"] = {"score_many_cold_vs_diy": TARGET_VS_DIY,
                     "met": vs_diy is not None and vs_diy >= TARGET_VS_DIY}
    return out


def fmt_rate(f: dict | None) -> str:
    if not f:
        return "—"
    return f"{f['posts_per_s']:>9,.0f} posts/s CPU  ({f['posts_per_s_wall']:,.0f}/s wall)"


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else f"{r:.3g}×"


def report(out: dict) -> str:
    t = out["texts"]
    lines = [
        f"texts: {t['pool']}",
        f"timed: {t['used']:,} distinct posts" + (f" (asked {t['asked']:,}; not cycled)"
                                                 if t["used"] < t["asked"] else "")
        + " — " + ", ".join(f"{k} {v:,}" for k, v in t["composition"].items()),
        f"one core: {out['core'] if out['core'] is not None else 'not pinned (no sched_setaffinity)'}"
        f"; shitstorm {out['shitstorm']['version']}, model {out['shitstorm']['model']}, "
        f"loaded in {out['shitstorm']['load_cpu_s']:.2f} s CPU (not timed)",
        f"DIY fitted on {out['diy_fit']['posts']:,} training-split posts, label level "
        f"({out['diy_fit']['cpu_s']:.1f} s CPU, not timed)",
        "",
        f"{'DIY predict_proba (before the cold pass)':<50} {fmt_rate(out['diy_before'])}",
        f"{'score_many, PII scan on, COLD (first pass)':<50} {fmt_rate(out['score_many_cold'])}",
        f"{'score_many, PII scan on, WARM (second pass)':<50} {fmt_rate(out['score_many_warm'])}"
        + ("" if out["score_many_warm"]["same_scores_as_cold"] else "  SCORES DIFFER FROM COLD"),
        f"{'DIY predict_proba (after the warm pass)':<50} {fmt_rate(out['diy_after'])}",
        f"{'triage(score) on those scores, default policy':<50} {fmt_rate(out['triage'])}"
        f"  = {out['triage']['cpu_us_per_post']} µs CPU a post",
        f"{FLOOR_LABEL:<50} {fmt_rate(out['floor'])}",
    ]
    if out["textblob_de"] is None:
        lines.append("textblob-de not installed (pip install textblob-de 'textblob<0.16')")
    else:
        lines.append(f"{'textblob-de sentiment':<50} {fmt_rate(out['textblob_de'])}")
    st = out["stages"]
    lines += [
        f"{'where score_many time goes, CPU µs a post (warm):':<50} analyze {st['analyze']:,.0f} · "
        f"find_pii {st['find_pii']:,.0f} · predict {st['predict_whole_posts']:,.0f} · windows, "
        f"evidence, Score objects {st['windows_evidence_scores']:,.0f} · total {st['score_many_total']:,.0f}",
    ]
    lat = out["score_latency"]
    lines += [
        f"{'score() single call, CPU p50 / p99':<50} {lat['p50_cpu_us']:>9,.0f} / "
        f"{lat['p99_cpu_us']:,.0f} µs  ({lat['calls']:,} calls, distinct texts not in the "
        f"throughput set; target p99 ≤ {lat['target_p99_cpu_us']:,.0f} µs: "
        f"{'MET' if lat['met'] else 'NOT MET'})",
        f"{'score() on a two-word post (the fixed cost), CPU p50':<50} {lat['two_word_p50_cpu_us']:>9,.0f} µs  "
        f"({lat['two_word_calls']} distinct posts: \"Danke\" and a made-up word)",
        "",
    ]
    r = out["ratios"]
    lines += [
        f"shitstorm / DIY        {fmt_ratio(r['cold_vs_diy'])} cold, {fmt_ratio(r['warm_vs_diy'])} warm",
        f"shitstorm / textblob   {fmt_ratio(r['cold_vs_textblob_de'])}"
        + (" (textblob-de not installed)" if out["textblob_de"] is None else " cold"),
        f"shitstorm / floor      {fmt_ratio(r['cold_vs_floor'])} cold",
        f"target: score_many ≥ {out['target']['score_many_cold_vs_diy']:.0f}× DIY (cold, distinct "
        f"posts, one core): {'MET' if out['target']['met'] else 'NOT MET'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="distinct posts to time (default 20,000)")
    ap.add_argument("--latency-n", type=int, default=2_000,
                    help="distinct posts for the single-call latency (default 2,000)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 500 posts, 200 single calls")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--potts", type=Path, default=POTTS, help=f"PotTS CSV (default {POTTS})")
    ap.add_argument("--germeval", type=Path, default=GERMEVAL,
                    help=f"GermEval 2018 training file (default {GERMEVAL})")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.latency_n = min(args.n, 500), min(args.latency_n, 200)
    if args.n < 1 or args.latency_n < 1:
        ap.error("--n and --latency-n must be at least 1")
    out = run(args.n, args.latency_n, args.potts, args.germeval)
    out["quick"] = args.quick
    print(json.dumps(out, indent=2, ensure_ascii=False) if args.json else report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
