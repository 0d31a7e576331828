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
