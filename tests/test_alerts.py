"""Failures announce themselves: a failed run and a blocked contract are e-mailed through a real
SMTP exchange with a server this test starts on localhost, both by the Dagster run-failure
sensor and by the CLI's `alert_on_outcome`; without SMTP, or with a server down, the alert is
written to alerts.log, which `status` shows."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.alerts import ALERTED_TAG, alert_on_outcome, send_alert
from orchestration.cli import main
from orchestration.definitions import defs
from orchestration.resources import WarehouseResource
from orchestration.runs import run_period
from orchestration.sensors import run_failure_alert
from tests.conftest import Warehouse, dossier, run_dbt

PERIOD = "2023-Q1"
PASSWORD = "s3cret-Mật-khẩu"


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 localhost test SMTP")
        sender, recipients = None, []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-localhost")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.received.append((sender, recipients, bytes(data)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # RSET, NOOP
                self.reply("250 OK")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.received: list[tuple[str, list[str], bytes]] = []

    def messages(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        return [
            (to, email.message_from_bytes(data, policy=email.policy.default))
            for _, to, data in self.received
        ]


@pytest.fixture
def smtp(monkeypatch) -> SmtpServer:
    server = SmtpServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_PORT", str(server.server_address[1]))
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_FROM", "warehouse@tinh.example")
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_TO", "ops@tinh.example, oncall@tinh.example")
    monkeypatch.delenv("PORTAL_WAREHOUSE_SMTP_USER", raising=False)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_smtp(monkeypatch) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "TO", "STARTTLS"):
        monkeypatch.delenv(f"PORTAL_WAREHOUSE_SMTP_{name}", raising=False)


def build_marts(root: Path, period_id: str = PERIOD) -> Warehouse:
    """A tiny warehouse (three portals, one dossier) ingested and built by dbt on its own: every
    mart exists, with the period's rows (dbt's tests are left out: other modules run them)."""
    warehouse = Warehouse(root)
    warehouse.register_portals()
    warehouse.land(
        "dossier", "a.jsonl", [dossier("e1"), dossier("e2", "resolved", dossier_id="D-e1")]
    )
    warehouse.ingest()
    run_dbt(
        warehouse.settings.db, "build", "--exclude-resource-type", "unit_test", "test",
        target=root / "dbt_target", PORTAL_WAREHOUSE_PERIOD=period_id,
    )  # fmt: skip
    return warehouse


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A period built, then two publish runs recorded in one instance: one that a broken
    contract blocks, one that fails (its warehouse is not there)."""
    root = tmp_path_factory.mktemp("alerts")
    warehouse = build_marts(root)
    instance = dg.DagsterInstance.ephemeral()
    db = warehouse.settings.db
    with duckdb.connect(str(db)) as con:  # resolutions that were never received
        con.execute(
            "UPDATE marts.appendix_03_dossiers SET resolved_l4_early = resolved_l4_early + 100,"
            " resolved = resolved + 100, in_progress = in_progress - 100"
            " WHERE period_id = ? AND portal_id = 'so-tttt'",
            [PERIOD],
        )
    blocked = run_period(
        defs, PERIOD, instance=instance, resources=warehouse.resources(db), job_name="publish_job"
    )
    assert blocked.failed_contracts, blocked.summary()
    missing = root / "nowhere" / "warehouse.duckdb"
    failed = run_period(
        defs,
        PERIOD,
        instance=instance,
        resources=warehouse.resources(missing),
        job_name="publish_job",
    )
    assert failed.exit_code and failed.errors and not failed.failed_contracts, failed.summary()
    return warehouse, instance, blocked, failed


def evaluate_sensor(instance: dg.DagsterInstance, run_id: str, warehouse: Warehouse, tags=None):
    run = instance.get_run_by_id(run_id)
    if tags:
        run = run.with_tags({**run.tags, **tags})
    (failure,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name=run_failure_alert.name,
        dagster_event=failure.dagster_event,
        dagster_instance=instance,
        dagster_run=run,
        resources={"warehouse": WarehouseResource(db=str(warehouse.settings.db))},
    ).for_run_failure()
    return run_failure_alert(context)


