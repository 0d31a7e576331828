"""Clear errors, never tracebacks: each fault the command line knows is one `error:` line on
stderr and a documented exit code (README, "Exit codes"), and leaves the stored state as it was.

Every fault is real: a tmpfs too small for the delivery (and RLIMIT_FSIZE, which works
anywhere), a tmpfs remounted read-only, a publisher killed with SIGKILL. The mounts need root,
as `make test` has for apt; without it those tests fail and say so."""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.errors import BAD_INPUT, FAILED, STORAGE, ConfigError
from ingest.settings import Settings
from orchestration.cli import parser, preflight_run
from publish.release import EmptyPeriodError, publish_period
from tests.conftest import Warehouse, dossier
from tests.test_publish import CONTRACTS, DOSSIERS, MARTS_DDL, PERIOD, QUESTIONS, _insert

ROOT = Path(__file__).resolve().parent.parent
REFUSED_IN = 25  # seconds: a refused run never reaches dbt (a period run takes a minute or more)


def cli(*args: str, preexec_fn=None, **env: str) -> subprocess.CompletedProcess:
    """`portal-warehouse ARGS` in a subprocess, with no PORTAL_WAREHOUSE_* but `env`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_WAREHOUSE_")}
    environ.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ | env,
        preexec_fn=preexec_fn,
        check=False,
        timeout=600,
    )


def one_error(result: subprocess.CompletedProcess, code: int) -> str:
    """The exit code, exactly one line on stderr starting with `error:`, no traceback."""
    detail = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == code, detail
    assert "Traceback" not in result.stdout + result.stderr, detail
    # a failed run's second line says where its alert went (orchestration/alerts.py)
    lines = [line for line in result.stderr.splitlines() if not line.startswith("alert: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), detail
    return lines[0]


def landing_with_events(root: Path) -> Warehouse:
    warehouse = Warehouse(root)
    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("e1"), dossier("e2", channel="online")])
    return warehouse


def counts(db: Path) -> dict[str, object]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "dossier": con.execute("SELECT count(*) FROM raw.dossier_events").fetchone()[0],
            "quarantine": con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0],
            "ledger": con.execute(
                "SELECT source_file, status, rows_read, accepted FROM raw.ingest_ledger"
                " ORDER BY source_file"
            ).fetchall(),
        }


def run_args(warehouse: Warehouse, period: str, *extra: str, db=None, publish=None) -> list[str]:
    return [
        "run", "--period", period, "--landing", str(warehouse.landing),
        "--db", str(db or warehouse.settings.db),
        "--publish", str(publish or warehouse.landing.parent / "publish"), *extra,
    ]  # fmt: skip


# --- a warehouse path that is not a DuckDB file, a time zone, a missing warehouse ------------


def every_command(warehouse: Warehouse, db: Path) -> list[list[str]]:
    return [
        ["ingest", "--landing", str(warehouse.landing), "--db", str(db)],
        ["replay-quarantine", "--db", str(db)],
        ["status", "--db", str(db)],
        run_args(warehouse, "2023-Q1", db=db),
    ]


def test_a_warehouse_file_that_is_not_duckdb_is_a_storage_error(tmp_path):
    warehouse = landing_with_events(tmp_path)
    db = tmp_path / "notes.duckdb"
    db.write_text("not a database\n")
    for args in every_command(warehouse, db):
        line = one_error(cli(*args), STORAGE)
        assert f"{db} is not a DuckDB database file" in line, args
    assert db.read_text() == "not a database\n"  # left as it was
    assert not (tmp_path / "publish").exists()


def test_a_warehouse_path_that_is_a_directory_is_a_storage_error(tmp_path):
    warehouse = landing_with_events(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    db.mkdir()
    for args in every_command(warehouse, db):
        line = one_error(cli(*args), STORAGE)
        assert f"{db} is a directory" in line, args
    assert list(db.iterdir()) == []


def test_an_unknown_time_zone_is_refused_before_anything_is_opened(tmp_path):
    warehouse = landing_with_events(tmp_path)
    db = warehouse.settings.db
    for args in every_command(warehouse, db):
        line = one_error(cli(*args, PORTAL_WAREHOUSE_TZ="Asia/Hanoi"), BAD_INPUT)
        assert "unknown time zone 'Asia/Hanoi'" in line, args
        line = one_error(cli(*args, "--tz", "asia/ho_chi_minh"), BAD_INPUT)
        assert "did you mean Asia/Ho_Chi_Minh" in line, args
    assert not db.exists()
    # the flag wins over the environment before the environment's zone is checked
    flag_wins = cli(*ingest_args(warehouse, db), "--tz", "UTC", PORTAL_WAREHOUSE_TZ="Asia/Hanoi")
    assert flag_wins.returncode == 0, flag_wins.stderr


def test_status_and_replay_of_a_missing_warehouse_are_errors_not_zeros(tmp_path):
    db = tmp_path / "nowhere" / "warehouse.duckdb"
    for command in ("status", "replay-quarantine"):
        line = one_error(cli(command, "--db", str(db)), BAD_INPUT)
        assert f"no warehouse at {db}" in line
    assert not db.parent.exists()


# --- run: refusals before dbt -----------------------------------------------------------------


def test_run_refuses_a_missing_landing_folder_before_creating_anything(tmp_path):
    db = tmp_path / "data" / "warehouse.duckdb"
    started = time.monotonic()
    result = cli(
        "run", "--period", "2023-Q1", "--landing", str(tmp_path / "nowhere"),
        "--db", str(db), "--publish", str(tmp_path / "publish"),
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert "landing folder" in one_error(result, BAD_INPUT)
    assert elapsed < REFUSED_IN, elapsed
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no warehouse, no logs, no publish


def test_run_refuses_a_period_without_any_event_unless_allowed(tmp_path):
    warehouse = landing_with_events(tmp_path)  # the registry (2021) and dossiers of March 2023
    assert cli("ingest", "--landing", str(warehouse.landing), "--db",
               str(warehouse.settings.db)).returncode == 0  # fmt: skip
    before = counts(warehouse.settings.db)
    for extra in ([], ["--publish-only"], ["--cutoff", "2024-03-25"]):
        started = time.monotonic()
        result = cli(*run_args(warehouse, "2024-Q1", *extra))
        elapsed = time.monotonic() - started
        line = one_error(result, BAD_INPUT)
        assert "period 2024-Q1" in line and "holds no event of any stream" in line, line
        assert "--allow-empty" in line
        assert elapsed < REFUSED_IN, elapsed
    assert not (tmp_path / "publish").exists()  # nothing published
    assert counts(warehouse.settings.db) == before

    # --allow-empty is accepted and passes the pre-flight (the full run then builds and
    # publishes; not run here: it takes a minute); a period with events passes without it
    args = parser().parse_args(run_args(warehouse, "2024-Q1", "--allow-empty"))
    assert args.allow_empty is True
    settings = Settings.from_env(db=warehouse.settings.db, landing=warehouse.landing,
                                 publish=tmp_path / "publish")  # fmt: skip
    preflight_run(settings, "2024-Q1", allow_empty=True)
    preflight_run(settings, "2023-Q1")
    with pytest.raises(ConfigError, match="holds no event"):
        preflight_run(settings, "2024-Q1")
    # a new delivery may bring events: the pre-flight lets the job (and its publish step) decide
    warehouse.land("post", "new.jsonl", [{"event_id": "p1"}])
    preflight_run(settings, "2024-Q1")
    assert not (tmp_path / "publish").exists()


def test_the_publish_step_refuses_an_empty_period_before_writing(tmp_path):
    """The Dagster path (UI, schedule): `publish/report` publishes with `require_events` unless
    its config says `allow_empty`, so a schedule's tick before the deliveries publishes no
    report of zeros."""
    from orchestration.definitions import defs
    from orchestration.runs import run_config

    con = handmade_warehouse(tmp_path / "warehouse.duckdb")
    root = tmp_path / "publish"
    with pytest.raises(EmptyPeriodError, match="holds no event of any stream"):
        publish(con, root, require_events=True)
    assert not root.exists()
    con.execute("insert into raw.dossier_events values ('d1', '2023-05-02', now())")
    assert publish(con, root, require_events=True).version == 1
    con.close()

    # one `report` resource for the run: the build and the publish read the same values
    config = run_config(defs.resolve_job_def("period_job"), "2023-09-25", "INFO", True)
    report = config["resources"]["report"]["config"]
    assert report == {"cutoff": "2023-09-25", "allow_empty": True}
    scheduled = run_config(defs.resolve_job_def("period_job"), None, "INFO")
    assert scheduled["resources"]["report"]["config"]["allow_empty"] is False


# --- a full disk ------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A real small file system (the tests run as root, as `make test` does for apt)."""
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.fail("no mount command: this test needs a real small file system")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"cannot mount a tmpfs here (run the tests as root): {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def land_big_delivery(warehouse: Warehouse, rows: int = 80_000) -> None:
    """Incompressible: 80,000 events with 64 random hex characters each (their dossier ids) need
    ~6 MB in DuckDB, more than the small disk has."""
    rnd = random.Random(7)
    records = [
        dossier(f"b{i}", occurred_at=f"2023-03-{1 + i % 28:02d}T09:00:00",
                dossier_id=rnd.randbytes(32).hex())
        for i in range(rows)
    ]  # fmt: skip
    warehouse.land("dossier", "big.jsonl", records)


