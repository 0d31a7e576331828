"""The dbt models as assets, built by one dbt invocation per run: the warehouse-wide models
once for the warehouse, the period models (tag `period`) as partitions, one per report period.

Each model's materialization carries its row count (a period model's: the period's rows) and
its column schema as built, with the yml's descriptions; a period model's also the report
run's cutoff, the period's dates and the event watermark it was built from."""

from collections.abc import Iterator, Mapping, Set
from contextlib import contextmanager
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from ingest.reference import (
    SEED_PATH_VARIABLE,
    Reference,
    ReferenceDataError,
    claim_dbt_dir,
    dbt_dir,
    load_reference,
    prepare_seeds,
    record_used,
    seed_path,
)
from ingest.warehouse import connect, ident, literal
from orchestration.builds import (
    build_inputs,
    drop_changed_replays,
    forget_seeds,
    last_build,
    manifest_nodes,
    record_build,
    record_replay_code,
    record_seeds,
    replay_code,
    seeds_loaded,
)
from orchestration.checks import check_evaluations
from orchestration.dbt_project import MODELS_DIR, dbt_project, environment, invoke, profile_env
from orchestration.partitions import report_periods
from orchestration.resources import WRITER_POOL, WarehouseResource
from publish.periods import period_window
from publish.release import event_watermark

PERIOD_TAG = "period"  # the dbt tag of the models computed for one report period per run


REPORT_RESOURCE = "report"  # the resource key under which a run's ReportRun is set


class ReportRun(dg.ConfigurableResource):
    """What a report run is asked for, set once per run (the launchpad's `resources: report:`,
    the schedule, `portal-warehouse run`): its period is the run's partition; the build and the
    publish read the same values."""

    cutoff: str | None = None  # last local date, e.g. 2023-09-25 for the seed's 9-month report
    # a period in which the warehouse holds no event of any stream is refused (its report would
    # be all zeros, e.g. a schedule's tick before the deliveries came) unless allowed
    allow_empty: bool = False
    # The report the appendices are attached to ("Kèm theo Báo cáo số …/BC-UBND ngày …"): its
    # number ("125" or "125/BC-UBND") and date (ISO, "2023-10-05"); placeholders when unset.
    report_number: str | None = None
    report_date: str | None = None


class Translator(DagsterDbtTranslator):
    """Asset keys and groups follow the warehouse's schemas: raw/…, staging/…, marts/…; each
    model links its SQL file (code references)."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return dbt_resource_props["schema"]

    def get_partitions_def(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.PartitionsDefinition | None:
        return report_periods if PERIOD_TAG in dbt_resource_props.get("tags", ()) else None


def run_reference(warehouse: WarehouseResource) -> Reference:
    """The run's reference data, checked; a problem fails the step before anything is built."""
    try:
        return load_reference(warehouse.settings().reference)
    except ReferenceDataError as e:
        raise dg.Failure(description=f"reference data: {e}") from None


PERIOD_VARIABLE, CUTOFF_VARIABLE = "PORTAL_WAREHOUSE_PERIOD", "PORTAL_WAREHOUSE_CUTOFF"


@contextmanager
def _warehouse_env(
    warehouse: WarehouseResource,
    reference: Reference,
    period_id: str | None,
    cutoff: str | None,
) -> Iterator[None]:
    """dbt finds the DuckDB file and the time zone in
    PORTAL_WAREHOUSE_DB and _TZ (profiles.yml, `profile_env`), the report period and its cutoff
    in PORTAL_WAREHOUSE_PERIOD and _CUTOFF (int_report_periods.sql) and, when the deployment has
    reference files of its own, its seeds in the folder this prepares
    (PORTAL_WAREHOUSE_SEED_PATH, dbt_project.yml's seed-paths; unset, the bundled ones): point
    them at the run's while dbt runs.

    The period is an environment variable, not a dbt `--vars`: dbt parses the whole project
    again when its vars change; the model reads the variable only when it runs, so a new period
    parses nothing."""
    settings = warehouse.settings()
    wanted: dict[str, str | None] = {
        **profile_env(settings.db, settings.tz),
        PERIOD_VARIABLE: period_id,
        CUTOFF_VARIABLE: cutoff,
        SEED_PATH_VARIABLE: None,
    }
    if reference.folder is not None:
        prepare_seeds(reference, dbt_dir(settings.db) / "seeds")
        wanted[SEED_PATH_VARIABLE] = seed_path(settings.db)
    with environment(wanted):
        yield


