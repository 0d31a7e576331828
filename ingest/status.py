"""What the warehouse holds: raw events per stream, the ledger, the open quarantine by reason,
the files rejected unread; what the landing folder holds that no ingest takes; and the
published periods that events ingested since could change."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.contract import STREAM_ORDER, STREAMS
from ingest.landing import Skipped, discover
from ingest.settings import Settings
from ingest.warehouse import connect, literal
from publish.periods import RAW_TABLES
from publish.versions import latest_manifest


@dataclass(frozen=True)
class Status:
    raw: dict[str, int]  # events per stream
    ledger: list[tuple]  # (stream, status, files, rows_read, accepted, duplicates, quarantined)
    quarantine: list[tuple]  # (stream, reason code, open records, released records)
    rejected: list[tuple] = field(default_factory=list)  # (file, reason): recorded, never read
    skipped: list[Skipped] = field(default_factory=list)  # in the landing, not a delivery
    alerts: list[str] = field(default_factory=list)  # the last alerts not e-mailed: time, subject
    alerts_log: str | None = None  # where they are written in full
    # (period, its latest version, the period's last date, events ingested since dated up to it)
    restatable: list[tuple[str, str, str, int]] = field(default_factory=list)


def warehouse_status(settings: Settings) -> Status:
    # Entries of the landing folder that are not deliveries are listed, not recorded: they are
    # looked at again on every run and would add the same row each time.
    skipped = discover(settings.landing).skipped
    if not settings.db.exists():
        return Status({s: 0 for s in STREAM_ORDER}, [], [], skipped=skipped)
    con = connect(settings.db, settings.tz, read_only=True)
    try:
        raw = {
            s: con.execute(f"SELECT count(*) FROM {STREAMS[s].table}").fetchone()[0]
            for s in STREAM_ORDER
        }
        ledger = con.execute("""
            SELECT stream, status, count(*), sum(rows_read), sum(accepted), sum(duplicates),
                   sum(quarantined)
            FROM raw.ingest_ledger GROUP BY ALL ORDER BY stream, status
        """).fetchall()
        quarantine = con.execute("""
            SELECT stream, code, count(*) FILTER (WHERE released_at IS NULL),
                   count(*) FILTER (WHERE released_at IS NOT NULL)
            FROM raw.quarantine, unnest(list_distinct(reason_codes)) AS t(code)
            GROUP BY ALL ORDER BY stream, code
        """).fetchall()
        rejected = con.execute("""
            SELECT DISTINCT source_file, error FROM raw.ingest_ledger WHERE status = 'rejected'
            ORDER BY ALL
        """).fetchall()
        restatable = restatable_periods(con, settings.publish)
    finally:
        con.close()
    alerts = recent_alerts(settings)  # the alerts nobody was e-mailed (orchestration/alerts.py)
    return Status(
        raw, ledger, quarantine, rejected, skipped, alerts, str(settings.alerts_log), restatable
    )


def restatable_periods(con, publish: Path) -> list[tuple[str, str, str, int]]:
    """The published periods whose latest version events ingested since could change: events
    of any stream ingested after the version's event watermark and dated on or before the
    period's last date (a late closing of an old dossier changes what a period carried over;
    an event after the period changes nothing in it). A run of the period restates it."""
    versions = []
    for period_dir in sorted(publish.iterdir()) if publish.is_dir() else []:
        latest = latest_manifest(period_dir)
        if latest is None:
            continue
        version, read = latest
        if read.get("event_watermark") and read.get("period_end"):
            versions.append(
                (period_dir.name, version.name, read["event_watermark"], read["period_end"])
            )
    if not versions:
        return []
    published = ", ".join(
        f"({literal(p)}, {literal(v)}, {literal(w)}::TIMESTAMPTZ, {literal(e)}::DATE)"
        for p, v, w, e in versions
    )
    # raw tables grow in ingest order: their zone maps skip what came before the earliest version
    earliest = literal(min(w for _, _, w, _ in versions))
    later = " UNION ALL ".join(
        f"SELECT ingested_at, occurred_on FROM {table} WHERE ingested_at > {earliest}::TIMESTAMPTZ"
        for table in RAW_TABLES
    )
    return con.execute(f"""
        SELECT v.period_id, v.version, v.period_end::VARCHAR, count(*)
        FROM (VALUES {published}) AS v(period_id, version, watermark, period_end)
        JOIN ({later}) AS e ON e.ingested_at > v.watermark AND e.occurred_on <= v.period_end
        GROUP BY ALL ORDER BY ALL
    """).fetchall()


RESTATABLE_HEADING = "Published periods that events ingested since could change (run them again)"


def restatable_lines(rows) -> list[str]:
    """`restatable_periods`' rows as lines: `2023-9M v1: 400 event(s) ingested since, dated up
    to 2023-09-25`."""
    return [
        f"{period} {version}: {events:,} event(s) ingested since, dated up to {last}"
        for period, version, last, events in rows
    ]


def recent_alerts(settings: Settings, count: int = 5) -> list[str]:
    """The last `count` entries' header lines (timestamp and subject) of the alerts log, oldest
    first: an entry's first line is its only one not indented."""
    path = settings.alerts_log
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", errors="replace") as log:
        headers = [line.rstrip("\n") for line in log if line.strip() and not line[0].isspace()]
    return headers[-count:]


def format_status(status: Status) -> str:
    lines = ["Raw events"]
    lines += [f"  {stream:<11} {count:>12,}" for stream, count in status.raw.items()]
    lines += [
        "",
        "Ledger (files)",
        "  stream      status            files    read  accepted  dup  quar",
    ]
    lines += [
        f"  {s:<11} {st:<15} {n:>7} {r:>7} {a:>9} {d:>4} {q:>5}"
        for s, st, n, r, a, d, q in status.ledger
    ]
    lines += ["", "Quarantine by reason (a record counts once per reason)"]
    lines += ["  stream      reason                  open  released"]
    lines += [f"  {s:<11} {c:<20} {o:>7} {r:>9}" for s, c, o, r in status.quarantine]
    if status.rejected:
        lines += ["", "Rejected files (recorded, never read)"]
        lines += [f"  {file}: {reason}" for file, reason in status.rejected]
    if status.skipped:
        lines += ["", "Skipped in the landing folder (not deliveries; not recorded)"]
        lines += [f"  {s.path}: {s.reason}" for s in status.skipped]
    if status.restatable:
        lines += ["", RESTATABLE_HEADING]
        lines += [f"  {line}" for line in restatable_lines(status.restatable)]
    if status.alerts:
        lines += ["", f"Recent alerts, not e-mailed (in full: {status.alerts_log})"]
        lines += [f"  {alert}" for alert in status.alerts]
    return "\n".join(lines)
