"""Watch the landing folder; new or changed files launch an ingest of their streams."""

import hashlib
import json

import dagster as dg

from ingest.landing import discover
from orchestration.assets.ingest import raw_key
from orchestration.jobs import ingest_job
from orchestration.resources import WarehouseResource


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
