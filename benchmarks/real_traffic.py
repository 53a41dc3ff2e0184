"""How the model holds up on real traffic it has never seen (issue #11).

    python benchmarks/real_traffic.py [--model DIR] [--base-rates head=share,...] [--top 30]

Prints, for the held-out part of the fixed split (``shitstorm.train.background``) of the real German
tweets in ``../shared/data`` (PotTS; GermEval 2018, its offensive tweets reported apart):
the share flagged as publicity pressure (p ≥ 0.5), critical, escalation ≥ 0.5, and the alarms
that name no reason; then the top flagged posts with their reasons, for a person to read; then
the written test split, clean and with the register of a real feed added to every post (labels
unchanged), and the examples of issue #11. Post texts go to the terminal only, never to a file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
POTTS = SHARED / "potts" / "potts.csv"
GERMEVAL = SHARED / "germeval2018" / "germeval2018.training.txt"

EXAMPLES = (
    "@anna_k @ben_m Glückwunsch!!!",
    "@DeutscheBahn @DB_Info @VBB_BerlinBB",
    "RT @tagesschau: Bahn meldet Rekordumsatz https://t.co/x1",
    "Test",
    "x",
    "Frechheit!",
    "Ruf mich an: 0171 2345678",
    "Bitte ruft mich zurück, Kundennummer 4711-0815, Tel. 0171 2345678. Danke!",
    "Meine Kundennummer ist 4711-0815, ruft mich bitte unter 0151 23456789 an, ich komme online nicht weiter.",
    "RT @tagesschau: GDL kündigt neue Warnstreiks an",
    "Wenn ich bis Freitag nichts höre, geht das an den Spiegel!",
    "Meine Mutter (78) bekommt seit Monaten Rechnungen für einen Vertrag, den sie nie "
    "unterschrieben hat. Wir haben drei Briefe geschrieben, waren zweimal im Shop, und jetzt kam "
    "eine Mahnung mit Inkasso-Drohung. Niemand fühlt sich zuständig, jeder verweist auf die "
    "Hotline, die Hotline auf den Shop. Sie ist völlig verunsichert und schläft schlecht. Meine "
    "Tochter sagt, ich soll das hier öffentlich machen, also mache ich das jetzt. Wer noch solche "
    "Erfahrungen hat, bitte melden.",
    "Meine Tochter sagt, ich soll das hier öffentlich machen, also mache ich das jetzt. Wer noch "
    "solche Erfahrungen hat, bitte melden.",
)


def _fmt_reasons(s) -> str:
    return "; ".join(f"{r.cue}:{r.text!r}" for r in s.reasons) or "(no reason)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model directory (default: the bundled model)")
    p.add_argument("--base-rates", help="head=share,... (default: the model's)")
    p.add_argument("--top", type=int, default=30, help="flagged posts to print for reading")
    args = p.parse_args(argv)

    import shitstorm
    from shitstorm.train.background import read_real_posts
    from shitstorm.train.evaluation import is_alarm, register_variant, traffic_report

    rates = None
    if args.base_rates:
        rates = {k: float(v) for k, v in (x.split("=") for x in args.base_rates.split(","))}
    model = shitstorm.load(args.model, base_rates=rates)
    print(f"model {model.version}; base rates {model.base_rates}")

    sets = []
    if POTTS.is_file():
        sets.append(("PotTS held-out", read_real_posts(POTTS).part(heldout=True).texts))
    if GERMEVAL.is_file():
        g = read_real_posts(GERMEVAL).part(heldout=True)
        sets.append(("GermEval held-out, OTHER", tuple(t for t, o in zip(g.texts, g.offensive, strict=False) if not o)))
        sets.append(("GermEval held-out, OFFENSE", tuple(t for t, o in zip(g.texts, g.offensive, strict=False) if o)))
    if not sets:
        print("../shared/data not found: no real traffic to measure", file=sys.stderr)
        return 1
    flagged = []
    print("\n| set | posts | pressure ≥ 0.5 | critical | escalation ≥ 0.5 | alarms without reason | s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, texts in sets:
        t0 = time.process_time()
        scores = model.score_many(list(texts))
        dt = time.process_time() - t0
        r = traffic_report(scores)
        print(f"| {name} | {r['n']} | {r['pressure_flagged']:.2%} | {r['critical']:.2%} | "
              f"{r['escalation_ge_0_5']:.2%} | {r['alarms_without_reason']} of {r['alarms']} | {dt:.1f} |")
        if "OFFENSE" not in name:
            flagged += [(max(s.publicity_pressure, s.escalation), t, s)
                        for t, s in zip(texts, scores, strict=False) if is_alarm(s)]
    flagged.sort(key=lambda x: -x[0])
    print(f"\nTop {min(args.top, len(flagged))} alarms on ordinary real posts (for reading):")
    for _, t, s in flagged[: args.top]:
        print(f"- [{s.level} esc={s.escalation:.2f} pp={s.publicity_pressure:.3f}] "
              f"{' '.join(t.split())[:160]!r}\n    {_fmt_reasons(s)}")

    from shitstorm.schema import LEVEL_INDEX
    from shitstorm.train.dataset import read_labelled_csv
    from shitstorm.train.metrics import evaluate

    test_files = sorted((ROOT / "training" / "data").glob("test_*.csv"))
    if test_files:
        test = read_labelled_csv(test_files)
        corpus = shitstorm.load(args.model, base_rates="training")
        print("\nWritten test split (probabilities for the training mix's base rates, as trained):")
        print("| copy | posts | escalation ROC-AUC | pressure ROC-AUC | pressure F1 | level macro-F1 |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, texts in (("clean", list(test.texts)),
                            ("register added", [register_variant(t, i) for i, t in enumerate(test.texts)])):
            sc = corpus.score_many(texts)
            m = evaluate(test.levels, test.pressure, [s.escalation for s in sc],
                         [s.publicity_pressure for s in sc], [LEVEL_INDEX[s.level] for s in sc], 0.5, 0.5)
            print(f"| {name} | {m['n']} | {m['escalation_roc_auc']:.4f} | {m['pressure_roc_auc']:.4f} | "
                  f"{m['pressure_f1']:.4f} | {m['level_macro_f1']:.4f} |")
        alarms = [s for s in corpus.score_many(list(test.texts)) if is_alarm(s)]
        print(f"test-split alarms without a reason: {sum(not s.reasons for s in alarms)} of {len(alarms)}")

    print("\nExamples (issue #11), real-feed base rates:")
    for t in EXAMPLES:
        s = model.score(t)
        print(f"- {t[:70]!r}{'…' if len(t) > 70 else ''} → {s.level}, esc {s.escalation:.3f}, "
              f"pressure {s.publicity_pressure:.3f}; {_fmt_reasons(s)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
