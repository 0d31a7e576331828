"""The landing folder taken literally and one file at a time: names that look like patterns or
are not UTF-8, symlinks, entries that are not deliveries, unknown streams, files still being
written, and a truncated file completed later."""

from __future__ import annotations

import gzip
import os
import time

import dagster as dg
import duckdb
import pytest

from ingest.landing import Skipped, discover
from orchestration.assets.ingest import raw_events, raw_key
from orchestration.cli import main
from orchestration.resources import WarehouseResource
from orchestration.sensors import landing_sensor
from tests.conftest import Warehouse, dossier, encode

STREAMS = "portal, post, question, dossier, assessment, channel"


def events_by_file(warehouse: Warehouse) -> dict[str, list[str]]:
    rows = warehouse.query(
        "SELECT source_file, list(event_id ORDER BY event_id) FROM raw.dossier_events"
        " GROUP BY ALL ORDER BY 1"
    )
    return dict(rows)


def ledger(warehouse: Warehouse) -> list[tuple]:
    return warehouse.query(
        "SELECT source_file, status, rows_read, accepted, duplicates, quarantined, error"
        " FROM raw.ingest_ledger WHERE stream = 'dossier' ORDER BY ingested_at, source_file"
    )


def balanced(warehouse: Warehouse) -> bool:
    """Every ledger row balances, and raw holds exactly what the ledger says it accepted."""
    unbalanced = warehouse.scalar(
        "SELECT count(*) FROM raw.ingest_ledger"
        " WHERE rows_read <> accepted + duplicates + quarantined"
    )
    accepted = warehouse.scalar(
        "SELECT coalesce(sum(accepted), 0) FROM raw.ingest_ledger WHERE stream = 'dossier'"
    )
    held = warehouse.scalar("SELECT count(*) FROM raw.dossier_events")
    distinct = warehouse.scalar("SELECT count(DISTINCT event_id) FROM raw.dossier_events")
    return unbalanced == 0 and accepted == held == distinct


# --- a name is a name, never a pattern --------------------------------------------------------


def test_glob_characters_in_a_name_read_that_file_only(warehouse):
    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("a1"), dossier("a2")])
    warehouse.land("dossier", "ab.jsonl", [dossier("b1")])
    warehouse.land("dossier", "a*.jsonl", [dossier("s1"), dossier("s2"), dossier("s3")])
    warehouse.land("dossier", "x1.parquet", [dossier("x1")])
    warehouse.land("dossier", "x[1].parquet", [dossier("k1"), dossier("k2")])
    report = warehouse.ingest()
    assert {f.source_file: f.status for f in report.files[1:]} == {
        "dossier/a.jsonl": "ingested",
        "dossier/ab.jsonl": "ingested",
        "dossier/a*.jsonl": "ingested",
        "dossier/x1.parquet": "ingested",
        "dossier/x[1].parquet": "ingested",
    }
    assert events_by_file(warehouse) == {
        "dossier/a*.jsonl": ["s1", "s2", "s3"],
        "dossier/a.jsonl": ["a1", "a2"],
        "dossier/ab.jsonl": ["b1"],
        "dossier/x1.parquet": ["x1"],
        "dossier/x[1].parquet": ["k1", "k2"],
    }
    assert [row[:6] for row in ledger(warehouse)] == [
        ("dossier/a.jsonl", "ingested", 2, 2, 0, 0),
        ("dossier/ab.jsonl", "ingested", 1, 1, 0, 0),
        ("dossier/a*.jsonl", "ingested", 3, 3, 0, 0),
        ("dossier/x1.parquet", "ingested", 1, 1, 0, 0),
        ("dossier/x[1].parquet", "ingested", 2, 2, 0, 0),
    ]
    assert warehouse.scalar("SELECT count(*) FROM raw.quarantine") == 0
    assert balanced(warehouse)


