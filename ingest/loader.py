"""The loader: landed files into `raw`, one transaction per file, nothing lost, nothing twice.

For each file: read it into `_src`, check every record against the contract (`_checked`), then
- a record that breaks a rule goes to `raw.quarantine` with every reason;
- a valid record whose event id is already held (earlier in the file, or in raw) is a duplicate
  when its payload is the same, and a conflict (quarantined; the first one stands) when not;
- every other record is appended to `raw.<stream>_events`;
and the ledger gets one row saying rows read = accepted + duplicates + quarantined.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Callable, Iterable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ingest.contract import STREAM_ORDER, STREAMS, Stream
from ingest.contract import streams as streams_with
from ingest.errors import MemoryLimitError, out_of_memory_detail
from ingest.landing import (
    LandedFile,
    Skipped,
    discover,
    file_stamp,
    literal_path,
    sha256_and_stamp,
    sha256_of,
)
from ingest.readers import (
    READ_ERRORS,
    LinesOnDemand,
    UnreadableFile,
    describe,
    drop_scratch,
    is_line_too_long,
    load_json_lines,
    load_source,
)
from ingest.redact import mask_sql, register_privacy
from ingest.reference import load_reference
from ingest.settings import Settings
from ingest.status import restatable_periods
from ingest.validate import create_checked, explain_broken
from ingest.warehouse import connect, ensure_schema, literal, quote


@dataclass(frozen=True)
class FileResult:
    source_file: str  # relative to the landing folder
    stream: str
    status: str  # ingested | unreadable | rejected | same_content | already_ingested | replay
    rows_read: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batch_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class IngestReport:
    run_id: str
    files: tuple[FileResult, ...]
    # what the landing folder holds that is not a delivery, or not yet (ingest.landing)
    skipped: tuple[Skipped, ...] = ()
    # the published periods that the events accepted (by this run or before) could change
    restatable: tuple[tuple[str, str, str, int], ...] = ()

    def totals(self, stream: str | None = None) -> dict[str, int]:
        files = [f for f in self.files if stream is None or f.stream == stream]
        return {
            key: sum(getattr(f, key) for f in files)
            for key in ("rows_read", "accepted", "duplicates", "quarantined")
        } | {
            "files": sum(f.status != "already_ingested" for f in files),
            "unreadable": sum(f.status == "unreadable" for f in files),
            "rejected": sum(f.status == "rejected" for f in files),
        }

    def batches(self, stream: str) -> list[str]:
        """The batch ids of the deliveries of `stream` this run ingested, in their order."""
        return [f.batch_id for f in self.files if f.stream == stream and f.status == "ingested"]


def _failpoint(name: str) -> None:
    """Crash here on purpose when the tests ask for it: proves a file is all or nothing."""
    if os.environ.get("PORTAL_WAREHOUSE_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def open_warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    con = connect(settings.db, settings.tz)
    ensure_schema(con)
    register_privacy(con, settings.pii_key)
    return con


def run_contract(settings: Settings) -> dict[str, Stream]:
    """The contract a run checks records against: with the post categories and portal groups of
    the settings' reference folder, which is checked first (ReferenceDataError when it fails)."""
    if settings.reference is None:
        return STREAMS
    return streams_with(load_reference(settings.reference))


