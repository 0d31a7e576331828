"""Pandera contracts of the marts, on hand-built frames and on tables in a real DuckDB file."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pandera.config
import pytest

from data_contracts.marts import CONTRACTS, check_frame, check_mart

A02, A03, DQ, DIM = sorted(CONTRACTS)
PERIOD = "2023-9M"
LOCAL = "Asia/Ho_Chi_Minh"
AGENCIES = [
    ("so-tttt", "Sở Thông tin và Truyền thông", "department"),
    ("huyen-bao-yen", "Huyện Bảo Yên", "district"),
    ("ban-tuyen-giao", "Ban Tuyên giáo Tỉnh ủy", "party_mass"),
]
CELLS = [f"resolved_l{level}_{t}" for level in (2, 3, 4) for t in ("early", "on_time", "late")]
COLUMNS = {
    A02: ["total", "answered", "waiting_answer", "waiting_acceptance", "deleted", "eligible",
          "late", "score", "note"],
    A03: ["total", "carried_over", "received_counter", "received_online", *CELLS, "resolved",
          "withdrawn", "in_progress", "resolution_rate", "on_time_rate", "score"],
    DQ: ["stream", "finding", "portal_id", "count", "example_ids"],
    DIM: ["portal_id", "name", "portal_group", "bloc", "scored", "parent_portal_id", "valid_from",
          "valid_to", "is_current"],
}  # fmt: skip
ROWS = {  # one per agency for the appendices; huyen-bao-yen had nothing in the period
    A02: [
        (10, 6, 2, 1, 1, 9, 2, None, None),
        (0, 0, 0, 0, 0, 0, None, None, None),
        (5, 5, 0, 0, 0, 5, 0, None, "Trả lời đúng hạn"),
    ],
    A03: [
        (10, 2, 3, 5, 1, 1, 0, 2, 1, 1, 0, 1, 1, 8, 1, 1, 0.8, 0.75, None),
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, None),
        (3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0.0, None, None),
    ],
    DQ: [
        ("dossiers", "orphan_resolution", "so-tttt", 2, ["dos-1", "dos-2"]),
        ("dossiers", "duplicate_resolution", "huyen-bao-yen", 1, ["dos-7"]),
        ("questions", "orphan_question_event", None, 3, ["q-1", "q-2", "q-3"]),
    ],
    DIM: [
        ("so-tttt", "Sở Thông tin và Truyền thông", "department", "government", True, None,
         "2021-01-01 08:00", "2023-01-01", False),
        ("so-tttt", "Sở TT&TT tỉnh Lào Cai", "department", "government", True, None,
         "2023-01-01", None, True),
        ("huyen-bao-yen", "Huyện Bảo Yên", "district", "government", True, None,
         "2021-01-01 08:00", None, True),
        ("ban-tuyen-giao", "Ban Tuyên giáo Tỉnh ủy", "party_mass", "party", True, None,
         "2021-01-01 08:00", "2024-01-01", False),
    ],
}  # fmt: skip


def _ts(text: str | None) -> pd.Timestamp | None:
    return None if text is None else pd.Timestamp(text, tz=LOCAL)


def frame(mart: str, row: int | None = None, period_id: str = PERIOD, **changes) -> pd.DataFrame:
    """The mart's valid rows, with `changes` made to row number `row`."""
    records = [dict(zip(COLUMNS[mart], values, strict=True)) for values in ROWS[mart]]
    for i, record in enumerate(records):
        if mart == DIM:
            record.update(valid_from=_ts(record["valid_from"]), valid_to=_ts(record["valid_to"]))
        elif mart == DQ:
            record.update(period_id=period_id, period_start=date(2023, 1, 1))
            record.update(period_end=date(2023, 9, 30))
        else:
            portal_id, name, group = AGENCIES[i]
            record.update(period_id=period_id, period_start=date(2023, 1, 1))
            record.update(period_end=date(2023, 9, 30), display_order=i + 1)
            record.update(portal_id=portal_id, portal_name=name, portal_group=group)
    if row is not None:
        records[row].update(changes)
    return pd.DataFrame(records)


