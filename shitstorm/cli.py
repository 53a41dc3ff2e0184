"""``shitstorm`` command line: a Unix filter over the library.

    shitstorm score "Wenn ich bis morgen nichts höre, geht das an die BILD!"
    shitstorm score - < posts.txt                 # one post per line, JSON lines out
    shitstorm batch posts.csv --text-column text -o scored.csv
    shitstorm batch posts.parquet -o scored.parquet --jobs 2   # Parquet in and out (pyarrow)
    shitstorm spark-score in.parquet out.parquet   # on Spark (pyspark), for spark-submit
    shitstorm explain "Danke für nichts, schon wieder kein Paket!"   # with triage and advice
    shitstorm redact - < posts.txt                # personal data → [TELEFON], [IBAN], …
    shitstorm info
    shitstorm train data.csv --out mymodel/
    shitstorm review posts.csv -n 200 -o to-label.csv       # what to label next
    shitstorm evaluate labelled.csv --report report/       # the model on your labels
    shitstorm train --base default labelled.csv --out mymodel/   # on top of the shipped corpus

Post texts are never written to logs or stderr; ``score`` echoes a text only with ``--with-text``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from .batch import CHUNK_ROWS, FORMATS, BatchError, BatchUsageError, Signalled, arrow_error
from .errors import DataError, ShitstormError
from .persist import ModelIntegrityError
from .policy import CONTEXT_FIELDS
from .schema import Score, whole_number

PROGRESS_EVERY_S = 0.5

EXIT_USAGE = 2
EXIT_DATA = 1


class CLIError(ShitstormError):
    """An error in the user's input to report in one line (exit code ``code``)."""

    def __init__(self, message: str, code: int = EXIT_DATA):
        super().__init__(message)
        self.code = code