def ingest_args(warehouse: Warehouse, db: Path) -> list[str]:
    return ["ingest", "--landing", str(warehouse.landing), "--db", str(db)]


def assert_exactly_once(db: Path, rows: int) -> None:
    after = counts(db)
    assert after["dossier"] == rows + 2
    assert after["quarantine"] == 0
    assert after["ledger"] == [
        ("dossier/a.jsonl", "ingested", 2, 2),
        ("dossier/big.jsonl", "ingested", rows, rows),
        ("portal/registry.jsonl", "ingested", 3, 3),
    ]


def test_a_full_disk_keeps_no_part_of_the_delivery_and_a_rerun_counts_exactly(tmp_path):
    warehouse = landing_with_events(tmp_path / "in")
    with tmpfs(tmp_path / "disk", "4m") as disk:
        db = disk / "warehouse.duckdb"
        assert cli(*ingest_args(warehouse, db)).returncode == 0  # the warehouse, 1.3 MB
        land_big_delivery(warehouse)

        line = one_error(cli(*ingest_args(warehouse, db)), STORAGE)
        assert f"cannot write {db}: No space left on device" in line, line

        remount(disk, "size=64m")  # space freed
        held = counts(db)
        assert held["dossier"] == 2  # nothing of big.jsonl: no row, no ledger row
        assert [f for f, *_ in held["ledger"]] == ["dossier/a.jsonl", "portal/registry.jsonl"]
        assert cli(*ingest_args(warehouse, db)).returncode == 0
        assert_exactly_once(db, 80_000)


