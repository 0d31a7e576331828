"""The command line shows its work, and the UI tells the story of each period it ran: step lines
while `run` works, several periods in one call, and, in the project's Dagster home, the runs,
each period's own contract results and the metadata of what was built."""

import io
import json
import os
import re
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.event_api import PartitionKeyFilter
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from orchestration import checks, cli
from orchestration.assets.transform import dbt_models
from orchestration.checks import PERIOD_MARTS
from orchestration.cli import main
from orchestration.runs import RunOutcome
from tests.conftest import Warehouse, dossier

PERIODS = ["2023-Q1", "2023-Q2"]
STEPS = [
    "raw_events", "dbt_models", "mart_contracts", "serving__marts", "publish__report",
    "raw_delivery_health",  # after every other step: orchestration.checks
]  # fmt: skip


def run_args(warehouse: Warehouse, *extra: str) -> list[str]:
    root = warehouse.landing.parent
    return [
        "run", "--landing", str(warehouse.landing), "--db", str(warehouse.settings.db),
        "--publish", str(root / "publish"), *extra,
    ]  # fmt: skip


checked: list[str] = []


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """One `run --period 2023-Q1..2023-Q2` (the suite's only whole runs here): a dossier
    received in Q1 and resolved in Q2. Returns (warehouse, exit code, stdout, instance); the
    periods whose contracts were checked, in order, are in `checked`."""
    warehouse = Warehouse(tmp_path_factory.mktemp("progress"))
    warehouse.register_portals()
    warehouse.land(
        "dossier",
        "a.jsonl",
        [
            dossier("e1"),
            dossier("e2", "resolved", dossier_id="D-e1", occurred_at="2023-04-03T09:00:00+07:00"),
        ],
    )
    out = io.StringIO()
    checked.clear()
    contract_results = checks.contract_results

    def counted(settings, period_id: str) -> list:
        checked.append(period_id)
        return contract_results(settings, period_id)

    with pytest.MonkeyPatch.context() as env:
        env.delenv("DAGSTER_HOME", raising=False)  # the project's own home: beside the warehouse
        env.setattr("sys.stdout", out)
        env.setattr(checks, "contract_results", counted)
        code = main(run_args(warehouse, "--period", "2023-Q1..2023-Q2"))
    home = warehouse.settings.db.parent / "dagster_home"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield warehouse, code, out.getvalue(), instance


def test_a_range_runs_each_period_and_says_which_were_published(ran):
    _, code, out, _ = ran
    assert code == 0, out
    lines = out.splitlines()
    assert lines[-1] == "published: 2023-Q1, 2023-Q2"
    for n, period in enumerate(PERIODS):
        assert f"{period} ({n + 1} of 2):" in lines
        assert any(line.startswith(f"{period}: published to ") for line in lines)


def test_each_step_is_a_line_with_its_time_before_the_period_is_summed_up(ran):
    _, _, out, _ = ran
    first = out.split("2023-Q2 (2 of 2):")[0]
    before_summary = first.split("2023-Q1: published to")[0]
    finished = [
        line.split()[:2] for line in before_summary.splitlines() if line.endswith(" s")
    ]  # `  dbt_models           succeeded   41.2 s`
    assert [step for step, _ in finished if step in STEPS] == STEPS
    assert all(status == "succeeded" for _, status in finished)
    # in a log or a pipe, a plain line when each step starts, no carriage returns
    assert "  dbt_models …" in before_summary and "\r" not in out


def test_the_runs_are_recorded_in_the_project_dagster_home(ran):
    warehouse, _, _, instance = ran
    runs = instance.get_runs()
    assert sorted(r.tags["dagster/partition"] for r in runs) == PERIODS
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    # the report's settings are one resource's config, set once per run
    assert runs[0].run_config["resources"]["report"]["config"]["cutoff"] is None
    home = warehouse.settings.db.parent / "dagster_home"
    assert (home / "dagster.yaml").read_text() == (
        Path(cli.__file__).parent / "dagster.yaml"
    ).read_text()


def test_each_period_keeps_its_own_contract_results(ran):
    _, _, _, instance = ran
    keys = [dg.AssetCheckKey(dg.AssetKey(["marts", mart]), "contract") for mart in PERIOD_MARTS]
    for period in PERIODS:
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            keys, partition_filter=PartitionKeyFilter(key=period)
        )
        assert set(latest) == set(keys), period
        for record in latest.values():
            assert record.partition == period
            assert record.evaluation.passed
            assert record.evaluation.metadata["period_id"].value == period


def test_each_publish_records_what_its_runs_check_recorded_checked_once(ran):
    warehouse, _, _, instance = ran
    keys = [dg.AssetCheckKey(dg.AssetKey(["marts", mart]), "contract") for mart in PERIOD_MARTS]
    assert checked == PERIODS  # by the check; each publish read the check's results
    for period in PERIODS:
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            keys, partition_filter=PartitionKeyFilter(key=period)
        )
        recorded = [
            {"mart": key.asset_key.path[-1], "passed": True, "failures": [],
             "rows": latest[key].evaluation.metadata["rows"].value}
            for key in keys
        ]  # fmt: skip
        manifest = warehouse.landing.parent / "publish" / period / "v1" / "manifest.json"
        assert json.loads(manifest.read_text())["contracts"] == recorded
        assert any(r["rows"] for r in recorded), period


