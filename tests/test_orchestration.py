"""The Dagster code location: definitions load, the ingest materialises, the sensor reacts."""

import contextlib
import importlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import dagster as dg
import parsedatetime
import psutil
import pytest
from dbt_common.clients.jinja import MacroFuzzEnvironment
from dbt_common.events import base_types, event_manager
from dbt_common.events import logger as dbt_logger
from dbt_common.events.types import SystemExecutingCmd

from data_contracts import batch_rows
from orchestration import checks
from orchestration.assets import ingest as ingest_assets
from orchestration.assets.ingest import raw_delivery_health, raw_events, raw_key
from orchestration.assets.transform import REPORT_RESOURCE, ReportRun, dbt_models
from orchestration.checks import PERIOD_MARTS
from orchestration.definitions import OWNER, defs
from orchestration.partitions import report_periods
from orchestration.resources import WRITER_POOL, WarehouseResource
from orchestration.sensors import landing_sensor
from tests.conftest import (
    DBT_DEBUG_LOG,
    REGISTRY,
    Warehouse,
    dossier,
    refuse_the_network,
    run_dbt,
)

STREAMS = ["portal", "post", "question", "dossier", "assessment", "channel"]


@pytest.fixture(autouse=True, scope="module")
def great_expectations_imported():
    """A run validates a few rows in its check's step when its process has imported Great
    Expectations already (orchestration.checks), as a test session's has, whichever of its
    files it collected: so here."""
    importlib.import_module(checks.GX_MODULE)


def test_definitions_hold_the_graph_from_raw_to_publish():
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {f"raw/{s}_events" for s in STREAMS} <= keys
    assert {
        "staging/stg_dossier_events",
        "intermediate/int_dossier_lifecycle",
        "marts/dim_portal",
        "marts/fct_dossiers_period",
        "marts/appendix_02_questions",
        "marts/appendix_03_dossiers",
        "marts/data_quality_findings",
        "marts/appendix_01_information",
        "marts/appendix_01_2_not_scored",
        "marts/scorecard_portal",
        "marts/scorecard_bloc",
        "marts/report_summary",
        "publish/report",
    } <= keys

    def parents(key: str) -> set[str]:
        node = graph.get(dg.AssetKey.from_user_string(key))
        return {k.to_user_string() for k in node.parent_keys}

    # raw -> staging -> replay -> facts -> marts -> publish
    assert parents("staging/stg_dossier_events") == {"raw/dossier_events"}
    assert "staging/stg_dossier_events" in parents("intermediate/int_dossier_lifecycle")
    assert "intermediate/int_dossier_lifecycle" in parents("marts/fct_dossiers_period")
    assert "marts/fct_dossiers_period" in parents("marts/appendix_03_dossiers")
    assert "intermediate/int_rubric_in_force" in parents("marts/appendix_01_information")
    assert "marts/appendix_01_information" in parents("marts/scorecard_portal")
    assert {f"marts/{mart}" for mart in PERIOD_MARTS} <= parents("publish/report")
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {(f"raw/{s}_events", "delivery_health") for s in STREAMS} <= checks
    for mart in PERIOD_MARTS:
        spec = graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey(["marts", mart]), "contract"))
        assert spec.blocking
        assert spec.partitions_def == report_periods  # a period's result is that period's
    # dbt's own tests are checks too
    assert (
        "staging/stg_dossier_events",
        "accepted_values_stg_dossier_events_event_type__received__resolved__withdrawn__due_changed",
    ) in checks
    period_keys = [
        k for k in keys if k.startswith(("marts/appendix", "marts/fct", "marts/score", "publish/"))
    ]
    for key in period_keys:
        partitions = graph.get(dg.AssetKey.from_user_string(key)).partitions_def
        assert "2023-9M" in partitions.get_partition_keys(), key
    assert graph.get(dg.AssetKey(["marts", "dim_portal"])).partitions_def is None
    for job in ("ingest_job", "period_job", "publish_job"):
        assert repo.get_job(job) is not None
    assert repo.get_sensor_def("landing_sensor") is not None
    assert raw_events.op.pool == WRITER_POOL
    assert dbt_models.op.pool == WRITER_POOL


