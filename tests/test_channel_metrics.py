"""The `channel` stream (EVENTS.md 1.1): measurements of the province's other channels, checked
at ingest against `channels.csv`, then `marts.channel_metrics` on hand-made events through the
real ingest, dbt and Dagster: a flow summed over the windows inside the period, a level read at
its end, a straddling window left out and reported, the same period last year, and the rows of
`report_summary`."""

from __future__ import annotations

import pytest

from tests.conftest import REGISTRY, Warehouse


def measured(event_id: str, channel: str, metric: str, value, window_end: str, **fields) -> dict:
    return {
        "event_id": event_id,
        "event_type": "measured",
        "occurred_at": f"{window_end}T23:00:00+07:00",
        "portal_id": "ubnd-tinh",
        "channel": channel,
        "metric": metric,
        "value": value,
        "window_end": window_end,
    } | fields


PROVINCE = {
    "event_id": "reg-ubnd-tinh",
    "event_type": "registered",
    "occurred_at": "2021-01-01T08:00:00+07:00",
    "portal_id": "ubnd-tinh",
    "name": "Cổng TTĐT tỉnh",
    "portal_group": "province",
    "bloc": "government",
    "scored": False,
}


def ingest_channel(warehouse: Warehouse, records: list[dict], name: str = "c.jsonl"):
    warehouse.register_portals(REGISTRY + [PROVINCE])
    warehouse.land("channel", name, records)
    return warehouse.ingest()


# --- ingest ---------------------------------------------------------------------------------


def test_valid_flows_and_levels_are_accepted_typed(warehouse):
    ingest_channel(
        warehouse,
        [
            measured("v1", "portal_visits", "visits", 612345, "2023-01-31",
                     window_start="2023-01-01"),
            measured("f1", "fanpage", "followers", "12997", "2023-09-25"),
            measured("r1", "fanpage", "response_rate", 1, "2023-09-25"),
        ],
        name="c.csv",
    )  # fmt: skip
    assert warehouse.quarantine("channel") == []
    rows = warehouse.query(
        "SELECT event_id, channel, metric, value::VARCHAR, window_start, window_end"
        " FROM raw.channel_events ORDER BY event_id"
    )
    assert [(r[0], r[3], str(r[4]), str(r[5])) for r in rows] == [
        ("f1", "12997.000000", "None", "2023-09-25"),
        ("r1", "1.000000", "None", "2023-09-25"),
        ("v1", "612345.000000", "2023-01-01", "2023-01-31"),
    ]


def test_typed_dates_of_a_parquet_file_are_dates_and_timestamps_are_not(warehouse):
    from datetime import date, datetime

    flow = measured("p1", "zalo", "views", 278_220, "2023-09-25", window_start="2023-01-01")
    flow |= {"window_start": date(2023, 1, 1), "window_end": date(2023, 9, 25)}
    stamped = measured("p2", "zalo", "followers", 4_862, "2023-09-25")
    stamped |= {"window_start": None, "window_end": datetime(2023, 9, 25, 12, 0)}
    ingest_channel(warehouse, [flow], name="typed.parquet")
    warehouse.land("channel", "stamped.parquet", [stamped])
    warehouse.ingest()
    assert warehouse.query("SELECT event_id, window_start, window_end FROM raw.channel_events") == [
        ("p1", date(2023, 1, 1), date(2023, 9, 25))
    ]
    assert "window_end '2023-09-25 12:00:00' is not a valid date" in reasons_text(warehouse)


def reasons_text(warehouse: Warehouse) -> str:
    return "; ".join(reason for _, _, reason, _, _ in warehouse.quarantine("channel"))


@pytest.mark.parametrize(
    ("record", "code", "words"),
    [
        # a pair channels.csv does not list, and a channel it does not know
        (measured("x", "zalo", "reach", 10, "2023-01-31", window_start="2023-01-01"),
         "invalid_value", "is not a metric of channel 'zalo'"),
        (measured("x", "tiktok", "views", 10, "2023-01-31", window_start="2023-01-01"),
         "invalid_value", "channel 'tiktok' is not one of"),
        (measured("x", "fanpage", "reach", -5, "2023-01-31", window_start="2023-01-01"),
         "invalid_value", "value '-5' is below 0"),
        (measured("x", "fanpage", "response_rate", 1.2, "2023-09-25"),
         "invalid_value", "of the rate response_rate is above 1"),
        (measured("x", "fanpage", "posts", 60, "2023-01-31"),
         "missing_field", "window_start is required for the flow posts"),
        (measured("x", "fanpage", "posts", 60, "2023-01-01", window_start="2023-01-31"),
         "invalid_value", "is after window_end"),
        (measured("x", "fanpage", "followers", 100, "2023-01-31", window_start="2023-01-01"),
         "invalid_value", "window_start must be empty for the level followers"),
        (measured("x", "fanpage", "followers", 100, "31/01/2023",
                  occurred_at="2023-02-01T08:00:00+07:00"),
         "invalid_value", "window_end '31/01/2023' is not a valid date"),
        ({k: v for k, v in measured("x", "zalo", "followers", 1, "2023-01-31").items()
          if k != "window_end"}, "missing_field", "window_end is required"),
    ],
)  # fmt: skip
def test_channel_rules(warehouse, record, code, words):
    ingest_channel(warehouse, [record])
    ((_, _, reason, codes, _),) = warehouse.quarantine("channel")
    assert codes == [code]
    assert words in reason
    assert warehouse.scalar("SELECT count(*) FROM raw.channel_events") == 0


