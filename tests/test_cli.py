"""The command line and its settings: flags over environment over fallbacks."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from ingest.reference import load_reference
from ingest.settings import Settings
from orchestration.builds import up_to_date
from orchestration.checks import DELIVERY_CHECK, GX_MODULE, check_evaluations
from orchestration.cli import DAGSTER_HOME_FOLDER, main
from tests.conftest import REGISTRY, dossier, refuse_the_network


def test_fallbacks_environment_and_flags(monkeypatch):
    for name in ("LANDING", "DB", "PUBLISH", "TZ", "PII_KEY", "REFERENCE"):
        monkeypatch.delenv(f"PORTAL_WAREHOUSE_{name}", raising=False)
    assert Settings.from_env() == Settings(
        landing=Path("data/landing"),
        db=Path("data/warehouse.duckdb"),
        publish=Path("data/publish"),
        tz="Asia/Ho_Chi_Minh",
        pii_key=None,
    )
    monkeypatch.setenv("PORTAL_WAREHOUSE_DB", "/srv/w.duckdb")
    monkeypatch.setenv("PORTAL_WAREHOUSE_TZ", "UTC")
    monkeypatch.setenv("PORTAL_WAREHOUSE_PII_KEY", "s3cret")
    settings = Settings.from_env(db="flag.duckdb", landing=None)
    assert settings.db == Path("flag.duckdb")  # the flag wins
    assert settings.landing == Path("data/landing")  # no flag, no variable: the fallback
    assert (settings.tz, settings.pii_key) == ("UTC", b"s3cret")


def test_ingest_then_status(warehouse, capsys):
    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("e1"), dossier("e2", channel="fax")])
    db, landing = str(warehouse.settings.db), str(warehouse.landing)
    assert main(["ingest", "--landing", landing, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "dossier/a.jsonl" in out and "accepted         1" in out
    assert "2 file(s), 5 read = 4 accepted + 0 duplicates + 1 quarantined" in out
    assert main(["status", "--db", db]) == 0
    status = capsys.readouterr().out
    assert "dossier                1" in status  # raw events per stream
    assert "invalid_value" in status  # the quarantine by reason


def in_a_process(args: list[str], *modules: str) -> tuple[int, list[str], str]:
    """`portal-warehouse ARGS` in a process of its own: its exit code, which of `modules` it
    imported, and what it printed."""
    script = (
        "import sys; from orchestration.cli import main; code = main(sys.argv[1:]);"
        f" print(code, *[m for m in {modules!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    *printed, last = done.stdout.splitlines()
    code, *found = last.split()
    return int(code), found, "\n".join(printed)


def modules_imported(args: list[str], *modules: str) -> tuple[int, list[str]]:
    code, found, _ = in_a_process(args, *modules)
    return code, found


def test_ingest_status_and_replay_import_no_pandas(warehouse):
    """DuckDB's client imports pandas (about 0.4 s) at the first statement given a parameter:
    commands that need none carry their values as literals (ingest.warehouse.literal)."""
    warehouse.register_portals()
    warehouse.land(
        "dossier", "a.jsonl", [dossier("e1"), dossier("e2", "resolved", dossier_id="D-e1")]
    )
    warehouse.land("dossier", "b.jsonl", [dossier("e1")])  # a duplicate
    db, landing = str(warehouse.settings.db), str(warehouse.landing)
    assert modules_imported(["ingest", "--landing", landing, "--db", db], "pandas") == (0, [])
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 2
    assert modules_imported(["status", "--db", db, "--landing", landing], "pandas") == (0, [])
    assert modules_imported(["replay-quarantine", "--db", db], "pandas") == (0, [])


def test_ingest_of_a_missing_landing_folder_is_a_clear_error(tmp_path, capsys):
    code = main(["ingest", "--landing", str(tmp_path / "nowhere"), "--db", str(tmp_path / "w")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_warehouse_held_by_another_writer_is_a_clear_error(warehouse):
    import subprocess

    import duckdb

    warehouse.register_portals()
    warehouse.settings.db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse.settings.db)):  # another process's ingest, say
        result = subprocess.run(
            warehouse.ingest_command(),
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PORTAL_WAREHOUSE_LOCK_TIMEOUT": "0"},
        )
    assert result.returncode == 3
    # the one line names what holds the lock: this test's process
    assert "is in use by " in result.stderr and f"(PID {os.getpid()})" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def run_args(warehouse, *extra: str) -> list[str]:
    root = warehouse.landing.parent
    return [
        "run", "--landing", str(warehouse.landing), "--db", str(warehouse.settings.db),
        "--publish", str(root / "publish"), *extra,
    ]  # fmt: skip


def keep_environment(monkeypatch) -> None:
    """An environment that points elsewhere: `run`'s flags must win in every step, dbt's too."""
    for name in ("LANDING", "DB", "PUBLISH"):
        monkeypatch.setenv(f"PORTAL_WAREHOUSE_{name}", "unused")
    monkeypatch.setenv("PORTAL_WAREHOUSE_TZ", "Asia/Ho_Chi_Minh")


def delivery_checks(warehouse) -> dict[str, tuple[bool, int]]:
    """Each stream's delivery check in the warehouse's Dagster home (the CLI's latest run):
    whether it passed, and how many deliveries it validated."""
    instance = dg.DagsterInstance.from_config(str(warehouse.landing.parent / DAGSTER_HOME_FOLDER))
    try:
        (run,) = instance.get_runs(limit=1)
        return {
            key.asset_key.path[-1].removesuffix("_events"): (
                evaluation.passed,
                evaluation.metadata["deliveries"].value,
            )
            for key, evaluation in check_evaluations(instance, run.run_id).items()
            if key.name == DELIVERY_CHECK
        }
    finally:
        instance.dispose()


def test_run_publishes_a_period_and_says_where(warehouse, capsys, monkeypatch):
    keep_environment(monkeypatch)
    warehouse.register_portals()
    warehouse.land(
        "dossier", "a.jsonl", [dossier("e1"), dossier("e2", "resolved", dossier_id="D-e1")]
    )
    # offline by construction: ingest, checks, dbt, contracts and publish reach for no network
    attempts = refuse_the_network(monkeypatch, warehouse.landing.parent / "network.log")
    # as `portal-warehouse run`, in a process of its own: the delivery's rows are validated in
    # another, started when the ingest ends, so that the run never imports Great Expectations
    # (2.2 s of a small delivery's run); the check reports that process's verdict
    code, imported, out = in_a_process(run_args(warehouse, "--period", "2023-Q1"), GX_MODULE)
    assert (code, imported) == (0, [])
    assert attempts() == []
    none = {stream: (True, 0) for stream in ("post", "question", "assessment", "channel")}
    assert delivery_checks(warehouse) == {"dossier": (True, 1), "portal": (True, 1)} | none
    version = warehouse.landing.parent / "publish" / "2023-Q1" / "v1"
    assert f"2023-Q1: published to {version.resolve()}" in out
    assert "appendix_03_dossiers.xlsx  sha256 " in out
    assert (version / "manifest.json").is_file()
    assert warehouse.query(
        "SELECT total, resolved FROM marts.appendix_03_dossiers WHERE portal_id = 'so-tttt'"
    ) == [(1, 1)]

    # again with nothing new: the period is up to date, nothing runs, no second version
    assert main(run_args(warehouse, "--period", "2023-Q1")) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"2023-Q1: up to date, published in {version.resolve()} from the same events, reference"
        " data and code: nothing to run (--force publishes a new version)"
    ]
    assert sorted(p.name for p in version.parent.iterdir()) == ["v1"]
    # and, as a command of its own, it loads neither Dagster nor dbt, nor pandas, nor the writers
    # of a release (0.5 s where it took 2.1 s)
    loaded = ("dagster", "dbt", "pandas", "pyarrow", "openpyxl", "docx")
    assert modules_imported(run_args(warehouse, "--period", "2023-Q1"), *loaded) == (0, [])
    # --force publishes again, from the same build
    assert main(run_args(warehouse, "--period", "2023-Q1", "--force")) == 0
    assert "2023-Q1: published to" in capsys.readouterr().out
    assert sorted(p.name for p in version.parent.iterdir()) == ["v1", "v2"]
    # up to date as v2 is, unless the report's number changes, a published file was changed
    # since, or a new delivery lands
    settings = Settings.from_env(
        landing=warehouse.landing, db=warehouse.settings.db, publish=version.parent.parent
    )
    reference = load_reference(None)
    latest = version.parent / "v2"
    assert up_to_date(settings, "2023-Q1", None, None, None, reference) == latest
    assert up_to_date(settings, "2023-Q1", None, "125", None, reference) is None
    csv = latest / "appendix_03_dossiers.csv"
    published = csv.read_bytes()
    csv.write_text("edited\n")
    assert up_to_date(settings, "2023-Q1", None, None, None, reference) is None
    csv.write_bytes(published)
    assert up_to_date(settings, "2023-Q1", None, None, None, reference) == latest
    warehouse.land("dossier", "b.jsonl", [dossier("e3")])
    assert up_to_date(settings, "2023-Q1", None, None, None, reference) is None
    # once ingested, `status` names the published period that e3 (dated in it) could change; an
    # event dated after the period changes nothing in it
    warehouse.land("dossier", "c.jsonl", [dossier("e4", occurred_at="2023-05-02T09:00:00+07:00")])
    db, landing = str(warehouse.settings.db), str(warehouse.landing)
    publish = str(version.parent.parent)
    assert main(["status", "--db", db, "--landing", landing, "--publish", publish]) == 0
    assert "Published periods" not in capsys.readouterr().out
    assert main(["ingest", "--landing", landing, "--db", db, "--publish", publish]) == 0
    assert capsys.readouterr().out.endswith(
        "Published periods that events ingested since could change (run them again):\n"
        "  2023-Q1 v2: 1 event(s) ingested since, dated up to 2023-03-31\n"
    )
    assert main(["status", "--db", db, "--landing", landing, "--publish", publish]) == 0
    assert capsys.readouterr().out.endswith(
        "Published periods that events ingested since could change (run them again)\n"
        "  2023-Q1 v2: 1 event(s) ingested since, dated up to 2023-03-31\n"
    )


def test_a_replay_and_a_sources_ingest_name_the_published_periods_they_could_change(
    warehouse, tmp_path, capsys
):
    """As an ingest of files does: the events a replay moves into raw, and a source database's
    rows, name each published period they are dated in (or before) after the run's totals."""
    import json
    import sqlite3
    from datetime import UTC, datetime

    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("e1", portal_id="so-du-lich")])  # 2023-03-01
    warehouse.ingest()  # quarantined: the registry does not know the portal yet
    registration = {**REGISTRY[0], "event_id": "reg-dl", "portal_id": "so-du-lich"}
    warehouse.land("portal", "new.jsonl", [registration | {"name": "Sở Du lịch"}])
    warehouse.ingest()
    publish = tmp_path / "publish"  # 2023-Q1 published from what is held now
    (publish / "2023-Q1" / "v1").mkdir(parents=True)
    manifest = {"period_end": "2023-03-31", "event_watermark": datetime.now(UTC).isoformat()}
    (publish / "2023-Q1" / "v1" / "manifest.json").write_text(json.dumps(manifest))
    db = str(warehouse.settings.db)
    assert main(["replay-quarantine", "--db", db, "--publish", str(publish)]) == 0
    assert capsys.readouterr().out.endswith(
        "Published periods that events ingested since could change (run them again):\n"
        "  2023-Q1 v1: 1 event(s) ingested since, dated up to 2023-03-31\n"
    )
    source = tmp_path / "source.sqlite"
    with sqlite3.connect(source) as con:
        con.execute(
            "CREATE TABLE events (event_seq INTEGER PRIMARY KEY, event_id TEXT, event_type TEXT,"
            " occurred_at TEXT, portal_id TEXT, dossier_id TEXT, channel TEXT,"
            " service_level INTEGER, due_at TEXT)"
        )
        con.execute(
            "INSERT INTO events VALUES (1, 's1', 'received', '2023-03-02T09:00:00', 'so-tttt',"
            " 'D1', 'online', 4, '2023-03-09T17:00:00')"
        )
    command = ["ingest", "--db", db, "--publish", str(publish), "--stream", "dossier"]
    command += ["--source-url", f"sqlite:///{source}", "--source-table", "events"]
    assert main(command) == 0
    assert (
        "Published periods that events ingested since could change (run them again):\n"
        "  2023-Q1 v1: 2 event(s) ingested since, dated up to 2023-03-31\n"
    ) in capsys.readouterr().out
    assert main(command) == 0  # nothing new from the source: nothing to name
    assert "Published periods" not in capsys.readouterr().out