@pytest.mark.parametrize(
    ("tick", "periods"),
    [
        ("2023-04-05", ["2023-Q1"]),
        ("2023-07-05", ["2023-Q2", "2023-H1"]),
        ("2023-10-05", ["2023-Q3", "2023-9M"]),
        ("2024-01-05", ["2023-Q4", "2023-FY"]),
    ],
)
def test_the_quarterly_schedule_publishes_the_quarter_and_what_it_completes(tick, periods):
    schedule = defs.get_repository_def().get_schedule_def("quarterly_publish")
    assert schedule.execution_timezone == "Asia/Ho_Chi_Minh"
    when = datetime.fromisoformat(tick + "T06:00:00+07:00")
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == periods
    for request in requests:  # the report run's settings, once, as the launchpad shows them
        report = request.run_config["resources"]["report"]["config"]
        assert report == {"cutoff": None, "allow_empty": False}


def test_every_asset_has_its_owner_and_code_references():
    graph = defs.get_repository_def().asset_graph
    root = Path(__file__).resolve().parents[1]
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue  # dbt's sources: raw's own assets stand for them
        assert node.owners == [OWNER], key
        files = {
            Path(ref.file_path).relative_to(root).as_posix()
            for ref in node.metadata["dagster/code_references"].code_references
        }
        if key.path[0] in ("staging", "intermediate", "marts"):
            assert f"models/{key.path[0]}/{key.path[1]}.sql" in files, key  # the model's SQL
        assert any(f.startswith("orchestration/") for f in files), key


def resource_for(warehouse) -> WarehouseResource:
    return WarehouseResource(landing=str(warehouse.landing), db=str(warehouse.settings.db))


