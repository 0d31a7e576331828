"""What Great Expectations validates of a delivery (a batch of `raw.<stream>_events`), read from
the warehouse without GX or pandas: its suite's columns, of a batch of more than `SAMPLE_ROWS`
rows a deterministic sample of that many (`batch_query`), and its figures (`figures`). A run
exports them (`export`) for a process of their own to validate while the run goes on
(orchestration.checks)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ingest.contract import ALL, ENVELOPE, STREAMS, Stream
from ingest.warehouse import literal

# A batch of more rows than this has its row expectations run on a sample of this many rows;
# the seed makes the sample of a batch the same on every run. Groups of small deliveries
# validated together hold at most this many rows too (raw_expectations.check_deliveries).
SAMPLE_ROWS = 100_000
SAMPLE_SEED = 20_260_301
RECENT_BATCHES = 10  # the volume expectation compares a delivery with this many before it
# in an export's folder: what `export` wrote; the verdicts on it (raw_expectations.judge_exported)
EXPORTED = "deliveries.json"
VERDICTS = "verdicts.json"


def suite_columns(stream: Stream) -> list[str]:
    """The columns of raw.<stream>_events that the events suite looks at, in table order."""
    columns = [field.name for field in ENVELOPE if ALL in field.required_for]
    columns += ["event_type", "occurred_at", "event_id"]
    columns += [
        field.name
        for field in stream.fields
        if field.values is not None or field.minimum is not None
    ]
    return list(dict.fromkeys(columns))


def batch_query(
    con: duckdb.DuckDBPyConnection, stream: str, batch_id: str, sample_rows: int
) -> tuple[str, int]:
    """(the query of the batch's rows to validate, the batch's row count). Only the columns the
    events suite looks at, and of a batch of more than `sample_rows` rows only `sample_rows`:
    those whose event_id hashes lowest (with `SAMPLE_SEED`), a pseudo-random choice that is the
    same on every run, keeps the rows of one event_id together, and costs one scan and a top-N,
    never the whole batch in memory."""
    if sample_rows < 1:
        raise ValueError(f"sample_rows={sample_rows} must be at least 1")
    contract = STREAMS[stream]
    (rows,) = con.execute(
        f"SELECT count(*) FROM {contract.table} WHERE batch_id = ?", [batch_id]
    ).fetchone()
    columns = ", ".join(f'"{column}"' for column in suite_columns(contract))
    query = f"SELECT {columns} FROM {contract.table} WHERE batch_id = {literal(batch_id)}"
    if rows > sample_rows:
        # event_id is NOT NULL in the warehouse; a null one (never together) falls back on its line
        query += (
            " ORDER BY hash(coalesce(event_id, source_file || '#' || source_line::VARCHAR),"
            f" {SAMPLE_SEED}::BIGINT) LIMIT {int(sample_rows)}"
        )
    return query, rows


def figures(con: duckdb.DuckDBPyConnection, stream: str, batch_id: str) -> tuple[int, int, list]:
    """A delivery's rows read and quarantined, and the accepted rows of the stream's
    RECENT_BATCHES deliveries before it (raw_expectations.Delivery's last three fields)."""
    rows_read, quarantined, ingested_at = con.execute(
        "SELECT rows_read, quarantined, ingested_at FROM raw.ingest_ledger WHERE batch_id = ?",
        [batch_id],
    ).fetchone()
    recent = con.execute(
        "SELECT accepted FROM raw.ingest_ledger WHERE stream = ?"
        " AND status = 'ingested' AND ingested_at < ?"
        " ORDER BY ingested_at DESC LIMIT ?",
        [stream, ingested_at, RECENT_BATCHES],
    ).fetchall()
    return rows_read, quarantined, [n for (n,) in recent]


def export(con: duckdb.DuckDBPyConnection, batches: dict[str, list[str]], folder: Path) -> None:
    """Each delivery's rows to validate (`batch_query`) as a Parquet file in `folder`, and
    their figures in EXPORTED, by stream (`batches`: the batch ids of each stream)."""
    listed = {}
    for stream, batch_ids in batches.items():
        listed[stream] = []
        for n, batch_id in enumerate(batch_ids):
            query, rows = batch_query(con, stream, batch_id, SAMPLE_ROWS)
            path = folder / f"{stream}-{n}.parquet"
            con.execute(f"COPY ({query}) TO {literal(str(path))} (FORMAT parquet)")
            rows_read, quarantined, recent = figures(con, stream, batch_id)
            listed[stream].append(
                {"batch_id": batch_id, "file": path.name, "rows": rows, "rows_read": rows_read,
                 "quarantined": quarantined, "recent_volumes": recent}
            )  # fmt: skip
    (folder / EXPORTED).write_text(json.dumps(listed))


def rows_to_validate(con: duckdb.DuckDBPyConnection, batch_ids: list[str]) -> int:
    """How many rows validating these deliveries reads: each one's accepted rows, up to
    SAMPLE_ROWS."""
    (rows,) = con.execute(
        f"SELECT coalesce(sum(least(accepted, {SAMPLE_ROWS})), 0) FROM raw.ingest_ledger"
        " WHERE list_contains(?, batch_id)",
        [batch_ids],
    ).fetchone()
    return int(rows)