def test_a_full_disk_on_the_first_ingest_leaves_a_warehouse_that_opens(tmp_path):
    warehouse = landing_with_events(tmp_path / "in")
    land_big_delivery(warehouse)
    with tmpfs(tmp_path / "disk", "4m") as disk:
        db = disk / "warehouse.duckdb"
        one_error(cli(*ingest_args(warehouse, db)), STORAGE)
        remount(disk, "size=64m")
        assert cli(*ingest_args(warehouse, db)).returncode == 0
        assert_exactly_once(db, 80_000)


def test_a_file_size_limit_is_a_storage_error_and_a_rerun_counts_exactly(tmp_path):
    """The same without mounting: RLIMIT_FSIZE (SIGXFSZ ignored) makes the kernel refuse to
    grow the file (EFBIG, "File too large"), which works for any user."""
    warehouse = landing_with_events(tmp_path / "in")
    db = tmp_path / "warehouse.duckdb"
    assert cli(*ingest_args(warehouse, db)).returncode == 0
    land_big_delivery(warehouse)
    limit = db.stat().st_size + 2_000_000

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    line = one_error(cli(*ingest_args(warehouse, db), preexec_fn=small_files), STORAGE)
    assert f"cannot write {db}: File too large" in line, line
    assert counts(db)["dossier"] == 2
    assert cli(*ingest_args(warehouse, db)).returncode == 0
    assert_exactly_once(db, 80_000)


