"""The Dagster instance `portal-warehouse run` records its runs in: the Dagster home's own, with
Dagster's SQLite storage keeping its database engines while the command runs; and the in-memory
instance a run given none is recorded in (`ephemeral_instance`), on the connections it holds.

Dagster's SQLite storage makes a new engine, and so opens the database again, for nearly every
statement: a period's run stores some 600 events (each dbt model, each of its tests as an asset
check, each planned materialisation), and each paid an engine, a connection and the compiling of
its INSERT again, about 4 s of a small period's run, more than its data work. Kept engines pool
their connections and cache compiled statements. The files, their tables and SQLite's locking
are Dagster's own, so `dagster dev` on the same home reads and writes them meanwhile, with
Dagster's classes (tests/test_instance.py)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.instance import InstanceType
from dagster._core.instance.ref import InstanceRef
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine


def open_instance(home: Path) -> dg.DagsterInstance:
    """The instance of this Dagster home: its default storage (SQLite in the home, what the
    project's dagster.yaml keeps) with kept engines; any other storage as configured."""
    ref = InstanceRef.from_dir(str(home))
    data = ref.storage_data
    if (data.module_name, data.class_name) == (
        DagsterSqliteStorage.__module__,
        DagsterSqliteStorage.__name__,
    ):
        pooled = ConfigurableClassData(__name__, PooledSqliteStorage.__name__, data.config_yaml)
        ref = ref._replace(storage_data=pooled)
    return dg.DagsterInstance.from_ref(ref)


def _engine(conn_string: str) -> Engine:
    return create_engine(conn_string, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log with one engine per database (the index, each run's)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: dict[str, Engine] = {}
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    def _shard_engine(self, shard: str) -> Engine:
        with self._engines_lock:
            if shard not in self._engines:
                engine = _engine(self.conn_string_for_shard(shard))
                if shard not in self._initialized_dbs:  # the database made on first use
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
            return self._engines[shard]

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._shard_engine(shard).connect() as conn, conn.begin():
            yield conn

    def has_table(self, table_name: str) -> bool:
        # asked at every asset event with tags, sometimes inside _connect: no _db_lock here
        with self._shard_engine(INDEX_SHARD_NAME).connect() as conn:
            return bool(conn.dialect.has_table(conn, table_name))

    def wipe(self) -> None:
        self._dispose_engines()  # wipe() deletes the runs' files
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


class PooledSqliteRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage with one engine."""

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(conn_string, inst_data)
        self._engine = _engine(conn_string)

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self._engine.dispose()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage, its runs and event log the pooled ones."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)  # makes the databases when new, as Dagster's
        runs, events = self._run_storage, self._event_log_storage
        self._run_storage = PooledSqliteRunStorage(runs._conn_string)
        self._event_log_storage = PooledSqliteEventLogStorage(events._base_dir)
        runs.dispose()
        events.dispose()

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


# --- the in-memory instance -------------------------------------------------------------------
# Dagster's in-memory storages (DagsterInstance.ephemeral(), what execute_in_process makes when
# given no instance) hold one connection to their in-memory database, yet open another, and set
# two pragmas on it, for every statement: about 1.2 s of a small period's run (paired, four
# runs in one process: 32.5 s against 37.3 s). These use the held one. SQLite refuses a
# connection made in another thread: a statement from another thread opens its own, as before.


@contextlib.contextmanager
def _on_held_connection(storage, lock, own: Callable[[], Any]) -> Iterator[Connection]:
    """`storage`'s held connection, in a transaction (the one open, for a statement inside
    another's), in the thread that made it; in any other thread a connection of its own (`own`)."""
    if threading.get_ident() != storage._held_thread:
        with own() as conn:
            yield conn
        return
    with lock:
        if storage._held_conn.in_transaction():
            yield storage._held_conn
            return
        with storage._held_conn.begin():
            yield storage._held_conn


class HeldInMemoryEventLogStorage(InMemoryEventLogStorage):
    def __init__(self):
        super().__init__()
        self._held_thread = threading.get_ident()

    def _connect(self):
        return _on_held_connection(self, self._db_lock, super()._connect)

    def has_table(self, table_name: str) -> bool:
        # asked at every asset event with tags, sometimes inside _connect (its lock held): only
        # outside a transaction does the held connection need the lock
        if threading.get_ident() != self._held_thread:
            return super().has_table(table_name)
        if self._held_conn.in_transaction():
            return bool(self._held_conn.dialect.has_table(self._held_conn, table_name))
        with self._connect() as conn:
            return bool(conn.dialect.has_table(conn, table_name))


class HeldInMemoryRunStorage(InMemoryRunStorage):
    def __init__(self):
        super().__init__()
        self._held_thread = threading.get_ident()
        self._held_lock = threading.RLock()

    def connect(self):
        return _on_held_connection(self, self._held_lock, super().connect)


def ephemeral_instance() -> dg.DagsterInstance:
    """DagsterInstance.ephemeral() on the held connections (dispose it, or use it in a `with`)."""
    return dg.DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=HeldInMemoryRunStorage(),
        event_storage=HeldInMemoryEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