def failing_line(result, rule: str) -> str:
    lines = [line for line in result.failures if line.startswith(rule)]
    assert len(lines) == 1, result.message()
    return lines[0]


@pytest.mark.parametrize("mart", sorted(CONTRACTS))
def test_valid_and_empty_frames_pass(mart):
    for rows in (frame(mart), frame(mart).iloc[:0]):
        result = check_frame(mart, rows, PERIOD)
        assert result.passed, result.message()
        assert result.message().endswith(f"{len(rows)} rows pass the contract")


# id, mart, row, changes; the rule its failure line starts with, and the portal_id it names.
CORRUPTIONS = [
    ("a02-key-repeated", A02, 1, {"portal_id": "so-tttt"},
     "one row per period_id + portal_id", "so-tttt"),
    ("a02-display-order-gap", A02, 2, {"display_order": 4},
     "display_order runs 1..n", "ban-tuyen-giao"),
    ("a02-display-order-repeated", A02, 2, {"display_order": 2},
     "display_order runs 1..n", "ban-tuyen-giao"),
    ("a02-negative-count", A02, 0, {"deleted": -1, "total": 8}, "deleted >= 0", "so-tttt"),
    ("a02-null-count", A02, 0, {"answered": None}, "answered is not null", "so-tttt"),
    ("a02-fractional-count", A02, 0, {"total": 10.5}, "total has type Int64", "so-tttt"),
    ("a02-total", A02, 0, {"total": 11, "eligible": 10},
     "total = answered + waiting_answer + waiting_acceptance + deleted", "so-tttt"),
    ("a02-eligible", A02, 0, {"eligible": 8}, "eligible = total - deleted", "so-tttt"),
    ("a02-late-over-eligible", A02, 2, {"late": 6},
     "late is null or within [0, eligible]", "ban-tuyen-giao"),
    ("a02-late-negative", A02, 2, {"late": -1},
     "late is null or within [0, eligible]", "ban-tuyen-giao"),
    ("a02-period-reversed", A02, 0, {"period_start": date(2023, 10, 1)},
     "period_start <= period_end", "so-tttt"),
    ("a03-negative-count", A03, 0, {"carried_over": -1, "received_counter": 6},
     "carried_over >= 0", "so-tttt"),
    ("a03-total", A03, 0, {"total": 11, "in_progress": 2, "resolution_rate": 8 / 11},
     "total = carried_over + received_counter + received_online", "so-tttt"),
    ("a03-resolved", A03, 0, {"resolved_l2_late": 1},
     "resolved = the nine level x timeliness cells", "so-tttt"),
    ("a03-in-progress-negative", A03, 2, {"withdrawn": 5, "in_progress": -2},
     "in_progress = total - resolved - withdrawn >= 0", "ban-tuyen-giao"),
    ("a03-in-progress-wrong", A03, 0, {"in_progress": 2},
     "in_progress = total - resolved - withdrawn >= 0", "so-tttt"),
    ("a03-resolution-rate-wrong", A03, 0, {"resolution_rate": 0.7},
     "resolution_rate = resolved / total", "so-tttt"),
    ("a03-resolution-rate-above-1", A03, 0, {"resolution_rate": 1.5},
     "resolution_rate in [0, 1]", "so-tttt"),
    ("a03-on-time-rate-wrong", A03, 0, {"on_time_rate": 0.5},
     "on_time_rate = (early + on_time) / resolved", "so-tttt"),
    ("a03-on-time-rate-null", A03, 0, {"on_time_rate": None},
     "on_time_rate = (early + on_time) / resolved", "so-tttt"),
    ("dq-count-zero", DQ, 0, {"count": 0}, "count > 0", "so-tttt"),
    ("dq-no-example-ids", DQ, 1, {"example_ids": []},
     "example_ids lists 1 to 5 event ids", "huyen-bao-yen"),
    ("dq-six-example-ids", DQ, 0, {"example_ids": [f"dos-{i}" for i in range(6)]},
     "example_ids lists 1 to 5 event ids", "so-tttt"),
    ("dq-key-repeated", DQ, 1, {"finding": "orphan_resolution", "portal_id": "so-tttt"},
     "one row per period_id + stream + finding + portal_id", "so-tttt"),
    ("dq-period-reversed", DQ, 0, {"period_end": date(2022, 12, 31)},
     "period_start <= period_end", "so-tttt"),
    ("dim-bloc", DIM, 2, {"bloc": "other"}, "bloc in {government, party}", "huyen-bao-yen"),
    ("dim-null-name", DIM, 2, {"name": None}, "name is not null", "huyen-bao-yen"),
    ("dim-empty-interval", DIM, 3, {"valid_to": _ts("2021-01-01 08:00")},
     "valid_to is null or after valid_from", "ban-tuyen-giao"),
    ("dim-two-current", DIM, 0, {"is_current": True},
     "at most one is_current row per portal_id", "so-tttt"),
    ("dim-overlap", DIM, 0, {"valid_to": _ts("2023-06-01")},
     "validity intervals of a portal_id do not overlap", "so-tttt"),
    ("dim-key-repeated", DIM, 1, {"valid_from": _ts("2021-01-01 08:00")},
     "one row per portal_id + valid_from", "so-tttt"),
]  # fmt: skip
# Corruptions that also break another rule, by nature: a fractional total no longer sums, a
# rate above 1 is not its ratio, two intervals with one start overlap.
NOT_ALONE = {"a02-fractional-count", "a03-resolution-rate-above-1", "dim-key-repeated"}