def test_a_delivery_beyond_the_memory_limit_is_a_storage_error_and_a_rerun_counts_exactly(
    tmp_path,
):
    """DuckDB out of its memory limit while a file is read (here a limit below its read buffer,
    about 30 MiB; in life, hundreds of refused records of nearly 1 MB each, read again as
    delivered to be quarantined): one line naming the file, and the file is left for the next
    run (no ledger row, no quarantine row, no event), which, given the memory, takes it whole."""
    warehouse = landing_with_events(tmp_path / "in")
    db = tmp_path / "warehouse.duckdb"
    assert cli(*ingest_args(warehouse, db)).returncode == 0
    refused = [dossier(f"r{i}", event_type="reopened") for i in range(20)]
    warehouse.land("dossier", "b.jsonl", [dossier("e3"), *refused])

    result = cli(*ingest_args(warehouse, db), PORTAL_WAREHOUSE_MEMORY_LIMIT="16MB")
    line = one_error(result, STORAGE)
    assert line.startswith("error: out of memory reading dossier/b.jsonl: DuckDB "), line
    assert "nothing of it was ingested" in line and "PORTAL_WAREHOUSE_MEMORY_LIMIT" in line, line
    assert counts(db) == {
        "dossier": 2,
        "quarantine": 0,
        "ledger": [
            ("dossier/a.jsonl", "ingested", 2, 2),
            ("portal/registry.jsonl", "ingested", 3, 3),
        ],
    }

    assert cli(*ingest_args(warehouse, db)).returncode == 0
    after = counts(db)
    assert after["dossier"] == 3 and after["quarantine"] == 20
    assert ("dossier/b.jsonl", "ingested", 21, 1) in after["ledger"]


def test_run_reports_a_full_disk_inside_the_job_in_one_line(tmp_path):
    warehouse = landing_with_events(tmp_path / "in")
    with tmpfs(tmp_path / "disk", "4m") as disk:
        db = disk / "warehouse.duckdb"
        assert cli(*ingest_args(warehouse, db)).returncode == 0
        land_big_delivery(warehouse)
        started = time.monotonic()
        # the run is recorded off the small disk: its failure is the warehouse's, not Dagster's
        home = str(tmp_path / "dagster_home")
        result = cli(*run_args(warehouse, "2023-Q1", db=db, publish=tmp_path / "publish"),
                     DAGSTER_HOME=home)  # fmt: skip
        elapsed = time.monotonic() - started
        line = one_error(result, STORAGE)
        assert line.startswith("error: 2023-Q1: not published: raw_events: cannot write")
        assert "No space left on device" in line
        assert "raw_events: cannot write" in result.stdout  # the summary: the reason, one line
        assert "Error occurred while executing op" not in result.stdout + result.stderr
        assert elapsed < 4 * REFUSED_IN, elapsed  # the ingest failed: dbt never ran
        assert not (tmp_path / "publish").exists()
        remount(disk, "size=64m")
        assert counts(db)["dossier"] == 2


