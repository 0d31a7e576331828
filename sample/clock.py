"""Time in the sample: epoch seconds (UTC), reasoned about on local dates (UTC+07:00).

The working-day calendar is the province's own reference data (models/seeds/public_holidays.csv):
weekdays off are skipped; the Saturdays worked in exchange are not modelled (numpy's business
days cannot hold a one-off working Saturday), as they never were.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import numpy as np

from ingest.contract import REFERENCE_DIR

LOCAL_OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh is UTC+07:00 all year (no daylight saving)
HOUR = 3600
DAY = 86_400


def ts(day: str, hhmm: str = "00:00") -> int:
    """Epoch seconds of a local wall-clock time, e.g. ts("2023-09-25", "17:00")."""
    wall = datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=UTC)
    return int(wall.timestamp()) - LOCAL_OFFSET


def midnight(days: np.ndarray) -> np.ndarray:
    """Epoch seconds of the local midnight that starts each date."""
    return days.astype("datetime64[D]").astype(np.int64) * DAY - LOCAL_OFFSET


def local_days(moments: np.ndarray) -> np.ndarray:
    return ((np.asarray(moments, dtype=np.int64) + LOCAL_OFFSET) // DAY).astype("datetime64[D]")


def local_year(moment: int) -> int:
    return int(str(local_days(np.array([moment]))[0])[:4])


# The sample's history: 2022 (and a few dossiers of December 2021) to the end of October 2026, a
# month before the day the sample describes ("today"): no event lies in the future.
TODAY = "2026-11-30"
DATA_START = ts("2022-01-01")
DATA_END = ts("2026-11-01")  # exclusive
YEARS = (2022, 2023, 2024, 2025, 2026)
# The 9-month reports run from 1 January to 25 September (the seed's window).
CUTOFF_9M = {year: ts(f"{year}-09-26") for year in YEARS}


def _holidays() -> np.ndarray:
    with open(REFERENCE_DIR / "public_holidays.csv", encoding="utf-8") as f:
        days = [row["day"] for row in csv.DictReader(f) if row["is_working_day"] == "false"]
    return np.array(sorted(days), dtype="datetime64[D]")


CALENDAR = np.busdaycalendar(holidays=_holidays())


def workdays_later(days: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """The date n working days after each date (a non-working date first rolls forward)."""
    return np.busday_offset(days, n, roll="forward", busdaycal=CALENDAR)


def is_workday(days: np.ndarray) -> np.ndarray:
    return np.is_busday(days, busdaycal=CALENDAR)
