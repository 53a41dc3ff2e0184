"""Agents' corrections, kept in an embedded SQLite file: the team's own labels, collected while
it works.

An agent confirms or corrects the level and the publicity pressure of a scored post (from the
playground's "stimmt / stimmt nicht" control or a helpdesk trigger, through ``POST /v1/feedback``).
Each record keeps what the agent said, what the model said, the model version and the time (UTC).
The post's text is kept only when the operator asks for it (``text="redacted"``), and then with
personal data replaced by placeholders (``shitstorm.redact``). A record is deleted by its id
(GDPR: a customer asks for their data to go).

    store = FeedbackStore("feedback.sqlite3")
    rec = store.add(level="low", publicity_pressure=False, model_level="critical",
                    model_publicity_pressure=0.91, model_version="0.1.0+1a2b3c4d")
    store.delete(rec.id)
    store.export_csv(open("mine.csv", "w", newline=""))   # the training schema

``export_csv`` writes ``text, level, publicity_pressure`` (what ``shitstorm train`` reads); records
stored without text cannot be trained on and are skipped, and counted.
"""

from __future__ import annotations

import csv
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from .errors import ShitstormError
from .schema import LABEL_COLUMNS, LEVELS

TEXT_MODES = ("none", "redacted")
"""What of a post's text is stored: nothing (the default), or the text with personal data
replaced by placeholders."""

SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of the file; a file of another version is refused, not guessed at."""

SOURCE_PATTERN = re.compile(r"^[a-z0-9_-]{1,40}$")
"""Where a record came from (``playground``, ``zendesk``, …): a short plain name, so that no
post text can be smuggled into it."""

ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")

BUSY_TIMEOUT_S = 10.0
"""Server workers share the file: a writer waits this long for another's lock."""

_DDL = """
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    model_version TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('confirmed', 'corrected')),
    level TEXT NOT NULL,
    publicity_pressure INTEGER NOT NULL CHECK (publicity_pressure IN (0, 1)),
    model_level TEXT NOT NULL,
    model_publicity_pressure REAL NOT NULL,
    source TEXT,
    text TEXT
)
"""


class FeedbackError(ShitstormError, ValueError):
    """The feedback file or a record is unusable; the message says what to do."""


@dataclass(frozen=True)
class Feedback:
    """One stored correction (or confirmation). ``text`` is None unless the operator stores
    redacted texts."""

    id: str
    created_at: str
    model_version: str
    verdict: str
    level: str
    publicity_pressure: bool
    model_level: str
    model_publicity_pressure: float
    source: str | None = None
    text: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ExportResult:
    written: int
    skipped_without_text: int


def verdict_of(level: str, publicity_pressure: bool, model_level: str, model_publicity_pressure: float) -> str:
    """``confirmed`` when the agent's labels are the model's decisions (pressure at the model's
    decision threshold), else ``corrected``."""
    from .classifier import DECISION_THRESHOLD

    model_pressure = model_publicity_pressure >= DECISION_THRESHOLD
    return "confirmed" if (level == model_level and publicity_pressure == model_pressure) else "corrected"