@pytest.mark.parametrize(
    ("case", "mart", "row", "changes", "rule", "portal_id"),
    CORRUPTIONS,
    ids=[case for case, *_ in CORRUPTIONS],
)
def test_each_rule_names_itself_and_the_row(case, mart, row, changes, rule, portal_id):
    result = check_frame(mart, frame(mart, row, **changes), PERIOD)
    assert not result.passed
    assert f"portal_id={portal_id}" in failing_line(result, rule)
    if case not in NOT_ALONE:  # this rule alone fails: no other rule reports it again
        assert len(result.failures) == 1, result.message()


@pytest.mark.parametrize(
    ("rate", "row", "value", "passes"),
    [
        ("resolution_rate", 1, None, True),  # huyen-bao-yen: total = 0
        ("resolution_rate", 1, 0.0, False),
        ("on_time_rate", 2, None, True),  # ban-tuyen-giao: resolved = 0
        ("on_time_rate", 2, 0.0, False),
        ("resolution_rate", 0, 0.8 + 1e-12, True),  # within the tolerance of 8 / 10
        ("resolution_rate", 0, 0.8 + 1e-6, False),
    ],
)
def test_rates_are_null_exactly_on_a_zero_denominator(rate, row, value, passes):
    result = check_frame(A03, frame(A03, row, **{rate: value}), PERIOD)
    assert result.passed is passes, result.message()


def test_message_names_the_rule_the_row_and_its_values():
    result = check_frame(A03, frame(A03, 2, withdrawn=5, in_progress=-2), PERIOD)
    assert result.message() == (
        "appendix_03_dossiers 2023-9M: 1 rule failed: in_progress = total - resolved - withdrawn"
        " >= 0 fails for portal_id=ban-tuyen-giao (in_progress=-2, total=3, resolved=0,"
        " withdrawn=5)"
    )