# --- helpers --------------------------------------------------------------------------------
def encoding(text: str) -> str:
    """An argparse ``type``: an encoding Python knows (``shitstorm.batch.codec``), kept as written."""
    from .batch import codec

    try:
        codec(text)
    except BatchUsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def delimiter(text: str) -> str:
    """An argparse ``type``: a CSV delimiter as ``shitstorm.batch.delimiter_arg`` accepts it."""
    from .batch import delimiter_arg

    try:
        return delimiter_arg(text) or ","
    except BatchUsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def at_least(minimum: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least ``minimum`` (``schema.whole_number``, the
    one "must be >= N" check), and at most ``most`` when given."""
    expected = (f"a whole number of at least {minimum}" if most is None
                else f"a whole number from {minimum} to {most}")

    def parse(text: str) -> int:
        try:
            value = whole_number(int(text), minimum)
        except ValueError:
            value = None
        if value is None or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"must be {expected}, not {text!r}")
        return value

    parse.__name__ = expected
    return parse


def _base_rates_arg(args: argparse.Namespace) -> dict[str, float] | None:
    """``--base-rates head=share,…``, else the ``[base_rates]`` of ``--policy``; None: the
    model's own."""
    spec = getattr(args, "base_rates", None)
    if spec:
        rates = {}
        for part in spec.split(","):
            key, sep, value = part.partition("=")
            try:
                rates[key.strip()] = float(value)
            except ValueError:
                sep = ""
            if not sep:
                raise CLIError(f"--base-rates: expected head=share, e.g. publicity_pressure=0.01, "
                               f"got {part!r}", EXIT_USAGE)
        from .model import FEED_BASE_RATES, check_base_rates

        try:
            check_base_rates({**FEED_BASE_RATES, **rates}, "--base-rates")
        except ValueError as exc:
            raise CLIError(str(exc), EXIT_USAGE) from None
        return rates
    policy = _policy_arg(args) if getattr(args, "policy", None) and getattr(args, "triage", True) else None
    return dict(policy.base_rates) if policy is not None and policy.base_rates else None


def _model(args: argparse.Namespace) -> Any:
    from .model import default_model, load

    rates = _base_rates_arg(args)
    if getattr(args, "model", None) or rates:
        return load(getattr(args, "model", None), trust=args.trust, base_rates=rates)
    return default_model()


def _emit_json(obj: Any, out: IO[str]) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")


class Progress:
    """A one-line progress report on stderr, only when stderr is a terminal; ``update`` is
    ``shitstorm.batch.score_file``'s ``progress``."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.monotonic()
        self.last = 0.0
        self.rows = 0

    def update(self, rows: int, done: int | None = None, total: int | None = None) -> None:
        self.rows += rows
        now = time.monotonic()
        if not self.enabled or now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        rate = self.rows / max(now - self.start, 1e-9)
        if total and done is not None:
            pct = min(100.0, 100.0 * done / total)
            bar = "#" * int(pct / 5)
            msg = f"\r[{bar:<20}] {pct:5.1f}%  {self.rows:,} posts  {rate:,.0f}/s"
        else:
            msg = f"\r{self.rows:,} posts  {rate:,.0f}/s"
        sys.stderr.write(msg)
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write(f"\r{self.rows:,} posts scored in {time.monotonic() - self.start:.1f}s\n")


# --- score / explain / info -------------------------------------------------------------------
def cmd_score(args: argparse.Namespace) -> int:
    model = _model(args)
    out = sys.stdout
    tri = None
    if args.triage:
        from .policy import triage

        policy = _policy_arg(args)
        tri = lambda s: triage(s, policy, lang=args.lang)
    else:
        _policy_arg(args)  # --policy without --triage is an error
    if args.text == ["-"]:
        texts: Iterator[str] = (line.rstrip("\n") for line in sys.stdin)
        batch: list[str] = []
        for line in texts:
            batch.append(line)
            if len(batch) >= CHUNK_ROWS:
                _write_scores(model, batch, args.with_text, out, tri)
                batch = []
        if batch:
            _write_scores(model, batch, args.with_text, out, tri)
    else:
        if "-" in args.text:
            raise CLIError('"-" (posts on stdin) must be the only argument', EXIT_USAGE)
        _write_scores(model, list(args.text), args.with_text, out, tri)  # one post per argument
    return 0


def _write_scores(model: Any, texts: list[str], with_text: bool, out: IO[str],
                  tri: Callable[[Score], Any] | None = None) -> None:
    for text, s in zip(texts, model.score_many(texts), strict=False):
        d = s.to_dict()
        if with_text:
            d = {"text": text, **d}
        if tri is not None:
            d["triage"] = tri(s).to_dict()
        _emit_json(d, out)


def _highlight(text: str, score: Score) -> str:
    """Cues in [brackets], personal data in <angle brackets>."""
    spans = sorted({(r.start, r.end, "[", "]") for r in score.reasons if r.cue != "shouting"}
                   | {(f.start, f.end, "<", ">") for f in score.pii})
    out, pos = [], 0
    for start, end, left, right in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(f"{left}{text[start:end]}{right}")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def explain(score: Score, text: str, tri: Any = None) -> str:
    """The human-readable report of ``shitstorm explain``; ``tri`` is the post's ``Triage``."""
    lines = [
        f"level:              {score.level}",
        f"escalation:         {score.escalation:.0%}  (probability that level is elevated or critical)",
        f"publicity_pressure: {score.publicity_pressure:.0%}  (probability of pressure via the public)",
    ]
    if score.flags:
        lines.append(f"flags:              {', '.join(score.flags)}")
    lines.append(f"text:               {_highlight(text, score)}")
    if score.reasons:
        lines.append("reasons:")
        for r in score.reasons:
            neg = "  (negated)" if r.negated else ""
            lines.append(f"  - {r.cue:<18} \"{r.text}\"  at {r.start}-{r.end}{neg}")
    else:
        lines.append("reasons:            none found")
    if score.pii:
        lines.append("personal data:")
        for f in score.pii:
            lines.append(f"  - {f.kind:<18} \"{f.text}\"  at {f.start}-{f.end}")
    if tri is not None:
        lines.append(f"priority:           {tri.priority}, answer within {tri.respond_within} min "
                     f"({', '.join(tri.rules)})")
        lines.append(f"route:              {tri.route}")
        lines.append(f"tags:               {' '.join(tri.tags)}")
        if tri.advice:
            lines.append("advice:")
            for a in tri.advice:
                lines.append(f"  - [{a.id}] {a.text}")
    lines.append(f"model:              {score.model_version}")
    return "\n".join(lines)


def _policy_arg(args: argparse.Namespace) -> Any:
    """The ``--policy`` file as a ``Policy`` (``None``: the default); an error for a bad file, or
    for ``--policy`` without ``--triage`` on commands where triage is optional."""
    if not getattr(args, "policy", None):
        return None
    if getattr(args, "triage", True) is False:
        raise CLIError("--policy is used by --triage; add --triage", EXIT_USAGE)
    from .policy import Policy, PolicyError

    try:
        return Policy.from_toml(args.policy)
    except PolicyError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None


def cmd_explain(args: argparse.Namespace) -> int:
    from .policy import triage

    model = _model(args)
    policy = _policy_arg(args)
    text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)
    score = model.score(text)  # offsets point into text, as given
    print(explain(score, text, triage(score, policy, lang=args.lang)))
    return 0


