"""Source databases: events read from a SQL table into `raw`, batch by batch, by a cursor.

A source exposes a stream's events in a table with the contract's columns (shared/EVENTS.md),
plus a **cursor column** that the source guarantees to grow with commit order: a row committed
after another never has a smaller cursor value. A `bigserial` / identity column does so when the
table has one writer at a time (or its writers serialise); with concurrent writers a transaction
that drew 10 may commit after one that drew 11, so such a source fills the cursor at commit (a
commit-time sequence, e.g. set by a single publisher or a deferred trigger). Any column compared
by `>` works: integer, numeric, timestamp, date or text; it should be indexed.

Each batch is `SELECT … FROM table WHERE cursor > :last ORDER BY cursor LIMIT :n`, completed by
every row of its last cursor value (a batch never splits a value; ties are fine). The batch then
takes the files' path exactly: `ingest.readers.load_relation` builds `_src` from it as from a
Parquet file (unknown columns to `extra` with their types, personal columns only for the keyed
asker hash), the loader's `_classify` and `_apply` validate it, quarantine what breaks the
contract, count duplicates, and append the rest. A batch's events, its quarantined records and
its ledger row (source, cursor column, first and last cursor value, counts) are committed in one
DuckDB transaction, so a process killed in the middle leaves none of the batch. The next ingest
starts after the largest `cursor_to` the ledger holds for the same source, stream and cursor
column; re-reading a range (`after=`) adds nothing but duplicates.

Column names are matched to the contract's whatever their case; the cursor column itself is
bookkeeping (the ledger keeps its range), not part of an event's `extra`, unless it is a contract
field. A source is named without credentials, `<backend>://<host>:<port>/<database>/<table>`
(`sqlite:///<absolute path>/<table>`): that name is what the ledger, raw and the quarantine
record, and what messages print. The URL (and its password) is never stored or printed; `${VAR}`
in it is replaced by the environment variable VAR.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import duckdb
import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from ingest.contract import STREAM_ORDER, Stream
from ingest.loader import (
    FileResult,
    IngestReport,
    _apply,
    _classify,
    _failpoint,
    _ledger_row,
    _new_id,
    _transaction,
    _write_ledger,
    open_warehouse,
    restatable_by,
    run_contract,
)
from ingest.readers import drop_scratch, load_relation
from ingest.redact import is_personal_key, normalised_key
from ingest.settings import Settings

DEFAULT_CURSOR = "event_seq"
ASKER = ("asker_name", "asker_email", "asker_phone")  # what the asker's keyed hash is made of
# One DuckDB row group: a batch that fills one is written straight to the warehouse file at its
# commit, not through the write-ahead log (at 50 000 rows the commits took a quarter of the time).
DEFAULT_BATCH_SIZE = 122_880
FILE_FORMAT = "table"  # raw.ingest_ledger.file_format of a batch read from a source table
BATCH_VIEW = "_source_batch"  # the batch as DuckDB sees it (a registered Arrow table)
ROW_NUMBER = "_source_row"  # its 0-based row numbers, in cursor order
# PORTAL_WAREHOUSE_FAILPOINT: kill the process before a batch commits, every batch or the n-th
# batch of the run (`source_batch_2_before_commit`); the tests prove a batch is all or nothing.
FAILPOINT = "source_batch_before_commit"


class SourceError(Exception):
    """The source cannot be read as asked: one line, never the URL's password."""


@dataclass(frozen=True)
class BatchResult(FileResult):
    """A FileResult (named by the source) with the batch's cursor range, both ends included."""

    cursor_from: str | None = None
    cursor_to: str | None = None


@dataclass(frozen=True)
class SourceConfig:
    """One `[[source]]` of the PORTAL_WAREHOUSE_SOURCES file."""

    name: str  # the Dagster asset's name: raw/source/<name>
    url: str  # SQLAlchemy URL; `${VAR}` is read from the environment when the source is read
    table: str  # `table` or `schema.table`
    stream: str
    cursor: str = DEFAULT_CURSOR
    batch_size: int = DEFAULT_BATCH_SIZE


