"""What the warehouse holds: raw events per stream, the ledger, the open quarantine by reason,
the files rejected unread; and what the landing folder holds that no ingest takes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.contract import STREAM_ORDER, STREAMS
from ingest.landing import Skipped, discover
from ingest.settings import Settings
from ingest.warehouse import connect


@dataclass(frozen=True)
class Status:
    raw: dict[str, int]  # events per stream
    ledger: list[tuple]  # (stream, status, files, rows_read, accepted, duplicates, quarantined)
    quarantine: list[tuple]  # (stream, reason code, open records, released records)
    rejected: list[tuple] = field(default_factory=list)  # (file, reason): recorded, never read
    skipped: list[Skipped] = field(default_factory=list)  # in the landing, not a delivery
    alerts: list[str] = field(default_factory=list)  # the last alerts not e-mailed: time, subject
    alerts_log: str | None = None  # where they are written in full


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
    finally:
        con.close()
    alerts = recent_alerts(settings)  # the alerts nobody was e-mailed (orchestration/alerts.py)
    return Status(raw, ledger, quarantine, rejected, skipped, alerts, str(settings.alerts_log))


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
    if status.alerts:
        lines += ["", f"Recent alerts, not e-mailed (in full: {status.alerts_log})"]
        lines += [f"  {alert}" for alert in status.alerts]
    return "\n".join(lines)