def test_a_question_mark_name_keeps_the_ledger_balanced_run_after_run(warehouse):
    warehouse.register_portals()
    warehouse.land("dossier", "pa.parquet", [dossier("p1"), dossier("p2")])
    warehouse.land("dossier", "p?.parquet", [dossier("q1"), dossier("q2"), dossier("q3")])
    warehouse.ingest()
    assert [row[:6] for row in ledger(warehouse)] == [
        ("dossier/pa.parquet", "ingested", 2, 2, 0, 0),
        ("dossier/p?.parquet", "ingested", 3, 3, 0, 0),
    ]
    assert events_by_file(warehouse) == {
        "dossier/p?.parquet": ["q1", "q2", "q3"],
        "dossier/pa.parquet": ["p1", "p2"],
    }
    assert balanced(warehouse)
    # later runs work: nothing again, and a new file next to them is taken once
    assert {f.status for f in warehouse.ingest().files} == {"already_ingested"}
    warehouse.land("dossier", "pb.parquet", [dossier("r1")])
    third = warehouse.ingest()
    assert [(f.source_file, f.status) for f in third.files if f.status != "already_ingested"] == [
        ("dossier/pb.parquet", "ingested")
    ]
    assert warehouse.scalar("SELECT count(*) FROM raw.ingest_ledger WHERE stream = 'dossier'") == 3
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 6
    assert balanced(warehouse)


# --- rejected: recorded with the reason, never read, never stopping the others ----------------