def ingest_landing(
    settings: Settings,
    streams: Iterable[str] | None = None,
    settle_seconds: float = 0,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Ingest every new file of the landing folder (optionally only some streams; ValueError
    for an unknown one). With `settle_seconds`, a file modified more recently is left for a
    later run (listed as skipped): the landing sensor's and the schedule's runs wait.
    `on_file` hears each file's result as soon as that file is committed."""
    contract = run_contract(settings)  # before the warehouse is opened: a bad folder stops here
    found = discover(settings.landing, streams, settle_seconds)
    run_id = _new_id("run")
    con = open_warehouse(settings)
    results = []
    try:
        for landed in found.files:
            results.append(ingest_file(con, landed, run_id, settings.tz, contract))
            if on_file is not None:
                on_file(results[-1])
        restatable = restatable_by(con, settings, results)
    finally:
        con.close()
    return IngestReport(run_id, tuple(results), tuple(found.skipped), restatable)


def restatable_by(con, settings: Settings, results: Iterable[FileResult]) -> tuple:
    """The published periods that events could change, once a run accepted some (a file's, a
    source's batch or a replay's): `IngestReport.restatable`. A run that accepted nothing asks
    nothing."""
    if not any(r.accepted for r in results):
        return ()
    return tuple(restatable_periods(con, settings.publish))


def ingest_file(
    con,
    landed: LandedFile,
    run_id: str,
    tz: str,
    contract: dict[str, Stream] = STREAMS,
) -> FileResult:
    if landed.rejected:  # recorded with its reason, never read
        return _reject(con, landed, run_id)
    sha, stamp = _sha256(con, landed)
    seen = con.execute(
        f"SELECT source_file FROM raw.ingest_ledger WHERE sha256 = {literal(sha)}"
    ).fetchall()
    if any(source == landed.relative for (source,) in seen):
        if stamp is not None:  # read before it had settled: from now on, its stamp vouches
            con.execute(
                f"UPDATE raw.ingest_ledger SET file_stamp = {literal(stamp)}"
                f" WHERE source_file = {literal(landed.relative)} AND sha256 = {literal(sha)}"
                " AND file_stamp IS NULL"
            )
        return FileResult(landed.relative, landed.stream, "already_ingested")
    batch_id = _new_id(landed.stream)
    now = datetime.now(UTC)
    ledger = _ledger_row(
        batch_id, run_id, landed.stream, landed.relative, now,
        file_format=landed.fmt, file_size=landed.path.stat().st_size, sha256=sha,
        file_stamp=stamp,
    )  # fmt: skip
    if seen:  # the same bytes under another name: already counted once
        error = f"same content as {seen[0][0]}"
        _write_ledger(con, ledger, "same_content", error=error)
        return FileResult(landed.relative, landed.stream, "same_content", batch_id=batch_id)

    stream = contract[landed.stream]
    # DuckDB's readers take a path as a pattern: they get a plain one, while `_src` is read
    reading, source = ExitStack(), None
    try:
        if landed.fmt is None:
            raise UnreadableFile(
                "unsupported format: expected .jsonl, .jsonl.gz, .csv, .csv.gz or .parquet"
            )
        # Reading and checking fill temporary tables only (outside the transaction: scanning
        # them is much faster once committed); the warehouse changes in one transaction.
        source = reading.enter_context(literal_path(landed))
        lines = load_source(con, source, landed.fmt, stream)
        _classify(con, stream, tz, landed.fmt, lines)
        with _transaction(con):
            counts = _apply(con, stream, batch_id, now, file=landed.relative)
            _supersede(con, ledger, landed)
            _write_ledger(con, ledger, "ingested", **counts)
            _failpoint("before_commit")
    except (UnreadableFile, *READ_ERRORS) as e:
        error = str(e) if isinstance(e, UnreadableFile) else describe(e)
        error = error.replace(str(source), landed.relative) if source else error
        with _transaction(con):
            _quarantine_file(con, ledger, "unreadable_file", error)
            _write_ledger(con, ledger, "unreadable", error=error)
        return FileResult(
            landed.relative, landed.stream, "unreadable", batch_id=batch_id, error=error
        )
    except duckdb.OutOfMemoryException as e:  # not the file's fault: the next run takes it again
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        detail = out_of_memory_detail(str(e)) or describe(e)
        raise MemoryLimitError(
            f"out of memory reading {landed.relative}: DuckDB {detail}; nothing of it"
            f" was ingested (the files before it were): raise PORTAL_WAREHOUSE_MEMORY_LIMIT (now"
            f" {limit}) and run again, or land it as smaller files"
        ) from None
    finally:
        drop_scratch(con)
        reading.close()
    return FileResult(landed.relative, landed.stream, "ingested", batch_id=batch_id, **counts)


def _sha256(con, landed: LandedFile) -> tuple[str, str | None]:
    """The file's sha256, and the stamp to record with it (None when there is none to record):
    the ledger's when it holds this path with the file's current stamp, else read."""
    stamp = file_stamp(landed.path)
    held = con.execute(
        "SELECT sha256 FROM raw.ingest_ledger"
        f" WHERE source_file = {literal(landed.relative)} AND file_stamp = {literal(stamp)}"
    ).fetchone()
    return (held[0], None) if held else sha256_and_stamp(landed.path)


def _reject(con, landed: LandedFile, run_id: str) -> FileResult:
    """A file that is recorded but never read (a name that is not UTF-8, a symlink leading out
    of the landing folder): a ledger row and a whole-file quarantine row with the reason, once
    for as long as the file stays as it is."""
    recorded = con.execute(
        "SELECT count(*) FROM raw.ingest_ledger WHERE status = 'rejected'"
        f" AND source_file = {literal(landed.relative)} AND error = {literal(landed.rejected)}"
    ).fetchone()[0]
    if recorded:
        return FileResult(landed.relative, landed.stream, "already_ingested")
    batch_id = _new_id(landed.stream)
    now = datetime.now(UTC)
    ledger = _ledger_row(
        batch_id, run_id, landed.stream, landed.relative, now, file_format=landed.fmt
    )
    with _transaction(con):
        _quarantine_file(con, ledger, "rejected_file", landed.rejected)
        _write_ledger(con, ledger, "rejected", error=landed.rejected)
    return FileResult(
        landed.relative, landed.stream, "rejected", batch_id=batch_id, error=landed.rejected
    )


def _supersede(con, ledger: dict, landed: LandedFile) -> None:
    """Close the open quarantine rows of earlier attempts at this file whose bytes are the start
    of its bytes (taken while still being written, or cut short in transit): this attempt reads
    all they held again, so nothing stays open that no longer describes a delivery."""
    earlier = con.execute(
        f"""SELECT DISTINCT l.batch_id, l.file_size, l.sha256 FROM raw.ingest_ledger AS l
           JOIN raw.quarantine AS q ON q.batch_id = l.batch_id AND q.released_at IS NULL
           WHERE l.source_file = {literal(ledger["source_file"])}
             AND l.file_size < {literal(ledger["file_size"])}
             AND l.status IN ('ingested', 'unreadable')
        """
    ).fetchall()
    prefixes = {size: sha256_of(landed.path, limit=size) for size in {s for _, s, _ in earlier}}
    batches = [batch for batch, size, sha in earlier if sha == prefixes[size]]
    if batches:
        con.execute(
            f"""UPDATE raw.quarantine SET released_at = {literal(ledger["ingested_at"])},
                   released_batch_id = {literal(ledger["batch_id"])}, released_as = 'superseded'
               WHERE released_at IS NULL AND list_contains({literal(batches)}, batch_id)"""
        )


@contextmanager
def _transaction(con):
    """All of it or none of it."""
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


def _ledger_row(
    batch_id: str,
    run_id: str,
    stream: str,
    source_file: str,
    ingested_at: datetime,
    *,
    file_format: str | None = None,
    file_size: int | None = None,
    sha256: str | None = None,
    file_stamp: str | None = None,
) -> dict:
    """What a batch's ledger row says of where it came from; `_write_ledger` adds how it went."""
    return dict(
        batch_id=batch_id, run_id=run_id, stream=stream, source_file=source_file,
        file_format=file_format, file_size=file_size, sha256=sha256, file_stamp=file_stamp,
        ingested_at=ingested_at,
    )  # fmt: skip


def _quarantine_file(con, ledger: dict, code: str, reason: str) -> None:
    """One quarantine row for a whole file that was not read (`code`: why)."""
    values = [ledger["stream"], ledger["source_file"], None, f"{code}: {reason}", [code],
              ledger["batch_id"], ledger["ingested_at"]]  # fmt: skip
    con.execute(
        """INSERT INTO raw.quarantine (stream, source_file, line_number, reason, reason_codes,
               batch_id, quarantined_at)"""
        f" VALUES ({', '.join(map(literal, values))})"
    )


def _write_ledger(con, ledger: dict, status: str, error: str | None = None, **counts) -> None:
    row = ledger | {"status": status, "error": error}
    row |= {k: counts.get(k, 0) for k in ("rows_read", "accepted", "duplicates", "quarantined")}
    con.execute(
        f"INSERT INTO raw.ingest_ledger ({', '.join(row)})"
        f" VALUES ({', '.join(map(literal, row.values()))})"
    )


def _same_payload(stream: Stream, a: str, b: str) -> str:
    columns = [f.name for f in stream.all_fields if f.name != "event_id"]
    same = [f"{a}.{c} IS NOT DISTINCT FROM {b}.{c}" for c in columns]
    same.append(f"{a}.extra::VARCHAR IS NOT DISTINCT FROM {b}.extra::VARCHAR")
    return "(" + " AND ".join(same) + ")"


def _create_registry(con, stream: Stream) -> None:
    """`_registry`: the portal ids the registry knows, as an ENUM type that a record's portal is
    cast to (`validate._all_rules`): a lookup, where a join would lose the order in which a JSON
    Lines file's records are checked (`readers.LinesOnDemand`)."""
    also_this_file = (
        "UNION SELECT portal_id FROM _src WHERE event_type = 'registered'"
        if stream.name == "portal"
        else ""
    )
    con.execute("DROP TYPE IF EXISTS _registry")
    con.execute(f"""
        CREATE TEMP TYPE _registry AS ENUM (
            SELECT DISTINCT portal_id
            FROM (SELECT portal_id FROM raw.portal_events WHERE event_type = 'registered'
                  {also_this_file})
            WHERE portal_id IS NOT NULL
        )
    """)


def _classify(con, stream: Stream, tz: str, fmt: str, lines: LinesOnDemand | None = None) -> None:
    """`_checked` (typed records with their reasons), then narrow tables: `_verdict` (every
    record's line, event id and reasons), `_pairs` (valid records whose id came earlier in the
    batch, or is held in raw), `_repeats` and `_known` (those pairs, with whether the payloads
    are the same). Only `_verdict` costs a pass over the batch (none when `_checked` is a table:
    it is then a view of it); the records that break a rule (`explain_broken`) and those whose
    payloads must be compared (`_involved`) are few, and only they are read again. A JSON Lines
    file (`lines`) is read by line number only if some record is faulty or its id repeats: here,
    outside `_apply`'s transaction, where a new table's row ids are not its rows' positions."""
    # Parsing JSON again for the insert would cost more than keeping the checked records; kept,
    # they are the verdicts' table too (copying their lines and ids went to disk: a 10M-line
    # file's ingest 44.8 -> 39.4-40.5 s).
    kept = fmt in ("jsonl", "replay")

    def check() -> None:
        in_file_order = lines is not None and not lines.numbered
        _create_registry(con, stream)
        create_checked(con, stream, tz, materialize=kept, in_file_order=in_file_order)

    try:
        check()
    except duckdb.InvalidInputException as e:
        if lines is None or lines.numbered or not is_line_too_long(e):
            raise
        lines.number()  # the slower way, which describes each line too long to read
        check()
    con.execute(
        f"CREATE OR REPLACE TEMP {'VIEW' if kept else 'TABLE'} _verdict AS"
        " SELECT _line, event_id, _reasons AS reasons FROM _checked"
    )
    if _has_rows(con, "_verdict WHERE reasons IS NOT NULL"):  # most batches: none faulty
        if lines is not None:
            lines.number()  # to explain and quarantine the faulty records as delivered
        if _has_rows(con, "_verdict WHERE len(reasons) = 0"):
            explain_broken(
                con, stream, *(("_checked", "_reasons") if kept else ("_verdict", "reasons"))
            )
    # Two joins against small sides: the ids repeated within the batch, and raw's ids. The
    # batch's ids are grouped by their hashes first (a number groups faster than a text: 3.4 ->
    # 2.0 s for 10M), then only the records whose hash repeats are grouped by id.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _pairs AS
        WITH candidates AS (
            SELECT _line, event_id FROM _verdict
            WHERE reasons IS NULL AND hash(event_id) IN (
                SELECT hash(event_id) FROM _verdict WHERE reasons IS NULL
                GROUP BY hash(event_id) HAVING count(*) > 1
            )
        )
        SELECT c._line, c.event_id, firsts.first_line AS other_line,
               NULL::VARCHAR AS standing_batch
        FROM candidates AS c
        JOIN (
            SELECT event_id, min(_line) AS first_line FROM candidates
            GROUP BY event_id HAVING count(*) > 1
        ) AS firsts ON c.event_id = firsts.event_id AND c._line > firsts.first_line
    """)
    if _maybe_held(con, stream):
        con.execute("""
            INSERT INTO _pairs
            SELECT v._line, v.event_id, NULL, held.batch_id
            FROM _verdict AS v JOIN _held AS held ON held.event_id = v.event_id
            WHERE v.reasons IS NULL AND v._line NOT IN (SELECT _line FROM _pairs)
        """)
    if not _has_rows(con, "_pairs"):  # most batches: no id twice, none held; nothing to compare
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _repeats AS
            SELECT _line, event_id, other_line AS first_line, true AS same FROM _pairs;
            CREATE OR REPLACE TEMP TABLE _known AS
            SELECT _line, event_id, standing_batch, true AS same FROM _pairs;
        """)
        return
    if lines is not None:  # a conflict is quarantined as delivered
        lines.number()
    payload = [f.name for f in stream.all_fields] + ["extra"]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _involved AS
        SELECT _line, {", ".join(payload)} FROM _checked
        WHERE _line IN (SELECT _line FROM _pairs UNION ALL SELECT other_line FROM _pairs)
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _repeats AS
        SELECT p._line, p.event_id, p.other_line AS first_line,
               {_same_payload(stream, "later", "first")} AS same
        FROM _pairs AS p
        JOIN _involved AS later ON later._line = p._line
        JOIN _involved AS first ON first._line = p.other_line
        WHERE p.standing_batch IS NULL
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _known AS
        SELECT p._line, p.event_id, p.standing_batch, {_same_payload(stream, "c", "held")} AS same
        FROM _pairs AS p
        JOIN _involved AS c ON c._line = p._line
        JOIN {stream.table} AS held ON held.event_id = p.event_id
        WHERE p.standing_batch IS NOT NULL
    """)


def _maybe_held(con, stream: Stream) -> bool:
    """Whether raw may hold some valid record's event id: `_held`, raw's ids (with their
    batches) within the batch's range whose hash is a batch id's, for the texts to be compared
    there rather than in raw again. Raw's ids are read as hashes against the batch's, a small
    side: joined as texts to a delivery of 11M ids, the 100M ids of a warehouse made a hash
    table of texts that went to disk (18 s of a 38 s ingest; 2-3 s so). The range is a literal,
    for the zone maps of raw's row groups."""
    if not _has_rows(con, stream.table):  # a first delivery: nothing held, no batch scan
        return False
    low, high = con.execute(
        "SELECT min(event_id), max(event_id) FROM _verdict WHERE reasons IS NULL"
    ).fetchone()
    if low is None:
        return False
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _held AS
        SELECT event_id, batch_id FROM {stream.table}
        WHERE event_id BETWEEN {literal(low)} AND {literal(high)}
          AND hash(event_id) IN (SELECT hash(event_id) FROM _verdict WHERE reasons IS NULL)
    """)
    return _has_rows(con, "_held")


def _has_rows(con, table: str) -> bool:
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]


def _insert_accepted(con, stream: Stream, batch_id: str, now, origin: str, origin_join: str) -> int:
    columns = [f.name for f in stream.all_fields]
    columns += ["occurred_at_local", "occurred_on", "extra", "masked_fields"]
    return con.execute(
        f"""
        INSERT INTO {stream.table}
            ({", ".join(columns)}, batch_id, source_file, source_line, ingested_at)
        SELECT {", ".join("c." + c for c in columns)}, {quote(batch_id)}, {origin}, {literal(now)}
        FROM _checked AS c {origin_join}
        WHERE c._line NOT IN (
            SELECT _line FROM _verdict WHERE reasons IS NOT NULL
            UNION ALL SELECT _line FROM _pairs
        )
    """
    ).fetchone()[0]


def _record_text(stream: Stream) -> str:
    """A quarantined record as delivered, field by field (`s`, its `_src` row): free text with
    emails and phones masked, unknown keys scrubbed, personal fields never read into `_src`; a
    record that could not be read is only its description. The unknown keys come from its
    `_checked` row (`c`): read from `_src`, they would be scrubbed again for every record of the
    file before the join kept the rejected ones (a Python call a line: 0.5 s of a 41,000-line
    file whose every line carries a key the contract does not know). They are appended to the
    known fields as text, not merged as JSON (no key is in both): merging parsed each record's
    unknown keys again, and 100 refused records of 1 MB ran out of DuckDB's 1 GB."""
    pairs = ", ".join(
        f"{quote(f.name)}, {mask_sql(f's.{f.name}::VARCHAR') if f.free_text else f's.{f.name}'}"
        for f in stream.all_fields
    )
    known = f"json_object({pairs})::VARCHAR"
    merged = (
        f"CASE WHEN coalesce(c.extra::VARCHAR, '{{}}') = '{{}}' THEN {known}"
        f" ELSE substr({known}, 1, length({known}) - 1) || ',' || substr(c.extra::VARCHAR, 2) END"
    )
    return f"coalesce(s._text, {merged})"


