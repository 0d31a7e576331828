"""Report periods: YYYY-Qn, YYYY-H1, YYYY-9M and YYYY-FY (shared/EVENTS.md), their dates and
the raw events within them. Light on purpose: `portal-warehouse run` checks its periods here
before it loads anything else, and a run with nothing new loads neither Dagster nor the
writers of the release (orchestration.partitions makes the periods Dagster's partitions)."""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from ingest.contract import STREAMS
from ingest.warehouse import literal

FIRST_YEAR = 2022  # the oldest events the province delivers
# each kind's first and last month, in the order a year completes them
PERIOD_MONTHS = {"Q1": (1, 3), "Q2": (4, 6), "H1": (1, 6), "Q3": (7, 9), "9M": (1, 9),
                 "Q4": (10, 12), "FY": (1, 12)}  # fmt: skip
PERIOD_KINDS = tuple(PERIOD_MONTHS)
PERIOD_KEYS = [
    f"{year}-{kind}"
    for year in range(FIRST_YEAR, dt.date.today().year + 1)
    for kind in PERIOD_KINDS
]


def periods_completed_by(quarter_end: dt.date) -> list[str]:
    """The quarter that ends on `quarter_end` and the cumulative period it completes, if any."""
    quarter = (quarter_end.month - 1) // 3 + 1
    cumulative = {2: "H1", 3: "9M", 4: "FY"}.get(quarter)
    return [f"{quarter_end.year}-Q{quarter}"] + (
        [f"{quarter_end.year}-{cumulative}"] if cumulative else []
    )


def periods_named(spec: str) -> list[str]:
    """The report periods one `--period` value names, in the partitions' order: a period
    (`2025-Q1`) or a range `FIRST..LAST`. A range whose ends are quarters takes the quarters
    between them (`2025-Q1..2025-Q4`: Q1 to Q4); whose ends are the same other kind takes that
    kind (`2023-FY..2025-FY`: each year's FY); ends of different kinds take every period
    between them in the order a year completes them (`2025-Q1..2025-H1`: Q1, Q2, H1).
    ValueError for an unknown period or a range that runs backwards."""
    keys = PERIOD_KEYS
    first, sep, last = spec.partition("..")
    ends = [first, last] if sep else [first]
    for end in ends:
        if end not in keys:
            raise ValueError(f"unknown report period {end!r}")
    if not sep:
        return [first]
    start, stop = keys.index(first), keys.index(last)
    if start > stop:
        raise ValueError(f"period range {spec!r} runs backwards")
    kind_of = {end.split("-", 1)[1] for end in ends}
    if all(kind.startswith("Q") for kind in kind_of):
        wanted = {kind for kind in PERIOD_KINDS if kind.startswith("Q")}
    elif len(kind_of) == 1:
        wanted = kind_of
    else:
        wanted = set(PERIOD_KINDS)
    return [key for key in keys[start : stop + 1] if key.split("-", 1)[1] in wanted]


_REPORT_PERIOD = re.compile(r"(?P<year>\d{4})-(?P<kind>" + "|".join(PERIOD_KINDS) + ")")


def period_window(
    period_id: str, cutoff: dt.date | str | None = None
) -> tuple[dt.date, dt.date] | None:
    """The local dates a report period covers, ending at `cutoff` when given; None for a
    period id that is not a report period or a cutoff outside it (dbt says why)."""
    m = _REPORT_PERIOD.fullmatch(period_id)
    if not m:
        return None
    first, last = PERIOD_MONTHS[m["kind"]]
    year = int(m["year"])
    start = dt.date(year, first, 1)
    after = dt.date(year + 1, 1, 1) if last == 12 else dt.date(year, last + 1, 1)
    end = after - dt.timedelta(days=1)
    if cutoff is not None:
        try:
            cut = cutoff if isinstance(cutoff, dt.date) else dt.date.fromisoformat(str(cutoff))
        except ValueError:
            return None
        if not start <= cut <= end:
            return None
        end = cut
    return start, end


RAW_TABLES = tuple(stream.table for stream in STREAMS.values())


def period_event_count(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> int:
    """Raw events of every stream whose local date lies within [start, end]."""
    tables = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.columns "
            "where table_schema = 'raw' and column_name = 'occurred_on'"
        ).fetchall()
    }
    return sum(
        con.execute(
            f"select count(*) from {table}"
            f" where occurred_on between {literal(start)} and {literal(end)}"
        ).fetchone()[0]
        for table in RAW_TABLES
        if table in tables
    )
