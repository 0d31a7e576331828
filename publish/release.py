"""Publishing one period: the report's files and a manifest, as a new numbered version.

A release holds each appendix, the summary and the units' figures (portal_activity) as XLSX,
CSV and Parquet, the scorecards as Parquet, the whole report as one workbook and as a one-page
HTML report, the report's text drafted as DOCX (`report_docx`), and `manifest.json` with the
size and sha256 of every other file.

`<publish_root>/<period_id>/v<N>/` is built whole in a hidden directory beside it, flushed to
disk, then renamed into place: a reader never sees half a version, and no version is ever
rewritten. A failure removes the hidden directory and leaves the earlier versions as they were.
A publisher holds a lock on `.publishing-<id>.lock` while its `.publishing-<id>/` exists; a
publisher killed before it could clean up leaves both, and the next publish of the period
removes every hidden directory whose lock nobody holds (never a live publisher's).

With `require_events`, a period in which the warehouse holds no event of any stream is refused
(`EmptyPeriodError`) before anything is written: its report would be all zeros.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa

from publish import appendices, report_docx, report_html
from publish.appendices import (
    APPENDIX_01,
    APPENDIX_01_2,
    APPENDIX_02,
    APPENDIX_03,
    CHANNELS,
    PERIOD_COLUMNS,
    PORTAL_ACTIVITY,
    SUMMARY,
    Appendix,
)
from publish.periods import RAW_TABLES, period_event_count
from publish.versions import MANIFEST, next_version

# What a release holds, in this order: also the sheets of the workbook.
PUBLISHED: list[Appendix] = [
    APPENDIX_01,
    APPENDIX_01_2,
    APPENDIX_02,
    APPENDIX_03,
    SUMMARY,
    CHANNELS,
    PORTAL_ACTIVITY,
]
FORMATS = ("xlsx", "csv", "parquet")


@dataclass(frozen=True)
class Mart:
    """A mart read for the period: these columns by name (others are left), in this order."""

    table: str
    columns: tuple[str, ...]
    order_by: str = "display_order"


_PERIOD = PERIOD_COLUMNS[:3]
# The HTML report draws on the scorecards too; released as Parquet, so the release holds every
# figure it shows.
SCORECARDS = [
    Mart(
        "scorecard_bloc",
        (*_PERIOD, "bloc", "scale", "score_ceiling", "portals", "mean_score", "min_score",
         "max_score", "stddev_score", "portals_at_max", "portals_at_scale", "portals_below_scale",
         "portals_at_max_names", "portals_below_scale_names", "summary_note"),
        "bloc",
    ),
    Mart(
        "scorecard_portal",
        (*_PERIOD, "portal_id", "portal_name", "bloc", "scored", "information_score",
         "information_max", "qa_score", "qa_max", "dossier_score", "dossier_max", "total_score",
         "total_max", "score_share", "rank_in_bloc"),
        "bloc, rank_in_bloc, portal_name collate vi, portal_id",  # Vietnamese order of names
    ),
]  # fmt: skip
MARTS = [Mart(a.table, a.mart_columns, a.order_by) for a in PUBLISHED] + SCORECARDS

_HIDDEN = ".publishing-"  # + <id>: a version being built; + <id>.lock: its publisher's lock
_PERIOD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # becomes a directory name
_RENAME_ATTEMPTS = 100


class PublishError(RuntimeError):
    """The period cannot be published as asked."""


class EmptyPeriodError(PublishError):
    """The warehouse holds no event of any stream in the period: its report would be zeros."""


def refuse_empty_period(
    con: duckdb.DuckDBPyConnection, period_id: str, start: date, end: date
) -> None:
    """EmptyPeriodError when the warehouse holds no event of any stream in the period."""
    if period_event_count(con, start, end) == 0:
        raise EmptyPeriodError(
            f"period {period_id} ({start} to {end}): the warehouse holds no event of any"
            " stream in it, so its report would be all zeros; nothing published (allow_empty,"
            " `run --allow-empty`, publishes it anyway)"
        )


@dataclass(frozen=True)
class Release:
    version: int
    path: Path
    files: dict[str, str]  # file name -> sha256
    manifest: dict[str, Any]


def publish_period(
    con: duckdb.DuckDBPyConnection,
    period_id: str,
    publish_root: Path | str,
    *,
    run_id: str,
    code_version: str,
    contracts: Sequence[Mapping[str, Any]],
    cutoff: date | datetime | str | None = None,
    reference_files: Sequence[Mapping[str, Any]] = (),
    require_events: bool = False,
    report_number: str | None = None,
    report_date: date | str | None = None,
) -> Release:
    """Publish the period's report from the warehouse's marts as the next version.

    `reference_files` are the reference data the marts were built from (name, origin bundled or
    deployment, path, sha256, rows: `ingest.reference`); the manifest lists them. With
    `require_events`, a period without any raw event is refused (EmptyPeriodError).
    `report_number` and `report_date` go into the drafted DOCX's header (blank when not given)."""
    if not _PERIOD_ID.fullmatch(period_id):
        raise PublishError(f"period_id {period_id!r} cannot name a directory")
    tables, watermark = _read(con, period_id)
    period_start, period_end = _period_bounds(period_id, tables)
    if require_events:
        refuse_empty_period(con, period_id, period_start, period_end)

    period_dir = Path(publish_root) / period_id
    period_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(period_dir)
    with _publisher_lock(period_dir) as tmp:
        return _write_release(
            con, tmp, period_dir, period_id, period_start, period_end, tables, watermark,
            run_id=run_id, code_version=code_version, contracts=contracts, cutoff=cutoff,
            reference_files=reference_files, report_number=report_number, report_date=report_date,
        )  # fmt: skip