def test_every_failed_rule_is_reported_and_rows_are_listed_up_to_five():
    rows = pd.concat([frame(A02)] * 3, ignore_index=True)
    rows["portal_id"] = [f"agency-{i}" for i in range(len(rows))]
    rows["display_order"] = range(1, len(rows) + 1)
    rows["eligible"] += 1  # all 9 rows
    rows.loc[0, "period_end"] = date(2022, 1, 1)
    result = check_frame(A02, rows)  # no period given: rows are named with theirs
    assert len(result.failures) == 2, result.message()
    eligible = failing_line(result, "eligible = total - deleted")
    assert eligible.startswith(
        "eligible = total - deleted fails for"
        " period_id=2023-9M portal_id=agency-0 (eligible=10, total=10, deleted=1),"
    )
    assert eligible.endswith("portal_id=agency-4 (eligible=1, total=0, deleted=0) and 4 more")
    assert "portal_id=agency-0" in failing_line(result, "period_start <= period_end")


def test_missing_column_fails_cleanly():
    result = check_frame(A03, frame(A03).drop(columns=["withdrawn"]), PERIOD)
    # Only the column: the rules that read it stand down until it is back.
    assert result.failures == ("required columns are missing: withdrawn",)


def test_timestamps_without_a_time_zone_fail():
    naive = frame(DIM).assign(valid_from=lambda f: f["valid_from"].dt.tz_localize(None))
    (line,) = check_frame(DIM, naive).failures
    assert line.startswith("valid_from has a time zone (TIMESTAMPTZ) fails: the column is")


def test_validation_stays_on_when_pandera_is_switched_off():
    with pandera.config.config_context(validation_enabled=False):
        assert not check_frame(A02, frame(A02, 0, eligible=8)).passed


SQL_TYPES = {"Int64": "BIGINT", "float64": "DOUBLE", "date": "DATE", "boolean": "BOOLEAN"}


def create_mart(con: duckdb.DuckDBPyConnection, mart: str, rows: pd.DataFrame) -> None:
    """marts.<mart> with the spec's SQL types, holding rows."""

    def sql_type(dtype) -> str:
        if str(dtype).startswith("datetime64"):
            return "TIMESTAMPTZ"
        return "VARCHAR[]" if str(dtype) == "object" else SQL_TYPES.get(str(dtype), "VARCHAR")

    columns = CONTRACTS[mart].to_schema().columns
    ddl = ", ".join(f"{name} {sql_type(column.dtype)}" for name, column in columns.items())
    con.execute("create schema if not exists marts")
    con.execute(f"create table marts.{mart} ({ddl})")
    con.register("incoming", rows)
    con.execute(f"insert into marts.{mart} by name select * from incoming")
    con.unregister("incoming")


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute(f"set TimeZone = '{LOCAL}'")  # as the warehouse sets it
    yield con
    con.close()


@pytest.mark.parametrize("mart", sorted(CONTRACTS))
def test_check_mart_passes_valid_tables_as_duckdb_returns_them(con, mart):
    create_mart(con, mart, frame(mart))
    result = check_mart(con, mart, PERIOD)
    assert result.passed, result.message()
    assert result.rows == len(ROWS[mart])
    # dim_portal has no periods: the whole table is checked, and the result says so.
    assert result.period_id == (None if mart == DIM else PERIOD)


def test_check_mart_checks_only_the_period_asked_for(con):
    q3 = frame(A03, 0, period_id="2023-Q3", in_progress=2)
    create_mart(con, A03, pd.concat([frame(A03), q3], ignore_index=True))
    assert check_mart(con, A03, PERIOD).passed
    result = check_mart(con, A03, "2023-Q3")
    assert (result.passed, result.rows, result.period_id) == (False, 3, "2023-Q3")
    assert "portal_id=so-tttt (in_progress=2," in failing_line(result, "in_progress =")
    whole = check_mart(con, A03)
    assert whole.rows == 6
    assert "period_id=2023-Q3 portal_id=so-tttt" in failing_line(whole, "in_progress =")


def test_check_mart_reports_a_missing_table(con):
    result = check_mart(con, DQ, PERIOD)
    assert result.failures == ("table marts.data_quality_findings is missing",)


def test_unknown_mart_is_an_error():
    with pytest.raises(ValueError, match="no contract for mart 'appendix_99'"):
        check_frame("appendix_99", pd.DataFrame())