def test_run_reports_memory_running_out_inside_the_job_in_one_line(tmp_path):
    warehouse = landing_with_events(tmp_path / "in")
    db = tmp_path / "warehouse.duckdb"
    assert cli(*ingest_args(warehouse, db)).returncode == 0
    warehouse.land("dossier", "b.jsonl", [dossier("e3")])
    result = cli(
        *run_args(warehouse, "2023-Q1", db=db, publish=tmp_path / "publish"),
        PORTAL_WAREHOUSE_MEMORY_LIMIT="16MB",
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    line = one_error(result, STORAGE)
    assert line.startswith("error: 2023-Q1: not published: raw_events: out of memory reading"), line
    assert "raw_events: out of memory reading dossier/b.jsonl" in result.stdout
    assert not (tmp_path / "publish").exists()
    assert counts(db)["dossier"] == 2


# --- a read-only publish folder ---------------------------------------------------------------


@contextlib.contextmanager
def read_only_folder(path: Path):
    """A folder root cannot write to: a tmpfs remounted read-only, else `chattr +i`."""
    try:
        with tmpfs(path, "1m"):
            remount(path, "ro")
            yield "read-only tmpfs"
            return
    except pytest.skip.Exception:
        pass
    path.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["chattr", "+i", str(path)], check=False).returncode:
        pytest.fail("neither a read-only mount nor chattr +i is possible here (run as root)")
    try:
        yield "chattr +i"
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_a_read_only_publish_folder_is_refused_before_the_run(tmp_path):
    warehouse = landing_with_events(tmp_path / "in")
    with read_only_folder(tmp_path / "ro") as how:
        started = time.monotonic()
        result = cli(*run_args(warehouse, "2023-Q1", publish=tmp_path / "ro" / "publish"))
        elapsed = time.monotonic() - started
        line = one_error(result, STORAGE)
        assert "the publish folder" in line and "is not writable" in line, (how, line)
        assert elapsed < REFUSED_IN, elapsed
        assert not warehouse.settings.db.exists()  # refused before the warehouse was made
        # a warehouse folder that cannot be written is the same for every command
        line = one_error(cli(*ingest_args(warehouse, tmp_path / "ro" / "w.duckdb")), STORAGE)
        assert any(w in line for w in ("cannot write", "cannot use", "not writable")), (how, line)


# --- a killed publish -------------------------------------------------------------------------


def handmade_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """The marts of tests/test_publish.py, and a raw table with local dates."""
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    con.execute(MARTS_DDL)
    con.execute(
        "create table raw.dossier_events"
        " (event_id varchar, occurred_on date, ingested_at timestamptz)"
    )
    _insert(con, PERIOD, date(2023, 1, 1), date(2023, 9, 25), QUESTIONS, DOSSIERS)
    return con


def publish(con, root: Path, **kwargs):
    return publish_period(
        con, PERIOD, root, run_id="run-1", code_version="abc1234", contracts=CONTRACTS,
        cutoff=date(2023, 9, 25), **kwargs,
    )  # fmt: skip


PUBLISH = """
import sys
from datetime import date

import duckdb

from publish.release import publish_period
from tests.test_publish import CONTRACTS, PERIOD

with duckdb.connect(sys.argv[1], read_only=True) as con:
    release = publish_period(con, PERIOD, sys.argv[2], run_id="r", code_version="c",
                             contracts=CONTRACTS, cutoff=date(2023, 9, 25))
print(release.path)
"""


