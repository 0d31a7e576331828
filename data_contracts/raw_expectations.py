"""Great Expectations checks of the health of one ingested delivery (batch) of a raw stream.

`check_batch` validates a batch's accepted rows, as a pandas DataFrame shaped like
`raw.<stream>_events`, against two suites built from `ingest.contract`:

- `raw.<stream>_events`, on the rows: envelope columns non-null, `event_type` among the stream's
  event types, enumerated fields among their allowed values, `occurred_at` between 2000-01-01 and
  now + 1 day, `event_id` unique within the batch.
- `raw.<stream>_delivery`, on a one-row summary of the delivery, whose figures are exact: the
  accepted row count within the volume expected from recent batches of the stream (see
  `expected_volume`), and the share of rows read that were quarantined at most
  `max_quarantined_share`. They have their own one-row table because the events may be a sample,
  and because a delivery whose every row was quarantined has no rows in the events table.

`read_batch` reads a batch from the warehouse for it (the rows `batch_rows.batch_query` picks):
only the columns the events suite looks at, and, for a batch of more than `SAMPLE_ROWS` rows
(`batch_rows`), a deterministic sample of `SAMPLE_ROWS` of them, so that the check's cost stays
bounded however large the delivery. Such a batch's row expectations judge the sample only: the
verdict (`BatchHealth.coverage`), each failure line and the run's name in the Data Docs say
"sampled N of M rows". The sample is the rows whose `event_id`s hash lowest, so the rows sharing
an `event_id` are taken or left together and the uniqueness expectation sees a duplicated id
whenever the sample holds it.

`check_deliveries` validates a run's deliveries of a stream: several small ones together, in
groups of up to `SAMPLE_ROWS` rows, since most of a validation's cost is GX building its metric
graph whatever the rows (0.1-0.2 s per suite). A group's events are one table and its deliveries
one table of a row each, with each delivery's own volume bounds (`deliveries_suite`). A delivery
whose row passes, in a group whose events pass, passes alone (every row expectation holds on a
part of the rows it holds on, and each delivery keeps its own bounds). The others are validated
again alone, so that each failure names its delivery exactly as `check_batch` alone would: the
deliveries whose row fails, or every delivery of a group whose events fail. `judge` makes the
results of a run's deliveries of a stream the check's verdict; run as `python -m
data_contracts.raw_expectations FOLDER DOCS_ROOT TZ PARENT`, this module judges the deliveries a
run exported to FOLDER (`batch_rows.export`) while the run, in process PARENT, goes on, and ends
when that process does (orchestration.checks).

The bounds that change per call (volume, quarantine share, "now") are suite parameters, so the
suites are built once per process. Validation results are kept as JSON under
`docs_root/results` and the Data Docs site under `docs_root/site`, so validations accumulate
across runs; the site's pages load their scripts, styles and fonts from its own folder, so it
renders offline (`localise_site`); everything else (suites, validation definitions) lives in
memory and is rebuilt from the contract, which keeps the contract the one source of truth and
lets several processes share a docs root without writing a shared config file.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import numbers
import os
import re
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import jinja2.bccache
import pandas as pd

# Said before GX loads, and again in the context's config: these checks must run offline.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
from great_expectations.core.expectation_validation_result import (  # noqa: E402
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (  # noqa: E402
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.render.view import (  # noqa: E402
    DefaultJinjaIndexPageView,
    DefaultJinjaPageView,
)

from data_contracts import batch_rows  # noqa: E402
from ingest.contract import ALL, ENVELOPE, STREAMS, Field, Stream  # noqa: E402
from ingest.warehouse import literal  # noqa: E402

logger = logging.getLogger(__name__)

EARLIEST_OCCURRED_AT = pd.Timestamp("2000-01-01", tz="UTC")
LATEST_OCCURRED_AT_MARGIN = timedelta(days=1)  # clocks at the portals run a little ahead

# Volume rule: with at least MIN_HISTORY recent batches, a batch may hold between
# VOLUME_FRACTION and VOLUME_MULTIPLE times their median row count; with fewer, anything from
# one row up to COLD_START_MAX_ROWS, or up to VOLUME_MULTIPLE times the largest of them when
# that is more (a stream whose first delivery brought years of history takes its next quarter
# without a warning). An empty delivery is never healthy.
MIN_HISTORY = 3
VOLUME_FRACTION = 0.2
VOLUME_MULTIPLE = 5.0
COLD_START_MAX_ROWS = 1_000_000


DOCS_SITE = "raw_batches"
# The index re-reads every result it lists, so listing all of them would slow each check as
# results accumulate; older pages stay on disk, reachable from their suite's folder.
DOCS_INDEX_LIMIT = 300

# GX's pages load Bootstrap, jQuery, bootstrap-table, Font Awesome … from CDNs, so offline they
# render unstyled and the index lists nothing. The same files and versions are kept in
# data_docs_assets/ (its README says whence), copied to <site>/static/vendor/, and the pages are
# pointed at them; what is not kept (the charts' vega, a dark theme) is not used by these pages,
# and its tags are removed.
DOCS_ASSETS = Path(__file__).parent / "data_docs_assets"
VENDOR_DIR = "static/vendor"
LOCAL_ASSETS = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control.min.js",
    # the pages name 1.19.0's stylesheet beside 1.19.1's script; 1.19.1's serves both
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": "bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome/css/all.min.css"
    ),
}
# GX's own logo, which the site also has under static/images/
GX_LOGO = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png"
_REMOTE_TAG = re.compile(
    r'<(?P<tag>script|link|img)\b(?P<before>[^>]*?)\b(?P<attr>src|href)="(?P<url>https?://[^"]*)"'
    r"(?P<after>[^>]*)>(?P<close></script>)?"
)
_SUBRESOURCE_ATTRS = re.compile(r'\s(?:integrity|crossorigin)="[^"]*"')
# GX's own static files, which it sometimes counts one folder short (the favicon of a result
# page whose suite name has a dot)
_SITE_STATIC = re.compile(r'\b(src|href)="(?:\./|(?:\.\./)+)static/')
_REMOTE_CSS_URL = re.compile(r"url\((['\"]?)https?://[^)]*\1\)")  # the dark theme's logo


@dataclass(frozen=True)
class BatchHealth:
    success: bool
    failed: tuple[str, ...]  # one line per failed expectation: suite, expectation, column, observed
    statistics: dict  # evaluated / successful / unsuccessful expectation counts
    docs_index: Path | None  # the Data Docs index.html; None when not (yet) written
    rows: int = 0  # the batch's accepted rows
    validated_rows: int = 0  # the rows the events suite saw: all of them, or a sample
    # the validations and their run, for `build_docs` when check_batch left the docs to it
    validations: tuple = dataclasses.field(default=(), repr=False, compare=False)

    @property
    def sampled(self) -> bool:
        return self.validated_rows < self.rows

    @property
    def coverage(self) -> str:
        """What the row expectations judged, e.g. "sampled 100000 of 1100000 rows"."""
        return _coverage(self.validated_rows, self.rows)


def _coverage(validated_rows: int, rows: int) -> str:
    if validated_rows < rows:
        return f"sampled {validated_rows} of {rows} rows"
    return f"all {rows} rows"


def read_batch(
    con: duckdb.DuckDBPyConnection, stream: str, batch_id: str, *, sample_rows: int | None = None
) -> tuple[pd.DataFrame, int]:
    """(the batch's rows for `check_batch`, the batch's row count) from the warehouse: the rows
    `batch_rows.batch_query` picks, of `sample_rows` (default `SAMPLE_ROWS`)."""
    sample_rows = batch_rows.SAMPLE_ROWS if sample_rows is None else sample_rows
    query, rows = batch_rows.batch_query(con, stream, batch_id, sample_rows)
    return con.execute(query).df(), rows


def expected_volume(recent_volumes: Sequence[int]) -> tuple[int, int]:
    """The (min, max) row count a batch may have, given recent batches of the same stream."""
    if len(recent_volumes) < MIN_HISTORY:
        largest = max(recent_volumes, default=0)
        return 1, max(COLD_START_MAX_ROWS, math.ceil(largest * VOLUME_MULTIPLE))
    median = statistics.median(recent_volumes)
    return max(1, math.floor(median * VOLUME_FRACTION)), max(1, math.ceil(median * VOLUME_MULTIPLE))


def check_batch(
    events: pd.DataFrame,
    stream: str,
    *,
    batch_id: str,
    rows_read: int,
    quarantined: int,
    recent_volumes: Sequence[int],
    docs_root: Path,
    max_quarantined_share: float = 0.05,
    batch_rows: int | None = None,
    docs: bool = True,
    events_passed_in: ExpectationSuiteValidationResult | None = None,
) -> BatchHealth:
    """Validate one batch's accepted rows and record the result in the Data Docs under docs_root.

    rows_read counts every row of the landed file, quarantined those set aside by the loader;
    recent_volumes are the accepted row counts of the stream's recent batches, this one excluded.
    batch_rows is the batch's accepted row count when `events` is a sample of it (`read_batch`);
    by default `events` is the whole batch. With `docs=False` the Data Docs are left to
    `build_docs`, which renders several batches' at once. `events_passed_in` is a passing
    validation of these rows among others' (`check_deliveries`): every row expectation that holds
    for a group holds for each part of it, so only the delivery's own figures are validated, and
    that validation is documented where it was made.
    """
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; expected one of {sorted(STREAMS)}")
    if not 0 <= quarantined <= rows_read:
        raise ValueError(f"quarantined={quarantined} must be between 0 and rows_read={rows_read}")
    validated_rows = len(events)
    rows = validated_rows if batch_rows is None else batch_rows
    if rows < validated_rows:
        raise ValueError(f"batch_rows={rows} is fewer than the {validated_rows} rows given")

    project = _project(docs_root.resolve())
    events_check, delivery_check = project.validations(STREAMS[stream])
    min_rows, max_rows = expected_volume(recent_volumes)
    parameters = {
        "min_rows": min_rows,
        "max_rows": max_rows,
        "latest_occurred_at": pd.Timestamp.now(tz="UTC") + LATEST_OCCURRED_AT_MARGIN,
        "max_quarantined_share": max_quarantined_share,
    }
    delivery = pd.DataFrame(
        {
            "accepted_rows": [rows],
            "quarantined_share": [quarantined / rows_read if rows_read else 0.0],
        }
    )
    sampled = validated_rows < rows
    coverage = _coverage(validated_rows, rows)
    # One run id for both validations, named after the batch, so the docs show them together,
    # and saying so when the rows were sampled: the name is on the index and on each page.
    # The run name becomes a path segment, where GX refuses separators.
    run_name = batch_id.replace("/", "_").replace("\\", "_")
    if sampled:
        run_name += f" ({coverage})"
    run_id = gx.RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    samples = {events_check.suite.name: coverage if sampled else None}
    checks = [(delivery_check, delivery)]
    if events_passed_in is None:
        checks.insert(0, (events_check, events))
    results = [
        check.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            run_id=run_id,
        )
        for check, frame in checks
    ]
    judged = results if events_passed_in is None else [events_passed_in, *results]
    return BatchHealth(
        success=all(result.success for result in judged),
        failed=tuple(
            _describe(
                result.suite_name,
                outcome,
                # the row expectations saw the sample; the delivery's figures are exact
                sample=samples.get(result.suite_name),
            )
            for result in judged
            for outcome in result.results
            if not outcome.success
        ),
        statistics=_statistics(judged),
        docs_index=project.build_docs([(r, run_id) for r in results]) if docs else None,
        rows=rows,
        validated_rows=validated_rows,
        validations=tuple((r, run_id) for r in results),
    )


@dataclass(frozen=True)
class Delivery:
    """One delivery of a stream as `check_batch` takes it (see there)."""

    batch_id: str
    events: pd.DataFrame  # its accepted rows, or a sample of them (`read_batch`)
    rows: int  # its accepted rows, all of them
    rows_read: int
    quarantined: int
    recent_volumes: Sequence[int]


def check_deliveries(
    stream: str,
    deliveries: Iterable[Delivery],
    *,
    docs_root: Path,
    max_quarantined_share: float = 0.05,
) -> Iterator[BatchHealth]:
    """Each delivery's health, in order, as `check_batch` would judge it alone; the Data Docs are
    left to `build_docs`. Deliveries are read one group at a time: a group holds at most
    `SAMPLE_ROWS` rows, so a delivery of more is a group of its own."""
    group: list[Delivery] = []
    for delivery in deliveries:
        held = sum(len(d.events) for d in group) + len(delivery.events)
        if group and held > batch_rows.SAMPLE_ROWS:
            yield from _check_group(stream, group, docs_root, max_quarantined_share)
            group = []
        group.append(delivery)
    if group:
        yield from _check_group(stream, group, docs_root, max_quarantined_share)


def _check_group(
    stream: str, group: list[Delivery], docs_root: Path, max_quarantined_share: float
) -> list[BatchHealth]:
    together, validations = _check_together(stream, group, docs_root, max_quarantined_share)
    events_passed = validations[0][0] if validations else None  # the events', first
    healths = [
        health
        or check_batch(
            d.events,
            stream,
            batch_id=d.batch_id,
            rows_read=d.rows_read,
            quarantined=d.quarantined,
            recent_volumes=d.recent_volumes,
            docs_root=docs_root,
            max_quarantined_share=max_quarantined_share,
            batch_rows=d.rows,
            docs=False,
            events_passed_in=events_passed,
        )
        for d, health in zip(group, together, strict=True)
    ]
    if validations:  # the group's validations, documented once (build_docs)
        first = healths[0]
        healths[0] = dataclasses.replace(first, validations=validations + first.validations)
    return healths


# The deliveries table's failures name their deliveries: the table has a row per delivery.
_BY_DELIVERY = {"result_format": "COMPLETE", "unexpected_index_column_names": ["batch_id"]}


def _check_together(
    stream: str, group: list[Delivery], docs_root: Path, max_quarantined_share: float
) -> tuple[list[BatchHealth | None], tuple]:
    """The health of each delivery of the group that passes validated with the others; None
    for a delivery to validate alone: each, when the group is one delivery or its events fail;
    else those whose row of the deliveries table fails (impossible figures included, which
    `check_batch` then refuses). With the group's validations and their run (its events', then
    its deliveries'), when its events passed (else none)."""
    alone: list[BatchHealth | None] = [None] * len(group)
    if len(group) < 2 or len({tuple(d.events.columns) for d in group}) > 1:
        return alone, ()  # a missing column would be filled with nulls, which pass
    project = _project(docs_root.resolve())
    events_check, _ = project.validations(STREAMS[stream])
    deliveries_check = project.deliveries_validation(STREAMS[stream])
    bounds = [expected_volume(d.recent_volumes) for d in group]
    deliveries = pd.DataFrame(
        {
            "batch_id": [d.batch_id for d in group],
            "accepted_rows": [d.rows for d in group],
            "min_rows": [low for low, _ in bounds],
            "max_rows": [high for _, high in bounds],
            "quarantined_share": [
                d.quarantined / d.rows_read if d.rows_read else 0.0 for d in group
            ],
        }
    )
    parameters = {
        "latest_occurred_at": pd.Timestamp.now(tz="UTC") + LATEST_OCCURRED_AT_MARGIN,
        "max_quarantined_share": max_quarantined_share,
    }
    name = f"{len(group)} deliveries, {group[0].batch_id} to {group[-1].batch_id}"
    run_id = gx.RunIdentifier(
        run_name=name.replace("/", "_").replace("\\", "_"), run_time=datetime.now(UTC)
    )
    events = pd.concat([d.events for d in group], ignore_index=True)
    results = [
        check.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            result_format=result_format,
            run_id=run_id,
        )
        for check, frame, result_format in (
            (events_check, events, "SUMMARY"),
            (deliveries_check, deliveries, _BY_DELIVERY),
        )
    ]
    events_result, deliveries_result = results
    if not events_result.success:
        return alone, ()  # which delivery's rows failed is left to each one's own validation
    validations = tuple((r, run_id) for r in results)
    failing: set[str] = set()
    for outcome in deliveries_result.results:
        if not outcome.success:
            rows = outcome.result.get("unexpected_index_list")
            if not rows:  # it raised: no row to blame
                return alone, validations
            failing |= {row["batch_id"] for row in rows}
    passing = [i for i, d in enumerate(group) if d.batch_id not in failing]
    for i in passing:
        alone[i] = BatchHealth(
            success=True,
            failed=(),
            statistics=_statistics(results),
            docs_index=None,
            rows=group[i].rows,
            validated_rows=len(group[i].events),
        )
    return alone, validations


