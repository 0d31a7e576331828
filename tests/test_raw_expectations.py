"""Great Expectations batch health checks on hand-built raw batches (offline)."""

from __future__ import annotations

import re
from collections import Counter
from itertools import cycle, islice
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data_contracts import batch_rows, raw_expectations
from data_contracts.batch_rows import SAMPLE_ROWS, suite_columns
from data_contracts.raw_expectations import (
    COLD_START_MAX_ROWS,
    BatchHealth,
    Delivery,
    build_docs,
    check_batch,
    check_deliveries,
    expected_volume,
    read_batch,
)
from ingest.contract import STREAMS, Field
from orchestration.assets.ingest import raw_key
from orchestration.checks import delivery_health
from tests.conftest import Warehouse, dossier

ROWS = 20
LOCAL_TIME = "datetime64[us, Asia/Ho_Chi_Minh]"  # what DuckDB hands pandas for a TIMESTAMPTZ
DTYPES = {
    "text": "str",
    "timestamp": LOCAL_TIME,
    "boolean": "boolean",
    "integer": "Int32",
    "decimal": "float64",
    "list": "object",
    "decimal_list": "object",
    "date": "datetime64[s]",  # v1.1: a channel's window (DuckDB hands pandas a DATE so)
}
START = pd.Timestamp("2026-03-02 08:00", tz="Asia/Ho_Chi_Minh")


def _field_values(field: Field, rows: int) -> list:
    if field.values is not None:
        # Every allowed value, and a null: enumerations are checked on their non-null values.
        allowed = [int(v) if field.kind == "integer" else v for v in field.values]
        return list(islice(cycle([*allowed, None]), rows))
    samples = {
        "text": lambda i: f"{field.name}-{i}",
        "timestamp": lambda i: START + pd.Timedelta(days=i),
        "boolean": lambda i: i % 2 == 0,
        "integer": lambda i: i,
        "decimal": lambda i: i / 2,
        "list": lambda i: [f"{field.name}-{i}"],
        "decimal_list": lambda i: [1.0],
        "date": lambda i: pd.Timestamp("2026-03-01") + pd.Timedelta(days=i),
    }
    return [samples[field.kind](i) for i in range(rows)]


def raw_batch(stream: str, rows: int = ROWS, batch_id: str = "batch-1") -> pd.DataFrame:
    """A batch of valid rows shaped like raw.<stream>_events."""
    contract = STREAMS[stream]
    occurred_at = pd.Series(
        [START + pd.Timedelta(minutes=i) for i in range(rows)], dtype=LOCAL_TIME
    )
    columns = {
        "event_id": pd.Series([f"{stream}-{i}" for i in range(rows)], dtype="str"),
        "event_type": pd.Series(list(islice(cycle(contract.event_types), rows)), dtype="str"),
        "occurred_at": occurred_at,
        "occurred_on": occurred_at.dt.tz_localize(None).dt.normalize(),
        "portal_id": pd.Series(["portal-1"] * rows, dtype="str"),
        "source": pd.Series(["export"] * rows, dtype="str"),
    }
    for field in contract.fields:
        columns[field.name] = pd.Series(_field_values(field, rows), dtype=DTYPES[field.kind])
    columns |= {
        "extra": pd.Series(["{}"] * rows, dtype="str"),
        "payload_hash": pd.Series([f"hash-{i}" for i in range(rows)], dtype="str"),
        "batch_id": pd.Series([batch_id] * rows, dtype="str"),
        "source_file": pd.Series([f"{stream}/{batch_id}.jsonl"] * rows, dtype="str"),
        "source_line": pd.Series(range(1, rows + 1), dtype="Int64"),
        "ingested_at": pd.Series([START + pd.Timedelta(hours=1)] * rows, dtype=LOCAL_TIME),
    }
    return pd.DataFrame(columns)


