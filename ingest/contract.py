"""The source event contract (shared/EVENTS.md, version 1.1) as data.

Everything the loader validates is declared here once: the streams, their event types, their
fields with type and when each is required. `ingest.validate` turns these declarations into SQL.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ingest.reference import BUNDLED, Reference

REFERENCE_DIR = BUNDLED  # the bundled reference data (dbt seeds)

ALL = "*"  # "required for every event type of the stream"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | timestamp | date | boolean | integer | decimal | list | decimal_list
    required_for: frozenset[str] = frozenset()  # event types that must carry it; {ALL} = every one
    values: tuple[str, ...] | None = None  # allowed values, for enumerations
    pattern: str | None = None  # regular expression a text value must match
    max_length: int | None = None
    minimum: float | None = None  # the least a number may be (v1.1: a channel's value, 0)
    # free text may carry an email address or a phone number: those are masked before storage
    free_text: bool = False

    def required_on(self, event_type: str) -> bool:
        return ALL in self.required_for or event_type in self.required_for


def _req(*types: str) -> frozenset[str]:
    return frozenset(types)


ENVELOPE: tuple[Field, ...] = (
    Field("event_id", "text", _req(ALL), max_length=128),
    Field("event_type", "text", _req(ALL)),  # its values are the stream's event types
    Field("occurred_at", "timestamp", _req(ALL)),
    Field("portal_id", "text", _req(ALL), max_length=128),
    Field("source", "text"),
)

# Never stored anywhere in the warehouse: dropped at read time (shared/EVENTS.md, stream question),
# under any spelling and at any depth (`ingest.redact.is_personal_key`).
PERSONAL_FIELDS: tuple[str, ...] = ("asker_name", "asker_email", "asker_phone", "body")

# A record longer than this is not read at all: it is quarantined as its length and hash.
MAX_RECORD_BYTES = 1 << 20


def one_of(expression: str, literals) -> str:
    """A rule's condition that `expression` is one of the SQL `literals` (NULL for a NULL value,
    as IN is): DuckDB plans an IN list of five values or more as a join, and a join would lose
    the order in which a JSON Lines file's records are checked (`ingest.readers.LinesOnDemand`)."""
    return f"list_contains([{', '.join(literals)}], {expression})"


def _reference_column(file: str, column: str, reference: Reference | None) -> tuple[str, ...]:
    if reference is not None:
        return reference.values(file, column)
    return _bundled_column(file, column)


@cache
def _bundled_column(file: str, column: str) -> tuple[str, ...]:
    with open(REFERENCE_DIR / f"{file}.csv", encoding="utf-8") as f:
        return tuple(row[column] for row in csv.DictReader(f))


def post_categories(reference: Reference | None = None) -> tuple[str, ...]:
    """Post categories, kept as reference data (a dbt seed with their Vietnamese labels): the
    deployment's (`ingest.reference`) when it has its own, else the bundled ones."""
    return _reference_column("post_categories", "category", reference)


def portal_groups(reference: Reference | None = None) -> tuple[str, ...]:
    """Reporting groups of the registry, kept as dated reference data with their labels and the
    level each reports at (a ward or special zone reports with the communes)."""
    return _reference_column("portal_groups", "portal_group", reference)


Catalogue = tuple[tuple[str, str, str, str], ...]  # (channel, metric, kind, unit)


def channel_metrics(reference: Reference | None = None) -> Catalogue:
    """(channel, metric, kind, unit) of every measurement the `channel` stream may deliver
    (reference data, `channels.csv`): a flow covers a window, a level is a reading at a date;
    a `rate` lies in [0, 1]."""
    columns = ("channel", "metric", "kind", "unit")
    values = [_reference_column("channels", c, reference) for c in columns]
    return tuple(zip(*values, strict=True))


def _channel_rules(catalogue: Catalogue) -> tuple[tuple[str, str], ...]:
    """EVENTS.md 1.1, stream `channel`: the (channel, metric) pair is one `channels.csv` lists;
    a rate lies in [0, 1]; a flow covers a window (window_start..window_end, in order), a level
    is a reading at window_end with no window_start."""
    pair = "n_channel || '/' || n_metric"

    def listed(rows) -> str:
        return one_of(pair, [f"'{c}/{m}'" for c, m, *_ in rows])

    flows = listed(r for r in catalogue if r[2] == "flow")
    levels = listed(r for r in catalogue if r[2] == "level")
    rates = listed(r for r in catalogue if r[3] == "rate")
    channels = one_of("n_channel", [f"'{c}'" for c in dict.fromkeys(r[0] for r in catalogue)])
    return (
        (
            f"{channels} AND NOT {listed(catalogue)}",
            "'invalid_value: metric ''' || n_metric || ''' is not a metric of channel '''"
            " || n_channel || ''' (channels.csv)'",
        ),
        (
            f"{rates} AND n_value > 1",
            "'invalid_value: value ' || n_value::VARCHAR || ' of the rate ' || n_metric"
            " || ' is above 1'",
        ),
        (
            f"{flows} AND n_window_start IS NULL",
            "'missing_field: window_start is required for the flow ' || n_metric",
        ),
        (
            f"{flows} AND n_window_start > n_window_end",
            "'invalid_value: window_start ' || n_window_start::VARCHAR || ' is after window_end '"
            " || n_window_end::VARCHAR",
        ),
        (
            f"{levels} AND n_window_start IS NOT NULL",
            "'invalid_value: window_start must be empty for the level ' || n_metric"
            " || ' (a reading at window_end)'",
        ),
    )


