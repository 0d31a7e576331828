"""The Dagster code location: thin wiring only."""

import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.ingest import raw_events
from orchestration.assets.publish import published_report
from orchestration.assets.transform import period_models, warehouse_models
from orchestration.checks import mart_contracts
from orchestration.dbt_project import dbt_project
from orchestration.jobs import ingest_job, period_job, publish_job
from orchestration.resources import WarehouseResource
from orchestration.schedules import quarterly_publish
from orchestration.sensors import landing_sensor

# the dbt installed beside this Python, even when the virtualenv is not on PATH
DBT_EXECUTABLE = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"

defs = dg.Definitions(
    assets=[raw_events, warehouse_models, period_models, published_report],
    asset_checks=[mart_contracts],
    jobs=[ingest_job, period_job, publish_job],
    schedules=[quarterly_publish],
    sensors=[landing_sensor],
    resources={
        "warehouse": WarehouseResource(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
)