def check(events: pd.DataFrame, stream: str, docs_root: Path, **overrides) -> BatchHealth:
    """check_batch with the delivery figures of a clean batch, unless overridden."""
    arguments = {
        "batch_id": "batch-1",
        "rows_read": len(events),
        "quarantined": 0,
        "recent_volumes": [ROWS - 2, ROWS, ROWS + 2],
        "docs_root": docs_root,
    } | overrides
    return check_batch(events, stream, **arguments)


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_a_good_batch_passes(stream: str, tmp_path: Path) -> None:
    health = check(raw_batch(stream), stream, tmp_path)

    assert health.failed == ()
    assert health.success
    # 4 non-null envelope columns, event_type, occurred_at, event_id, row count, quarantined
    # share, one per enumerated field and one per field with a minimum.
    enumerated = sum(field.values is not None for field in STREAMS[stream].fields)
    enumerated += sum(field.minimum is not None for field in STREAMS[stream].fields)
    assert health.statistics == {
        "evaluated_expectations": 9 + enumerated,
        "successful_expectations": 9 + enumerated,
        "unsuccessful_expectations": 0,
    }


def test_exactly_the_largest_quarantined_share_passes(tmp_path: Path) -> None:
    health = check(raw_batch("dossier", rows=95), "dossier", tmp_path, rows_read=100, quarantined=5)

    assert health.success, health.failed


def _set(column: str, row: int, value):
    def mutate(events: pd.DataFrame) -> None:
        events.loc[row, column] = value

    return mutate


def _duplicate_event_id(events: pd.DataFrame) -> None:
    events.loc[1, "event_id"] = events.loc[0, "event_id"]


def _drop_channel(events: pd.DataFrame) -> None:
    del events["channel"]


def _unchanged(events: pd.DataFrame) -> None:
    pass


EVENTS = "raw.dossier_events: "
DELIVERY = "raw.dossier_delivery: "
FAILURES = [
    pytest.param(
        _set("event_id", 3, None),
        {},
        EVENTS + "expect_column_values_to_not_be_null(event_id)",
        id="null-event-id",
    ),
    pytest.param(
        _set("portal_id", 3, None),
        {},
        EVENTS + "expect_column_values_to_not_be_null(portal_id)",
        id="null-portal-id",
    ),
    pytest.param(
        _set("event_type", 3, "archived"),
        {},
        EVENTS + "expect_column_values_to_be_in_set(event_type)",
        id="event-type-outside-enum",
    ),
    pytest.param(
        _duplicate_event_id,
        {},
        EVENTS + "expect_column_values_to_be_unique(event_id)",
        id="duplicate-event-id",
    ),
    pytest.param(
        _set("occurred_at", 3, pd.Timestamp("2099-01-01", tz="UTC")),
        {},
        EVENTS + "expect_column_values_to_be_between(occurred_at)",
        id="occurred-in-2099",
    ),
    pytest.param(
        _set("occurred_at", 3, pd.Timestamp("1999-12-31 23:00", tz="UTC")),
        {},
        EVENTS + "expect_column_values_to_be_between(occurred_at)",
        id="occurred-before-2000",
    ),
    pytest.param(
        _set("service_level", 3, 5),
        {},
        EVENTS + "expect_column_values_to_be_in_set(service_level)",
        id="service-level-5",
    ),
    pytest.param(
        _set("channel", 3, "fax"),
        {},
        EVENTS + "expect_column_values_to_be_in_set(channel)",
        id="channel-outside-enum",
    ),
    pytest.param(
        _drop_channel,
        {},
        EVENTS + "expect_column_values_to_be_in_set(channel) raised",
        id="enumerated-column-missing",
    ),
    pytest.param(
        _unchanged,
        {"rows_read": ROWS + 5, "quarantined": 5},
        "raw.dossier_delivery: expect_column_max_to_be_between(quarantined_share) observed 0.2",
        id="high-quarantined-share",
    ),
    pytest.param(
        _unchanged,
        {"recent_volumes": [2, 3, 2, 3]},
        DELIVERY + "expect_column_max_to_be_between(accepted_rows) observed 20",
        id="volume-far-above-recent",
    ),
    pytest.param(
        _unchanged,
        {"recent_volumes": [900, 1000, 1100]},
        DELIVERY + "expect_column_max_to_be_between(accepted_rows) observed 20",
        id="volume-far-below-recent",
    ),
]


