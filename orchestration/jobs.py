"""Jobs: ingest on its own (the landing sensor's), and a period's whole pipeline."""

import dagster as dg

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
    description=(
        "One report period: ingest → dbt build (models and tests) → Pandera contracts → publish."
        " Config `cutoff` ends the period early (e.g. 2023-09-25 for the 9-month report)."
    ),
)