def cmd_redact(args: argparse.Namespace) -> int:
    from .pii import redact

    kinds = args.kinds.split(",") if args.kinds else None
    try:
        redact("", kinds)
    except ValueError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    if args.text == ["-"]:
        for line in sys.stdin:
            end = "\n" if line.endswith("\n") else ""
            sys.stdout.write(redact(line[:len(line) - len(end)], kinds) + end)
    else:
        print(redact(" ".join(args.text), kinds))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model = _model(args)
    info = model.info()
    if args.json:
        _emit_json(info, sys.stdout)
        return 0
    print(f"model:      {model.version}  ({model.path})")
    data = info.get("data", {})
    print(f"trained on: {data.get('train_posts', '?')} posts"
          + (f", tested on {data['test_posts']}" if data.get("test_posts") else "")
          + (f", hostility head on {data['hostility_posts']} GermEval 2018 tweets"
             if data.get("hostility_posts") else ""))
    metrics = info.get("metrics", {})
    for name in ("test", "cross_validated", "baseline_test"):
        if name in metrics:
            m = metrics[name]
            print(f"{name + ':':<16} escalation AUC {m.get('escalation_roc_auc')}, level macro-F1 "
                  f"{m.get('level_macro_f1')}, pressure AUC {m.get('pressure_roc_auc')}, pressure F1 "
                  f"{m.get('pressure_f1')}")
    print(f"thresholds: {info.get('thresholds')}")
    for c in info.get("credits", []):
        print(f"credits:    {c}")
    return 0


# --- batch ------------------------------------------------------------------------------------
def cmd_batch(args: argparse.Namespace) -> int:
    """``shitstorm.batch.score_file`` with the command line's options and a progress bar."""
    from .batch import BatchOptions, ModelSource, score_file

    policy = _policy_arg(args)
    options = BatchOptions(pii=args.pii, redact=args.redact, triage=args.triage, policy=policy, lang=args.lang,
                           prefix=args.prefix)
    source = ModelSource(args.model, args.trust, _base_rates_arg(args))
    progress = Progress(None if not args.quiet else False)
    score_file(args.input, args.output, text_column=args.text_column, input_format=args.input_format,
               output_format=args.output_format, encoding=args.encoding, delimiter=args.delimiter,
               options=options, context=args.context, keep_original=args.keep_original, jobs=args.jobs,
               model=source, progress=progress.update)
    progress.close()
    return 0


# --- serve ------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from .server.config import ConfigError
        from .server.run import serve
    except ImportError as exc:
        raise CLIError(f"the HTTP service needs its extra: pip install 'shitstorm[server]' ({exc.name} is missing)",
                       EXIT_USAGE) from None
    from .policy import PolicyError

    try:
        serve(host=args.host, port=args.port, workers=args.workers, token_file=args.token_file,
              insecure_no_auth=args.insecure_no_auth, model_dir=args.model, policy=args.policy,
              log_level=args.log_level, feedback_db=args.feedback_db, feedback_text=args.feedback_text)
    except (ConfigError, PolicyError) as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    return 0


# --- zendesk-sync / freshdesk-sync / zammad-sync ------------------------------------------------
def cmd_helpdesk_sync(args: argparse.Namespace) -> int:
    """Score tickets and write tags and fields back (``shitstorm.helpdesk``); one JSON line per ticket."""
    from .helpdesk import HelpdeskClient, SyncConfigError, parse_ticket_ids, settings_from_env, sync_tickets

    raw = sys.stdin.read().split() if args.ticket_ids == ["-"] else args.ticket_ids
    try:
        ids = parse_ticket_ids(raw)
        settings = settings_from_env(args.vendor)
    except (ValueError, SyncConfigError) as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    if not ids:
        raise CLIError("no ticket ids given", EXIT_USAGE)
    model, policy = _model(args), _policy_arg(args)
    failed = 0
    try:
        client = HelpdeskClient(settings)
    except SyncConfigError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None
    with client:
        for result in sync_tickets(client, ids, model, policy, dry_run=args.dry_run):
            failed += result["status"] == "error"
            _emit_json(result, sys.stdout)
            sys.stdout.flush()
    return EXIT_DATA if failed else 0


# --- spark-score ------------------------------------------------------------------------------
def _spark_session(master: str | None) -> tuple[Any, bool]:
    """(session, whether we started it): ``--master`` if given; else the session that exists or
    that ``spark-submit`` configured; else ``local[*]`` on this machine."""
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.appName("shitstorm spark-score")
               # Spark's stage progress bar on stderr only when it is a terminal, like batch's
               .config("spark.ui.showConsoleProgress", "true" if sys.stderr.isatty() else "false"))
    if master is None:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active, False
        if "PYSPARK_GATEWAY_PORT" in os.environ:  # run by spark-submit, which set the master
            return builder.getOrCreate(), True
        master = "local[*]"
    if master.startswith("local"):
        # Python workers on this machine: this interpreter, the one shitstorm is installed in
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return builder.master(master).getOrCreate(), True