class FeedbackStore:
    """The SQLite file at ``path``. ``create=True`` makes it (and its table) if missing; otherwise a
    missing file is a ``FeedbackError``. Every call opens its own connection, so one store can be
    shared by threads and several processes can use one file."""

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path)
        if create:
            if not self.path.parent.is_dir():
                raise FeedbackError(f"{self.path}: the folder {self.path.parent} does not exist")
        elif not self.path.is_file():
            raise FeedbackError(f"{self.path}: no such feedback file")
        with self._connect() as con, self._errors("open the file"):
            # one transaction: workers starting together create the table once, never half
            con.execute("BEGIN IMMEDIATE" if create else "BEGIN")
            try:
                version = con.execute("PRAGMA user_version").fetchone()[0]
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if not tables and create:
                    con.execute(_DDL)
                    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                elif "feedback" not in tables or version != SCHEMA_VERSION:
                    raise FeedbackError(f"{self.path}: not a shitstorm feedback file (schema version {version}, "
                                        f"expected {SCHEMA_VERSION})")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _connect(self) -> closing[sqlite3.Connection]:
        """A connection in autocommit mode, closed at the end of the ``with``."""
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise FeedbackError(f"{self.path}: cannot open ({exc})") from None
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails here on a non-database
        except sqlite3.DatabaseError as exc:
            con.close()
            raise FeedbackError(f"{self.path}: not a readable SQLite file ({exc})") from None
        return closing(con)

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise FeedbackError(f"{self.path}: could not {what} ({exc})") from None

    def add(self, *, level: str, publicity_pressure: bool, model_level: str, model_publicity_pressure: float,
            model_version: str, text: str | None = None, source: str | None = None) -> Feedback:
        """Store one record and return it (with its new id). ``text`` is stored as given: the
        caller redacts it (the server does, see ``stored_text``)."""
        if level not in LEVELS or model_level not in LEVELS:
            raise FeedbackError(f"level must be one of {', '.join(LEVELS)}")
        if source is not None and not SOURCE_PATTERN.match(source):
            raise FeedbackError("source must be 1-40 characters of a-z, 0-9, _ and -")
        rec = Feedback(
            id=secrets.token_hex(16), created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            model_version=model_version,
            verdict=verdict_of(level, bool(publicity_pressure), model_level, model_publicity_pressure),
            level=level, publicity_pressure=bool(publicity_pressure), model_level=model_level,
            model_publicity_pressure=float(model_publicity_pressure), source=source, text=text)
        with self._connect() as con, self._errors("store the record"):
            con.execute("INSERT INTO feedback (id, created_at, model_version, verdict, level, publicity_pressure, "
                        "model_level, model_publicity_pressure, source, text) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (rec.id, rec.created_at, rec.model_version, rec.verdict, rec.level,
                         int(rec.publicity_pressure), rec.model_level, rec.model_publicity_pressure,
                         rec.source, rec.text))
        return rec

    def delete(self, record_id: str) -> bool:
        """Delete one record; False when there is none with that id."""
        if not ID_PATTERN.match(record_id or ""):
            return False
        with self._connect() as con, self._errors("delete the record"):
            return con.execute("DELETE FROM feedback WHERE id = ?", (record_id,)).rowcount > 0

    def records(self) -> Iterator[Feedback]:
        """All records, oldest first."""
        with self._connect() as con, self._errors("read the records"):
            rows = con.execute("SELECT id, created_at, model_version, verdict, level, publicity_pressure, "
                               "model_level, model_publicity_pressure, source, text FROM feedback "
                               "ORDER BY created_at, rowid").fetchall()
        for r in rows:
            yield Feedback(id=r[0], created_at=r[1], model_version=r[2], verdict=r[3], level=r[4],
                           publicity_pressure=bool(r[5]), model_level=r[6], model_publicity_pressure=r[7],
                           source=r[8], text=r[9])

    def export_csv(self, out: TextIO) -> ExportResult:
        """Write the records with text as a training CSV (``text, level, publicity_pressure``);
        records without text are skipped and counted."""
        writer = csv.writer(out)
        writer.writerow(LABEL_COLUMNS)
        written = skipped = 0
        for rec in self.records():
            if not rec.text or not rec.text.strip():
                skipped += 1
                continue
            writer.writerow([rec.text, rec.level, int(rec.publicity_pressure)])
            written += 1
        return ExportResult(written, skipped)


def stored_text(text: str, mode: str) -> str | None:
    """What of ``text`` is kept under ``mode`` (``TEXT_MODES``): nothing, or the text with
    personal data replaced by placeholders."""
    if mode == "none":
        return None
    if mode == "redacted":
        from .pii import redact

        return redact(text)
    raise FeedbackError(f"text mode must be one of {', '.join(TEXT_MODES)}, not {mode!r}")