@pytest.mark.parametrize(("mutate", "overrides", "expected"), FAILURES)
def test_a_bad_batch_fails_the_right_expectation(
    mutate, overrides: dict, expected: str, tmp_path: Path
) -> None:
    events = raw_batch("dossier")
    mutate(events)

    health = check(events, "dossier", tmp_path, **overrides)

    assert not health.success
    assert len(health.failed) == 1, health.failed
    assert health.failed[0].startswith(expected), health.failed
    assert health.statistics["unsuccessful_expectations"] == 1


def test_an_integer_enumeration_rejects_a_value_outside_it(tmp_path: Path) -> None:
    events = raw_batch("question")
    events.loc[3, "rating"] = 6

    health = check(events, "question", tmp_path)

    assert health.failed == (
        "raw.question_events: expect_column_values_to_be_in_set(rating)"
        f" 1 of {ROWS} rows unexpected, e.g. 6",
    )


def test_an_empty_delivery_fails_even_without_history(tmp_path: Path) -> None:
    health = check(
        raw_batch("post", rows=0), "post", tmp_path, rows_read=4, quarantined=4, recent_volumes=[]
    )

    assert sorted(health.failed) == [
        "raw.post_delivery: expect_column_max_to_be_between(accepted_rows) observed 0"
        f" (expected 1 .. {COLD_START_MAX_ROWS})",
        "raw.post_delivery: expect_column_max_to_be_between(quarantined_share)"
        " observed 1.0 (expected 0.0 .. 0.05)",
    ]


@pytest.mark.parametrize(
    ("recent_volumes", "bounds"),
    [
        ([], (1, COLD_START_MAX_ROWS)),
        ([100, 5000], (1, COLD_START_MAX_ROWS)),
        ([10_000_000], (1, 50_000_000)),  # years of history first: its next quarter is no surprise
        ([90, 100, 110], (20, 500)),
        ([1, 1000, 100, 120], (22, 550)),  # the median resists one odd delivery
        ([1, 2, 3], (1, 10)),
    ],
)
def test_expected_volume_scales_the_median_of_recent_batches(
    recent_volumes: list[int], bounds: tuple[int, int]
) -> None:
    assert expected_volume(recent_volumes) == bounds


def test_data_docs_accumulate_the_validations_under_docs_root(tmp_path: Path) -> None:
    check(raw_batch("dossier"), "dossier", tmp_path, batch_id="dossier-2026-03-01")
    # A later process starts from a fresh context and must still list the earlier batch.
    raw_expectations._project.cache_clear()
    health = check(raw_batch("dossier"), "dossier", tmp_path, batch_id="dossier-2026-03-02")

    assert health.docs_index is not None
    assert health.docs_index.is_relative_to(tmp_path)
    index = health.docs_index.read_text(encoding="utf-8")
    for mention in ("raw.dossier_events", "raw.dossier_delivery"):
        assert mention in index
    for batch_id in ("dossier-2026-03-01", "dossier-2026-03-02"):
        assert batch_id in index
        assert list(tmp_path.rglob(f"validations/raw/dossier_events/{batch_id}/*/*.html"))


def test_a_process_makes_its_validations_without_writing_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GX's ephemeral context would write its whole config as YAML at each data asset added (to
    a store nothing reads): most of a process's first check. The validations still run."""
    from great_expectations.data_context.types.base import BaseYamlConfig

    written = []
    to_yaml = BaseYamlConfig.to_yaml_str
    monkeypatch.setattr(
        BaseYamlConfig, "to_yaml_str", lambda self: written.append(1) or to_yaml(self)
    )
    project = raw_expectations._project(tmp_path.resolve())
    for stream in STREAMS.values():
        project.validations(stream)
        project.deliveries_validation(stream)
    assert written == []
    assert check(raw_batch("question"), "question", tmp_path).success


