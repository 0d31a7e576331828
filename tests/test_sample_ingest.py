"""The real loader on the generated deliveries: it accepts exactly what the generator counted,
and sets aside exactly the records it planted, each with the loader's reason for its kind."""

from collections import Counter

import pytest

# The generator names the kinds of bad record it plants; the loader names its reasons.
REASON_OF_PLANTED = {
    "malformed_json": "malformed_record",
    "missing_field": "missing_field",
    "unknown_event_type": "unknown_event_type",
    "impossible_timestamp": "invalid_timestamp",
    "unknown_portal": "unknown_portal",
    "conflict": "conflict",
    "invalid_enum": "invalid_value",
    "invalid_pattern": "invalid_value",
    "invalid_shares": "invalid_value",
    "non_utf8_file": "unreadable_file",
}


@pytest.fixture(scope="module")
def ingested(sample_ingested):
    return sample_ingested


def test_raw_holds_exactly_the_events_generated(ingested):
    warehouse, summary, _ = ingested
    held = {
        stream: warehouse.scalar(f"SELECT count(*) FROM raw.{stream}_events")
        for stream in summary.events
    }
    assert held == summary.events


def test_the_quarantine_holds_exactly_the_planted_records(ingested):
    warehouse, summary, _ = ingested
    # Each record is planted to break one rule, and that rule is its first reason.
    first_reasons = Counter(
        codes[0] for (codes,) in warehouse.query("SELECT reason_codes FROM raw.quarantine")
    )
    expected = Counter()
    for kind, count in summary.planted.items():
        expected[REASON_OF_PLANTED[kind]] += count
    assert first_reasons == expected


def test_every_file_balances_and_a_second_run_adds_nothing(ingested):
    warehouse, _, report = ingested
    unbalanced = warehouse.query(
        "SELECT source_file FROM raw.ingest_ledger"
        " WHERE rows_read <> accepted + duplicates + quarantined"
    )
    assert unbalanced == []
    assert report.totals()["duplicates"] > 0  # the generator delivers some events twice
    again = warehouse.ingest()
    assert again.totals()["accepted"] == 0
    assert {f.status for f in again.files} == {"already_ingested"}