def publisher(db: Path, root: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PUBLISH, str(db), str(root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | env,
        check=False,
    )


def test_the_next_publish_removes_what_a_killed_publish_left(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    con = handmade_warehouse(db)
    con.execute("insert into raw.dossier_events values ('d1', '2023-05-02', now())")
    con.close()
    root = tmp_path / "publish"
    period_dir = root / PERIOD

    killed = publisher(db, root, PORTAL_WAREHOUSE_FAILPOINT="publish_before_rename")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = sorted(p.name for p in period_dir.iterdir())
    assert len(left) == 2 and left[0].startswith(".publishing-") and left[1].endswith(".lock")
    assert any((period_dir / left[0]).iterdir())  # the files it had written

    # a live publisher's directory (its lock held) is left alone
    live = period_dir / ".publishing-live"
    live.mkdir()
    fd = os.open(period_dir / ".publishing-live.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        done = publisher(db, root)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in period_dir.iterdir()) == [
            ".publishing-live",
            ".publishing-live.lock",
            "v1",
        ]
    finally:
        os.close(fd)  # that publisher dies too
    assert publisher(db, root).returncode == 0
    assert sorted(p.name for p in period_dir.iterdir()) == ["v1", "v2"]


# --- make dev ---------------------------------------------------------------------------------


def test_make_dev_loads_the_code_location_without_the_virtualenv_on_path(tmp_path):
    """`make dev` runs `.venv/bin/dagster dev -w workspace.yaml` from a shell that never
    activated the virtualenv: `dagster dev` sets DAGSTER_IS_DEV_CLI, under which the code
    location reparses the dbt project when it loads. Loaded here the same way, from a fresh
    copy of the working tree (no manifest yet), with PATH stripped of the virtualenv."""
    clone = tmp_path / "clone"
    skip = {ROOT: {".git", ".venv", "data", "portal_warehouse.egg-info"},
            ROOT / "models": {"target", "logs"}}  # fmt: skip

    def ignore(folder: str, names: list[str]) -> set[str]:
        generated = {n for n in names if n == "__pycache__" or n.endswith("_cache")}
        return generated | (skip.get(Path(folder), set()) & set(names))

    shutil.copytree(ROOT, clone, ignore=ignore)
    assert not (clone / "models" / "target").exists()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    venv_bin = Path(sys.executable).parent
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) != venv_bin
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {"PATH": path or "/usr/bin:/bin", "DAGSTER_IS_DEV_CLI": "1", "DAGSTER_HOME": str(home)}
    assert shutil.which("dbt", path=env["PATH"]) is None  # the condition `make dev` meets
    result = subprocess.run(
        [str(venv_bin / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        capture_output=True,
        text=True,
        cwd=clone,
        env=env,
        check=False,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "was not found on PATH" not in output
    assert "Validation successful for code location orchestration.definitions" in output
    # the copy's project was parsed, by dbt inside the code location's process
    assert (clone / "models" / "target" / "manifest.json").is_file()
    assert (clone / "models" / "target" / "partial_parse.msgpack").is_file()


def test_exit_codes_are_those_the_readme_documents():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in (0, FAILED, BAD_INPUT, 3, STORAGE):
        assert f"| {code} |" in readme


# --- a run's failed step, on one line ---------------------------------------------------------


def test_a_failed_step_is_one_line_with_its_reason_and_exit_code(tmp_path):
    import dagster as dg

    from orchestration.runs import failure_reason

    dbt_failure = (
        "The dbt CLI process with command\n\n`dbt build --select tag:period`\n\nfailed with exit"
        " code `1`. Check the stdout in the Dagster compute logs.\n\nErrors parsed from dbt logs:"
        "\n\n1 of 62 ERROR creating sql table model intermediate.int_report_periods ... [ERROR]"
        "\n\n5 of 62 SKIP relation marts.x due to ephemeral model status 'skipped'  [ERROR SKIP]"
        "\n\nFailure in model int_report_periods (intermediate/int_report_periods.sql)\n\n"
        "  Runtime Error in model int_report_periods (intermediate/int_report_periods.sql)\n"
        "  Invalid Input Error: cutoff 2023-04-02 is outside period 2023-Q1"
    )

    @dg.asset
    def built():
        raise dg.Failure(description=dbt_failure)

    @dg.asset
    def written():
        (tmp_path / "full").write_bytes(b"")
        raise OSError(28, "No space left on device", str(tmp_path / "full"))

    @dg.asset
    def refused():
        raise dg.Failure(description="period 2030-Q1 holds nothing", metadata={"exit_code": 2})

    reasons = {}
    for asset in (built, written, refused):
        result = dg.materialize([asset], raise_on_error=False)
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        reasons[asset.key.path[-1]] = failure_reason(failure.step_failure_data)
    assert reasons["built"] == (
        "Runtime Error in model int_report_periods (intermediate/int_report_periods.sql):"
        " Invalid Input Error: cutoff 2023-04-02 is outside period 2023-Q1",
        FAILED,
    )
    assert reasons["written"] == (
        f"cannot write {tmp_path / 'full'}: No space left on device (nothing was half-written:"
        " make room, run again)",
        STORAGE,
    )
    assert reasons["refused"] == ("period 2030-Q1 holds nothing", BAD_INPUT)