def _build(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    reference: Reference,
    period_id: str | None,
    cutoff: str | None,
    seeds_from: str | None,
):
    """dbt build, in this process, of the models and checks the run selected (dagster-dbt's
    selection); each model's event gets its row count and column schema, a period model's also
    what the period was built with (`_period_metadata`), read once dbt has closed the file.
    With `seeds_from`, the run whose build loaded the seeds from the same reference files and
    project, the seeds and the tests of them alone are left out: their events say so. A selected
    replay built with other code is dropped first (`builds.drop_changed_replays`); returns the
    selected replays' code, for the caller to record once the build has passed."""
    params = get_updated_cli_invocation_params_for_context(
        context=context, manifest={}, dagster_dbt_translator=TRANSLATOR
    )
    # unit tests check the SQL, not the data: they run in the test suite, not in every run
    args = ["build", "--exclude-resource-type", "unit_test", *params.selection_args]
    if params.indirect_selection:
        args += ["--indirect-selection", params.indirect_selection]
    if seeds_from is not None:  # a whole build: dagster-dbt sets no indirect selection
        # cautious: a test leaves with the seeds only when all it reads is seeds (a model's
        # relationship to a seed is tested again)
        args += ["--exclude", "resource_type:seed", "--indirect-selection", "cautious"]
        context.log.info(f"the reference seeds are as run {seeds_from} loaded them: kept")
        yield from _unchanged(context, warehouse, period_id, cutoff, seeds_from, kinds={"seed"})
    project_dir = Path(params.dbt_project.project_dir) if params.dbt_project else MODELS_DIR
    settings = warehouse.settings()
    replays = {
        relation: code
        for relation, code in replay_code(params.manifest, settings.tz, PERIOD_TAG).items()
        if dg.AssetKey(relation.split(".")) in context.selected_asset_keys
    }
    # dbt fails at once when another process holds the file: wait here first, as every writer does
    con = connect(settings.db, settings.tz)
    try:
        if seeds_from is None:
            forget_seeds(con)
        for relation in drop_changed_replays(con, replays):
            context.log.info(f"{relation} was built with other code: replayed whole")
    finally:
        con.close()
    # dbt's target, and so its parse state, stays with the warehouse from run to run
    target = claim_dbt_dir(settings.db) / "target"
    with _warehouse_env(warehouse, reference, period_id, cutoff):
        invocation = invoke(args, target, project_dir)
    events = [
        event
        for raw in invocation.results
        for event in DbtCoreCliEventMessage(
            raw_event=raw, event_history_metadata={}
        ).to_default_asset_events(
            manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator,
            context=context,
            target_path=target,
            project=dbt_project,
        )
    ]
    if not invocation.success:
        yield from events  # what dbt built before it failed is still recorded
        raise DagsterDbtCliRuntimeError(description=invocation.failure())
    yield from _with_table_metadata(events, params.manifest, warehouse, period_id, cutoff)
    if seeds_from is not None:  # the tests of the seeds alone were left out with them
        evaluated = {
            dg.AssetCheckKey(e.asset_key, e.check_name)
            for e in events
            if isinstance(e, dg.AssetCheckResult)
        }
        yield from _earlier_verdicts(
            context, seeds_from, context.selected_asset_check_keys - evaluated
        )
    return replays


