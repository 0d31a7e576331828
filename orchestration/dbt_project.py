"""The dbt project in `models/`, as dagster-dbt sees it, and dbt run inside this process.

Its manifest is prepared before the code location loads (`make` runs `dbt parse`, `dagster dev`
reparses it when this module is imported, the CLI parses it when missing); outside `dagster dev`
importing this module neither parses the project nor imports dbt.

dbt runs through its Python API (dbtRunner) in the process that asks, never as a `dbt`
subprocess: there is no executable to find (`make dev` starts `.venv/bin/dagster` from a shell
that never activated the virtualenv), and no dbt to import and project to load again at every
build, about 6 s each time. The functions `_dbt` calls first patch dbt-core's loggers, events,
Jinja and agate where a build spent its time making what nobody reads, or the same thing again
(each says what it measured; tests/test_orchestration.py tests each).
"""

import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster._utils import run_with_concurrent_update_guard  # what dagster-dbt's preparer uses
from dagster._utils.env import using_dagster_dev
from dagster_dbt import DbtProject

from ingest.settings import Settings

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
PARSE_STATE = MODELS_DIR / "target" / "partial_parse.msgpack"  # `make`'s `dbt parse`

dbt_project = DbtProject(project_dir=MODELS_DIR, profiles_dir=MODELS_DIR)

# dbt's events for a node's result: dagster-dbt turns them into the step's Dagster events
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
DBT_ERRORS = "Errors parsed from dbt logs:"  # a failed invocation's description: dbt's errors after
# what the project and its profile read from the environment when the project is parsed: the
# warehouse's file name is its relations' database (`profile_env`)
_PARSED_WITH = ("PORTAL_WAREHOUSE_TZ", "PORTAL_WAREHOUSE_SEED_PATH", "PORTAL_WAREHOUSE_DB")
_NOT_PARSED = {"target", "logs", "dbt_packages"}  # the project's folders dbt writes, not reads
# each project's latest parse in this process, with what it was parsed from (`_parse_inputs`)
_manifests: dict[str, tuple[tuple, object]] = {}


@dataclass
class DbtInvocation:
    """One dbt command run in this process: its node results as dbt's JSON log has them (what
    dagster-dbt reads from a dbt subprocess) and its error messages."""

    args: list[str]
    success: bool = False
    results: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def failure(self) -> str:
        errors = self.errors or ["dbt stopped without saying why"]
        return f"`dbt {' '.join(self.args)}` failed.\n\n{DBT_ERRORS}\n\n" + "\n\n".join(errors)


def invoke(args: Sequence[str], target: Path, project_dir: Path = MODELS_DIR) -> DbtInvocation:
    """`dbt ARGS` in this process on the warehouse `profile_env` names, with its target and logs
    in `target`.

    The project is parsed once per process and kept while its files and parse-time variables
    stay the same: a range of periods, or a test session, parses it once. A warehouse's first
    parse starts from the project's parse state (`make`'s, for `models/` only: its nodes say where
    their files are)."""
    ours = project_dir == MODELS_DIR and PARSE_STATE.exists()
    if ours and not (target / PARSE_STATE.name).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(PARSE_STATE, target)
    inputs = _parse_inputs(project_dir)
    kept = _manifests.get(str(project_dir))
    if kept is None or kept[0] != inputs:
        # without the manifest.json nobody reads (dagster-dbt reads the project's): 0.15 s a run
        parsed, manifest = _dbt(["parse", "--no-write-json"], target, project_dir)
        if not parsed.success:
            return parsed
        kept = _manifests[str(project_dir)] = (inputs, manifest)
    # the command's run_results.json is written here, without the manifest.json and graph dbt
    # writes with it (0.1 s a build, whatever its data): nobody reads them
    invocation, result = _dbt([*args, "--no-write-json"], target, project_dir, kept[1])
    if hasattr(result, "write"):
        result.write(str(target / "run_results.json"))
    return invocation


def _parse_inputs(project_dir: Path) -> tuple:
    """What a parse of the project reads: the parse-time variables, and each file's path, size
    and modification time (about 150 files: a millisecond)."""
    files = []
    for folder, subfolders, names in os.walk(project_dir):
        subfolders[:] = sorted(d for d in subfolders if d not in _NOT_PARSED)
        for name in sorted(names):
            stat = os.stat(os.path.join(folder, name))
            files.append((folder, name, stat.st_size, stat.st_mtime_ns))
    return (*(os.environ.get(name) for name in _PARSED_WITH), *files)