# --- configuration ----------------------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_REQUIRED = ("name", "url", "table", "stream")
_OPTIONAL = ("cursor", "batch_size")


def load_sources(path: Path | str) -> list[SourceConfig]:
    """The sources of a TOML file: `[[source]]` tables with name, url, table, stream, and
    optionally cursor (default `event_seq`) and batch_size (default 122 880)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise SourceError(f"sources file {path}: {_first_line(e)}") from None
    unknown = sorted(set(data) - {"source"})
    if unknown:
        raise SourceError(f"sources file {path}: unknown key(s) {', '.join(unknown)}")
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourceError(f"sources file {path}: `source` must be an array of tables [[source]]")
    sources: list[SourceConfig] = []
    for i, entry in enumerate(entries, 1):
        where = f"sources file {path}, source {i}"
        missing = [k for k in _REQUIRED if not entry.get(k)]
        if missing:
            raise SourceError(f"{where}: missing {', '.join(missing)}")
        extra = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
        if extra:
            raise SourceError(f"{where}: unknown key(s) {', '.join(extra)}")
        config = SourceConfig(**entry)
        if not all(isinstance(getattr(config, k), str) for k in (*_REQUIRED, "cursor")):
            raise SourceError(f"{where}: name, url, table, stream and cursor are texts")
        if not _NAME.match(config.name):
            raise SourceError(f"{where}: name {config.name!r} is not letters, digits and _")
        if any(s.name == config.name for s in sources):
            raise SourceError(f"{where}: name {config.name!r} is used twice")
        if config.stream not in STREAM_ORDER:
            raise SourceError(f"{where}: stream {config.stream!r} is not one of {STREAM_ORDER}")
        if type(config.batch_size) is not int or config.batch_size < 1:
            raise SourceError(f"{where}: batch_size must be a positive whole number")
        sources.append(config)
    return sources


def expand_env(url: str) -> str:
    """`${VAR}` replaced by the environment variable VAR (a password kept out of files)."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise SourceError(f"the source URL names ${{{name}}}, which is not set")
        return os.environ[name]

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value, url)


