"""Readers and the writer apart: the serving copy BI reads while a period runs, its swap, its
types, and a writer that waits for the warehouse's lock and then says who holds it.

One small warehouse (three portals, a few dossiers, period 2023-Q1) is built for the module."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from ingest.errors import IN_USE
from orchestration.definitions import defs
from orchestration.resources import WarehouseResource
from orchestration.runs import CONTRACT_BLOCKED, run_period
from publish.serving import serving_path, write_serving_copy
from tests.conftest import Warehouse, dossier

PERIOD = "2023-Q1"
TZ = "Asia/Ho_Chi_Minh"
TOTAL = "SELECT total FROM marts.appendix_03_dossiers WHERE period_id = ? AND portal_id = 'so-tttt'"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("serving"))
    warehouse.register_portals()
    warehouse.land(
        "dossier", "a.jsonl", [dossier("e1"), dossier("e2", "resolved", dossier_id="D-e1")]
    )
    outcome = run_period(defs, PERIOD, resources=warehouse.resources())
    assert outcome.exit_code == 0, outcome.summary()
    return warehouse


def served(db: Path, sql: str, params=None) -> list[tuple]:
    """What a reader opening the serving copy now sees (DuckDB shares an open file among a
    process's connections: every other connection on it must be closed first)."""
    with duckdb.connect(str(serving_path(db)), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# A BI client in its own process: a new SQLAlchemy connection per query (NullPool), so each read
# opens the copy in place at that moment, until the stop file appears; one JSON line per read.
READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    url, stop, query, period = sys.argv[1:5]
    engine = sa.create_engine(url, poolclass=NullPool)
    reads = 0
    while reads < 30 or not Path(stop).exists():
        try:
            with engine.connect() as con:
                value = con.execute(sa.text(query), {"period": period}).scalar()
            print(json.dumps({"value": value}), flush=True)
        except Exception as e:
            print(json.dumps({"error": " ".join(str(e).split())[:300]}), flush=True)
        reads += 1
        time.sleep(0.1)
""")


def url(db: Path) -> str:
    return f"duckdb:///{serving_path(db).resolve()}?access_mode=read_only"


def test_bi_reads_the_serving_copy_in_a_loop_while_a_period_runs(built):
    db = built.settings.db
    stop = db.parent / "reader.stop"
    query = TOTAL.replace("?", ":period")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, url(db), str(stop), query, PERIOD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # and a dashboard that keeps its read-only connection open through the run
    held = duckdb.connect(str(serving_path(db)), read_only=True)
    try:
        first = reader.stdout.readline()  # the reader is reading before the run starts
        assert json.loads(first) == {"value": 1}, first
        built.land("dossier", "b.jsonl", [dossier("e3", dossier_id="D-e3")])
        outcome = run_period(defs, PERIOD, resources=built.resources())
        assert outcome.exit_code == 0, outcome.summary()
        # the held connection still reads the copy it opened, whole
        assert held.execute(TOTAL, [PERIOD]).fetchall() == [(1,)]
    finally:
        held.close()
        stop.touch()
        out, err = reader.communicate(timeout=120)
    reads = [json.loads(line) for line in (first + out).splitlines()]
    assert reader.returncode == 0, err
    assert len(reads) >= 30
    assert [r for r in reads if "error" in r] == []
    values = [r["value"] for r in reads]
    assert set(values) <= {1, 2}  # the old copy or the new one
    assert values[-1] == 2  # the reads after the swap see the new one
    assert served(db, TOTAL, [PERIOD]) == [(2,)]


def test_a_writer_waits_for_the_lock_then_names_who_holds_it(built, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built.settings.db, db)
    env = {**os.environ, "PORTAL_WAREHOUSE_LOCK_TIMEOUT": "2"}
    ingest = [sys.executable, "-m", "orchestration.cli", "ingest"]
    ingest += ["--landing", str(built.landing), "--db", str(db)]
    run = [sys.executable, "-m", "orchestration.cli", "run", "--period", PERIOD]
    run += ["--landing", str(built.landing), "--db", str(db), "--publish", str(tmp_path / "p")]
    with duckdb.connect(str(db)):  # another process's writer, say a BI tool opened read-write
        for command in (ingest, run):
            started = time.monotonic()
            result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            waited = time.monotonic() - started
            assert result.returncode == IN_USE, result.stderr
            errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
            assert len(errors) == 1, result.stderr
            assert "Traceback" not in result.stderr
            assert f"{db} is in use by /" in errors[0]  # the program holding it, and its PID
            assert f"(PID {os.getpid()})" in errors[0]
            assert "waited 2 s; PORTAL_WAREHOUSE_LOCK_TIMEOUT" in errors[0]
            assert waited >= 2


def test_every_served_relation_reflects_through_sqlalchemy_in_types_bi_knows(built):
    db = built.settings.db
    warehouse_columns = _columns(db)
    served_columns = _columns(serving_path(db))
    # the marts' relations and columns, in order: BI's SQL and MARTS.md's contract hold
    assert {r: [c for c, _ in cols] for r, cols in served_columns.items()} == {
        r: [c for c, _ in cols] for r, cols in warehouse_columns.items()
    }
    assert {"appendix_03_dossiers", "dim_portal", "portal_lineage"} <= set(served_columns)
    nested_or_float = [
        (r, c, t)
        for r, cols in served_columns.items()
        for c, t in cols
        if t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION")) or t in ("FLOAT", "HUGEINT")
    ]
    assert nested_or_float == []
    # rates and scores are DOUBLE or DECIMAL in the marts themselves, not 32-bit floats
    assert [(r, c) for r, cols in warehouse_columns.items() for c, t in cols if t == "FLOAT"] == []

    engine = sa.create_engine(url(db))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            inspector = sa.inspect(engine)
            reflected = {
                table: inspector.get_columns(table, schema="marts")
                for table in inspector.get_table_names(schema="marts")
            }
        assert [str(w.message) for w in caught] == []
        assert set(reflected) == set(served_columns)
        # every column has a type (duckdb_engine says FLOAT for DOUBLE too: DuckDB's names above)
        untyped = [
            (table, column["name"])
            for table, columns in reflected.items()
            for column in columns
            if isinstance(column["type"], sa.types.NullType | sa.types.ARRAY)
        ]
        assert untyped == []
    finally:
        engine.dispose()


def _columns(path: Path) -> dict[str, list[tuple[str, str]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        found = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns()"
            " WHERE schema_name = 'marts' ORDER BY table_name, column_index"
        ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in found:
        columns.setdefault(table, []).append((column, data_type))
    return columns


def test_the_swap_keeps_the_old_copy_for_open_readers_and_only_checked_periods(built, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built.settings.db, db)
    first = write_serving_copy(db, TZ)  # the first copy: every period as built
    (total,) = served(db, TOTAL, [PERIOD])[0]
    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE marts.appendix_03_dossiers SET total = total + 10 WHERE period_id = ?",
            [PERIOD],
        )
        # another period's rows that no passing build wrote: they stay out of the copy
        con.execute(
            "INSERT INTO marts.appendix_03_dossiers SELECT * REPLACE ('2022-Q4' AS period_id)"
            " FROM marts.appendix_03_dossiers WHERE period_id = ?",
            [PERIOD],
        )
    held = duckdb.connect(str(serving_path(db)), read_only=True)
    try:
        second = write_serving_copy(db, TZ, PERIOD)
        assert held.execute(TOTAL, [PERIOD]).fetchall() == [(total,)]  # the copy it opened
    finally:
        held.close()
    assert second.path == first.path == serving_path(db)
    assert second.rows["appendix_03_dossiers"] == first.rows["appendix_03_dossiers"]
    assert served(db, TOTAL, [PERIOD]) == [(total + 10,)]
    assert served(
        db, "SELECT count(*) FROM marts.appendix_03_dossiers WHERE period_id = ?", ["2022-Q4"]
    ) == [(0,)]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".wal"))]
    assert leftovers == []


def test_a_period_that_fails_its_contract_never_reaches_the_serving_copy(built, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built.settings.db, db)
    shutil.copy(serving_path(built.settings.db), serving_path(db))
    before = serving_path(db).stat()
    with duckdb.connect(str(db)) as con:  # resolutions never received: appendix 03's contract
        con.execute(
            "UPDATE marts.appendix_03_dossiers SET resolved = resolved + 100,"
            " resolved_l4_early = resolved_l4_early + 100, in_progress = in_progress - 100"
            " WHERE period_id = ?",
            [PERIOD],
        )
    outcome = run_period(
        defs,
        PERIOD,
        resources={
            "warehouse": WarehouseResource(
                landing=str(built.landing), db=str(db), publish=str(tmp_path / "publish")
            )
        },
        job_name="publish_job",
    )
    assert outcome.exit_code == CONTRACT_BLOCKED, outcome.summary()
    after = serving_path(db).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_reader_that_opened_the_copy_for_writing_does_not_stop_the_writer(built, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built.settings.db, db)
    write_serving_copy(db, TZ)
    # the DuckDB CLI without -readonly, say: it holds the copy's write lock
    code = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print(1, flush=True);"
    code += " time.sleep(60)"
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(serving_path(db))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "1"
        copy = write_serving_copy(db, TZ, PERIOD)  # it reads a copy of the held file's bytes
    finally:
        holder.kill()
        holder.wait()
    assert copy.rows["appendix_03_dossiers"] > 0
    assert served(db, TOTAL, [PERIOD]) == built.query(TOTAL, [PERIOD])