def _dbt(args: Sequence[str], target: Path, project_dir: Path, manifest=None):
    """One dbtRunner invocation: (what it did, what it returned). dbt-duckdb keeps its DuckDB
    connection open after dbt ends; it is closed here, so that this process can open the file
    again with another configuration (DuckDB refuses it while one is open)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    _format_only_what_loggers_keep()
    _fire_only_what_is_kept()
    _build_events_when_read()
    _compile_each_template_once()
    _reuse_agate_type_testers()
    invocation = DbtInvocation(list(args))

    def listen(msg) -> None:  # the result events are at info, warn or error level
        if msg.info.level == "error":
            invocation.errors.append(msg.info.msg)
        if msg.info.name in RESULT_EVENTS:
            invocation.results.append(msg_to_dict(msg))

    listen.ignores_debug_events = True

    flags = [
        *("--project-dir", str(project_dir), "--profiles-dir", str(MODELS_DIR)),
        *("--target-path", str(target), "--log-path", str(target)),
        *("--log-format", "text", "--log-format-file", "json", "--no-use-colors"),
        "--no-send-anonymous-usage-stats",  # nothing a run does reaches the network
    ]
    try:
        done = dbtRunner(manifest=manifest, callbacks=[listen]).invoke([*args, *flags])
    finally:
        with DuckDBConnectionManager._LOCK:
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
                DuckDBConnectionManager._ENV = None
    invocation.success = done.success
    if done.exception is not None:
        invocation.errors.append(str(done.exception))
    return invocation, done.result


def _format_only_what_loggers_keep() -> None:
    """dbt-common formats each event for each of dbt's loggers before the logger's level drops
    it (`_Logger.write_line`): the JSON line of dbt.log (the event as a dict, dumped, scrubbed
    of the environment's secrets) and the text line of stdout were made for every debug event,
    each SQL statement and adapter step included: 58 s of the 341 s the test suite spent in dbt
    (py-spy, 2026-12-02). A logger now formats only the events its level writes; what it writes
    is unchanged (a print event is written at error level, as dbt-common does)."""
    from dbt_common.events import logger as dbt_logger
    from dbt_common.events.base_types import EventLevel

    write_line = dbt_logger._Logger.write_line
    if getattr(write_line, "formats_only_what_is_kept", False):
        return

    def write_kept(self, msg) -> None:
        level = "error" if dbt_logger._is_print_event(msg) else msg.info.level
        if _writes(self, EventLevel(level)):
            write_line(self, msg)

    write_kept.formats_only_what_is_kept = True
    dbt_logger._Logger.write_line = write_kept


def _writes(logger, level) -> bool:
    """Whether one of dbt's loggers writes events of this level (an EventLevel)."""
    from dbt_common.events.logger import _log_level_map

    python = logger._python_logger
    return python is not None and python.isEnabledFor(_log_level_map[level])


def _fire_only_what_is_kept() -> None:
    """dbt-common turns every event into a message (`msg_from_base_event`) before any logger or
    callback looks at it; most of a build's events are at debug level (each SQL statement, each
    connection step), which no logger writes unless it is set to debug. A debug event is now
    dropped before it becomes a message when no logger writes debug and every callback says it
    ignores debug events (`ignores_debug_events`: `_dbt`'s, and dbt's own, which reads only
    BehaviorChangeEvent, a warning): a callback that does not say so gets every event as before.
    A small warehouse's build, alternating in one process: 5.6-6.1 s -> 4.8-4.9 s."""
    from dbt.tracking import track_behavior_change_warn
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.event_manager import EventManager

    fire_event = EventManager.fire_event
    if getattr(fire_event, "fires_only_what_is_kept", False):
        return
    track_behavior_change_warn.ignores_debug_events = True

    def fire_kept(self, e, level=None, *args, **kwargs) -> None:
        if (level or e.level_tag()) == EventLevel.DEBUG and not debug_is_kept(self):
            return
        fire_event(self, e, level, *args, **kwargs)

    def debug_is_kept(manager) -> bool:
        written = any(_writes(logger, EventLevel.DEBUG) for logger in manager.loggers)
        heard = any(not getattr(c, "ignores_debug_events", False) for c in manager.callbacks)
        return written or heard

    fire_kept.fires_only_what_is_kept = True
    EventManager.fire_event = fire_kept


def _build_events_when_read() -> None:
    """dbt-common builds each event's protobuf message from its fields when the event is made
    (`ParseDict`), before `fire_event` can drop it: a build's SQL statements, connections and
    node steps, mostly debug events `_fire_only_what_is_kept` drops, paid it all the same, 15%
    of the Python time of a small warehouse's build (py-spy --gil, 2026-12-02). An event now
    keeps its fields and builds its message on first use; an event that is used reads exactly
    as before. A small build, alternating in one process: 6.7-7.7 s of CPU -> 5.9-6.8 s."""
    from dbt_common.events.base_types import BaseEvent

    init = BaseEvent.__init__
    if getattr(init, "builds_when_read", False):
        return
    get, set_ = BaseEvent.__getattr__, BaseEvent.__setattr__

    def keep(self, *args, **kwargs) -> None:
        object.__setattr__(self, "_unbuilt", (args, kwargs))

    def build(self) -> None:
        unbuilt = self.__dict__.pop("_unbuilt", None)
        if unbuilt is not None:
            init(self, *unbuilt[0], **unbuilt[1])

    def read(self, key):  # only for what the instance lacks: pb_msg, then pb_msg's fields
        if key == "_unbuilt":
            raise AttributeError(key)
        build(self)
        return get(self, key)

    def write(self, key, value) -> None:
        if key != "pb_msg":  # dbt's __init__ sets pb_msg; any other field lives in it
            build(self)
        set_(self, key, value)

    keep.builds_when_read = True
    BaseEvent.__init__, BaseEvent.__getattr__, BaseEvent.__setattr__ = keep, read, write


def _compile_each_template_once() -> None:
    """dbt compiles the Jinja of a node's SQL, and of each generic test's arguments, into Python
    again every time it renders them (`get_template` makes a new environment each time, whose
    `from_string` has no cache): the same few test templates over and over within a build, and
    every node again at each build of a process (a range of periods, a test session): 10% of
    the Python time of a small warehouse's build (py-spy --gil, 2026-12-02). The code Jinja
    makes depends only on the environment's class (dbt's environments of one class share their
    extensions, filters and tests) and the source; each is now compiled once per process.
    Jinja's own bytecode cache reuses code the same way."""
    from dbt_common.clients.jinja import MacroFuzzEnvironment  # the native one is a subclass

    compile_ = MacroFuzzEnvironment.compile
    if getattr(compile_, "compiles_once", False):
        return
    compiled: dict[tuple, object] = {}

    def compile_once(self, source, name=None, filename=None, raw=False, defer_init=False):
        if raw or not isinstance(source, str):
            return compile_(self, source, name, filename, raw, defer_init)
        key = (type(self), source, name, filename, defer_init)
        if key not in compiled:
            compiled[key] = compile_(self, source, name, filename, raw, defer_init)
        return compiled[key]

    compile_once.compiles_once = True
    MacroFuzzEnvironment.compile = compile_once


def _reuse_agate_type_testers() -> None:
    """dbt makes an agate table of each statement's result (an empty one when it fetches
    nothing) with a new type tester, whose date types each build a parsedatetime calendar from
    the locale: 8% of the Python time of a small warehouse's build (py-spy --gil, 2026-12-02).
    A tester holds nothing of the tables it reads (dbt shares its own default one between its
    threads); one is now made per set of text columns, and one for the empty tables."""
    import agate
    from dbt_common.clients import agate_helper

    build = agate_helper.build_type_tester
    if getattr(build, "reused", False):
        return
    testers: dict[tuple, agate.TypeTester] = {}

    def build_once(text_columns, string_null_values=("null", "")):
        columns = tuple(sorted(text_columns))
        nulls = None if string_null_values is None else tuple(string_null_values)
        if (columns, nulls) not in testers:
            testers[columns, nulls] = build(columns, nulls)
        return testers[columns, nulls]

    no_columns = agate.TypeTester()  # what agate.Table makes when given no column types

    build_once.reused = True
    agate_helper.build_type_tester = build_once
    agate_helper.empty_table = lambda: agate.Table(rows=[], column_types=no_columns)


def profile_env(db: Path, tz: str) -> dict[str, str]:
    """The variables by which dbt finds the warehouse and its time zone (the var `tz` of
    dbt_project.yml): profiles.yml's path is PORTAL_WAREHOUSE_DB, given as `~/<file name>`
    with HOME the file's folder; PORTAL_WAREHOUSE_TZ is given at the parse too, so that a run's
    value is the parse state's (unset there, the files converting to local time were parsed
    again at every warehouse's first run).

    dbt keeps its parse state only while the profile's connection is unchanged, its path
    included: a path naming the folder made every new warehouse (each test's, each benchmark's)
    parse the whole project again, 4.5 s of the 16 s dbt took on a small one. DuckDB expands
    `~` itself, so the file, its WAL and its spill folder are those of the full path."""
    db = db.resolve()
    return {
        "HOME": str(db.parent),
        "PORTAL_WAREHOUSE_DB": f"~/{db.name}",
        "PORTAL_WAREHOUSE_TZ": tz,
    }


def _parse() -> None:
    # the parse state every warehouse of the configured file name starts from
    settings = Settings.from_env()
    with environment(profile_env(settings.db, settings.tz)):
        parsed, _ = _dbt(["parse", "--quiet"], PARSE_STATE.parent, MODELS_DIR)
    if not parsed.success:
        raise RuntimeError(parsed.failure())


def prepare() -> Path:
    """`dbt parse`, as dagster-dbt's preparer does it (one process at a time; skipped when
    another process wrote the manifest meanwhile)."""
    run_with_concurrent_update_guard(dbt_project.manifest_path, _parse)
    return dbt_project.manifest_path


def ensure_manifest() -> Path:
    """Parse the project once when no manifest exists yet (a fresh checkout)."""
    if not dbt_project.manifest_path.exists():
        prepare()
    return dbt_project.manifest_path


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (None: unset) these variables while dbt runs in this process."""
    saved = {name: os.environ.get(name) for name in values}
    _set(values)
    try:
        yield
    finally:
        _set(saved)


def _set(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


if __name__ == "__main__":  # `make`: the manifest and parse state of a fresh checkout
    prepare()

# `dagster dev` (DAGSTER_IS_DEV_CLI) picks up changes to the models at every load, as
# `dbt_project.prepare_if_dev()` would, but without a `dbt` on PATH.
if using_dagster_dev():
    prepare()
