"""Failures announce themselves: a failed run or a contract that blocked a publish is e-mailed
to the people on call, or, with no SMTP server configured (or one that refuses), written to
`<warehouse folder>/logs/alerts.log`, which `portal-warehouse status` shows.

The SMTP settings are read from the environment here and nowhere else (README, "Alerts"); the
password is never printed or logged. What an alert says comes from run outcomes (periods, steps,
failure reasons, contract rules), never from records, and it is masked like free text
(`ingest.redact.mask_text`) before it reaches the log. No Dagster import: the CLI and `status`
use this module too; the Dagster sensor is in orchestration/sensors.py.
"""

from __future__ import annotations

import os
import smtplib
import socket
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

from ingest.redact import mask_text
from ingest.settings import Settings

SUBJECT_PREFIX = "portal-warehouse"
# The tag of runs whose alert is sent by whoever started them (the CLI calls
# `alert_on_outcome`): the run-failure sensor leaves them alone, so nobody is alerted twice.
ALERTED_TAG = "portal_warehouse/alerted"
SMTP_TIMEOUT_SECONDS = 30
_HEADER_SEPARATOR = "  "  # between an entry's timestamp and its subject in alerts.log


@dataclass(frozen=True)
class SmtpSettings:
    """PORTAL_WAREHOUSE_SMTP_*: without a host and at least one recipient, no e-mail is sent."""

    host: str | None = None  # PORTAL_WAREHOUSE_SMTP_HOST
    port: int = 25  # PORTAL_WAREHOUSE_SMTP_PORT: 25, or 587 with STARTTLS
    user: str | None = None  # PORTAL_WAREHOUSE_SMTP_USER: log in only when set
    password: str | None = field(default=None, repr=False)  # PORTAL_WAREHOUSE_SMTP_PASSWORD
    sender: str = "portal-warehouse@localhost"  # PORTAL_WAREHOUSE_SMTP_FROM
    recipients: tuple[str, ...] = ()  # PORTAL_WAREHOUSE_SMTP_TO, comma-separated
    starttls: bool = False  # PORTAL_WAREHOUSE_SMTP_STARTTLS: true / false

    @property
    def configured(self) -> bool:
        return bool(self.host and self.recipients and 0 < self.port < 65536)

    @property
    def why_not(self) -> str:
        """Why no e-mail is sent, when not configured."""
        if not (self.host and self.recipients):
            return "no SMTP configured (PORTAL_WAREHOUSE_SMTP_HOST and _TO)"
        return "PORTAL_WAREHOUSE_SMTP_PORT is not a port number"

    @classmethod
    def from_env(cls) -> SmtpSettings:
        env = os.environ
        starttls = env.get("PORTAL_WAREHOUSE_SMTP_STARTTLS", "false").strip().lower() in (
            "1",
            "true",
            "yes",
        )
        port = env.get("PORTAL_WAREHOUSE_SMTP_PORT", "").strip()
        user = env.get("PORTAL_WAREHOUSE_SMTP_USER") or None
        return cls(
            host=env.get("PORTAL_WAREHOUSE_SMTP_HOST", "").strip() or None,
            port=(int(port) if port.isdigit() else -1) if port else (587 if starttls else 25),
            user=user,
            password=env.get("PORTAL_WAREHOUSE_SMTP_PASSWORD") or None,
            sender=env.get("PORTAL_WAREHOUSE_SMTP_FROM") or user or f"{SUBJECT_PREFIX}@localhost",
            recipients=tuple(
                a.strip() for a in env.get("PORTAL_WAREHOUSE_SMTP_TO", "").split(",") if a.strip()
            ),
            starttls=starttls,
        )


def send_alert(
    subject: str, body: str, settings: Settings, smtp: SmtpSettings | None = None
) -> str:
    """E-mail one alert, or append it to alerts.log; says where it went."""
    smtp = smtp or SmtpSettings.from_env()
    if not smtp.configured:
        return _log_alert(subject, body, settings, smtp.why_not)
    message = EmailMessage()
    message["Subject"] = _one_line(subject)
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    # Vietnamese names and notes as written, in 7-bit lines any server relays
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS) as server:
            if smtp.starttls:
                server.starttls()
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timed out, rejected
        reason = f"e-mail via {smtp.host}:{smtp.port} failed: {type(exc).__name__}: {exc}"
        if smtp.password:
            reason = reason.replace(smtp.password, "***")
        return _log_alert(subject, body, settings, reason)
    return f"e-mail to {', '.join(smtp.recipients)} via {smtp.host}:{smtp.port}"


def _log_alert(subject: str, body: str, settings: Settings, not_sent: str) -> str:
    """One entry: a header line (timestamp, subject), why it was not e-mailed, the body indented."""
    path = settings.alerts_log
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    lines = [f"{stamp}{_HEADER_SEPARATOR}{_one_line(subject)}", f"  not e-mailed: {not_sent}"]
    lines += [f"    {line}" for line in body.splitlines()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(mask_text("\n".join(lines)) + "\n\n")
    except OSError as exc:  # an alert never turns a failure into a traceback
        return f"not sent ({not_sent}) and not written to {path}: {exc.strerror or exc}"
    return f"written to {path}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def contract_alert(period_id: str, failed_contracts: list[str], where: str) -> tuple[str, str]:
    """(subject, body) of a publish that a failed contract blocked."""
    subject = f"{SUBJECT_PREFIX}: {period_id} NOT published, contract failed"
    lines = [
        f"The report for {period_id} was not published: {len(failed_contracts)} blocking"
        " contract(s) of the marts failed (data_contracts/marts.py).",
        where,
        "",
        *[f"- {message}" for message in failed_contracts],
        "",
        "Earlier published versions are untouched. Fix the data or the rule, then run the"
        f" period again (portal-warehouse run --period {period_id}).",
    ]
    return subject, "\n".join(lines)


def failure_alert(period_id: str | None, errors: list[str], where: str) -> tuple[str, str]:
    """(subject, body) of a failed run; `errors` are `step: reason` lines."""
    what = f"for {period_id}" if period_id else "(no period)"
    subject = f"{SUBJECT_PREFIX}: run failed {what}"
    lines = [
        f"The run {what} failed; nothing was published by it.",
        where,
        "",
        *[f"- {error}" for error in errors or ["(no step failure recorded; see the run's log)"]],
    ]
    return subject, "\n".join(lines)


def alert_on_outcome(outcome, settings: Settings, smtp: SmtpSettings | None = None) -> str | None:
    """For the CLI: alert on an `orchestration.runs.RunOutcome` that did not publish; where the
    alert went, or None when the outcome succeeded."""
    if outcome.exit_code == 0:
        return None
    where = f"Run {outcome.run_id} (portal-warehouse run on {socket.gethostname()})."
    if outcome.failed_contracts:
        subject, body = contract_alert(outcome.period_id, outcome.failed_contracts, where)
    else:
        subject, body = failure_alert(outcome.period_id, outcome.errors or [outcome.error], where)
    return send_alert(subject, body, settings, smtp)
