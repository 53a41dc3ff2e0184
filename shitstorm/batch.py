"""Scoring files: CSV, JSON lines, Parquet and Excel in, the same rows with score columns out.

    from shitstorm.batch import BatchOptions, score_file

    score_file("posts.csv", "scored.csv", options=BatchOptions(pii=True, triage=True))

``score_file`` is what ``shitstorm batch`` runs. It streams: the input is read ``CHUNK_ROWS``
rows at a time, scored (on ``jobs`` worker processes, in input order) and written, so memory stays
flat however large the file. Output goes to ``OUT.part`` first and is renamed when complete: a
failure, Ctrl-C, SIGTERM or SIGHUP leaves no half-written file (``Signalled``).

A row in is a row out: the input's columns as they came (typed, for Parquet), then the score
columns (``shitstorm.schema.output_fields``; Parquet: ``shitstorm.arrow``). CSV input may use
``,``, ``;`` or a tab between fields (sniffed from the header line, or given); CSV output keeps
the input's delimiter. Errors are ``BatchError`` (bad data, naming the file and line) or
``BatchUsageError`` (the options do not fit the input); no post text is ever in a message.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from .errors import ShitstormError
from .schema import Score, csv_cells

CHUNK_ROWS = 2_000
"""Rows scored per chunk: large enough to amortise the vectorised model call, small enough that
memory stays flat (a chunk of 400-character posts is under 1 MB)."""

CSV_FIELD_LIMIT = 2**31 - 1
"""The csv module refuses fields over 128 KB by default; a pasted 5 MB post must reach the
scorer (which cuts it to ``MAX_CHARS`` and flags it ``truncated``) instead of stopping a batch."""

PARQUET_ROW_GROUP_ROWS = 50_000
PARQUET_ROW_GROUP_BYTES = 32 * 1024 * 1024
"""Output row groups: written when this many rows or bytes are buffered (whichever comes
first), so memory stays bounded however long the posts are, and readers get row groups large
enough to split work on."""

FORMATS = ("csv", "jsonl", "parquet", "xlsx")
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "\\t": "\t", "tab": "\t", "|": "|"}
"""What ``delimiter`` accepts (``tab`` or ``\\t`` for a tab)."""

XLSX_CELL_LIMIT = 32_767
"""Characters Excel stores in one cell (openpyxl silently cuts a longer string)."""
XLSX_MISSING = ("Excel files need openpyxl: pip install 'shitstorm[xlsx]' (from a checkout: pip install "
                "'.[xlsx]'), or export the sheet as CSV (UTF-8)")


class BatchError(ShitstormError, ValueError):
    """Input ``score_file`` cannot score: the message names the file and line (or row)."""


class BatchUsageError(BatchError):
    """The options do not fit the input (a missing column, an unknown format, …): exit code 2
    at the command line."""


class Signalled(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so that no ``.part`` file is left."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


TERMINATING_SIGNALS = ("SIGTERM", "SIGHUP")


@dataclass(frozen=True)
class BatchOptions:
    """What ``score_file`` adds besides the scores; sent to every worker with its chunk."""

    pii: bool = False
    redact: bool = False
    triage: bool = False
    policy: object = None  # shitstorm.Policy (pickles) or None for the default
    lang: str = "de"
    parquet: bool = False  # Parquet output: workers return typed Arrow columns, not dicts (set by score_file)
    prefix: str = ""


@dataclass(frozen=True)
class ModelSource:
    """Which model to score with, as every worker process loads it: a directory (``None``: the
    bundled model), whether to ``trust`` it, and base rates (``None``: the model's own)."""

    path: str | None = None
    trust: bool = False
    base_rates: dict[str, float] | None = None

    def load(self) -> Any:
        from .model import default_model, load

        if self.path or self.base_rates:
            return load(self.path, trust=self.trust, base_rates=self.base_rates)
        return default_model()


Progress = Callable[[int, int | None, int | None], None]
"""``progress(rows, done, total)`` after each chunk: rows just written, and how far the input is
read (characters or rows) out of ``total`` (file size or rows; ``None`` when unknown)."""


# --- formats and input ------------------------------------------------------------------------
def guess_format(path: str, given: str | None = None) -> str:
    """``given``, else the format a path's suffix names (stdin: CSV)."""
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
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    raise BatchUsageError(f"cannot tell the format of {path}; use --input-format/--output-format "
                          + "|".join(FORMATS))


def codec(encoding: str) -> str:
    """An encoding as Python names it; UTF-8 input may start with a byte-order mark."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise BatchUsageError(f"unknown encoding {encoding!r} (e.g. utf-8, latin-1, cp1252)") from None
    return "utf-8-sig" if name == "utf-8" else name


def delimiter_arg(value: str | None) -> str | None:
    """A delimiter as given (``;``, ``,``, ``tab``, ``\\t``, ``|``); ``None``: sniff."""
    if value is None:
        return None
    if value not in DELIMITERS:
        raise BatchUsageError(f"delimiter {value!r}: use one of , ; tab |")
    return DELIMITERS[value]


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV header line: ``;`` (German Excel) or a tab when the line has one
    and no ``,`` outside quotes, else ``,``."""
    outside, quoted = [], False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    line = "".join(outside)
    if "," not in line:
        if ";" in line:
            return ";"
        if "\t" in line:
            return "\t"
    return ","


def _open_in(path: str, encoding: str = "utf-8") -> tuple[IO[str], int | None]:
    name = codec(encoding)
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding=name, newline=""), None
    try:
        if os.path.isdir(path):
            raise BatchError(f"{path}: is a directory, not a file")
        size = os.path.getsize(path)
        return open(path, encoding=name, newline=""), size
    except OSError as exc:
        raise BatchError(f"{path}: {exc.strerror or exc}") from None


