"""Data contracts attached to assets: Great Expectations on each ingested delivery, and the
marts' Pandera contracts as blocking checks (a failure stops the publish of its period)."""

import contextlib
import importlib
import threading
import warnings
from pathlib import Path

import dagster as dg

from ingest.settings import Settings
from ingest.warehouse import connect
from orchestration.partitions import report_periods
from orchestration.resources import WarehouseResource

RECENT_BATCHES = 10  # the volume expectation compares a delivery with this many before it


def docs_root(settings: Settings) -> Path:
    """Where Great Expectations keeps results and Data Docs: beside the warehouse."""
    return settings.db.parent / "data_docs"


def docs_index(settings: Settings) -> Path:
    return (
        docs_root(settings) / "site" / "index.html"
    )  # as data_contracts.raw_expectations builds it


_expectations_import: threading.Thread | None = None


def import_expectations_early() -> None:
    """Start importing Great Expectations (7-8 s of Python) in a thread, once per process. The
    loader reads a delivery in DuckDB, which releases the GIL, so the read hides most of the
    import; a run with nothing new never imports it."""
    global _expectations_import
    if _expectations_import is None:
        _expectations_import = threading.Thread(target=_import_expectations)
        _expectations_import.start()


def _import_expectations() -> None:
    # An error here would be a thread's traceback: delivery_health imports again and reports it
    with contextlib.suppress(Exception):
        importlib.import_module("data_contracts.raw_expectations")


def delivery_health(
    settings: Settings, asset_key: dg.AssetKey, stream: str, batch_ids: list[str]
) -> dg.AssetCheckResult:
    """The check of `asset_key`, the stream's raw asset: validate each delivery of this run
    (small ones together: raw_expectations.check_deliveries); it fails (as a warning) when any
    one does.

    A delivery of more than raw_expectations.SAMPLE_ROWS rows has its row expectations run on a
    sample of that many (its row count and quarantined share are judged whole); the metadata
    and the Data Docs say so."""
    if not batch_ids:
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name="delivery_health",
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"deliveries": 0, "note": "no new delivery in this run"},
        )
    if _expectations_import is not None:  # started by import_expectations_early
        _expectations_import.join()
    from data_contracts.raw_expectations import (
        Delivery,
        build_docs,
        check_deliveries,
        read_batch,
    )

    def delivery(con, batch_id: str) -> Delivery:
        rows_read, quarantined, ingested_at = con.execute(
            "SELECT rows_read, quarantined, ingested_at FROM raw.ingest_ledger WHERE batch_id = ?",
            [batch_id],
        ).fetchone()
        recent = [
            n
            for (n,) in con.execute(
                "SELECT accepted FROM raw.ingest_ledger WHERE stream = ?"
                " AND status = 'ingested' AND ingested_at < ?"
                " ORDER BY ingested_at DESC LIMIT ?",
                [stream, ingested_at, RECENT_BATCHES],
            ).fetchall()
        ]
        events, rows = read_batch(con, stream, batch_id)
        return Delivery(batch_id, events, rows, rows_read, quarantined, recent)

    failed: list[str] = []
    coverage: list[str] = []  # per delivery, "all N rows" or "sampled N of M rows"
    sampled = 0
    healths = []
    con = connect(settings.db, settings.tz, read_only=True)
    try:
        deliveries = (delivery(con, batch_id) for batch_id in batch_ids)  # read one by one
        checked = check_deliveries(stream, deliveries, docs_root=docs_root(settings))
        for batch_id, health in zip(batch_ids, checked, strict=True):
            failed += [f"{batch_id}: {f}" for f in health.failed]
            coverage.append(f"{batch_id}: {health.coverage}")
            sampled += health.sampled
            healths.append(health)
    finally:
        con.close()
    docs = build_docs(docs_root(settings), healths)
    metadata = {
        "deliveries": len(batch_ids),
        "sampled_deliveries": sampled,
        "rows_validated": dg.MetadataValue.md("\n".join(f"- {c}" for c in coverage[:50])),
        "failed_expectations": len(failed),
    }
    if failed:
        metadata["failures"] = dg.MetadataValue.md("\n".join(f"- {f}" for f in failed[:50]))
    if docs is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(docs))
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name="delivery_health",
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{sampled} of {len(batch_ids)} deliveries validated on a sample of their rows"
            " (row count and quarantined share on all of them); see rows_validated"
            if sampled
            else None
        ),
        metadata=metadata,
    )


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


def verified_contracts(context: dg.AssetExecutionContext, settings: Settings) -> list:
    """The period's contract results as this run's check recorded them (its evaluations in the
    run's event log, read from the instance whichever process ran the check), when it passed
    every period mart; else checked now (a run without the check, a re-executed step). Nothing
    writes the marts between the check and the publish of one run (the writer pool)."""
    from data_contracts.marts import ContractResult

    period_id = context.partition_key
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    recorded = {}
    for record in records:
        evaluation = record.event_log_entry.get_dagster_event().asset_check_evaluation_data
        metadata = evaluation.metadata
        if evaluation.check_name != CONTRACT_CHECK or not evaluation.passed:
            continue
        if metadata["period_id"].value == period_id:
            mart = evaluation.asset_key.path[-1]
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
