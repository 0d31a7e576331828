"""One asset per raw stream, all written by one ingest of the landing folder."""

import dagster as dg

from ingest.contract import STREAM_ORDER, STREAMS
from ingest.landing import LandedFile
from ingest.loader import IngestReport, ingest_landing
from ingest.reference import ReferenceDataError
from ingest.status import restatable_lines
from orchestration.checks import delivery_health, docs_index, import_expectations_early
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
HEALTH_CHECKS = [
    dg.AssetCheckSpec(
        "delivery_health",
        asset=raw_key(stream),
        blocking=False,
        description="Great Expectations on each delivery ingested by the run (Data Docs linked).",
    )
    for stream in STREAM_ORDER
]


def _health_check(stream: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(raw_key(stream), "delivery_health")


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


@dg.multi_asset(specs=RAW_SPECS, check_specs=HEALTH_CHECKS, can_subset=True, pool=WRITER_POOL)
def raw_events(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Ingest new files of the selected streams; the registry is always read first."""
    settings = warehouse.settings()
    streams = [s for s in STREAM_ORDER if raw_key(s) in context.selected_asset_keys]
    # The landing sensor's and the schedule's runs take a file only once it has held still for
    # the settle interval; a run launched by hand (the UI, `portal-warehouse run`) takes all.
    automatic = {"dagster/sensor_name", "dagster/schedule_name"} & set(context.run.tags)
    settle = settings.settle_seconds if automatic else 0
    checked = [s for s in streams if _health_check(s) in context.selected_asset_check_keys]

    def reading(landed: LandedFile) -> None:  # the check's import beside its first file's read
        if landed.stream in checked:
            import_expectations_early()

    try:
        report = ingest_landing(
            settings,
            streams=streams,
            settle_seconds=settle,
            on_file=_logger(context),
            on_reading=reading,
        )
    except ReferenceDataError as e:  # checked before the warehouse is opened: nothing ingested
        raise dg.Failure(description=f"reference data: {e}") from None
    for entry in report.skipped:
        context.log.warning(f"skipped {entry.path}: {entry.reason}")
    warn_restatable(context, report)
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
        if stream in checked:
            batches = [f.batch_id for f in new if f.status == "ingested"]
            yield delivery_health(settings, raw_key(stream), stream, batches)
