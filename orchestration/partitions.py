"""Report periods as partitions: YYYY-Qn, YYYY-H1, YYYY-9M and YYYY-FY (shared/EVENTS.md)."""

import datetime as dt

import dagster as dg

FIRST_YEAR = 2022  # the oldest events the province delivers
PERIOD_KINDS = ("Q1", "Q2", "H1", "Q3", "9M", "Q4", "FY")  # in the order a year completes them

report_periods = dg.StaticPartitionsDefinition(
    [
        f"{year}-{kind}"
        for year in range(FIRST_YEAR, dt.date.today().year + 1)
        for kind in PERIOD_KINDS
    ]
)


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
    keys = report_periods.get_partition_keys()
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
