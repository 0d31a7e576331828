"""Shared fixtures: a temporary warehouse (landing folder + DuckDB file) and ways to fill it."""

from __future__ import annotations

import atexit
import contextlib
import gc
import gzip
import io
import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.loader import ingest_landing, replay_quarantine
from ingest.reference import dbt_dir
from ingest.settings import DEFAULT_TZ, Settings
from sample import GenerateSummary, generate
from tests.offline.sitecustomize import LOG_VARIABLE, guards

# xdist's controller loads this file too and runs no test: Dagster and dbt are imported where
# they are used, so that the workers start without waiting for them (3 s of every session).
if TYPE_CHECKING:
    from orchestration.dbt_project import DbtInvocation

# dbt.log's debug lines (dbt_project.yml logs at info): what dbt parsed and each command's end
DBT_DEBUG_LOG = {"DBT_LOG_LEVEL_FILE": "debug"}

# A run or an ingest that names no publish folder reads the default one (data/publish, which
# `make demo` fills): in the tests, an empty folder of the session's own, in this process and in
# those it starts (an ingest lists the published periods its events could change).
os.environ["PORTAL_WAREHOUSE_PUBLISH"] = tempfile.mkdtemp(prefix="portal-warehouse-publish-")
atexit.register(shutil.rmtree, os.environ["PORTAL_WAREHOUSE_PUBLISH"], True)

REGISTRY = [
    {
        "event_id": f"reg-{pid}",
        "event_type": "registered",
        "occurred_at": "2021-01-01T08:00:00+07:00",
        "portal_id": pid,
        "name": name,
        "portal_group": group,
        "bloc": bloc,
        "scored": True,
    }
    for pid, name, group, bloc in [
        ("so-tttt", "Sở Thông tin và Truyền thông", "department", "government"),
        ("huyen-bao-yen", "Huyện Bảo Yên", "district", "government"),
        ("ban-tuyen-giao", "Ban Tuyên giáo Tỉnh ủy", "party_mass", "party"),
    ]
]


# Every test file, longest first (per-file times of `make test`'s workers, 2026-12-02; the
# sample's files run as one: pytest_xdist_make_scheduler). `make test` hands whole files to its
# two workers in collection order (--no-loadscope-reorder), so a long file never starts last and
# leaves one core idle at the end (14 s of it when only the 14 longest were listed). A file
# missing here runs after them all.
SLOWEST_FIRST = [
    "test_period_run.py", "test_cli_errors.py", "test_period_edges.py", "test_scoring.py",
    "test_sample_reorganisation.py", "test_sample.py", "test_sample_ingest.py",
    "test_serving.py", "test_raw_expectations.py", "test_cli_progress.py", "test_reference.py",
    "test_mart_contracts.py", "test_ingest_contract.py", "test_cli.py",
    "test_ingest_delivery.py", "test_publish_docx.py", "test_channel_metrics.py",
    "test_ingest_source.py", "test_docs.py", "test_vietnamese_order.py",
    "test_publish_report.py", "test_lineage.py", "test_questions_citizens.py",
    "test_orchestration.py", "test_publish_print.py", "test_publish.py",
    "test_ingest_privacy.py", "test_ingest_landing.py", "test_alerts.py", "test_instance.py",
]  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole


def pytest_collection(session) -> None:
    """A process that collects (a worker; not xdist's controller, which collects nothing) does
    it with Python's cyclic collector off: importing the test modules, Dagster and dbt's project
    leaves no garbage, and what it made is frozen after (`pytest_collection_finish`), so that no
    collection walks it again (a worker's collections: 14-17 s of a session, 9-10 s with this)."""
    if not session.config.pluginmanager.has_plugin("dsession"):
        gc.disable()


def pytest_collection_finish(session) -> None:
    gc.freeze()
    gc.enable()