def test_a_provinces_own_channels_file_is_the_list_ingest_checks(tmp_path):
    from ingest.contract import STREAMS, streams
    from ingest.reference import BUNDLED, load_reference
    from ingest.settings import Settings

    folder = tmp_path / "reference"
    folder.mkdir()
    bundled = (BUNDLED / "channels.csv").read_text(encoding="utf-8")
    (folder / "channels.csv").write_text(
        bundled + "tiktok,views,flow,count,Lượt xem video TikTok\n", encoding="utf-8"
    )
    own = streams(load_reference(folder))
    assert "tiktok" in own["channel"].fields[0].values
    assert "tiktok" not in STREAMS["channel"].fields[0].values

    record = measured("t1", "tiktok", "views", 15_230, "2024-01-31", window_start="2024-01-01")
    with_folder = Warehouse(tmp_path / "a")
    with_folder.settings = Settings.from_env(
        landing=with_folder.landing, db=tmp_path / "a" / "w.duckdb", reference=folder
    )
    without = Warehouse(tmp_path / "b")
    for warehouse in (with_folder, without):
        ingest_channel(warehouse, [record])
    assert with_folder.scalar("SELECT count(*) FROM raw.channel_events") == 1
    assert without.scalar("SELECT count(*) FROM raw.channel_events") == 0
    assert "channel 'tiktok' is not one of" in without.quarantine("channel")[0][2]


# --- marts.channel_metrics, data_quality_findings and report_summary -------------------------

PERIOD, CUTOFF = "2023-9M", "2023-09-25"


def monthly(prefix: str, channel: str, metric: str, year: int, values: list, last_day: int = 25):
    """Flows over monthly windows from January, the last one ending on `last_day` of its month
    (the counters are read for the report on the cutoff day)."""
    records = []
    for month, value in enumerate(values, start=1):
        end = f"{year}-{month:02d}-{28 if month == 2 else 30}"
        if month == len(values):
            end = f"{year}-{month:02d}-{last_day:02d}"
        elif month in (1, 3, 5, 7, 8):
            end = f"{year}-{month:02d}-31"
        records.append(
            measured(f"{prefix}-{year}-{month:02d}", channel, metric, value, end,
                     window_start=f"{year}-{month:02d}-01")
        )  # fmt: skip
    return records