def not_decodable(path: str, encoding: str, exc: UnicodeDecodeError, near_line: int) -> BatchError:
    """The one-line error for input that is not in ``encoding``: the line of the first bad byte
    (read again from the file; for stdin the line the reader had reached)."""
    line = near_line
    if path != "-":
        decoder = codecs.getincrementaldecoder(codec(encoding))()
        try:
            with open(path, "rb") as fh:
                for line, raw in enumerate(fh, start=1):  # noqa: B007 - read after the loop
                    decoder.decode(raw)
        except (UnicodeDecodeError, OSError):
            pass
    return BatchError(not_decodable_message(path, encoding, exc, line))


def not_decodable_message(path: object, encoding: str, exc: UnicodeDecodeError, line: int) -> str:
    """How every reader of tables says that a file is not in ``encoding`` (``batch``, and
    ``train.dataset.read_table`` for train, evaluate and review): file, line, the byte, the fix."""
    name = "UTF-8" if codec(encoding) == "utf-8-sig" else encoding
    return (f"{path}:{line}: not {name} (byte 0x{exc.object[exc.start]:02x} cannot be decoded); give "
            "the file's encoding with --encoding, e.g. --encoding cp1252 or latin-1, or save it as UTF-8")


def csv_records(reader: Any, path: object, width: int, error: type[Exception] = BatchError,
                problems: list[str] | None = None) -> Iterator[tuple[int, list[str]]]:
    """``(line, fields)`` per record of a ``csv.reader`` whose header was read: ``line`` is where
    the record starts (a quoted text may span lines); blank lines are skipped. A record with
    another number of fields than the header's ``width`` raises ``error`` naming file and line
    (with ``problems`` given, it is appended there and skipped instead); malformed CSV raises
    ``error`` naming the lines, with a hint. The one record loop of ``batch`` and
    ``train.dataset``, so both name a bad line in the same words."""
    started = reader.line_num + 1  # the line the next record starts on
    try:
        for fields in reader:
            line, started = started, reader.line_num + 1
            if not fields:
                continue
            if len(fields) != width:
                problem = f"{path}:{line}: {len(fields)} fields, the header has {width}"
                if problems is None:
                    raise error(problem)
                problems.append(problem)
                continue
            yield line, fields
    except csv.Error as exc:
        where = f"{started}" if reader.line_num <= started else f"{started}-{reader.line_num}"
        hint = (" (a quoted field is never closed)" if "unexpected end of data" in str(exc)
                else " (a quote inside a field must be doubled, or the field quoted)")
        raise error(f"{path}:{where}: malformed CSV: {exc}{hint}") from None


