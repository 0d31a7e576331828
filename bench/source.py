"""A source database's throughput (PostgreSQL) against a plain COPY + DuckDB baseline.

Starts a throw-away PostgreSQL cluster (tests/postgres.py: Debian's server, which `make test`
installs), loads clean generated dossier events into a table with a `bigserial` cursor (COPY
FROM, not timed), then times in fresh processes (so that peak RSS is each one's own):
- ours: `ingest.sources.ingest_source` from the table into a fresh warehouse whose registry was
  ingested beforehand (not timed): batches of --batch-size rows, each validated, checked for
  duplicates and committed with its ledger row;
- baseline: `COPY (SELECT … ORDER BY event_seq) TO STDOUT (FORMAT csv)` through psycopg into a
  CSV file, then DuckDB's `INSERT INTO … SELECT … FROM read_csv(…)` with an anti-join on
  event_id into a fresh file — what one would write by hand (DuckDB's postgres extension
  cannot be downloaded here).
The PostgreSQL server runs on the same two cores in both; its memory is not in either RSS.

    python bench/source.py                    # 1M events (about 2 minutes)
    python bench/source.py --sizes 200000     # a quick look
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLUMNS = {
    "event_id": ("text", "VARCHAR"),
    "event_type": ("text", "VARCHAR"),
    "occurred_at": ("timestamptz", "TIMESTAMPTZ"),
    "portal_id": ("text", "VARCHAR"),
    "source": ("text", "VARCHAR"),
    "dossier_id": ("text", "VARCHAR"),
    "procedure_code": ("text", "VARCHAR"),
    "channel": ("text", "VARCHAR"),
    "service_level": ("integer", "INTEGER"),
    "due_at": ("timestamptz", "TIMESTAMPTZ"),
}
TABLE = "dossier_events"


def load_source(n: int, url: str, folder: Path) -> None:
    """The events into PostgreSQL (COPY FROM a CSV file), and the registry as Parquet."""
    import psycopg

    from sample import dossier_events, portal_registry

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    events = dossier_events(n)  # noqa: F841 (read by DuckDB's replacement scan)
    registry = portal_registry()  # noqa: F841
    (folder / "portal").mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY registry TO '{folder}/portal/registry.parquet' (FORMAT parquet)")
    csv = folder / "events.csv"
    con.execute(f"COPY (SELECT {', '.join(COLUMNS)} FROM events) TO '{csv}' (HEADER)")
    ddl = ", ".join(f"{name} {pg_type}" for name, (pg_type, _) in COLUMNS.items())
    with psycopg.connect(conninfo(url), autocommit=True) as pgcon:
        pgcon.execute(f"CREATE TABLE {TABLE} (event_seq bigserial PRIMARY KEY, {ddl})")
        with (
            pgcon.cursor().copy(
                f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT csv, HEADER)"
            ) as copy,
            open(csv, "rb") as f,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        pgcon.execute(f"VACUUM ANALYZE {TABLE}")
    csv.unlink()


def conninfo(url: str) -> str:
    """libpq's form of the SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def child_ours(url: str, registry: Path, work: Path, batch_size: int) -> dict:
    from ingest.loader import ingest_landing
    from ingest.settings import Settings
    from ingest.sources import SourceTable, ingest_source

    landing = work / "landing"
    (landing / "portal").mkdir(parents=True)
    shutil.copy(registry, landing / "portal" / registry.name)  # a symlink out is rejected
    settings = Settings.from_env(landing=landing, db=work / "ours.duckdb")
    ingest_landing(settings, streams=["portal"])

    # the time spent reading the source (queries, rows, Arrow), in the reader's thread: most
    # of it while the warehouse takes the batch before
    reading = [0.0]
    read = SourceTable.read

    def timed_read(*args, **kwargs):
        started = time.perf_counter()
        try:
            return read(*args, **kwargs)
        finally:
            reading[0] += time.perf_counter() - started

    SourceTable.read = timed_read
    started = time.perf_counter()
    report = ingest_source(settings, url, TABLE, "dossier", batch_size=batch_size)
    seconds = time.perf_counter() - started
    totals = report.totals()
    assert totals["rows_read"] == totals["accepted"], totals
    return {
        "seconds": seconds,
        "reading": reading[0],
        "accepted": totals["accepted"],
        "batches": len(report.files),
    }


