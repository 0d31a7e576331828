"""Every rule of shared/EVENTS.md's envelope and streams, one record at a time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from tests.conftest import dossier


def ingest_one(warehouse, stream: str, record: dict, name: str = "batch.jsonl"):
    warehouse.register_portals()
    warehouse.land(stream, name, [record])
    return warehouse.ingest()


def reasons_of(warehouse, stream: str) -> list[list[str]]:
    return [codes for _, _, _, codes, _ in warehouse.quarantine(stream)]


# --- envelope -------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["event_id", "event_type", "occurred_at", "portal_id"])
def test_envelope_fields_are_required(warehouse, missing):
    record = dossier("e1")
    del record[missing]
    ingest_one(warehouse, "dossier", record)
    [(line, _, reason, codes, _)] = warehouse.quarantine("dossier")
    assert line == 1
    assert "missing_field" in codes
    assert f"missing_field: {missing} is required" in reason
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 0


def test_event_id_longer_than_128_characters_is_rejected(warehouse):
    ingest_one(warehouse, "dossier", dossier("x" * 129))
    [(_, _, reason, _, _)] = warehouse.quarantine("dossier")
    assert "event_id is longer than 128 characters" in reason


def test_event_id_of_128_characters_is_accepted(warehouse):
    ingest_one(warehouse, "dossier", dossier("x" * 128))
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 1


def test_unknown_event_type(warehouse):
    ingest_one(warehouse, "dossier", dossier("e1", "approved"))
    [(_, _, reason, codes, _)] = warehouse.quarantine("dossier")
    assert codes == ["unknown_event_type"]
    assert "'approved' is not one of received, resolved, withdrawn, due_changed" in reason


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-30T10:00:00",
        "2023-13-01T00:00:00+07:00",
        "2099-01-01T00:00:00Z",
        "1999-12-31",
        "soon",
    ],
)
def test_impossible_timestamps_are_rejected(warehouse, value):
    ingest_one(warehouse, "dossier", dossier("e1", occurred_at=value))
    [(_, _, reason, codes, _)] = warehouse.quarantine("dossier")
    assert codes == ["invalid_timestamp"]
    assert f"occurred_at '{value}'" in reason


@pytest.mark.parametrize(
    ("written", "instant_utc", "local_date"),
    [
        # Naive means local time (UTC+07:00): 00:30 local on 1 April is still 31 March in UTC.
        ("2023-04-01T00:30:00", datetime(2023, 3, 31, 17, 30, tzinfo=UTC), date(2023, 4, 1)),
        ("2023-04-01 00:30:00", datetime(2023, 3, 31, 17, 30, tzinfo=UTC), date(2023, 4, 1)),
        # With an offset it is taken as given: 17:30Z is already 1 April in Lào Cai.
        ("2023-03-31T17:30:00Z", datetime(2023, 3, 31, 17, 30, tzinfo=UTC), date(2023, 4, 1)),
        (
            "2023-03-31T16:59:59+00:00",
            datetime(2023, 3, 31, 16, 59, 59, tzinfo=UTC),
            date(2023, 3, 31),
        ),
        (
            "2023-03-31T23:59:59+07:00",
            datetime(2023, 3, 31, 16, 59, 59, tzinfo=UTC),
            date(2023, 3, 31),
        ),
    ],
)
def test_timestamps_keep_the_instant_and_the_local_date(
    warehouse, written, instant_utc, local_date
):
    ingest_one(warehouse, "dossier", dossier("e1", occurred_at=written))
    [(instant, day)] = warehouse.query("SELECT occurred_at, occurred_on FROM raw.dossier_events")
    assert instant == instant_utc
    assert day == local_date


def test_time_zone_is_a_setting(tmp_path):
    from tests.conftest import Warehouse

    warehouse = Warehouse(tmp_path)
    warehouse.settings = dataclasses.replace(warehouse.settings, tz="UTC")
    ingest_one(warehouse, "dossier", dossier("e1", occurred_at="2023-04-01T00:30:00"))
    assert warehouse.scalar("SELECT occurred_on FROM raw.dossier_events") == date(2023, 4, 1)
    assert warehouse.scalar("SELECT occurred_at FROM raw.dossier_events") == datetime(
        2023, 4, 1, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("tz", "summer_noon_utc_local"),
    [
        ("Asia/Ho_Chi_Minh", datetime(2023, 7, 1, 19, 0)),  # +07:00 all year: shifted
        ("UTC", datetime(2023, 7, 1, 12, 0)),
        ("Europe/Paris", datetime(2023, 7, 1, 14, 0)),  # daylight saving: the zone's rules
    ],
)
def test_local_time_is_the_zones_wall_clock_at_every_instant(tmp_path, tz, summer_noon_utc_local):
    from tests.conftest import Warehouse

    warehouse = Warehouse(tmp_path)
    warehouse.settings = dataclasses.replace(warehouse.settings, tz=tz)
    instants = [
        "2000-01-01T00:00:00Z",  # the first instant a fixed offset is trusted for
        "2023-03-26T00:59:59Z",  # Paris moves to summer time at 01:00Z
        "2023-03-26T01:00:00Z",
        "2023-03-31T16:59:59Z",  # the last second of 31 March in Lào Cai
        "2023-03-31T17:00:00Z",
        "2023-07-01T12:00:00Z",
        "2023-10-29T00:59:59Z",  # and back to winter time at 01:00Z
        "2023-10-29T01:00:00Z",
    ]
    warehouse.register_portals()
    warehouse.land(
        "dossier",
        "times.jsonl",
        [dossier(f"e{i}", occurred_at=at) for i, at in enumerate(instants)],
    )
    warehouse.ingest()
    # what DuckDB's zone rules say for each instant, wall time and date
    assert warehouse.query(
        "SELECT count(*), count(*) FILTER (WHERE occurred_at_local = timezone(?, occurred_at)"
        " AND occurred_on = timezone(?, occurred_at)::DATE) FROM raw.dossier_events",
        [tz, tz],
    ) == [(len(instants), len(instants))]
    assert (
        warehouse.scalar("SELECT occurred_at_local FROM raw.dossier_events WHERE event_id = 'e5'")
        == summer_noon_utc_local
    )


def test_unknown_portal_is_quarantined(warehouse):
    ingest_one(warehouse, "dossier", dossier("e1", portal_id="so-moi"))
    [(_, _, reason, codes, _)] = warehouse.quarantine("dossier")
    assert codes == ["unknown_portal"]
    assert "portal_id 'so-moi' is not in the portal registry" in reason


def test_source_is_optional_and_kept(warehouse):
    warehouse.register_portals()
    warehouse.land("dossier", "a.jsonl", [dossier("e1"), dossier("e2", source="igate")])
    warehouse.ingest()
    assert warehouse.query("SELECT event_id, source FROM raw.dossier_events ORDER BY 1") == [
        ("e1", None),
        ("e2", "igate"),
    ]


def test_unknown_extra_keys_are_kept_not_rejected(warehouse):
    ingest_one(warehouse, "dossier", dossier("e1", ma_ho_so="000.00.12.H33", note={"a": 1}))
    extra = warehouse.scalar("SELECT extra::VARCHAR FROM raw.dossier_events")
    assert extra == '{"ma_ho_so":"000.00.12.H33","note":{"a":1}}'


def test_every_reason_is_reported(warehouse):
    record = dossier("e1", occurred_at="2023-02-30", portal_id="nowhere", channel="fax")
    ingest_one(warehouse, "dossier", record)
    [(_, _, _, codes, _)] = warehouse.quarantine("dossier")
    assert sorted(codes) == ["invalid_timestamp", "invalid_value", "unknown_portal"]


# --- streams --------------------------------------------------------------------------------


def portal(event_type="registered", **fields):
    record = {
        "event_id": "p-new",
        "event_type": event_type,
        "occurred_at": "2023-06-01T08:00:00",
        "portal_id": "so-du-lich",
    }
    if event_type == "registered":
        record |= {
            "name": "Sở Du lịch",
            "portal_group": "department",
            "bloc": "government",
            "scored": True,
        }
    return record | fields


@pytest.mark.parametrize("field", ["name", "portal_group", "bloc", "scored"])
def test_portal_registration_needs_its_fields(warehouse, field):
    record = portal()
    del record[field]
    ingest_one(warehouse, "portal", record, name="new.jsonl")
    assert ["missing_field"] in reasons_of(warehouse, "portal")


@pytest.mark.parametrize(
    ("field", "value"),
    [("portal_group", "ministry"), ("bloc", "special"), ("scored", "yes")],
)
def test_portal_values(warehouse, field, value):
    ingest_one(warehouse, "portal", portal(**{field: value}), name="new.jsonl")
    assert ["invalid_value"] in reasons_of(warehouse, "portal")


def test_portal_update_needs_only_the_envelope_but_a_known_portal(warehouse):
    warehouse.register_portals()
    warehouse.land(
        "portal",
        "updates.jsonl",
        [
            portal("updated", event_id="u1", portal_id="so-tttt", name="Sở TT&TT"),
            portal("retired", event_id="u2", portal_id="never-registered"),
        ],
    )
    warehouse.ingest()
    assert warehouse.query(
        "SELECT event_id FROM raw.portal_events WHERE event_type <> 'registered'"
    ) == [("u1",)]
    assert reasons_of(warehouse, "portal") == [["unknown_portal"]]


def test_a_portal_and_its_first_events_may_arrive_together(warehouse):
    # The dossier file is older than the registry file: the registry is still read first.
    warehouse.land("dossier", "d.jsonl", [dossier("e1", portal_id="so-du-lich")])
    warehouse.land("portal", "new.jsonl", [portal()])
    warehouse.ingest()
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 1


def test_successor_lists_in_json_and_csv(warehouse):
    warehouse.register_portals()
    retire = portal("retired", portal_id="so-tttt", successor_portal_ids=["so-a", "so-b"])
    warehouse.land("portal", "r.jsonl", [retire])
    warehouse.land("portal", "r.csv", [retire | {"event_id": "p-csv"}])
    warehouse.ingest()
    # The CSV copy (another event id) writes the list as 'so-a;so-b'.
    assert warehouse.query(
        "SELECT source_file, successor_portal_ids FROM raw.portal_events"
        " WHERE event_type = 'retired' ORDER BY 1"
    ) == [("portal/r.csv", ["so-a", "so-b"]), ("portal/r.jsonl", ["so-a", "so-b"])]


def post(event_type="published", **fields):
    record = {
        "event_id": "post-1",
        "event_type": event_type,
        "occurred_at": "2023-05-02T10:00:00",
        "portal_id": "so-tttt",
        "post_id": "P1",
    }
    if event_type == "published":
        record |= {"kind": "article", "category": "news"}
    return record | fields


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (post(kind="video"), "invalid_value"),
        (post(category="sports"), "invalid_value"),
        (post(language="fr"), "invalid_value"),
        ({k: v for k, v in post().items() if k != "kind"}, "missing_field"),
        ({k: v for k, v in post().items() if k != "post_id"}, "missing_field"),
    ],
)
def test_post_rules(warehouse, record, code):
    ingest_one(warehouse, "post", record)
    assert reasons_of(warehouse, "post") == [[code]]


def test_post_update_needs_no_kind(warehouse):
    ingest_one(warehouse, "post", post("unpublished"))
    assert warehouse.scalar("SELECT count(*) FROM raw.post_events") == 1


def question(event_type="submitted", **fields):
    record = {
        "event_id": "q-1",
        "event_type": event_type,
        "occurred_at": "2023-05-02T10:00:00",
        "portal_id": "so-tttt",
        "question_id": "Q1",
    }
    return record | fields


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (question("deleted"), "missing_field"),
        (question("deleted", deletion_reason="spam"), "invalid_value"),
        (question("rated"), "missing_field"),
        (question("rated", rating=7), "invalid_value"),
        (question("rated", rating="good"), "invalid_value"),
        (question("answered", responder_authorized="maybe"), "invalid_value"),
    ],
)
def test_question_rules(warehouse, record, code):
    ingest_one(warehouse, "question", record)
    assert reasons_of(warehouse, "question") == [[code]]


def test_question_values_are_typed(warehouse):
    warehouse.register_portals()
    warehouse.land(
        "question",
        "q.jsonl",
        [
            question("rated", rating=4),
            question("answered", event_id="q-2", responder_authorized=False),
            question("deleted", event_id="q-3", deletion_reason="forwarded"),
        ],
    )
    warehouse.ingest()
    assert warehouse.query(
        "SELECT event_id, rating, responder_authorized, deletion_reason"
        " FROM raw.question_events ORDER BY 1"
    ) == [("q-1", 4, None, None), ("q-2", None, False, None), ("q-3", None, None, "forwarded")]


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ({k: v for k, v in dossier("e1").items() if k != "channel"}, "missing_field"),
        ({k: v for k, v in dossier("e1").items() if k != "due_at"}, "missing_field"),
        (dossier("e1", "due_changed"), "missing_field"),
        (dossier("e1", channel="fax"), "invalid_value"),
        (dossier("e1", service_level=5), "invalid_value"),
        (dossier("e1", service_level="4.5"), "invalid_value"),
        (dossier("e1", due_at="2023-02-29T17:00:00"), "invalid_timestamp"),
        ({k: v for k, v in dossier("e1").items() if k != "dossier_id"}, "missing_field"),
    ],
)
def test_dossier_rules(warehouse, record, code):
    ingest_one(warehouse, "dossier", record)
    assert reasons_of(warehouse, "dossier") == [[code]]


def test_dossier_resolution_needs_no_channel(warehouse):
    ingest_one(warehouse, "dossier", dossier("e1", "resolved"))
    assert warehouse.scalar("SELECT count(*) FROM raw.dossier_events") == 1


def assessment(**fields):
    return {
        "event_id": "a-1",
        "event_type": "adjusted",
        "occurred_at": "2023-09-28T10:00:00",
        "portal_id": "so-tttt",
        "period_id": "2023-9M",
        "criterion": "presentation_bonus",
        "points": "5",
        "note": "Cộng 5 điểm khuyến khích",
    } | fields


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (assessment(period_id="2023-Q5"), "invalid_value"),
        (assessment(period_id="9 tháng 2023"), "invalid_value"),
        (assessment(points="năm"), "invalid_value"),
        ({k: v for k, v in assessment().items() if k != "criterion"}, "missing_field"),
    ],
)
def test_assessment_rules(warehouse, record, code):
    ingest_one(warehouse, "assessment", record)
    assert reasons_of(warehouse, "assessment") == [[code]]


def test_assessment_points_are_exact_decimals(warehouse):
    ingest_one(warehouse, "assessment", assessment(points=-0.5))
    assert str(warehouse.scalar("SELECT points FROM raw.assessment_events")) == "-0.500000"