def _sqlite_file(url: sa.URL) -> str | None:
    """The file of a SQLite database (None: in memory, or not SQLite)."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return None if database.startswith("file:") else database


def source_name(url: sa.URL, table: str) -> str:
    """The source as the warehouse records it: no user, no password, no query."""
    backend = url.get_backend_name()
    database = url.database or ""
    if _sqlite_file(url):
        database = str(Path(database).resolve())  # the same file, wherever the command runs
    host = url.host or url.query.get("host") or ""
    if isinstance(host, tuple):
        host = ",".join(host)
    port = f":{url.port}" if url.port else ""
    return f"{backend}://{host}{port}/{database}/{table}"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return (text.splitlines() or [type(error).__name__])[0][:500]


# --- the source table ------------------------------------------------------------------------


def _cursor_text(value: Any) -> str:
    """A cursor value as the ledger keeps it (ISO 8601 for dates and times)."""
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    return str(value)


def _cursor_parser(type_: sa.types.TypeEngine, dialect: str) -> Callable[[str], Any]:
    """Ledger text back into a value the source compares in its own type."""
    try:
        python = type_.python_type
    except NotImplementedError:  # no declared type (SQLite): a number if it reads as one
        return _number_or_text
    if python is bool:
        return str
    if python in (int, Decimal, float):
        return python
    if dialect == "sqlite":  # SQLite keeps dates and times as text: compare them as stored
        return str
    if python is datetime:
        return datetime.fromisoformat
    if python is date:
        return date.fromisoformat
    return str


def _number_or_text(text: str) -> int | Decimal | str:
    for kind in (int, Decimal):
        try:
            return kind(text)
        except (ValueError, ArithmeticError):
            pass
    return text


@dataclass(frozen=True)
class Batch:
    table: pa.Table  # the rows as Arrow, with their 0-based row numbers in cursor order
    cursor_from: str  # the first and last cursor value, as the ledger keeps them
    cursor_to: str
    last: Any  # the last cursor value as the source gave it: where the next batch starts


class SourceTable:
    """A source table, reflected: which of its columns become which of the stream's fields."""

    def __init__(self, url: str, table: str, stream: Stream, cursor: str = DEFAULT_CURSOR):
        text = expand_env(url)
        secrets = [s for s in (url, text) if s]
        try:
            parsed = sa.make_url(text)
        except (sa.exc.ArgumentError, ValueError):
            raise SourceError(
                "the source URL is not a SQLAlchemy URL (dialect+driver://user:password@host"
                ":port/database); it is not shown, since it may hold a password"
            ) from None
        if parsed.password:  # as given, and as a URL spells it
            password = str(parsed.password)
            secrets += [password, quote(password, safe=""), quote_plus(password)]
        self._secrets = sorted(secrets, key=len, reverse=True)
        self.stream = stream
        self.table = table
        self.name = source_name(parsed, table)
        file = _sqlite_file(parsed)
        if file is not None and not Path(file).is_file():  # connecting would create it, empty
            raise SourceError(f"no SQLite database at {file}")
        try:
            self.engine = sa.create_engine(parsed)
        except Exception as e:  # unknown dialect, driver not installed, bad option
            raise SourceError(f"cannot use {self.name}: {self._clean(e)}") from None
        try:
            self._reflect(cursor)
        except BaseException:
            self.engine.dispose()
            raise

    def _clean(self, error: BaseException) -> str:
        message = _first_line(error)
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message

    def _reflect(self, cursor: str) -> None:
        schema, _, table = self.table.rpartition(".")
        try:
            with self.engine.connect() as conn:
                inspector = sa.inspect(conn)
                if not inspector.has_table(table, schema=schema or None):
                    raise SourceError(f"{self.name}: no table {self.table!r} in the source")
                columns = inspector.get_columns(table, schema=schema or None)
                dialect = conn.dialect.name
        except SourceError:
            raise
        except sa.exc.NoSuchTableError:
            raise SourceError(f"{self.name}: no table {self.table!r} in the source") from None
        except (sa.exc.SQLAlchemyError, OSError, ImportError) as e:
            raise SourceError(f"cannot read {self.name}: {self._clean(e)}") from None
        types = {c["name"]: c["type"] for c in columns}
        names = list(types)
        found = [n for n in names if n == cursor] or [
            n for n in names if n.lower() == cursor.lower()
        ]
        if len(found) != 1:
            raise SourceError(
                f"{self.name}: no cursor column {cursor!r} in table {self.table!r}"
                f" (columns: {', '.join(names)})"
            )
        self.cursor = found[0]
        self.parse_cursor = _cursor_parser(types[self.cursor], dialect)

        # Which column is which field: an exact name first, then the same name in another case
        # (a database that upper-cases identifiers). A personal column, under any spelling, is
        # read for questions only, and only for the asker's key (`load_relation`).
        fields = [*(f.name for f in self.stream.all_fields), "asker_key"]
        chosen: dict[str, str] = {}  # field or extra key -> source column
        for exact in (True, False):
            for n in names:
                key = n if exact else n.lower()
                if key in fields and key not in chosen and n not in chosen.values():
                    chosen[key] = n
        for n in names:
            if n in chosen.values():
                continue
            if is_personal_key(n):
                key = normalised_key(n)
                if self.stream.name == "question" and key in ASKER and key not in chosen:
                    chosen[key] = n
                continue
            if n == self.cursor:
                continue  # bookkeeping, kept in the ledger (unless it is a contract field)
            chosen[n] = n  # an unknown column: the event's extra, by its own name
        self.columns = chosen
        self._table = sa.table(table, *(sa.column(n) for n in names), schema=schema or None)

    # -- reading ---------------------------------------------------------------------------

    def _select(self) -> sa.Select:
        c = self._table.c
        return sa.select(
            c[self.cursor].label("_cursor"),
            *(c[column].label(key) for key, column in self.columns.items()),
        ).select_from(self._table)

    def read(self, conn: sa.Connection, last: Any, size: int) -> Batch | None:
        """The next batch after `last` (None: from the start), or None when there is none."""
        c = self._table.c[self.cursor]
        query = self._select().order_by(c).limit(size)
        if last is not None:
            query = query.where(c > sa.bindparam("last", last))
        try:
            rows = conn.execute(query).all()
            if len(rows) == size:  # the last value may have more rows: take all of them
                top = rows[-1][0]
                keep = len(rows)
                while keep and rows[keep - 1][0] == top:
                    keep -= 1
                ties = self._select().where(c == sa.bindparam("top", top))
                rows = rows[:keep] + conn.execute(ties).all()
        except sa.exc.SQLAlchemyError as e:
            raise SourceError(f"cannot read {self.name}: {self._clean(e)}") from None
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                conn.rollback()  # hold no snapshot while the warehouse works
        if not rows:
            return None
        first, last = rows[0][0], rows[-1][0]
        return Batch(self.arrow(rows), _cursor_text(first), _cursor_text(last), last)

    def arrow(self, rows: Sequence) -> pa.Table:
        """The batch as an Arrow table with the fields' names and a 0-based row number."""
        columns = list(zip(*rows, strict=True))[1:] if rows else []
        arrays = {key: _arrow(values) for key, values in zip(self.columns, columns, strict=True)}
        arrays[ROW_NUMBER] = pa.array(np.arange(len(rows), dtype=np.int64))
        return pa.table(arrays)

    def dispose(self) -> None:
        self.engine.dispose()