def test_a_batch_id_with_a_path_separator_is_documented(tmp_path: Path) -> None:
    health = check(raw_batch("post"), "post", tmp_path, batch_id="post/2026-03-01.jsonl")

    assert health.success
    assert "post_2026-03-01.jsonl" in health.docs_index.read_text(encoding="utf-8")


def test_the_verdict_survives_data_docs_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "site").write_text("not a directory")  # where the Data Docs site would go

    health = check(raw_batch("dossier"), "dossier", tmp_path, quarantined=10)

    assert health.docs_index is None
    assert not health.success
    assert health.failed[0].startswith("raw.dossier_delivery: expect_column_max_to_be_between")


@pytest.mark.parametrize(
    ("stream", "rows_read", "quarantined", "message"),
    [
        ("poll", 10, 0, "unknown stream 'poll'"),
        ("post", 10, 11, "quarantined=11 must be between 0 and rows_read=10"),
        ("post", 10, -1, "quarantined=-1 must be between 0 and rows_read=10"),
    ],
)
def test_impossible_arguments_are_refused(
    stream: str, rows_read: int, quarantined: int, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=message):
        check(raw_batch("post"), stream, tmp_path, rows_read=rows_read, quarantined=quarantined)


# A large delivery: its row expectations run on a sample (SAMPLE_ROWS in production, a few rows
# here), its row count and quarantined share on the whole of it.
LARGE = 60
SAMPLE = 24


def warehouse(events: pd.DataFrame, stream: str = "dossier") -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding `events` as raw.<stream>_events."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.register("batch", events)
    con.execute(f"CREATE TABLE {STREAMS[stream].table} AS SELECT * FROM batch")
    con.unregister("batch")
    return con


def check_large(events: pd.DataFrame, docs_root: Path, **overrides) -> BatchHealth:
    """read_batch with a sample of SAMPLE rows, then check_batch as delivery_health calls it."""
    con = warehouse(events)
    sample, rows = read_batch(con, "dossier", "batch-1", sample_rows=SAMPLE)
    assert (len(sample), rows) == (min(SAMPLE, len(events)), len(events))
    arguments = {"recent_volumes": [LARGE - 2, LARGE, LARGE + 2]} | overrides
    return check(sample, "dossier", docs_root, batch_rows=rows, **arguments)


def test_production_samples_a_large_delivery_only() -> None:
    assert SAMPLE_ROWS == 100_000


def test_read_batch_reads_the_suites_columns_of_one_batch_whole_up_to_the_threshold() -> None:
    con = warehouse(pd.concat([raw_batch("dossier", LARGE), raw_batch("dossier", 5, "batch-2")]))

    events, rows = read_batch(con, "dossier", "batch-1", sample_rows=LARGE)

    assert rows == LARGE
    assert list(events.columns) == suite_columns(STREAMS["dossier"])
    assert "batch_id" not in events.columns and "payload_hash" not in events.columns
    assert sorted(events["event_id"]) == sorted(raw_batch("dossier", LARGE)["event_id"])


