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
import contextlib
import csv
import io
import json
import os
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ShitstormError
from .schema import Score

CHUNK_ROWS = 2_000
"""Rows scored per chunk in ``batch``: large enough to amortise the vectorised model call,
small enough that memory stays flat (a chunk of 400-character posts is under 1 MB)."""

PROGRESS_EVERY_S = 0.5

EXIT_USAGE = 2
EXIT_DATA = 1


class CLIError(ShitstormError):
    """An error in the user's input to report in one line (exit code ``code``)."""

    def __init__(self, message: str, code: int = EXIT_DATA):
        super().__init__(message)
        self.code = code


# --- helpers --------------------------------------------------------------------------------
def _base_rates_arg(args) -> dict[str, float] | None:
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


def _model(args):
    from .model import default_model, load

    rates = _base_rates_arg(args)
    if getattr(args, "model", None) or rates:
        return load(getattr(args, "model", None), trust=args.trust, base_rates=rates)
    return default_model()


def _emit_json(obj, out) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")


class Progress:
    """A one-line progress report on stderr, only when stderr is a terminal."""

    def __init__(self, total_bytes: int | None, enabled: bool | None = None):
        self.total = total_bytes
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.monotonic()
        self.last = 0.0
        self.rows = 0

    def update(self, rows: int, done_bytes: int | None = None) -> None:
        self.rows += rows
        now = time.monotonic()
        if not self.enabled or now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        rate = self.rows / max(now - self.start, 1e-9)
        if self.total and done_bytes is not None:
            pct = min(100.0, 100.0 * done_bytes / self.total)
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
def cmd_score(args) -> int:
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


def _write_scores(model, texts, with_text, out, tri=None) -> None:
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


def explain(score: Score, text: str, tri=None) -> str:
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


def _policy_arg(args):
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


def cmd_explain(args) -> int:
    from .policy import triage

    model = _model(args)
    policy = _policy_arg(args)
    text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)
    score = model.score(text)  # offsets point into text, as given
    print(explain(score, text, triage(score, policy, lang=args.lang)))
    return 0


def cmd_redact(args) -> int:
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


def cmd_info(args) -> int:
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
def _guess_format(path: str, given: str | None) -> str:
    if given:
        return given
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt", ""):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise CLIError(f"cannot tell the format of {path}; use --input-format/--output-format "
                   "csv|jsonl|parquet", EXIT_USAGE)


def _codec(encoding: str) -> str:
    """``--encoding`` as Python names it; UTF-8 input may start with a byte-order mark."""
    import codecs

    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise CLIError(f"unknown encoding {encoding!r} (e.g. utf-8, latin-1, cp1252)", EXIT_USAGE) from None
    return "utf-8-sig" if name == "utf-8" else name


def _open_in(path: str, encoding: str = "utf-8"):
    codec = _codec(encoding)
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding=codec, newline=""), None
    try:
        if os.path.isdir(path):
            raise CLIError(f"{path}: is a directory, not a file")
        size = os.path.getsize(path)
        return open(path, encoding=codec, newline=""), size
    except OSError as exc:
        raise CLIError(f"{path}: {exc.strerror or exc}") from None


def _not_decodable(path: str, encoding: str, exc: UnicodeDecodeError, near_line: int) -> CLIError:
    """The one-line error for input that is not in ``encoding``: the line of the first bad byte
    (read again from the file; for stdin the line the reader had reached)."""
    line = near_line
    if path != "-":
        import codecs

        decoder = codecs.getincrementaldecoder(_codec(encoding))()
        try:
            with open(path, "rb") as fh:
                for line, raw in enumerate(fh, start=1):  # noqa: B007 - read after the loop
                    decoder.decode(raw)
        except (UnicodeDecodeError, OSError):
            pass
    name = "UTF-8" if _codec(encoding) == "utf-8-sig" else encoding
    return CLIError(f"{path}:{line}: not {name} (byte 0x{exc.object[exc.start]:02x} cannot be decoded); "
                    "give the file's encoding with --encoding, e.g. --encoding latin-1 or cp1252")


class _Counting:
    """Iterates a text file's lines, counting characters read (for the progress bar)."""

    def __init__(self, fh):
        self.fh = fh
        self.chars = 0

    def __iter__(self):
        for line in self.fh:
            self.chars += len(line)
            yield line