def test_run_refuses_an_unknown_period_and_a_cutoff_outside_it_at_once(
    warehouse, capsys, monkeypatch
):
    """Refused before Dagster or dbt start: exit 2, one line, nothing written (no warehouse, no
    run log, no Dagster home)."""
    keep_environment(monkeypatch)
    warehouse.register_portals()
    refusals = {
        ("--period", "2023-13M"): "unknown report period '2023-13M'",
        ("--period", "2023-Q1", "--cutoff", "2023-05-01"): (
            "cutoff 2023-05-01 is outside period 2023-Q1 (2023-01-01 to 2023-03-31)"
        ),
        ("--period", "2023-Q1", "--cutoff", "2023-02-30"): (
            "cutoff '2023-02-30' is not a date (YYYY-MM-DD)"
        ),
        ("--period", "2023-Q4..2023-Q1"): "period range '2023-Q4..2023-Q1' runs backwards",
    }
    for extra, said in refusals.items():
        assert main(run_args(warehouse, *extra)) == 2
        out, err = capsys.readouterr()
        assert err.splitlines() == [f"error: {said}"]
        assert out == ""  # not even the reference data's line: nothing started
    assert sorted(p.name for p in warehouse.landing.parent.iterdir()) == ["landing"]


def test_ingest_prints_each_file_as_soon_as_it_is_done(warehouse, capsys, monkeypatch):
    import ingest.loader

    warehouse.register_portals()
    for name in ("a.jsonl", "b.jsonl", "c.jsonl"):
        warehouse.land("dossier", name, [dossier(f"e-{name}")])
    printed_before = []  # what stdout held when each file's ingest began
    ingest_file = ingest.loader.ingest_file

    def watched(con, landed, *args, **kwargs):
        printed_before.append((landed.relative, capsys.readouterr().out))
        return ingest_file(con, landed, *args, **kwargs)

    monkeypatch.setattr(ingest.loader, "ingest_file", watched)
    db, landing = str(warehouse.settings.db), str(warehouse.landing)
    assert main(["ingest", "--landing", landing, "--db", db]) == 0
    order = ["portal/registry.jsonl", "dossier/a.jsonl", "dossier/b.jsonl", "dossier/c.jsonl"]
    assert [name for name, _ in printed_before] == order
    for (_, out), done in zip(printed_before[1:], order, strict=False):
        assert out.startswith(done) and "ingested" in out  # the previous file's own line
    rest = capsys.readouterr().out.splitlines()
    assert rest[0].startswith("dossier/c.jsonl")
    assert "4 file(s), 6 read = 6 accepted" in rest[-1]  # then the totals