def cmd_spark_score(args: argparse.Namespace) -> int:
    try:
        from pyspark.errors import AnalysisException

        from . import spark as scorer
    except ImportError:
        raise CLIError("spark-score needs pyspark and pyarrow: pip install 'shitstorm[spark]'") from None
    policy = _policy_arg(args)
    if args.model:
        from .model import load

        load(args.model)  # fail here, not in every task, when the model does not check out
    spark, started = _spark_session(args.master)
    try:
        df = spark.read.parquet(args.input)
        scored = scorer.score(df, args.text_column, args.triage, prefix=args.prefix, model=args.model,
                              policy=policy)
        scored.write.mode("overwrite" if args.overwrite else "errorifexists").parquet(args.output)
    except AnalysisException as exc:
        raise CLIError(arrow_error(exc)) from None
    except (TypeError, ValueError) as exc:  # the text column's type, a column clash
        raise CLIError(f"{args.input}: {exc}", EXIT_USAGE) from None
    finally:
        if started:
            spark.stop()
    print(f"scored {args.input} -> {args.output}", file=sys.stderr)
    return 0


# --- train ------------------------------------------------------------------------------------
def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def cmd_train(args: argparse.Namespace) -> int:
    from .train.dataset import read_labelled_csv
    from .train.fit import train_and_save

    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    command = "shitstorm train " + " ".join(shlex.quote(a) for a in args.argv)
    if args.base is not None:
        from .train.retrain import train_on_base

        manifest = train_on_base(args.files, args.out, base=args.base, base_weight=args.base_weight,
                                 own_weight=args.own_weight, seed=args.seed, folds=args.folds, force=args.force,
                                 command=command, hostility=args.hostility, background=args.background,
                                 say=say, warn=_warn, delimiter=args.delimiter, encoding=args.encoding)
        own = manifest["own_data"]
        print(f"weights: corpus {own['base_rows']} rows x {own['base_weight']:g}, yours {own['own_trained']} "
              f"rows x {own['own_weight']:g} ({own['own_weight_share']:.1%} of the training weight); "
              f"{own['own_heldout']} of your rows held out\n")
        print(own["comparison_table"].rstrip())
        print(f"model written to {args.out}", file=sys.stderr)
        return 0
    csv_format = {"delimiter": args.delimiter, "encoding": args.encoding}
    train = read_labelled_csv(args.files, **csv_format)
    test = read_labelled_csv(args.test, **csv_format) if args.test else None
    if train.ignored_columns:
        print(f"ignored columns: {', '.join(train.ignored_columns)}", file=sys.stderr)
    from .train.retrain import own_files_data

    manifest = train_and_save(train, args.out, test=test, hostility_path=args.hostility,
                              background=args.background, seed=args.seed, folds=args.folds, command=command,
                              progress=say, own_data=own_files_data(args.files, train), warn=_warn)
    m = manifest["metrics"]
    print(json.dumps({k: m[k] for k in ("cross_validated", "test", "test_register", "test_feed_rates",
                                        "baseline_test", "real_traffic") if k in m}, indent=2))
    print(f"model written to {args.out}", file=sys.stderr)
    return 0


# --- feedback ---------------------------------------------------------------------------------
def cmd_feedback(args: argparse.Namespace) -> int:
    """``feedback export``: the stored corrections as a training CSV; ``feedback delete``: one
    record by id (GDPR)."""
    from .feedback import FeedbackError, FeedbackStore

    try:
        store = FeedbackStore(args.db)
        if args.action == "delete":
            if not store.delete(args.id):
                raise CLIError(f"{args.db}: no feedback record with id {args.id!r}")
            print(f"deleted {args.id}", file=sys.stderr)
            return 0
        if args.out == "-":
            result = store.export_csv(sys.stdout)
        else:
            part = Path(args.out + ".part")
            try:
                with open(part, "w", encoding="utf-8", newline="") as fh:
                    result = store.export_csv(fh)
                os.replace(part, args.out)
            except OSError as exc:
                part.unlink(missing_ok=True)
                raise CLIError(f"{args.out}: {exc.strerror or exc}") from None
    except FeedbackError as exc:
        raise CLIError(str(exc)) from None
    print(f"{result.written} correction(s) written" + (f" to {args.out}" if args.out != "-" else ""),
          file=sys.stderr)
    if result.skipped_without_text:
        print(f"{result.skipped_without_text} skipped: stored without text, so they cannot be trained on "
              "(start the server with --feedback-text redacted to keep the redacted text)", file=sys.stderr)
    return 0


