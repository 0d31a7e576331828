"""The `channel` stream (EVENTS.md 1.1): the province's other channels report figures, not events.

The provincial portal's visit counter, the People's Committee's Fanpage, the Zalo news channel,
the electronic gazette, the press review and the training courses each send a measurement per
metric and month: a flow over the month's window, a level read at its last day. September is
read twice, on the 25th (the day the 9-month report is compiled) and at its end, so that a
9-month period to 25/09 holds whole windows. The figures of 01/01–25/09/2023 are the seed
report's (5,1 triệu lượt truy cập, lũy kế 76.109.805; Fanpage 545 tin, 1.018.221 lượt tiếp cận,
12.997 người theo dõi, phản hồi 100 %; Zalo 840 tin, 278.220 lượt xem; Công báo 04 số, 32 văn
bản; Điểm báo 164 bản tin, 2.522 tin; 6 lớp tập huấn, hơn 200 học viên); other years grow from
them. One course, from 20/09 to 05/10/2023, is reported over its own window, across the 9-month
report's end: a window a period cannot hold (the mart leaves it out and reports it).

The 2022 history came as one CSV export, 2023 as monthly JSON Lines, 2024 gzipped, then JSON
Lines again; every file is delivered on the second day of the next month.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa

from sample import planted, schemas
from sample.clock import ts
from sample.files import Landing, Out
from sample.portals import PROVINCE_PORTAL

SOURCE = "stttt-bao-cao-kenh"  # the communication office's monthly return
FIRST, LAST = (2022, 1), (2026, 10)  # the months measured
CUTOFF_DAY = 25  # September is read on the 25th, for the 9-month report
SEED_START, SEED_END = date(2023, 1, 1), date(2023, 9, 25)
SEED_DAYS = (SEED_END - SEED_START).days + 1

# The seed report's flows over 01/01–25/09/2023, and their growth a year.
FLOWS_2023_9M: dict[tuple[str, str], tuple[int, float]] = {
    ("portal_visits", "visits"): (5_104_372, 1.07),
    ("fanpage", "posts"): (545, 1.05),
    ("fanpage", "reach"): (1_018_221, 1.15),
    ("fanpage", "interactions"): (96_418, 1.12),
    ("zalo", "posts"): (840, 1.08),
    ("zalo", "views"): (278_220, 1.25),
    ("gazette", "issues"): (4, 1.0),
    ("press_review", "bulletins"): (164, 1.0),
    ("training", "courses"): (6, 1.0),
}
# Flows that come with another: documents per gazette issue, items per bulletin, trainees per
# course; their 2023 totals are the seed's.
PARTS: dict[tuple[str, str], tuple[tuple[str, str], int]] = {
    ("gazette", "documents"): (("gazette", "issues"), 32),
    ("press_review", "items"): (("press_review", "bulletins"), 2_522),
    ("training", "trainees"): (("training", "courses"), 214),
}
# Levels read at 25/09/2023 in the seed report, and their growth a year.
FOLLOWERS_AT_CUTOFF = {
    ("fanpage", "followers"): (12_997, 1.25),
    ("zalo", "followers"): (4_862, 1.35),
}
CUMULATIVE_VISITS_AT_CUTOFF = 76_109_805
# Reported over its own window, across the 9-month report's end (see the module's docstring).
STRADDLING_COURSE = (date(2023, 9, 20), date(2023, 10, 5), 1, 37)


def windows() -> list[tuple[date, date]]:
    """Each month's window, September's cut at the 25th."""
    out = []
    year, month = FIRST
    while (year, month) <= LAST:
        start = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        if month == 9:
            out += [(start, date(year, 9, CUTOFF_DAY)), (date(year, 9, CUTOFF_DAY + 1), end)]
        else:
            out.append((start, end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers in proportion to weights summing exactly to total (largest remainders)."""
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    shares = total * weights / weights.sum()
    whole = np.floor(shares).astype(np.int64)
    left = total - int(whole.sum())
    order = np.argsort(-(shares - whole), kind="stable")
    whole[order[:left]] += 1
    return whole


def _in_seed(spans: list[tuple[date, date]]) -> np.ndarray:
    return np.array([s >= SEED_START and e <= SEED_END for s, e in spans])


def _measured_at(window_end: date) -> int:
    """The counters are read the evening of the window's last day."""
    return ts(window_end.isoformat(), "20:00")