def _arrow(values: Sequence) -> pa.Array:
    """A column of driver values as Arrow, in its own type where there is one (an instant as
    UTC, a naive timestamp as naive: local time by the contract), else as text."""
    sample = next((v for v in values if v is not None), None)
    try:
        if sample is None:
            return pa.nulls(len(values), pa.string())
        if isinstance(sample, str):
            return pa.array(values, pa.string())
        if isinstance(sample, bool):
            return pa.array(values, pa.bool_())
        if isinstance(sample, int):
            return pa.array(values, pa.int64())
        if isinstance(sample, float):
            if any(v is not None and not math.isfinite(v) for v in values):
                raise pa.ArrowInvalid("not finite")
            return pa.array(values, pa.float64())
        if isinstance(sample, datetime):
            aware = {v.tzinfo is not None for v in values if v is not None}
            if aware == {True}:
                return pa.array(values, pa.timestamp("us", tz="UTC"))
            if aware == {False}:
                return pa.array(values, pa.timestamp("us"))
        elif isinstance(sample, date):
            return pa.array(values, pa.date32())
        elif isinstance(sample, Decimal):
            return pa.array(values)  # a decimal of the precision and scale the values need
        elif isinstance(sample, list | tuple):  # an array column: a list as in Parquet
            items = [
                None if v is None else [None if x is None else _text(x) for x in v] for v in values
            ]
            return pa.array(items, pa.list_(pa.string()))
        elif isinstance(sample, dict):  # JSON: kept as JSON in extra
            return pa.array([None if v is None else _text(v) for v in values], pa.json_())
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
        pass
    return pa.array([None if v is None else _text(v) for v in values], pa.string())


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


# --- ingest ----------------------------------------------------------------------------------


def resume_after(con: duckdb.DuckDBPyConnection, source: SourceTable) -> Any:
    """The largest cursor value the ledger holds for this source, stream and cursor column, in
    the source's type (None: nothing read yet)."""
    texts = con.execute(
        """SELECT cursor_to FROM raw.ingest_ledger
           WHERE source_kind = 'table' AND source_file = ? AND stream = ? AND cursor_column = ?
             AND status = 'ingested' AND cursor_to IS NOT NULL""",
        [source.name, source.stream.name, source.cursor],
    ).fetchall()
    values = [parse_after(source, text) for (text,) in texts]
    return max(values) if values else None


def parse_after(source: SourceTable, text: str) -> Any:
    try:
        return source.parse_cursor(text)
    except (ValueError, ArithmeticError):
        raise SourceError(
            f"{source.name}: cursor value {text!r} is not of the type of column {source.cursor!r}"
        ) from None


