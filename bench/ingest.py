"""Ingest throughput against a hand-written DuckDB baseline, in the same run.

For each size and format: generate clean dossier events once, then in fresh processes (so that
peak RSS is each one's own) time
- ours: `ingest.loader.ingest_landing` on the file (registry ingested beforehand, not timed);
- baseline: one `INSERT INTO ... SELECT ... FROM read_<format>(file)` with an anti-join on
  event_id, into a fresh DuckDB file — what a careful engineer would write by hand.

    python bench/ingest.py                 # 1M and 10M events (about 10 minutes)
    python bench/ingest.py --sizes 200000  # a quick look
    python bench/ingest.py --unknown-key   # every record with a key the contract does not know
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_RATIO = {"parquet": 2.0, "jsonl": 3.0}
RSS_LIMIT_MB = 2048
UNKNOWN_KEY, UNKNOWN_VALUE = "he_thong", "DVC Lào Cai"  # not in the contract (--unknown-key)


def write_inputs(n: int, folder: Path, unknown_key: bool) -> None:
    from sample import dossier_events, portal_registry

    con = duckdb.connect()
    events = dossier_events(n)  # noqa: F841 (read by DuckDB's replacement scan)
    registry = portal_registry()  # noqa: F841
    (folder / "portal").mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY registry TO '{folder}/portal/registry.parquet' (FORMAT parquet)")
    # as the sample's dossier records carry the name of the system that sent them
    extra = f", '{UNKNOWN_VALUE}' AS {UNKNOWN_KEY}" if unknown_key else ""
    rows = f"SELECT *{extra} FROM events"
    con.execute(f"COPY ({rows}) TO '{folder}/dossier.parquet' (FORMAT parquet)")
    con.execute(f"COPY ({rows}) TO '{folder}/dossier.jsonl' (FORMAT json)")


def child_ours(fmt: str, source: Path, registry: Path, work: Path) -> dict:
    from ingest.loader import ingest_landing
    from ingest.settings import Settings

    landing = work / "landing"
    (landing / "dossier").mkdir(parents=True)
    (landing / "portal").mkdir(parents=True)
    (landing / "portal" / registry.name).hardlink_to(registry)  # a symlink out is rejected
    settings = Settings.from_env(landing=landing, db=work / "ours.duckdb")
    ingest_landing(settings, streams=["portal"])
    (landing / "dossier" / source.name).hardlink_to(source)
    started = time.perf_counter()
    report = ingest_landing(settings, streams=["dossier"])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "accepted": report.totals()["accepted"]}


def child_baseline(fmt: str, source: Path, work: Path) -> dict:
    reader = f"read_parquet('{source}')" if fmt == "parquet" else f"read_json('{source}')"
    con = duckdb.connect(str(work / "baseline.duckdb"))
    started = time.perf_counter()
    con.execute(f"CREATE TABLE dossier_events AS SELECT * FROM {reader} LIMIT 0")
    con.execute(f"""
        INSERT INTO dossier_events
        SELECT * FROM {reader} AS src
        WHERE NOT EXISTS (SELECT 1 FROM dossier_events AS d WHERE d.event_id = src.event_id)
    """)
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    accepted = con.execute("SELECT count(*) FROM dossier_events").fetchone()[0]
    return {"seconds": seconds, "accepted": accepted}


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_of(repeat: int, kind: str, fmt: str, *inputs: Path) -> dict:
    """The fastest of `repeat` runs, each in a fresh process and a fresh warehouse folder."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as work:
            runs.append(run_child(kind, fmt, *map(str, inputs), work))
    return min(runs, key=lambda r: r["seconds"]) | {
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--formats", nargs="+", default=["parquet", "jsonl"])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    parser.add_argument(
        "--unknown-key",
        action="store_true",
        help="every record also carries a key the contract does not know, as the sample's do",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, fmt, source, *rest = args.child
        if kind == "inputs":  # in its own process, so the runs below do not inherit its memory
            write_inputs(int(fmt), Path(source), unknown_key=bool(rest))
            print("{}")
            return
        if kind == "ours":
            result = child_ours(fmt, Path(source), Path(rest[0]), Path(rest[1]))
        else:
            result = child_baseline(fmt, Path(source), Path(rest[0]))
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    if args.unknown_key:
        print(f'every record also carries "{UNKNOWN_KEY}": "{UNKNOWN_VALUE}", not in the contract')
    print(
        f"{'events':>11} {'format':<8} {'ours s':>8} {'events/s':>11} {'RSS MB':>7} "
        f"{'base s':>7} {'base RSS':>8} {'ratio':>6} {'target':>7}  verdict"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            tmp = Path(tmp)
            run_child("inputs", str(n), str(tmp / "in"), *["unknown-key"] * args.unknown_key)
            for fmt in args.formats:
                source = tmp / "in" / f"dossier.{fmt}"
                ours = best_of(args.repeat, "ours", fmt, source, tmp / "in/portal/registry.parquet")
                base = best_of(args.repeat, "baseline", fmt, source)
                assert ours["accepted"] == base["accepted"], (ours, base)
                ratio = ours["seconds"] / base["seconds"]
                ok = ratio <= TARGET_RATIO[fmt] and ours["peak_rss_mb"] <= RSS_LIMIT_MB
                print(
                    f"{ours['accepted']:>11,} {fmt:<8} {ours['seconds']:>8.2f} "
                    f"{ours['accepted'] / ours['seconds']:>11,.0f} {ours['peak_rss_mb']:>7.0f} "
                    f"{base['seconds']:>7.2f} {base['peak_rss_mb']:>8.0f} {ratio:>5.2f}x "
                    f"{'<=' + str(TARGET_RATIO[fmt]) + 'x':>7}  {'ok' if ok else 'MISSED'}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
