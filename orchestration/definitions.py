"""The Dagster code location: thin wiring only."""

import warnings

import dagster as dg

from orchestration.assets.ingest import raw_delivery_health, raw_events
from orchestration.assets.publish import published_report
from orchestration.assets.serving import serving_marts
from orchestration.assets.sources import configured_source_assets
from orchestration.assets.transform import REPORT_RESOURCE, ReportRun, dbt_models
from orchestration.checks import mart_contracts
from orchestration.jobs import ingest_job, period_job, publish_job
from orchestration.resources import WarehouseResource
from orchestration.schedules import quarterly_publish
from orchestration.sensors import landing_sensor, run_failure_alert

OWNER = "team:portal-data"  # who answers for every asset: the UI's owner


def _documented(assets: list) -> list:
    """Every asset with its owner and code references (a dbt model's SQL file too)."""
    with warnings.catch_warnings():  # code references are beta: said once here, not each load
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.map_asset_specs(
            lambda spec: spec.replace_attributes(owners=[OWNER]),
            dg.with_source_code_references(assets),
        )


defs = dg.Definitions(
    assets=_documented(
        [
            raw_events,
            *configured_source_assets(),  # PORTAL_WAREHOUSE_SOURCES: one asset per source database
            dbt_models,
            serving_marts,
            published_report,
        ]
    ),
    asset_checks=[raw_delivery_health, mart_contracts],
    jobs=[ingest_job, period_job, publish_job],
    schedules=[quarterly_publish],
    sensors=[landing_sensor, run_failure_alert],
    resources={
        "warehouse": WarehouseResource(),
        # the report run's cutoff and options, set once per run (the launchpad's `resources:`)
        REPORT_RESOURCE: ReportRun(),
    },
)
