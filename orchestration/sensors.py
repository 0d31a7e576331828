"""Watch the landing folder, whose new or changed files launch an ingest of their streams; and
announce a failed run (or a publish a contract blocked) of the UI, the schedule or a sensor."""

import hashlib
import json

import dagster as dg

from ingest.landing import discover
from orchestration.alerts import ALERTED_TAG, contract_alert, failure_alert, send_alert
from orchestration.assets.ingest import raw_key
from orchestration.checks import CONTRACT_CHECK
from orchestration.jobs import ingest_job, period_job, publish_job
from orchestration.resources import WarehouseResource
from orchestration.runs import failure_reason


@dg.sensor(
    job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING
)
def landing_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """The cursor remembers each file's size and modification time; the DuckDB file is not
    opened here, since a running ingest holds its only writer's lock. A file still being written
    (modified within the settle interval, PORTAL_WAREHOUSE_SETTLE_SECONDS) is left for a later
    tick: it is not in the cursor, so once it holds still it is new; the run it launches waits
    as long (orchestration.assets.ingest)."""
    settings = warehouse.settings()
    seen = json.loads(context.cursor) if context.cursor else {}
    found = discover(settings.landing, settle_seconds=settings.settle_seconds)
    now = {f.relative: f.stamp for f in found.files}
    changed = sorted(name for name, stamp in now.items() if seen.get(name) != stamp)
    context.update_cursor(json.dumps(now, sort_keys=True))
    if not changed:
        waiting = sum(s.reason.startswith("still being written") for s in found.skipped)
        return dg.SkipReason(
            "no new or changed file in the landing folder"
            + (f" ({waiting} still being written)" if waiting else "")
        )
    streams = sorted({name.split("/", 1)[0] for name in changed})
    run_key = hashlib.sha256("\n".join(f"{n}={now[n]}" for n in changed).encode()).hexdigest()
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=[raw_key(s) for s in streams],
        tags={"landing/files": str(len(changed))},
    )


@dg.run_failure_sensor(
    monitored_jobs=[ingest_job, period_job, publish_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alert(context: dg.RunFailureSensorContext, warehouse: WarehouseResource):
    """E-mails (or logs, orchestration/alerts.py) the failing steps and their reasons; a failed
    blocking `contract` check is said as such, with its rules. Runs tagged ALERTED_TAG were
    started by the CLI, which alerts itself."""
    run = context.dagster_run
    if run.tags.get(ALERTED_TAG):
        return dg.SkipReason(f"run {run.run_id} is alerted by whoever started it ({ALERTED_TAG})")
    errors, failed_contracts = [], []
    kinds = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_CHECK_EVALUATION}
    for record in context.instance.all_logs(run.run_id, of_type=kinds):
        event = record.dagster_event
        if event.is_step_failure:
            reason, _ = failure_reason(event.step_failure_data)
            errors.append(f"{event.step_key}: {reason}")
        else:
            evaluation = event.asset_check_evaluation_data
            if (
                evaluation.check_name == CONTRACT_CHECK
                and evaluation.blocking
                and not evaluation.passed
            ):
                failed_contracts.append(
                    evaluation.description or evaluation.asset_key.to_user_string()
                )
    period_id = run.tags.get("dagster/partition")
    where = f"Dagster run {run.run_id} of {run.job_name} (the UI, the schedule or a sensor)."
    if failed_contracts:
        subject, body = contract_alert(period_id or "(no period)", failed_contracts, where)
    else:
        subject, body = failure_alert(
            period_id, errors or [context.failure_event.message or "failed"], where
        )
    context.log.info(
        f"alert for run {run.run_id}: {send_alert(subject, body, warehouse.settings())}"
    )