CSV_FIELD_LIMIT = 2**31 - 1
"""The csv module refuses fields over 128 KB by default; a pasted 5 MB post must reach the
scorer (which cuts it to ``MAX_CHARS`` and flags it ``truncated``) instead of stopping a batch."""


def _read_csv_chunks(fh, text_column: str, path: str, with_context: bool = False, encoding: str = "utf-8"):
    csv.field_size_limit(CSV_FIELD_LIMIT)
    # strict: a stray or unclosed quote is an error naming its line, never rows merged silently
    reader = csv.reader(fh, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CLIError(f"{path}: empty input, expected a CSV header with a {text_column!r} column") from None
    except csv.Error as exc:
        raise CLIError(f"{path}:1: malformed CSV header: {exc}") from None
    except UnicodeDecodeError as exc:
        raise _not_decodable(path, encoding, exc, 1) from None
    if text_column not in header:
        raise CLIError(f"{path}: no column {text_column!r} (columns: {', '.join(header)}); "
                       "choose one with --text-column", EXIT_USAGE)
    col = header.index(text_column)
    ctx_cols = [(name, header.index(name)) for name in CONTEXT_FIELDS if name in header] if with_context else []
    yield header
    chunk: list[tuple] = []
    started = reader.line_num + 1  # the line the next record starts on
    try:
        for row in reader:
            record_start, started = started, reader.line_num + 1
            if not row:
                continue
            if len(row) != len(header):
                raise CLIError(f"{path}:{record_start}: {len(row)} fields, the header has {len(header)}")
            ctx = (_context_from({n: row[i] for n, i in ctx_cols}, f"{path}:{reader.line_num}")
                   if with_context else None)
            chunk.append((row, row[col], ctx))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
    except csv.Error as exc:
        where = (f"{started}" if reader.line_num <= started else f"{started}-{reader.line_num}")
        hint = (" (a quoted field is never closed)" if "unexpected end of data" in str(exc)
                else " (a quote inside a field must be doubled, or the field quoted)")
        raise CLIError(f"{path}:{where}: malformed CSV: {exc}{hint}") from None
    except UnicodeDecodeError as exc:
        raise _not_decodable(path, encoding, exc, reader.line_num + 1) from None
    if chunk:
        yield chunk


def _read_jsonl_chunks(fh, text_column: str, path: str, with_context: bool = False, encoding: str = "utf-8"):
    yield None
    chunk: list[tuple] = []
    lineno = 0
    try:
        for lineno, line in enumerate(fh, start=1):
            obj = _json_line(line, path, lineno, text_column)
            if obj is None:
                continue
            text = obj[text_column]
            if text is None:  # null: an empty post, scored as such
                text = ""
            if not isinstance(text, str):
                raise CLIError(f"{path}:{lineno}: field {text_column!r} is {type(text).__name__}, not a string")
            ctx = None
            if with_context:
                nested = obj.get("context") if isinstance(obj.get("context"), dict) else {}
                ctx = _context_from({**{k: obj[k] for k in CONTEXT_FIELDS if k in obj}, **nested},
                                    f"{path}:{lineno}")
            chunk.append((obj, text, ctx))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
    except UnicodeDecodeError as exc:
        raise _not_decodable(path, encoding, exc, lineno + 1) from None
    if chunk:
        yield chunk


def _json_line(line: str, path: str, lineno: int, text_column: str) -> dict | None:
    """One JSON-lines record (``None`` for a blank line); a one-line error for anything else."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CLIError(f"{path}:{lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise CLIError(f"{path}:{lineno}: JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise CLIError(f"{path}:{lineno}: JSON value out of range: {str(exc).split(':')[0]}") from None
    if not isinstance(obj, dict):
        raise CLIError(f"{path}:{lineno}: expected a JSON object per line")
    if text_column not in obj:
        fields = ", ".join(map(repr, list(obj)[:10])) + (", …" if len(obj) > 10 else "")
        raise CLIError(f"{path}:{lineno}: no field {text_column!r} (fields: {fields or 'none'}); "
                       "choose one with --text-column", EXIT_USAGE)
    return obj


# --- Parquet (pyarrow) ------------------------------------------------------------------------
PARQUET_ROW_GROUP_ROWS = 50_000
PARQUET_ROW_GROUP_BYTES = 32 * 1024 * 1024
"""Output row groups: written when this many rows or bytes are buffered (whichever comes
first), so memory stays bounded however long the posts are, and readers get row groups large
enough to split work on."""


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise CLIError("Parquet needs pyarrow: pip install 'shitstorm[parquet]'") from None
    return pyarrow


def _arrow_error(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class _ArrowChunk(list):
    """A chunk of Parquet rows, ``(values, text, context)`` like the other readers, with the
    Arrow record batch they came from, so that Parquet output keeps the input's types."""

    batch = None


class _RowCounter:
    """Rows read so far, in place of ``_Counting``'s characters (the progress bar); ``total``
    rows and the Arrow ``schema`` of the file, once it is open."""

    chars = 0
    total = None
    schema = None


def _is_text_type(pa, t) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)
            or getattr(pa.types, "is_string_view", lambda _: False)(t))


