"""Reading the data files of training, evaluation and review.

``read_table`` is the one reader of CSV files with a header (labelled rows, posts to review,
real background posts, the corpus): UTF-8 with or without a byte-order mark (or another encoding
given), ``,`` ``;`` or tab between fields (sniffed or given), the required columns
checked, every record with the header's number of fields, and errors that name the file and line.

Labelled CSVs (``read_labelled_csv``) have the columns ``text``, ``level`` (name or 0–3) and
``publicity_pressure`` (0/1). Extra columns are ignored and reported. Every problem is
reported with file, line and what is wrong, before anything is trained or written."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..schema import LABEL_COLUMNS, LEVEL_COLUMN, LEVEL_INDEX, LEVELS, PRESSURE_COLUMN, TEXT_COLUMN

MAX_REPORTED_PROBLEMS = 20


@dataclass(frozen=True)
class LabelledData:
    texts: tuple[str, ...]
    levels: tuple[int, ...]
    pressure: tuple[int, ...]
    ignored_columns: tuple[str, ...]
    sha256: str  # over the files' bytes, in the order given

    def __len__(self) -> int:
        return len(self.texts)


def parse_level(value: str) -> int:
    v = value.strip().lower()
    if v in LEVEL_INDEX:
        return LEVEL_INDEX[v]
    if v in {"0", "1", "2", "3"}:
        return int(v)
    raise ValueError(f"unknown level {value!r} (use {', '.join(LEVELS)} or 0-3)")


def parse_pressure(value: str) -> int:
    v = value.strip()
    if v in {"0", "1"}:
        return int(v)
    raise ValueError(f"publicity_pressure must be 0 or 1, got {value!r}")


@dataclass(frozen=True)
class CsvTable:
    """A CSV file with a header, read once: its bytes, the header, and the records.

    ``read_table`` opens it; every reader of labelled or unlabelled CSV files in the package
    (training, evaluation, review, background posts, the corpus tooling) goes through it, so that
    they all accept the same files and name the file and line in the same words."""

    path: Path
    header: tuple[str, ...]
    raw: bytes = field(repr=False)
    content: str = field(repr=False)
    delimiter: str = ","

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def records(self, problems: list[str] | None = None) -> Iterator[tuple[int, list[str]]]:
        """``(line, fields)`` per record after the header: ``line`` is where the record starts
        (a quoted text may span lines); blank lines are skipped. A record whose number of fields
        differs from the header's is an error; with ``problems`` given it is appended there and
        the record skipped, otherwise ``DataError`` is raised. Malformed CSV raises ``DataError``."""
        from ..batch import csv_records

        reader = csv.reader(io.StringIO(self.content, newline=""), delimiter=self.delimiter, strict=True)
        next(reader)  # the header, checked by read_table
        yield from csv_records(reader, self.path, len(self.header), DataError, problems)

    def dicts(self, problems: list[str] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
        """``records`` as ``(line, {column: value})``."""
        for line, fields in self.records(problems):
            yield line, dict(zip(self.header, fields, strict=True))


def read_table(path: Path | str, required: Sequence[str], *, hint: str = "", delimiter: str | None = None,
               encoding: str = "utf-8") -> CsvTable:
    """Read a CSV file (UTF-8 by default, a byte-order mark is allowed; else ``encoding``, e.g.
    cp1252) whose header has the ``required`` columns. ``delimiter`` ``None``: sniffed from the
    header line (``;`` or a tab when it has one and no ``,``, as German Excel writes). Errors are
    ``DataError`` naming the file and line; ``hint`` is added to the missing-column message (say,
    which option chooses the column)."""
    from ..batch import CSV_FIELD_LIMIT, BatchError, codec, delimiter_arg, not_decodable_message, sniff_delimiter

    csv.field_size_limit(CSV_FIELD_LIMIT)  # long posts are data, not an error
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        name, delimiter = codec(encoding), delimiter_arg(delimiter)
    except BatchError as exc:
        raise DataError(str(exc)) from None
    try:
        content = raw.decode(name)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(not_decodable_message(path, encoding, exc, line)) from None
    delimiter = delimiter or sniff_delimiter(content.split("\n", 1)[0])
    try:
        header = next(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True), None)
    except csv.Error as exc:
        raise DataError(f"{path}:1: malformed CSV header: {exc}") from None
    if not header:
        raise DataError(f"{path}: empty file, expected a header with {', '.join(required)}")
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(f"{path}:1: missing column(s) {', '.join(missing)}; found {', '.join(header)}{hint}")
    return CsvTable(path, tuple(header), raw, content, delimiter)


def read_labelled_csv(paths: Sequence[Path | str], *,
                      rows_filter: Callable[[dict[str, str]], bool] | None = None,
                      delimiter: str | None = None, encoding: str = "utf-8") -> LabelledData:
    """Read and validate labelled CSVs (``read_table``'s ``delimiter`` and ``encoding``).
    ``rows_filter(row_dict) -> bool`` may skip rows (the corpus uses it to pick a split). Every
    problem of every file is collected and reported together (``DataError``)."""
    texts: list[str] = []
    levels: list[int] = []
    pressure: list[int] = []
    ignored: list[str] = []
    problems: list[str] = []
    digest = hashlib.sha256()
    for path in paths:
        table = read_table(path, LABEL_COLUMNS, delimiter=delimiter, encoding=encoding)
        digest.update(table.raw)
        ignored += [c for c in table.header if c not in LABEL_COLUMNS and c not in ignored]
        for text, lv, pp in _labelled_rows(table, rows_filter, problems):
            texts.append(text)
            levels.append(lv)
            pressure.append(pp)
    _raise_problems(problems)
    if not texts:
        raise DataError("no labelled rows in " + ", ".join(map(str, paths)))
    return LabelledData(tuple(texts), tuple(levels), tuple(pressure), tuple(ignored), digest.hexdigest())


def _labelled_rows(table: CsvTable, rows_filter: Callable[[dict[str, str]], bool] | None,
                   problems: list[str]) -> Iterator[tuple[str, int, int]]:
    """``(text, level, pressure)`` of the table's valid rows; the invalid ones go to ``problems``
    (a malformed file ends its rows there)."""
    try:
        for line, row in table.dicts(problems):
            if rows_filter is not None and not rows_filter(row):
                continue
            try:
                yield _labelled_row(row)
            except ValueError as exc:
                problems.append(f"{table.path}:{line}: {exc}")
    except DataError as exc:
        problems.append(str(exc))


def _labelled_row(row: dict[str, str]) -> tuple[str, int, int]:
    text = row[TEXT_COLUMN]
    if not text.strip():
        raise ValueError("empty text")
    return text, parse_level(row[LEVEL_COLUMN]), parse_pressure(row[PRESSURE_COLUMN])


def _raise_problems(problems: list[str]) -> None:
    if problems:
        shown = "\n".join(problems[:MAX_REPORTED_PROBLEMS])
        more = len(problems) - MAX_REPORTED_PROBLEMS
        raise DataError(f"{len(problems)} problem(s) in the training data:\n{shown}"
                        + (f"\n... and {more} more" if more > 0 else ""))


def read_hostility_tsv(path: Path | str) -> tuple[list[str], list[int]]:
    """GermEval 2018 format: ``text<TAB>coarse<TAB>fine``, coarse OFFENSE/OTHER, ``|LBR|`` for
    line breaks. Returns texts and 1 for OFFENSE."""
    texts, labels = [], []
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the hostility data: {exc}") from None
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2 or parts[1] not in ("OFFENSE", "OTHER"):
            raise DataError(f"{path}:{i}: expected text<TAB>OFFENSE|OTHER<TAB>fine")
        texts.append(parts[0].replace("|LBR|", "\n"))
        labels.append(1 if parts[1] == "OFFENSE" else 0)
    return texts, labels