# --- evaluate / review ------------------------------------------------------------------------
def cmd_evaluate(args: argparse.Namespace) -> int:
    from .train.dataset import read_labelled_csv
    from .train.evaluate import evaluate_rows, summary

    if args.report:
        from .train.report import ReportUnavailable, require_matplotlib

        try:
            require_matplotlib()
        except ReportUnavailable as exc:
            raise CLIError(str(exc), EXIT_USAGE) from None
    model = _model(args)
    data = read_labelled_csv(args.files, delimiter=args.delimiter, encoding=args.encoding)
    source = ", ".join(str(f) for f in args.files)
    result, pred = evaluate_rows(model, data, seed=args.seed, source=source)
    for w in result["warnings"]:
        _warn(w)
    rates = None
    if args.target_precision is not None or args.target_recall is not None or args.write_policy:
        from .train.team_rates import policy_toml, team_rates

        try:
            rates = team_rates(model, pred, target_precision=args.target_precision, target_recall=args.target_recall)
        except ValueError as exc:
            raise CLIError(str(exc), EXIT_USAGE) from None
        result["team_rates"] = rates
        if args.write_policy:
            Path(args.write_policy).write_text(policy_toml(rates, model_version=model.version, source=source),
                                               encoding="utf-8")
            print(f"base rates written to {args.write_policy} (use it with --policy)", file=sys.stderr)
    if args.report:
        from .train.report import write_report

        page = write_report(args.report, result, pred, rates,
                            command="shitstorm " + " ".join(shlex.quote(a) for a in args.argv))
        print(f"report written to {page}", file=sys.stderr)
    if args.json:
        _emit_json(result, sys.stdout)
    else:
        print(summary(result))
        if rates:
            from .train.team_rates import rates_summary

            print("\n" + rates_summary(rates))
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from .train.review import read_posts, review

    posts = read_posts(args.input, args.text_column, delimiter=args.delimiter, encoding=args.encoding)
    model = _model(args)
    header, rows, counts = review(model, posts, args.n, args.seed)
    if counts["dropped_columns"]:
        _warn(f"input columns {', '.join(counts['dropped_columns'])} dropped: the label columns are left empty "
              "for labelling")
    if len(rows) < args.n:
        _warn(f"{len(rows)} posts picked: the file has only {counts['scored']} distinct, non-empty posts")
    from contextlib import nullcontext

    with (open(args.output, "w", encoding="utf-8", newline="") if args.output != "-"
          else nullcontext(sys.stdout)) as out:
        if posts.bom:  # as batch does: Excel needs it to read UTF-8 (umlauts intact)
            out.write("\ufeff")
        w = csv.writer(out, delimiter=posts.delimiter)
        w.writerow(header)
        w.writerows(rows)
    r = counts["reasons"]
    print(f"{len(rows)} of {counts['posts']} posts picked for labelling: {r['disagreement']} where the heads "
          f"disagree, {r['uncertain']} nearest a decision, {r['spread']} spread over the score range",
          file=sys.stderr)
    return 0