def child_baseline(url: str, work: Path) -> dict:
    import psycopg

    csv = work / "events.csv"
    started = time.perf_counter()
    query = f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY event_seq"
    copy_out = f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER)"
    with (
        psycopg.connect(conninfo(url)) as pgcon,
        open(csv, "wb") as f,
        pgcon.cursor().copy(copy_out) as copy,
    ):
        for chunk in copy:
            f.write(chunk)
    copied = time.perf_counter() - started
    types = ", ".join(f"'{name}': '{duck}'" for name, (_, duck) in COLUMNS.items())
    reader = f"read_csv('{csv}', header = true, columns = {{{types}}})"
    con = duckdb.connect(str(work / "baseline.duckdb"))
    con.execute(f"CREATE TABLE dossier_events AS SELECT * FROM {reader} LIMIT 0")
    con.execute(f"""
        INSERT INTO dossier_events
        SELECT * FROM {reader} AS src
        WHERE NOT EXISTS (SELECT 1 FROM dossier_events AS d WHERE d.event_id = src.event_id)
    """)
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    accepted = con.execute("SELECT count(*) FROM dossier_events").fetchone()[0]
    return {"seconds": seconds, "reading": copied, "accepted": accepted}


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=False, capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(f"{args[0]} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_of(repeat: int, kind: str, *args: str) -> dict:
    """The fastest of `repeat` runs, each in a fresh process and a fresh warehouse folder."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix=f"bench-source-{kind}-") as work:
            runs.append(run_child(kind, *args, work))
    return min(runs, key=lambda r: r["seconds"]) | {
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)
    }


def main() -> None:
    from ingest.sources import DEFAULT_BATCH_SIZE

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, *rest = args.child
        if kind == "load":  # in its own process, so the runs below do not inherit its memory
            url, n, folder = rest
            load_source(int(n), url, Path(folder))
            print("{}")
            return
        if kind == "ours":
            url, registry, batch_size, work = rest
            result = child_ours(url, Path(registry), Path(work), int(batch_size))
        else:
            url, work = rest
            result = child_baseline(url, Path(work))
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    from tests.postgres import PostgresCluster

    print(
        f"{'events':>11} {'batch':>7} {'ours s':>8} {'events/s':>10} {'reading':>8} "
        f"{'RSS MB':>7} {'base s':>7} {'COPY s':>7} {'base RSS':>8} {'ratio':>6}"
    )
    for n in args.sizes:
        with (
            PostgresCluster(prefix="bench-source-pg-") as pg,
            tempfile.TemporaryDirectory(prefix="bench-source-") as tmp,
        ):
            tmp = Path(tmp)
            database = f"events_{n}"
            url = pg.create_database(database)
            run_child("load", url, str(n), str(tmp))
            registry = tmp / "portal" / "registry.parquet"
            ours = best_of(args.repeat, "ours", url, str(registry), str(args.batch_size))
            base = best_of(args.repeat, "baseline", url)
            assert ours["accepted"] == base["accepted"], (ours, base)
            ratio = ours["seconds"] / base["seconds"]
            print(
                f"{ours['accepted']:>11,} {args.batch_size:>7,} {ours['seconds']:>8.2f} "
                f"{ours['accepted'] / ours['seconds']:>10,.0f} {ours['reading']:>8.2f} "
                f"{ours['peak_rss_mb']:>7.0f} {base['seconds']:>7.2f} {base['reading']:>7.2f} "
                f"{base['peak_rss_mb']:>8.0f} {ratio:>5.2f}x",
                flush=True,
            )
    print(
        "reading: ours' time reading the source (queries, rows, Arrow), in a thread of its own"
        " while the warehouse takes the batch before; COPY s: the baseline's COPY TO STDOUT"
        " into its CSV file"
    )


if __name__ == "__main__":
    main()