def _write_release(
    con: duckdb.DuckDBPyConnection,
    tmp: Path,
    period_dir: Path,
    period_id: str,
    period_start: date,
    period_end: date,
    tables: Mapping[str, pa.Table],
    watermark: str | None,
    *,
    run_id: str,
    code_version: str,
    contracts: Sequence[Mapping[str, Any]],
    cutoff: date | datetime | str | None,
    reference_files: Sequence[Mapping[str, Any]],
    report_number: str | None = None,
    report_date: date | str | None = None,
) -> Release:
    # Hidden, so nothing that lists versions sees it; beside them, so the rename stays on one disk.
    tmp.mkdir()
    try:
        entries = []
        rows = {name: table.to_pylist() for name, table in tables.items()}
        for appendix in PUBLISHED:
            table = tables[appendix.table]
            for fmt in FORMATS:
                path = tmp / f"{appendix.table}.{fmt}"
                if fmt == "xlsx":
                    appendices.write_xlsx(
                        appendix, rows[appendix.table], path,
                        period_id=period_id, period_start=period_start, period_end=period_end,
                        report_number=report_number, report_date=report_date,
                    )  # fmt: skip
                elif fmt == "csv":
                    appendices.write_csv(appendix, rows[appendix.table], path)
                else:
                    appendices.write_parquet(table, path)
                entries.append(_file_entry(path, fmt, table=appendix.table, rows=table.num_rows))
        for mart in SCORECARDS:
            path = tmp / f"{mart.table}.parquet"
            appendices.write_parquet(tables[mart.table], path)
            entries.append(
                _file_entry(path, "parquet", table=mart.table, rows=tables[mart.table].num_rows)
            )

        report = report_html.stem(period_id)
        path = tmp / f"{report}.xlsx"
        appendices.write_workbook(
            [(a, rows[a.table]) for a in PUBLISHED], path, period_id, period_start, period_end,
            report_number=report_number, report_date=report_date,
        )  # fmt: skip
        entries.append(_file_entry(path, "xlsx", tables=[a.table for a in PUBLISHED]))
        # The page names its version: the next number now, rewritten should another publisher
        # take that number first (`renumber` below).
        published_at = datetime.now(UTC)
        html_path, html_at = tmp / f"{report}.html", len(entries)

        def write_html(version: int) -> dict[str, Any]:
            facts = report_html.ReleaseFacts(
                version=version, cutoff=_iso(cutoff) or period_end.isoformat(),
                event_watermark=watermark, published_on=_local_date(con, published_at),
                report_number=report_number, report_date=_iso(report_date),
            )  # fmt: skip
            html_path.write_text(
                report_html.render(rows, period_id, period_start, period_end, release=facts),
                encoding="utf-8",
                newline="\n",
            )
            return _file_entry(html_path, "html", tables=sorted(report_html.MARTS))

        version = next_version(period_dir)
        entries.append(write_html(version))
        # the report's text, drafted from the marts (publish/report_docx.py)
        path = tmp / f"{report}.docx"
        drafted = report_docx.write_report_docx(
            con, period_id, path, report_number=report_number, report_date=report_date,
            cutoff=cutoff, data_as_of=watermark,
        )  # fmt: skip
        entries.append(_file_entry(path, "docx", tables=list(drafted.marts)))

        manifest = {
            "period_id": period_id,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "cutoff": _iso(cutoff),
            "run_id": run_id,
            "code_version": code_version,
            "published_at": published_at.isoformat(),
            "report_number": report_number,
            "report_date": _iso(report_date),
            "event_watermark": watermark,
            "files": entries,
            # Through JSON and back, so the manifest holds exactly what the file says.
            "contracts": json.loads(json.dumps(list(contracts), default=_iso)),
            "reference_files": [dict(entry) for entry in reference_files],
        }
        manifest_path = tmp / MANIFEST

        def write_manifest() -> None:
            manifest_path.write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            _fsync(manifest_path)
            _fsync(tmp)

        def renumber(taken: int) -> None:  # another publisher took the number the page names
            entries[html_at] = write_html(taken)
            write_manifest()

        write_manifest()
        _failpoint("publish_before_rename")
        version, final = _rename_to_next_version(tmp, period_dir, version, renumber)
        _fsync(period_dir)  # makes the rename itself durable
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Release(
        version=version,
        path=final,
        files={e["name"]: e["sha256"] for e in entries},
        manifest=manifest,
    )