def test_materializations_carry_row_counts_columns_cutoff_and_watermark(ran):
    warehouse, _, _, instance = ran
    # the manifest the code location loaded (the file may have been parsed again since)
    manifest = get_manifest_and_translator_from_dbt_assets([dbt_models])[0]

    def metadata(key: list[str], partition: str | None = None) -> dict:
        [record] = instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey(key),
                asset_partitions=[partition] if partition else None,
            ),
            limit=1,
        ).records
        return record.asset_materialization.metadata

    appendix = metadata(["marts", "appendix_03_dossiers"], "2023-Q1")
    assert appendix["dagster/row_count"].value == warehouse.scalar(
        "select count(*) from marts.appendix_03_dossiers where period_id = '2023-Q1'"
    )
    built = warehouse.query(
        "select column_name from information_schema.columns where table_schema = 'marts'"
        " and table_name = 'appendix_03_dossiers' order by ordinal_position"
    )
    columns = appendix["dagster/column_schema"].value.columns
    assert [c.name for c in columns] == [name for (name,) in built]  # every column, not the yml's
    assert appendix["cutoff"].value == "none (the period's last day)"
    assert (appendix["period_start"].value, appendix["period_end"].value) == (
        "2023-01-01",
        "2023-03-31",
    )
    watermark = warehouse.scalar("select max(ingested_at) from raw.dossier_events")
    assert appendix["event_watermark"].value.startswith(str(watermark.year))
    # descriptions from the models' yml, wherever one is written
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or "period" not in node["tags"]:
            continue
        described = {
            k: c["description"].strip() for k, c in node["columns"].items() if c["description"]
        }
        if described and node["config"]["materialized"] != "ephemeral":
            schema = metadata([node["schema"], node["name"]], "2023-Q2")["dagster/column_schema"]
            found = {c.name: c.description for c in schema.value.columns}
            assert {k: found.get(k) for k in described} == described, unique_id
    assert metadata(["marts", "dim_portal"])["dagster/row_count"].value == 3
    view = metadata(["staging", "stg_dossier_events"])  # a view: its columns, no count
    assert "dagster/row_count" not in view and "dagster/column_schema" in view


# --- several periods, without Dagster running them ------------------------------------------


def test_several_periods_stop_at_the_first_failure_and_say_what_was_published(
    tmp_path, monkeypatch, capsys
):
    """run_period stands in for the job: the second of three periods fails."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    warehouse = Warehouse(tmp_path)
    warehouse.landing.mkdir(parents=True)
    ran, alerted = [], []

    def run_period(defs, period_id, on_step=None, **_):
        ran.append(period_id)
        on_step("dbt_models", "started")
        on_step("dbt_models", "succeeded")
        outcome = RunOutcome(period_id, f"run-{period_id}", success=period_id != "2023-H1")
        if outcome.success:
            outcome.published = f"/published/{period_id}/v1"
        else:
            outcome.errors = ["dbt_models: it broke"]
        return outcome

    def alert_on_outcome(outcome, settings):
        alerted.append(outcome.period_id)
        return "written to alerts.log"

    monkeypatch.setattr("orchestration.runs.run_period", run_period)
    monkeypatch.setattr("orchestration.alerts.alert_on_outcome", alert_on_outcome)
    args = run_args(warehouse, "--period", "2023-Q1..2023-H1", "--period", "2023-Q3")
    assert main([*args, "--allow-empty"]) == 1
    assert ran == ["2023-Q1", "2023-Q2", "2023-H1"]  # 2023-Q3 not run
    assert alerted == ["2023-H1"]
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == (
        "published: 2023-Q1, 2023-Q2; not published: 2023-H1; not run: 2023-Q3"
    )
    assert out.count("  dbt_models           succeeded") == 3
    assert err.splitlines() == [
        "error: 2023-H1: not published: dbt_models: it broke",
        "alert: written to alerts.log",
    ]


def test_a_cutoff_must_lie_in_every_period_of_the_call(tmp_path, capsys):
    warehouse = Warehouse(tmp_path)
    warehouse.landing.mkdir(parents=True)
    code = main(run_args(warehouse, "--period", "2023-Q3", "--period", "2023-Q4", "--cutoff",
                         "2023-09-25"))  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: cutoff 2023-09-25 is outside period 2023-Q4 (2023-10-01 to 2023-12-31)"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landing"]  # nothing was written


def test_the_step_line_counts_seconds_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    steps = cli._StepLines(screen)
    steps("dbt_models", "started")
    time.sleep(1.2)  # the running step's line is rewritten every half second
    steps("dbt_models", "succeeded")
    steps.close()
    shown = screen.getvalue()
    assert "\r\x1b[K  dbt_models           …" in shown  # the running step, rewritten in place
    assert re.search(r"\r\x1b\[K  dbt_models           succeeded +\d+\.\d s\n$", shown)


def test_a_run_whose_process_was_killed_is_marked_failed_by_the_next(tmp_path):
    import socket
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        for run_id, pid in (("killed", dead.pid), ("running", os.getpid())):
            instance.add_run(
                dg.DagsterRun(
                    job_name="period_job",
                    run_id=run_id,
                    status=dg.DagsterRunStatus.STARTED,
                    tags={cli.PROCESS_TAG: f"{socket.gethostname()}:{pid}"},
                )
            )
        cli._release_abandoned_runs(instance)
        assert instance.get_run_by_id("killed").status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("running").status == dg.DagsterRunStatus.STARTED
