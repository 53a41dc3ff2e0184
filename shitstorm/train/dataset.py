"""Reading labelled CSVs for training: columns ``text``, ``level`` (name or 0–3) and
``publicity_pressure`` (0/1). Extra columns are ignored and reported. Every problem is
reported with file, row and what is wrong, before anything is trained or written."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import ShitstormError
from ..schema import LABEL_COLUMNS, LEVEL_COLUMN, LEVEL_INDEX, LEVELS, PRESSURE_COLUMN, TEXT_COLUMN

MAX_REPORTED_PROBLEMS = 20


class DataError(ShitstormError, ValueError):
    """A training CSV is unusable; the message names file, row and problem."""


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


def read_labelled_csv(paths: list[Path | str], *, rows_filter=None) -> LabelledData:  # noqa: C901 - to split (complexity over 15, see CHANGELOG)
    """Read and validate labelled CSVs. ``rows_filter(row_dict) -> bool`` may skip rows
    (the corpus uses it to pick a split)."""
    csv.field_size_limit(2**31 - 1)  # long posts are data, not an error
    texts, levels, pressure = [], [], []
    ignored: list[str] = []
    problems: list[str] = []
    digest = hashlib.sha256()
    for path in map(Path, paths):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
        digest.update(raw)
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DataError(f"{path}:{line}: not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
        reader = csv.DictReader(io.StringIO(content, newline=""))
        header = reader.fieldnames
        if not header:
            raise DataError(f"{path}: empty file, expected a header with {', '.join(LABEL_COLUMNS)}")
        missing = [c for c in LABEL_COLUMNS if c not in header]
        if missing:
            raise DataError(f"{path}:1: missing column(s) {', '.join(missing)}; found {', '.join(header)}")
        for c in header:
            if c not in LABEL_COLUMNS and c not in ignored:
                ignored.append(c)
        try:
            for row in reader:
                rowno = reader.line_num
                if None in row:
                    problems.append(f"{path}:{rowno}: more fields than the header has")
                    continue
                if rows_filter is not None and not rows_filter(row):
                    continue
                text = row.get(TEXT_COLUMN)
                if text is None or not text.strip():
                    problems.append(f"{path}:{rowno}: empty text")
                    continue
                try:
                    lv = parse_level(row.get(LEVEL_COLUMN) or "")
                    pp = parse_pressure(row.get(PRESSURE_COLUMN) or "")
                except ValueError as exc:
                    problems.append(f"{path}:{rowno}: {exc}")
                    continue
                texts.append(text)
                levels.append(lv)
                pressure.append(pp)
        except csv.Error as exc:
            problems.append(f"{path}:{reader.line_num}: malformed CSV: {exc}")
    if problems:
        shown = "\n".join(problems[:MAX_REPORTED_PROBLEMS])
        more = len(problems) - MAX_REPORTED_PROBLEMS
        raise DataError(f"{len(problems)} problem(s) in the training data:\n{shown}"
                        + (f"\n... and {more} more" if more > 0 else ""))
    if not texts:
        raise DataError("no labelled rows in " + ", ".join(map(str, paths)))
    return LabelledData(tuple(texts), tuple(levels), tuple(pressure), tuple(ignored), digest.hexdigest())


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
