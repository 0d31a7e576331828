"""One asset per raw stream, all written by one ingest of the landing folder."""

import dagster as dg

from ingest.contract import STREAM_ORDER, STREAMS
from ingest.loader import IngestReport, ingest_landing
from ingest.reference import ReferenceDataError
from ingest.status import restatable_lines
from ingest.warehouse import connect
from orchestration.checks import (
    DELIVERY_CHECK,
    DELIVERY_CHECK_TAGS,
    beside_results,
    check_result,
    delivery_health,
    docs_index,
    validate_beside,
)
from orchestration.resources import WRITER_POOL, WarehouseResource


def raw_key(stream: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"{stream}_events"])


RAW_SPECS = [
    dg.AssetSpec(
        raw_key(stream),
        group_name="raw",
        kinds={"duckdb"},
        description=f"Every accepted `{stream}` event, append-only ({STREAMS[stream].table}).",
    )
    for stream in STREAM_ORDER
]
STREAM_OF_CHECK = {dg.AssetCheckKey(raw_key(s), DELIVERY_CHECK): s for s in STREAM_ORDER}
HEALTH_CHECKS = [
    dg.AssetCheckSpec(
        DELIVERY_CHECK,
        asset=key.asset_key,
        blocking=False,
        description="Great Expectations on each delivery ingested by the run (Data Docs linked).",
    )
    for key in STREAM_OF_CHECK
]


def warn_restatable(context: dg.AssetExecutionContext, report: IngestReport) -> None:
    """The published periods the run's events could change, as warnings in its log; not the
    period the run is for, which its own run restates."""
    own = context.run.tags.get("dagster/partition")
    for line in restatable_lines(r for r in report.restatable if r[0] != own):
        context.log.warning(f"published {line}: run the period again to restate it")


def _logger(context: dg.AssetExecutionContext):
    """Each new file in the run's log as soon as it is committed, not all at the end."""

    def log(f) -> None:
        if f.status != "already_ingested":
            context.log.info(f"{f.source_file}: {f.status}, {f.accepted} accepted")

    return log


@dg.multi_asset(specs=RAW_SPECS, can_subset=True, pool=WRITER_POOL)
def raw_events(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Ingest new files of the selected streams; the registry is always read first."""
    settings = warehouse.settings()
    streams = [s for s in STREAM_ORDER if raw_key(s) in context.selected_asset_keys]
    # The landing sensor's and the schedule's runs take a file only once it has held still for
    # the settle interval; a run launched by hand (the UI, `portal-warehouse run`) takes all.
    automatic = {"dagster/sensor_name", "dagster/schedule_name"} & set(context.run.tags)
    settle = settings.settle_seconds if automatic else 0
    try:
        report = ingest_landing(
            settings, streams=streams, settle_seconds=settle, on_file=_logger(context)
        )
    except ReferenceDataError as e:  # checked before the warehouse is opened: nothing ingested
        raise dg.Failure(description=f"reference data: {e}") from None
    for entry in report.skipped:
        context.log.warning(f"skipped {entry.path}: {entry.reason}")
    warn_restatable(context, report)
    checked = context.job_def.asset_layer.asset_graph.asset_check_keys  # those of this run
    validate_beside(
        context,
        settings,
        {
            stream: batches
            for key, stream in STREAM_OF_CHECK.items()
            if key in checked and (batches := report.batches(stream))
        },
    )
    for stream in streams:
        totals = report.totals(stream)
        new = [f for f in report.files if f.stream == stream and f.status != "already_ingested"]
        context.log.info(f"{stream}: {totals}")
        yield dg.MaterializeResult(
            asset_key=raw_key(stream),
            metadata={
                "files": totals["files"],
                "rows_read": totals["rows_read"],
                "accepted": totals["accepted"],
                "duplicates": totals["duplicates"],
                "quarantined": totals["quarantined"],
                "unreadable_files": totals["unreadable"],
                "rejected_files": totals["rejected"],
                "skipped": sum(s.path.startswith(f"{stream}/") for s in report.skipped),
                "run_id": report.run_id,
                "data_docs": dg.MetadataValue.path(str(docs_index(settings))),
                "files_detail": dg.MetadataValue.md(
                    "\n".join(
                        f"- `{f.source_file}` {f.status}: read {f.rows_read}, accepted"
                        f" {f.accepted}, duplicates {f.duplicates}, quarantined {f.quarantined}"
                        + (f" ({f.error})" if f.error else "")
                        for f in new
                    )
                    or "no new file"
                ),
            },
        )


@dg.multi_asset_check(
    specs=HEALTH_CHECKS,
    can_subset=True,
    op_tags=DELIVERY_CHECK_TAGS,
    description=(
        "Great Expectations on each delivery the run ingested, after the run's other steps; many"
        " rows are validated in a process of their own while the build goes on"
        " (orchestration.checks)."
    ),
)
def raw_delivery_health(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings()
    held = beside_results(context.run.run_id)
    streams = {key: STREAM_OF_CHECK[key] for key in context.selected_asset_check_keys}
    ingested = _ingested_by_this_run(
        context, settings, [s for s in streams.values() if s not in held]
    )
    for key, stream in streams.items():
        if stream in held:
            yield check_result(key.asset_key, held[stream])
        else:
            yield delivery_health(settings, key.asset_key, stream, ingested[stream])


def _ingested_by_this_run(
    context: dg.AssetCheckExecutionContext, settings, streams: list[str]
) -> dict[str, list[str]]:
    """The deliveries of each stream that this run's `raw_events` ingested, in their order; a
    run that re-executes a failed one's check (the UI's "re-execute from failure") checks those
    its group's run ingested. One connection for them all (30 ms each)."""
    ingested: dict[str, list[str]] = {stream: [] for stream in streams}
    group = _group(context.instance, context.run.run_id)
    by_run = {}  # stream -> the run id its raw asset's latest materialization names
    for stream in streams:
        event = context.instance.get_latest_materialization_event(raw_key(stream))
        if event is not None and _group(context.instance, event.run_id) == group:
            by_run[stream] = event.asset_materialization.metadata["run_id"].value
    if not by_run:
        return ingested
    con = connect(settings.db, settings.tz, read_only=True)
    try:
        for stream, run_id in by_run.items():
            ingested[stream] = [
                batch_id
                for (batch_id,) in con.execute(
                    "SELECT batch_id FROM raw.ingest_ledger WHERE run_id = ? AND stream = ?"
                    " AND status = 'ingested' ORDER BY ingested_at, batch_id",
                    [run_id, stream],
                ).fetchall()
            ]
    finally:
        con.close()
    return ingested


def _group(instance: dg.DagsterInstance, run_id: str) -> str:
    """The id of the run that `run_id` re-executes, however many times over (its own if none)."""
    run = instance.get_run_by_id(run_id)
    return (run.root_run_id or run.run_id) if run is not None else run_id