@contextmanager
def _publisher_lock(period_dir: Path) -> Iterator[Path]:
    """The hidden directory this publish may build in, under a lock held until it is done: the
    lock (flock) dies with its process, which is how `remove_leftovers` tells a killed
    publisher's directory from a live one's."""
    while True:
        name = f"{_HIDDEN}{uuid.uuid4().hex}"
        lock = period_dir / f"{name}.lock"
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, lock):  # not unlinked by a cleaner between open and flock
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield period_dir / name
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def remove_leftovers(period_dir: Path) -> list[str]:
    """Remove the hidden directories (and locks) of publishers that died before cleaning up:
    those whose lock nobody holds, or that have none (made before locks were taken)."""
    removed = []
    for entry in sorted(period_dir.iterdir()):
        if not entry.name.startswith(_HIDDEN) or entry.name.endswith(".lock"):
            continue
        lock = entry.with_name(entry.name + ".lock")
        with _unless_held(lock) as dead:
            if dead:
                shutil.rmtree(entry, ignore_errors=True)
                lock.unlink(missing_ok=True)
                removed.append(entry.name)
    for lock in sorted(period_dir.glob(f"{_HIDDEN}*.lock")):
        if not lock.with_name(lock.name.removesuffix(".lock")).exists():
            with _unless_held(lock) as dead:
                if dead:
                    lock.unlink(missing_ok=True)
    return removed