def _with_table_metadata(
    events: list,
    manifest: Mapping[str, Any],
    warehouse: WarehouseResource,
    period_id: str | None,
    cutoff: str | None,
) -> Iterator:
    settings = warehouse.settings()
    nodes = manifest["nodes"]
    built = [
        nodes[uid] for e in events if _built(e) and (uid := e.metadata["unique_id"].value) in nodes
    ]
    con = connect(settings.db, settings.tz, read_only=True)
    try:
        extra = _nodes_metadata(con, built, period_id, cutoff)
    finally:
        con.close()
    for event in events:
        uid = event.metadata["unique_id"].value if _built(event) else None
        yield event.with_metadata({**event.metadata, **extra[uid]}) if uid in extra else event


def _built(event) -> bool:
    return isinstance(event, (dg.Output, dg.AssetMaterialization)) and "unique_id" in (
        event.metadata or {}
    )


def _nodes_metadata(
    con, nodes: list[Mapping[str, Any]], period_id: str | None, cutoff: str | None
) -> dict[str, dict[str, Any]]:
    """Each model's or seed's table metadata by its unique id: the relation's columns as built,
    described by the yml, and its row count (a period model's rows of `period_id`; none for a
    view, counting one runs its query); a period model's also what its period was built with.
    Two queries for all of them (two a node took 0.2 s of a small build)."""
    period_metadata = _period_metadata(con, period_id, cutoff)
    by_id = {n["unique_id"]: n for n in nodes}
    relations = {uid: (n["schema"], n.get("alias") or n["name"]) for uid, n in by_id.items()}
    schemas = sorted({schema for schema, _ in relations.values()})
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, name, data_type in con.execute(  # a hundred times information_schema's speed
        "select schema_name, table_name, column_name, data_type from duckdb_columns()"
        f" where database_name = current_database() and list_contains({literal(schemas)},"
        " schema_name) order by column_index"
    ).fetchall():
        columns.setdefault((schema, table), []).append((name, data_type))
    counts = [
        f"select {literal(uid)}, count(*) from {ident(schema)}.{ident(table)}"
        + _period_filter(by_id[uid], period_id, columns[schema, table])
        for uid, (schema, table) in relations.items()
        if (schema, table) in columns and by_id[uid]["config"].get("materialized") != "view"
    ]
    rows = dict(con.execute(" union all ".join(counts)).fetchall()) if counts else {}
    found = {}
    for uid, relation in relations.items():
        node = by_id[uid]
        metadata = _table_metadata(node, columns.get(relation, []), rows.get(uid))
        found[uid] = metadata | period_metadata if PERIOD_TAG in node["tags"] else metadata
    return found


def _period_filter(node: Mapping[str, Any], period_id: str | None, columns: list) -> str:
    """A period model's rows of `period_id` are the ones counted."""
    if period_id is None or PERIOD_TAG not in node["tags"] or "period_id" not in dict(columns):
        return ""
    return f" where period_id = {literal(period_id)}"


def _table_metadata(
    node: Mapping[str, Any], columns: list[tuple[str, str]], rows: int | None
) -> dict[str, Any]:
    if not columns:  # ephemeral: no relation
        return {}
    described = {
        name.lower(): (c.get("description") or "").strip() for name, c in node["columns"].items()
    }
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, data_type, description=described.get(name.lower()) or None)
            for name, data_type in columns
        ]
    )
    metadata: dict[str, Any] = {"dagster/column_schema": schema}
    return metadata if rows is None else metadata | {"dagster/row_count": rows}