def _read_parquet_chunks(path: str, text_column: str, counter: _RowCounter, with_context: bool = False,
                         rows: bool = True):
    """Row groups streamed ``CHUNK_ROWS`` rows at a time; yields the column names, then chunks.
    Without ``rows`` (Parquet output, which takes the Arrow batch) the values stay in Arrow."""
    pa = _pyarrow()
    try:
        pf = pa.parquet.ParquetFile(path)
        schema = pf.schema_arrow
    except FileNotFoundError:
        raise CLIError(f"{path}: no such file") from None
    except (pa.ArrowException, OSError) as exc:
        raise CLIError(f"{path}: not a readable Parquet file: {_arrow_error(exc)}") from None
    names = list(schema.names)
    if text_column not in names:
        raise CLIError(f"{path}: no column {text_column!r} (columns: {', '.join(names)}); "
                       "choose one with --text-column", EXIT_USAGE)
    text_type = schema.field(text_column).type
    if not _is_text_type(pa, text_type):
        raise CLIError(f"{path}: column {text_column!r} is {text_type}, not a string column", EXIT_USAGE)
    ctx_cols = [n for n in CONTEXT_FIELDS if n in names] if with_context else []
    counter.total, counter.schema = pf.metadata.num_rows, schema
    yield names
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=CHUNK_ROWS):
            texts = batch.column(text_column).to_pylist()
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)] if rows else []
            ctx_values = [batch.column(n).to_pylist() for n in ctx_cols]
            chunk = _ArrowChunk()
            chunk.batch = batch
            for k in range(batch.num_rows):
                row += 1
                ctx = (_context_from(dict(zip(ctx_cols, (v[k] for v in ctx_values), strict=True)),
                                     f"{path}: row {row}")
                       if with_context else None)
                text = texts[k]
                chunk.append(([c[k] for c in columns] if rows else None, "" if text is None else text, ctx))
            counter.chars = row
            yield chunk
    except (pa.ArrowException, OSError) as exc:
        raise CLIError(f"{path}: unreadable Parquet data after row {row}: {_arrow_error(exc)}") from None