def _statistics(results: Sequence[ExpectationSuiteValidationResult]) -> dict:
    keys = ("evaluated_expectations", "successful_expectations", "unsuccessful_expectations")
    return {key: sum(result.statistics[key] for result in results) for key in keys}


def build_docs(docs_root: Path, healths: Sequence[BatchHealth]) -> Path | None:
    """The Data Docs of several batches checked with `docs=False`, rendered at once (the index is
    rendered once, not once per batch); the index's path, None when it could not be written."""
    validations = [v for health in healths for v in health.validations]
    return _project(docs_root.resolve()).build_docs(validations) if validations else None


def _allowed_values(field: Field) -> list:
    # The contract lists every enumeration as strings; an INTEGER column holds numbers.
    if field.kind == "integer":
        return [int(value) for value in field.values]
    return list(field.values)


def events_suite(stream: Stream) -> gx.ExpectationSuite:
    """The expectations on a batch's rows, from the stream's contract."""
    suite = gx.ExpectationSuite(name=stream.table)
    for field in ENVELOPE:
        if ALL in field.required_for:
            suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=field.name))
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(column="event_type", value_set=list(stream.event_types))
    )
    for field in stream.fields:
        if field.values is not None:
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(column=field.name, value_set=_allowed_values(field))
            )
        if field.minimum is not None:  # e.g. a channel's value is never negative
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeBetween(column=field.name, min_value=field.minimum)
            )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="occurred_at",
            min_value=EARLIEST_OCCURRED_AT,
            max_value={"$PARAMETER": "latest_occurred_at"},
        )
    )
    suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column="event_id"))
    return suite


