"""The dbt models as assets: the warehouse-wide models, and the period models as partitions."""

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from ingest.reference import (
    SEED_PATH_VARIABLE,
    Reference,
    ReferenceDataError,
    dbt_dir,
    load_reference,
    prepare_seeds,
    record_used,
    seed_path,
)
from ingest.warehouse import connect
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


def run_reference(warehouse: WarehouseResource) -> Reference:
    """The run's reference data, checked; a problem fails the step before anything is built."""
    try:
        return load_reference(warehouse.settings().reference)
    except ReferenceDataError as e:
        raise dg.Failure(description=f"reference data: {e}") from None


@contextmanager
def _warehouse_env(warehouse: WarehouseResource, reference: Reference) -> Iterator[None]:
    """dbt runs as a subprocess and finds the DuckDB file in PORTAL_WAREHOUSE_DB (profiles.yml)
    and, when the deployment has reference files of its own, its seeds in the folder this
    prepares (PORTAL_WAREHOUSE_SEED_PATH, dbt_project.yml's seed-paths; unset, the bundled
    ones): point them at the resource's for the moment the subprocess starts."""
    settings = warehouse.settings()
    wanted: dict[str, str | None] = {
        "PORTAL_WAREHOUSE_DB": str(settings.db.resolve()),
        "PORTAL_WAREHOUSE_TZ": settings.tz,
        SEED_PATH_VARIABLE: None,
    }
    if reference.folder is not None:
        prepare_seeds(reference, dbt_dir(settings.db) / "seeds")
        wanted[SEED_PATH_VARIABLE] = seed_path(settings.db)
    saved = {name: os.environ.get(name) for name in wanted}
    _set_environment(wanted)
    try:
        yield
    finally:
        _set_environment(saved)


def _set_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    dbt_vars: dict,
    warehouse: WarehouseResource,
    reference: Reference,
):
    # unit tests check the SQL, not the data: they run in the test suite, not in every run
    args = ["build", "--vars", json.dumps(dbt_vars), "--exclude-resource-type", "unit_test"]
    # With a deployment's seeds, dbt's target (and its parse state) stays with the warehouse's
    # prepared seeds, one per op since their vars differ, so that the next run parses only what
    # changed; the bundled seeds start from the project's parse state, as `dbt parse` left it.
    target = None
    if reference.folder is not None:
        target = dbt_dir(warehouse.settings().db) / "target" / context.op_execution_context.op.name
    with _warehouse_env(warehouse, reference):
        invocation = dbt.cli(args, context=context, target_path=target)
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
    """Staging views, the portal dimension and the lifecycle replays (incremental), and the
    reference seeds."""
    yield from _build(context, dbt, {}, warehouse, run_reference(warehouse))


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
    reference = run_reference(warehouse)
    dbt_vars = {"period_id": context.partition_key, "cutoff": config.cutoff}
    yield from _build(context, dbt, dbt_vars, warehouse, reference)
    # what the period's marts were built from, for the manifest of its published versions
    settings = warehouse.settings()
    con = connect(settings.db, settings.tz)
    try:
        record_used(con, context.partition_key, reference, context.run_id)
    finally:
        con.close()
