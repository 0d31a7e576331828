"""Jobs: ingest on its own (the landing sensor's), and a period's whole pipeline."""

import dagster as dg

from orchestration.assets.serving import serving_marts
from orchestration.checks import CONTRACT_CHECK, PERIOD_MARTS
from orchestration.partitions import report_periods

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("raw"),
    description="Ingest every new landed file into raw (the sensor's job).",
)

period_job = dg.define_asset_job(
    "period_job",
    selection=dg.AssetSelection.all(),
    partitions_def=report_periods,
    executor_def=dg.in_process_executor,  # one process, so one writer on the DuckDB file
    description=(
        "One report period: ingest → dbt build (models and tests) → Pandera contracts →"
        " serving copy → publish."
        " Config `cutoff` ends the period early (e.g. 2023-09-25 for the 9-month report)."
    ),
)

# The marts' contracts, the serving copy the publish reads, and the publish, without
# rebuilding: republish a period as it was built.
publish_job = dg.define_asset_job(
    "publish_job",
    selection=dg.AssetSelection.assets(dg.AssetKey(["publish", "report"]), serving_marts)
    | dg.AssetSelection.checks(
        *(dg.AssetCheckKey(dg.AssetKey(["marts", mart]), CONTRACT_CHECK) for mart in PERIOD_MARTS)
    ),
    partitions_def=report_periods,
    executor_def=dg.in_process_executor,
    description="Check the period's marts against their contracts and publish them as built.",
)