# --- parser -----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="shitstorm", description="Escalation and publicity-pressure "
                                "scores for German public customer posts.")
    p.add_argument("--version", action="version", version=f"shitstorm {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", metavar="DIR", help="model directory (default: the bundled model)")
    common.add_argument("--trust", action="store_true",
                        help="load a model whose hash or types do not check out, with a warning naming "
                             "each skipped check (only your own files)")
    common.add_argument("--base-rates", metavar="HEAD=SHARE,…",
                        help="your feed's base rates, e.g. publicity_pressure=0.01,critical=0.03 "
                        "(default: the model card's real-feed rates, or [base_rates] of --policy)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("score", parents=[common], help="score text, JSON lines out")
    s.add_argument("text", nargs="+", help='one or more posts (one JSON line each; quote each post), or "-" for '
                   "one post per line on stdin")
    s.add_argument("--with-text", action="store_true", help="include the post text in the output")
    s.add_argument("--triage", action="store_true", help="add the triage decision (priority, route, tags, advice)")
    s.add_argument("--policy", metavar="FILE", help="triage policy TOML (default: the built-in policy)")
    s.add_argument("--lang", choices=["de", "en"], default="de", help="language of the advice")
    s.set_defaults(func=cmd_score)

    b = sub.add_parser("batch", parents=[common], help="score a CSV, JSON-lines, Parquet or Excel file")
    b.add_argument("input", help='CSV, JSONL, Parquet or .xlsx file, "-" for stdin (CSV, JSONL)')
    b.add_argument("-o", "--output", default="-", help='output file (default "-": stdout)')
    b.add_argument("--text-column", default="text", help="column/field holding the post (default: text)")
    b.add_argument("--encoding", default="utf-8", type=encoding,
                   help="encoding of CSV or JSON-lines input (default utf-8; e.g. latin-1, cp1252)")
    b.add_argument("--delimiter", metavar="CHAR", type=delimiter,
                   help="CSV field separator: , ; tab or | (default: sniffed from the header line: ';' or tab "
                   "when it has one and no ','); CSV output keeps it")
    b.add_argument("--input-format", choices=list(FORMATS),
                   help="default: from the suffix (.csv, .tsv, .jsonl, .parquet, .xlsx); stdin is CSV")
    b.add_argument("--output-format", choices=list(FORMATS),
                   help="default: from the suffix of -o, or the input's format (.xlsx needs "
                   "pip install 'shitstorm[xlsx]')")
    b.add_argument("--prefix", default="", help="prefix for the appended columns")
    b.add_argument("--jobs", type=at_least(1), default=1, help="worker processes (default 1)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--pii", action="store_true", help="add a column with the kinds of personal data found")
    b.add_argument("--redact", action="store_true",
                   help="write the text column with personal data replaced by [TELEFON], [IBAN], …")
    b.add_argument("--keep-original", action="store_true",
                   help="with --redact: also write the original text (column original_text)")
    b.add_argument("--triage", action="store_true",
                   help="add priority, respond_within, route and tags columns")
    b.add_argument("--policy", metavar="FILE", help="triage policy TOML (default: the built-in policy)")
    b.add_argument("--context", action="store_true",
                   help="with --triage: read " + ", ".join(CONTEXT_FIELDS) + " from the input's columns")
    b.add_argument("--lang", choices=["de", "en"], default="de", help="language of triage advice (JSONL)")
    b.set_defaults(func=cmd_batch)

    sp = sub.add_parser("spark-score", help="score a Parquet archive on Spark (pyspark): for spark-submit",
                        description="Read Parquet with Spark, append the score columns (typed as in "
                        "batch's Parquet output; pii always), write a Parquet directory. Without "
                        "--master: the session spark-submit configured, else local[*].")
    sp.add_argument("input", help="Parquet file, directory or glob (any path Spark reads: s3://, abfss://, dbfs:/)")
    sp.add_argument("output", help="output directory (Spark writes part files)")
    sp.add_argument("--text-column", default="text", help="string column holding the post (default: text)")
    sp.add_argument("--triage", action="store_true", help="add priority, respond_within, route and tags")
    sp.add_argument("--policy", metavar="FILE", help="triage policy TOML (default: the built-in policy)")
    sp.add_argument("--prefix", default="", help="prefix for the appended columns")
    sp.add_argument("--model", metavar="DIR",
                    help="model directory every executor can read (default: the bundled model)")
    sp.add_argument("--master", metavar="URL", help="Spark master, e.g. local[4] or yarn (default: see above)")
    sp.add_argument("--overwrite", action="store_true", help="replace the output directory if it exists")
    sp.set_defaults(func=cmd_spark_score)

    e = sub.add_parser("explain", parents=[common], help="scores with reasons, for people")
    e.add_argument("text", nargs="+", help='the post, or "-" for stdin')
    e.add_argument("--policy", metavar="FILE", help="triage policy TOML (default: the built-in policy)")
    e.add_argument("--lang", choices=["de", "en"], default="de", help="language of the advice")
    e.set_defaults(func=cmd_explain)

    r = sub.add_parser("redact", help="replace personal data by placeholders ([TELEFON], [IBAN], …)")
    r.add_argument("text", nargs="+", help='the text, or "-" to redact stdin line by line')
    r.add_argument("--kinds", help="comma-separated kinds to redact (default: all)")
    r.set_defaults(func=cmd_redact)

    i = sub.add_parser("info", parents=[common], help="model version, metrics, data credits")
    i.add_argument("--json", action="store_true", help="the model's manifest as one JSON object")
    i.set_defaults(func=cmd_info)

    v = sub.add_parser("serve", help="HTTP service (pip install 'shitstorm[server]')")
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    v.add_argument("--port", type=at_least(1, most=65535), default=8000, help="port to listen on (default 8000)")
    v.add_argument("--workers", type=at_least(1), default=1, help="worker processes (default 1)")
    v.add_argument("--token-file", help="file holding the bearer token (or set SHITSTORM_API_TOKEN)")
    v.add_argument("--insecure-no-auth", action="store_true",
                   help="allow a non-loopback address without a token")
    v.add_argument("--model", metavar="DIR", help="model directory (default: the bundled model)")
    v.add_argument("--policy", metavar="FILE", help="triage policy TOML")
    v.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                   help="how much the server logs (default info; never post texts)")
    v.add_argument("--feedback-db", metavar="FILE",
                   help="SQLite file for agents' corrections: turns on POST /v1/feedback "
                   "(or set SHITSTORM_FEEDBACK_DB)")
    v.add_argument("--feedback-text", choices=["none", "redacted"],
                   help="store no post text with a correction (none, the default) or the text with personal "
                   "data replaced (redacted; needed to train on them), or set SHITSTORM_FEEDBACK_TEXT")
    v.set_defaults(func=cmd_serve)

    for vendor, env in (("zendesk", "ZENDESK_SUBDOMAIN, ZENDESK_EMAIL, ZENDESK_API_TOKEN"),
                        ("freshdesk", "FRESHDESK_DOMAIN, FRESHDESK_API_KEY"), ("zammad", "ZAMMAD_URL, ZAMMAD_TOKEN")):
        h = sub.add_parser(f"{vendor}-sync", parents=[common], help=f"score {vendor.title()} tickets, write tags "
                           f"and fields back ({env})")
        h.add_argument("ticket_ids", nargs="+", metavar="TICKET_ID", help='ticket ids, or "-" for ids on stdin')
        h.add_argument("--dry-run", action="store_true", help="read and score, print the updates, send nothing")
        h.add_argument("--policy", metavar="FILE", help="triage policy TOML (default: the built-in policy)")
        h.set_defaults(func=cmd_helpdesk_sync, vendor=vendor)

    fb = sub.add_parser("feedback", help="agents' corrections stored by the server: export, delete",
                        description="Work with the SQLite file of corrections that POST /v1/feedback fills "
                        "(shitstorm serve --feedback-db FILE).")
    fb_sub = fb.add_subparsers(dest="action", metavar="ACTION", required=True)
    fe = fb_sub.add_parser("export", help="write the corrections as a training CSV (text, level, publicity_pressure)",
                           description="Write the stored corrections in the training schema. Records stored "
                           "without text cannot be trained on: they are skipped, and their number is printed.")
    fe.add_argument("--db", required=True, metavar="FILE", help="the feedback file (serve --feedback-db)")
    fe.add_argument("--out", required=True, metavar="FILE", help='the CSV to write ("-": stdout)')
    fd = fb_sub.add_parser("delete", help="delete one correction by its id (e.g. on a GDPR request)")
    fd.add_argument("--db", required=True, metavar="FILE", help="the feedback file (serve --feedback-db)")
    fd.add_argument("id", help="the record's id, as POST /v1/feedback answered it")
    fb.set_defaults(func=cmd_feedback)

    t = sub.add_parser("train", help="train a model from labelled CSVs",
                       description="Train a model from labelled CSVs (text, level, publicity_pressure). With "
                       "--base default: on top of the shipped corpus, compared before and after.",
)
    t.add_argument("files", nargs="+", type=Path, help="CSV files with text, level, publicity_pressure")
    t.add_argument("--out", required=True, type=Path, help="directory to write the model to")
    t.add_argument("--test", nargs="+", type=Path, help="held-out CSV files to evaluate on")
    t.add_argument("--hostility", type=Path, help="GermEval-2018-format TSV for the hostility head "
                   "(its training part of the fixed split, see --background)")
    t.add_argument("--background", nargs="+", type=Path, default=[], metavar="FILE",
                   help="real, unlabelled ordinary posts (CSV with a text column, or GermEval TSV): "
                   "70%% join training as level none, 30%% are held out and measured as real traffic")
    t.add_argument("--base", metavar="default|DIR",
                   help="train on top of a corpus: 'default' is the shipped one (training/data/ of a source "
                   "checkout), or a folder of train_*.csv and test_*.csv; one in five of your rows is held out "
                   "by a fixed rule and the models are compared on it before and after")
    t.add_argument("--base-weight", type=float, default=1.0, metavar="W",
                   help="with --base: weight of each corpus row (default 1)")
    t.add_argument("--own-weight", type=float, default=2.0, metavar="W",
                   help="with --base: weight of each of your rows (default 2)")
    t.add_argument("--force", action="store_true",
                   help="with --base: replace --out even when the new model is worse on your held-out rows")
    t.add_argument("--seed", type=int, default=0, help="random seed (default 0); training is deterministic for it")
    t.add_argument("--folds", type=at_least(2), default=5, help="cross-validation folds (default 5)")
    t.add_argument("--quiet", action="store_true", help="no progress messages (warnings still shown)")
    _csv_options(t)
    t.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", parents=[common], help="the model card's figures on your labelled rows",
                        description="Score labelled rows (text, level, publicity_pressure) and report the model "
                        "card's figures with bootstrap intervals, the level confusion matrix, and, with a target, "
                        "the base rates that reach it.",
                        )
    ev.add_argument("files", nargs="+", type=Path, help="CSV files with text, level, publicity_pressure")
    ev.add_argument("--report", metavar="DIR", type=Path,
                    help="write report.html (self-contained), the PNGs and metrics.json to DIR "
                    "(needs matplotlib: pip install 'shitstorm[report]')")
    ev.add_argument("--policy", metavar="FILE", help="score with the [base_rates] of this policy file")
    goal = ev.add_mutually_exclusive_group()
    goal.add_argument("--target-precision", type=float, metavar="P",
                      help="find per head the base rate at which deciding at 0.5 reaches precision P on your rows")
    goal.add_argument("--target-recall", type=float, metavar="R",
                      help="find per head the base rate at which deciding at 0.5 reaches recall R on your rows")
    ev.add_argument("--write-policy", metavar="FILE",
                    help="write the base rates found (without a target: your rows' label shares) as a policy TOML")
    ev.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resamples (default 0)")
    ev.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    _csv_options(ev)
    ev.set_defaults(func=cmd_evaluate)

    rv = sub.add_parser("review", parents=[common], help="pick the posts to label next",
                        description="Pick the posts the model is least sure of, those whose heads disagree, and "
                        "some from every score range; write them with empty label columns, ready for labelling.",
                        )
    rv.add_argument("input", help="CSV file of posts with a header")
    rv.add_argument("-n", type=at_least(1), default=200, help="how many posts to pick (default 200)")
    rv.add_argument("--seed", type=int, default=0, help="seed for ties and the spread picks (default 0)")
    rv.add_argument("-o", "--output", default="-", help='output CSV (default "-": stdout)')
    rv.add_argument("--text-column", default="text", help="column holding the post (default: text)")
    _csv_options(rv)
    rv.set_defaults(func=cmd_review)
    _add_examples(sub)
    return p