class _ParquetSink:
    """Writes chunks as Parquet: the input columns (typed as they came), the score columns of
    ``shitstorm.arrow`` and, with ``--keep-original``, ``original_text``."""

    def __init__(self, out, header, opts: BatchOptions, text_col: str, original_col: str | None, where: str,
                 input_schema=None):
        self.pa = _pyarrow()
        self.out = out
        self.header = header  # column names of CSV or Parquet input; None for JSON lines
        self.parquet_schema = input_schema  # the input file's, for Parquet input
        self.opts = opts
        self.text_col = text_col
        self.original_col = original_col
        self.where = where
        self.json_keys: list[str] = []  # JSON lines: the fields of the first object …
        self.json_schema = None  # … typed from the first chunk
        self.schema = None  # of the output, fixed by the first chunk
        self.writer = None
        self.buffer: list = []  # record batches of the next row group
        self.rows = 0  # rows in the buffer
        self.lines = 0  # JSON lines read, for error messages

    def _input_batch(self, chunk):
        pa = self.pa
        if getattr(chunk, "batch", None) is not None:
            return chunk.batch
        if self.header is not None:  # CSV: every cell is a string
            return pa.RecordBatch.from_arrays(
                [pa.array([row[i] for row, _, _ in chunk], pa.string()) for i in range(len(self.header))],
                names=list(self.header))
        # JSON lines: the fields of the first object; types inferred from the first chunk
        if self.json_schema is None:
            self.json_keys = list(chunk[0][0].keys())
        records = [{k: obj.get(k) for k in self.json_keys} for obj, _, _ in chunk]
        first, last = self.lines + 1, self.lines + len(chunk)
        self.lines = last
        try:
            if self.json_schema is None:
                inferred = pa.RecordBatch.from_pylist(records).schema
                self.json_schema = pa.schema([f.with_type(_no_null_type(pa, f.type)) for f in inferred])
            return pa.RecordBatch.from_pylist(records, schema=self.json_schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise CLIError(f"{self.where}: lines {first}-{last}: a field does not fit the type taken from the "
                           f"first {CHUNK_ROWS:,} lines ({_arrow_error(exc)}); Parquet needs one type per column"
                           ) from None

    def write(self, chunk, scored, redacted) -> None:
        pa = self.pa
        batch = self._input_batch(chunk)
        names, columns = list(batch.schema.names), list(batch.columns)
        if redacted is not None:
            i = names.index(self.text_col)
            columns[i] = pa.array(redacted, pa.string())
        names += list(scored.schema.names)
        columns += list(scored.columns)
        if self.original_col:
            names.append(self.original_col)
            columns.append(pa.array([t for _, t, _ in chunk], pa.string()))
        if self.schema is None:
            self.schema = pa.schema([pa.field(n, c.type) for n, c in zip(names, columns, strict=False)])
        self.buffer.append(pa.RecordBatch.from_arrays(columns, schema=self.schema))
        self.rows += len(chunk)
        if self.rows >= PARQUET_ROW_GROUP_ROWS or sum(b.nbytes for b in self.buffer) >= PARQUET_ROW_GROUP_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        if self.writer is None:
            self.writer = self.pa.parquet.ParquetWriter(self.out, self.schema)
        table = self.pa.Table.from_batches(self.buffer, schema=self.schema)
        self.writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self.buffer, self.rows = [], 0

    def close(self) -> None:
        self.flush()
        if self.writer is None:  # no rows: still a valid file, with the columns it would have had
            from .arrow import score_schema

            pa = self.pa
            if self.parquet_schema is not None:
                fields = list(self.parquet_schema)
            else:
                fields = [pa.field(n, pa.string()) for n in self.header or ()]
            fields += list(score_schema(self.opts.prefix, pii=self.opts.pii, triage=self.opts.triage))
            if self.original_col:
                fields.append(pa.field(self.original_col, pa.string()))
            self.schema = pa.schema(fields)
            self.writer = pa.parquet.ParquetWriter(self.out, self.schema)
        self.writer.close()


def _no_null_type(pa, t):
    """A type inferred from JSON with ``null`` (no value seen yet, even inside lists and objects)
    replaced by string, so that later lines may fill it."""
    if pa.types.is_null(t):
        return pa.string()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_no_null_type(pa, t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_no_null_type(pa, f.type)) for f in t])
    return t


def _cell(value):
    """A CSV cell for a typed (Parquet or JSON) value: strings as they are, lists and objects as
    JSON, dates in ISO format, missing values empty."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _json_default(value):
    """JSON for the typed values a Parquet file may hold (dates, decimals, bytes)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(value).decode("ascii")
    return str(value)  # Decimal, timedelta


CONTEXT_FIELDS = ("channel", "followers", "likes", "shares", "replies", "minutes_since_post",
                  "earlier_contacts")
"""Input columns (or JSON fields, or a nested ``context`` object) read by ``batch --context``."""


def _context_from(values: dict, where: str) -> dict:
    """Typed context from CSV strings or JSON values; empty cells are unknown (``None``). Checked
    by the library's one check of a context (``shitstorm.policy.context_value``), with the row's
    position and the value in the message."""
    from .policy import context_value

    out: dict = {}
    for name, raw in values.items():
        try:
            value = context_value(name, raw, text=True)
        except ValueError as exc:
            raise CLIError(f"{where}: {exc}" + (f", not {raw!r}" if name in CONTEXT_FIELDS else "")) from None
        if value is not None:
            out[name] = value
    return out