def delivery_suite(stream: Stream) -> gx.ExpectationSuite:
    """The expectations on a one-row summary of the delivery, counted on the whole batch."""
    suite = gx.ExpectationSuite(name=f"raw.{stream.name}_delivery")
    suite.add_expectation(
        gxe.ExpectColumnMaxToBeBetween(
            column="accepted_rows",
            min_value={"$PARAMETER": "min_rows"},
            max_value={"$PARAMETER": "max_rows"},
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnMaxToBeBetween(
            column="quarantined_share",
            min_value=0,
            max_value={"$PARAMETER": "max_quarantined_share"},
        )
    )
    return suite


def deliveries_suite(stream: Stream) -> gx.ExpectationSuite:
    """`delivery_suite` on several deliveries validated together, a row each: each delivery's
    volume bounds are its own (columns min_rows and max_rows), the quarantine bound is common."""
    suite = gx.ExpectationSuite(name=f"raw.{stream.name}_deliveries")
    suite.add_expectation(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="accepted_rows", column_B="min_rows", or_equal=True
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="max_rows", column_B="accepted_rows", or_equal=True
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="quarantined_share",
            min_value=0,
            max_value={"$PARAMETER": "max_quarantined_share"},
        )
    )
    return suite


class _TemplateBytecode(jinja2.BytecodeCache):
    """GX makes a new Jinja environment for every page it renders, and so compiled its page
    templates again for each (a second per delivery); their bytecode is kept for the process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _TemplateBytecode()


class CachedPageView(DefaultJinjaPageView):
    """GX's page view, its templates compiled once per process (the site's config names it)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _TEMPLATES


