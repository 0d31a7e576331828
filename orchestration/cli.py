"""`portal-warehouse`: the command line. Flags override the PORTAL_WAREHOUSE_* environment."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from ingest.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        landing=getattr(args, "landing", None),
        db=getattr(args, "db", None),
        tz=getattr(args, "tz", None),
        reference=getattr(args, "reference", None),
    )


def _print_report(report) -> None:
    for f in report.files:
        if f.status == "already_ingested":
            continue
        line = (
            f"{f.source_file:<48} {f.status:<12} read {f.rows_read:>9,}  accepted "
            f"{f.accepted:>9,}  duplicates {f.duplicates:>7,}  quarantined {f.quarantined:>6,}"
        )
        print(line + (f"  ({f.error})" if f.error else ""))
    t = report.totals()
    print(
        f"{report.run_id}: {t['files']} file(s), {t['rows_read']:,} read = {t['accepted']:,}"
        f" accepted + {t['duplicates']:,} duplicates + {t['quarantined']:,} quarantined;"
        f" {t['unreadable']} unreadable file(s)"
    )


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
    from ingest.loader import ingest_landing

    settings = _settings(args)
    if not settings.landing.is_dir():
        print(f"error: landing folder {settings.landing} does not exist", file=sys.stderr)
        return 2
    _print_report(ingest_landing(settings, streams=args.stream or None))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from ingest.loader import replay_quarantine

    _print_report(replay_quarantine(_settings(args)))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ingest.status import format_status, warehouse_status

    print(format_status(warehouse_status(_settings(args))))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the period job in-process: the same Dagster job the UI and the schedule run."""
    import os

    import dagster as dg

    from ingest.reference import describe, load_reference
    from orchestration.dbt_project import ensure_manifest

    settings = Settings.from_env(
        landing=args.landing, db=args.db, publish=args.publish, tz=args.tz, reference=args.reference
    )
    # the reference data is checked before anything else: a problem builds and publishes nothing
    reference = load_reference(settings.reference)
    ensure_manifest()
    from orchestration.definitions import defs
    from orchestration.partitions import report_periods
    from orchestration.resources import WarehouseResource
    from orchestration.runs import run_period

    # the flags reach every step, dbt's subprocess included, through the warehouse resource
    warehouse = WarehouseResource(
        landing=str(settings.landing),
        db=str(settings.db),
        publish=str(settings.publish),
        tz=settings.tz,
        reference=str(settings.reference) if settings.reference else None,
    )

    if args.period not in report_periods.get_partition_keys():
        print(f"error: unknown report period {args.period!r}", file=sys.stderr)
        return 2
    # with DAGSTER_HOME set the run is recorded in that instance, so the UI shows it
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    print(describe(reference))
    log = settings.db.parent / "logs" / f"run-{args.period}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as quiet:
        if not args.verbose:  # dbt's own output goes to the log file, not the terminal
            quiet.enter_context(contextlib.redirect_stdout(quiet.enter_context(log.open("a"))))
        outcome = run_period(
            defs,
            args.period,
            cutoff=args.cutoff,
            instance=instance,
            resources={"warehouse": warehouse},
            job_name="publish_job" if args.publish_only else "period_job",
            log_level="INFO" if args.verbose else "WARNING",
        )
    print(outcome.summary())
    if not args.verbose:
        print(f"dbt's output: {log}")
    return outcome.exit_code


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="portal-warehouse", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def command(
        name: str, func, help: str, landing=False, db=True, reference=False
    ) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help)
        c.set_defaults(func=func)
        if landing:
            c.add_argument("--landing", type=Path, help="landing folder [PORTAL_WAREHOUSE_LANDING]")
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
    i = command("ingest", cmd_ingest, "ingest new landed files into raw", True, reference=True)
    i.add_argument("--stream", action="append", help="only this stream (repeatable)")
    command(
        "replay-quarantine",
        cmd_replay,
        "re-check quarantined records; move those now valid",
        reference=True,
    )
    command("status", cmd_status, "what is in raw, the ledger and the quarantine")
    r = command(
        "run", cmd_run, "ingest, build, check and publish one report period", True, reference=True
    )
    r.add_argument("--period", required=True, help="report period, e.g. 2023-9M or 2024-Q1")
    r.add_argument("--cutoff", help="last local date of the period, e.g. 2023-09-25")
    r.add_argument("--publish", type=Path, help="publish folder [PORTAL_WAREHOUSE_PUBLISH]")
    r.add_argument(
        "--publish-only", action="store_true", help="check and publish the marts as built"
    )
    r.add_argument("--verbose", action="store_true", help="print the run's log (dbt included)")
    return p


def main(argv: list[str] | None = None) -> int:
    import duckdb

    from ingest.reference import ReferenceDataError

    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ReferenceDataError as e:
        # the file, line and rule of each problem; nothing was ingested, built or published
        for problem in e.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except duckdb.IOException as e:
        if "lock" not in str(e).lower():
            raise
        # DuckDB allows one writer per file: say so rather than print a traceback.
        print(f"error: the warehouse is in use by another process ({e})", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