def test_a_name_that_is_not_utf8_is_rejected_and_the_others_are_ingested(warehouse, capsys):
    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("a1")])
    folder = bytes(warehouse.landing / "dossier")
    fd = os.open(folder + b"/caf\xe9.jsonl", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, encode("x.jsonl", [dossier("latin1")]))
    os.close(fd)
    warehouse.land("dossier", "z.jsonl", [dossier("z1")])
    db, landing = str(warehouse.settings.db), str(warehouse.landing)

    assert main(["ingest", "--landing", landing, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "dossier/caf\\xe9.jsonl" in out and "rejected" in out
    name = "dossier/caf\\xe9.jsonl"  # the byte as an escape
    rows = {row[0]: row for row in ledger(warehouse)}
    assert rows[name][1:6] == ("rejected", 0, 0, 0, 0)
    assert "not UTF-8" in rows[name][6]
    assert rows["dossier/a.jsonl"][1:4] == ("ingested", 1, 1)
    assert rows["dossier/z.jsonl"][1:4] == ("ingested", 1, 1)
    assert warehouse.query(
        "SELECT source_file, line_number, reason_codes, starts_with(reason, 'rejected_file: ')"
        " FROM raw.quarantine WHERE released_at IS NULL"
    ) == [(name, None, ["rejected_file"], True)]
    assert events_by_file(warehouse) == {"dossier/a.jsonl": ["a1"], "dossier/z.jsonl": ["z1"]}

    # recorded once: a second run adds no row, and status names the file
    assert main(["ingest", "--landing", landing, "--db", db]) == 0
    assert warehouse.scalar("SELECT count(*) FROM raw.ingest_ledger") == 4
    assert warehouse.scalar("SELECT count(*) FROM raw.quarantine") == 1
    capsys.readouterr()
    assert main(["status", "--db", db, "--landing", landing]) == 0
    status = capsys.readouterr().out
    assert f"{name}: file name is not UTF-8" in status
    assert "rejected_file" in status


PLANTED = "planted-outside-7c1e5a"


def test_a_symlink_out_of_the_landing_folder_is_rejected_unread(warehouse, tmp_path):
    warehouse.register_portals()
    outside = tmp_path / "elsewhere" / "secret.jsonl"
    outside.parent.mkdir()
    outside.write_bytes(encode("x.jsonl", [dossier(PLANTED, dossier_id=PLANTED)]))
    warehouse.land("dossier", "a.jsonl", [dossier("a1")])
    (warehouse.landing / "dossier" / "out.jsonl").symlink_to(outside)
    (warehouse.landing / "dossier" / "up.jsonl").symlink_to("../../elsewhere/secret.jsonl")
    report = warehouse.ingest()
    rejected = {f.source_file: f.error for f in report.files if f.status == "rejected"}
    assert set(rejected) == {"dossier/out.jsonl", "dossier/up.jsonl"}
    assert all("symlink leading out of the landing folder" in e for e in rejected.values())
    assert [row[:6] for row in ledger(warehouse)] == [
        ("dossier/a.jsonl", "ingested", 1, 1, 0, 0),
        ("dossier/out.jsonl", "rejected", 0, 0, 0, 0),
        ("dossier/up.jsonl", "rejected", 0, 0, 0, 0),
    ]
    assert warehouse.query(
        "SELECT source_file, reason_codes FROM raw.quarantine ORDER BY source_file"
    ) == [("dossier/out.jsonl", ["rejected_file"]), ("dossier/up.jsonl", ["rejected_file"])]
    assert events_by_file(warehouse) == {"dossier/a.jsonl": ["a1"]}
    assert (
        warehouse.scalar("SELECT sha256 FROM raw.ingest_ledger WHERE status = 'rejected'") is None
    )
    # its content is nowhere: not in any table, not in the file
    for schema, table in warehouse.query(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary"
    ):
        text = warehouse.scalar(f'SELECT string_agg(t::VARCHAR, \'|\') FROM "{schema}"."{table}" t')
        assert PLANTED not in (text or ""), f"{schema}.{table}"
    assert PLANTED.encode() not in warehouse.settings.db.read_bytes()
    assert {f.status for f in warehouse.ingest().files} == {"already_ingested"}  # once


def test_a_symlink_within_the_landing_folder_is_read_through(warehouse):
    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("a1"), dossier("a2")])
    (warehouse.landing / "dossier" / "alias.jsonl").symlink_to("a.jsonl")
    archive = warehouse.landing / "archive"  # a folder that is no stream's: listed as skipped
    archive.mkdir()
    (archive / "b.jsonl").write_bytes(encode("b.jsonl", [dossier("b1")]))
    os.utime(archive / "b.jsonl", (1_750_000_000, 1_750_000_000))
    (warehouse.landing / "dossier" / "b.jsonl").symlink_to("../archive/b.jsonl")
    report = warehouse.ingest()
    assert [(f.source_file, f.status) for f in report.files[1:]] == [
        ("dossier/a.jsonl", "ingested"),
        ("dossier/alias.jsonl", "same_content"),  # the same bytes: counted once
        ("dossier/b.jsonl", "ingested"),
    ]
    assert events_by_file(warehouse) == {"dossier/a.jsonl": ["a1", "a2"], "dossier/b.jsonl": ["b1"]}
    assert report.skipped == (
        Skipped("archive", f"not a stream's folder (the streams are {STREAMS})"),
    )
    assert balanced(warehouse)


# --- skipped: listed with the reason, in the report and in status, never recorded -------------