def pytest_unconfigure(config) -> None:
    """Each process (a worker, the controller) leaves what the session made to its own end, as
    `portal-warehouse` does (orchestration.cli.entry): Python's last garbage collection would
    walk it all (3.6 s after test_channel_metrics.py and test_lineage.py in one process)."""
    gc.freeze()


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, with the sample's test files (test_sample*.py) handed to one worker
    together: they share the session's sample deliveries, which each worker would otherwise
    generate and ingest again (about 30 s)."""
    if config.getoption("dist") != "loadfile":
        return None  # xdist's own scheduler
    from xdist.scheduler import LoadFileScheduling

    class SampleFilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "tests/test_sample*.py" if Path(scope).name.startswith("test_sample") else scope

    return SampleFilesTogether(config, log)


class Warehouse:
    """A landing folder and a DuckDB file under a temporary directory."""

    def __init__(self, root: Path, pii_key: bytes | None = None):
        self.settings = Settings.from_env(
            landing=root / "landing", db=root / "warehouse.duckdb", pii_key=pii_key
        )
        self.landing = self.settings.landing
        self._clock = 1_700_000_000  # deterministic modification times, one second apart

    def land(self, stream: str, name: str, content: bytes | str | list[dict]) -> Path:
        """Drop a file in <landing>/<stream>/; a list of dicts is written as the name's format."""
        path = self.landing / stream / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, list):
            content = encode(name, content)
        if isinstance(content, str):
            content = content.encode()
        if name.endswith(".gz") and not content.startswith(b"\x1f\x8b"):
            content = gzip.compress(content, mtime=0)
        path.write_bytes(content)
        self._clock += 1
        os.utime(path, (self._clock, self._clock))
        return path

    def register_portals(self, portals=REGISTRY) -> None:
        self.land("portal", "registry.jsonl", portals)

    def resources(self, db: Path | None = None, reference: Path | None = None) -> dict:
        """A run's resources on this warehouse (or another DuckDB file beside the same landing
        folder), publishing to <root>/publish, with a deployment's reference folder if given."""
        from orchestration.resources import WarehouseResource

        warehouse = WarehouseResource(
            landing=str(self.landing),
            db=str(db or self.settings.db),
            publish=str(self.landing.parent / "publish"),
            reference=str(reference) if reference else None,
        )
        return {"warehouse": warehouse}

    def ingest_command(self) -> list[str]:
        """`portal-warehouse ingest` on this warehouse, to run in another process."""
        return [
            sys.executable, "-m", "orchestration.cli", "ingest",
            "--landing", str(self.landing), "--db", str(self.settings.db),
        ]  # fmt: skip

    def ingest(self, **kwargs):
        return ingest_landing(self.settings, **kwargs)

    def replay(self):
        return replay_quarantine(self.settings)

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.settings.db), read_only=True) as con:
            con.execute("SET TimeZone = 'Asia/Ho_Chi_Minh'")
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params=None):
        return self.query(sql, params)[0][0]

    def quarantine(self, stream: str | None = None) -> list[tuple]:
        """(line_number, event_id, reason, reason_codes, record) of open quarantined records."""
        where = "released_at IS NULL" + (f" AND stream = '{stream}'" if stream else "")
        return self.query(
            "SELECT line_number, event_id, reason, reason_codes, record FROM raw.quarantine "
            f"WHERE {where} ORDER BY quarantine_id"
        )

    def dbt_invocations(self) -> list[list[dict]]:
        """dbt's logged events on this warehouse, one list per invocation, oldest first (its dbt
        target stays with the warehouse: ingest.reference.dbt_dir)."""
        invocations: dict[str, list[dict]] = {}
        for line in (dbt_dir(self.settings.db) / "target" / "dbt.log").read_text().splitlines():
            event = json.loads(line)["info"]
            invocations.setdefault(event["invocation_id"], []).append(event)
        return list(invocations.values())


def encode(name: str, records: list[dict]) -> bytes:
    base = name.removesuffix(".gz")
    if base.endswith(".jsonl"):
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    if base.endswith(".csv"):
        import csv
        import io

        keys = list(dict.fromkeys(k for r in records for k in r))
        out = io.StringIO()
        writer = csv.DictWriter(out, keys, lineterminator="\n")
        writer.writeheader()
        for r in records:
            writer.writerow({k: _csv_cell(v) for k, v in r.items()})
        return out.getvalue().encode()
    if base.endswith(".parquet"):
        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pylist(records), sink)
        return sink.getvalue().to_pybytes()
    raise ValueError(name)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def dossier(event_id: str, event_type: str = "received", **fields) -> dict:
    record = {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": "2023-03-01T09:00:00+07:00",
        "portal_id": "so-tttt",
        "dossier_id": "D-" + event_id,
    }
    if event_type == "received":
        record |= {"channel": "online", "service_level": 4, "due_at": "2023-03-06T17:00:00+07:00"}
    return record | fields


def invoke_dbt(
    db: Path, *args: str, target: Path, project: Path | None = None, **env: str
) -> tuple[DbtInvocation, str]:
    """dbt on this warehouse as a run invokes it (`dbt_project.invoke`: in this process, the
    warehouse found through `profile_env`, the target starting from the project's parse state),
    with `env` set meanwhile: what dbt did, and what it printed."""
    from orchestration.dbt_project import MODELS_DIR, environment, invoke, profile_env

    printed = io.StringIO()
    with environment(profile_env(db, DEFAULT_TZ) | env), contextlib.redirect_stdout(printed):
        invocation = invoke(args, target, project or MODELS_DIR)
    return invocation, printed.getvalue()


def run_dbt(db: Path, *args: str, target: Path, project: Path | None = None, **env: str) -> str:
    """`invoke_dbt`, asserting that dbt succeeded; returns what it printed."""
    invocation, printed = invoke_dbt(db, *args, target=target, project=project, **env)
    assert invocation.success, invocation.failure() + printed[-3000:]
    return printed


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)


# The sample deliveries, generated once per session at a small scale: the reference reader in
# test_sample.py and the real loader (`sample_ingested`) read the same files.
SAMPLE_SEED, SAMPLE_SCALE = 11, 0.05


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> tuple[Warehouse, GenerateSummary]:
    warehouse = Warehouse(tmp_path_factory.mktemp("sample"))
    return warehouse, generate(warehouse.landing, seed=SAMPLE_SEED, scale=SAMPLE_SCALE)


@pytest.fixture(scope="session")
def sample_ingested(sample_warehouse):
    """The sample deliveries ingested by the real loader: (warehouse, summary, report)."""
    warehouse, summary = sample_warehouse
    return warehouse, summary, warehouse.ingest()


OFFLINE = Path(__file__).parent / "offline"  # its sitecustomize refuses the network


def refuse_the_network(monkeypatch, log: Path):
    """From now on, in this process and the Python processes it starts, every attempt to reach
    another machine (a name looked up, an internet socket connected) fails and is written to
    `log`. Returns a function that lists the attempts so far."""
    connect, getaddrinfo = guards(str(log))
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    paths = [str(OFFLINE), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, paths)))
    return lambda: log.read_text(encoding="utf-8").splitlines() if log.exists() else []
