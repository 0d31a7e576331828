"""The DuckDB file and its `raw` schema: a table per stream, the quarantine, the ledger."""

from __future__ import annotations

import os
import re
import time
from datetime import date, datetime
from pathlib import Path

import duckdb

from ingest.contract import STREAMS, Field, Stream
from ingest.errors import IN_USE, NOT_DUCKDB, StorageError
from ingest.settings import lock_timeout

SQL_TYPES = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",  # v1.1: a local date (a channel's window)
    "boolean": "BOOLEAN",
    "integer": "INTEGER",
    "decimal": "DECIMAL(18, 6)",  # points, and v1.1's channel counters (tens of millions)
    "list": "VARCHAR[]",
    "decimal_list": "DECIMAL(9, 6)[]",
}

# After the contract's fields, every raw table says where each event came from.
LINEAGE_COLUMNS = """
    extra JSON,                       -- unknown keys of the source record, scrubbed
    masked_fields VARCHAR[],          -- fields (and extra.<key>) whose email or phone was masked
    batch_id VARCHAR NOT NULL,        -- one landed file (or one replay of the quarantine)
    source_file VARCHAR NOT NULL,
    source_line BIGINT,               -- line (JSON Lines, CSV) or 1-based row (Parquet)
    ingested_at TIMESTAMPTZ NOT NULL
"""


def sql_type(field: Field) -> str:
    return SQL_TYPES[field.kind]


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str | int | bool | date | list | None) -> str:
    """`value` written into a statement. DuckDB's Python client imports pandas (0.35-0.45 s) at
    the first statement given a parameter, to compare it with pandas.NaT: the statements of a
    command that needs no pandas (ingest, status, a run with nothing new) carry their values as
    literals instead (tests/test_cli.py, `test_ingest_status_and_replay_import_no_pandas`)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return f"{quote(value.isoformat())}::TIMESTAMPTZ"
    if isinstance(value, date):
        return f"{quote(value.isoformat())}::DATE"
    if isinstance(value, str):  # a NUL would end the statement's text: DuckDB's chr(0) instead
        return " || chr(0) || ".join(quote(part) for part in value.split("\x00"))
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def check_warehouse_file(db: Path | str) -> None:
    """StorageError when `db` exists but is a directory or not a DuckDB file (its header says
    so: "DUCK" at byte 8), read without opening it, so without waiting for another writer."""
    path = Path(db)
    if path.is_dir():
        raise StorageError(f"the warehouse {path} is a directory, not a DuckDB file")
    if path.exists():
        with open(path, "rb") as f:
            header = f.read(12)
        if header[8:12] != b"DUCK":
            raise StorageError(f"the warehouse {path} is not a DuckDB database file")


# DuckDB's words when another process holds the file: `Could not set lock on file "/x/w.duckdb":
# Conflicting lock is held in /usr/bin/python3 (PID 1234). See also …`
_LOCK_HELD = re.compile(
    r"Could not set lock on file .*?Conflicting lock is held in (?P<holder>.+?)\.?(?: See also|$)"
)


class WarehouseInUseError(duckdb.IOException):
    """Another process held the warehouse for longer than PORTAL_WAREHOUSE_LOCK_TIMEOUT (exit 3).

    Its one-line message names that process, and keeps DuckDB's "could not set lock" words
    that the command line and a run's failure reason recognise."""

    exit_code = IN_USE


def connect(db: Path | str, tz: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with the session time zone that naive timestamps are read in.

    A path that is a directory or a file that is not DuckDB's is a StorageError (exit 4),
    found before anything is created. While another process holds the file, wait for it up to
    PORTAL_WAREHOUSE_LOCK_TIMEOUT seconds, then fail with WarehouseInUseError (exit 3)."""
    check_warehouse_file(db)
    if not read_only:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    con = _open_when_free(db, read_only, lock_timeout())
    con.execute(f"SET TimeZone = {literal(tz)}")
    # Rows carry their own line numbers; letting DuckDB write them in any order is faster.
    con.execute("SET preserve_insertion_order = false")
    # Large deliveries spill their scratch tables to disk instead of growing without bound.
    limit = os.environ.get("PORTAL_WAREHOUSE_MEMORY_LIMIT", "1GB")
    con.execute(f"SET memory_limit = {literal(limit)}")
    return con


def _open_when_free(db: Path | str, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    """The connection once no other process holds the file (DuckDB allows one writer, or many
    readers): a run started while a dashboard or another ingest has the file waits its turn."""
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as e:
            if NOT_DUCKDB in str(e):  # written over between the check and the open
                raise StorageError(f"the warehouse {db} is not a DuckDB database file") from None
            held = _LOCK_HELD.search(" ".join(str(e).split()))
            if held is None:
                raise
            if time.monotonic() >= deadline:
                raise WarehouseInUseError(
                    f"the warehouse {db} is in use by {held['holder']} (could not set lock,"
                    f" waited {timeout:g} s; PORTAL_WAREHOUSE_LOCK_TIMEOUT)"
                ) from e
            time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
            pause = min(pause * 2, 0.5)


def _raw_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Each raw table's columns with their types, spaces removed (`DECIMAL(18,6)`), read from
    the catalogue at once."""
    found: dict[str, dict[str, str]] = {}
    for table, column, type_ in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns()"
        " WHERE database_name = current_database() AND schema_name = 'raw'"
    ).fetchall():
        found.setdefault(f"raw.{table}", {})[column] = type_.replace(" ", "")
    return found


def _is_narrow(field: Field, columns: dict[str, str]) -> bool:
    """Whether a decimal field's column is still of the old DECIMAL(9, 2) (or any type but its
    own), which rounded what it could not hold."""
    return field.kind == "decimal" and columns[field.name] != sql_type(field).replace(" ", "")