def _csv_options(parser: argparse.ArgumentParser) -> None:
    """``--encoding`` and ``--delimiter`` of the commands that read labelled or post CSVs."""
    parser.add_argument("--encoding", default="utf-8", type=encoding,
                        help="encoding of the CSV files (default utf-8, with or without BOM; e.g. cp1252, latin-1)")
    parser.add_argument("--delimiter", metavar="CHAR", type=delimiter,
                        help="field separator: , ; tab or | (default: sniffed from the header line)")


EXAMPLES: dict[str, tuple[str, ...]] = {
    "score": ('shitstorm score "Wenn ich bis morgen nichts höre, geht das an die BILD!" "Danke für die Hilfe!"',
              "shitstorm score - < posts.txt"),
    "batch": ("shitstorm batch posts.csv --text-column text -o scored.csv --triage",
              "shitstorm batch export.csv --delimiter ';' --encoding cp1252 -o scored.xlsx"),
    "spark-score": ("shitstorm spark-score posts.parquet scored/ --master 'local[*]'",),
    "explain": ('shitstorm explain "Danke für nichts. Mein Anwalt meldet sich."',),
    "redact": ("shitstorm redact - < posts.txt",),
    "info": ("shitstorm info --json",),
    "serve": ("shitstorm serve --token-file /run/secrets/shitstorm --feedback-db feedback.sqlite3",),
    "zendesk-sync": ("shitstorm zendesk-sync 35436 35437 --dry-run",),
    "freshdesk-sync": ("shitstorm freshdesk-sync 1024 --dry-run",),
    "zammad-sync": ("shitstorm zammad-sync 77 --dry-run",),
    "feedback": ("shitstorm feedback export --db feedback.sqlite3 --out mine.csv",),
    "feedback export": ("shitstorm feedback export --db feedback.sqlite3 --out mine.csv",),
    "feedback delete": ("shitstorm feedback delete --db feedback.sqlite3 3f2a9c0e5b7d41e8a6c2d9f0b1e4a7c3",),
    "train": ("shitstorm train tickets.csv --test heldout.csv --out mymodel/",
              "shitstorm train --base default mine.csv --out mymodel/",
              "shitstorm train tickets.csv --encoding cp1252 --delimiter ';' --out mymodel/"),
    "evaluate": ("shitstorm evaluate labelled.csv --report report/ --target-precision 0.9 --write-policy team.toml",
                 "shitstorm evaluate excel-export.csv --encoding cp1252 --delimiter ';'"),
    "review": ("shitstorm review posts.csv -n 200 -o to-label.csv",
               "shitstorm review excel-export.csv --encoding cp1252 -n 50 -o to-label.csv"),
}
"""The example that ends each subcommand's help (``shitstorm COMMAND --help``)."""