def _apply(con, stream: Stream, batch_id: str, now, file: str) -> dict[str, int]:
    accepted = _insert_accepted(
        con, stream, batch_id, now, origin=f"{quote(file)}, c._line", origin_join=""
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rejects AS
        SELECT _line, event_id, reasons, NULL AS conflicts_with
        FROM _verdict WHERE reasons IS NOT NULL
        UNION ALL
        SELECT _line, event_id,
               ['conflict: event_id ''' || event_id || ''' came earlier in this file'
                || ' (line ' || first_line || ') with another payload'],
               {quote(batch_id)}
        FROM _repeats WHERE NOT same
        UNION ALL
        SELECT _line, event_id,
               ['conflict: event_id ''' || event_id || ''' is held with another'
                || ' payload from batch ' || standing_batch],
               standing_batch
        FROM _known WHERE NOT same
    """)
    quarantined = 0
    if _has_rows(con, "_rejects"):  # reading the records' text again costs a pass: only if any
        quarantined = con.execute(
            f"""
            INSERT INTO raw.quarantine (stream, source_file, line_number, event_id, reason,
                reason_codes, conflicts_with, record, batch_id, quarantined_at)
            SELECT {quote(stream.name)}, {quote(file)}, q._line, q.event_id,
                   array_to_string(q.reasons, '; '),
                   list_transform(q.reasons, r -> split_part(r, ':', 1)),
                   q.conflicts_with, {_record_text(stream)}, {quote(batch_id)}, {literal(now)}
            FROM _rejects AS q
            JOIN _src AS s ON s._line = q._line
            JOIN _checked AS c ON c._line = q._line
            """
        ).fetchone()[0]
    rows_read, duplicates = con.execute("""
        SELECT (SELECT count(*) FROM _verdict),
               (SELECT count(*) FROM _repeats WHERE same) + (SELECT count(*) FROM _known WHERE same)
    """).fetchone()
    return dict(
        rows_read=rows_read, accepted=accepted, duplicates=duplicates, quarantined=quarantined
    )


def replay_quarantine(settings: Settings) -> IngestReport:
    """Check the open quarantined records again and move the ones that now pass into raw.

    Typically after the registry learned a portal. A record moved is marked released (with the
    replay's batch), so it can neither be lost nor counted twice; whole-file rejections and
    unparseable records cannot pass and are left alone.
    """
    contract = run_contract(settings)
    run_id = _new_id("replay")
    con = open_warehouse(settings)
    results = []
    try:
        for name in STREAM_ORDER:
            results.append(_replay_stream(con, contract[name], run_id, settings.tz))
            drop_scratch(con)
        restatable = restatable_by(con, settings, results)
    finally:
        con.close()
    return IngestReport(run_id, tuple(r for r in results if r.rows_read), restatable=restatable)


def _replay_stream(con, stream: Stream, run_id: str, tz: str) -> FileResult:
    batch_id = _new_id(f"replay-{stream.name}")
    now = datetime.now(UTC)
    con.execute("DROP TABLE IF EXISTS _open")
    con.execute(f"""
        CREATE TEMP TABLE _open AS
        SELECT quarantine_id AS _line, record AS line FROM raw.quarantine
        WHERE stream = {quote(stream.name)} AND released_at IS NULL
          AND line_number IS NOT NULL
          -- records kept only as their description cannot pass again: the source redelivers
          AND NOT list_has_any(reason_codes, ['malformed_record', 'oversized_record',
                                              'nested_value'])
    """)
    load_json_lines(con, "_open", stream)
    _classify(con, stream, tz, "replay")
    with _transaction(con):
        accepted = _insert_accepted(
            con,
            stream,
            batch_id,
            now,
            origin="q.source_file, q.line_number",
            origin_join="JOIN raw.quarantine AS q ON q.quarantine_id = c._line",
        )
        released = con.execute(
            f"""
            UPDATE raw.quarantine SET released_at = {literal(now)},
                released_batch_id = {quote(batch_id)},
                released_as = CASE WHEN quarantine_id IN (SELECT _line FROM _repeats UNION ALL
                                                          SELECT _line FROM _known)
                                   THEN 'duplicate' ELSE 'accepted' END
            WHERE quarantine_id IN (
                SELECT _line FROM _verdict WHERE reasons IS NULL
                EXCEPT SELECT _line FROM _repeats WHERE NOT same
                EXCEPT SELECT _line FROM _known WHERE NOT same
            )
            """
        ).fetchone()[0]
        rows_read = con.execute("SELECT count(*) FROM _verdict").fetchone()[0]
        counts = dict(
            rows_read=rows_read,
            accepted=accepted,
            duplicates=released - accepted,
            quarantined=rows_read - released,
        )
        if rows_read:
            ledger = _ledger_row(batch_id, run_id, stream.name, "raw.quarantine", now)
            _write_ledger(con, ledger, "replay", **counts)
    return FileResult("raw.quarantine", stream.name, "replay", batch_id=batch_id, **counts)
