"""The quarterly publish: a few days after a quarter ends, that quarter and what it completes."""

import datetime as dt

import dagster as dg

from orchestration.assets.transform import REPORT_RESOURCE
from orchestration.jobs import period_job
from publish.periods import periods_completed_by

LOCAL_TZ = "Asia/Ho_Chi_Minh"
# the report run a tick asks for: the whole period, and no report of zeros when a tick comes
# before the deliveries (the launchpad shows the same `resources: report:`)
SCHEDULED_REPORT = {"cutoff": None, "allow_empty": False}


@dg.schedule(
    job=period_job,
    cron_schedule="0 6 5 1,4,7,10 *",  # 06:00 on the 5th day after each quarter, local time
    execution_timezone=LOCAL_TZ,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def quarterly_publish(context: dg.ScheduleEvaluationContext):
    """Q1 in April; Q2 and H1 in July; Q3 and 9M in October; Q4 and FY in January."""
    tick = context.scheduled_execution_time.date()
    quarter_end = tick.replace(day=1) - dt.timedelta(days=1)
    return [
        dg.RunRequest(
            run_key=f"{period_id}@{tick.isoformat()}",
            partition_key=period_id,
            run_config={"resources": {REPORT_RESOURCE: {"config": SCHEDULED_REPORT}}},
        )
        for period_id in periods_completed_by(quarter_end)
    ]