@contextmanager
def _unless_held(lock: Path) -> Iterator[bool]:
    """True (holding the lock meanwhile) when no live publisher holds `lock` or it is gone."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield _same_file(fd, lock)
    finally:
        os.close(fd)


def _failpoint(name: str) -> None:
    """Crash here on purpose when the tests ask for it: a killed publisher's leftovers."""
    if os.environ.get("PORTAL_WAREHOUSE_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _read(con: duckdb.DuckDBPyConnection, period_id: str) -> tuple[dict[str, pa.Table], str | None]:
    """The period's mart rows and the event watermark, from one snapshot of the warehouse."""
    with _snapshot(con):
        present: dict[str, set[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts'"
        ).fetchall():
            present.setdefault(table, set()).add(column)
        tables = {}
        for mart in MARTS:
            if mart.table not in present:
                raise PublishError(f"marts.{mart.table} does not exist: build the models first")
            missing = [c for c in mart.columns if c not in present[mart.table]]
            if missing:
                raise PublishError(f"marts.{mart.table} has no column {', '.join(missing)}")
            columns = ", ".join(f'"{c}"' for c in mart.columns)
            tables[mart.table] = con.execute(
                f"select {columns} from marts.{mart.table} "
                f"where period_id = ? order by {mart.order_by}",
                [period_id],
            ).to_arrow_table()
        return tables, event_watermark(con)


@contextmanager
def _snapshot(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """A read transaction, so the marts and the watermark agree; the caller's own one if open."""
    try:
        con.execute("begin transaction")
        own = True
    except duckdb.TransactionException:  # already inside the caller's transaction
        own = False
    try:
        yield
    finally:
        if own:
            con.execute("rollback")


def event_watermark(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest ingested_at over the raw event tables that exist, in UTC."""
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = 'raw'"
        ).fetchall()
    }
    latest = [
        con.execute(f"select max(ingested_at) from {table}").fetchone()[0]
        for table in RAW_TABLES
        if table in present
    ]
    latest = [t for t in latest if t is not None]
    return max(latest).astimezone(UTC).isoformat() if latest else None


def _period_bounds(period_id: str, tables: Mapping[str, pa.Table]) -> tuple[date, date]:
    empty = [name for name, table in tables.items() if table.num_rows == 0]
    if len(empty) == len(tables):
        raise PublishError(f"period {period_id!r} has no rows in any of the marts {empty}")
    # One empty mart is legitimate (no agency asked or was asked anything, this year or the
    # last; no portal left unscored); all of them empty means the period was never built.
    bounds = {
        (row["period_start"], row["period_end"])
        for table in tables.values()
        for row in table.select(["period_start", "period_end"]).to_pylist()
    }
    if len(bounds) != 1:
        raise PublishError(f"period {period_id!r} has differing bounds across marts: {bounds}")
    return bounds.pop()


def _file_entry(path: Path, fmt: str, **content: Any) -> dict[str, Any]:
    """The file flushed to disk and described: `table` and `rows` (the mart rows; the XLSX and
    the CSV add section and total rows) for a file of one mart, `tables` for the whole report."""
    _fsync(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {
        "name": path.name,
        **content,
        "format": fmt,
        "bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
    }


def _local_date(con: duckdb.DuckDBPyConnection, instant: datetime) -> date:
    """`instant`'s date in the warehouse's time zone (PORTAL_WAREHOUSE_TZ), else UTC's."""
    try:
        zone = ZoneInfo(con.execute("select current_setting('TimeZone')").fetchone()[0])
    except (duckdb.Error, ZoneInfoNotFoundError, ValueError, TypeError):
        zone = ZoneInfo("UTC")
    return instant.astimezone(zone).date()


def _rename_to_next_version(
    tmp: Path,
    period_dir: Path,
    written: int | None = None,
    renumber: Callable[[int], None] | None = None,
) -> tuple[int, Path]:
    """Rename into v<highest + 1>; when another publisher took that number first, the rename
    fails (its directory is not empty) and the next number is tried. `written` is the number
    the files name; `renumber(n)` rewrites them before v<n> is tried instead."""
    for _ in range(_RENAME_ATTEMPTS):
        version = next_version(period_dir)
        if renumber is not None and version != written:
            renumber(version)
            written = version
        target = period_dir / f"v{version}"
        try:
            os.rename(tmp, target)
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                continue
            raise
        return version, target
    raise PublishError(f"no free version number in {period_dir} after {_RENAME_ATTEMPTS} tries")


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY
    if path.is_dir():
        flags |= getattr(os, "O_DIRECTORY", 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _iso(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