class CachedIndexPageView(DefaultJinjaIndexPageView):
    """GX's index view, its templates compiled once per process."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _TEMPLATES


class _Project:
    """A GX context writing results and Data Docs under one docs root, kept for the process."""

    def __init__(self, docs_root: Path) -> None:
        stores = InMemoryStoreBackendDefaults()
        stores.stores[stores.validation_results_store_name]["store_backend"] = {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_root / "results"),
        }
        self.site_dir = docs_root / "site"
        config = DataContextConfig(
            store_backend_defaults=stores,
            data_docs_sites={
                DOCS_SITE: {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self.site_dir),
                    },
                    "site_index_builder": {
                        "class_name": "DefaultSiteIndexBuilder",
                        "validation_results_limit": DOCS_INDEX_LIMIT,
                        "view": {"module_name": __name__, "class_name": "CachedIndexPageView"},
                    },
                    "site_section_builders": {
                        section: {"view": {"module_name": __name__, "class_name": "CachedPageView"}}
                        for section in ("expectations", "validations", "profiling")
                    },
                }
            },
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self.context = gx.get_context(project_config=config, mode="ephemeral")
        # An ephemeral context "saves" its whole config as YAML, into a store nothing reads,
        # at each data asset added: 0.2 s of the 0.25 s a process spent making its validations.
        self.context.variables.save = lambda: None
        self.source = self.context.data_sources.add_pandas("raw")
        self._validations: dict[str, tuple[gx.ValidationDefinition, gx.ValidationDefinition]] = {}
        self._deliveries: dict[str, gx.ValidationDefinition] = {}

    def validations(
        self, stream: Stream
    ) -> tuple[gx.ValidationDefinition, gx.ValidationDefinition]:
        """The (events, delivery) validation definitions of a stream, built on first use."""
        if stream.name not in self._validations:
            self._validations[stream.name] = (
                self._validation(f"{stream.name}_events", events_suite(stream)),
                self._validation(f"{stream.name}_delivery", delivery_suite(stream)),
            )
        return self._validations[stream.name]

    def deliveries_validation(self, stream: Stream) -> gx.ValidationDefinition:
        """The validation definition of several deliveries of a stream, built on first use."""
        if stream.name not in self._deliveries:
            self._deliveries[stream.name] = self._validation(
                f"{stream.name}_deliveries", deliveries_suite(stream)
            )
        return self._deliveries[stream.name]

    def _validation(self, asset_name: str, suite: gx.ExpectationSuite) -> gx.ValidationDefinition:
        batch = self.source.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe(
            "batch"
        )
        return self.context.validation_definitions.add(
            gx.ValidationDefinition(
                name=suite.name, data=batch, suite=self.context.suites.add(suite)
            )
        )

    def build_docs(
        self, validations: Sequence[tuple[ExpectationSuiteValidationResult, gx.RunIdentifier]]
    ) -> Path | None:
        """Render these (result, run) and their suites, then the index; the index's path."""
        resources: list = []
        for result, run_id in validations:
            suite_id = ExpectationSuiteIdentifier(name=result.suite_name)
            if suite_id not in resources:
                resources.append(suite_id)
            resources.append(
                ValidationResultIdentifier(
                    expectation_suite_identifier=suite_id,
                    run_id=run_id,
                    batch_identifier=result.batch_id,
                )
            )
        started = time.time()
        try:
            self.context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=resources)
            localise_site(self.site_dir, since=started)
        except Exception:
            # The docs are a view of the verdict: failing to render them must not lose it.
            logger.exception("could not build the Data Docs under %s", self.site_dir)
            return None
        return self.site_dir / "index.html"