class _Source:
    """An open input: ``header`` (column names; ``None`` for JSON lines until the first object),
    ``chunks`` of ``(row, text, context)``, how much is read (``done``) of ``total``, the Arrow
    ``schema`` of Parquet input, and the CSV ``delimiter``."""

    def __init__(self, chunks: Iterator[Any], total: int | None = None, fh: IO[str] | None = None):
        self._chunks = chunks
        self.header: list[str] | None = None
        self.total = total
        self.done = 0
        self.schema: Any = None
        self.delimiter = ","
        self.bom = False  # the file starts with a UTF-8 byte-order mark (Excel's "CSV UTF-8")
        self.fh = fh

    def start(self) -> None:
        self.header = next(self._chunks)

    def chunks(self) -> Iterator[Any]:
        return self._chunks

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _counted(source: _Source, lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        source.done += len(line)
        yield line


def _open_source(path: str, fmt: str, text_column: str, *, context: bool, encoding: str,
                 delimiter: str | None, rows: bool) -> _Source:
    if fmt == "parquet":
        source = _Source(iter(()))
        source._chunks = _read_parquet_chunks(path, text_column, source, with_context=context, rows=rows)
        return source
    if fmt == "xlsx":
        source = _Source(iter(()))
        source._chunks = _read_xlsx_chunks(path, text_column, source, with_context=context)
        return source
    fh, size = _open_in(path, encoding)
    source = _Source(iter(()), size, fh)
    source.bom = output_bom(encoding, _peek(fh, 3))
    if fmt == "csv":
        source._chunks = _read_csv_chunks(source, text_column, path, with_context=context, encoding=encoding,
                                          delimiter=delimiter)
    else:
        source._chunks = _read_jsonl_chunks(_counted(source, fh), text_column, path, with_context=context,
                                            encoding=encoding)
    return source


def output_bom(encoding: str, head: bytes) -> bool:
    """Whether CSV output starts with a UTF-8 byte-order mark, given the input's ``encoding`` and
    first bytes (``head``): when the input had one (Excel's "CSV UTF-8") or was read in another
    encoding (``--encoding cp1252``: an Excel export). Output is always UTF-8, and Excel reads a
    CSV without the mark as Windows-1252, so without it the scored file's umlauts come back
    garbled. ``batch`` and ``review`` both decide with it."""
    return codec(encoding) != "utf-8-sig" or head.startswith(codecs.BOM_UTF8)


def _peek(fh: IO[str], n: int) -> bytes:
    """The first ``n`` bytes under a text stream not yet read (``b""`` where it cannot peek)."""
    peek = getattr(getattr(fh, "buffer", None), "peek", None)
    return peek(n)[:n] if peek is not None else b""


def _read_csv_chunks(source: _Source, text_column: str, path: str, with_context: bool = False,
                     encoding: str = "utf-8", delimiter: str | None = None) -> Iterator[Any]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    assert source.fh is not None
    try:
        first = source.fh.readline()
    except UnicodeDecodeError as exc:
        raise not_decodable(path, encoding, exc, 1) from None
    source.delimiter = delimiter or sniff_delimiter(first)
    source.done = len(first)
    # strict: a stray or unclosed quote is an error naming its line, never rows merged silently
    reader = csv.reader(itertools.chain([first] if first else [], _counted(source, source.fh)),
                        delimiter=source.delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise BatchError(f"{path}: empty input, expected a CSV header with a {text_column!r} column") from None
    except csv.Error as exc:
        raise BatchError(f"{path}:1: malformed CSV header: {exc}") from None
    except UnicodeDecodeError as exc:
        raise not_decodable(path, encoding, exc, 1) from None
    _require_column(path, text_column, header)
    col = header.index(text_column)
    ctx_cols = [(name, header.index(name)) for name in _context_fields() if name in header] if with_context else []
    yield header
    chunk: list[tuple] = []
    try:
        for line, row in csv_records(reader, path, len(header)):
            ctx = context_from({n: row[i] for n, i in ctx_cols}, f"{path}:{line}") if with_context else None
            chunk.append((row, row[col], ctx))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
    except UnicodeDecodeError as exc:
        raise not_decodable(path, encoding, exc, reader.line_num + 1) from None
    if chunk:
        yield chunk


def _require_column(path: str, text_column: str, names: list[str]) -> None:
    if text_column not in names:
        raise BatchUsageError(f"{path}: no column {text_column!r} (columns: {', '.join(names)}); "
                              "choose one with --text-column")


def _read_jsonl_chunks(lines: Iterable[str], text_column: str, path: str, with_context: bool = False,
                       encoding: str = "utf-8") -> Iterator[Any]:
    yield None
    chunk: list[tuple] = []
    lineno = 0
    try:
        for lineno, line in enumerate(lines, start=1):
            obj = _json_line(line, path, lineno, text_column)
            if obj is None:
                continue
            text = obj[text_column]
            if text is None:  # null: an empty post, scored as such
                text = ""
            if not isinstance(text, str):
                raise BatchError(f"{path}:{lineno}: field {text_column!r} is {type(text).__name__}, not a string")
            ctx = None
            if with_context:
                given = obj.get("context")
                nested: dict = given if isinstance(given, dict) else {}
                ctx = context_from({**{k: obj[k] for k in _context_fields() if k in obj}, **nested},
                                   f"{path}:{lineno}")
            chunk.append((obj, text, ctx))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
    except UnicodeDecodeError as exc:
        raise not_decodable(path, encoding, exc, lineno + 1) from None
    if chunk:
        yield chunk


def _json_line(line: str, path: str, lineno: int, text_column: str) -> dict | None:
    """One JSON-lines record (``None`` for a blank line); a one-line error for anything else."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BatchError(f"{path}:{lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise BatchError(f"{path}:{lineno}: JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise BatchError(f"{path}:{lineno}: JSON value out of range: {str(exc).split(':')[0]}") from None
    if not isinstance(obj, dict):
        raise BatchError(f"{path}:{lineno}: expected a JSON object per line")
    if text_column not in obj:
        fields = ", ".join(map(repr, list(obj)[:10])) + (", …" if len(obj) > 10 else "")
        raise BatchUsageError(f"{path}:{lineno}: no field {text_column!r} (fields: {fields or 'none'}); "
                              "choose one with --text-column")
    return obj


# --- context ----------------------------------------------------------------------------------
def _context_fields() -> tuple[str, ...]:
    from .policy import CONTEXT_FIELDS

    return CONTEXT_FIELDS


def context_from(values: dict, where: str) -> dict:
    """Typed context from CSV strings or typed values; empty cells are unknown (``None``). Checked
    by the library's one check of a context (``shitstorm.policy.context_value``), with the row's
    position and the value in the message."""
    from .policy import CONTEXT_FIELDS, context_value

    out: dict = {}
    for name, raw in values.items():
        try:
            value = context_value(name, raw, text=True)
        except ValueError as exc:
            raise BatchError(f"{where}: {exc}" + (f", not {raw!r}" if name in CONTEXT_FIELDS else "")) from None
        if value is not None:
            out[name] = value
    return out


# --- Parquet (pyarrow) ------------------------------------------------------------------------
def require_pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise BatchError("Parquet needs pyarrow: pip install 'shitstorm[parquet]'") from None
    return pyarrow


def arrow_error(exc: Exception) -> str:
    """The first line of an Arrow (or Spark) error message."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class _ArrowChunk(list):
    """A chunk of Parquet rows, ``(values, text, context)`` like the other readers, with the
    Arrow record batch they came from, so that Parquet output keeps the input's types."""

    batch = None


def _is_text_type(pa: Any, t: Any) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)
            or getattr(pa.types, "is_string_view", lambda _: False)(t))


