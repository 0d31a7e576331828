"""`portal-warehouse`: the command line. Flags override the PORTAL_WAREHOUSE_* environment."""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path
from typing import NoReturn, TextIO

from ingest.errors import (
    BAD_INPUT,
    IN_USE,
    STORAGE,
    ConfigError,
    StorageError,
    check_writable,
    storage_reason,
)
from ingest.processes import alive
from ingest.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        landing=getattr(args, "landing", None),
        db=getattr(args, "db", None),
        tz=getattr(args, "tz", None),
        reference=getattr(args, "reference", None),
        publish=getattr(args, "publish", None),
    )


def _print_file(f) -> None:
    """One ingested file's line, printed as soon as the file is done."""
    if f.status == "already_ingested":
        return
    line = (
        f"{f.source_file:<48} {f.status:<12} read {f.rows_read:>9,}  accepted "
        f"{f.accepted:>9,}  duplicates {f.duplicates:>7,}  quarantined {f.quarantined:>6,}"
    )
    print(line + (f"  ({f.error})" if f.error else ""), flush=True)


def _print_report(report, files_printed: bool = False) -> None:
    if not files_printed:
        for f in report.files:
            _print_file(f)
    for s in report.skipped:  # in the landing folder, not a delivery (or not yet)
        print(f"{s.path:<48} skipped: {s.reason}")
    t = report.totals()
    print(
        f"{report.run_id}: {t['files']} file(s), {t['rows_read']:,} read = {t['accepted']:,}"
        f" accepted + {t['duplicates']:,} duplicates + {t['quarantined']:,} quarantined;"
        f" {t['unreadable']} unreadable file(s), {t['rejected']} rejected,"
        f" {len(report.skipped)} skipped"
    )
    if report.restatable:
        from ingest.status import RESTATABLE_HEADING, restatable_lines

        print(f"{RESTATABLE_HEADING}:")
        for line in restatable_lines(report.restatable):
            print(f"  {line}")