@dataclass(frozen=True)
class BatchOptions:
    """What ``batch`` adds besides the scores; sent to every worker with its chunk."""

    pii: bool = False
    redact: bool = False
    triage: bool = False
    policy: object = None  # shitstorm.Policy (pickles) or None for the default
    lang: str = "de"
    parquet: bool = False  # Parquet output: workers return typed Arrow columns, not dicts
    prefix: str = ""


def _flat(score: dict, prefix: str, opts: BatchOptions = BatchOptions()) -> dict:
    from .schema import csv_cells

    return {f"{prefix}{name}": cell for name, cell in csv_cells(score, pii=opts.pii, triage=opts.triage).items()}


def _new_columns(prefix: str, opts: BatchOptions) -> list[str]:
    from .schema import output_fields

    return [f"{prefix}{f.name}" for f in output_fields(pii=opts.pii, triage=opts.triage)]


_WORKER_MODEL = None


def _init_worker(model_path, trust, base_rates=None) -> None:
    global _WORKER_MODEL
    from .model import default_model, load

    _WORKER_MODEL = (load(model_path, trust=trust, base_rates=base_rates)
                     if model_path or base_rates else default_model())


def _without_pii(s: Score) -> Score:
    """``s`` with every finding's text, and every reason overlapping one, replaced by the kind's
    placeholder: the scores must not carry what a redacted text no longer does."""
    from dataclasses import replace

    from .schema import PII_PLACEHOLDERS

    if not s.pii:
        return s
    reasons = tuple(
        replace(r, text=next((PII_PLACEHOLDERS[f.kind] for f in s.pii if f.start < r.end and r.start < f.end),
                             r.text))
        for r in s.reasons)
    return replace(s, reasons=reasons, pii=tuple(replace(f, text=PII_PLACEHOLDERS[f.kind]) for f in s.pii))


def _score_texts(texts: list[str], contexts: list | None = None, opts: BatchOptions = BatchOptions()):
    """Score one chunk in a worker: the score dicts, plus redacted text and triage if asked; for
    Parquet output the typed columns of ``shitstorm.arrow`` and the redacted texts (or None)."""
    scores = _WORKER_MODEL.score_many(texts)
    if not (opts.redact or opts.triage or opts.parquet):
        return [s.to_dict() for s in scores]
    from .pii import redact
    from .policy import triage

    triages = ([triage(s, opts.policy, contexts[k] if contexts else None, lang=opts.lang)
                for k, s in enumerate(scores)] if opts.triage else None)
    redacted = [redact(t) for t in texts] if opts.redact else None
    if opts.redact:
        scores = [_without_pii(s) for s in scores]
    if opts.parquet:
        from .arrow import score_arrays

        return score_arrays(scores, triages, opts.prefix, pii=opts.pii), redacted
    out = []
    for k, s in enumerate(scores):
        d = s.to_dict()
        if redacted is not None:
            d["redacted_text"] = redacted[k]
        if triages is not None:
            d["triage"] = triages[k].to_dict()
        out.append(d)
    return out


def _batch_options(args, out_fmt: str) -> BatchOptions:
    policy = _policy_arg(args)
    if args.context and not args.triage:
        raise CLIError("--context is used by --triage; add --triage", EXIT_USAGE)
    if args.keep_original and not args.redact:
        raise CLIError("--keep-original only makes sense with --redact", EXIT_USAGE)
    return BatchOptions(pii=args.pii, redact=args.redact, triage=args.triage, policy=policy, lang=args.lang,
                        parquet=out_fmt == "parquet", prefix=args.prefix)