def localise_site(site_dir: Path, since: float | None = None) -> None:
    """Point the site's pages (those written since `since`; every page the first time) at the
    assets under <site>/static/vendor/ instead of the CDNs."""
    vendor = site_dir / VENDOR_DIR
    if not vendor.is_dir():
        # another process sharing the docs root may be copying them too
        shutil.copytree(
            DOCS_ASSETS, vendor, ignore=shutil.ignore_patterns("*.md"), dirs_exist_ok=True
        )
        since = None  # pages built before the assets were there
    for page in site_dir.rglob("*.html"):
        if since is not None and page.stat().st_mtime < since - 1:
            continue
        text = page.read_text(encoding="utf-8")
        local = localise_page(text, os.path.relpath(site_dir, page.parent))
        if local != text:
            page.write_text(local, encoding="utf-8")


def localise_page(html: str, to_site_root: str) -> str:
    """A page's CDN scripts, stylesheets and images made relative to the site root
    (`to_site_root`, e.g. `../../..`); tags of assets not kept are dropped."""

    def local(match: re.Match) -> str:
        url = match["url"]
        if url in LOCAL_ASSETS:
            path = f"{to_site_root}/{VENDOR_DIR}/{LOCAL_ASSETS[url]}"
        elif url.startswith(GX_LOGO):
            path = f"{to_site_root}/static/images/logo-long.png"
        elif match["tag"] == "img":
            return match[0]  # left as it is: GX's pages have no other
        else:
            return ""  # vega (charts these pages do not draw), the dark theme
        # a file: page may not load a script fetched with CORS
        before, after = (_SUBRESOURCE_ATTRS.sub("", match[part]) for part in ("before", "after"))
        return f'<{match["tag"]}{before}{match["attr"]}="{path}"{after}>{match["close"] or ""}'

    html = _SITE_STATIC.sub(rf'\1="{to_site_root}/static/', html)
    return _REMOTE_CSS_URL.sub("none", _REMOTE_TAG.sub(local, html))