def test_materialising_ingests_and_reports_counts(warehouse):
    warehouse.register_portals()
    warehouse.land(
        "dossier", "a.jsonl", [dossier("e1"), dossier("e1"), dossier("e2", channel="fax")]
    )
    result = dg.materialize(
        [raw_events, raw_delivery_health], resources={"warehouse": resource_for(warehouse)}
    )
    assert result.success
    metadata = {
        m.asset_key.path[-1]: m.metadata
        for m in result.asset_materializations_for_node("raw_events")
    }
    dossier_meta = metadata["dossier_events"]
    assert (dossier_meta["accepted"].value, dossier_meta["duplicates"].value) == (1, 1)
    assert dossier_meta["quarantined"].value == 1
    assert metadata["portal_events"]["accepted"].value == 3
    docs = Path(dossier_meta["data_docs"].value)
    assert docs.is_file() and "raw.dossier_events" in docs.read_text()
    checks = {c.asset_key.path[-1]: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == {f"{s}_events" for s in STREAMS}
    # One record in three quarantined is far above the 5% a healthy delivery allows.
    assert not checks["dossier_events"].passed
    assert "data_docs" in checks["dossier_events"].metadata
    assert checks["portal_events"].passed
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 1


def _ingest_and_check(root: Path) -> dg.ExecuteInProcessResult:
    """Two dossier deliveries (one with a repeated id and a channel outside the contract)
    materialised with the delivery check and an asset downstream of the raw dossiers, in one
    process."""
    warehouse = Warehouse(root)
    warehouse.register_portals()
    warehouse.land(
        "dossier", "a.jsonl", [dossier("e1"), dossier("e1"), dossier("e2", channel="fax")]
    )
    warehouse.land("dossier", "b.jsonl", [dossier(f"b{i}") for i in range(5)])

    @dg.asset(deps=[raw_key("dossier")])
    def downstream() -> None:  # stands for the build
        pass

    return dg.materialize(
        [raw_events, raw_delivery_health, downstream],
        resources={"warehouse": resource_for(warehouse)},
        raise_on_error=False,
    )


def _judged(result: dg.ExecuteInProcessResult) -> dict:
    """Each delivery check's verdict and metadata, batch ids and Data Docs paths left out."""
    return {
        check.asset_key.path[-1]: (
            check.passed,
            {
                key: re.sub(r"[a-z]+-\d{8}T\d{6}-[0-9a-f]{8}", "<batch>", str(value.value))
                for key, value in check.metadata.items()
                if key != "data_docs"
            },
        )
        for check in result.get_asset_check_evaluations()
    }


def test_many_rows_are_validated_beside_the_run_as_the_check_would_itself(tmp_path, monkeypatch):
    """A run in one process whose deliveries give the check many rows to validate exports them
    as its ingest ends and validates them in a process of their own while its other steps go
    on; the check's step, the run's last, reports what that process found: what the check finds
    validating them itself, as it does with fewer rows."""
    validated_itself = []
    validate = ingest_assets.delivery_health

    def counted(*args):
        validated_itself.append(args[2])
        return validate(*args)

    monkeypatch.setattr(ingest_assets, "delivery_health", counted)
    # offline by construction, the validating process too
    attempts = refuse_the_network(monkeypatch, tmp_path / "network.log")
    monkeypatch.setattr(checks, "BESIDE_ROWS", 9)  # the portals' 3 rows and the dossiers' 6
    beside = _ingest_and_check(tmp_path / "beside")
    assert beside.success and attempts() == []
    assert "dossier" not in validated_itself and "portal" not in validated_itself
    steps = [e.step_key for e in beside.all_events if e.event_type_value == "STEP_START"]
    assert steps == ["raw_events", "downstream", "raw_delivery_health"]
    assert sorted(p.name for p in (tmp_path / "beside" / "data_docs").iterdir()) == [
        "results",
        "site",
    ]

    monkeypatch.setattr(checks, "BESIDE_ROWS", 10)  # one row short: the check validates them
    itself = _ingest_and_check(tmp_path / "itself")
    assert itself.success and {"dossier", "portal"} <= set(validated_itself)
    assert attempts() == []

    judged = _judged(beside)
    assert judged == _judged(itself)
    passed, metadata = judged["dossier_events"]
    assert not passed  # one record in three quarantined in a.jsonl
    assert metadata["deliveries"] == "2" and metadata["rows_validated"] == (
        "- <batch>: all 1 rows\n- <batch>: all 5 rows"
    )
    assert judged["portal_events"][0]
    assert judged["post_events"][1] == {"deliveries": "0", "note": "no new delivery in this run"}


def test_the_export_of_a_run_whose_process_ended_is_removed_by_the_next(tmp_path, monkeypatch):
    """A run killed before its check's step leaves its export; the next run that exports removes
    it, and leaves those of runs whose process still runs."""
    ended = subprocess.Popen(["true"])
    ended.wait()  # its process id now names no process
    docs = tmp_path / "data_docs"
    abandoned = docs / f"beside-{ended.pid}-x"
    running = docs / f"beside-{os.getppid()}-y"
    for folder in (abandoned, running):
        folder.mkdir(parents=True)
        (folder / "dossier-0.parquet").write_bytes(b"rows")
    monkeypatch.setattr(checks, "BESIDE_ROWS", 1)
    assert _ingest_and_check(tmp_path).success
    assert not abandoned.exists() and running.exists()


def test_the_validation_beside_a_killed_run_ends_with_it(tmp_path):
    """The process judging a run's export ends soon after the run's process is killed, rather
    than validating for nobody. Its export here never reads to an end (a FIFO): only the end of
    the run's process can end it."""
    folder = tmp_path / "data_docs" / "beside-x"
    folder.mkdir(parents=True)
    os.mkfifo(folder / batch_rows.EXPORTED)
    run = subprocess.Popen(  # stands for the run's process
        [sys.executable, "-c", "import sys, time; from orchestration import checks;"
         " from pathlib import Path; folder = Path(sys.argv[1]);"
         " print(checks.start_judging(folder, folder.parent, 'UTC').pid, flush=True);"
         " time.sleep(600)", str(folder)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    judging = psutil.Process(int(run.stdout.readline()))
    try:
        assert judging.nice() == checks.BESIDE_NICENESS
        time.sleep(1)
        assert judging.status() != psutil.STATUS_ZOMBIE
        run.kill()
        run.wait()
        assert _ends(judging, within=30), "the judging process outlived its run's process"
        assert not (folder / batch_rows.VERDICTS).exists()
    finally:
        for process in (run, judging):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def _ends(process: psutil.Process, within: float) -> bool:
    """Whether the process ends (or is left a zombie for its new parent to reap) in time."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_a_failed_validation_beside_the_run_fails_the_checks_step_only(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "BESIDE_ROWS", 1)
    # the export under a name its process does not read: that process fails
    monkeypatch.setattr(batch_rows, "EXPORTED", "elsewhere.json")
    result = _ingest_and_check(tmp_path)
    failed = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failed] == ["raw_delivery_health"]
    said = failed[0].step_failure_data.user_failure_data.description
    assert said.startswith("Great Expectations' validation failed: FileNotFoundError")
    assert "deliveries.json" in said and "Traceback" not in said
    assert {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"} == {
        "raw_events",
        "downstream",
    }
    assert not list((tmp_path / "data_docs").glob("beside-*"))  # the export is removed


def _ingest_job() -> dg.JobDefinition:
    return defs.resolve_job_def("ingest_job")


def test_a_check_re_executed_from_failure_checks_what_its_first_run_ingested(
    warehouse, tmp_path, monkeypatch
):
    """The UI's "re-execute from failure" after the check's step failed runs that step alone:
    it validates the deliveries the failed run ingested, not "no new delivery"."""
    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("e1"), dossier("e2")])
    monkeypatch.setenv("PORTAL_WAREHOUSE_LANDING", str(warehouse.landing))
    monkeypatch.setenv("PORTAL_WAREHOUSE_DB", str(warehouse.settings.db))
    validate = ingest_assets.delivery_health

    def broken(*args):
        raise RuntimeError("the check could not run")

    monkeypatch.setattr(ingest_assets, "delivery_health", broken)
    in_process = {"execution": {"config": {"in_process": {}}}}
    job = dg.reconstructable(_ingest_job)
    (tmp_path / "home").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        first = dg.execute_job(job, instance, run_config=in_process)
        assert not first.success
        monkeypatch.setattr(ingest_assets, "delivery_health", validate)
        again = dg.execute_job(
            job,
            instance,
            run_config=in_process,
            reexecution_options=dg.ReexecutionOptions.from_failure(first.run_id, instance),
        )
        assert again.success
        started = [e.step_key for e in again.all_events if e.event_type_value == "STEP_START"]
        assert started == ["raw_delivery_health"]
        checks = {c.asset_key.path[-1]: c for c in again.get_asset_check_evaluations()}
    assert checks["dossier_events"].metadata["deliveries"].value == 1
    assert checks["dossier_events"].metadata["rows_validated"].value.endswith(": all 2 rows")
    assert checks["post_events"].metadata["deliveries"].value == 0


def test_an_ingest_names_the_published_periods_its_events_could_change(warehouse, tmp_path):
    """Events ingested after a published version was built and dated up to its period's last
    date could change it: the run's log says which (a period's own run leaves itself out)."""
    from datetime import UTC

    warehouse.register_portals()
    warehouse.ingest()
    built = datetime.now(UTC).isoformat()  # the versions below were built from what is held now
    publish = tmp_path / "publish"
    for period, last in (("2022-FY", "2022-12-31"), ("2023-Q1", "2023-03-31")):
        (publish / period / "v1").mkdir(parents=True)
        manifest = {"period_end": last, "event_watermark": built}
        (publish / period / "v1" / "manifest.json").write_text(json.dumps(manifest))
    (publish / "2023-Q2" / "v1").mkdir(parents=True)  # a manifest that cannot be read: passed over
    (publish / "2023-Q2" / "v1" / "manifest.json").write_text("{cut short")
    warehouse.land("dossier", "a.jsonl", [dossier("e1")])  # dated 2023-03-01
    resource = WarehouseResource(
        landing=str(warehouse.landing), db=str(warehouse.settings.db), publish=str(publish)
    )
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([raw_events], resources={"warehouse": resource}, instance=instance)
    assert result.success
    assert [
        e.user_message
        for e in instance.all_logs(result.run_id)
        if e.user_message.startswith("published ")
    ] == [
        "published 2023-Q1 v1: 1 event(s) ingested since, dated up to 2023-03-31:"
        " run the period again to restate it"
    ]


def test_a_subset_ingests_only_its_streams(warehouse):
    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("e1")])
    result = dg.materialize(
        [raw_events],
        selection=[raw_key("portal")],
        resources={"warehouse": resource_for(warehouse)},
    )
    assert result.success
    assert warehouse.scalar("SELECT count(*) FROM raw.portal_events") == 3
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 0


def test_a_subset_of_the_models_builds_those_and_runs_their_tests_only(warehouse):
    """Models picked in the UI: dbt, run in the step's process with dagster-dbt's selection,
    builds them and runs their tests, and nothing else."""
    warehouse.register_portals()
    warehouse.land(
        "dossier", "a.jsonl", [dossier("e1"), dossier("e2", "resolved", dossier_id="D-e1")]
    )
    warehouse.ingest()
    picked = {
        dg.AssetKey(["staging", "stg_dossier_events"]),
        dg.AssetKey(["intermediate", "int_dossier_lifecycle"]),
    }
    result = dg.materialize(
        [dbt_models],
        selection=list(picked),
        resources={"warehouse": resource_for(warehouse), REPORT_RESOURCE: ReportRun()},
    )
    assert result.success
    built = {m.asset_key for m in result.asset_materializations_for_node("dbt_models")}
    assert built == picked
    checks = result.get_asset_check_evaluations()
    assert {c.asset_key for c in checks} == picked and all(c.passed for c in checks)
    assert len(checks) == 4  # the yml's one test of the staging view, three of the replay
    assert warehouse.scalar("SELECT count(*) FROM intermediate.int_dossier_lifecycle") == 1
    others = warehouse.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name IN ('marts', 'reference')"
    )
    assert others == 0


def test_dbts_duckdb_has_the_configured_memory_budget(warehouse, tmp_path):
    """profiles.yml's settings reach the connection dbt opens (set once, when it connects)."""
    printed = run_dbt(
        warehouse.settings.db,
        "show",
        "--inline",
        "select current_setting('memory_limit') as budget,"
        " current_setting('preserve_insertion_order') as ordered",
        target=tmp_path / "t",
        PORTAL_WAREHOUSE_DBT_MEMORY_LIMIT="1234MB",
    )
    assert "| 1.1 GiB |   False |" in printed, printed


def test_dbts_loggers_make_only_the_lines_they_write(warehouse, tmp_path, monkeypatch):
    """dbt.log (JSON) and stdout (text) get the events their level keeps, and no line is made
    for an event they would drop: dbt's debug events (each SQL statement) are most of them."""
    made: list[str] = []
    make_json_line = dbt_logger._JsonLogger.create_line

    def count(self, msg):
        made.append(msg.info.name)
        return make_json_line(self, msg)

    monkeypatch.setattr(dbt_logger._JsonLogger, "create_line", count)
    query = ("show", "--inline", "select 1 as one")
    printed = run_dbt(warehouse.settings.db, *query, target=tmp_path / "info")
    info = [json.loads(line)["info"] for line in dbt_log(tmp_path / "info")]
    assert Counter(made) == Counter(event["name"] for event in info)  # threads interleave
    assert {event["level"] for event in info} <= {"info", "warn", "error"}
    assert "MainReportVersion" in made and "Running with dbt=" in printed
    assert "select 1 as one" not in printed  # the SQL statement is a debug event

    made.clear()
    run_dbt(warehouse.settings.db, *query, target=tmp_path / "debug", **DBT_DEBUG_LOG)
    debug = [json.loads(line)["info"] for line in dbt_log(tmp_path / "debug")]
    assert Counter(made) == Counter(event["name"] for event in debug)
    assert any(e["level"] == "debug" and "select 1 as one" in e["msg"] for e in debug)


def test_dbts_debug_events_become_messages_only_when_something_keeps_them(
    warehouse, tmp_path, monkeypatch
):
    """dbt-common makes a message of each event before a logger or a callback sees it; a debug
    event (each SQL statement) is dropped first unless a logger writes debug, or a callback that
    does not say it ignores debug events listens."""
    made: list[str] = []
    make_message = event_manager.msg_from_base_event

    def count(event, level=None):
        message = make_message(event, level=level)
        made.append(message.info.level)
        return message

    monkeypatch.setattr(event_manager, "msg_from_base_event", count)
    query = ("show", "--inline", "select 1 as one")
    run_dbt(warehouse.settings.db, *query, target=tmp_path / "info")
    assert "info" in made and "debug" not in made

    made.clear()
    run_dbt(warehouse.settings.db, *query, target=tmp_path / "debug", **DBT_DEBUG_LOG)
    assert made.count("debug") > made.count("info")  # the debug log is written in full

    heard = []  # any other listener still hears every event
    manager = event_manager.EventManager()
    manager.add_callback(lambda message: heard.append(message.info.name))
    manager.fire_event(SystemExecutingCmd(cmd=["dbt", "--version"]))
    assert heard == ["SystemExecutingCmd"]


def test_dbts_events_are_built_only_when_something_reads_them(warehouse, tmp_path, monkeypatch):
    """dbt-common builds an event's protobuf message from its fields (`ParseDict`) when the
    event is made; the events nobody keeps (`_fire_only_what_is_kept`) are now never built, and
    an event that is read reads as one built at once."""
    built: list[str] = []
    parse = base_types.ParseDict

    def count(fields, message):
        name = type(message).__name__
        if not name.endswith("Msg"):  # not the message a fired event is wrapped in
            built.append(name)
        return parse(fields, message)

    monkeypatch.setattr(base_types, "ParseDict", count)
    made: list[str] = []
    make_message = event_manager.msg_from_base_event

    def message(event, level=None):
        made.append(type(event).__name__)
        return make_message(event, level=level)

    monkeypatch.setattr(event_manager, "msg_from_base_event", message)
    query = ("show", "--inline", "select 1 as one")
    run_dbt(warehouse.settings.db, *query, target=tmp_path / "info")
    assert Counter(built) == Counter(made)  # SQLQuery and the other debug events: neither
    assert "SQLQuery" not in built and "MainReportVersion" in built

    built.clear()
    run_dbt(warehouse.settings.db, *query, target=tmp_path / "debug", **DBT_DEBUG_LOG)
    assert "SQLQuery" in built  # the debug log is written in full

    event = SystemExecutingCmd(cmd=["dbt", "--version"])
    assert event.cmd == ["dbt", "--version"] and event.code() == "Z006"
    event.cmd.append("--quiet")  # a field set after the event was made is kept
    assert event.to_dict() == {"cmd": ["dbt", "--version", "--quiet"]}


def test_a_warehouse_of_another_file_name_gets_a_parse_of_its_own(warehouse, tmp_path):
    """dbt names a warehouse's relations after its file's name: in a process that has parsed
    the project for one warehouse, a file of another name is parsed for again, rather than
    read through relations named after the first."""
    import shutil

    warehouse.register_portals()
    warehouse.ingest()
    query = ("show", "--inline", "select portal_id from {{ source('raw', 'portal_events') }}")
    assert "so-tttt" in run_dbt(warehouse.settings.db, *query, target=tmp_path / "first")
    other = tmp_path / "other" / "province.duckdb"
    other.parent.mkdir()
    shutil.copy(warehouse.settings.db, other)
    assert "so-tttt" in run_dbt(other, *query, target=tmp_path / "second")


def test_dbt_compiles_each_template_once_per_process(warehouse, tmp_path, monkeypatch):
    """The Jinja of each node, test and macro is compiled once: a second build of the same
    nodes in the process compiles nothing, and shows the same result."""
    compiled: list[str] = []
    make_code = MacroFuzzEnvironment._generate  # Jinja's parsed template made into Python

    def count(self, source, name, filename, *args, **kwargs):
        compiled.append(name)
        return make_code(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(MacroFuzzEnvironment, "_generate", count)
    query = ("show", "--inline", "select {{ 1 + 1 }} as two")
    first = run_dbt(warehouse.settings.db, *query, target=tmp_path / "first")
    assert compiled

    compiled.clear()
    again = run_dbt(warehouse.settings.db, *query, target=tmp_path / "again")
    assert compiled == []
    assert "|   2 |" in first and again.split("Previewing")[1] == first.split("Previewing")[1]


def test_dbt_reuses_its_result_type_testers(warehouse, tmp_path, monkeypatch):
    """dbt reads each statement's result into an agate table; the type testers that do it (and
    the locale-bound calendars of their date types) are made once, not for each statement, and
    still type what they read."""
    calendars: list[object] = []
    make_constants = parsedatetime.Constants.__init__

    def count(self, *args, **kwargs):
        calendars.append(self)
        make_constants(self, *args, **kwargs)

    monkeypatch.setattr(parsedatetime.Constants, "__init__", count)
    query = ("show", "--inline", "select 1 as one, 'x' as text, date '2025-07-01' as day")
    run_dbt(warehouse.settings.db, *query, target=tmp_path / "first")
    calendars.clear()
    shown = run_dbt(warehouse.settings.db, *query, target=tmp_path / "again")
    assert calendars == []
    assert "|   1 | x    | 2025-07-01 |" in shown  # a number, a text, a date


def dbt_log(target: Path) -> list[str]:
    return (target / "dbt.log").read_text().splitlines()


def test_the_sensor_requests_an_ingest_of_new_files_only(warehouse):
    resources = {"warehouse": resource_for(warehouse)}
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=resources)
        assert isinstance(landing_sensor(context), dg.SkipReason)

        warehouse.register_portals()
        warehouse.land("dossier", "a.jsonl", [dossier("e1")])
        context = dg.build_sensor_context(instance=instance, resources=resources)
        request = landing_sensor(context)
        assert isinstance(request, dg.RunRequest)
        assert set(request.asset_selection) == {raw_key("portal"), raw_key("dossier")}

        again = dg.build_sensor_context(
            instance=instance, resources=resources, cursor=context.cursor
        )
        assert isinstance(landing_sensor(again), dg.SkipReason)

        warehouse.land("question", "q.jsonl", [])
        later = dg.build_sensor_context(
            instance=instance, resources=resources, cursor=context.cursor
        )
        request = landing_sensor(later)
        assert set(request.asset_selection) == {raw_key("question")}


def test_the_instance_gives_the_writer_pool_one_slot(tmp_path):
    import shutil
    from pathlib import Path

    shutil.copy(Path(__file__).parents[1] / "orchestration" / "dagster.yaml", tmp_path)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_a_builds_inputs_change_with_every_thing_it_reads(warehouse, tmp_path):
    """The build is skipped only when its inputs are the last build's (builds.build_inputs):
    new events, a quarantined record released, other reference data, another period or cutoff
    each make them differ; reading them again changes nothing."""
    from ingest.reference import BUNDLED, load_reference
    from ingest.warehouse import connect
    from orchestration.builds import PROJECT_MANIFEST, build_inputs
    from orchestration.dbt_project import dbt_project

    assert dbt_project.manifest_path == PROJECT_MANIFEST  # named twice: once without dagster-dbt

    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("e1"), dossier("e2", portal_id="so-moi")])
    warehouse.ingest()
    settings, bundled = warehouse.settings, load_reference(None)

    def inputs(reference=bundled, period="2023-Q1", cutoff=None) -> str:
        con = connect(settings.db, settings.tz, read_only=True)
        try:
            return build_inputs(con, settings.tz, reference, period, cutoff, PROJECT_MANIFEST)
        finally:
            con.close()

    first = inputs()
    assert inputs() == first
    assert inputs(period="2023-Q2") != first
    assert inputs(cutoff="2023-03-25") != first

    own = tmp_path / "reference"
    own.mkdir()
    holidays = (BUNDLED / "public_holidays.csv").read_text(encoding="utf-8")
    (own / "public_holidays.csv").write_text(holidays + "2023-03-31,false,Một ngày nghỉ\n", "utf-8")
    assert inputs(reference=load_reference(own)) != first

    warehouse.land(
        "portal", "new.jsonl", [{**REGISTRY[0], "event_id": "reg-moi", "portal_id": "so-moi"}]
    )
    warehouse.ingest()
    registered = inputs()
    assert registered != first
    assert warehouse.replay().totals()["accepted"] == 1  # e2, now that so-moi is registered
    assert inputs() != registered