def test_the_sample_is_the_same_on_every_run_and_keeps_an_event_ids_rows_together() -> None:
    events = raw_batch("dossier", LARGE)
    events.loc[LARGE // 2 :, "event_id"] = events.loc[: LARGE // 2 - 1, "event_id"].to_numpy()
    con = warehouse(events)

    first, rows = read_batch(con, "dossier", "batch-1", sample_rows=SAMPLE)
    again, _ = read_batch(con, "dossier", "batch-1", sample_rows=SAMPLE)

    assert (len(first), rows) == (SAMPLE, LARGE)
    assert sorted(first["event_id"]) == sorted(again["event_id"])
    # every id is in the batch twice: the sample holds both rows of each id it holds
    assert set(first["event_id"].value_counts()) == {2}


def test_a_large_delivery_is_validated_on_a_sample_and_says_so(tmp_path: Path) -> None:
    health = check_large(raw_batch("dossier", LARGE), tmp_path)

    assert health.success, health.failed
    assert (health.rows, health.validated_rows, health.sampled) == (LARGE, SAMPLE, True)
    assert health.coverage == f"sampled {SAMPLE} of {LARGE} rows"
    # the Data Docs name the run after the batch and the sample, on the index and the pages
    assert f"batch-1 (sampled {SAMPLE} of {LARGE} rows)" in health.docs_index.read_text("utf-8")
    pages = list(tmp_path.rglob("validations/raw/dossier_events/batch-1 (sampled*/*/*.html"))
    assert pages and f"sampled {SAMPLE} of {LARGE} rows" in pages[0].read_text("utf-8")


def test_a_delivery_at_the_threshold_is_validated_whole(tmp_path: Path) -> None:
    con = warehouse(raw_batch("dossier", SAMPLE))
    events, rows = read_batch(con, "dossier", "batch-1", sample_rows=SAMPLE)

    health = check(events, "dossier", tmp_path, batch_rows=rows)

    assert health.success, health.failed
    assert (health.sampled, health.coverage) == (False, f"all {SAMPLE} rows")
    assert list(tmp_path.rglob("validations/raw/dossier_events/batch-1/*/*.html"))


@pytest.mark.parametrize(
    ("recent_volumes", "bounds"),
    # the sample's 24 rows would pass the first and fail the second
    [([5, 5, 5], "1 .. 25"), ([900, 1000, 1100], "200 .. 5000")],
    ids=["above", "below"],
)
def test_a_sampled_delivery_is_judged_on_its_whole_volume(
    recent_volumes: list[int], bounds: str, tmp_path: Path
) -> None:
    health = check_large(raw_batch("dossier", LARGE), tmp_path, recent_volumes=recent_volumes)

    # the whole batch's count, not the sample's, and not marked as sampled: it is exact
    assert health.failed == (
        f"{DELIVERY}expect_column_max_to_be_between(accepted_rows) observed {LARGE}"
        f" (expected {bounds})",
    )


def test_a_sampled_delivery_of_the_expected_volume_passes(tmp_path: Path) -> None:
    # 40 .. 1000 rows expected: the whole batch's 60 pass, the sample's 24 would not
    health = check_large(raw_batch("dossier", LARGE), tmp_path, recent_volumes=[200, 200, 200])

    assert health.success, health.failed


def test_a_sampled_delivery_is_judged_on_its_whole_quarantined_share(tmp_path: Path) -> None:
    health = check_large(
        raw_batch("dossier", LARGE), tmp_path, rows_read=LARGE + 20, quarantined=20
    )

    assert health.failed == (
        f"{DELIVERY}expect_column_max_to_be_between(quarantined_share) observed 0.25"
        " (expected 0.0 .. 0.05)",
    )


def _every_third(column: str, value):
    def mutate(events: pd.DataFrame) -> None:
        events.loc[::3, column] = value

    return mutate


def _every_id_twice(events: pd.DataFrame) -> None:
    events.loc[LARGE // 2 :, "event_id"] = events.loc[: LARGE // 2 - 1, "event_id"].to_numpy()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_every_third("channel", "fax"), "expect_column_values_to_be_in_set(channel)"),
        (_every_third("portal_id", None), "expect_column_values_to_not_be_null(portal_id)"),
        (
            _every_third("occurred_at", pd.Timestamp("2099-01-01", tz="UTC")),
            "expect_column_values_to_be_between(occurred_at)",
        ),
        (_every_id_twice, "expect_column_values_to_be_unique(event_id)"),
    ],
    ids=["channel-outside-enum", "null-portal-id", "occurred-in-2099", "duplicate-event-ids"],
)
def test_a_violation_in_many_rows_of_a_large_delivery_is_caught(
    mutate, expected: str, tmp_path: Path
) -> None:
    events = raw_batch("dossier", LARGE)
    mutate(events)

    health = check_large(events, tmp_path)

    assert len(health.failed) == 1, health.failed
    assert health.failed[0].startswith(EVENTS + expected), health.failed
    assert f" of {SAMPLE} rows unexpected" in health.failed[0]
    assert health.failed[0].endswith(f"[sampled {SAMPLE} of {LARGE} rows]")