@dataclass(frozen=True)
class Stream:
    name: str
    event_types: tuple[str, ...]
    fields: tuple[Field, ...]  # the stream's own fields, after the envelope
    entity_id: str | None = None  # the stable id whose lifecycle the events describe
    # rules across fields: (condition on the typed `n_<field>` values that breaks it, message)
    record_rules: tuple[tuple[str, str], ...] = ()

    @property
    def table(self) -> str:
        return f"raw.{self.name}_events"

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return ENVELOPE + self.fields

    @property
    def delivered_fields(self) -> list[str]:
        """The fields a source delivers; `asker_key` is computed by the warehouse."""
        return [f.name for f in self.all_fields if f.name != "asker_key"]

    @property
    def known_keys(self) -> tuple[str, ...]:
        """Keys that are not 'extra': the contract's fields and the personal ones we drop."""
        return tuple(f.name for f in self.all_fields) + PERSONAL_FIELDS


# EVENTS.md 1.1: a split's shares lie in (0, 1], one per successor in the same order, summing to 1.
SHARE_RULES = (
    (
        "n_successor_shares IS NOT NULL AND (n_successor_portal_ids IS NULL"
        " OR len(n_successor_shares) <> len(n_successor_portal_ids))",
        "'invalid_value: successor_shares needs one share per successor_portal_ids'",
    ),
    (
        "list_bool_or(list_transform(n_successor_shares, x -> x <= 0 OR x > 1))",
        "'invalid_value: successor_shares must each lie in (0, 1]'",
    ),
    (
        "abs(list_sum(n_successor_shares) - 1) > 0.0001",
        "'invalid_value: successor_shares sum to ' || list_sum(n_successor_shares) || ', not 1'",
    ),
)


def streams(reference: Reference | None = None) -> dict[str, Stream]:
    """The contract with a run's reference data: its post categories and portal groups are the
    allowed values of those fields. The same reference data gives the same (cached) streams;
    nothing is kept between calls but that cache, so each run checks by its own."""
    return _streams(
        post_categories(reference), portal_groups(reference), channel_metrics(reference)
    )


@cache
def _streams(
    categories: tuple[str, ...], groups: tuple[str, ...], catalogue: Catalogue
) -> dict[str, Stream]:
    return {
        s.name: s
        for s in (
            Stream(
                "portal",
                ("registered", "updated", "retired"),
                (
                    Field("name", "text", _req("registered")),
                    Field("portal_group", "text", _req("registered"), values=groups),
                    Field("bloc", "text", _req("registered"), values=("government", "party")),
                    Field("scored", "boolean", _req("registered")),
                    Field("parent_portal_id", "text"),
                    Field("successor_portal_ids", "list"),
                    Field("successor_shares", "decimal_list"),  # v1.1: a split's shares
                    Field("predecessor_portal_ids", "list"),  # v1.1: a merger, from the new unit
                ),
                record_rules=SHARE_RULES,
            ),
            Stream(
                "post",
                ("published", "updated", "unpublished"),
                (
                    Field("post_id", "text", _req(ALL)),
                    Field("kind", "text", _req("published"), values=("article", "data_item")),
                    Field("category", "text", _req("published"), values=categories),
                    Field("language", "text", values=("vi", "en")),
                    Field("title", "text", free_text=True),
                ),
                entity_id="post_id",
            ),
            Stream(
                "question",
                ("submitted", "accepted", "answered", "deleted", "rated"),
                (
                    Field("question_id", "text", _req(ALL)),
                    Field("topic", "text", free_text=True),
                    Field(
                        "deletion_reason",
                        "text",
                        _req("deleted"),
                        values=("duplicate", "violation", "forwarded", "invalid_asker", "other"),
                    ),
                    Field("responder_authorized", "boolean"),
                    Field("rating", "integer", _req("rated"), values=("1", "2", "3", "4", "5")),
                    Field("asker_key", "text"),  # keyed hash of the asker, never the asker
                ),
                entity_id="question_id",
            ),
            Stream(
                "dossier",
                ("received", "resolved", "withdrawn", "due_changed"),
                (
                    Field("dossier_id", "text", _req(ALL)),
                    Field("procedure_code", "text"),
                    Field("channel", "text", _req("received"), values=("counter", "online")),
                    Field("service_level", "integer", _req("received"), values=("2", "3", "4")),
                    Field("due_at", "timestamp", _req("received", "due_changed")),
                ),
                entity_id="dossier_id",
            ),
            Stream(
                "assessment",
                ("adjusted",),
                (
                    Field("period_id", "text", _req(ALL), pattern=r"^\d{4}-(Q[1-4]|H1|9M|FY)$"),
                    Field("criterion", "text", _req(ALL)),
                    Field("points", "decimal", _req(ALL)),
                    Field("note", "text", free_text=True),
                    Field("assessor", "text", free_text=True),
                ),
            ),
            Stream(  # v1.1: counters of the province's other channels
                "channel",
                ("measured",),
                (
                    Field(
                        "channel",
                        "text",
                        _req(ALL),
                        values=tuple(dict.fromkeys(row[0] for row in catalogue)),
                    ),
                    Field("metric", "text", _req(ALL)),
                    Field("value", "decimal", _req(ALL), minimum=0),
                    Field("window_start", "date"),  # a flow's; a level has none
                    Field("window_end", "date", _req(ALL)),
                ),
                record_rules=_channel_rules(catalogue),
            ),
        )
    }


# The contract with the bundled reference data: table names, fields, and the enumerations of a
# warehouse that has no reference folder of its own.
STREAMS: dict[str, Stream] = streams()

# The registry comes first in every run, so that a portal and its first events may arrive together.
STREAM_ORDER: tuple[str, ...] = (
    "portal",
    "post",
    "question",
    "dossier",
    "assessment",
    "channel",
)

FORMATS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".csv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
}


def file_format(path: Path) -> str | None:
    """The format of a landed file from its name, or None when it is not one of the five."""
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None
