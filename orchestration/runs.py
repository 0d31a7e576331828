"""Running one report period in-process: the job the UI and the schedule run, for the CLI."""

import contextlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import dagster as dg

from ingest.errors import FAILED, IN_USE, OK, STORAGE, storage_reason_in
from orchestration.assets.publish import published_report
from orchestration.assets.transform import REPORT_RESOURCE
from orchestration.checks import CONTRACT_CHECK
from orchestration.dbt_project import DBT_ERRORS
from orchestration.instance import ephemeral_instance

CONTRACT_BLOCKED = FAILED  # exit code when a contract stopped the publish (README: exit codes)
_MAX_REASON = 600


def run_config(
    job: dg.JobDefinition,
    cutoff: str | None,
    log_level: str,
    allow_empty: bool = False,
    report_number: str | None = None,
    report_date: str | None = None,
) -> dict:
    """The report run's settings, once, as the `report` resource's config (the launchpad's
    `resources: report: config:`), which the period's build and the publish both read: the
    cutoff, `allow_empty` (otherwise the publish refuses a period without any event), and the
    report's number and date (ISO), which the published files print (placeholders without)."""
    config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if REPORT_RESOURCE in job.resource_defs:
        report = {"cutoff": cutoff, "allow_empty": allow_empty}
        for key, value in (("report_number", report_number), ("report_date", report_date)):
            if value is not None:
                report[key] = value
        config["resources"] = {REPORT_RESOURCE: {"config": report}}
    return config


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT_PROGRESS = re.compile(r"\d+ of \d+ ")  # `1 of 62 ERROR creating …`, `5 of 62 SKIP …`


def _dbt_reason(errors: str) -> str:
    """dbt's error messages without its progress lines, each on one line: `Runtime Error in
    model int_report_periods (…): Invalid Input Error: cutoff … is outside period …`."""
    reasons = []
    for message in errors.split("\n\n"):
        lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
        if not lines or _DBT_PROGRESS.match(lines[0]):
            continue
        reasons.append(": ".join(lines))
    # `Failure in model X (…)` says less than the `Runtime Error in model X (…): …` beside it
    said = [r for r in reasons if not r.startswith("Failure in ")]

    def repeated(reason: str) -> bool:
        return reason.startswith("Failure in ") and any(reason[11:] in other for other in said)

    return "; ".join(dict.fromkeys(r for r in reasons if not repeated(r))) or "dbt failed"


def failure_reason(data) -> tuple[str, int]:
    """A failed step's reason on one line, and its exit code: what a `dg.Failure` describes
    (dbt's own errors for a dbt step), else what the code raised, never Dagster's wrapper
    ("Error occurred while executing op"); 4 for storage, 3 for a warehouse in use, the
    Failure's `exit_code` metadata, else 1."""
    chain, error = [], data.error
    while error is not None:
        chain.append(error)
        error = error.cause or error.context
    described = data.user_failure_data.description if data.user_failure_data else None
    # the message of what was raised, without its class: `_duckdb.IOException: IO Error: ...`
    raised = [re.sub(r"^[\w.]+: ", "", e.message.strip(), count=1) for e in chain]
    everything = "\n".join([described or "", *raised])
    if storage := storage_reason_in(everything):
        return storage, STORAGE
    memory = [r for e, r in zip(chain, raised, strict=True) if e.cls_name == "MemoryLimitError"]
    if memory:  # an ingest out of DuckDB's memory: its message names the file
        return memory[0], STORAGE
    in_use = [r for e, r in zip(chain, raised, strict=True) if e.cls_name == "WarehouseInUseError"]
    if in_use:  # waited PORTAL_WAREHOUSE_LOCK_TIMEOUT: its message names the process holding it
        return in_use[0], IN_USE
    if "Could not set lock on file" in everything:
        return "the warehouse is in use by another process (DuckDB allows one writer)", IN_USE
    text = _ANSI.sub("", described or (raised[-1] if raised else "failed"))
    if DBT_ERRORS in text:
        reason = _dbt_reason(text.split(DBT_ERRORS, 1)[1])
    else:
        reason = "; ".join(line.strip() for line in text.splitlines() if line.strip())
    if len(reason) > _MAX_REASON:
        reason = reason[: _MAX_REASON - 1] + "…"
    code = FAILED
    if data.user_failure_data and "exit_code" in data.user_failure_data.metadata:
        code = data.user_failure_data.metadata["exit_code"].value
    return reason, code


