"""Publishing a period: the whole report as files under <publish>/<period_id>/v<N>/."""

import subprocess
from datetime import date
from importlib.metadata import version
from pathlib import Path

import dagster as dg

from ingest.errors import BAD_INPUT
from ingest.reference import ReferenceDataError, load_reference, used_for_period
from ingest.warehouse import connect
from orchestration.assets.transform import PeriodConfig
from orchestration.checks import PERIOD_MARTS, contract_results
from orchestration.partitions import report_periods
from orchestration.resources import WarehouseResource
from publish.release import EmptyPeriodError, publish_period


def code_version() -> str:
    """The package version and, in a git checkout, the commit the run's code came from."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"{version('portal-warehouse')}+{commit}"


class PublishConfig(PeriodConfig):
    """A period in which the warehouse holds no event of any stream is refused (its report
    would be all zeros, e.g. a schedule's tick before the deliveries came) unless allowed."""

    allow_empty: bool = False
    # The report the appendices are attached to ("Kèm theo Báo cáo số …/BC-UBND ngày …"): its
    # number ("125" or "125/BC-UBND") and date (ISO, "2023-10-05"); placeholders when unset.
    report_number: str | None = None
    report_date: str | None = None


@dg.asset(
    key=["publish", "report"],
    group_name="publish",
    deps=[dg.AssetKey(["marts", mart]) for mart in PERIOD_MARTS],
    partitions_def=report_periods,
    kinds={"xlsx", "csv", "parquet", "html", "docx"},
)
def published_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: PublishConfig
) -> dg.MaterializeResult:
    """The whole report as a new version: one workbook, each appendix and the summary as CSV
    and Parquet, a one-page HTML report, and a manifest with every file's checksum.

    Runs only after the marts' blocking contracts passed; they are checked again here so the
    manifest records exactly what was verified for the files it lists. A period without any
    event fails here, before anything is written, unless the config allows it (`allow_empty`)."""
    settings = warehouse.settings()
    period_id = context.partition_key
    try:
        report_date = date.fromisoformat(config.report_date) if config.report_date else None
    except ValueError:
        raise dg.Failure(
            description=f"report_date {config.report_date!r} is not a date (YYYY-MM-DD)",
            metadata={"exit_code": BAD_INPUT},
        ) from None
    contracts = contract_results(settings, period_id)
    failed = [c.message() for c in contracts if not c.passed]
    if failed:
        raise dg.Failure("contracts failed, nothing published:\n" + "\n".join(failed))
    con = connect(settings.db, settings.tz, read_only=True)
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
            cutoff=config.cutoff,
            reference_files=reference_files,
            require_events=not config.allow_empty,
            report_number=config.report_number,
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