def _widen_decimals(con: duckdb.DuckDBPyConnection, stream: Stream) -> None:
    """Widen in place the decimals of `stream`'s table that are still narrow."""
    columns = _raw_columns(con)[stream.table]
    for f in stream.fields:
        if _is_narrow(f, columns):
            con.execute(f"ALTER TABLE {stream.table} ALTER {f.name} TYPE {sql_type(f)}")


LEDGER_SOURCE_COLUMNS = ("source_kind", "cursor_column", "cursor_from", "cursor_to")
# the ledger's columns added after it was first made: an older ledger gains them (ensure_schema)
LEDGER_LATER_COLUMNS = (*LEDGER_SOURCE_COLUMNS, "file_stamp")


def _schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every step of `ensure_schema` would change nothing: its tables and sequence are
    there, with each contract field, `masked_fields`, the ledger's later columns, and no narrow
    decimal. One reading of the catalogue, where the steps take about 60 statements and a
    checkpoint (0.1 s at every open of the warehouse)."""
    found = _raw_columns(con)
    wanted = {
        stream.table: [f.name for f in stream.fields] + ["masked_fields"]
        for stream in STREAMS.values()
    }
    wanted["raw.quarantine"] = []
    wanted["raw.ingest_ledger"] = list(LEDGER_LATER_COLUMNS)
    for table, names in wanted.items():
        if table not in found or any(name not in found[table] for name in names):
            return False
    if any(_is_narrow(f, found[s.table]) for s in STREAMS.values() for f in s.fields):
        return False
    (sequences,) = con.execute(
        "SELECT count(*) FROM duckdb_sequences() WHERE database_name = current_database()"
        " AND schema_name = 'raw' AND sequence_name = 'quarantine_seq'"
    ).fetchone()
    return sequences == 1


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    if _schema_is_current(con):
        return
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for stream in STREAMS.values():
        columns = [
            "event_id VARCHAR NOT NULL",
            "event_type VARCHAR NOT NULL",
            "occurred_at TIMESTAMPTZ NOT NULL",
            "occurred_at_local TIMESTAMP NOT NULL",  # wall-clock time in the warehouse's zone
            "occurred_on DATE NOT NULL",  # the local date every period boundary is drawn on
            "portal_id VARCHAR NOT NULL",
            "source VARCHAR",
        ]
        columns += [f"{f.name} {sql_type(f)}" for f in stream.fields]
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {stream.table} ({', '.join(columns)}, {LINEAGE_COLUMNS})"
        )
        # a warehouse made under an older contract gains its optional fields (always nullable)
        for f in stream.fields:
            con.execute(
                f"ALTER TABLE {stream.table} ADD COLUMN IF NOT EXISTS {f.name} {sql_type(f)}"
            )
        con.execute(f"ALTER TABLE {stream.table} ADD COLUMN IF NOT EXISTS masked_fields VARCHAR[]")
        _widen_decimals(con, stream)
    con.execute("CREATE SEQUENCE IF NOT EXISTS raw.quarantine_seq")
    con.execute("""
        CREATE TABLE IF NOT EXISTS raw.quarantine (
            quarantine_id BIGINT PRIMARY KEY DEFAULT nextval('raw.quarantine_seq'),
            stream VARCHAR NOT NULL,
            source_file VARCHAR NOT NULL,
            line_number BIGINT,              -- null when the whole file was rejected
            event_id VARCHAR,
            reason VARCHAR NOT NULL,         -- every reason, '; '-separated
            reason_codes VARCHAR[] NOT NULL,
            conflicts_with VARCHAR,          -- for a conflict: the batch holding the standing event
            record VARCHAR,                  -- the record as text, personal data removed
            batch_id VARCHAR NOT NULL,
            quarantined_at TIMESTAMPTZ NOT NULL,
            released_at TIMESTAMPTZ,         -- set when a replay moved the record into raw
            released_batch_id VARCHAR,
            released_as VARCHAR              -- accepted | duplicate | superseded (file completed)
        )
    """)
    con.execute("""
        CREATE TABLE IF NOT EXISTS raw.ingest_ledger (
            batch_id VARCHAR PRIMARY KEY,
            run_id VARCHAR NOT NULL,
            stream VARCHAR NOT NULL,
            source_file VARCHAR NOT NULL,
            file_format VARCHAR,
            file_size BIGINT,
            sha256 VARCHAR,
            status VARCHAR NOT NULL,         -- ingested | unreadable | rejected | same_content
                                             -- | replay
            rows_read BIGINT NOT NULL,
            accepted BIGINT NOT NULL,
            duplicates BIGINT NOT NULL,
            quarantined BIGINT NOT NULL,
            error VARCHAR,
            ingested_at TIMESTAMPTZ NOT NULL,
            -- a batch read from a source table (ingest.sources): its cursor column and the first
            -- and last cursor value it read, as text; null for files
            source_kind VARCHAR,
            cursor_column VARCHAR,
            cursor_from VARCHAR,
            cursor_to VARCHAR,
            -- the file's size, times and inode when its sha256 was taken, once it had held
            -- still (ingest.landing.sha256_and_stamp); null when it had not, and for tables
            file_stamp VARCHAR,
            CHECK (rows_read = accepted + duplicates + quarantined)
        )
    """)
    # a ledger made before source tables or file stamps gains their columns
    for column in LEDGER_LATER_COLUMNS:
        con.execute(f"ALTER TABLE raw.ingest_ledger ADD COLUMN IF NOT EXISTS {column} VARCHAR")
    # Schema changes go to the file now: DuckDB 1.5 cannot replay from its write-ahead log an
    # ALTER of a table with a CHECK, so a process killed before the next checkpoint would leave
    # a warehouse that does not open.
    con.execute("CHECKPOINT")
