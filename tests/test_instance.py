"""The Dagster home `portal-warehouse run` records its runs in (orchestration/instance.py): the
same files Dagster's own instance reads and writes, each opened once while the command runs,
not once per event; and the in-memory instance of a run given none, on the connections it holds."""

import collections
import shutil
import sqlite3
import threading
from pathlib import Path

import dagster as dg
import pytest

from orchestration.instance import PooledSqliteEventLogStorage, ephemeral_instance, open_instance

CONFIG = Path(__file__).parents[1] / "orchestration" / "dagster.yaml"
ASSETS = 12


def twelve_assets() -> list:
    def make(n: int):
        @dg.asset(name=f"a{n}")
        def a() -> dg.MaterializeResult:
            return dg.MaterializeResult(metadata={"n": n})

        return a

    return [make(n) for n in range(ASSETS)]


@pytest.fixture
def home(tmp_path) -> Path:
    shutil.copy(CONFIG, tmp_path / "dagster.yaml")
    return tmp_path


@pytest.fixture
def connections(monkeypatch):
    """The paths of the SQLite connections opened meanwhile, one per connection."""
    opened: list[str] = []
    connect = sqlite3.dbapi2.connect  # what SQLAlchemy calls

    def counted(database, *args, **kwargs):
        opened.append(str(database))
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3.dbapi2, "connect", counted)
    return opened


def materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize(twelve_assets(), instance=instance)
    assert result.success
    return result.run_id


def test_a_run_opens_each_database_once_or_twice_where_dagsters_own_opens_one_per_event(
    home, connections
):
    with dg.DagsterInstance.from_config(str(home)) as dagsters:
        connections.clear()
        materialize(dagsters)
        per_statement = len(connections)
    with open_instance(home) as ours:
        assert isinstance(ours.event_log_storage, PooledSqliteEventLogStorage)
        connections.clear()
        run_id = materialize(ours)
        opened = collections.Counter(connections)
        events = len(ours.all_logs(run_id))
    assert per_statement > events > 4 * ASSETS  # Dagster's own: more than one per event
    # ours: the run's database, the index and the runs' database, each once (twice while it is
    # made: Dagster inspects its tables meanwhile)
    run_db = str(home / "history" / "runs" / f"{run_id}.db")
    assert opened.keys() <= {run_db, str(home / "history" / "runs" / "index.db"),
                             str(home / "history" / "runs.db")}  # fmt: skip
    assert max(opened.values()) <= 2, opened


def test_dagsters_own_instance_reads_and_writes_the_same_home_meanwhile(home):
    with open_instance(home) as ours, dg.DagsterInstance.from_config(str(home)) as dagsters:
        first = materialize(ours)  # our engines stay open ...
        second = materialize(dagsters)  # ... while Dagster's (the UI's) writes a run
        third = materialize(ours)
        for instance in (ours, dagsters):
            assert {r.run_id for r in instance.get_runs()} == {first, second, third}
            latest = instance.get_latest_materialization_event(dg.AssetKey("a3"))
            assert latest is not None and latest.run_id == third
            assert len(instance.all_logs(second)) == len(instance.all_logs(first))


def test_the_in_memory_instance_records_a_run_on_the_connections_it_holds(connections):
    with dg.DagsterInstance.ephemeral() as dagsters:
        connections.clear()
        materialize(dagsters)
        per_statement = len(connections)
    with ephemeral_instance() as ours:
        connections.clear()
        run_id = materialize(ours)
        opened = len(connections)
        events = ours.all_logs(run_id)
        assert ours.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
        latest = ours.get_latest_materialization_event(dg.AssetKey("a3"))
        assert latest is not None and latest.run_id == run_id
    assert per_statement > len(events) > 4 * ASSETS  # Dagster's own: one or more per event
    assert opened == 0


def test_the_in_memory_instance_serves_another_thread_on_a_connection_of_its_own(connections):
    """SQLite refuses a connection in a thread other than the one that made it."""
    with ephemeral_instance() as instance:
        run_id = materialize(instance)
        connections.clear()
        read: list = []
        worker = threading.Thread(
            target=lambda: read.extend([instance.all_logs(run_id), instance.get_runs()])
        )
        worker.start()
        worker.join()
        logs, runs = read
        assert len(logs) == len(instance.all_logs(run_id)) > 4 * ASSETS
        assert [r.run_id for r in runs] == [run_id]
    assert len(connections) == 2  # the event log's and the runs', once each