def test_a_replays_code_is_all_its_rows_depend_on_besides_the_events():
    """A replay built with other code is dropped before a build (builds.replay_code): its SQL,
    a staging view it reads, any macro of the project, dbt's version or the time zone changes
    its code; another model's SQL does not. A period's models are not replays: a period's run
    builds its rows again."""
    from orchestration.assets.transform import PERIOD_TAG
    from orchestration.builds import PROJECT_MANIFEST, replay_code

    text = PROJECT_MANIFEST.read_text()
    manifest = json.loads(text)
    tz = "Asia/Ho_Chi_Minh"
    first = replay_code(manifest, tz, PERIOD_TAG)
    assert sorted(first) == [
        "intermediate.int_dossier_lifecycle",
        "intermediate.int_post_publications",
        "intermediate.int_question_status",
    ]

    def changed(edit) -> set[str]:
        edited = json.loads(text)  # a fresh copy
        edit(edited)
        return {r for r, code in replay_code(edited, tz, PERIOD_TAG).items() if code != first[r]}

    def sql_of(model: str):
        return lambda m: m["nodes"][f"model.portal_warehouse.{model}"]["checksum"].update(
            checksum="other"
        )

    assert changed(sql_of("int_dossier_lifecycle")) == {"intermediate.int_dossier_lifecycle"}
    assert changed(sql_of("stg_post_events")) == {"intermediate.int_post_publications"}
    assert changed(sql_of("fct_dossiers_period")) == set()
    watermark = "macro.portal_warehouse.incremental_watermark"
    assert changed(lambda m: m["macros"][watermark].update(macro_sql="{% macro x() %}")) == set(
        first
    )
    assert changed(lambda m: m["metadata"].update(dbt_version="9.9.9")) == set(first)
    other_zone = replay_code(manifest, "Asia/Bangkok", PERIOD_TAG)
    assert all(other_zone[r] != first[r] for r in first)