def ingest_source(
    settings: Settings,
    url: str,
    table: str,
    stream: str,
    cursor: str = DEFAULT_CURSOR,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after: str | None = None,
) -> IngestReport:
    """Ingest the rows of a source table that the ledger has not seen, a batch at a time.

    `after` (a cursor value as text) starts after it instead of where the ledger left off:
    rows read again are counted as duplicates and add nothing. Raises SourceError (one line)
    when the URL, the table or the cursor column will not do, before the warehouse is opened.
    """
    if batch_size < 1:
        raise SourceError(f"the batch size must be at least 1, not {batch_size}")
    contract = run_contract(settings)  # the reference folder is checked first, as for files
    if stream not in contract:
        raise SourceError(f"unknown stream {stream!r}: one of {', '.join(STREAM_ORDER)}")
    source = SourceTable(url, table, contract[stream], cursor)
    try:
        start = parse_after(source, after) if after is not None else None
        try:
            conn = source.engine.connect()
        except sa.exc.SQLAlchemyError as e:
            raise SourceError(f"cannot read {source.name}: {source._clean(e)}") from None
        run_id = _new_id("run")
        con = open_warehouse(settings)
        results: list[BatchResult] = []
        try:
            last = start if after is not None else resume_after(con, source)
            # The next batch is read (a thread of its own) while the warehouse takes this one:
            # DuckDB works without Python's lock, the driver and Arrow mostly with it.
            with ThreadPoolExecutor(1, thread_name_prefix="source-reader") as reader:
                pending = reader.submit(source.read, conn, last, batch_size)
                while (batch := pending.result()) is not None:
                    pending = reader.submit(source.read, conn, batch.last, batch_size)
                    number = len(results) + 1
                    results.append(_ingest_batch(con, source, batch, run_id, settings.tz, number))
            restatable = restatable_by(con, settings, results)
        finally:
            con.close()
            conn.close()
    finally:
        source.dispose()
    return IngestReport(run_id, tuple(results), restatable=restatable)


def _ingest_batch(
    con: duckdb.DuckDBPyConnection,
    source: SourceTable,
    batch: Batch,
    run_id: str,
    tz: str,
    number: int,
) -> BatchResult:
    stream = source.stream
    batch_id = _new_id(stream.name)
    now = datetime.now(UTC)
    con.register(BATCH_VIEW, batch.table)
    try:
        load_relation(con, BATCH_VIEW, stream, ROW_NUMBER)
        _classify(con, stream, tz, "parquet")
        with _transaction(con):
            counts = _apply(con, stream, batch_id, now, file=source.name)
            if counts["quarantined"]:
                again = _forget_quarantined_again(con, batch_id)
                counts["quarantined"] -= again
                counts["duplicates"] += again
            ledger = _ledger_row(
                batch_id, run_id, stream.name, source.name, now, file_format=FILE_FORMAT
            ) | {
                "source_kind": "table",
                "cursor_column": source.cursor,
                "cursor_from": batch.cursor_from,
                "cursor_to": batch.cursor_to,
            }
            _write_ledger(con, ledger, "ingested", **counts)
            _failpoint(FAILPOINT)
            _failpoint(f"source_batch_{number}_before_commit")
    finally:
        drop_scratch(con)
        con.unregister(BATCH_VIEW)
    return BatchResult(
        source.name,
        stream.name,
        "ingested",
        batch_id=batch_id,
        cursor_from=batch.cursor_from,
        cursor_to=batch.cursor_to,
        **counts,
    )


def _forget_quarantined_again(con: duckdb.DuckDBPyConnection, batch_id: str) -> int:
    """A record that the same source had quarantined before, with the same reasons and still
    open, is the same row read again (a range read twice): a duplicate, not a second row."""
    return con.execute(
        """DELETE FROM raw.quarantine AS q
           WHERE q.batch_id = ? AND EXISTS (
               SELECT 1 FROM raw.quarantine AS p
               WHERE p.batch_id <> q.batch_id AND p.released_at IS NULL
                 AND p.stream = q.stream AND p.source_file = q.source_file
                 AND p.event_id IS NOT DISTINCT FROM q.event_id AND p.reason = q.reason
                 AND p.record IS NOT DISTINCT FROM q.record)""",
        [batch_id],
    ).fetchone()[0]
