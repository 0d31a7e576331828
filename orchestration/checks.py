"""Data contracts attached to assets: Great Expectations on each ingested delivery, and the
marts' Pandera contracts as blocking checks (a failure stops the publish of its period)."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from data_contracts.batch_rows import SAMPLE_ROWS, VERDICTS, export, figures, rows_to_validate
from ingest.processes import make_folder, remove_abandoned
from ingest.settings import Settings
from ingest.warehouse import connect
from orchestration.partitions import report_periods
from orchestration.resources import WarehouseResource

DELIVERY_CHECK = "delivery_health"  # Great Expectations' check of each raw stream


def docs_root(settings: Settings) -> Path:
    """Where Great Expectations keeps results and Data Docs: beside the warehouse."""
    return settings.db.parent / "data_docs"


def docs_index(settings: Settings) -> Path:
    return (
        docs_root(settings) / "site" / "index.html"
    )  # as data_contracts.raw_expectations builds it


def delivery_health(
    settings: Settings, asset_key: dg.AssetKey, stream: str, batch_ids: list[str]
) -> dg.AssetCheckResult:
    """The check of `asset_key`, the stream's raw asset: validate each delivery of this run
    (small ones together: raw_expectations.check_deliveries); it fails (as a warning) when any
    one does.

    A delivery of more than batch_rows.SAMPLE_ROWS rows has its row expectations run on a
    sample of that many (its row count and quarantined share are judged whole); the metadata
    and the Data Docs say so."""
    if not batch_ids:
        return check_result(asset_key, NO_DELIVERY)
    from data_contracts.raw_expectations import Delivery, judge, read_batch

    con = connect(settings.db, settings.tz, read_only=True)
    try:  # read one by one, as they are validated
        deliveries = (
            Delivery(b, *read_batch(con, stream, b), *figures(con, stream, b)) for b in batch_ids
        )
        return check_result(asset_key, judge(stream, deliveries, docs_root(settings)))
    finally:
        con.close()


NO_DELIVERY = {"passed": True, "metadata": {"deliveries": 0, "note": "no new delivery in this run"}}
_MARKDOWN = ("rows_validated", "failures")  # in a verdict's metadata (raw_expectations.judge)


def check_result(asset_key: dg.AssetKey, verdict: dict) -> dg.AssetCheckResult:
    """A verdict of `raw_expectations.judge` as the delivery check's result on `asset_key`."""
    metadata = dict(verdict["metadata"])
    for key in _MARKDOWN:
        if key in metadata:
            metadata[key] = dg.MetadataValue.md(metadata[key])
    if "data_docs" in metadata:
        metadata["data_docs"] = dg.MetadataValue.path(metadata["data_docs"])
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=DELIVERY_CHECK,
        passed=verdict["passed"],
        severity=dg.AssetCheckSeverity.WARN,
        description=verdict.get("description"),
        metadata=metadata,
    )


# Great Expectations beside the build. A period run's steps run one after another in one process
# (jobs.period_job). When the deliveries its ingest accepted give the check at least BESIDE_ROWS
# rows to validate, or the run's process has yet to import GX (`portal-warehouse run`: 2.8 s of
# imports on a run's way, 2.2 s of a small delivery's 12.5 s run), those rows are exported as
# soon as the ingest ends (DuckDB's COPY: neither pandas nor GX in the run's process) and a
# process of their own, at the lowest priority, imports GX and validates them while dbt builds,
# on what the build leaves of the cores. The check's own step runs after every other step of the
# run (DELIVERY_CHECK_TAGS) and reports what that process found (`beside_results`). Fewer rows
# in a process that has imported GX already (a test session), or a run whose steps have
# processes of their own (the landing sensor's ingest job), and the check's step validates them
# itself. Tried before this: a thread (the dbt step took 5-7 s longer, waiting for the GIL) and a
# process at normal priority (the dossier replay took up to twice as long).
DELIVERY_CHECK_TAGS = {"dagster/priority": "-1"}  # after every other step of its run
BESIDE_ROWS = SAMPLE_ROWS
BESIDE_NICENESS = 19  # the lowest priority: the build first
BESIDE_FOLDER = "beside-"  # prefix of an export's folder in the Data Docs root
GX_MODULE = "great_expectations"  # imported in this process or not: see above
_IN_PROCESS_EXECUTORS = ("in_process", "execute_in_process_executor")


@dataclass(frozen=True)
class _Beside:
    process: subprocess.Popen
    folder: Path


_beside: dict[str, _Beside] = {}  # by Dagster run id


