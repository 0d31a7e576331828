"""The serving copy: the marts, every period, in a DuckDB file of their own that readers open.

DuckDB allows one writer or many readers of a file, not both: a dashboard holding the warehouse
would stop a run, and a run would stop the dashboard. So readers (BI tools, the published
report) read `<warehouse stem>.serving.duckdb` beside the warehouse, which this module
guarantees to be:

- whole: written to a hidden temporary file in the same folder, checkpointed, closed, flushed,
  then renamed over the previous copy. A reader sees the old copy or the new one, never a half;
  one that holds the old file open goes on reading it; the writer never waits for a reader;
- the marts' names and columns: every relation of the warehouse's schema `marts`, as a plain
  table of schema `marts`, so BI's SQL is the same;
- of types every BI driver reflects: a LIST, STRUCT or MAP as its JSON text (`[0.9,0.7]`,
  `["a","b"]`, `{"k":1}`), FLOAT as DOUBLE, HUGEINT as BIGINT;
- checked: written for a period after its contracts passed, it takes that period's rows from
  the warehouse and every other period's rows from the previous copy, so a period whose build
  failed its contracts never reaches a reader. The first copy (none before it) takes every
  period as built; relations without `period_id` (`dim_portal`, `portal_lineage`) are copied
  whole each time.

The published report reads the copy too (`open_serving`), with each column back in the mart's
own type, so that what is published is what BI was shown.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.warehouse import connect, ident, quote

SCHEMA = "marts"
# the catalogs the writer attaches beside the warehouse (names no warehouse file should have)
_NEW, _OLD = "serving_copy_new", "serving_copy_old"
# the published report's connection: the warehouse (read-only, for raw), the serving copy
# attached, and views over it in the marts' own types
SERVING_CATALOG, _TYPED = "serving_copy", "serving_copy_typed"


def serving_path(db: Path | str) -> Path:
    """Beside warehouse `db`: data/warehouse.duckdb -> data/warehouse.serving.duckdb."""
    db = Path(db)
    return db.with_name(f"{db.stem}.serving.duckdb")


@dataclass(frozen=True)
class ServingCopy:
    path: Path
    rows: dict[str, int]  # relation -> rows, every period
    bytes: int
    seconds: float


def bi_type(data_type: str) -> str | None:
    """The serving copy's type for a column of DuckDB type `data_type`, or None to keep it."""
    if data_type.endswith("]") or data_type.startswith(("STRUCT", "MAP", "UNION")):
        return "VARCHAR"  # rendered as JSON: BI drivers reflect nested types as nothing at all
    return {"FLOAT": "DOUBLE", "HUGEINT": "BIGINT", "UHUGEINT": "BIGINT"}.get(data_type)


def _as_served(column: str, data_type: str) -> str:
    name = ident(column)
    target = bi_type(data_type)
    if target == "VARCHAR":
        return f"CAST(to_json({name}) AS VARCHAR) AS {name}"
    if target is not None:
        return f"CAST({name} AS {target}) AS {name}"
    return name


def write_serving_copy(db: Path | str, tz: str, period_id: str | None = None) -> ServingCopy:
    """Write the serving copy of warehouse `db` and swap it in; for `period_id`, that period's
    rows come from the warehouse and the others' from the previous copy (module docstring)."""
    started = time.monotonic()
    target = serving_path(db)
    with _one_writer(target):
        _remove_leftovers(target)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            rows = _write(db, tz, temporary, target, period_id)
            _flush(temporary)
            os.replace(temporary, target)
            _flush(target.parent)  # the rename itself survives a power cut
        finally:
            for suffix in ("", ".wal", ".previous"):
                temporary.with_name(temporary.name + suffix).unlink(missing_ok=True)
    return ServingCopy(target, rows, target.stat().st_size, time.monotonic() - started)