def _read_parquet_chunks(path: str, text_column: str, source: _Source, with_context: bool = False,
                         rows: bool = True) -> Iterator[Any]:
    """Row groups streamed ``CHUNK_ROWS`` rows at a time; yields the column names, then chunks.
    Without ``rows`` (Parquet output, which takes the Arrow batch) the values stay in Arrow."""
    pa = require_pyarrow()
    try:
        pf = pa.parquet.ParquetFile(path)
        schema = pf.schema_arrow
    except FileNotFoundError:
        raise BatchError(f"{path}: no such file") from None
    except (pa.ArrowException, OSError) as exc:
        raise BatchError(f"{path}: not a readable Parquet file: {arrow_error(exc)}") from None
    names = list(schema.names)
    _require_column(path, text_column, names)
    text_type = schema.field(text_column).type
    if not _is_text_type(pa, text_type):
        raise BatchUsageError(f"{path}: column {text_column!r} is {text_type}, not a string column")
    ctx_cols = [n for n in _context_fields() if n in names] if with_context else []
    source.total, source.schema = pf.metadata.num_rows, schema
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
                ctx = (context_from(dict(zip(ctx_cols, (v[k] for v in ctx_values), strict=True)),
                                    f"{path}: row {row}")
                       if with_context else None)
                text = texts[k]
                chunk.append(([c[k] for c in columns] if rows else None, "" if text is None else text, ctx))
            source.done = row
            yield chunk
    except (pa.ArrowException, OSError) as exc:
        raise BatchError(f"{path}: unreadable Parquet data after row {row}: {arrow_error(exc)}") from None


def _no_null_type(pa: Any, t: Any) -> Any:
    """A type inferred from JSON with ``null`` (no value seen yet, even inside lists and objects)
    replaced by string, so that later lines may fill it."""
    if pa.types.is_null(t):
        return pa.string()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_no_null_type(pa, t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_no_null_type(pa, f.type)) for f in t])
    return t


