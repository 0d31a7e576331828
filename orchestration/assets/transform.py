"""The dbt models as assets: the warehouse-wide models, and the period models as partitions."""

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_project import dbt_project
from orchestration.partitions import report_periods
from orchestration.resources import WRITER_POOL, WarehouseResource

PERIOD_MODELS = "tag:period"  # models computed for one report period per run


class PeriodConfig(dg.Config):
    """A run's report period is its partition; the cutoff optionally ends it early."""

    cutoff: str | None = None  # last local date, e.g. 2023-09-25 for the seed's 9-month report


class Translator(DagsterDbtTranslator):
    """Asset keys and groups follow the warehouse's schemas: raw/…, staging/…, marts/…."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return dbt_resource_props["schema"]


@contextmanager
def _warehouse_env(warehouse: WarehouseResource) -> Iterator[None]:
    """dbt runs as a subprocess and finds the DuckDB file in PORTAL_WAREHOUSE_DB (profiles.yml);
    point it at the resource's file for the moment the subprocess starts."""
    settings = warehouse.settings()
    wanted = {"PORTAL_WAREHOUSE_DB": str(settings.db.resolve()), "PORTAL_WAREHOUSE_TZ": settings.tz}
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, dbt_vars: dict, warehouse):
    # unit tests check the SQL, not the data: they run in the test suite, not in every run
    args = ["build", "--vars", json.dumps(dbt_vars), "--exclude-resource-type", "unit_test"]
    with _warehouse_env(warehouse):
        invocation = dbt.cli(args, context=context)
    yield from invocation.stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=PERIOD_MODELS,
    dagster_dbt_translator=Translator(),
    pool=WRITER_POOL,
)
def warehouse_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """Staging views, the portal dimension and the lifecycle replays (incremental)."""
    yield from _build(context, dbt, {}, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PERIOD_MODELS,
    dagster_dbt_translator=Translator(),
    partitions_def=report_periods,
    pool=WRITER_POOL,
)
def period_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: PeriodConfig,
):
    """Period facts and appendices for the partition's period; other periods' rows stay."""
    dbt_vars = {"period_id": context.partition_key, "cutoff": config.cutoff}
    yield from _build(context, dbt, dbt_vars, warehouse)