def test_batch_rows_cannot_be_fewer_than_the_rows_given(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_rows=3 is fewer than the 20 rows given"):
        check(raw_batch("dossier"), "dossier", tmp_path, batch_rows=3)


@pytest.mark.parametrize(("sample_rows", "sampled"), [(10, True), (40, False)])
def test_delivery_health_says_which_deliveries_it_sampled(
    sample_rows: int, sampled: bool, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.register_portals()
    warehouse.land("dossier", "d.jsonl", [dossier(f"d-{i}") for i in range(40)])
    (ingested,) = [f for f in warehouse.ingest().files if f.stream == "dossier"]
    monkeypatch.setattr(batch_rows, "SAMPLE_ROWS", sample_rows)

    result = delivery_health(warehouse.settings, raw_key("dossier"), "dossier", [ingested.batch_id])

    assert result.passed
    coverage = "sampled 10 of 40 rows" if sampled else "all 40 rows"
    assert result.metadata["rows_validated"].value == f"- {ingested.batch_id}: {coverage}"
    assert result.metadata["sampled_deliveries"].value == sampled
    assert ("on a sample of their rows" in (result.description or "")) == sampled


def _delivery(batch_id: str, events: pd.DataFrame | None = None, **figures) -> Delivery:
    """A delivery of these rows, by default ROWS clean dossier rows with event ids of their own,
    with a clean one's figures unless overridden (check_batch's names)."""
    if events is None:
        events = raw_batch("dossier")
        events["event_id"] = batch_id + ":" + events["event_id"]
    figures = {"rows_read": len(events), "quarantined": 0,
               "recent_volumes": [ROWS - 2, ROWS, ROWS + 2]} | figures  # fmt: skip
    return Delivery(batch_id, events, len(events), **figures)


def _without_now(failure: str) -> str:
    """A failure line without the instant of its check (occurred_at's upper bound)."""
    return re.sub(r"\.\. \d{4}-\d\d-\d\d [\d:.]+\+00:00\)", ".. now)", failure)


def _results(docs_root: Path) -> dict[str, int]:
    """How many validation results each suite (raw.<name>: folders raw/<name>/) has stored."""
    stored = (docs_root / "results").rglob("*.json")
    return dict(Counter(
        ".".join(path.relative_to(docs_root / "results").parts[:2]) for path in stored
    ))  # fmt: skip


def test_small_deliveries_are_validated_together_and_each_passes(tmp_path: Path) -> None:
    deliveries = [_delivery(f"d{i}") for i in range(3)]

    healths = list(check_deliveries("dossier", deliveries, docs_root=tmp_path))

    assert [(h.success, h.failed, h.coverage) for h in healths] == [(True, (), "all 20 rows")] * 3
    # one validation of the events of all three and one of their three delivery rows
    assert _results(tmp_path) == {"raw.dossier_events": 1, "raw.dossier_deliveries": 1}
    index = build_docs(tmp_path, healths).read_text(encoding="utf-8")
    assert "3 deliveries, d0 to d2" in index


@pytest.mark.parametrize(("mutate", "overrides", "expected"), FAILURES)
def test_a_bad_delivery_among_good_ones_fails_as_it_would_alone(
    mutate, overrides: dict, expected: str, tmp_path: Path
) -> None:
    bad = raw_batch("dossier")
    mutate(bad)
    alone = check(bad.copy(), "dossier", tmp_path / "alone", batch_id="bad", **overrides)
    group = [_delivery("good-1"), _delivery("bad", bad, **overrides), _delivery("good-2")]

    healths = list(check_deliveries("dossier", group, docs_root=tmp_path / "together"))

    assert [h.success for h in healths] == [True, False, True]
    assert list(map(_without_now, healths[1].failed)) == list(map(_without_now, alone.failed))
    assert healths[1].failed[0].startswith(expected)
    if expected.startswith(DELIVERY):  # its row of the deliveries table failed: its own
        # figures validated again alone, its rows not (they passed with the group's)
        results = _results(tmp_path / "together")
        assert (results["raw.dossier_delivery"], results["raw.dossier_events"]) == (1, 1)


def test_each_delivery_is_judged_on_its_own_recent_volumes(tmp_path: Path) -> None:
    """20 rows are far above [2, 3, 2] and usual beside [18, 20, 22]: the group's table holds
    each delivery's own bounds."""
    group = [_delivery("usual"), _delivery("surge", recent_volumes=[2, 3, 2])]

    healths = list(check_deliveries("dossier", group, docs_root=tmp_path))

    assert [h.success for h in healths] == [True, False]
    assert healths[1].failed[0].startswith(DELIVERY + "expect_column_max_to_be_between(accepted")
    # the deliveries table named the surge: only its own figures were validated again, alone;
    # its rows passed with the group's, so they hold alone too
    assert _results(tmp_path) == {
        "raw.dossier_events": 1, "raw.dossier_deliveries": 1, "raw.dossier_delivery": 1
    }  # fmt: skip
    assert (
        healths[1].statistics
        == check(
            group[1].events,
            "dossier",
            tmp_path / "alone",
            batch_id="surge",
            recent_volumes=[2, 3, 2],
        ).statistics
    )  # the same expectations judged, the same counts


def test_a_group_whose_every_delivery_fails_its_figures_documents_its_rows_once(
    tmp_path: Path,
) -> None:
    group = [_delivery(f"surge-{i}", recent_volumes=[2, 3, 2]) for i in range(2)]

    healths = list(check_deliveries("dossier", group, docs_root=tmp_path))

    assert [h.success for h in healths] == [False, False]
    assert _results(tmp_path) == {
        "raw.dossier_events": 1, "raw.dossier_deliveries": 1, "raw.dossier_delivery": 2
    }  # fmt: skip
    index = build_docs(tmp_path, healths).read_text(encoding="utf-8")
    assert "2 deliveries, surge-0 to surge-1" in index  # the rows' validation, with the group's


def test_the_same_event_id_in_two_deliveries_is_not_a_duplicate_within_either(
    tmp_path: Path,
) -> None:
    first, second = _delivery("first"), _delivery("second")
    second.events["event_id"] = first.events["event_id"]

    healths = list(check_deliveries("dossier", [first, second], docs_root=tmp_path))

    assert [h.success for h in healths] == [True, True]


@pytest.mark.parametrize(("sample_rows", "groups"), [(40, [2, 1]), (39, [1, 1, 1])])
def test_a_group_holds_at_most_sample_rows_rows(
    sample_rows: int, groups: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_rows, "SAMPLE_ROWS", sample_rows)

    healths = list(check_deliveries(
        "dossier", [_delivery(f"d{i}") for i in range(3)], docs_root=tmp_path
    ))  # fmt: skip

    assert all(h.success for h in healths)
    together = sum(1 for size in groups if size > 1)
    alone = sum(1 for size in groups if size == 1)
    assert _results(tmp_path) == {
        "raw.dossier_events": len(groups),
        **({"raw.dossier_deliveries": together} if together else {}),
        **({"raw.dossier_delivery": alone} if alone else {}),
    }