def _row(channel: str, metric: str, value, start: date | None, end: date) -> dict:
    span = f"{start:%Y%m%d}-{end:%Y%m%d}" if start else f"{end:%Y%m%d}"
    return {
        "event_id": f"kenh.{channel}.{metric}.{span}",
        "event_type": "measured",
        "occurred_at": _measured_at(end),
        "portal_id": PROVINCE_PORTAL,
        "source": SOURCE,
        "channel": channel,
        "metric": metric,
        "value": value if isinstance(value, Decimal) else int(value),
        "window_start": start,
        "window_end": end,
    }


def simulate(rng: np.random.Generator) -> list[dict]:
    """Every measurement, 2022 to October 2026, as row dicts of the `channel` stream."""
    spans = windows()
    days = np.array([(e - s).days + 1 for s, e in spans], dtype=float)
    years = np.array([s.year - 2023 + (s.month - 1) / 12 for s, _ in spans])
    seed = _in_seed(spans)
    flows: dict[tuple[str, str], np.ndarray] = {}
    for key, (total, growth) in FLOWS_2023_9M.items():
        expected = total / SEED_DAYS * days * growth**years
        noisy = expected * rng.lognormal(0.0, 0.12, len(spans))
        values = np.round(noisy).astype(np.int64)
        if total < 1000:  # a few a month: each year's whole number spread over its months
            for year in {s.year for s, _ in spans}:
                mine = np.array([s.year == year for s, _ in spans]) & ~seed
                values[mine] = _apportion(round(noisy[mine].sum()), noisy[mine])
        values[seed] = _apportion(total, noisy[seed])
        flows[key] = values
    for key, (whole, total) in PARTS.items():
        per_unit = total / FLOWS_2023_9M[whole][0]
        parents = flows[whole]
        values = rng.poisson(parents * per_unit)
        values[seed] = _apportion(total, parents[seed] * rng.lognormal(0.0, 0.1, seed.sum()))
        flows[key] = values
    rows = [
        _row(channel, metric, values[i], spans[i][0], spans[i][1])
        for (channel, metric), values in flows.items()
        for i in range(len(spans))
    ]
    # levels, read at each window's end
    cutoff = spans.index((date(2023, 9, 1), SEED_END))
    visits = np.cumsum(flows["portal_visits", "visits"])
    cumulative = CUMULATIVE_VISITS_AT_CUTOFF - visits[cutoff] + visits
    rates = [Decimal("0.96"), Decimal("0.98"), Decimal("1")]
    rate = rng.choice(rates, len(spans), p=[0.1, 0.2, 0.7])
    rate[cutoff] = Decimal("1")
    for i, (_, end) in enumerate(spans):
        rows.append(_row("portal_visits", "visits_cumulative", cumulative[i], None, end))
        for (channel, metric), (at_cutoff, growth) in FOLLOWERS_AT_CUTOFF.items():
            value = round(at_cutoff * growth ** ((end - SEED_END).days / 365))
            rows.append(_row(channel, metric, value, None, end))
        rows.append(_row("fanpage", "response_rate", rate[i], None, end))
    start, end, courses, trainees = STRADDLING_COURSE
    rows.append(_row("training", "courses", courses, start, end))
    rows.append(_row("training", "trainees", trainees, start, end))
    return sorted(rows, key=lambda r: (r["occurred_at"], r["event_id"]))


def deliver(landing: Landing, table: pa.Table) -> None:
    """The 2022 export as CSV, then a file a month delivered on the second of the next."""
    measured = table.column("window_end").to_pylist()
    months = np.array([(d.year, d.month) for d in measured])

    def month_of(year: int, month: int) -> pa.Table:
        mask = (months[:, 0] == year) & (months[:, 1] == month)
        return table.filter(pa.array(mask))

    def delivered(year: int, month: int) -> str:
        return f"{date(year + month // 12, month % 12 + 1, 2)} 09:00"

    history = table.filter(pa.array(months[:, 0] == 2022))
    landing.write("channel", Out("kenh-truyen-thong-2022.csv", "naive", bom=True), history,
                  "2023-01-05 10:00")  # fmt: skip
    year, month = 2023, 1
    while (year, month) <= LAST:
        suffix = ".jsonl.gz" if year == 2024 else ".jsonl"
        name = f"kenh-truyen-thong-{year}-{month:02d}{suffix}"
        landing.write("channel", Out(name, "+07:00"), month_of(year, month),
                      delivered(year, month), planted.channel(name))  # fmt: skip
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def table(rng: np.random.Generator) -> pa.Table:
    return schemas.table("channel", simulate(rng))