def test_entries_that_are_not_deliveries_are_listed_as_skipped(warehouse, capsys):
    warehouse.register_portals()
    landing = warehouse.landing
    warehouse.land("dossier", "a.jsonl", [dossier("a1")])
    (landing / "dossiers").mkdir()  # misspelt stream folder
    (landing / "dossiers" / "d.jsonl").write_bytes(encode("d.jsonl", [dossier("m1")]))
    (landing / "dossier" / "2023").mkdir()  # a nested folder
    (landing / "dossier" / "2023" / "d.jsonl").write_bytes(encode("d.jsonl", [dossier("n1")]))
    (landing / "notes.jsonl").write_bytes(encode("d.jsonl", [dossier("t1")]))  # not in a stream
    (landing / "dossier" / ".partial.jsonl").write_bytes(b"{")
    os.mkfifo(landing / "dossier" / "pipe.jsonl")  # reading it would block
    (landing / "dossier" / "gone.jsonl").symlink_to("nowhere.jsonl")
    (landing / "dossier" / "loop1.jsonl").symlink_to("loop2.jsonl")
    (landing / "dossier" / "loop2.jsonl").symlink_to("loop1.jsonl")
    expected = [
        ("dossiers", f"not a stream's folder (the streams are {STREAMS})"),
        ("notes.jsonl", "not in a stream's folder: files land in <stream>/"),
        ("dossier/.partial.jsonl", "hidden (its name starts with '.')"),
        ("dossier/2023", "a folder inside a stream's folder: only its files are taken"),
        ("dossier/gone.jsonl", "symlink to nothing"),
        ("dossier/loop1.jsonl", "symlink that cannot be followed"),
        ("dossier/loop2.jsonl", "symlink that cannot be followed"),
        ("dossier/pipe.jsonl", "not a regular file"),
    ]
    db, folder = str(warehouse.settings.db), str(landing)
    for _ in range(2):  # listed on every run, recorded on none
        assert main(["ingest", "--landing", folder, "--db", db]) == 0
        out = capsys.readouterr().out
        for path, reason in expected:
            assert f"{path:<48} skipped: {reason}" in out
        assert f"{len(expected)} skipped" in out
    report = warehouse.ingest()
    assert [(s.path, s.reason.split(" (", 1)[0]) for s in report.skipped] == [
        (p, r.split(" (", 1)[0]) for p, r in expected
    ]
    assert warehouse.query("SELECT source_file, status FROM raw.ingest_ledger ORDER BY 1") == [
        ("dossier/a.jsonl", "ingested"),
        ("portal/registry.jsonl", "ingested"),
    ]
    assert events_by_file(warehouse) == {"dossier/a.jsonl": ["a1"]}
    assert warehouse.scalar("SELECT count(*) FROM raw.quarantine") == 0
    assert main(["status", "--db", db, "--landing", folder]) == 0
    status = capsys.readouterr().out
    assert "Skipped in the landing folder" in status
    for path, reason in expected:
        assert f"  {path}: {reason}" in status


def test_an_unknown_stream_is_an_error(warehouse, capsys):
    warehouse.register_portals()
    db, landing = warehouse.settings.db, str(warehouse.landing)
    assert main(["ingest", "--stream", "dossiers", "--landing", landing, "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: unknown stream 'dossiers'; the streams are {STREAMS}"]
    assert not db.exists()  # nothing was done
    with pytest.raises(ValueError, match="unknown stream 'dossiers'"):
        warehouse.ingest(streams=["dossier", "dossiers"])


# --- a file still being written ------------------------------------------------------------


def test_a_file_modified_just_now_waits_for_the_settle_interval(warehouse, monkeypatch):
    monkeypatch.setenv("PORTAL_WAREHOUSE_SETTLE_SECONDS", "30")
    warehouse.register_portals()  # modified long ago
    fresh = warehouse.land("dossier", "fresh.jsonl", [dossier("f1"), dossier("f2")])
    os.utime(fresh)  # now: it may still be being written

    report = warehouse.ingest(settle_seconds=30)  # the schedule's and the sensor's runs
    assert [(f.source_file, f.status) for f in report.files] == [
        ("portal/registry.jsonl", "ingested")
    ]
    [skipped] = report.skipped
    assert skipped.path == "dossier/fresh.jsonl"
    assert skipped.reason.startswith("still being written (modified ")
    assert warehouse.scalar("SELECT count(*) FROM raw.ingest_ledger WHERE stream = 'dossier'") == 0

    # the landing sensor leaves it for a later tick, then asks for it once it has held still
    resources = {
        "warehouse": WarehouseResource(
            landing=str(warehouse.landing), db=str(warehouse.settings.db)
        )
    }
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=resources)
        waiting = landing_sensor(context)
        assert isinstance(waiting, dg.RunRequest)  # the registry is new to the sensor
        assert set(waiting.asset_selection) == {raw_key("portal")}
        again = dg.build_sensor_context(
            instance=instance, resources=resources, cursor=context.cursor
        )
        assert "1 still being written" in landing_sensor(again).skip_message
        # a run the sensor launches waits as long (one launched by hand does not, see below)
        by_sensor = dg.materialize(
            [raw_events],
            selection=dg.AssetSelection.assets(raw_key("dossier")).without_checks(),
            resources=resources,
            instance=instance,
            tags={"dagster/sensor_name": "landing_sensor"},
        )
        assert by_sensor.success
        assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 0

        settled = time.time() - 31
        os.utime(fresh, (settled, settled))
        later = dg.build_sensor_context(instance=instance, resources=resources, cursor=again.cursor)
        assert set(landing_sensor(later).asset_selection) == {raw_key("dossier")}

    os.utime(fresh)  # modified again just now: an explicit ingest does not wait
    report = warehouse.ingest()
    assert [(f.source_file, f.status, f.accepted) for f in report.files[1:]] == [
        ("dossier/fresh.jsonl", "ingested", 2)
    ]
    assert report.skipped == ()


