"""Running one report period in-process: the job the UI and the schedule run, for the CLI."""

from dataclasses import dataclass, field

import dagster as dg

from orchestration.assets.publish import published_report
from orchestration.assets.transform import period_models

CONTRACT_BLOCKED = 4  # exit code when a contract stopped the publish


def run_config(job: dg.JobDefinition, cutoff: str | None, log_level: str) -> dict:
    """The cutoff goes to every op of the job that reads it: the period's build, the publish."""
    ops = {period_models.op.name, published_report.op.name} & set(job.graph.node_dict)
    return {
        "ops": {op: {"config": {"cutoff": cutoff}} for op in sorted(ops)},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }


@dataclass
class RunOutcome:
    period_id: str
    run_id: str
    success: bool
    published: str | None = None  # the version directory, when the publish ran
    files: list[str] = field(default_factory=list)
    failed_contracts: list[str] = field(default_factory=list)  # one message per failed contract
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.failed_contracts:
            return CONTRACT_BLOCKED
        return 0 if self.success and self.published else 1

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
) -> RunOutcome:
    """Run `job_name` for one period; `publish_job` republishes the marts without a rebuild."""
    job = defs.resolve_job_def(job_name)
    result = job.execute_in_process(
        partition_key=period_id,
        run_config=run_config(job, cutoff, log_level),
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    outcome = RunOutcome(period_id, result.run_id, result.success)
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name == "contract" and not evaluation.passed:
            outcome.failed_contracts.append(evaluation.description or str(evaluation.asset_key))
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == published_report.key:
            outcome.published = materialization.metadata["path"].value
            files = materialization.metadata["files"].value
            outcome.files = [f"{name}  sha256 {digest}" for name, digest in files.items()]
    for event in result.all_events:
        if event.is_step_failure:
            outcome.errors.append(f"{event.step_key}: {event.step_failure_data.error.message}")
    return outcome