class _ExampleFormatter(argparse.HelpFormatter):
    """Wraps the description as usual; keeps the example lines as they are written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("example"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _add_examples(sub: Any, prefix: str = "") -> None:
    """Give every subcommand (and sub-subcommand) its examples as the help's epilog."""
    for name, parser in sub.choices.items():
        lines = EXAMPLES.get(prefix + name)
        if lines:
            parser.epilog = "example" + ("s" if len(lines) > 1 else "") + ":\n" + "\n".join(
                "  " + line for line in lines)
            parser.formatter_class = _ExampleFormatter
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_examples(action, prefix + name + " ")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args.argv = argv[1:] if argv and argv[0] == "train" else argv
    if args.command == "train" and args.base is not None and args.test:
        parser.error("--test is not used with --base: the shipped test split and your held-out rows are")
    if args.command == "train" and args.base is None and (args.force or args.base_weight != 1.0
                                                          or args.own_weight != 2.0):
        parser.error("--base-weight, --own-weight and --force go with --base")
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"shitstorm {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except BatchUsageError as exc:
        print(f"shitstorm {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (BatchError, DataError, ModelIntegrityError) as exc:
        print(f"shitstorm {args.command}: {exc}", file=sys.stderr)
        return EXIT_DATA
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Signalled as exc:
        import signal

        print(f"shitstorm {args.command}: stopped by {signal.Signals(exc.signum).name}; nothing was written",
              file=sys.stderr)
        return 128 + exc.signum
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"shitstorm {args.command}: {where}{exc.strerror or type(exc).__name__}", file=sys.stderr)
        return EXIT_DATA
    except Exception as exc:  # no traceback at the command line; the message may hold input: not printed
        if os.environ.get("SHITSTORM_DEBUG"):
            raise
        print(f"shitstorm {args.command}: unexpected {type(exc).__name__}; run again with SHITSTORM_DEBUG=1 "
              "for the traceback and report it", file=sys.stderr)
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