@cache
def _project(docs_root: Path) -> _Project:
    return _Project(docs_root)


def _describe(
    suite_name: str, outcome: ExpectationValidationResult, sample: str | None = None
) -> str:
    """A line saying which expectation failed, on which column, with what it observed; and
    `sample`, e.g. "sampled 100000 of 1100000 rows", when it saw a sample of the batch."""
    config = outcome.expectation_config
    column = config.kwargs.get("column")
    what = f"{suite_name}: {config.type}" + (f"({column})" if column else "")
    error = _exception_message(outcome.exception_info)
    if error is not None:
        return f"{what} raised: {error}"
    result = outcome.result
    if "observed_value" in result:
        observed = f"observed {result['observed_value']}"
    else:
        examples = ", ".join(str(value) for value in result["partial_unexpected_list"][:5])
        observed = (
            f"{result['unexpected_count']} of {result['element_count']} rows unexpected,"
            f" e.g. {examples}"
        )
    low, high = config.kwargs.get("min_value"), config.kwargs.get("max_value")
    if isinstance(result.get("observed_value"), numbers.Integral):
        # GX keeps an aggregate's bounds as floats: a count's are shown as counts
        low, high = (int(b) if isinstance(b, float) and b.is_integer() else b for b in (low, high))
    if (low, high) != (None, None):
        observed += f" (expected {low} .. {high})"
    if sample is not None:
        observed += f" [{sample}]"
    return f"{what} {observed}"


