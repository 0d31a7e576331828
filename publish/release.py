"""Publishing one period: the report's files and a manifest, as a new numbered version.

A release holds each appendix, the summary and the units' figures (portal_activity) as XLSX,
CSV and Parquet, the scorecards as Parquet, the whole report as one workbook and as a one-page
HTML report, and `manifest.json` with the size and sha256 of every other file.

`<publish_root>/<period_id>/v<N>/` is built whole in a hidden directory beside it, flushed to
disk, then renamed into place: a reader never sees half a version, and no version is ever
rewritten. A failure removes the hidden directory and leaves the earlier versions as they were.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ingest.contract import STREAMS
from publish import appendices, report_html
from publish.appendices import (
    APPENDIX_01,
    APPENDIX_01_2,
    APPENDIX_02,
    APPENDIX_03,
    PERIOD_COLUMNS,
    PORTAL_ACTIVITY,
    SUMMARY,
    Appendix,
)

# What a release holds, in this order: also the sheets of the workbook.
PUBLISHED: list[Appendix] = [
    APPENDIX_01,
    APPENDIX_01_2,
    APPENDIX_02,
    APPENDIX_03,
    SUMMARY,
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
        "bloc, rank_in_bloc, portal_name, portal_id",
    ),
]  # fmt: skip
MARTS = [Mart(a.table, a.mart_columns, a.order_by) for a in PUBLISHED] + SCORECARDS
RAW_TABLES = tuple(stream.table for stream in STREAMS.values())
MANIFEST = "manifest.json"

_VERSION = re.compile(r"v(\d+)")
_PERIOD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # becomes a directory name
_RENAME_ATTEMPTS = 100


class PublishError(RuntimeError):
    """The period cannot be published as asked."""


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
) -> Release:
    """Publish the period's report from the warehouse's marts as the next version.

    `reference_files` are the reference data the marts were built from (name, origin bundled or
    deployment, path, sha256, rows: `ingest.reference`); the manifest lists them."""
    if not _PERIOD_ID.fullmatch(period_id):
        raise PublishError(f"period_id {period_id!r} cannot name a directory")
    tables, watermark = _read(con, period_id)
    period_start, period_end = _period_bounds(period_id, tables)

    period_dir = Path(publish_root) / period_id
    period_dir.mkdir(parents=True, exist_ok=True)
    # Hidden, so nothing that lists versions sees it; beside them, so the rename stays on one disk.
    tmp = period_dir / f".publishing-{uuid.uuid4().hex}"
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
            [(a, rows[a.table]) for a in PUBLISHED], path, period_id, period_start, period_end
        )
        entries.append(_file_entry(path, "xlsx", tables=[a.table for a in PUBLISHED]))
        path = tmp / f"{report}.html"
        path.write_text(
            report_html.render(rows, period_id, period_start, period_end),
            encoding="utf-8",
            newline="\n",
        )
        entries.append(_file_entry(path, "html", tables=sorted(report_html.MARTS)))

        manifest = {
            "period_id": period_id,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "cutoff": _iso(cutoff),
            "run_id": run_id,
            "code_version": code_version,
            "published_at": datetime.now(UTC).isoformat(),
            "event_watermark": watermark,
            "files": entries,
            # Through JSON and back, so the manifest holds exactly what the file says.
            "contracts": json.loads(json.dumps(list(contracts), default=_iso)),
            "reference_files": [dict(entry) for entry in reference_files],
        }
        manifest_path = tmp / MANIFEST
        manifest_path.write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        _fsync(manifest_path)
        _fsync(tmp)
        version, final = _rename_to_next_version(tmp, period_dir)
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
        return tables, _event_watermark(con)


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


def _event_watermark(con: duckdb.DuckDBPyConnection) -> str | None:
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


def _rename_to_next_version(tmp: Path, period_dir: Path) -> tuple[int, Path]:
    """Rename into v<highest + 1>; when another publisher took that number first, the rename
    fails (its directory is not empty) and the next number is tried."""
    for _ in range(_RENAME_ATTEMPTS):
        version = 1 + max(
            (int(m.group(1)) for p in period_dir.iterdir() if (m := _VERSION.fullmatch(p.name))),
            default=0,
        )
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
