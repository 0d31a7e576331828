"""Assessments: the editorial board's bonuses, hand-made deductions and notes per report period
(sample/data/assessments.csv, in the order of the board's sheet): appendix 01's for 2022-9M and
2023-9M, and the sample's own for 2025-9M and 2026-9M. A row of round `first` is a verdict the
board later revised; its `revised` row is sent after the review.
"""

from __future__ import annotations

from sample.clock import DAY, HOUR, ts
from sample.datafiles import rows

ASSESSOR = "Ban Biên tập Cổng TTĐT tỉnh"
# When the board assessed each period, and when it reviewed the contested verdicts.
ASSESSED = {
    "2022-9M": ("2022-09-28", "2022-10-06"),
    "2023-9M": ("2023-09-27", "2023-10-09"),
    "2025-9M": ("2025-09-29", "2025-10-08"),
    "2026-9M": ("2026-09-28", "2026-10-07"),
}


def _row(period, portal, criterion, points, note, at, suffix) -> dict:
    return {
        "event_id": f"bbt-{period}-{portal}-{criterion}{suffix}",
        "event_type": "adjusted",
        "occurred_at": at,
        "portal_id": portal,
        "source": "bbt",
        "period_id": period,
        "criterion": criterion,
        "points": float(points),
        "note": note,
        "assessor": ASSESSOR,
    }


def simulate(rng) -> list[dict]:
    sheet = rows("assessments.csv")
    out = []
    for period, (first_day, review_day) in ASSESSED.items():
        verdicts = [r for r in sheet if r["period"] == period]
        for r in (r for r in verdicts if r["round"] != "revised"):
            at = ts(first_day, "08:00") + int(rng.integers(0, 3 * DAY))
            out.append(_row(period, r["portal_id"], r["criterion"], r["points"], r["note"], at, ""))
        for r in (r for r in verdicts if r["round"] == "revised"):
            at = ts(review_day, "14:30") + int(rng.integers(0, 2 * HOUR))
            out.append(_row(period, r["portal_id"], r["criterion"], r["points"], r["note"], at,
                            "-phuc-khao"))  # fmt: skip
    return sorted(out, key=lambda r: (r["occurred_at"], r["event_id"]))