def cmd_generate(args: argparse.Namespace) -> int:
    from sample import generate

    settings = _settings(args)
    summary = generate(settings.landing, seed=args.seed, scale=args.scale)
    print(f"wrote {len(summary.files)} files under {settings.landing}")
    for stream, count in summary.events.items():
        print(f"  {stream:<11} {count:>12,} events")
    print(f"  planted bad records: {dict(summary.planted)}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.landing import check_streams
    from ingest.loader import ingest_landing

    try:
        check_streams(args.stream)
    except ValueError as e:  # e.g. --stream dossiers: one line naming the streams
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.source_url or args.source_table:
        return cmd_ingest_source(args)
    if args.cursor or args.batch_size is not None or args.after:
        print("error: --cursor, --batch-size and --after go with --source-url", file=sys.stderr)
        return 2
    settings = _settings(args)
    if not settings.landing.is_dir():
        print(f"error: landing folder {settings.landing} does not exist", file=sys.stderr)
        return 2
    report = ingest_landing(settings, streams=args.stream or None, on_file=_print_file)
    _print_report(report, files_printed=True)
    return 0


def cmd_ingest_source(args: argparse.Namespace) -> int:
    """`ingest --source-url URL --source-table TABLE --stream S`: a source database's table."""
    from ingest.sources import DEFAULT_BATCH_SIZE, DEFAULT_CURSOR, SourceError, ingest_source

    if not (args.source_url and args.source_table) or len(args.stream or []) != 1:
        print(
            "error: --source-url and --source-table go together, with exactly one --stream",
            file=sys.stderr,
        )
        return 2
    cursor = args.cursor or DEFAULT_CURSOR
    try:
        report = ingest_source(
            _settings(args),
            args.source_url,
            args.source_table,
            args.stream[0],
            cursor=cursor,
            batch_size=DEFAULT_BATCH_SIZE if args.batch_size is None else args.batch_size,
            after=args.after,
        )
    except SourceError as e:  # the URL, the table, the cursor: one line, never the password
        print(f"error: {e}", file=sys.stderr)
        return 2
    _print_report(report)
    if report.files:
        first, last = report.files[0], report.files[-1]
        print(f"cursor {cursor}: {first.cursor_from} .. {last.cursor_to}")
    return 0


def _existing_warehouse(settings: Settings) -> Settings:
    """A command that reads the warehouse refuses one that does not exist (exit 2) rather than
    report zeros or create it."""
    if not settings.db.exists():
        raise ConfigError(
            f"no warehouse at {settings.db} (--db, PORTAL_WAREHOUSE_DB): nothing was ingested there"
        )
    return settings


def cmd_replay(args: argparse.Namespace) -> int:
    from ingest.loader import replay_quarantine

    _print_report(replay_quarantine(_existing_warehouse(_settings(args))))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ingest.status import format_status, warehouse_status

    print(format_status(warehouse_status(_existing_warehouse(_settings(args)))))
    return 0


def preflight_run(
    settings: Settings,
    period: str,
    cutoff: str | None = None,
    publish_only: bool = False,
    allow_empty: bool = False,
):
    """What `run` refuses before it starts Dagster or dbt, so that a refused run takes seconds
    and writes nothing: ConfigError (exit 2) for an unknown period, a missing landing folder, a
    reference folder that fails its checks (ReferenceDataError), a missing warehouse with
    `--publish-only`, a period with no event to report; StorageError (exit 4) for a warehouse
    path that is a directory or not a DuckDB file, a warehouse or publish folder that cannot be
    written. Returns the run's reference data."""
    from ingest.landing import discover, sha256_of
    from ingest.reference import load_reference
    from ingest.warehouse import check_warehouse_file, connect
    from publish.periods import PERIOD_KEYS, period_event_count, period_window

    if period not in PERIOD_KEYS:
        raise ConfigError(f"unknown report period {period!r}")
    check_cutoff(period, cutoff)
    if not publish_only and not settings.landing.is_dir():
        raise ConfigError(f"landing folder {settings.landing} does not exist")
    # the reference data is checked before anything is written: a problem builds nothing
    reference = load_reference(settings.reference)
    check_warehouse_file(settings.db)
    if publish_only and not settings.db.exists():
        raise ConfigError(f"no warehouse at {settings.db}: --publish-only publishes what was built")
    check_writable(settings.db.parent, "the warehouse's folder")
    if settings.db.exists() and not os.access(settings.db, os.W_OK):
        raise StorageError(f"the warehouse {settings.db} is not writable")
    check_writable(settings.publish / period, "the publish folder")
    window = period_window(period, cutoff)
    if allow_empty:
        return reference
    # A period in which the warehouse holds no event, and to which no new delivery can add one,
    # is refused here; with new deliveries the publish step decides, after the build.
    start, end = window
    held, known = 0, set()
    if settings.db.exists():
        con = connect(settings.db, settings.tz, read_only=True)
        try:
            held = period_event_count(con, start, end)
            ledger = con.execute(
                "select count(*) from information_schema.tables"
                " where table_schema = 'raw' and table_name = 'ingest_ledger'"
            ).fetchone()[0]
            if not held and ledger:
                known = {
                    sha
                    for (sha,) in con.execute(
                        "select distinct sha256 from raw.ingest_ledger where sha256 is not null"
                    ).fetchall()
                }
        finally:
            con.close()
    if held:
        return reference
    if not publish_only:
        landed = discover(settings.landing).files
        if any(not f.rejected and sha256_of(f.path) not in known for f in landed):
            return reference
    raise ConfigError(
        f"period {period} ({start} to {end}): the warehouse holds no event of any stream in it"
        + ("" if publish_only else " and the landing folder no new delivery")
        + "; nothing was run or published (--allow-empty publishes its report of zeros)"
    )


def check_cutoff(period: str, cutoff: str | None) -> None:
    """ConfigError (exit 2) for a cutoff that is not a date or lies outside the period: said at
    once, not by dbt after the ingest."""
    from datetime import date

    from publish.periods import period_window

    if cutoff is None:
        return
    try:
        date.fromisoformat(cutoff)
    except ValueError:
        raise ConfigError(f"cutoff {cutoff!r} is not a date (YYYY-MM-DD)") from None
    if period_window(period, cutoff) is None:
        start, end = period_window(period)
        raise ConfigError(f"cutoff {cutoff} is outside period {period} ({start} to {end})")


def run_periods(specs: list[str]) -> list[str]:
    """The periods of `run --period` values, in the order given, each once (ranges expanded,
    publish.periods.periods_named); ConfigError for an unknown one."""
    from publish.periods import periods_named

    periods: list[str] = []
    for spec in specs:
        try:
            periods += periods_named(spec)
        except ValueError as e:
            raise ConfigError(str(e)) from None
    return list(dict.fromkeys(periods))


# The project's Dagster home, when DAGSTER_HOME is not set: beside the warehouse, where
# `make dev` (`portal-warehouse dagster-home`) points the UI, so the UI shows every CLI run.
DAGSTER_HOME_FOLDER = "dagster_home"
INSTANCE_CONFIG = Path(__file__).resolve().parent / "dagster.yaml"


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME, else `<warehouse folder>/dagster_home`; created with the project's
    dagster.yaml (one slot per concurrency pool) when it has none."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.db.parent / DAGSTER_HOME_FOLDER)
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(INSTANCE_CONFIG, home / "dagster.yaml")
    return home


def cmd_dagster_home(args: argparse.Namespace) -> int:
    print(dagster_home(_settings(args)))
    return 0


# The CLI's runs name their process, so that one killed mid-run (its run left "started",
# holding the writer pool's slot) is marked failed by the next `run` instead of blocking it.
PROCESS_TAG = "portal_warehouse/process"


def _release_abandoned_runs(instance) -> None:
    import dagster as dg

    unfinished = instance.get_runs(
        dg.RunsFilter(
            statuses=[
                dg.DagsterRunStatus.NOT_STARTED,
                dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED,
            ]
        )
    )
    host = socket.gethostname()
    for run in unfinished:
        run_host, _, pid = run.tags.get(PROCESS_TAG, "").rpartition(":")  # others: not ours
        if run_host != host or not pid.isdigit() or alive(int(pid)):
            continue
        instance.report_run_failed(run, f"its process ({host}:{pid}) ended before the run did")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


class _StepLines:
    """A run's steps as they go, each with its elapsed time. On a terminal the running step's
    line counts its seconds and is replaced by its outcome; in a log or a pipe, a line when a
    step starts and one when it ends (also on a terminal that shows the run's log, `live=False`)."""

    def __init__(self, out: TextIO, live: bool = True):
        self._out = out
        self._tty = live and out.isatty()
        self._lock = threading.Lock()
        self._running: dict[str, float] = {}
        self._stop = threading.Event()
        if self._tty:
            threading.Thread(target=self._tick, daemon=True).start()

    def __call__(self, step: str, status: str) -> None:
        now = time.monotonic()
        with self._lock:
            if status == "started":
                self._running[step] = now
                if not self._tty:
                    self._write(f"  {step} …\n")
                return
            began = self._running.pop(step, None)
            elapsed = f" {now - began:6.1f} s" if began is not None else ""
            self._write(f"{self._erase()}  {step:<20} {status:<9}{elapsed}\n")

    def close(self) -> None:
        self._stop.set()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                for step, began in self._running.items():
                    self._write(f"{self._erase()}  {step:<20} …{time.monotonic() - began:8.0f} s")

    def _erase(self) -> str:
        return "\r\x1b[K" if self._tty else ""

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed pipe stops the lines, not the run
            self._out.write(text)
            self._out.flush()


class _RunLog(io.TextIOBase):
    """The run's log file, which never fails the run: on a full disk it stops growing (its last
    line says so) and the run's own outcome is reported."""

    def __init__(self, path: Path):
        self._file = path.open("a", encoding="utf-8")
        self.lost: OSError | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        # a logger that kept this stream may still write once the run is over: dropped
        if self.lost is None and not self._file.closed:
            try:
                self._file.write(text)
            except OSError as e:
                self.lost = e
        return len(text)

    def flush(self) -> None:
        if self.lost is None and not self._file.closed:
            try:
                self._file.flush()
            except OSError as e:
                self.lost = e

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        super().close()


def _iso_date(text: str):
    """A date option's value (YYYY-MM-DD); anything else is argparse's exit 2."""
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


@contextlib.contextmanager
def uncollected_imports():
    """Import Dagster, dbt's project and the assets with Python's cyclic collector off, then
    freeze what they made: imports leave no garbage, yet the collector walked their 350,000
    objects over and over meanwhile (0.8 s of a 4.1 s import), and again in every later full
    collection (a period run at scale 0.1: 1.6 s of collections, 0.6 s with this). A process
    that holds them already (a test session running the command) is left as it is: a freeze
    would keep its garbage of the moment for good."""
    if "orchestration.definitions" in sys.modules:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def cmd_run(args: argparse.Namespace) -> int:
    """Run the period job in-process for each period, one after the other: the same Dagster
    job the UI and the schedule run, recorded in the project's Dagster home. Stops at the first
    period that is not published."""
    from ingest.reference import describe

    settings = Settings.from_env(
        landing=args.landing, db=args.db, publish=args.publish, tz=args.tz, reference=args.reference
    )
    periods = run_periods(args.period)
    for period in periods:  # the cheap refusals first, for all the periods of the call
        check_cutoff(period, args.cutoff)
    # every refusal before Dagster and dbt start, for every period: seconds, and nothing written
    for period in periods:
        reference = preflight_run(
            settings, period, args.cutoff, args.publish_only, args.allow_empty
        )
    # a period whose latest version would only be repeated is not run again (--force runs it)
    current = {}
    if not (args.force or args.publish_only):
        current = _up_to_date(args, settings, periods, reference)
    if len(current) == len(periods):
        for period in periods:
            print(_said_up_to_date(period, current[period]))
        return 0
    with uncollected_imports():
        from orchestration.alerts import ALERTED_TAG
        from orchestration.dbt_project import ensure_manifest
        from orchestration.instance import open_instance
    ensure_manifest()  # dbt parses the project here on a checkout `make` has not prepared
    with uncollected_imports():
        from orchestration.definitions import defs
        from orchestration.resources import WarehouseResource

    # the flags reach every step, dbt's subprocess included, through the warehouse resource
    warehouse = WarehouseResource(
        landing=str(settings.landing),
        db=str(settings.db),
        publish=str(settings.publish),
        tz=settings.tz,
        reference=str(settings.reference) if settings.reference else None,
    )
    print(describe(reference))
    tags = {
        ALERTED_TAG: "portal-warehouse run",  # this command alerts; the UI's sensor does not
        PROCESS_TAG: f"{socket.gethostname()}:{os.getpid()}",
    }
    published: list[str] = []
    home = dagster_home(settings)
    print(f"Dagster home: {home} (the UI shows its runs: DAGSTER_HOME={home} dagster dev)")
    with open_instance(home) as instance:
        _release_abandoned_runs(instance)
        for n, period in enumerate(periods):
            if len(periods) > 1:
                print(f"{period} ({n + 1} of {len(periods)}):", flush=True)
            if period in current:
                print(_said_up_to_date(period, current[period]))
                published.append(period)
                continue
            outcome = _run_one(args, settings, defs, period, instance, warehouse, tags)
            if outcome.exit_code:
                print(f"error: {outcome.error}", file=sys.stderr)
                from orchestration.alerts import alert_on_outcome

                print(f"alert: {alert_on_outcome(outcome, settings)}", file=sys.stderr)
                break
            published.append(period)
    if len(periods) > 1:
        not_run = periods[len(published) + 1 :]
        said = [f"published: {', '.join(published) or 'none'}"]
        if len(published) < len(periods):
            said.append(f"not published: {periods[len(published)]}")
        if not_run:
            said.append(f"not run: {', '.join(not_run)}")
        print("; ".join(said))
    return 0 if len(published) == len(periods) else outcome.exit_code


def _up_to_date(args: argparse.Namespace, settings: Settings, periods: list[str], reference):
    """period -> its latest version, for the periods a run would only publish again."""
    from orchestration.builds import up_to_date

    report_date = args.report_date.isoformat() if args.report_date else None
    found = {}
    for period in periods:
        version = up_to_date(
            settings, period, args.cutoff, args.report_number, report_date, reference
        )
        if version is not None:
            found[period] = version
    return found


def _said_up_to_date(period: str, version: Path) -> str:
    return (
        f"{period}: up to date, published in {version.resolve()} from the same events,"
        " reference data and code: nothing to run (--force publishes a new version)"
    )


@contextlib.contextmanager
def _recording_in(instance, period: str):
    """The Dagster home shares the warehouse's disk: when it cannot record the run (a full
    disk), say so on one line (exit 4) rather than with SQLite's traceback."""
    import sqlite3

    try:
        yield
    except Exception as e:
        cause = e
        while cause is not None and not isinstance(cause, sqlite3.OperationalError):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        home = instance.root_directory
        raise StorageError(
            f"{period}: not published: the Dagster home {home} cannot record the run: {cause}"
            " (is its disk full? make room, run again)"
        ) from e


def _run_one(args, settings: Settings, defs, period: str, instance, warehouse, tags):
    """One period's run, its steps shown as they go, then its summary."""
    from orchestration.runs import run_period

    log = settings.db.parent / "logs" / f"run-{period}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    out = None
    # the terminal's stdout, taken before the run's output goes to the log
    steps = _StepLines(sys.stdout, live=not args.verbose)
    with contextlib.ExitStack() as quiet:
        quiet.callback(steps.close)
        if not args.verbose:
            # dbt's own output, and Dagster's log of a failed step with its stack trace, go to
            # the log file; the terminal gets the steps, the summary and, on failure, one
            # `error:` line
            out = quiet.enter_context(_RunLog(log))
            quiet.enter_context(contextlib.redirect_stdout(out))
            quiet.enter_context(contextlib.redirect_stderr(out))
        with _recording_in(instance, period):
            outcome = run_period(
                defs,
                period,
                cutoff=args.cutoff,
                instance=instance,
                resources={"warehouse": warehouse},
                job_name="publish_job" if args.publish_only else "period_job",
                log_level="INFO" if args.verbose else "WARNING",
                allow_empty=args.allow_empty,
                report_number=args.report_number,
                report_date=args.report_date.isoformat() if args.report_date else None,
                tags=tags,
                on_step=steps,
            )
    print(outcome.summary())
    if out is not None:
        lost = f" (incomplete: {out.lost.strerror})" if out.lost else ""
        print(f"dbt's output: {log}{lost}")
    return outcome


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="portal-warehouse", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def command(
        name: str, func, help: str, landing=False, db=True, reference=False, publish=None
    ) -> argparse.ArgumentParser:
        """A subcommand; `publish`, when given, is what its --publish folder is for."""
        c = sub.add_parser(name, help=help)
        c.set_defaults(func=func)
        if landing:
            c.add_argument("--landing", type=Path, help="landing folder [PORTAL_WAREHOUSE_LANDING]")
        if publish:
            c.add_argument(
                "--publish", type=Path, help=f"publish folder{publish} [PORTAL_WAREHOUSE_PUBLISH]"
            )
        if db:
            c.add_argument("--db", type=Path, help="DuckDB file [PORTAL_WAREHOUSE_DB]")
            c.add_argument("--tz", help="warehouse time zone [PORTAL_WAREHOUSE_TZ]")
        if reference:
            c.add_argument(
                "--reference",
                type=Path,
                metavar="DIR",
                help="the deployment's reference files, replacing the bundled ones of the same"
                " name [PORTAL_WAREHOUSE_REFERENCE]",
            )
        return c

    g = command("generate", cmd_generate, "write sample events to the landing folder", True, False)
    g.add_argument("--seed", type=int, default=2023)
    g.add_argument("--scale", type=float, default=1.0, help="multiplies volumes (10 = 10M+ events)")
    restatable = ", whose periods the new events could change"
    i = command(
        "ingest",
        cmd_ingest,
        "ingest new landed files into raw",
        True,
        reference=True,
        publish=restatable,
    )
    i.add_argument("--stream", action="append", help="only this stream (repeatable)")
    src = i.add_argument_group("a source database's table instead of the landing folder")
    src.add_argument(
        "--source-url",
        metavar="URL",
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; ${VAR} is read from the"
        " environment; never stored or printed",
    )
    src.add_argument("--source-table", metavar="TABLE", help="the table (or schema.table)")
    src.add_argument(
        "--cursor",
        metavar="COLUMN",
        help="the column that grows with commit order, read in its order [event_seq]",
    )
    src.add_argument("--batch-size", type=int, metavar="N", help="rows per batch [122880]")
    src.add_argument(
        "--after",
        metavar="VALUE",
        help="start after this cursor value, not where the ledger left off (adds no event twice)",
    )
    command(
        "replay-quarantine",
        cmd_replay,
        "re-check quarantined records; move those now valid",
        reference=True,
        publish=restatable,
    )
    command(
        "status",
        cmd_status,
        "raw, the ledger, the quarantine, the landing's skipped entries, the published periods"
        " that events ingested since could change",
        True,
        publish=" of the periods to look at",
    )
    command(
        "dagster-home",
        cmd_dagster_home,
        "print the Dagster home the CLI's runs are recorded in (DAGSTER_HOME, else beside the"
        " warehouse), creating it; `make dev` shows it",
    )
    r = command(
        "run",
        cmd_run,
        "ingest, build, check and publish report periods",
        True,
        reference=True,
        publish=", where each period's versions are kept",
    )
    r.add_argument(
        "--period",
        required=True,
        action="append",
        help="report period, e.g. 2023-9M or 2024-Q1, or a range 2025-Q1..2025-Q4 (repeatable:"
        " run one after the other, stopping at the first not published)",
    )
    r.add_argument(
        "--cutoff",
        help="last local date of the period, e.g. 2023-09-25 (with several periods, it must lie"
        " in each)",
    )
    r.add_argument(
        "--publish-only", action="store_true", help="check and publish the marts as built"
    )
    r.add_argument(
        "--allow-empty",
        action="store_true",
        help="publish even when the warehouse holds no event of any stream in the period",
    )
    r.add_argument(
        "--report-number",
        help='the report the appendices go with, e.g. 125 or 125/BC-UBND (default "…/BC-UBND")',
    )
    r.add_argument(
        "--report-date",
        type=_iso_date,
        help='its date, e.g. 2023-10-05 (default "ngày … tháng … năm …")',
    )
    r.add_argument(
        "--force",
        action="store_true",
        help="run and publish a new version even when the period is up to date",
    )
    r.add_argument("--verbose", action="store_true", help="print the run's log (dbt included)")
    return p


def known_failure(e: BaseException) -> tuple[int, list[str]] | None:
    """The exit code and the `error:` lines of a failure every command reports the same way
    (README, "Exit codes"), or None for one that is a bug (its traceback is printed)."""
    import duckdb

    from ingest.reference import ReferenceDataError

    if isinstance(e, ReferenceDataError):
        # the file, line and rule of each problem; nothing was ingested, built or published
        return BAD_INPUT, list(e.problems)
    if isinstance(e, ConfigError):
        return BAD_INPUT, [str(e)]
    from ingest.warehouse import WarehouseInUseError

    if isinstance(e, WarehouseInUseError):  # waited PORTAL_WAREHOUSE_LOCK_TIMEOUT; names the holder
        return IN_USE, [str(e)]
    if isinstance(e, duckdb.IOException) and "could not set lock" in str(e).lower():
        # DuckDB allows one writer per file: say so rather than print a traceback
        return IN_USE, [f"the warehouse is in use by another process ({' '.join(str(e).split())})"]
    if reason := storage_reason(e):  # disk full, read-only, not a DuckDB file, out of memory
        return STORAGE, [reason]
    return None


def main(argv: list[str] | None = None) -> int:
    """Every command's known failures become `error:` lines and an exit code here, in one
    place: 0 done; 1 a run failed or a contract blocked its publish; 2 bad input or
    configuration; 3 the warehouse is in use; 4 storage or memory (disk full, not writable, not a
    DuckDB file, DuckDB out of its memory limit)."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as e:
        known = known_failure(e)
        if known is None:
            raise
        code, lines = known
        for line in lines:
            print(f"error: {line}", file=sys.stderr)
        return code


def entry() -> NoReturn:
    """The `portal-warehouse` command: `main`, then the exit. Python's last garbage collection
    at exit walks every object dbt and Dagster made (3.7 s after a period run on 1M events);
    frozen, they are left to the end of the process, which frees them all anyway."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