def test_a_failed_run_is_emailed_by_the_sensor_and_by_the_cli(runs, smtp):
    warehouse, instance, _, failed = runs
    evaluate_sensor(instance, failed.run_id, warehouse)
    assert alert_on_outcome(failed, warehouse.settings) == (
        f"e-mail to ops@tinh.example, oncall@tinh.example via 127.0.0.1:{smtp.server_address[1]}"
    )
    (sensor_to, by_sensor), (cli_to, by_cli) = smtp.messages()
    step, reason = failed.errors[0].split(": ", 1)
    for to, message in ((sensor_to, by_sensor), (cli_to, by_cli)):
        assert to == ["ops@tinh.example", "oncall@tinh.example"]
        assert message["Subject"] == f"portal-warehouse: run failed for {PERIOD}"
        assert message["From"] == "warehouse@tinh.example"
        body = message.get_content()
        assert failed.run_id in body and step in body and reason in body
    assert "publish_job" in by_sensor.get_content()  # the sensor names the job too
    assert not warehouse.settings.alerts_log.exists()


def test_a_blocked_contract_is_emailed_by_the_sensor_and_by_the_cli(runs, smtp):
    warehouse, instance, blocked, _ = runs
    evaluate_sensor(instance, blocked.run_id, warehouse)
    alert_on_outcome(blocked, warehouse.settings)
    for _, message in smtp.messages():
        assert message["Subject"] == f"portal-warehouse: {PERIOD} NOT published, contract failed"
        body = message.get_content()
        assert "appendix_03_dossiers" in body and "so-tttt" in body and "in_progress" in body
        assert "Blocking check" not in body  # the contract's own words, not Dagster's
    assert len(smtp.messages()) == 2


def test_vietnamese_text_arrives_as_written(warehouse, smtp):
    body = "Phụ biểu 03: Sở Thông tin và Truyền thông, hồ sơ đang giải quyết âm."
    send_alert("portal-warehouse: Huyện Bảo Yên", body, warehouse.settings)
    ((_, message),) = smtp.messages()
    assert message["Subject"] == "portal-warehouse: Huyện Bảo Yên"
    assert message.get_content().strip() == body


def test_the_sensor_leaves_runs_the_cli_alerts_itself(runs, smtp):
    warehouse, instance, blocked, _ = runs
    skipped = evaluate_sensor(instance, blocked.run_id, warehouse, tags={ALERTED_TAG: "cli"})
    assert isinstance(skipped, dg.SkipReason)
    assert smtp.messages() == []


def test_without_smtp_the_alert_is_logged_and_status_shows_it(runs, no_smtp, capsys):
    warehouse, _, blocked, failed = runs
    log = warehouse.settings.alerts_log
    log.unlink(missing_ok=True)
    assert main(["status", "--db", str(warehouse.settings.db)]) == 0
    assert "alert" not in capsys.readouterr().out.lower()  # none yet: nothing said
    assert alert_on_outcome(blocked, warehouse.settings) == f"written to {log}"
    assert alert_on_outcome(failed, warehouse.settings) == f"written to {log}"
    text = log.read_text(encoding="utf-8")
    assert "no SMTP configured" in text and "so-tttt" in text and failed.errors[0] in text
    assert main(["status", "--db", str(warehouse.settings.db)]) == 0
    out = capsys.readouterr().out
    assert f"Recent alerts, not e-mailed (in full: {log})" in out
    assert f"portal-warehouse: {PERIOD} NOT published, contract failed" in out
    assert f"portal-warehouse: run failed for {PERIOD}" in out


def test_a_server_down_falls_back_to_the_log_with_the_reason_and_no_password(
    warehouse, monkeypatch
):
    closed = SmtpServer()  # bound, then closed: nothing listens on its port
    port = closed.server_address[1]
    closed.server_close()
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_PORT", str(port))
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_TO", "ops@tinh.example")
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_USER", "canh-bao")
    monkeypatch.setenv("PORTAL_WAREHOUSE_SMTP_PASSWORD", PASSWORD)
    where = send_alert(
        "portal-warehouse: Sở Nội vụ", "Báo cáo chưa được công bố.", warehouse.settings
    )
    log = warehouse.settings.alerts_log
    assert where == f"written to {log}"
    text = log.read_text(encoding="utf-8")
    assert f"not e-mailed: e-mail via 127.0.0.1:{port} failed: ConnectionRefusedError" in text
    assert "portal-warehouse: Sở Nội vụ" in text and "Báo cáo chưa được công bố." in text
    assert PASSWORD not in text and "ops@tinh.example" not in text
