"""The DuckDB file and its `raw` schema: a table per stream, the quarantine, the ledger."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ingest.contract import STREAMS, Field

SQL_TYPES = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "boolean": "BOOLEAN",
    "integer": "INTEGER",
    "decimal": "DECIMAL(9, 2)",
    "list": "VARCHAR[]",
    "decimal_list": "DECIMAL(9, 6)[]",
}

# After the contract's fields, every raw table says where each event came from.
LINEAGE_COLUMNS = """
    extra JSON,                       -- unknown keys of the source record, kept as delivered
    batch_id VARCHAR NOT NULL,        -- one landed file (or one replay of the quarantine)
    source_file VARCHAR NOT NULL,
    source_line BIGINT,               -- line (JSON Lines, CSV) or 1-based row (Parquet)
    ingested_at TIMESTAMPTZ NOT NULL
"""


def sql_type(field: Field) -> str:
    return SQL_TYPES[field.kind]


def connect(db: Path | str, tz: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with the session time zone that naive timestamps are read in."""
    if not read_only:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=read_only)
    con.execute("SET TimeZone = ?", [tz])
    # Rows carry their own line numbers; letting DuckDB write them in any order is faster.
    con.execute("SET preserve_insertion_order = false")
    # Large deliveries spill their scratch tables to disk instead of growing without bound.
    con.execute("SET memory_limit = ?", [os.environ.get("PORTAL_WAREHOUSE_MEMORY_LIMIT", "1GB")])
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
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
            released_as VARCHAR              -- accepted | duplicate
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
            status VARCHAR NOT NULL,         -- ingested | unreadable | same_content | replay
            rows_read BIGINT NOT NULL,
            accepted BIGINT NOT NULL,
            duplicates BIGINT NOT NULL,
            quarantined BIGINT NOT NULL,
            error VARCHAR,
            ingested_at TIMESTAMPTZ NOT NULL,
            CHECK (rows_read = accepted + duplicates + quarantined)
        )
    """)