def _write(
    db: Path | str, tz: str, temporary: Path, previous: Path, period_id: str | None
) -> dict[str, int]:
    con = connect(db, tz, read_only=True)  # waits while another process writes the warehouse
    try:
        warehouse = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH {quote(str(temporary))} AS {_NEW} (READ_WRITE)")
        con.execute(f"CREATE SCHEMA {_NEW}.{SCHEMA}")
        kept = period_id is not None and previous.exists()
        old: dict[str, set[str]] = {}
        if kept:
            _attach_previous(con, previous, temporary)
            old = _columns(con, _OLD)
        rows = {}
        for relation, columns in _relations(con, warehouse).items():
            new = ", ".join(_as_served(c, t) for c, t in columns)
            sql = f"SELECT {new} FROM {ident(warehouse)}.{SCHEMA}.{ident(relation)}"
            params: list[str] = []
            names = {c for c, _ in columns}
            if kept and "period_id" in names and relation in old:
                # every other period as the previous copy served it, in this copy's types
                carried = ", ".join(
                    f"CAST({ident(c)} AS {bi_type(t) or t}) AS {ident(c)}"
                    if c in old[relation]
                    else f"CAST(NULL AS {bi_type(t) or t}) AS {ident(c)}"
                    for c, t in columns
                )
                sql = (
                    f"{sql} WHERE period_id = ? UNION ALL SELECT {carried}"
                    f" FROM {_OLD}.{SCHEMA}.{ident(relation)} WHERE period_id IS DISTINCT FROM ?"
                )
                params = [period_id, period_id]
            table = f"{_NEW}.{SCHEMA}.{ident(relation)}"
            con.execute(f"CREATE TABLE {table} AS {sql}", params)
            rows[relation] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if kept:
            con.execute(f"DETACH {_OLD}")
        con.execute(f"CHECKPOINT {_NEW}")
        con.execute(f"DETACH {_NEW}")
        return rows
    finally:
        con.close()


def _attach_previous(con: duckdb.DuckDBPyConnection, previous: Path, temporary: Path) -> None:
    """The previous copy, read-only; when a reader opened it for writing (the DuckDB CLI without
    -readonly), a copy of its bytes, since the writer never waits for a reader."""
    try:
        con.execute(f"ATTACH {quote(str(previous))} AS {_OLD} (READ_ONLY)")
    except duckdb.IOException as e:
        if "Could not set lock" not in str(e):
            raise
        snapshot = temporary.with_name(temporary.name + ".previous")
        shutil.copyfile(previous, snapshot)
        con.execute(f"ATTACH {quote(str(snapshot))} AS {_OLD} (READ_ONLY)")


def _relations(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    """Each relation of `catalog`'s marts (tables and views) -> its (column, type), in order."""
    relations: dict[str, list[tuple[str, str]]] = {}
    for relation, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns()"
        " WHERE database_name = ? AND schema_name = ? ORDER BY table_name, column_index",
        [catalog, SCHEMA],
    ).fetchall():
        relations.setdefault(relation, []).append((column, data_type))
    return relations


def _columns(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, set[str]]:
    return {name: {c for c, _ in cols} for name, cols in _relations(con, catalog).items()}


def open_serving(db: Path | str, tz: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection on which `marts.*` is the serving copy, each column back in the
    mart's own type (a list is a list again), and `raw.*` the warehouse's raw tables (the event
    watermark, the reference files a build used): what the published report reads. The copy is
    attached rather than opened, so a copy this process opened before the last swap is never
    the one read."""
    served = serving_path(db)
    if not served.exists():
        raise FileNotFoundError(
            f"no serving copy {served}: materialise serving/marts (period_job, publish_job) first"
        )
    con = connect(db, tz, read_only=True)
    try:
        warehouse = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH {quote(str(served))} AS {SERVING_CATALOG} (READ_ONLY)")
        con.execute(f"ATTACH ':memory:' AS {_TYPED} (READ_WRITE)")
        con.execute(f"CREATE SCHEMA {_TYPED}.{SCHEMA}")
        built = _relations(con, warehouse)
        for relation, columns in _relations(con, SERVING_CATALOG).items():
            own = dict(built.get(relation, []))
            typed = ", ".join(_as_built(c, t, own.get(c)) for c, t in columns)
            con.execute(
                f"CREATE VIEW {_TYPED}.{SCHEMA}.{ident(relation)} AS SELECT {typed}"
                f" FROM {SERVING_CATALOG}.{SCHEMA}.{ident(relation)}"
            )
        con.execute(f"USE {_TYPED}")
        con.execute("SET search_path = ?", [f"{_TYPED}.main,{ident(warehouse)}.raw"])
    except BaseException:
        con.close()
        raise
    return con


def _as_built(column: str, served_type: str, own_type: str | None) -> str:
    """A served column as the mart has it: JSON text back into its list, struct or map."""
    name = ident(column)
    if own_type and served_type == "VARCHAR" and bi_type(own_type) == "VARCHAR":
        return f"CAST(CAST({name} AS JSON) AS {own_type}) AS {name}"
    return name


@contextmanager
def _one_writer(target: Path) -> Iterator[None]:
    """One writer of the serving copy at a time, across processes (two runs of different
    periods would otherwise each carry over the other's previous rows)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target.with_name(f".{target.name}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_leftovers(target: Path) -> None:
    """Temporary copies of a writer that was killed (none is being written: we hold the lock)."""
    for leftover in target.parent.glob(f".{target.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