CHANNEL_EVENTS = [
    # visits: 8 x 600,000 + 300,000 to the cutoff in 2023; 8 x 500,000 + 100,000 in 2022
    *monthly("visits", "portal_visits", "visits", 2023, [600_000] * 8 + [300_000]),
    *monthly("visits", "portal_visits", "visits", 2022, [500_000] * 8 + [100_000]),
    # January 2023 was first delivered short: the later measurement of the window stands
    measured(
        "visits-2023-01-draft",
        "portal_visits",
        "visits",
        450_000,
        "2023-01-31",
        window_start="2023-01-01",
        occurred_at="2023-01-31T20:00:00+07:00",
    ),
    # another portal's counter is its own, not the province's
    measured(
        "sotttt-visits",
        "portal_visits",
        "visits",
        7_000,
        "2023-03-31",
        window_start="2023-03-01",
        portal_id="so-tttt",
    ),
    # levels: the latest reading on or before the cutoff, not the one after it
    measured("fol-2306", "fanpage", "followers", 12_000, "2023-06-30"),
    measured("fol-2309", "fanpage", "followers", 12_997, "2023-09-20"),
    measured(
        "fol-2309-late",
        "fanpage",
        "followers",
        13_100,
        "2023-09-30",
        occurred_at="2023-09-30T23:00:00+07:00",
    ),
    measured("fol-2209", "fanpage", "followers", 10_000, "2022-09-10"),
    measured("cum-2309", "portal_visits", "visits_cumulative", 76_109_805, "2023-09-25"),
    # a zero base: no change_pct
    measured("rate-2309", "fanpage", "response_rate", 1, "2023-09-25"),
    measured("rate-2209", "fanpage", "response_rate", 0, "2022-09-25"),
    measured("courses-2303", "training", "courses", 6, "2023-03-31", window_start="2023-03-01"),
    measured("courses-2203", "training", "courses", 0, "2022-03-31", window_start="2022-03-01"),
    # measured only this year: no last year
    measured("gazette-2301", "gazette", "issues", 4, "2023-06-30", window_start="2023-01-01"),
    # a window across the period's start: left out, reported
    measured(
        "items-straddle", "press_review", "items", 999, "2023-01-15", window_start="2022-12-15"
    ),
    measured("items-2302", "press_review", "items", 300, "2023-02-28", window_start="2023-02-01"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from orchestration.definitions import defs
    from orchestration.runs import run_period

    warehouse = Warehouse(tmp_path_factory.mktemp("channels"))
    ingest_channel(warehouse, CHANNEL_EVENTS, name="kenh.jsonl")
    assert warehouse.quarantine("channel") == []
    outcome = run_period(defs, PERIOD, cutoff=CUTOFF, resources=warehouse.resources())
    assert outcome.exit_code == 0, outcome.summary()
    return warehouse


def metrics(warehouse: Warehouse) -> dict[tuple[str, str, str], tuple]:
    rows = warehouse.query(
        "SELECT portal_id, channel, metric, kind, value, value_same_period_last_year, change,"
        " change_pct, windows_summed, read_on::VARCHAR FROM marts.channel_metrics"
        " WHERE period_id = ?",
        [PERIOD],
    )
    return {row[:3]: row[3:] for row in rows}


def test_a_flow_is_the_sum_of_the_windows_inside_the_period(built):
    kind, value, last_year, change, change_pct, windows, read_on = metrics(built)[
        "ubnd-tinh", "portal_visits", "visits"
    ]
    assert (kind, value, last_year, change, windows, read_on) == (
        "flow",
        5_100_000,
        4_100_000,
        1_000_000,
        9,
        None,
    )
    assert change_pct == pytest.approx(1 / 4.1)
    assert metrics(built)["so-tttt", "portal_visits", "visits"][1:3] == (7_000, None)


def test_a_level_is_the_latest_reading_on_or_before_the_end(built):
    found = metrics(built)
    assert found["ubnd-tinh", "fanpage", "followers"] == (
        "level",
        12_997,
        10_000,
        2_997,
        pytest.approx(0.2997),
        None,
        "2023-09-20",
    )
    assert found["ubnd-tinh", "portal_visits", "visits_cumulative"][:3] == (
        "level",
        76_109_805,
        None,
    )


def test_change_pct_is_null_on_a_zero_base_and_last_year_null_when_not_measured(built):
    found = metrics(built)
    assert found["ubnd-tinh", "fanpage", "response_rate"][1:5] == (1, 0, 1, None)
    assert found["ubnd-tinh", "training", "courses"][1:5] == (6, 0, 6, None)
    assert found["ubnd-tinh", "gazette", "issues"][1:5] == (4, None, None, None)


def test_a_straddling_window_is_left_out_and_reported(built):
    assert metrics(built)["ubnd-tinh", "press_review", "items"][1:2] == (300,)
    findings = built.query(
        "SELECT stream, portal_id, count, example_ids FROM marts.data_quality_findings"
        " WHERE period_id = ? AND finding = 'channel_window_straddles_period'",
        [PERIOD],
    )
    assert findings == [("channel", "ubnd-tinh", 1, ["items-straddle"])]


def test_the_summary_has_a_row_per_channel_metric_of_the_provincial_portal(built):
    rows = dict(
        (metric, rest)
        for metric, *rest in built.query(
            "SELECT metric, unit, value, value_same_period_last_year, change_pct"
            " FROM marts.report_summary WHERE period_id = ? AND portal_group = 'province'"
            " AND metric LIKE 'channel_%'",
            [PERIOD],
        )
    )
    assert len(rows) == 16  # every metric of channels.csv
    assert rows["channel_portal_visits_visits"][:3] == ["count", 5_100_000, 4_100_000]
    assert rows["channel_portal_visits_visits_cumulative"][:3] == ["count", 76_109_805, None]
    assert rows["channel_fanpage_followers"][:3] == ["count", 12_997, 10_000]
    assert rows["channel_fanpage_response_rate"] == ["rate", 1.0, 0.0, None]
    assert rows["channel_gazette_issues"][:3] == ["count", 4, None]
    # nothing measured: no figure (a measurement, not a count of events), never a 0
    assert rows["channel_zalo_posts"][:3] == ["count", None, None]


def test_the_contracts_pass(built):
    from data_contracts.marts import check_mart
    from ingest.warehouse import connect

    con = connect(built.settings.db, "Asia/Ho_Chi_Minh", read_only=True)
    try:
        for mart in ("channel_metrics", "report_summary", "data_quality_findings"):
            result = check_mart(con, mart, PERIOD)
            assert result.passed, result.message()
    finally:
        con.close()