def cmd_batch(args) -> int:  # noqa: C901 - to split (complexity over 15, see CHANGELOG)
    global _WORKER_MODEL
    in_fmt = _guess_format(args.input, args.input_format)
    out_fmt = _guess_format(args.output, args.output_format) if args.output != "-" else (args.output_format or in_fmt)
    if args.jobs < 1:
        raise CLIError("--jobs must be at least 1", EXIT_USAGE)
    if in_fmt == "parquet" and args.input == "-":
        raise CLIError("Parquet input must be a file (it is read from its end), not stdin", EXIT_USAGE)
    if out_fmt == "parquet":
        _pyarrow()
        if args.output == "-" and sys.stdout.isatty():
            raise CLIError("will not write Parquet to a terminal; use -o FILE.parquet", EXIT_USAGE)
    opts = _batch_options(args, out_fmt)
    if in_fmt == "parquet":
        _check_output(args.input, args.output)
        fh, counting = None, _RowCounter()
        reader = _read_parquet_chunks(args.input, args.text_column, counting, with_context=args.context,
                                      rows=out_fmt != "parquet")
    else:
        _codec(args.encoding)
        _check_output(args.input, args.output)
        fh, size = _open_in(args.input, args.encoding)
        counting = _Counting(fh)
        read = _read_csv_chunks if in_fmt == "csv" else _read_jsonl_chunks
        reader = read(counting, args.text_column, args.input, with_context=args.context, encoding=args.encoding)
    prefix = args.prefix
    original_col = f"{prefix}original_text"
    try:
        header = next(reader)
        if in_fmt == "parquet":
            size = counting.total  # the progress bar counts rows
        new_cols = _new_columns(prefix, opts) + ([original_col] if args.keep_original else [])
        if header is not None:
            clash = [c for c in new_cols if c in header]
            if clash:
                raise CLIError(f"{args.input}: already has column(s) {', '.join(clash)}; "
                               "use --prefix shitstorm_ to name the new ones apart", EXIT_USAGE)
    except BaseException:
        if fh is not None:
            fh.close()
        raise
    binary = out_fmt == "parquet"
    if args.output == "-":
        out = (sys.stdout.buffer if binary else
               io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=False))
        tmp_path = None
    else:
        tmp_path = Path(args.output).with_name(f".{Path(args.output).name}.part")
        try:
            # closed by the caller on every path (_discard or the final rename)
            out = open(tmp_path, "wb") if binary else open(tmp_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            if fh is not None:
                fh.close()
            raise CLIError(f"{args.output}: cannot write here: {exc.strerror or exc}") from None
    progress = Progress(size, None if not args.quiet else False)
    pool = None
    text_col = args.text_column
    restore_signals = lambda: None
    try:
        restore_signals = _signals_as_exceptions()
        writer = None
        chunks = ((chunk, [t for _, t, _ in chunk], [c for _, _, c in chunk] if args.context else None)
                  for chunk in reader)
        if args.jobs > 1:
            import multiprocessing as mp

            pool = mp.get_context("spawn").Pool(args.jobs, initializer=_init_worker,
                                                initargs=(args.model, args.trust, _base_rates_arg(args)))
            pairs = _ordered_parallel(pool, chunks, args.jobs, opts)
        else:
            _WORKER_MODEL = _model(args)
            pairs = ((chunk, _score_texts(texts, ctxs, opts)) for chunk, texts, ctxs in chunks)
        if out_fmt == "parquet":
            _write_parquet(pairs, out, header, opts, args, progress, counting)
            pairs = ()
        if out_fmt == "csv":
            writer = csv.writer(out)
            if header is not None:
                writer.writerow(header + new_cols)
        for chunk, scores in pairs:
            for (row, text, _), sc in zip(chunk, scores, strict=False):
                redacted = sc.pop("redacted_text", None)
                extra = [text] if args.keep_original else []
                if out_fmt == "csv":
                    if header is None:  # jsonl in, csv out: columns of the first object
                        header = list(row.keys())
                        writer.writerow(header + new_cols)
                    values = list(row) if isinstance(row, list) else [row.get(k, "") for k in header]
                    if redacted is not None and redacted != text:
                        values[header.index(text_col)] = redacted
                    writer.writerow([_cell(v) for v in values] + list(_flat(sc, prefix, opts).values()) + extra)
                else:
                    obj = dict(row) if isinstance(row, dict) else dict(zip(header, row, strict=False))
                    if redacted is not None and redacted != text:
                        obj[text_col] = redacted
                    obj[f"{prefix}shitstorm" if prefix else "shitstorm"] = sc
                    if args.keep_original:
                        obj[original_col] = text
                    out.write(json.dumps(obj, ensure_ascii=False, default=_json_default) + "\n")
            progress.update(len(chunk), counting.chars)
        out.flush()
        if tmp_path is not None:
            out.close()
            os.replace(tmp_path, args.output)
    except BaseException as exc:
        if tmp_path is not None:
            _discard(out, tmp_path)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            where = args.output if tmp_path is not None else "stdout"
            raise CLIError(f"{where}: {exc.strerror or exc}; nothing was written") from None
        raise
    finally:
        restore_signals()
        if pool is not None:
            pool.terminate()
        if fh is not None:
            fh.close()
    if tmp_path is None and not binary:
        out.detach()
    progress.close()
    return 0


def _check_output(input_path: str, output: str) -> None:
    """Refuse an output that cannot be written, before anything is read: a directory, a missing
    directory, or the input itself (which would be replaced by its own scores)."""
    if output == "-":
        return
    out = Path(output)
    if out.is_dir():
        raise CLIError(f"{output}: is a directory; give a file name, e.g. -o {out / 'scored.csv'}", EXIT_USAGE)
    parent = out.parent
    if not parent.is_dir():
        raise CLIError(f"{output}: the directory {parent} does not exist", EXIT_USAGE)
    if input_path != "-" and (out.resolve() == Path(input_path).resolve()
                              or (out.exists() and os.path.samefile(out, input_path))):
        raise CLIError(f"{output}: is the input file; write the scores to another file", EXIT_USAGE)


def _discard(out, tmp_path: Path) -> None:
    """Close and remove the half-written ``.part`` file; closing may fail again (a full disk)."""
    with contextlib.suppress(OSError):
        out.close()
    with contextlib.suppress(OSError):
        tmp_path.unlink(missing_ok=True)


class Signalled(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so that no ``.part`` file is left."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


TERMINATING_SIGNALS = ("SIGTERM", "SIGHUP")


def _signals_as_exceptions():
    """While ``batch`` writes, SIGTERM and SIGHUP raise ``Signalled`` (SIGINT already raises
    ``KeyboardInterrupt``). Returns the function that puts the previous handlers back."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise Signalled(signum)

    saved = {}
    for name in TERMINATING_SIGNALS:
        if hasattr(signal, name):
            sig = getattr(signal, name)
            saved[sig] = signal.signal(sig, handler)

    def restore():
        for sig, old in saved.items():
            signal.signal(sig, old)

    return restore


def _write_parquet(pairs, out, header, opts: BatchOptions, args, progress, counting) -> None:
    original_col = f"{args.prefix}original_text" if args.keep_original else None
    sink = _ParquetSink(out, header, opts, args.text_column, original_col, args.input,
                        input_schema=getattr(counting, "schema", None))
    for chunk, (scored, redacted) in pairs:
        sink.write(chunk, scored, redacted)
        progress.update(len(chunk), counting.chars)
    sink.close()


def _ordered_parallel(pool, chunks, jobs: int, opts: BatchOptions):
    """Score chunks on the pool, at most ``2 × jobs`` in flight, yielding in input order."""
    from collections import deque

    pending: deque = deque()
    for chunk, texts, ctxs in chunks:
        pending.append((chunk, pool.apply_async(_score_texts, (texts, ctxs, opts))))
        if len(pending) >= 2 * jobs:
            c, res = pending.popleft()
            yield c, res.get()
    while pending:
        c, res = pending.popleft()
        yield c, res.get()


# --- serve ------------------------------------------------------------------------------------
def cmd_serve(args) -> int:
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
def cmd_helpdesk_sync(args) -> int:
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
def _spark_session(master: str | None):
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


def cmd_spark_score(args) -> int:
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
        raise CLIError(_arrow_error(exc)) from None
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


def cmd_train(args) -> int:
    from .train.dataset import read_labelled_csv
    from .train.fit import train_and_save

    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    command = "shitstorm train " + " ".join(shlex.quote(a) for a in args.argv)
    if args.base is not None:
        from .train.retrain import train_on_base

        manifest = train_on_base(args.files, args.out, base=args.base, base_weight=args.base_weight,
                                 own_weight=args.own_weight, seed=args.seed, folds=args.folds, force=args.force,
                                 command=command, hostility=args.hostility, background=args.background,
                                 say=say, warn=_warn)
        own = manifest["own_data"]
        print(f"weights: corpus {own['base_rows']} rows x {own['base_weight']:g}, yours {own['own_trained']} "
              f"rows x {own['own_weight']:g} ({own['own_weight_share']:.1%} of the training weight); "
              f"{own['own_heldout']} of your rows held out\n")
        print(own["comparison_table"].rstrip())
        print(f"model written to {args.out}", file=sys.stderr)
        return 0
    train = read_labelled_csv(args.files)
    test = read_labelled_csv(args.test) if args.test else None
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
def cmd_feedback(args) -> int:
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
def cmd_evaluate(args) -> int:
    from .train.dataset import read_labelled_csv
    from .train.evaluate import evaluate_rows, summary

    if args.report:
        from .train.report import ReportUnavailable, require_matplotlib

        try:
            require_matplotlib()
        except ReportUnavailable as exc:
            raise CLIError(str(exc), EXIT_USAGE) from None
    model = _model(args)
    data = read_labelled_csv(args.files)
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


def cmd_review(args) -> int:
    from .train.review import read_posts, review

    if args.n < 1:
        raise CLIError("-n must be at least 1", EXIT_USAGE)
    posts = read_posts(args.input, args.text_column)
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
        w = csv.writer(out)
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

    b = sub.add_parser("batch", parents=[common], help="score a CSV, JSON-lines or Parquet file")
    b.add_argument("input", help='CSV, JSONL or Parquet file, "-" for stdin (CSV, JSONL)')
    b.add_argument("-o", "--output", default="-", help='output file (default "-": stdout)')
    b.add_argument("--text-column", default="text", help="column/field holding the post (default: text)")
    b.add_argument("--encoding", default="utf-8",
                   help="encoding of CSV or JSON-lines input (default utf-8; e.g. latin-1, cp1252)")
    b.add_argument("--input-format", choices=["csv", "jsonl", "parquet"],
                   help="default: from the suffix (.csv, .jsonl, .parquet); stdin is CSV")
    b.add_argument("--output-format", choices=["csv", "jsonl", "parquet"],
                   help="default: from the suffix of -o, or the input's format")
    b.add_argument("--prefix", default="", help="prefix for the appended columns")
    b.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
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
    v.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    v.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
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
    t.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    t.add_argument("--quiet", action="store_true", help="no progress messages (warnings still shown)")
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
    ev.set_defaults(func=cmd_evaluate)

    rv = sub.add_parser("review", parents=[common], help="pick the posts to label next",
                        description="Pick the posts the model is least sure of, those whose heads disagree, and "
                        "some from every score range; write them with empty label columns, ready for labelling.",
                        )
    rv.add_argument("input", help="CSV file of posts with a header")
    rv.add_argument("-n", type=int, default=200, help="how many posts to pick (default 200)")
    rv.add_argument("--seed", type=int, default=0, help="seed for ties and the spread picks (default 0)")
    rv.add_argument("-o", "--output", default="-", help='output CSV (default "-": stdout)')
    rv.add_argument("--text-column", default="text", help="column holding the post (default: text)")
    rv.set_defaults(func=cmd_review)
    _add_examples(sub)
    return p


EXAMPLES: dict[str, tuple[str, ...]] = {
    "score": ('shitstorm score "Wenn ich bis morgen nichts höre, geht das an die BILD!" "Danke für die Hilfe!"',
              "shitstorm score - < posts.txt"),
    "batch": ("shitstorm batch posts.csv --text-column text -o scored.csv --triage",),
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
              "shitstorm train --base default mine.csv --out mymodel/"),
    "evaluate": ("shitstorm evaluate labelled.csv --report report/ --target-precision 0.9 --write-policy team.toml",),
    "review": ("shitstorm review posts.csv -n 200 -o to-label.csv",),
}
"""The example that ends each subcommand's help (``shitstorm COMMAND --help``)."""


class _ExampleFormatter(argparse.HelpFormatter):
    """Wraps the description as usual; keeps the example lines as they are written."""

    def _fill_text(self, text, width, indent):
        if text.startswith("example"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _add_examples(sub, prefix: str = "") -> None:
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
    if args.command == "train" and args.folds < 2:
        parser.error("--folds must be at least 2")
    if args.command == "train" and args.base is not None and args.test:
        parser.error("--test is not used with --base: the shipped test split and your held-out rows are")
    if args.command == "train" and args.base is None and (args.force or args.base_weight != 1.0
                                                          or args.own_weight != 2.0):
        parser.error("--base-weight, --own-weight and --force go with --base")
    from .persist import ModelIntegrityError
    from .train.dataset import DataError

    try:
        return args.func(args)
    except CLIError as exc:
        print(f"shitstorm {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except (DataError, ModelIntegrityError) as exc:
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
