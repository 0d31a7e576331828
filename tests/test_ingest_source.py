"""Source databases: events read from a SQL table by cursor, against a real PostgreSQL server
that this module starts (a throw-away cluster, tests/postgres.py), and SQLite."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid

import pytest

from ingest.redact import asker_key
from ingest.sources import SourceError, ingest_source, load_sources
from tests.conftest import Warehouse, dossier
from tests.postgres import MISSING, PostgresCluster, free_port, server_bin


@pytest.fixture(scope="session")
def pg():
    if server_bin() is None:  # never skipped: the set-up installs it
        pytest.fail(MISSING, pytrace=False)
    with PostgresCluster() as cluster:
        yield cluster


DOSSIER = {
    "event_id": "text",
    "event_type": "text",
    "occurred_at": "timestamptz",
    "portal_id": "text",
    "source": "text",
    "dossier_id": "text",
    "procedure_code": "text",
    "channel": "text",
    "service_level": "integer",
    "due_at": "timestamptz",
}


class Source:
    """A fresh database of the test cluster holding one table: `event_seq bigserial` and the
    given columns (names as written in the DDL, so '"ASKER_EMAIL"' keeps its case)."""

    def __init__(self, pg: PostgresCluster, columns: dict[str, str], table: str = "events"):
        self.pg = pg
        self.database = "src_" + uuid.uuid4().hex[:12]
        self.url = pg.create_database(self.database)
        self.table = table
        self.name = f"postgresql://127.0.0.1:{pg.port}/{self.database}/{table}"
        self.columns = list(columns)
        self.add_table(table, columns)

    def add_table(self, table: str, columns: dict[str, str]) -> None:
        ddl = ", ".join(f"{name} {type_}" for name, type_ in columns.items())
        with self.pg.connect(self.database, autocommit=True) as con:
            con.execute(f"CREATE TABLE {table} (event_seq bigserial PRIMARY KEY, {ddl})")

    def insert(self, records: list[dict], table: str | None = None) -> None:
        names = ", ".join(self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        with self.pg.connect(self.database, autocommit=True) as con, con.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {table or self.table} ({names}) VALUES ({marks})",
                [[r.get(c.strip('"')) for c in self.columns] for r in records],
            )


def ingest(warehouse: Warehouse, source: Source, stream: str = "dossier", **options):
    return ingest_source(warehouse.settings, source.url, source.table, stream, **options)


def batches(report) -> list[tuple]:
    return [
        (b.cursor_from, b.cursor_to, b.rows_read, b.accepted, b.duplicates, b.quarantined)
        for b in report.files
    ]


def ledger(warehouse: Warehouse) -> list[tuple]:
    return warehouse.query(
        """SELECT cursor_from, cursor_to, rows_read, accepted, duplicates, quarantined
           FROM raw.ingest_ledger WHERE source_kind = 'table' ORDER BY ingested_at"""
    )


def raw_count(warehouse: Warehouse, stream: str = "dossier") -> int:
    return warehouse.scalar(f"SELECT count(*) FROM raw.{stream}_events")


def ready(warehouse: Warehouse) -> Warehouse:
    warehouse.register_portals()
    warehouse.ingest()
    return warehouse


# 25 events, e3 again (a duplicate) and one that breaks the contract: 27 rows
FIRST = [dossier(f"e{i}") for i in range(1, 26)] + [dossier("e3"), dossier("e27", channel="fax")]


def test_ingest_add_rows_ingest_again(pg, warehouse, monkeypatch):
    ready(warehouse)
    source = Source(pg, DOSSIER)
    source.insert(FIRST)
    # the password comes from the environment; it must not reach the warehouse
    monkeypatch.setenv("SOURCE_PASSWORD", "pw-never-stored-7Q")
    source.url = source.url.replace("postgres@", "postgres:${SOURCE_PASSWORD}@")

    report = ingest(warehouse, source, batch_size=10)
    assert batches(report) == [
        ("1", "10", 10, 10, 0, 0),
        ("11", "20", 10, 10, 0, 0),
        ("21", "27", 7, 5, 1, 1),
    ]
    assert raw_count(warehouse) == 25

    source.insert([dossier(f"e{i}") for i in range(28, 33)])
    assert batches(ingest(warehouse, source, batch_size=10)) == [("28", "32", 5, 5, 0, 0)]
    assert ingest(warehouse, source, batch_size=10).files == ()  # nothing new

    assert raw_count(warehouse) == 30
    assert ledger(warehouse) == [
        ("1", "10", 10, 10, 0, 0),
        ("11", "20", 10, 10, 0, 0),
        ("21", "27", 7, 5, 1, 1),
        ("28", "32", 5, 5, 0, 0),
    ]
    assert warehouse.query(
        """SELECT DISTINCT stream, source_file, file_format, status, cursor_column
           FROM raw.ingest_ledger WHERE source_kind = 'table'"""
    ) == [("dossier", source.name, "table", "ingested", "event_seq")]
    assert warehouse.scalar(
        "SELECT bool_and(rows_read = accepted + duplicates + quarantined) FROM raw.ingest_ledger"
    )
    assert warehouse.scalar(
        "SELECT sum(accepted) FROM raw.ingest_ledger WHERE stream = 'dossier'"
    ) == raw_count(warehouse)
    # the rejected row: its batch's 7th row, with its reason
    [(line, event_id, _, codes, _)] = warehouse.quarantine()
    assert (line, event_id, codes) == (7, "e27", ["invalid_value"])
    assert warehouse.query(
        "SELECT DISTINCT source_file FROM raw.dossier_events UNION SELECT source_file"
        " FROM raw.quarantine"
    ) == [(source.name,)]
    for path in warehouse.settings.db.parent.glob("warehouse.duckdb*"):
        assert b"pw-never-stored-7Q" not in path.read_bytes()


def test_a_batch_never_splits_a_cursor_value_and_times_round_trip(pg, warehouse):
    """A commit-time timestamp as the cursor: ties stay in one batch, the ledger keeps the
    values as text, and the next run compares them as timestamps again."""
    ready(warehouse)
    source = Source(pg, DOSSIER | {"committed_at": "timestamptz NOT NULL"})
    stamps = ["2024-01-01T00:00:00+07:00"] * 2 + ["2024-01-01T00:00:01.5+07:00"] * 3
    stamps += ["2024-01-02T00:00:00Z"] + ["2024-01-03T00:00:00Z"] * 2
    source.insert([dossier(f"e{i}", committed_at=s) for i, s in enumerate(stamps)])

    report = ingest(warehouse, source, cursor="committed_at", batch_size=3)
    assert batches(report) == [
        ("2023-12-31T17:00:00+00:00", "2023-12-31T17:00:01.500000+00:00", 5, 5, 0, 0),
        ("2024-01-02T00:00:00+00:00", "2024-01-03T00:00:00+00:00", 3, 3, 0, 0),
    ]
    source.insert([dossier("late", committed_at="2024-01-03T00:00:00.000001Z")])
    assert batches(ingest(warehouse, source, cursor="committed_at", batch_size=3)) == [
        ("2024-01-03T00:00:00.000001+00:00", "2024-01-03T00:00:00.000001+00:00", 1, 1, 0, 0)
    ]
    # the cursor is bookkeeping (in the ledger), not part of the events; another column the
    # contract does not know (here the table's serial) is their extra
    assert warehouse.query("SELECT DISTINCT json_keys(extra) FROM raw.dossier_events") == [
        (["event_seq"],)
    ]
    assert raw_count(warehouse) == 9


def test_reading_a_range_again_adds_nothing(pg, warehouse):
    ready(warehouse)
    source = Source(pg, DOSSIER)
    rows = [dossier(f"e{i}") for i in range(1, 12)] + [dossier("bad", portal_id="nowhere")]
    source.insert(rows)
    assert batches(ingest(warehouse, source, batch_size=5))[-1] == ("11", "12", 2, 1, 0, 1)
    before = (raw_count(warehouse), len(warehouse.quarantine()))
    assert before == (11, 1)

    # from cursor 4 on again: every row is one the warehouse holds (the bad one included)
    again = ingest(warehouse, source, batch_size=50, after="4")
    assert batches(again) == [("5", "12", 8, 0, 8, 0)]
    # the same rows under another table (another source): the events add nothing; the bad
    # record is quarantined for this source too, as the same record in another file would be
    source.add_table("events_copy", DOSSIER)
    source.insert(rows, table="events_copy")
    copy = ingest_source(warehouse.settings, source.url, "events_copy", "dossier")
    assert batches(copy) == [("1", "12", 12, 0, 11, 1)]
    assert (raw_count(warehouse), len(warehouse.quarantine())) == (11, 2)
    # a source read from the start again: its ledger continues where it was
    assert ingest(warehouse, source, batch_size=50).files == ()


def test_a_process_killed_in_the_middle_of_a_batch_leaves_none_of_it(pg, warehouse):
    ready(warehouse)
    source = Source(pg, DOSSIER)
    source.insert(FIRST)
    command = warehouse.ingest_command() + [
        "--source-url", source.url, "--source-table", "events", "--stream", "dossier",
        "--batch-size", "10",
    ]  # fmt: skip
    # the failpoint kills the process when batch 2's rows are written, before its commit
    killed = subprocess.run(
        command,
        env=os.environ | {"PORTAL_WAREHOUSE_FAILPOINT": "source_batch_2_before_commit"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    assert raw_count(warehouse) == 10
    assert ledger(warehouse) == [("1", "10", 10, 10, 0, 0)]
    assert warehouse.quarantine() == []

    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.count(source.name) == 2  # a line per batch
    assert "cursor event_seq: 11 .. 27" in done.stdout
    assert ledger(warehouse) == [
        ("1", "10", 10, 10, 0, 0),
        ("11", "20", 10, 10, 0, 0),
        ("21", "27", 7, 5, 1, 1),
    ]
    assert raw_count(warehouse) == 25
    assert len(warehouse.quarantine()) == 1
    # every stored row belongs to a committed batch of the ledger: no partial batch
    assert warehouse.query(
        """SELECT count(*) FROM (SELECT batch_id FROM raw.dossier_events UNION ALL
                                 SELECT batch_id FROM raw.quarantine)
           WHERE batch_id NOT IN (SELECT batch_id FROM raw.ingest_ledger)"""
    ) == [(0,)]
    assert warehouse.scalar("SELECT count(DISTINCT event_id) FROM raw.dossier_events") == 25


def test_the_same_rows_as_a_file_and_as_a_table_give_the_same_raw_table(pg, tmp_path):
    records = []
    for i in range(1, 9):
        kind = ["received", "resolved", "due_changed", "withdrawn"][i % 4]
        record = dossier(
            f"e{i}",
            kind,
            occurred_at=f"2023-03-0{i}T09:1{i}:00" + ("+07:00" if i % 2 else "Z"),
            procedure_code=None if i % 3 else f"1.00{i}",
        )
        if kind == "due_changed":
            record["due_at"] = f"2023-04-0{i}T17:00:00+07:00"
        record |= {"priority": i, "note": f"ghi chú {i}"}  # unknown keys: the events' extra
        records.append(record)
    records.append(dossier("e9", channel="fax", priority=9, note="ghi chú 9"))  # quarantined
    records.append(dossier("e1", priority=1, note="other payload"))  # a conflict

    from_file = ready(Warehouse(tmp_path / "file"))
    from_file.land("dossier", "d.jsonl", records)
    from_file.ingest()

    from_table = ready(Warehouse(tmp_path / "table"))
    source = Source(pg, DOSSIER | {"priority": "integer", "note": "text"})
    source.insert(records)
    ingest(from_table, source)

    exclude = "EXCLUDE (batch_id, source_file, source_line, ingested_at)"
    query = f"SELECT * {exclude} FROM raw.dossier_events ORDER BY event_id"
    rows = from_file.query(query)
    assert len(rows) == 8
    assert rows == from_table.query(query)
    assert from_file.query("SELECT DISTINCT json_keys(extra) FROM raw.dossier_events") == [
        (["note", "priority"],)
    ]
    quarantined = "SELECT line_number, event_id, reason FROM raw.quarantine ORDER BY 1"
    assert len(from_file.query(quarantined)) == 2
    assert [q[:2] for q in from_file.query(quarantined)] == [
        q[:2] for q in from_table.query(quarantined)
    ]
    assert [q[2].split(" batch ")[0] for q in from_file.query(quarantined)] == [
        q[2].split(" batch ")[0] for q in from_table.query(quarantined)
    ]


PLANTED = ["Nguyễn Thị Planted", "planted.asker@example.vn", "0912 345 678", "bí mật riêng tư"]


def test_bad_rows_are_quarantined_and_personal_columns_never_stored(pg, tmp_path):
    warehouse = ready(Warehouse(tmp_path, pii_key=b"test-key"))
    name, email, phone, body = PLANTED
    columns = {
        "event_id": "text",
        "event_type": "text",
        "occurred_at": "timestamptz",
        "portal_id": "text",
        "question_id": "text",
        "rating": "text",
        '"ASKER_EMAIL"': "text",  # personal, whatever the case
        "asker_name": "text",
        '"Asker_Phone"': "text",
        '"BODY"': "text",
        "contact_note": "text",  # unknown: extra, with emails and phones masked
    }
    source = Source(pg, columns)
    asked = {
        "event_type": "submitted",
        "occurred_at": "2023-05-02T10:00:00+07:00",
        "portal_id": "so-tttt",
        "ASKER_EMAIL": email,
        "asker_name": name,
        "Asker_Phone": phone,
        "BODY": body,
        "contact_note": f"gọi {phone} hoặc {email}",
    }
    source.insert(
        [
            asked | {"event_id": "q1", "question_id": "Q1"},
            asked | {"event_id": "q2", "question_id": "Q2", "portal_id": "unknown"},
            asked | {"event_id": "q3", "question_id": "Q3", "event_type": "rated", "rating": "x"},
            asked | {"event_id": "q4"},  # no question_id
        ]
    )
    report = ingest(warehouse, source, stream="question")
    assert batches(report) == [("1", "4", 4, 1, 0, 3)]
    assert {row[1]: row[3] for row in warehouse.quarantine()} == {
        "q2": ["unknown_portal"],
        "q3": ["invalid_value"],
        "q4": ["missing_field"],
    }
    # the upper-case email column made the asker's key, and went no further
    assert warehouse.scalar("SELECT asker_key FROM raw.question_events") == asker_key(
        b"test-key", name, email, phone
    )
    # a personal column of another stream is not even read
    dossiers = Source(pg, DOSSIER | {'"BODY"': "text"})
    dossiers.insert([dossier("d1", BODY=body)])
    assert batches(ingest(warehouse, dossiers)) == [("1", "1", 1, 1, 0, 0)]
    assert warehouse.scalar("SELECT extra FROM raw.dossier_events") is None

    tables = warehouse.query(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary"
    )
    for schema, table in tables:
        text = warehouse.scalar(
            f'SELECT string_agg(t::VARCHAR, \'|\') FROM "{schema}"."{table}" AS t'
        )
        for planted in PLANTED:
            assert planted not in (text or ""), f"{planted!r} found in {schema}.{table}"
    for path in warehouse.settings.db.parent.glob("warehouse.duckdb*"):
        data = path.read_bytes()
        for planted in PLANTED:
            assert planted.encode() not in data


def test_source_errors_are_one_line_exit_2_and_never_show_the_password(pg, warehouse):
    source = Source(pg, DOSSIER)
    secret = "pw-Zq81-secret"
    base = warehouse.ingest_command()
    table = ["--source-table", "events"]
    dossiers = [*table, "--stream", "dossier"]
    cases = {
        "not a URL": ["--source-url", f"not a url {secret}", *table, "--stream", "dossier"],
        "refused": [
            "--source-url", f"postgresql+psycopg://postgres:{secret}@127.0.0.1:{free_port()}/x",
            *table, "--stream", "dossier",
        ],
        "no such table": [
            "--source-url", source.url.replace("postgres@", f"postgres:{secret}@"),
            "--source-table", "nowhere", "--stream", "dossier",
        ],
        "no cursor": [
            "--source-url", source.url, *table, "--stream", "dossier", "--cursor", "seq",
        ],
        "no stream": ["--source-url", source.url, *table],
        "two streams": ["--source-url", source.url, *dossiers, "--stream", "post"],
        "no table": ["--source-url", source.url, "--stream", "dossier"],
        "cursor without a source": ["--cursor", "event_seq"],
        "batch size 0": ["--source-url", source.url, *dossiers, "--batch-size", "0"],
    }  # fmt: skip
    pipes = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    running = {case: subprocess.Popen(base + args, **pipes) for case, args in cases.items()}
    expected = {
        "not a URL": "is not a SQLAlchemy URL",
        "refused": "Connection refused",
        "no such table": "no table 'nowhere'",
        "no cursor": "no cursor column 'seq'",
        "no stream": "exactly one --stream",
        "two streams": "exactly one --stream",
        "no table": "exactly one --stream",
        "cursor without a source": "go with --source-url",
        "batch size 0": "batch size must be at least 1",
    }
    for case, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 2, (case, out, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (case, err)
        assert err.startswith("error: ") and expected[case] in err, (case, err)
        assert secret not in out + err, case
    assert not warehouse.settings.db.exists()  # the source is checked before the warehouse


def test_sqlite_for_a_quick_try(warehouse, tmp_path, capsys):
    from orchestration.cli import main

    ready(warehouse)
    db = tmp_path / "source.sqlite"
    with sqlite3.connect(db) as con:
        con.execute(
            "CREATE TABLE events (event_seq INTEGER PRIMARY KEY, event_id TEXT, event_type TEXT,"
            " occurred_at TEXT, portal_id TEXT, dossier_id TEXT, channel TEXT,"
            " service_level INTEGER, due_at TEXT)"
        )
        con.executemany(
            "INSERT INTO events (event_id, event_type, occurred_at, portal_id, dossier_id,"
            " channel, service_level, due_at) VALUES (?, 'received', ?, 'so-tttt', ?, ?, 4, ?)",
            [
                (f"s{i}", f"2023-03-0{i}T09:00:00", f"D{i}", "online", "2023-03-09 17:00:00")
                for i in range(1, 6)
            ],
        )
    command = ["ingest", "--db", str(warehouse.settings.db), "--source-url", f"sqlite:///{db}"]
    command += ["--source-table", "events", "--stream", "dossier", "--batch-size", "2"]
    assert main(command) == 0
    out = capsys.readouterr().out
    assert out.count(f"sqlite:///{db}/events") == 3 and "cursor event_seq: 1 .. 5" in out
    # naive text is local time (Asia/Ho_Chi_Minh): 09:00 there is 02:00 UTC
    assert warehouse.query(
        "SELECT strftime(occurred_at AT TIME ZONE 'UTC', '%H:%M'), source_line"
        " FROM raw.dossier_events WHERE event_id = 's1'"
    ) == [("02:00", 1)]
    with sqlite3.connect(db) as con:
        con.execute(
            "INSERT INTO events (event_id, event_type, occurred_at, portal_id, dossier_id,"
            " channel, service_level, due_at) VALUES ('s6', 'received', '2023-03-06T09:00:00Z',"
            " 'so-tttt', 'D6', 'counter', 3, '2023-03-09T17:00:00+07:00')"
        )
    assert main(command) == 0
    assert "cursor event_seq: 6 .. 6" in capsys.readouterr().out
    assert raw_count(warehouse) == 6


def test_configured_sources_become_dagster_assets(warehouse, tmp_path, monkeypatch):
    import dagster as dg

    from orchestration.assets.sources import configured_source_assets
    from orchestration.resources import WarehouseResource

    ready(warehouse)
    db = tmp_path / "cms.sqlite"
    with sqlite3.connect(db) as con:
        con.execute(
            "CREATE TABLE dossier_events (seq INTEGER PRIMARY KEY, event_id TEXT,"
            " event_type TEXT, occurred_at TEXT, portal_id TEXT, dossier_id TEXT)"
        )
        con.executemany(
            "INSERT INTO dossier_events (event_id, event_type, occurred_at, portal_id, dossier_id)"
            " VALUES (?, 'withdrawn', '2023-03-01T09:00:00', 'so-tttt', ?)",
            [(f"w{i}", f"D{i}") for i in range(3)],
        )
    config = tmp_path / "sources.toml"
    config.write_text(
        '[[source]]\nname = "cms_dossiers"\nurl = "sqlite:///${CMS_DB}"\n'
        'table = "dossier_events"\nstream = "dossier"\ncursor = "seq"\nbatch_size = 2\n'
    )
    monkeypatch.setenv("CMS_DB", str(db))  # read when the asset runs
    monkeypatch.delenv("PORTAL_WAREHOUSE_SOURCES", raising=False)
    assert configured_source_assets() == []  # no variable, no sources
    monkeypatch.setenv("PORTAL_WAREHOUSE_SOURCES", str(config))
    [asset] = configured_source_assets()
    assert asset.key == dg.AssetKey(["raw", "source", "cms_dossiers"])
    assert asset.group_names_by_key[asset.key] == "raw"
    resource = WarehouseResource(db=str(warehouse.settings.db), landing=str(warehouse.landing))
    result = dg.materialize([asset], resources={"warehouse": resource})
    [materialization] = result.asset_materializations_for_node(asset.node_def.name)
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert (metadata["batches"], metadata["accepted"], metadata["cursor_to"]) == (2, 3, "3")
    assert metadata["source"] == f"sqlite:///{db}/dossier_events"
    assert raw_count(warehouse) == 3


@pytest.mark.parametrize(
    "text, problem",
    [
        ("[[source]]\nname = 'a'\n", "missing url, table, stream"),
        ("[[source]]\nname='a b'\nurl='sqlite://'\ntable='t'\nstream='dossier'\n", "name 'a b'"),
        ("[[source]]\nname='a'\nurl='sqlite://'\ntable='t'\nstream='dossiers'\n", "stream"),
        ("[[source]]\nname='a'\nurl='x'\ntable='t'\nstream='post'\nport=1\n", "unknown key"),
        ("[[source]\n", "sources file"),
    ],
)
def test_a_bad_sources_file_is_one_line(tmp_path, text, problem):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(SourceError) as error:
        load_sources(path)
    assert problem in str(error.value) and "\n" not in str(error.value)