class _ParquetSink:
    """Writes chunks as Parquet: the input columns (typed as they came), the score columns of
    ``shitstorm.arrow`` and, with ``keep_original``, ``original_text``."""

    def __init__(self, out: Any, header: list[str] | None, opts: BatchOptions, text_col: str,
                 original_col: str | None, where: str, input_schema: Any = None):
        self.pa = require_pyarrow()
        self.out = out
        self.header = header  # column names of CSV or Parquet input; None for JSON lines
        self.parquet_schema = input_schema  # the input file's, for Parquet input
        self.opts = opts
        self.text_col = text_col
        self.original_col = original_col
        self.where = where
        self.json_keys: list[str] = []  # JSON lines: the fields of the first object …
        self.json_schema: Any = None  # … typed from the first chunk
        self.schema: Any = None  # of the output, fixed by the first chunk
        self.writer: Any = None
        self.buffer: list = []  # record batches of the next row group
        self.rows = 0  # rows in the buffer
        self.lines = 0  # JSON lines read, for error messages

    def _input_batch(self, chunk: Any) -> Any:
        pa = self.pa
        if getattr(chunk, "batch", None) is not None:
            return chunk.batch
        if self.header is not None:  # CSV: every cell is a string (Excel: as it came, to text)
            return pa.RecordBatch.from_arrays(
                [pa.array([_text_cell(row[i]) for row, _, _ in chunk], pa.string()) for i in range(len(self.header))],
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
            raise BatchError(f"{self.where}: lines {first}-{last}: a field does not fit the type taken from the "
                             f"first {CHUNK_ROWS:,} lines ({arrow_error(exc)}); Parquet needs one type per column"
                             ) from None

    def write(self, chunk: Any, result: Any) -> None:
        scored, redacted = result
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


# --- Excel (openpyxl, an extra) ---------------------------------------------------------------
def require_openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise BatchError(XLSX_MISSING) from None
    return openpyxl


def _read_xlsx_chunks(path: str, text_column: str, source: _Source, with_context: bool = False) -> Iterator[Any]:
    """The first sheet, streamed (``read_only``): its first row is the header; a row in is a row
    out, cells typed as Excel stores them (numbers, dates, text; empty cells ``None``)."""
    openpyxl = require_openpyxl()
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise BatchError(f"{path}: no such file") from None
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException: not a workbook
        raise BatchError(f"{path}: not a readable .xlsx file ({type(exc).__name__}); export the sheet as "
                         "CSV (UTF-8) if Excel opens it") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise BatchError(f"{path}: empty sheet, expected a header row with a {text_column!r} column")
        header = _xlsx_header(first)
        _require_column(path, text_column, header)
        col = header.index(text_column)
        ctx_cols = [(n, header.index(n)) for n in _context_fields() if n in header] if with_context else []
        source.total = max((sheet.max_row or 1) - 1, 0) or None
        yield header
        yield from _xlsx_chunks(rows, path, header, col, ctx_cols, with_context, source)
    finally:
        book.close()


def _xlsx_header(first: tuple) -> list[str]:
    header = ["" if v is None else str(v) for v in first]
    while header and header[-1] == "":
        header.pop()
    return header


def _xlsx_chunks(rows: Iterator[tuple], path: str, header: list[str], col: int, ctx_cols: list,
                 with_context: bool, source: _Source) -> Iterator[Any]:
    chunk: list[tuple] = []
    width = len(header)
    for line, values in enumerate(rows, start=2):
        row = list(values)
        while len(row) > width and row[-1] is None:
            row.pop()
        if all(v is None for v in row):
            continue  # an empty row, like a blank line in a CSV file
        if len(row) > width:
            raise BatchError(f"{path}: row {line}: {len(row)} cells, the header has {width}")
        row += [None] * (width - len(row))
        ctx = context_from({n: row[i] for n, i in ctx_cols}, f"{path}: row {line}") if with_context else None
        chunk.append((row, _text_cell(row[col]), ctx))
        source.done += 1
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _text_cell(value: Any) -> str:
    """A cell as text: strings as they are, numbers and dates as Excel or Parquet gave them."""
    cell = _cell(value)
    return cell if isinstance(cell, str) else str(cell)


class _XlsxWriter:
    """``writerow`` into a streamed (``write_only``) workbook of one sheet, saved on ``close``.
    ``where``: the input, named in errors with the post's number."""

    def __init__(self, out: Any, where: str = "input"):
        openpyxl = require_openpyxl()
        self.out, self.where = out, where
        self.book = openpyxl.Workbook(write_only=True)
        self.sheet = self.book.create_sheet("scores")
        self.rows = 0

    def writerow(self, values: list) -> None:
        from openpyxl.utils.exceptions import IllegalCharacterError

        self.rows += 1
        cells = [v if v is None or isinstance(v, (str, int, float)) else _cell(v) for v in values]
        longest = max((len(v) for v in cells if isinstance(v, str)), default=0)
        if longest > XLSX_CELL_LIMIT:  # openpyxl would cut it short without a word
            raise BatchError(f"{self._row()}: a cell of {longest:,} characters; Excel holds at most "
                             f"{XLSX_CELL_LIMIT:,} in a cell; write CSV instead")
        try:
            self.sheet.append(cells)
        except IllegalCharacterError:
            raise BatchError(f"{self._row()}: a control character Excel cannot store; write CSV instead"
                             ) from None

    def _row(self) -> str:
        if self.rows == 1:
            return f"{self.where}: the header"
        return f"{self.where}: post {self.rows - 1:,} (row {self.rows:,} of the sheet)"

    def close(self) -> None:
        self.book.save(self.out)

    def discard(self) -> None:
        """After a failure: end the sheet's stream while its file is open (else openpyxl writes
        to a closed file when the stream is collected, a traceback on stderr) and delete
        openpyxl's temporary file now, not at exit: it holds the rows written so far, post texts
        among them."""
        writer = getattr(self.sheet, "_writer", None)
        with contextlib.suppress(Exception):
            self.sheet.close()
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()


# --- cells ------------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    """A CSV cell for a typed (Parquet, JSON or Excel) value: strings as they are, lists and
    objects as JSON, dates in ISO format, missing values empty."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _json_default(value: Any) -> Any:
    """JSON for the typed values a Parquet file may hold (dates, decimals, bytes)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(value).decode("ascii")
    return str(value)  # Decimal, timedelta


def new_columns(prefix: str, opts: BatchOptions) -> list[str]:
    """The score columns a table gets, in order."""
    from .schema import output_fields

    return [f"{prefix}{f.name}" for f in output_fields(pii=opts.pii, triage=opts.triage)]


# --- scoring ----------------------------------------------------------------------------------
def _without_pii(s: Score) -> Score:
    """``s`` with every finding's text, and every reason overlapping one, replaced by the kind's
    placeholder: the scores must not carry what a redacted text no longer does."""
    from .schema import PII_PLACEHOLDERS

    if not s.pii:
        return s
    reasons = tuple(
        replace(r, text=next((PII_PLACEHOLDERS[f.kind] for f in s.pii if f.start < r.end and r.start < f.end),
                             r.text))
        for r in s.reasons)
    return replace(s, reasons=reasons, pii=tuple(replace(f, text=PII_PLACEHOLDERS[f.kind]) for f in s.pii))


def score_texts(model: Any, texts: list[str], contexts: list | None = None,
                opts: BatchOptions = BatchOptions()) -> Any:
    """Score one chunk: the score dicts, plus redacted text and triage if asked; for Parquet
    output the typed columns of ``shitstorm.arrow`` and the redacted texts (or None)."""
    scores = model.score_many(texts)
    if not (opts.redact or opts.triage or opts.parquet):
        return [s.to_dict() for s in scores]
    from .pii import redact
    from .policy import triage

    triages = ([triage(s, opts.policy, contexts[k] if contexts else None, lang=opts.lang)  # type: ignore[arg-type]
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


# The worker pool. Each worker process loads the model once, in ``_init_worker`` (the pool's
# initializer, given the ``ModelSource``), and keeps it in this per-process slot: it is written
# only in worker processes, never in the process that calls ``score_file``, and read only by
# ``_score_in_worker``. (A model does not pickle cheaply: sending it with every chunk would cost
# more than scoring the chunk.)
_PROCESS_MODEL: dict[str, Any] = {}


def _init_worker(source: ModelSource) -> None:
    _PROCESS_MODEL["model"] = source.load()


def _score_in_worker(texts: list[str], contexts: list | None, opts: BatchOptions) -> Any:
    return score_texts(_PROCESS_MODEL["model"], texts, contexts, opts)


def _ordered_parallel(pool: Any, chunks: Iterable[tuple], jobs: int, opts: BatchOptions) -> Iterator[tuple]:
    """Score chunks on the pool, at most ``2 × jobs`` in flight, yielding in input order."""
    from collections import deque

    pending: deque = deque()
    for chunk, texts, ctxs in chunks:
        pending.append((chunk, pool.apply_async(_score_in_worker, (texts, ctxs, opts))))
        if len(pending) >= 2 * jobs:
            c, res = pending.popleft()
            yield c, res.get()
    while pending:
        c, res = pending.popleft()
        yield c, res.get()


# --- output -----------------------------------------------------------------------------------
def check_output(input_path: str, output: str) -> None:
    """Refuse an output that cannot be written, before anything is read: a directory, a missing
    directory, or the input itself (which would be replaced by its own scores)."""
    if output == "-":
        return
    out = Path(output)
    if out.is_dir():
        raise BatchUsageError(f"{output}: is a directory; give a file name, e.g. -o {out / 'scored.csv'}")
    parent = out.parent
    if not parent.is_dir():
        raise BatchUsageError(f"{output}: the directory {parent} does not exist")
    if input_path != "-" and (out.resolve() == Path(input_path).resolve()
                              or (out.exists() and os.path.samefile(out, input_path))):
        raise BatchUsageError(f"{output}: is the input file; write the scores to another file")


def _discard(out: Any, tmp_path: Path) -> None:
    """Close and remove the half-written ``.part`` file; closing may fail again (a full disk)."""
    with contextlib.suppress(OSError):
        out.close()
    with contextlib.suppress(OSError):
        tmp_path.unlink(missing_ok=True)


def _signals_as_exceptions() -> Callable[[], None]:
    """While ``score_file`` writes, SIGTERM and SIGHUP raise ``Signalled`` (SIGINT already raises
    ``KeyboardInterrupt``). Returns the function that puts the previous handlers back."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: Any) -> None:
        raise Signalled(signum)

    saved = {}
    for name in TERMINATING_SIGNALS:
        if hasattr(signal, name):
            sig = getattr(signal, name)
            saved[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in saved.items():
            signal.signal(sig, old)

    return restore


class _RowSink:
    """CSV, JSON-lines or Excel output, one row per input row: the input's values (the text
    redacted if asked), then the score cells (CSV, Excel) or the score object (JSON lines)."""

    def __init__(self, out: Any, fmt: str, header: list[str] | None, new_cols: list[str], opts: BatchOptions,
                 text_col: str, original_col: str | None, delimiter: str, bom: bool = False,
                 where: str = "input"):
        self.out, self.fmt, self.header = out, fmt, header
        self.new_cols, self.opts, self.text_col, self.original_col = new_cols, opts, text_col, original_col
        self.table: Any = None
        if fmt == "csv":
            if bom:  # see output_bom: Excel reads a CSV without one as Windows-1252
                out.write("\ufeff")
            self.table = csv.writer(out, delimiter=delimiter)
        elif fmt == "xlsx":
            self.table = _XlsxWriter(out, where)
        if self.table is not None and header is not None:
            self.table.writerow(header + new_cols)

    def write(self, chunk: Any, scores: Any) -> None:
        for (row, text, _), sc in zip(chunk, scores, strict=False):
            redacted = sc.pop("redacted_text", None)
            changed = redacted is not None and redacted != text
            if self.table is not None:
                self._table_row(row, text, sc, redacted if changed else None)
            else:
                self._json_row(row, text, sc, redacted if changed else None)

    def _table_row(self, row: Any, text: str, sc: dict, redacted: str | None) -> None:
        if self.header is None:  # JSON lines in, a table out: the columns of the first object
            self.header = list(row.keys())
            self.table.writerow(self.header + self.new_cols)
        values = list(row) if isinstance(row, list) else [row.get(k, "") for k in self.header]
        if redacted is not None:
            values[self.header.index(self.text_col)] = redacted
        extra = [text] if self.original_col else []
        cells = values if self.fmt == "xlsx" else [_cell(v) for v in values]
        scores = csv_cells(sc, pii=self.opts.pii, triage=self.opts.triage).values()
        self.table.writerow(cells + list(scores) + extra)

    def _json_row(self, row: Any, text: str, sc: dict, redacted: str | None) -> None:
        obj = dict(row) if isinstance(row, dict) else dict(zip(self.header or (), row, strict=False))
        if redacted is not None:
            obj[self.text_col] = redacted
        obj[f"{self.opts.prefix}shitstorm" if self.opts.prefix else "shitstorm"] = sc
        if self.original_col:
            obj[self.original_col] = text
        self.out.write(json.dumps(obj, ensure_ascii=False, default=_json_default) + "\n")

    def close(self) -> None:
        if self.fmt == "xlsx":
            self.table.close()

    def discard(self) -> None:
        """After a failure: nothing is saved (the caller removes the ``.part`` file)."""
        if self.fmt == "xlsx":
            self.table.discard()


def _open_out(out_path: str, binary: bool) -> tuple[Any, Path | None]:
    """The output stream, and the ``.part`` file it writes (``None``: stdout)."""
    if out_path == "-":
        out = (sys.stdout.buffer if binary else
               io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=False))
        return out, None
    tmp_path = Path(out_path).with_name(f".{Path(out_path).name}.part")
    try:
        # closed by score_file on every path (_discard or the final rename)
        out = open(tmp_path, "wb") if binary else open(tmp_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise BatchError(f"{out_path}: cannot write here: {exc.strerror or exc}") from None
    return out, tmp_path


def _check_request(in_path: str, out_path: str, in_fmt: str, out_fmt: str, jobs: int, opts: BatchOptions,
                   context: bool, keep_original: bool) -> None:
    from .schema import whole_number

    for fmt in (in_fmt, out_fmt):
        if fmt not in FORMATS:
            raise BatchUsageError(f"unknown format {fmt!r}; use " + ", ".join(FORMATS))
    if whole_number(jobs, 1) is None:
        raise BatchUsageError("--jobs must be at least 1")
    if in_fmt in ("parquet", "xlsx") and in_path == "-":
        raise BatchUsageError(f"{'Parquet' if in_fmt == 'parquet' else 'Excel'} input must be a file "
                              "(it is read from its end), not stdin")
    if out_fmt in ("parquet", "xlsx"):
        require_pyarrow() if out_fmt == "parquet" else require_openpyxl()
        if out_path == "-" and sys.stdout.isatty():
            raise BatchUsageError(f"will not write {out_fmt} to a terminal; use -o FILE.{out_fmt}")
    if in_fmt == "xlsx":
        require_openpyxl()
    if context and not opts.triage:
        raise BatchUsageError("--context is used by --triage; add --triage")
    if keep_original and not opts.redact:
        raise BatchUsageError("--keep-original only makes sense with --redact")


def score_file(in_path: str, out_path: str = "-", *, text_column: str = "text", input_format: str | None = None,
               output_format: str | None = None, encoding: str = "utf-8", delimiter: str | None = None,
               options: BatchOptions = BatchOptions(), context: bool = False, keep_original: bool = False,
               jobs: int = 1, model: ModelSource = ModelSource(), progress: Progress | None = None) -> None:
    """Score ``in_path`` (``"-"``: stdin, CSV or JSON lines) into ``out_path`` (``"-"``: stdout);
    see the module docstring. ``context`` reads ``shitstorm.policy.CONTEXT_FIELDS`` from the
    input's columns for triage; ``keep_original`` (with ``redact``) adds ``original_text``;
    ``delimiter`` (CSV; ``None``: sniffed from the header line) is the output's too."""
    in_fmt = guess_format(in_path, input_format)
    out_fmt = guess_format(out_path, output_format) if out_path != "-" else (output_format or in_fmt)
    opts = replace(options, parquet=out_fmt == "parquet")
    _check_request(in_path, out_path, in_fmt, out_fmt, jobs, opts, context, keep_original)
    if in_fmt not in ("parquet", "xlsx"):
        codec(encoding)
    check_output(in_path, out_path)
    source = _open_source(in_path, in_fmt, text_column, context=context, encoding=encoding,
                          delimiter=delimiter_arg(delimiter), rows=out_fmt != "parquet")
    original_col = f"{opts.prefix}original_text" if keep_original else None
    try:
        source.start()
        new_cols = new_columns(opts.prefix, opts) + ([original_col] if original_col else [])
        clash = [c for c in new_cols if c in (source.header or ())]
        if clash:
            raise BatchUsageError(f"{in_path}: already has column(s) {', '.join(clash)}; "
                                  "use --prefix shitstorm_ to name the new ones apart")
        out, tmp_path = _open_out(out_path, out_fmt in ("parquet", "xlsx"))
    except BaseException:
        source.close()
        raise
    try:
        _run(source, out, out_fmt, new_cols, opts, text_column, original_col, context, jobs, model,
             progress, where=in_path)
        out.flush()
        if tmp_path is not None:
            out.close()
            os.replace(tmp_path, out_path)
    except BaseException as exc:
        if tmp_path is not None:
            _discard(out, tmp_path)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise BatchError(f"{out_path if tmp_path is not None else 'stdout'}: {exc.strerror or exc}; "
                             "nothing was written") from None
        raise
    finally:
        source.close()
        if tmp_path is None and isinstance(out, io.TextIOWrapper):
            with contextlib.suppress(OSError, ValueError):
                out.flush()
            out.detach()  # stdout's buffer stays open for the caller


def _run(source: _Source, out: Any, out_fmt: str, new_cols: list[str], opts: BatchOptions, text_col: str,
         original_col: str | None, context: bool, jobs: int, model: ModelSource, progress: Progress | None,
         where: str) -> None:
    """Score the source's chunks into ``out``, on ``jobs`` processes, in input order."""
    pool = None
    restore_signals = _signals_as_exceptions()
    try:
        chunks = ((chunk, [t for _, t, _ in chunk], [c for _, _, c in chunk] if context else None)
                  for chunk in source.chunks())
        if jobs > 1:
            import multiprocessing as mp

            pool = mp.get_context("spawn").Pool(jobs, initializer=_init_worker, initargs=(model,))
            pairs: Iterable[tuple] = _ordered_parallel(pool, chunks, jobs, opts)
        else:
            loaded = model.load()
            pairs = ((chunk, score_texts(loaded, texts, ctxs, opts)) for chunk, texts, ctxs in chunks)
        sink: _ParquetSink | _RowSink
        if out_fmt == "parquet":
            sink = _ParquetSink(out, source.header, opts, text_col, original_col, where, input_schema=source.schema)
        else:
            sink = _RowSink(out, out_fmt, source.header, new_cols, opts, text_col, original_col,
                            source.delimiter if source.fh is not None else ",", bom=source.bom, where=where)
        try:
            for chunk, result in pairs:
                sink.write(chunk, result)
                if progress is not None:
                    progress(len(chunk), source.done, source.total)
        except BaseException:
            if isinstance(sink, _RowSink):
                sink.discard()
            raise
        sink.close()
    finally:
        restore_signals()
        if pool is not None:
            pool.terminate()
