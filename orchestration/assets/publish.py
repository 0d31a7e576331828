"""Publishing a period: the whole report as files under <publish>/<period_id>/v<N>/."""

from datetime import date

import dagster as dg

from ingest.errors import BAD_INPUT
from ingest.reference import ReferenceDataError, load_reference, used_for_period
from orchestration.assets.serving import serving_marts
from orchestration.assets.transform import ReportRun
from orchestration.checks import PERIOD_MARTS, verified_contracts
from orchestration.partitions import report_periods
from orchestration.resources import WarehouseResource
from publish.release import EmptyPeriodError, publish_period
from publish.serving import open_serving
from publish.versions import code_version


@dg.asset(
    key=["publish", "report"],
    group_name="publish",
    # the marts are read from the serving copy, written once their contracts passed
    deps=[*(dg.AssetKey(["marts", mart]) for mart in PERIOD_MARTS), serving_marts.key],
    partitions_def=report_periods,
    kinds={"xlsx", "csv", "parquet", "html", "docx"},
)
def published_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, report: ReportRun
) -> dg.MaterializeResult:
    """The whole report as a new version: one workbook, each appendix and the summary as CSV
    and Parquet, a one-page HTML report, and a manifest with every file's checksum.

    Runs only after the marts' blocking contracts passed; the manifest records the results this
    run's check recorded for the files it lists (checked again here when the run has none).
    A period without any event fails here, before anything is written, unless `report` allows it
    (`allow_empty`)."""
    settings = warehouse.settings()
    period_id = context.partition_key
    try:
        report_date = date.fromisoformat(report.report_date) if report.report_date else None
    except ValueError:
        raise dg.Failure(
            description=f"report_date {report.report_date!r} is not a date (YYYY-MM-DD)",
            metadata={"exit_code": BAD_INPUT},
        ) from None
    contracts = verified_contracts(context, settings)
    failed = [c.message() for c in contracts if not c.passed]
    if failed:
        raise dg.Failure("contracts failed, nothing published:\n" + "\n".join(failed))
    con = open_serving(settings.db, settings.tz)  # marts.* the serving copy, raw.* the warehouse
    try:
        # the files the period's marts were built from; for marts built before they were noted,
        # the run's own
        reference_files = used_for_period(con, period_id)
        if reference_files is None:
            try:
                reference_files = load_reference(settings.reference).manifest()
            except ReferenceDataError as e:
                raise dg.Failure(description=f"reference data: {e}") from None
        release = publish_period(
            con,
            period_id,
            settings.publish,
            run_id=context.run_id,
            code_version=code_version(),
            contracts=[
                {"mart": c.mart, "passed": c.passed, "rows": c.rows, "failures": list(c.failures)}
                for c in contracts
            ],
            cutoff=report.cutoff,
            reference_files=reference_files,
            require_events=not report.allow_empty,
            report_number=report.report_number,
            report_date=report_date,
        )
    except EmptyPeriodError as e:  # `run` refuses with exit 2, as its pre-flight does
        raise dg.Failure(description=str(e), metadata={"exit_code": BAD_INPUT}) from None
    finally:
        con.close()
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(release.path)),
            "version": release.version,
            "files": dg.MetadataValue.json(release.files),  # name -> sha256
            "event_watermark": str(release.manifest.get("event_watermark")),
            "reference_files": dg.MetadataValue.json(reference_files),
        }
    )
