"""The Dagster code location: thin wiring only."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.ingest import raw_events
from orchestration.resources import WarehouseResource
from orchestration.sensors import ingest_job, landing_sensor

defs = dg.Definitions(
    assets=[raw_events],
    jobs=[ingest_job],
    sensors=[landing_sensor],
    resources={"warehouse": WarehouseResource()},
)