def _exception_message(info: dict) -> str | None:
    # GX reports an expectation's own error flat, but a failed metric keyed by metric id.
    if info.get("raised_exception"):
        return info["exception_message"]
    nested = [
        detail["exception_message"]
        for detail in info.values()
        if isinstance(detail, dict) and detail.get("raised_exception")
    ]
    return nested[0] if nested else None


def judge(stream: str, deliveries: Iterable[Delivery], docs_root: Path) -> dict:
    """The verdict of a run's check of a stream's deliveries (each as `check_deliveries` judges
    it, the Data Docs built), as plain data: `passed`, `description`, and `metadata` whose
    `rows_validated` and `failures` are Markdown and `data_docs` a path
    (orchestration.checks makes it Dagster's check result)."""
    batch_ids: list[str] = []

    def listed(deliveries: Iterable[Delivery]) -> Iterator[Delivery]:
        for delivery in deliveries:
            batch_ids.append(delivery.batch_id)
            yield delivery

    healths = list(check_deliveries(stream, listed(deliveries), docs_root=docs_root))
    failed: list[str] = []
    coverage: list[str] = []  # per delivery, "all N rows" or "sampled N of M rows"
    for batch_id, health in zip(batch_ids, healths, strict=True):
        failed += [f"{batch_id}: {f}" for f in health.failed]
        coverage.append(f"{batch_id}: {health.coverage}")
    sampled = sum(health.sampled for health in healths)
    docs = build_docs(docs_root, healths)
    metadata = {
        "deliveries": len(batch_ids),
        "sampled_deliveries": sampled,
        "rows_validated": "\n".join(f"- {c}" for c in coverage[:50]),
        "failed_expectations": len(failed),
    }
    if failed:
        metadata["failures"] = "\n".join(f"- {f}" for f in failed[:50])
    if docs is not None:
        metadata["data_docs"] = str(docs)
    description = (
        f"{sampled} of {len(batch_ids)} deliveries validated on a sample of their rows"
        " (row count and quarantined share on all of them); see rows_validated"
    )
    return {"passed": not failed, "description": description if sampled else None,
            "metadata": metadata}  # fmt: skip