@dataclass
class RunOutcome:
    period_id: str
    run_id: str
    success: bool
    published: str | None = None  # the version directory, when the publish ran
    files: list[str] = field(default_factory=list)
    failed_contracts: list[str] = field(default_factory=list)  # one message per failed contract
    errors: list[str] = field(default_factory=list)  # one line per failed step, with its reason
    failure_code: int = FAILED  # the first failed step's exit code (failure_reason)

    @property
    def exit_code(self) -> int:
        if self.failed_contracts:
            return CONTRACT_BLOCKED
        return OK if self.success and self.published else self.failure_code

    @property
    def error(self) -> str:
        """The one line `run` prints on stderr when nothing was published."""
        if self.failed_contracts:
            n = len(self.failed_contracts)
            return f"{self.period_id}: not published, {n} contract(s) failed (printed above)"
        if self.errors:
            return f"{self.period_id}: not published: {self.errors[0]}"
        return f"{self.period_id}: not published (run {self.run_id})"

    def summary(self) -> str:
        if self.failed_contracts:
            lines = [f"{self.period_id}: NOT published, a contract failed (run {self.run_id}):"]
            return "\n".join(lines + [f"  {m}" for m in self.failed_contracts])
        if self.exit_code:
            lines = [f"{self.period_id}: run {self.run_id} failed:"]
            return "\n".join(lines + [f"  {e}" for e in self.errors])
        lines = [f"{self.period_id}: published to {self.published} (run {self.run_id})"]
        return "\n".join(lines + [f"  {f}" for f in self.files])


def run_period(
    defs: dg.Definitions,
    period_id: str,
    cutoff: str | None = None,
    instance: dg.DagsterInstance | None = None,
    resources: dict | None = None,
    job_name: str = "period_job",
    log_level: str = "INFO",
    allow_empty: bool = False,
    report_number: str | None = None,
    report_date: str | None = None,
    tags: Mapping[str, str] | None = None,
    on_step: Callable[[str, str], None] | None = None,
) -> RunOutcome:
    """Run `job_name` for one period; `publish_job` republishes the marts without a rebuild.
    `on_step(step_key, status)` hears each step start, succeed, fail or be skipped while the
    run goes. Without an `instance`, the run is recorded in memory (`ephemeral_instance`)."""
    job = defs.resolve_job_def(job_name)
    run_id = str(uuid.uuid4())  # known before the run starts, for the listener
    with contextlib.ExitStack() as stack:
        if instance is None:
            instance = stack.enter_context(ephemeral_instance())
        if on_step is not None:
            instance.add_event_listener(run_id, _step_listener(on_step))
        result = job.execute_in_process(
            partition_key=period_id,
            run_config=run_config(job, cutoff, log_level, allow_empty, report_number, report_date),
            instance=instance,
            resources=resources,
            raise_on_error=False,
            run_id=run_id,
            tags=tags,
        )
    outcome = RunOutcome(period_id, result.run_id, result.success)
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name == CONTRACT_CHECK and not evaluation.passed:
            outcome.failed_contracts.append(evaluation.description or str(evaluation.asset_key))
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == published_report.key:
            outcome.published = materialization.metadata["path"].value
            files = materialization.metadata["files"].value
            outcome.files = [f"{name}  sha256 {digest}" for name, digest in files.items()]
    for event in result.all_events:
        if event.is_step_failure:
            reason, code = failure_reason(event.step_failure_data)
            if not outcome.errors:
                outcome.failure_code = code
            outcome.errors.append(f"{event.step_key}: {reason}")
    return outcome


STEP_STATUSES = {
    dg.DagsterEventType.STEP_START: "started",
    dg.DagsterEventType.STEP_SUCCESS: "succeeded",
    dg.DagsterEventType.STEP_FAILURE: "failed",
    dg.DagsterEventType.STEP_SKIPPED: "skipped",
}


def _step_listener(on_step: Callable[[str, str], None]) -> Callable:
    def listen(entry) -> None:
        event = entry.dagster_event
        if event is not None and event.event_type in STEP_STATUSES and event.step_key:
            on_step(event.step_key, STEP_STATUSES[event.event_type])

    return listen