def validate_beside(
    context: dg.AssetExecutionContext, settings: Settings, batches: Mapping[str, list[str]]
) -> None:
    """Start validating `batches` (by stream, the deliveries this run ingested) in a process of
    their own, when the check's step runs later in this process and they are worth it: many
    rows (BESIDE_ROWS), or GX not imported here yet."""
    if not batches or context.job_def.executor_def.name not in _IN_PROCESS_EXECUTORS:
        return
    con = connect(settings.db, settings.tz, read_only=True)
    try:
        if GX_MODULE in sys.modules and (  # else the import alone is worth a process
            rows_to_validate(con, [b for ids in batches.values() for b in ids]) < BESIDE_ROWS
        ):
            return
        root = docs_root(settings)
        root.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(root)
        folder = make_folder(BESIDE_FOLDER, root)
        try:
            export(con, batches, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    finally:
        con.close()
    _beside[context.run.run_id] = _Beside(start_judging(folder, root, settings.tz), folder)


def start_judging(folder: Path, root: Path, tz: str) -> subprocess.Popen:
    """The process that judges the export in `folder` at the lowest priority, its errors in
    `folder`/stderr.log. It ends when this process does (given its id): a killed run's
    validation would have nobody to collect it."""
    with open(folder / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "data_contracts.raw_expectations", str(folder), str(root),
             tz, str(os.getpid())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    with contextlib.suppress(ProcessLookupError):  # it may have ended already
        os.setpriority(os.PRIO_PROCESS, process.pid, BESIDE_NICENESS)
    return process


def _remove_abandoned(root: Path) -> None:
    """Remove the exports of runs whose process ended before their check's step collected them
    (killed, say), and those of this process that no run is collecting."""
    remove_abandoned(root, BESIDE_FOLDER)
    collecting = {beside.folder for beside in _beside.values()}
    for folder in root.glob(f"{BESIDE_FOLDER}{os.getpid()}-*"):
        if folder not in collecting:
            shutil.rmtree(folder, ignore_errors=True)


def beside_results(run_id: str) -> dict[str, dict]:
    """The verdicts (`check_result` takes them), by stream, of what `validate_beside` started
    for this run, once its process ended (dg.Failure with its last line of error when it
    failed); none when it started none."""
    beside = _beside.pop(run_id, None)
    if beside is None:
        return {}
    try:
        if beside.process.wait() != 0:
            said = (beside.folder / "stderr.log").read_text(errors="replace").strip()
            last = said.splitlines()[-1] if said else f"exit code {beside.process.returncode}"
            raise dg.Failure(description=f"Great Expectations' validation failed: {last}")
        return json.loads((beside.folder / VERDICTS).read_text())
    finally:
        shutil.rmtree(beside.folder, ignore_errors=True)


# The period marts with a blocking contract, and so the marts a period's publish waits for; the
# one list of them (bench/build.py reads it too).
PERIOD_MARTS = (
    "appendix_01_information",
    "appendix_01_2_not_scored",
    "appendix_02_questions",
    "appendix_03_dossiers",
    "scorecard_portal",
    "scorecard_bloc",
    "report_summary",
    "data_quality_findings",
    "portal_activity",
    "channel_metrics",
    "question_topics",
    "report_sentences",
)
CONTRACT_CHECK = "contract"  # each period mart's check, as the UI, the jobs and the runs name it
with warnings.catch_warnings():  # partitioned checks are a preview in Dagster 1.13
    warnings.simplefilter("ignore", dg.PreviewWarning)
    CONTRACT_SPECS = [
        dg.AssetCheckSpec(
            CONTRACT_CHECK,
            asset=dg.AssetKey(["marts", mart]),
            blocking=True,
            # a period's result is that period's: checking 2023-Q1 keeps 2023-9M's result
            partitions_def=report_periods,
            description=f"Pandera contract of marts.{mart} (data_contracts/marts.py), per period.",
        )
        for mart in PERIOD_MARTS
    ]


def contract_results(settings: Settings, period_id: str) -> list:
    """Every period mart's contract for one period, read from the warehouse."""
    from data_contracts.marts import check_mart  # pandera is slow to import

    con = connect(settings.db, settings.tz, read_only=True)
    try:
        return [check_mart(con, mart, period_id) for mart in PERIOD_MARTS]
    finally:
        con.close()


def check_evaluations(
    instance: dg.DagsterInstance, run_id: str
) -> dict[dg.AssetCheckKey, dg.AssetCheckEvaluation]:
    """Each check's evaluation in run `run_id`, by its key, as the instance recorded it
    (whichever process ran the check)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = (
        r.event_log_entry.get_dagster_event().asset_check_evaluation_data for r in records
    )
    return {evaluation.asset_check_key: evaluation for evaluation in evaluations}


def verified_contracts(context: dg.AssetExecutionContext, settings: Settings) -> list:
    """The period's contract results as this run's check recorded them (its evaluations in the
    run's event log, read from the instance whichever process ran the check), when it passed
    every period mart; else checked now (a run without the check, a re-executed step). Nothing
    writes the marts between the check and the publish of one run (the writer pool)."""
    from data_contracts.marts import ContractResult

    period_id = context.partition_key
    recorded = {}
    for key, evaluation in check_evaluations(context.instance, context.run_id).items():
        metadata = evaluation.metadata
        if key.name != CONTRACT_CHECK or not evaluation.passed:
            continue
        if metadata["period_id"].value == period_id:
            mart = key.asset_key.path[-1]
            recorded[mart] = ContractResult(mart, period_id, metadata["rows"].value, ())
    if set(recorded) == set(PERIOD_MARTS):
        return [recorded[mart] for mart in PERIOD_MARTS]
    return contract_results(settings, period_id)


@dg.multi_asset_check(specs=CONTRACT_SPECS)
def mart_contracts(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Blocking: when a rule fails, the publish of this period does not run."""
    period_id = context.op_execution_context.partition_key
    for result in contract_results(warehouse.settings(), period_id):
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["marts", result.mart]),
            check_name=CONTRACT_CHECK,
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=result.message(),
            metadata={
                "period_id": period_id,
                "rows": result.rows,
                "failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in result.failures)),
            },
        )