def judge_exported(folder: Path, docs_root: Path, tz: str) -> None:
    """Judge the deliveries `batch_rows.export` wrote to `folder` (their rows read back as the
    warehouse's connection in time zone `tz` hands them to pandas) and write the verdicts, by
    stream, to `folder`/batch_rows.VERDICTS."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = {literal(tz)}")

    def deliveries(listed: list[dict]) -> Iterator[Delivery]:
        for d in listed:
            events = con.execute("SELECT * FROM read_parquet(?)", [str(folder / d["file"])]).df()
            yield Delivery(d["batch_id"], events, d["rows"], d["rows_read"], d["quarantined"],
                           d["recent_volumes"])  # fmt: skip

    exported = json.loads((folder / batch_rows.EXPORTED).read_text())
    verdicts = {
        stream: judge(stream, deliveries(listed), docs_root) for stream, listed in exported.items()
    }
    (folder / batch_rows.VERDICTS).write_text(json.dumps(verdicts))


def _end_with(parent: int) -> None:
    """End this process once `parent`, which started it, has ended: its verdicts would have
    nobody to read them (the next run's export removes the folder)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(ORPHANED)


PARENT_POLL_SECONDS = 0.5
ORPHANED = 3  # exit code of a judging process whose run's process ended first


if __name__ == "__main__":  # python -m data_contracts.raw_expectations FOLDER DOCS_ROOT TZ PARENT
    threading.Thread(target=_end_with, args=(int(sys.argv[4]),), daemon=True).start()
    judge_exported(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
