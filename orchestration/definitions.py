"""The Dagster code location: thin wiring only."""

import dagster as dg

from orchestration.assets.ingest import raw_events
from orchestration.assets.publish import published_report
from orchestration.assets.sources import configured_source_assets
from orchestration.assets.transform import period_models, warehouse_models
from orchestration.checks import mart_contracts
from orchestration.dbt_project import dbt_resource
from orchestration.jobs import ingest_job, period_job, publish_job
from orchestration.resources import WarehouseResource
from orchestration.schedules import quarterly_publish
from orchestration.sensors import landing_sensor

defs = dg.Definitions(
    assets=[
        raw_events,
        *configured_source_assets(),  # PORTAL_WAREHOUSE_SOURCES: one asset per source database
        warehouse_models,
        period_models,
        published_report,
    ],
    asset_checks=[mart_contracts],
    jobs=[ingest_job, period_job, publish_job],
    schedules=[quarterly_publish],
    sensors=[landing_sensor],
    resources={
        "warehouse": WarehouseResource(),
        # the virtualenv's dbt, even when it is not on PATH (`make dev`)
        "dbt": dbt_resource(),
    },
)