def test_discover_says_how_long_ago_a_file_was_modified(warehouse):
    path = warehouse.land("dossier", "a.jsonl", [dossier("a1")])
    modified = path.stat().st_mtime
    found = discover(warehouse.landing, settle_seconds=60, now=modified + 12.4)
    assert found.files == []
    assert found.skipped == [Skipped("dossier/a.jsonl", "still being written (modified 12s ago)")]
    assert [
        f.relative for f in discover(warehouse.landing, settle_seconds=60, now=modified + 60).files
    ] == ["dossier/a.jsonl"]


# --- a truncated file completed later ------------------------------------------------------


def test_the_completed_file_supersedes_its_truncated_attempt(warehouse):
    warehouse.register_portals()
    complete = encode("d.jsonl", [dossier(f"e{i}") for i in range(1, 5)])
    cut = complete.rindex(b'"event_id": "e4"') + 10  # in the middle of the fourth record
    warehouse.land("dossier", "d.jsonl", complete[:cut])
    first = warehouse.ingest().files[-1]
    assert (first.rows_read, first.accepted, first.quarantined) == (4, 3, 1)
    assert [c for _, _, _, c, _ in warehouse.quarantine()] == [["malformed_record"]]

    warehouse.land("dossier", "d.jsonl", complete + encode("d.jsonl", [dossier("e5")]))
    second = warehouse.ingest().files[-1]
    assert (second.status, second.rows_read, second.accepted, second.duplicates) == (
        "ingested", 5, 2, 3,
    )  # fmt: skip
    assert second.quarantined == 0
    assert warehouse.query(
        "SELECT batch_id, line_number, released_batch_id, released_as, released_at IS NOT NULL"
        " FROM raw.quarantine"
    ) == [(first.batch_id, 4, second.batch_id, "superseded", True)]
    assert warehouse.quarantine() == []  # nothing open
    assert warehouse.query(
        "SELECT event_id, count(*) FROM raw.dossier_events GROUP BY ALL ORDER BY 1"
    ) == [(f"e{i}", 1) for i in range(1, 6)]
    assert balanced(warehouse)

    # a file replaced by other bytes does not complete the earlier one: its rows stay open
    warehouse.land("dossier", "other.jsonl", '{"event_id": "o1", \n')
    warehouse.ingest()
    warehouse.land("dossier", "other.jsonl", [dossier("o1")])
    warehouse.ingest()
    assert [(r[0], r[3]) for r in warehouse.quarantine()] == [(1, ["malformed_record"])]