TRANSLATOR = Translator()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    pool=WRITER_POOL,
)
def dbt_models(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    report: ReportRun,
):
    """One `dbt build` of the selected models: the staging views, the portal dimension, the
    lifecycle replays (incremental) and the reference seeds; in a period's run also that
    period's facts and appendices, whose other periods' rows stay. Not started when everything
    it would read is what the period's last whole build read (`build_inputs`)."""
    reference = run_reference(warehouse)
    period_id = context.partition_key if context.has_partition_key else None
    cutoff = report.cutoff if period_id else None
    settings = warehouse.settings()
    manifest = dbt_project.manifest_path
    # a whole build whose inputs are those of the last one would change nothing: dbt is not run
    # (a subset is always built, and records no inputs)
    whole = context.selected_asset_keys == context.assets_def.keys
    inputs = last = seeds_from = None
    if whole:
        con = connect(settings.db, settings.tz, read_only=True)
        try:
            inputs = build_inputs(con, settings.tz, reference, period_id, cutoff, manifest)
            last = last_build(con, period_id, inputs, manifest)
            seeds_from = None if last else seeds_loaded(con, inputs, manifest)
        finally:
            con.close()
    if last is not None:
        context.log.info(f"nothing new since run {last[0]}: its models are kept")
        yield from _unchanged(context, warehouse, period_id, cutoff, last[0])
        yield from _earlier_verdicts(context, last[0], context.selected_asset_check_keys)
        return
    replays = yield from _build(context, warehouse, reference, period_id, cutoff, seeds_from)
    con = connect(settings.db, settings.tz)
    try:
        record_replay_code(con, replays, context.run_id)
        if inputs is not None:
            record_build(con, period_id, inputs, context.run_id)
            if seeds_from is None:
                record_seeds(con, inputs, context.run_id)
        if period_id is not None:
            # what the period's marts were built from, for the manifest of its published versions
            record_used(con, period_id, reference, context.run_id)
    finally:
        con.close()


def _unchanged(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    period_id: str | None,
    cutoff: str | None,
    run_id: str,
    kinds: Set[str] = frozenset({"model", "seed"}),
) -> Iterator[dg.MaterializeResult]:
    """Each model and seed (of `kinds`) as the last build left it, with its row count and
    columns read now; dbt's tests are not run again on the same data (`_earlier_verdicts`)."""
    settings = warehouse.settings()
    nodes = manifest_nodes(dbt_project.manifest_path)
    # Dagster takes a multi-asset's results in the order of their dependencies
    order = TopologicalSorter(
        {uid: node["depends_on"].get("nodes", ()) for uid, node in nodes.items()}
    )
    built = [
        nodes[uid]
        for uid in order.static_order()
        if uid in nodes and nodes[uid]["resource_type"] in kinds
    ]
    selected = [n for n in built if TRANSLATOR.get_asset_key(n) in context.selected_asset_keys]
    con = connect(settings.db, settings.tz, read_only=True)
    try:
        metadata = _nodes_metadata(con, selected, period_id, cutoff)
    finally:
        con.close()
    for node in selected:
        yield dg.MaterializeResult(
            asset_key=TRANSLATOR.get_asset_key(node),
            metadata={"unchanged_since_run": run_id, **metadata[node["unique_id"]]},
        )


def _earlier_verdicts(
    context: dg.AssetExecutionContext, run_id: str, checks: Set[dg.AssetCheckKey]
) -> Iterator[dg.AssetCheckResult]:
    """The verdicts run `run_id` gave `checks` (dbt's tests) on the data this run keeps, given
    again, each saying whose it is: left without a result, a blocking check warns in every step
    downstream. A check that run has no verdict for in this Dagster instance (its history kept
    elsewhere) is named in the log and left without one."""
    given = check_evaluations(context.instance, run_id)
    unknown = sorted(key.to_user_string() for key in checks if key not in given)
    if unknown:
        context.log.warning(
            f"{len(unknown)} checks have no verdict of run {run_id} in this Dagster instance:"
            f" not reported again ({', '.join(unknown[:3])}{', …' if len(unknown) > 3 else ''})"
        )
    for key in sorted(checks & given.keys(), key=lambda k: k.to_user_string()):
        evaluation = given[key]
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=evaluation.passed,
            severity=evaluation.severity,
            description=evaluation.description,
            metadata={**evaluation.metadata, "verdict_of_run": run_id},
        )


def _period_metadata(con, period_id: str | None, cutoff: str | None) -> dict[str, Any]:
    """What a period's marts were built with: the cutoff, the dates it covers, and the event
    watermark (the latest ingest into raw, as the published report states it)."""
    if period_id is None:
        return {}
    window = period_window(period_id, cutoff)
    return {
        "cutoff": cutoff or "none (the period's last day)",
        "period_start": str(window[0]) if window else "",
        "period_end": str(window[1]) if window else "",
        "event_watermark": event_watermark(con) or "no event",
    }