def test_the_seeds_are_kept_while_what_loaded_them_holds(warehouse, tmp_path):
    """A whole build leaves the seeds out when the last one that loaded them (and passed their
    tests) read the same reference files and project (builds.seeds_loaded): new events, another
    period or cutoff keep them; other reference data, a seed table gone, or a build that began
    loading them since (forget_seeds) does not."""
    from ingest.reference import BUNDLED, load_reference
    from ingest.warehouse import connect
    from orchestration.builds import (
        PROJECT_MANIFEST,
        build_inputs,
        forget_seeds,
        manifest_nodes,
        record_seeds,
        seeds_loaded,
    )

    warehouse.register_portals()
    warehouse.ingest()
    settings, bundled = warehouse.settings, load_reference(None)
    own = tmp_path / "reference"
    own.mkdir()
    holidays = (BUNDLED / "public_holidays.csv").read_text(encoding="utf-8")
    (own / "public_holidays.csv").write_text(holidays + "2023-03-31,false,Một ngày nghỉ\n", "utf-8")
    seeds = [
        f"{n['schema']}.{n['alias'] or n['name']}"
        for n in manifest_nodes(PROJECT_MANIFEST).values()
        if n["resource_type"] == "seed"
    ]

    def inputs(con, reference=bundled, period="2023-Q1", cutoff=None) -> str:
        return build_inputs(con, settings.tz, reference, period, cutoff, PROJECT_MANIFEST)

    def kept(**asked) -> str | None:
        con = connect(settings.db, settings.tz, read_only=True)
        try:
            return seeds_loaded(con, inputs(con, **asked), PROJECT_MANIFEST)
        finally:
            con.close()

    @contextlib.contextmanager
    def writing():
        con = connect(settings.db, settings.tz)
        try:
            yield con
        finally:
            con.close()

    assert kept() is None  # never loaded
    with writing() as con:
        for seed in seeds:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {seed.split('.')[0]}")
            con.execute(f"CREATE TABLE {seed} (x INTEGER)")
        record_seeds(con, inputs(con), "run-1")
    assert kept() == "run-1"
    assert kept(period="2024-Q2", cutoff="2024-05-01") == "run-1"
    warehouse.land("dossier", "a.jsonl", [dossier("e1")])
    warehouse.ingest()
    assert kept() == "run-1"  # new events: the seeds are what they were

    assert kept(reference=load_reference(own)) is None
    schema, table = seeds[0].split(".")
    with writing() as con:
        con.execute(f"ALTER TABLE {schema}.{table} RENAME TO gone")
    assert kept() is None
    with writing() as con:
        con.execute(f"ALTER TABLE {schema}.gone RENAME TO {table}")
    assert kept() == "run-1"
    with writing() as con:
        forget_seeds(con)
    assert kept() is None