def test_a_completed_gzip_supersedes_its_truncated_unreadable_attempt(warehouse):
    warehouse.register_portals()
    packed = gzip.compress(encode("d.jsonl", [dossier(f"e{i}") for i in range(300)]), mtime=0)
    warehouse.land("dossier", "d.jsonl.gz", packed[: len(packed) // 2])
    first = warehouse.ingest().files[-1]
    assert first.status == "unreadable"
    warehouse.land("dossier", "d.jsonl.gz", packed)
    second = warehouse.ingest().files[-1]
    assert (second.status, second.accepted) == ("ingested", 300)
    assert warehouse.query(
        "SELECT batch_id, reason_codes, released_batch_id, released_as FROM raw.quarantine"
    ) == [(first.batch_id, ["unreadable_file"], second.batch_id, "superseded")]
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 300
    assert balanced(warehouse)


# --- a landed file read once: its stamp vouches for its content while it stays the same --------


def test_a_settled_file_is_read_once_and_read_again_when_it_changes(warehouse, monkeypatch):
    import ingest.landing
    import orchestration.builds

    reads = []

    def counted(path, limit=None, read=ingest.landing.sha256_of):
        reads.append(path.name)
        return read(path, limit)

    monkeypatch.setattr(ingest.landing, "sha256_of", counted)
    monkeypatch.setattr(orchestration.builds, "sha256_of", counted)
    monkeypatch.setattr(ingest.landing, "SETTLED_SECONDS", 0)  # as if written long ago
    warehouse.register_portals()
    path = warehouse.land("dossier", "a.jsonl", [dossier("a1"), dossier("a2")])
    warehouse.ingest()
    assert reads.count("a.jsonl") == 1
    stamps = dict(warehouse.query("SELECT source_file, file_stamp FROM raw.ingest_ledger"))
    assert stamps["dossier/a.jsonl"] == ingest.landing.file_stamp(path)

    # the next ingest and the up-to-date check take the sha256 from the ledger
    assert [f.status for f in warehouse.ingest().files] == ["already_ingested"] * 2
    with duckdb.connect(str(warehouse.settings.db), read_only=True) as con:
        assert not orchestration.builds._new_landed_files(con, warehouse.landing)
    assert reads.count("a.jsonl") == 1

    # Other bytes of the same size with the old modification time put back: the status-change
    # time still moved, so the file is read again and its new record taken.
    info = path.stat()
    path.write_bytes(path.read_bytes().replace(b'"a2"', b'"a3"'))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size
    with duckdb.connect(str(warehouse.settings.db), read_only=True) as con:
        assert orchestration.builds._new_landed_files(con, warehouse.landing)
    [portal, changed] = warehouse.ingest().files
    assert (portal.status, changed.status, changed.accepted) == ("already_ingested", "ingested", 1)
    assert events_by_file(warehouse) == {"dossier/a.jsonl": ["a1", "a2", "a3"]}


def test_a_file_read_before_it_settled_is_vouched_for_once_it_has(warehouse, monkeypatch):
    import ingest.landing

    warehouse.register_portals()
    path = warehouse.land("dossier", "a.jsonl", [dossier("a1")])
    monkeypatch.setattr(ingest.landing, "SETTLED_SECONDS", 3600)  # however slow this machine
    warehouse.ingest()  # just written: a write in the same clock tick would keep its stamp
    stamps = "SELECT source_file, file_stamp FROM raw.ingest_ledger ORDER BY 1"
    assert [stamp for _, stamp in warehouse.query(stamps)] == [None, None]
    monkeypatch.setattr(ingest.landing, "SETTLED_SECONDS", 0)  # later, once it has held still
    assert [f.status for f in warehouse.ingest().files] == ["already_ingested"] * 2
    assert dict(warehouse.query(stamps))["dossier/a.jsonl"] == ingest.landing.file_stamp(path)
    assert balanced(warehouse)


def test_a_ledger_without_stamps_is_read_as_it_is_until_the_next_ingest(warehouse):
    import orchestration.builds

    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("a1")])
    warehouse.ingest()
    with duckdb.connect(str(warehouse.settings.db)) as con:  # a warehouse made before stamps
        con.execute("ALTER TABLE raw.ingest_ledger DROP COLUMN file_stamp")
    with duckdb.connect(str(warehouse.settings.db), read_only=True) as con:
        assert not orchestration.builds._new_landed_files(con, warehouse.landing)
    warehouse.land("dossier", "b.jsonl", [dossier("b1")])
    with duckdb.connect(str(warehouse.settings.db), read_only=True) as con:
        assert orchestration.builds._new_landed_files(con, warehouse.landing)
