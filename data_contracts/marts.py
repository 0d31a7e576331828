"""Pandera contracts of the marts that BI tools read (schema `marts`, see MARTS.md, version 1.1).

`check_frame` validates a mart's rows, as a pandas DataFrame shaped like `marts.<mart>`, against
the mart's hand-written model in `CONTRACTS`; `check_mart` first reads the rows (one period's,
when given) from DuckDB. Validation is lazy, so a result lists every failed rule, one line each,
naming the rule and the offending rows by their key, e.g.

    in_progress = total - resolved - withdrawn >= 0 fails for portal_id=huyen-bao-yen
    (in_progress=-16, total=40, resolved=50, withdrawn=6)

A rule about the set of rows rather than each row (report_summary must hold certain metrics in
every period) names the rows that are missing, by the same key.

Columns are coerced to the contract's dtypes before the checks run: DuckDB hands pandas a BIGINT
as int64 or as Int64 depending on whether it holds a null, and an all-null VARCHAR as object, so
the contract is about the values (every count an integer, every date a date), not about how the
driver boxed them. The one exception is a timestamp without a time zone, refused as it comes
rather than read as UTC. Columns beyond the contract's are allowed: MARTS.md lets marts add them.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.api.checks import Check
from pandera.config import ValidationDepth, config_context
from pandera.errors import SchemaError, SchemaErrorReason, SchemaErrors
from pandera.pandas import DataFrameModel
from pandera.typing import Series

from ingest.reference import BUNDLED

RATE_TOLERANCE = 1e-9
SCORE_TOLERANCE = 1e-9  # scores are sums of half points, so only float noise is forgiven
MAX_EXAMPLE_IDS = 5
MAX_LISTED_ROWS = 5  # offending rows named per failed rule; the rest are counted

BLOCS = ("government", "party")
SECTIONS = {"government": "I", "party": "II"}  # appendix 01 prints each bloc in its section
COMPONENTS = ("information", "qa", "dossier")  # a scorecard's parts: appendices 01, 02, 03
UNITS = ("count", "rate", "mean")  # a summary figure's unit; a mean has one decimal
DEDUCTION_WORD = unicodedata.normalize("NFC", "trừ")  # "(trừ 2 điểm)": points taken
RESOLVED_CELLS = tuple(
    f"resolved_l{level}_{timeliness}"
    for level in (2, 3, 4)
    for timeliness in ("early", "on_time", "late")
)
ON_TIME_CELLS = tuple(cell for cell in RESOLVED_CELLS if not cell.endswith("_late"))

PORTAL_KEY = ("period_id", "portal_id")  # the appendices and scorecard_portal
BLOC_KEY = ("period_id", "bloc")
SUMMARY_KEY = ("period_id", "metric", "portal_group")
FINDINGS_KEY = ("period_id", "stream", "finding", "portal_id")
DIM_PORTAL_KEY = ("portal_id", "valid_from")
CHANNEL_KEY = ("period_id", "portal_id", "channel", "metric")  # v1.1, channel_metrics
TOPIC_KEY = ("period_id", "topic")  # question_topics
SENTENCE_KEY = ("period_id", "appendix", "bloc")  # report_sentences
SENTENCE_APPENDICES = ("02", "03")
CHANNEL_KINDS = ("flow", "level")
CHANNEL_UNITS = ("count", "rate")

LINEAGE_KEY = ("predecessor_portal_id", "successor_portal_id")
LINEAGE_KINDS = ("merge", "split", "transfer")
# A split's shares are delivered as decimals summing to 1, within what ingest lets through
# (ingest/contract.py, SHARE_RULES).
SHARE_TOLERANCE = 1e-4

# The figures portal_activity compares, each with the windows it is compared with; every
# comparison comes in two readings, restated on today's units and as reported then.
COMPARED = {
    "posts": ("same_period_last_year", "previous_period"),
    "questions_total": ("same_period_last_year",),
    "dossiers_total": ("same_period_last_year",),
}
RESTATED = tuple(f"{figure}_{window}" for figure, windows in COMPARED.items() for window in windows)
AS_REPORTED = tuple(f"{column}_as_reported" for column in RESTATED)
LAST_YEAR_AS_REPORTED = tuple(c for c in AS_REPORTED if "_same_period_last_year" in c)


def _summary_metrics() -> tuple[dict[str, str], ...]:
    """The report's own list of summary figures (the seed `summary_metrics`, which a deployment
    cannot replace): one row per metric and portal group, with its unit."""
    with open(BUNDLED / "summary_metrics.csv", encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


# The (metric, portal_group) rows report_summary must hold in every period, and the unit of each:
# the seed lists them once (MARTS.md's metrics and those the issues added).
SUMMARY_METRICS = _summary_metrics()
REQUIRED_SUMMARY_ROWS = tuple((row["metric"], row["portal_group"]) for row in SUMMARY_METRICS)
SUMMARY_UNITS = {(row["metric"], row["portal_group"]): row["unit"] for row in SUMMARY_METRICS}

# Timestamps are compared as instants; UTC is only how the contract boxes them.
TIMESTAMPTZ = {"dtype_kwargs": {"unit": "us", "tz": "UTC"}}


def _rule(name: str, *columns: str) -> Callable[[Callable], classmethod]:
    """Make the decorated function a dataframe check called `name` that reads `columns`.

    The function takes the coerced frame and returns a row mask, True where the row keeps the
    rule. `columns` are also the values a failure line shows for each offending row.
    """

    def decorate(fn: Callable[[pd.DataFrame], pd.Series]) -> classmethod:
        def check(cls, frame: pd.DataFrame) -> pd.Series | bool:
            if not set(columns) <= set(frame.columns):
                return True  # the missing column is a failure of its own, reported once
            ok = pd.Series(fn(frame), index=frame.index)
            # A null where the contract forbids one is reported once, by that column's
            # not-null check, rather than again by every rule that reads the column.
            schema = cls.to_schema().columns
            not_null = [column for column in columns if not schema[column].nullable]
            ok = ok.mask(frame[not_null].isna().any(axis=1), True)
            return ok.fillna(False).astype(bool)

        check.__name__ = fn.__name__
        # The rule travels as `error`: pandera pops `name` off the shared check info when it
        # builds the first model's schema, so a subclass built later would lose the name.
        return pa.dataframe_check(
            check, error=name, ignore_na=False, statistics={"columns": columns}
        )

    return decorate


def _key_rule(*key: str) -> classmethod:
    """A dataframe check that `key` identifies the rows."""

    @_rule(f"one row per {' + '.join(key)}", *key)
    def key_is_unique(frame: pd.DataFrame) -> pd.Series:
        return ~frame.duplicated(list(key), keep=False)

    return key_is_unique


def _rate_matches(rate: pd.Series, numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Rows whose rate is null exactly when the denominator is 0, and else the counts' ratio."""
    rate = rate.astype("float64")
    denominator = denominator.astype("float64")
    expected = numerator.astype("float64") / denominator
    zero = denominator == 0
    return (zero & rate.isna()) | (~zero & ((rate - expected).abs() <= RATE_TOLERANCE))


def _named(name: str, fn: Callable) -> Callable:
    """fn under `name`: rules made by one helper need distinct names within a model."""
    fn.__name__ = name
    return fn


def _within_rule(column: str, upper: str) -> classmethod:
    """A dataframe check that `column` lies in [0, `upper`], both read from the row.

    A null on either side passes: when the contract allows it, another rule says when it may be.
    """

    def is_within(frame: pd.DataFrame) -> pd.Series:
        value = frame[column].astype("float64")
        top = frame[upper].astype("float64")
        return value.isna() | top.isna() | value.between(0, top)

    return _rule(f"{column} within [0, {upper}]", column, upper)(
        _named(f"{column}_is_within_{upper}", is_within)
    )


def _sum_rule(total: str, parts: Sequence[str], name: str | None = None) -> classmethod:
    """A dataframe check that `total` equals the sum of `parts` in each row."""

    def sums_to_total(frame: pd.DataFrame) -> pd.Series:
        return frame[total] == frame[list(parts)].sum(axis=1)

    rule = name or f"{total} = {' + '.join(parts)}"
    return _rule(rule, total, *parts)(_named(f"parts_sum_to_{total}", sums_to_total))


def _not_empty_rule(column: str) -> classmethod:
    """A dataframe check that the text in `column` is not blank (its nulls are another rule's)."""

    def is_not_empty(frame: pd.DataFrame) -> pd.Series:
        return frame[column].isna() | (frame[column].astype(object).str.strip() != "")

    return _rule(f"{column} is not empty", column)(_named(f"{column}_is_not_empty", is_not_empty))


def _paired_rule(score: str, maximum: str) -> classmethod:
    """A dataframe check that a component's score and maximum are both there or both absent."""

    def is_paired(frame: pd.DataFrame) -> pd.Series:
        return frame[score].isna() == frame[maximum].isna()

    return _rule(f"{score} and {maximum} are both null or both present", score, maximum)(
        _named(f"{score}_is_paired", is_paired)
    )


def _dense_rank_rule(rank: str, by: str, within: str) -> classmethod:
    """A dataframe check that `rank` is the dense rank of `by`, highest first, per period and
    `within` group: ranks 1..k without gaps, equal values sharing a rank, a higher value always
    ranked before a lower. Only the rows whose rank is off are named."""

    def rank_is_dense(frame: pd.DataFrame) -> pd.Series:
        values = frame[by].astype("float64")
        groups = [frame["period_id"], frame[within]]
        expected = values.groupby(groups, dropna=False).rank(method="dense", ascending=False)
        return frame[rank].astype("float64") == expected

    return _rule(
        f"{rank} = dense rank of {by} desc within {within}", "period_id", within, by, rank
    )(_named(f"{rank}_is_dense", rank_is_dense))


def _descending_rule(by: str, *within: str) -> classmethod:
    """A dataframe check that display_order lists the rows by `by`, highest first, per period
    (and `within` group). Ties may be printed in any order. Both rows of an inversion are
    named: a value above an earlier one and a value below a later one."""
    groups = ["period_id", *within]

    def display_order_follows(frame: pd.DataFrame) -> pd.Series:
        ordered = frame.assign(_value=frame[by].astype("float64")).sort_values("display_order")
        grouped = ordered.groupby(groups, dropna=False, sort=False)["_value"]
        lowest_before = grouped.transform(lambda values: values.cummin().shift())
        highest_after = grouped.transform(lambda values: values[::-1].cummax()[::-1].shift(-1))
        inverted = (ordered["_value"] > lowest_before) | (ordered["_value"] < highest_after)
        return ~inverted.reindex(frame.index)

    scope = f" within {', '.join(within)}" if within else ""
    return _rule(f"display_order follows {by} desc{scope}", *groups, "display_order", by)(
        _named(f"display_order_follows_{by}", display_order_follows)
    )


# Rules about the set of rows rather than any one row (a row that should be there and is not).
# Each gives, for its failure line, the missing rows as a frame keyed like the mart.
_MISSING_ROWS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {}


def _rows_present_rule(
    name: str, columns: Sequence[str], missing: Callable[[pd.DataFrame], pd.DataFrame]
) -> classmethod:
    """A dataframe check that `missing(frame)`, which reads `columns`, is empty; the failure
    line names the rows it holds."""
    _MISSING_ROWS[name] = missing

    def check(cls, frame: pd.DataFrame) -> bool:
        if not set(columns) <= set(frame.columns):
            return True  # the missing column is a failure of its own, reported once
        return missing(frame).empty

    check.__name__ = f"{missing.__name__}_is_empty"
    return pa.dataframe_check(check, error=name, ignore_na=False)


class _PeriodMart(DataFrameModel):
    """The columns every per-period mart starts with."""

    period_id: Series[str]
    period_start: Series[pa.Date]
    period_end: Series[pa.Date]

    class Config:
        coerce = True  # see the module docstring

    @_rule("period_start <= period_end", "period_start", "period_end")
    def period_is_ordered(frame: pd.DataFrame) -> pd.Series:
        return frame["period_start"] <= frame["period_end"]


class _AgencyAppendix(_PeriodMart):
    """A report appendix with one printed row per agency and period."""

    display_order: Series[pd.Int64Dtype]
    portal_id: Series[str]
    portal_name: Series[str]
    portal_group: Series[str]

    key_is_unique = _key_rule(*PORTAL_KEY)

    # A permutation of 1..n is exactly n distinct values within 1..n, which names the rows at
    # fault: the one out of range, or both of a repeated pair.
    @_rule("display_order runs 1..n within the period", "period_id", "display_order")
    def display_order_is_gapless(frame: pd.DataFrame) -> pd.Series:
        rows_in_period = frame.groupby("period_id")["display_order"].transform("size")
        repeated = frame.duplicated(["period_id", "display_order"], keep=False)
        return frame["display_order"].between(1, rows_in_period) & ~repeated


class Appendix01Information(_AgencyAppendix):
    """`marts.appendix_01_information`: information provision per scored portal and period."""

    section: Series[str]
    bloc: Series[str] = pa.Field(isin=list(BLOCS))
    scale: Series[float]
    bonus_max: Series[float]
    score_ceiling: Series[float]
    posts: Series[pd.Int64Dtype] = pa.Field(ge=0)
    deductions: Series[float] = pa.Field(ge=0)
    assessment_points: Series[float]  # signed: the board's deductions and bonus
    score: Series[float]
    rank_in_bloc: Series[pd.Int64Dtype]
    note: Series[str]

    class Config:
        name = "marts.appendix_01_information"

    score_is_within = _within_rule("score", "score_ceiling")
    rank_is_dense = _dense_rank_rule("rank_in_bloc", "score", "bloc")
    display_order_follows_score = _descending_rule("score", "section")
    note_is_not_empty = _not_empty_rule("note")

    # A bloc outside BLOCS fails its own rule; it has no section to compare with.
    @_rule("section is I for bloc government, II for bloc party", "section", "bloc")
    def section_matches_bloc(frame: pd.DataFrame) -> pd.Series:
        expected = frame["bloc"].map(SECTIONS)
        return expected.isna() | (frame["section"] == expected)

    @_rule(
        "every section I row comes before every section II row in display_order",
        "period_id",
        "section",
        "display_order",
    )
    def sections_are_in_order(frame: pd.DataFrame) -> pd.Series:
        order = frame["display_order"].astype("float64")
        section_i, section_ii = frame["section"] == "I", frame["section"] == "II"
        period = frame["period_id"]
        last_i = order.where(section_i).groupby(period, dropna=False).transform("max")
        first_ii = order.where(section_ii).groupby(period, dropna=False).transform("min")
        return ~((section_i & (order > first_ii)) | (section_ii & (order < last_i)))

    @_rule("score_ceiling = scale + bonus_max", "score_ceiling", "scale", "bonus_max")
    def ceiling_adds_the_bonus(frame: pd.DataFrame) -> pd.Series:
        expected = frame["scale"] + frame["bonus_max"]
        return (frame["score_ceiling"] - expected).abs() <= SCORE_TOLERANCE

    # A score outside [0, score_ceiling] fails that rule alone, not this one as well.
    @_rule(
        "score = clamp(scale - deductions + assessment_points, 0, score_ceiling)",
        "score",
        "scale",
        "deductions",
        "assessment_points",
        "score_ceiling",
    )
    def score_is_the_clamped_sum(frame: pd.DataFrame) -> pd.Series:
        raw = frame["scale"] - frame["deductions"] + frame["assessment_points"]
        expected = raw.clip(lower=0, upper=frame["score_ceiling"])
        outside = ~frame["score"].between(0, frame["score_ceiling"])
        return outside | ((frame["score"] - expected).abs() <= SCORE_TOLERANCE)

    # Every point taken is explained in the note, in the seed's words "(trừ N điểm)". A bonus
    # can hide a board's deduction in assessment_points; the note still has to say it then,
    # but the contract cannot see it.
    @_rule(
        'note says "trừ" where points were taken (deductions > 0 or assessment_points < 0)',
        "note",
        "deductions",
        "assessment_points",
    )
    def points_taken_are_explained(frame: pd.DataFrame) -> pd.Series:
        taken = (frame["deductions"] > 0) | (frame["assessment_points"] < 0)
        notes = frame["note"].fillna("").map(lambda note: unicodedata.normalize("NFC", note))
        return ~taken | notes.str.casefold().str.contains(DEDUCTION_WORD, regex=False)


class Appendix012NotScored(_AgencyAppendix):
    """`marts.appendix_01_2_not_scored`: portals listed as not scored ("KCĐ"), with activity."""

    registered_on: Series[pa.Date] = pa.Field(nullable=True)
    posts: Series[pd.Int64Dtype] = pa.Field(ge=0)
    # Restated on today's units (1.1): null for a split without shares, which its note says.
    posts_previous_period: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    # Null for a unit that did not exist then.
    posts_previous_period_as_reported: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    previous_period_start: Series[pa.Date]
    previous_period_end: Series[pa.Date]
    note: Series[str]

    class Config:
        name = "marts.appendix_01_2_not_scored"

    note_is_not_empty = _not_empty_rule("note")

    @_rule(
        "previous_period_start <= previous_period_end < period_start",
        "previous_period_start",
        "previous_period_end",
        "period_start",
    )
    def previous_period_comes_before(frame: pd.DataFrame) -> pd.Series:
        return (frame["previous_period_start"] <= frame["previous_period_end"]) & (
            frame["previous_period_end"] < frame["period_start"]
        )


class _ScoredAppendix(_AgencyAppendix):
    """Appendices 02 and 03: each agency's score out of the rubric's top, and why, printed by
    score."""

    score: Series[float]
    score_max: Series[float]
    note: Series[str]

    score_is_within = _within_rule("score", "score_max")
    note_is_not_empty = _not_empty_rule("note")
    display_order_follows_score = _descending_rule("score")


class Appendix02Questions(_ScoredAppendix):
    """`marts.appendix_02_questions`: citizens' questions per agency and period."""

    total: Series[pd.Int64Dtype] = pa.Field(ge=0)
    answered: Series[pd.Int64Dtype] = pa.Field(ge=0)
    waiting_answer: Series[pd.Int64Dtype] = pa.Field(ge=0)
    waiting_acceptance: Series[pd.Int64Dtype] = pa.Field(ge=0)
    deleted: Series[pd.Int64Dtype] = pa.Field(ge=0)
    eligible: Series[pd.Int64Dtype] = pa.Field(ge=0)
    late: Series[pd.Int64Dtype]  # within [0, eligible]: late_is_within
    # the citizens' side (issue 11): the questions their askers rated, and the mean rating
    questions_rated: Series[pd.Int64Dtype]  # within [0, total]: rated_is_within
    rating_mean: Series[float] = pa.Field(nullable=True, in_range={"min_value": 1, "max_value": 5})
    rating_sum: Series[pd.Int64Dtype] = pa.Field(ge=0)

    class Config:
        name = "marts.appendix_02_questions"

    late_is_within = _within_rule("late", "eligible")
    rated_is_within = _within_rule("questions_rated", "total")

    @_rule("rating_mean is null exactly when questions_rated = 0", "questions_rated", "rating_mean")
    def rating_mean_when_rated(frame: pd.DataFrame) -> pd.Series:
        return frame["rating_mean"].isna() == (frame["questions_rated"] == 0)

    @_rule("each rating is 1 to 5: questions_rated <= rating_sum <= 5 * questions_rated",
           "questions_rated", "rating_sum")  # fmt: skip
    def rating_sum_within_scale(frame: pd.DataFrame) -> pd.Series:
        rated = frame["questions_rated"]
        return frame["rating_sum"].between(rated, 5 * rated)

    states_sum_to_total = _sum_rule(
        "total", ("answered", "waiting_answer", "waiting_acceptance", "deleted")
    )

    @_rule("eligible = total - deleted", "eligible", "total", "deleted")
    def eligible_excludes_deleted(frame: pd.DataFrame) -> pd.Series:
        return frame["eligible"] == frame["total"] - frame["deleted"]

    # The rubric's 0 is for an agency that let every eligible question run late; an agency
    # with no question, or with some on time, keeps its points. (A negative score is the
    # range rule's to report.)
    @_rule(
        "score = 0 exactly when every eligible question is late (eligible > 0, late = eligible)",
        "score",
        "eligible",
        "late",
    )
    def score_is_zero_when_all_late(frame: pd.DataFrame) -> pd.Series:
        all_late = (frame["eligible"] > 0) & (frame["late"] == frame["eligible"])
        return (frame["score"] == 0) == all_late


class Appendix03Dossiers(_ScoredAppendix):
    """`marts.appendix_03_dossiers`: dossiers of administrative procedures per agency and period."""

    total: Series[pd.Int64Dtype] = pa.Field(ge=0)
    carried_over: Series[pd.Int64Dtype] = pa.Field(ge=0)
    received_counter: Series[pd.Int64Dtype] = pa.Field(ge=0)
    received_online: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l2_early: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l2_on_time: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l2_late: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l3_early: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l3_on_time: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l3_late: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l4_early: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l4_on_time: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved_l4_late: Series[pd.Int64Dtype] = pa.Field(ge=0)
    resolved: Series[pd.Int64Dtype] = pa.Field(ge=0)
    withdrawn: Series[pd.Int64Dtype] = pa.Field(ge=0)
    # Its sign is part of the in_progress rule, so a negative value fails one rule, not two.
    in_progress: Series[pd.Int64Dtype]
    resolution_rate: Series[float] = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 1}
    )
    on_time_rate: Series[float] = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})

    class Config:
        name = "marts.appendix_03_dossiers"

    sources_sum_to_total = _sum_rule(
        "total", ("carried_over", "received_counter", "received_online")
    )
    cells_sum_to_resolved = _sum_rule(
        "resolved", RESOLVED_CELLS, "resolved = the nine level x timeliness cells"
    )

    @_rule(
        "in_progress = total - resolved - withdrawn >= 0",
        "in_progress",
        "total",
        "resolved",
        "withdrawn",
    )
    def in_progress_is_the_rest(frame: pd.DataFrame) -> pd.Series:
        rest = frame["total"] - frame["resolved"] - frame["withdrawn"]
        return (frame["in_progress"] == rest) & (rest >= 0)

    @_rule(
        "resolution_rate = resolved / total (null exactly when total = 0)",
        "resolution_rate",
        "resolved",
        "total",
    )
    def resolution_rate_matches(frame: pd.DataFrame) -> pd.Series:
        return _rate_matches(frame["resolution_rate"], frame["resolved"], frame["total"])

    @_rule(
        "on_time_rate = (early + on_time) / resolved (null exactly when resolved = 0)",
        "on_time_rate",
        "resolved",
        *ON_TIME_CELLS,
    )
    def on_time_rate_matches(frame: pd.DataFrame) -> pd.Series:
        on_time = frame[list(ON_TIME_CELLS)].sum(axis=1)
        return _rate_matches(frame["on_time_rate"], on_time, frame["resolved"])


COMPONENT_SCORES = tuple(f"{component}_score" for component in COMPONENTS)
COMPONENT_MAXIMA = tuple(f"{component}_max" for component in COMPONENTS)


def _sum_of_present_components(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Per row, the sum of `columns` over the components whose score and maximum are both
    present; a half-present component is the pairing rule's to report, not the totals'."""
    scores = frame[list(COMPONENT_SCORES)].astype("float64").to_numpy()
    maxima = frame[list(COMPONENT_MAXIMA)].astype("float64").to_numpy()
    present = ~np.isnan(scores) & ~np.isnan(maxima)
    values = frame[list(columns)].astype("float64").to_numpy()
    return pd.Series(np.where(present, values, 0.0).sum(axis=1), index=frame.index)


class ScorecardPortal(_PeriodMart):
    """`marts.scorecard_portal`: a portal's three component scores, total and rank, per period."""

    portal_id: Series[str]
    portal_name: Series[str]
    bloc: Series[str] = pa.Field(isin=list(BLOCS))
    scored: Series[pd.BooleanDtype]
    # A component is null, score and max, when the portal is not in that appendix.
    information_score: Series[float] = pa.Field(nullable=True)
    information_max: Series[float] = pa.Field(nullable=True)
    qa_score: Series[float] = pa.Field(nullable=True)
    qa_max: Series[float] = pa.Field(nullable=True)
    dossier_score: Series[float] = pa.Field(nullable=True)
    dossier_max: Series[float] = pa.Field(nullable=True)
    total_score: Series[float]
    total_max: Series[float]
    score_share: Series[float]
    rank_in_bloc: Series[pd.Int64Dtype]

    class Config:
        name = "marts.scorecard_portal"

    key_is_unique = _key_rule(*PORTAL_KEY)
    information_is_paired = _paired_rule("information_score", "information_max")
    qa_is_paired = _paired_rule("qa_score", "qa_max")
    dossier_is_paired = _paired_rule("dossier_score", "dossier_max")
    information_is_within = _within_rule("information_score", "information_max")
    qa_is_within = _within_rule("qa_score", "qa_max")
    dossier_is_within = _within_rule("dossier_score", "dossier_max")
    rank_is_dense = _dense_rank_rule("rank_in_bloc", "score_share", "bloc")

    @_rule("total_score = sum of the present component scores", "total_score", *COMPONENT_SCORES)
    def total_score_is_the_sum(frame: pd.DataFrame) -> pd.Series:
        expected = _sum_of_present_components(frame, COMPONENT_SCORES)
        return (frame["total_score"] - expected).abs() <= SCORE_TOLERANCE

    @_rule("total_max = sum of the present component maxima", "total_max", *COMPONENT_MAXIMA)
    def total_max_is_the_sum(frame: pd.DataFrame) -> pd.Series:
        expected = _sum_of_present_components(frame, COMPONENT_MAXIMA)
        return (frame["total_max"] - expected).abs() <= SCORE_TOLERANCE

    @_rule("score_share = total_score / total_max", "score_share", "total_score", "total_max")
    def score_share_matches(frame: pd.DataFrame) -> pd.Series:
        return _rate_matches(frame["score_share"], frame["total_score"], frame["total_max"])


class ScorecardBloc(_PeriodMart):
    """`marts.scorecard_bloc`: the information scores of a bloc's portals, per period."""

    bloc: Series[str] = pa.Field(isin=list(BLOCS))
    scale: Series[float]
    score_ceiling: Series[float]
    portals: Series[pd.Int64Dtype] = pa.Field(gt=0)
    mean_score: Series[float]
    min_score: Series[float] = pa.Field(ge=0)
    max_score: Series[float]
    stddev_score: Series[float] = pa.Field(nullable=True, ge=0)  # null for a single portal
    portals_at_max: Series[pd.Int64Dtype] = pa.Field(ge=0)
    portals_at_scale: Series[pd.Int64Dtype] = pa.Field(ge=0)
    portals_below_scale: Series[pd.Int64Dtype] = pa.Field(ge=0)
    portals_at_max_names: Series[str]  # '' when none
    portals_below_scale_names: Series[str]
    summary_note: Series[str]

    class Config:
        name = "marts.scorecard_bloc"

    key_is_unique = _key_rule(*BLOC_KEY)

    bands_sum_to_portals = _sum_rule(
        "portals", ("portals_at_max", "portals_at_scale", "portals_below_scale")
    )

    # The mean is computed, so it may sit a hair outside the extremes it lies between.
    @_rule(
        "min_score <= mean_score <= max_score <= score_ceiling",
        "min_score",
        "mean_score",
        "max_score",
        "score_ceiling",
    )
    def scores_are_ordered(frame: pd.DataFrame) -> pd.Series:
        low, mean, high = frame["min_score"], frame["mean_score"], frame["max_score"]
        return (
            (low <= mean + SCORE_TOLERANCE)
            & (mean <= high + SCORE_TOLERANCE)
            & (high <= frame["score_ceiling"])
        )


def _missing_summary_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The REQUIRED_SUMMARY_ROWS that a period of `frame` lacks; all of them when it is empty."""
    periods = frame["period_id"].drop_duplicates().tolist() or [None]
    required = pd.DataFrame(REQUIRED_SUMMARY_ROWS, columns=["metric", "portal_group"])
    expected = pd.DataFrame({"period_id": periods}).merge(required, how="cross")
    present = frame[list(SUMMARY_KEY)].drop_duplicates()
    merged = expected.merge(present, on=list(SUMMARY_KEY), how="left", indicator=True)
    return merged.loc[merged["_merge"] == "left_only", list(SUMMARY_KEY)].reset_index(drop=True)


def _change_rule(change: str, last_year: str) -> classmethod:
    """A dataframe check that `change` is value less `last_year` (null when either is null)."""

    def is_the_difference(frame: pd.DataFrame) -> pd.Series:
        expected = frame["value"] - frame[last_year]
        found = frame[change]
        return (expected.isna() & found.isna()) | ((found - expected).abs() <= RATE_TOLERANCE)

    return _rule(
        f"{change} = value - {last_year} (null when either is null)", change, "value", last_year
    )(_named(f"{change}_is_the_difference", is_the_difference))


def _change_pct_rule(change_pct: str, last_year: str) -> classmethod:
    """A dataframe check that `change_pct` is the change over `last_year` (null when that is 0
    or null). From the values rather than from the change column, so that a wrong change fails
    its own rule alone."""

    def is_the_ratio(frame: pd.DataFrame) -> pd.Series:
        before = frame[last_year]
        defined = frame["value"].notna() & before.notna() & (before != 0)
        expected = (frame["value"] - before) / before.where(defined)
        found = frame[change_pct]
        return (~defined & found.isna()) | (defined & ((found - expected).abs() <= RATE_TOLERANCE))

    change = change_pct.replace("change_pct", "change")
    return _rule(
        f"{change_pct} = {change} / {last_year} (null when that is 0 or null)",
        change_pct,
        "value",
        last_year,
    )(_named(f"{change_pct}_is_the_ratio", is_the_ratio))


SUMMARY_VALUES = ("value", "value_same_period_last_year", "value_same_period_last_year_as_reported")


class ReportSummary(_PeriodMart):
    """`marts.report_summary`: the figures the report's text quotes, against the same period
    of the year before, per metric and portal group. Last year's figure comes in two readings:
    restated on the units in force at the period's end (`value_same_period_last_year`, which
    `change` and `change_pct` compare with) and as reported then (`..._as_reported`)."""

    display_order: Series[pd.Int64Dtype]
    metric: Series[str]
    portal_group: Series[str]
    label_vi: Series[str]
    unit: Series[str] = pa.Field(isin=list(UNITS))
    value: Series[float] = pa.Field(nullable=True)  # a rate's is null on a 0 denominator
    value_same_period_last_year: Series[float] = pa.Field(nullable=True)
    change: Series[float] = pa.Field(nullable=True)
    change_pct: Series[float] = pa.Field(nullable=True)
    value_same_period_last_year_as_reported: Series[float] = pa.Field(nullable=True)
    change_as_reported: Series[float] = pa.Field(nullable=True)
    change_pct_as_reported: Series[float] = pa.Field(nullable=True)
    is_restated: Series[pd.BooleanDtype] = pa.Field(nullable=True)  # null: a reading is missing
    same_period_start: Series[pa.Date]
    same_period_end: Series[pa.Date]

    class Config:
        name = "marts.report_summary"

    key_is_unique = _key_rule(*SUMMARY_KEY)
    required_rows_are_present = _rows_present_rule(
        "every period holds the metric x portal_group rows MARTS.md requires",
        SUMMARY_KEY,
        _missing_summary_rows,
    )
    change_is_the_difference = _change_rule("change", "value_same_period_last_year")
    change_pct_is_the_ratio = _change_pct_rule("change_pct", "value_same_period_last_year")
    change_as_reported_is_the_difference = _change_rule(
        "change_as_reported", "value_same_period_last_year_as_reported"
    )
    change_pct_as_reported_is_the_ratio = _change_pct_rule(
        "change_pct_as_reported", "value_same_period_last_year_as_reported"
    )

    @_rule(
        "is_restated says whether the two readings of last year differ",
        "is_restated",
        "value_same_period_last_year",
        "value_same_period_last_year_as_reported",
    )
    def is_restated_matches(frame: pd.DataFrame) -> pd.Series:
        restated = frame["value_same_period_last_year"]
        reported = frame["value_same_period_last_year_as_reported"]
        both = restated.notna() & reported.notna()
        differ = ~both & (restated.notna() | reported.notna())
        differ |= both & ((restated - reported).abs() > RATE_TOLERANCE)
        flag = frame["is_restated"]
        # null where a reading is missing (SQL's `!=`); said outright is fine too
        return (flag.isna() & ~both) | (flag.notna() & (flag.astype("boolean") == differ))

    @_rule("unit is the one summary_metrics.csv gives the row", "metric", "portal_group", "unit")
    def unit_is_the_seeds(frame: pd.DataFrame) -> pd.Series:
        rows = zip(frame["metric"], frame["portal_group"], strict=True)
        expected = pd.Series([SUMMARY_UNITS.get(row) for row in rows], index=frame.index)
        unknown = ~frame["unit"].isin(UNITS)  # the rule on UNITS says so, not this one
        return expected.isna() | unknown | (frame["unit"] == expected)

    # A unit outside UNITS fails its own rule, and none of these.
    @_rule(
        "a count is a non-negative integer (last year's readings may be null, and a channel's"
        " figure when nothing was measured)",
        "metric",
        "unit",
        *SUMMARY_VALUES,
    )
    def counts_are_whole(frame: pd.DataFrame) -> pd.Series:
        def whole(values: pd.Series) -> pd.Series:
            return (values >= 0) & (values % 1 == 0)

        # report_summary names the channels' rows channel_<channel>_<metric>: a measurement
        unmeasured = frame["metric"].str.startswith("channel_") & frame["value"].isna()
        valid = whole(frame["value"]) | unmeasured
        for last_year in SUMMARY_VALUES[1:]:
            valid &= frame[last_year].isna() | whole(frame[last_year])
        return (frame["unit"] != "count") | valid

    @_rule(
        "a rate is within [0, 1] or null (value and last year's readings)", "unit", *SUMMARY_VALUES
    )
    def rates_are_fractions(frame: pd.DataFrame) -> pd.Series:
        columns = frame[list(SUMMARY_VALUES)]
        valid = (columns.isna() | ((columns >= 0) & (columns <= 1))).all(axis=1)
        return (frame["unit"] != "rate") | valid

    # The one mean so far is of the askers' 1-5 ratings; null when nobody rated.
    @_rule("a mean is non-negative or null (value and last year's readings)", "unit",
           *SUMMARY_VALUES)  # fmt: skip
    def means_are_not_negative(frame: pd.DataFrame) -> pd.Series:
        columns = frame[list(SUMMARY_VALUES)]
        return (frame["unit"] != "mean") | (columns.isna() | (columns >= 0)).all(axis=1)


def _has_items(values: pd.Series) -> pd.Series:
    """Rows whose list column holds at least one item (DuckDB hands pandas numpy arrays)."""
    return values.map(lambda v: isinstance(v, list | tuple | np.ndarray) and len(v) > 0).astype(
        bool
    )


def _same_or_both_null(left: pd.Series, right: pd.Series) -> pd.Series:
    return (left.isna() & right.isna()) | (left == right).fillna(False).astype(bool)


class PortalActivity(_PeriodMart):
    """`marts.portal_activity` (1.1): each unit in force at the period's end, and each unit
    active in the period and retired by its end, with its posts, questions and dossiers against
    the same period last year (and its posts against the period just before), read two ways:
    restated on the units in force at the period's end (a merger sums its predecessors, a split
    takes its share; a split without shares is not restated) and as reported by the units of the
    time (null for a unit that did not exist then)."""

    portal_id: Series[str]
    portal_name: Series[str]
    portal_group: Series[str]
    reporting_group: Series[str]
    is_in_force: Series[pd.BooleanDtype]
    retired_on: Series[pa.Date] = pa.Field(nullable=True)
    posts: Series[pd.Int64Dtype] = pa.Field(ge=0)
    posts_same_period_last_year: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    posts_same_period_last_year_as_reported: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    posts_previous_period: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    posts_previous_period_as_reported: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    questions_total: Series[pd.Int64Dtype] = pa.Field(ge=0)
    questions_total_same_period_last_year: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    questions_total_same_period_last_year_as_reported: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0
    )
    dossiers_total: Series[pd.Int64Dtype] = pa.Field(ge=0)
    dossiers_total_same_period_last_year: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    dossiers_total_same_period_last_year_as_reported: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0
    )
    provides_english: Series[pd.BooleanDtype]
    predecessor_portal_ids: Series[object] = pa.Field(nullable=True)  # VARCHAR[]
    successor_portal_ids: Series[object] = pa.Field(nullable=True)
    is_restatable: Series[pd.BooleanDtype]
    lineage_note: Series[str] = pa.Field(nullable=True)

    class Config:
        name = "marts.portal_activity"

    key_is_unique = _key_rule(*PORTAL_KEY)
    lineage_note_is_not_empty = _not_empty_rule("lineage_note")

    @_rule(
        "is_in_force exactly when retired_on is null or after period_end",
        "is_in_force",
        "retired_on",
        "period_end",
    )
    def in_force_until_retired(frame: pd.DataFrame) -> pd.Series:
        retired = (frame["retired_on"] <= frame["period_end"]).fillna(False).astype(bool)
        return frame["is_in_force"].astype(bool) == ~retired

    # EVENTS.md 1.1: a split without shares is not restated, its successors' earlier figure is
    # null; every other unit of today has one (0 when neither it nor a predecessor existed).
    @_rule(
        "a restated comparison of a unit in force is null exactly where is_restatable is false",
        "is_in_force",
        "is_restatable",
        *RESTATED,
    )
    def restated_unless_unrestatable(frame: pd.DataFrame) -> pd.Series:
        missing = frame[list(RESTATED)].isna()
        restatable = frame["is_restatable"].astype(bool)
        return (
            ~frame["is_in_force"].astype(bool)
            | (restatable & ~missing.any(axis=1))
            | (~restatable & missing.all(axis=1))
        )

    # A unit retired by the period's end is not one of today's: it keeps its own row, figures
    # and comparisons, and its history counts again with its successors'.
    @_rule(
        "a retired unit keeps its own figures (restated = as reported)",
        "is_in_force",
        *RESTATED,
        *AS_REPORTED,
    )
    def retired_keeps_its_own(frame: pd.DataFrame) -> pd.Series:
        same = pd.Series(True, index=frame.index)
        for restated, reported in zip(RESTATED, AS_REPORTED, strict=True):
            same &= _same_or_both_null(frame[restated], frame[reported])
        return frame["is_in_force"].astype(bool) | same

    # A missing restated figure is the rule above's to report, not this one's as well.
    @_rule(
        "a unit in force without predecessors is compared with its own figures"
        " (restated = as reported, 0 where it did not exist then)",
        "is_in_force",
        "predecessor_portal_ids",
        *RESTATED,
        *AS_REPORTED,
    )
    def own_figures_without_predecessors(frame: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=frame.index)
        for restated, reported in zip(RESTATED, AS_REPORTED, strict=True):
            same = frame[restated] == frame[reported].fillna(0)
            ok &= frame[restated].isna() | same.fillna(False).astype(bool)
        own = frame["is_in_force"].astype(bool) & ~_has_items(frame["predecessor_portal_ids"])
        return ~own | ok

    @_rule(
        "is_restatable is false only for a unit with predecessors (a split without shares)",
        "is_restatable",
        "predecessor_portal_ids",
    )
    def unrestatable_has_predecessors(frame: pd.DataFrame) -> pd.Series:
        return frame["is_restatable"].astype(bool) | _has_items(frame["predecessor_portal_ids"])

    # As reported, a figure is missing only for a unit that did not exist then; existing is the
    # unit's, not a stream's, so a window's figures are there or missing together.
    @_rule(
        "the as-reported figures of the same period last year are null together"
        " (the unit did not exist then)",
        *LAST_YEAR_AS_REPORTED,
    )
    def last_year_missing_together(frame: pd.DataFrame) -> pd.Series:
        missing = frame[list(LAST_YEAR_AS_REPORTED)].isna().sum(axis=1)
        return (missing == 0) | (missing == len(LAST_YEAR_AS_REPORTED))

    # The period just before ends after last year's window (in every kind of period) and before
    # this one begins: a unit that did not exist then did not exist a year before either.
    @_rule(
        "a unit with no as-reported figure for the period just before has none for the same"
        " period last year",
        "posts_previous_period_as_reported",
        "posts_same_period_last_year_as_reported",
    )
    def missing_before_missing_last_year(frame: pd.DataFrame) -> pd.Series:
        return (
            frame["posts_previous_period_as_reported"].notna()
            | frame["posts_same_period_last_year_as_reported"].isna()
        )

    @_rule(
        "a unit retired by period_end or with predecessors has a lineage_note",
        "is_in_force",
        "predecessor_portal_ids",
        "lineage_note",
    )
    def reorganised_units_are_explained(frame: pd.DataFrame) -> pd.Series:
        reorganised = ~frame["is_in_force"].astype(bool) | _has_items(
            frame["predecessor_portal_ids"]
        )
        return ~reorganised | frame["lineage_note"].notna()


class DataQualityFindings(_PeriodMart):
    """`marts.data_quality_findings`: events the marts could not place, by finding and period."""

    stream: Series[str]
    # Not an enumeration: new findings may be added without a new contract version.
    finding: Series[str]
    portal_id: Series[str] = pa.Field(nullable=True)
    count: Series[pd.Int64Dtype] = pa.Field(gt=0)
    example_ids: Series[object]  # VARCHAR[]: DuckDB hands pandas numpy arrays

    class Config:
        name = "marts.data_quality_findings"

    key_is_unique = _key_rule(*FINDINGS_KEY)

    @pa.check(
        "example_ids",
        element_wise=True,
        error=f"example_ids lists 1 to {MAX_EXAMPLE_IDS} event ids",
    )
    def example_ids_are_a_few(cls, ids: object) -> bool:
        return (
            isinstance(ids, list | tuple | np.ndarray)
            and 1 <= len(ids) <= MAX_EXAMPLE_IDS
            and all(isinstance(event_id, str) and event_id for event_id in ids)
        )


class ChannelMetrics(_PeriodMart):
    """`marts.channel_metrics` (1.1): each channel metric of each portal for the period and the
    same period last year; a flow summed over the windows inside the period, a level read at
    its end. A value is null when nothing was measured."""

    portal_id: Series[str]
    channel: Series[str]
    metric: Series[str]
    kind: Series[str] = pa.Field(isin=list(CHANNEL_KINDS))
    unit: Series[str] = pa.Field(isin=list(CHANNEL_UNITS))
    label_vi: Series[str]
    value: Series[float] = pa.Field(nullable=True, ge=0)
    value_same_period_last_year: Series[float] = pa.Field(nullable=True, ge=0)
    change: Series[float] = pa.Field(nullable=True)
    change_pct: Series[float] = pa.Field(nullable=True)
    windows_summed: Series[pd.Int64Dtype] = pa.Field(nullable=True, gt=0)
    read_on: Series[pa.Date] = pa.Field(nullable=True)
    same_period_start: Series[pa.Date]
    same_period_end: Series[pa.Date]

    class Config:
        name = "marts.channel_metrics"

    key_is_unique = _key_rule(*CHANNEL_KEY)
    change_is_the_difference = _change_rule("change", "value_same_period_last_year")
    change_pct_is_the_ratio = _change_pct_rule("change_pct", "value_same_period_last_year")

    @_rule("a rate is within [0, 1] or null (value and last year's)", "unit", "value",
           "value_same_period_last_year")  # fmt: skip
    def rates_are_fractions(frame: pd.DataFrame) -> pd.Series:
        columns = frame[["value", "value_same_period_last_year"]]
        return (frame["unit"] != "rate") | (columns.isna() | (columns <= 1)).all(axis=1)

    @_rule("a flow sums windows (windows_summed, no read_on), a level is read on or before"
           " period_end (read_on, no windows_summed)", "kind", "windows_summed", "read_on",
           "period_end", "value")  # fmt: skip
    def flows_and_levels_are_read_as_such(frame: pd.DataFrame) -> pd.Series:
        flow = frame["kind"] == "flow"
        measured = frame["value"].notna()
        summed = frame["windows_summed"].notna()
        read = frame["read_on"].notna()
        before_end = (frame["read_on"] <= frame["period_end"]).fillna(False).astype(bool)
        flow_ok = ~read & (summed == measured)
        level_ok = ~summed & (read == measured) & (~read | before_end)
        return (flow & flow_ok) | (~flow & level_ok)


class QuestionTopics(_PeriodMart):
    """`marts.question_topics` (issue 11): the topics of the questions submitted in the period,
    most asked first, against the same period last year (null before the stream begins)."""

    topic: Series[str]
    topic_label_vi: Series[str]  # seeds/topics.csv's name, else the code as delivered
    questions: Series[pd.Int64Dtype] = pa.Field(gt=0)
    questions_same_period_last_year: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    rank: Series[pd.Int64Dtype] = pa.Field(ge=1)

    class Config:
        name = "marts.question_topics"

    key_is_unique = _key_rule(*TOPIC_KEY)

    @_rule("rank runs 1..n within the period, most asked first", "period_id", "rank",
           "questions")  # fmt: skip
    def rank_follows_questions(frame: pd.DataFrame) -> pd.Series:
        rows_in_period = frame.groupby("period_id")["rank"].transform("size")
        repeated = frame.duplicated(["period_id", "rank"], keep=False)
        ordered = frame.sort_values(["period_id", "rank"])
        more_before = ordered.groupby("period_id")["questions"].diff().fillna(0) <= 0
        return frame["rank"].between(1, rows_in_period) & ~repeated & more_before


class ReportSentences(_PeriodMart):
    """`marts.report_sentences` (issue 11): the sentence the report quotes of appendices 02 and
    03 ("21/37 cơ quan, đơn vị ... đạt 17 điểm"), one per appendix and bloc (`all`: both score
    every agency on one scale); appendix 01's is scorecard_bloc.summary_note."""

    appendix: Series[str] = pa.Field(isin=list(SENTENCE_APPENDICES))
    bloc: Series[str] = pa.Field(isin=[*BLOCS, "all"])
    sentence_vi: Series[str]

    class Config:
        name = "marts.report_sentences"

    key_is_unique = _key_rule(*SENTENCE_KEY)
    sentence_is_not_empty = _not_empty_rule("sentence_vi")


class DimPortal(DataFrameModel):
    """`marts.dim_portal`: each portal's attributes over its validity intervals (not per period)."""

    portal_id: Series[str]
    name: Series[str]
    portal_group: Series[str]
    bloc: Series[str] = pa.Field(isin=list(BLOCS))
    scored: Series[pd.BooleanDtype]
    parent_portal_id: Series[str] = pa.Field(nullable=True)
    valid_from: Series[pd.DatetimeTZDtype] = pa.Field(**TIMESTAMPTZ)
    valid_to: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **TIMESTAMPTZ)  # null = open
    is_current: Series[pd.BooleanDtype]

    class Config:
        name = "marts.dim_portal"
        coerce = True  # see the module docstring

    key_is_unique = _key_rule(*DIM_PORTAL_KEY)

    @_rule("valid_to is null or after valid_from", "valid_from", "valid_to")
    def interval_is_ordered(frame: pd.DataFrame) -> pd.Series:
        return frame["valid_to"].isna() | (frame["valid_to"] > frame["valid_from"])

    @_rule("at most one is_current row per portal_id", "portal_id", "is_current")
    def one_current_row(frame: pd.DataFrame) -> pd.Series:
        current = frame["is_current"].astype(bool)
        return ~current | (current.groupby(frame["portal_id"]).transform("sum") <= 1)

    # Pairwise within each portal: a portal has a handful of intervals, and unlike a sweep over
    # sorted starts this names every row of every overlapping pair.
    @_rule(
        "validity intervals of a portal_id do not overlap", "portal_id", "valid_from", "valid_to"
    )
    def intervals_are_disjoint(frame: pd.DataFrame) -> pd.Series:
        rows = frame[["portal_id", "valid_from", "valid_to"]].reset_index(names="row")
        pairs = rows.merge(rows, on="portal_id", suffixes=("", "_other"))
        pairs = pairs[pairs["row"] != pairs["row_other"]]
        overlapping = (
            pairs["valid_to_other"].isna() | (pairs["valid_from"] < pairs["valid_to_other"])
        ) & (pairs["valid_to"].isna() | (pairs["valid_from_other"] < pairs["valid_to"]))
        return ~frame.index.isin(pairs.loc[overlapping, "row"])


class PortalLineage(DataFrameModel):
    """`marts.portal_lineage` (1.1): the dated lineage of reorganised units, one row per
    predecessor and successor, from either side of the registry (not per period). `share` is the
    part of the predecessor's history the successor takes over; null for a split without
    shares, which is not restated. A pair only one side named, when the other side named
    someone else, is not agreed (a data-quality finding) and no restatement follows it."""

    predecessor_portal_id: Series[str]
    successor_portal_id: Series[str]
    effective_on: Series[pa.Date]
    share: Series[float] = pa.Field(nullable=True)
    kind: Series[str] = pa.Field(isin=list(LINEAGE_KINDS))
    named_by_predecessor: Series[pd.BooleanDtype]
    named_by_successor: Series[pd.BooleanDtype]
    is_agreed: Series[pd.BooleanDtype]

    class Config:
        name = "marts.portal_lineage"
        coerce = True  # see the module docstring

    key_is_unique = _key_rule(*LINEAGE_KEY)

    @_rule("share in (0, 1] or null", "share")
    def share_is_a_part(frame: pd.DataFrame) -> pd.Series:
        share = frame["share"]
        return share.isna() | ((share > 0) & (share <= 1))

    @_rule(
        "predecessor_portal_id differs from successor_portal_id (a rename keeps its id)",
        "predecessor_portal_id",
        "successor_portal_id",
    )
    def not_its_own_predecessor(frame: pd.DataFrame) -> pd.Series:
        return frame["predecessor_portal_id"] != frame["successor_portal_id"]

    @_rule(
        "a pair is named by its predecessor, its successor or both",
        "named_by_predecessor",
        "named_by_successor",
    )
    def named_by_a_side(frame: pd.DataFrame) -> pd.Series:
        return frame["named_by_predecessor"].astype(bool) | frame["named_by_successor"].astype(bool)

    # A single successor takes the whole history; only a split may leave its shares unsaid.
    @_rule(
        "share is null only where a predecessor has several agreed successors (a split)",
        "predecessor_portal_id",
        "is_agreed",
        "share",
    )
    def share_known_unless_split(frame: pd.DataFrame) -> pd.Series:
        agreed = frame["is_agreed"].astype(bool)
        successors = agreed.groupby(frame["predecessor_portal_id"]).transform("sum")
        return ~agreed | frame["share"].notna() | (successors > 1)

    # Only the agreed rows: a restatement follows those alone. A failure names the rows of the
    # predecessor whose shares do not add up.
    @_rule(
        "the known shares of a predecessor's agreed successors sum to at most 1"
        " (to 1 when all are known)",
        "predecessor_portal_id",
        "is_agreed",
        "share",
    )
    def shares_add_up(frame: pd.DataFrame) -> pd.Series:
        agreed = frame["is_agreed"].astype(bool)
        by = frame["predecessor_portal_id"]
        total = frame["share"].where(agreed).groupby(by).transform("sum")
        all_known = (~agreed | frame["share"].notna()).groupby(by).transform("all")
        fits = (total <= 1 + SHARE_TOLERANCE) & (
            ~all_known | ((total - 1).abs() <= SHARE_TOLERANCE)
        )
        return ~agreed | fits

    # On the agreed rows: a split is 1 -> N, a merge N -> 1, a transfer 1 -> 1; a row that is
    # both (a part of a split merged with another unit) may be called either.
    @_rule(
        "kind is split for a predecessor with several agreed successors, merge for a successor"
        " with several agreed predecessors, else transfer",
        "predecessor_portal_id",
        "successor_portal_id",
        "is_agreed",
        "kind",
    )
    def kind_follows_the_pairs(frame: pd.DataFrame) -> pd.Series:
        agreed = frame["is_agreed"].astype(bool)
        splits = agreed.groupby(frame["predecessor_portal_id"]).transform("sum") > 1
        merges = agreed.groupby(frame["successor_portal_id"]).transform("sum") > 1
        kind = frame["kind"]
        unknown = ~kind.isin(LINEAGE_KINDS)  # the rule on LINEAGE_KINDS says so, not this one
        expected = unknown | (
            ((kind == "split") & splits)
            | ((kind == "merge") & merges)
            | ((kind == "transfer") & ~splits & ~merges)
        )
        return ~agreed | expected


CONTRACTS: dict[str, type[DataFrameModel]] = {
    "appendix_01_information": Appendix01Information,
    "appendix_01_2_not_scored": Appendix012NotScored,
    "appendix_02_questions": Appendix02Questions,
    "appendix_03_dossiers": Appendix03Dossiers,
    "scorecard_portal": ScorecardPortal,
    "scorecard_bloc": ScorecardBloc,
    "report_summary": ReportSummary,
    "data_quality_findings": DataQualityFindings,
    "portal_activity": PortalActivity,
    "dim_portal": DimPortal,
    "portal_lineage": PortalLineage,
    "channel_metrics": ChannelMetrics,
    "question_topics": QuestionTopics,
    "report_sentences": ReportSentences,
}
_KEYS = {
    "appendix_01_information": PORTAL_KEY,
    "appendix_01_2_not_scored": PORTAL_KEY,
    "appendix_02_questions": PORTAL_KEY,
    "appendix_03_dossiers": PORTAL_KEY,
    "scorecard_portal": PORTAL_KEY,
    "scorecard_bloc": BLOC_KEY,
    "report_summary": SUMMARY_KEY,
    "data_quality_findings": FINDINGS_KEY,
    "portal_activity": PORTAL_KEY,
    "dim_portal": DIM_PORTAL_KEY,
    "portal_lineage": LINEAGE_KEY,
    "channel_metrics": CHANNEL_KEY,
    "question_topics": TOPIC_KEY,
    "report_sentences": SENTENCE_KEY,
}


@dataclass(frozen=True)
class ContractResult:
    mart: str
    period_id: str | None  # None when the rows were not one period's, or the mart has no periods
    rows: int
    failures: tuple[str, ...]  # one line per failed rule: the rule, the offending rows by key

    @property
    def passed(self) -> bool:
        return not self.failures

    def message(self) -> str:
        """One line for logs and asset check descriptions."""
        head = self.mart if self.period_id is None else f"{self.mart} {self.period_id}"
        if self.passed:
            return f"{head}: {self.rows} rows pass the contract"
        count = len(self.failures)
        rules = "rule" if count == 1 else "rules"
        return f"{head}: {count} {rules} failed: " + "; ".join(self.failures)


def check_frame(mart: str, frame: pd.DataFrame, period_id: str | None = None) -> ContractResult:
    """Validate a mart's rows; period_id only labels the result, it does not filter the rows."""
    model = _model(mart)
    if period_id is not None and not _has_periods(model):
        period_id = None
    # Failure cases name rows by index label: a fresh 0..n-1 index makes the labels unambiguous.
    rows = frame.reset_index(drop=True)
    # Forced on: an environment that turns pandera off, or down to schema-only checks, for speed
    # elsewhere must not turn a blocking contract into one that always passes.
    with config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA):
        try:
            model.validate(rows, lazy=True)
        except SchemaErrors as errors:
            failures = _failures(mart, rows, errors, period_id)
        else:
            failures = ()
    failures = _naive_timestamps(model, rows) + failures
    return ContractResult(mart=mart, period_id=period_id, rows=len(rows), failures=failures)


def check_mart(
    con: duckdb.DuckDBPyConnection, mart: str, period_id: str | None = None
) -> ContractResult:
    """Check `marts.<mart>`: only period_id's rows when given and the mart has periods."""
    model = _model(mart)
    relation = f"marts.{mart}"  # mart is a key of CONTRACTS, so safe to put in the SQL
    if period_id is not None and not _has_periods(model):
        period_id = None
    try:
        columns = [c[0] for c in con.execute(f"select * from {relation} limit 0").description]
    except duckdb.CatalogException:
        return ContractResult(mart, period_id, 0, (f"table {relation} is missing",))
    if period_id is not None and "period_id" in columns:
        query = con.execute(f"select * from {relation} where period_id = ?", [period_id])
    else:
        # Without a period_id column the whole table is checked, which fails on that column.
        query = con.execute(f"select * from {relation}")
    return check_frame(mart, query.df(), period_id)


def _model(mart: str) -> type[DataFrameModel]:
    if mart not in CONTRACTS:
        raise ValueError(f"no contract for mart {mart!r}; expected one of {sorted(CONTRACTS)}")
    return CONTRACTS[mart]


def _has_periods(model: type[DataFrameModel]) -> bool:
    return "period_id" in model.to_schema().columns


# How a failure line spells pandera's built-in checks used above, from the check's statistics.
_BUILTIN_RULES = {
    "greater_than": "{column} > {min_value}",
    "greater_than_or_equal_to": "{column} >= {min_value}",
    "in_range": "{column} in [{min_value}, {max_value}]",
    "isin": "{column} in {{{allowed_values}}}",
}


@dataclass
class _Failure:
    columns: tuple[str, ...]  # the values shown for each offending row
    rows: dict[Hashable, None]  # offending row labels, in order, without repeats
    note: str = ""  # said when no row explains the failure, e.g. a wrong column dtype


def _failures(
    mart: str, frame: pd.DataFrame, errors: SchemaErrors, period_id: str | None
) -> tuple[str, ...]:
    """One line per failed rule, in pandera's order, from its lazily collected errors."""
    schema = CONTRACTS[mart].to_schema().columns
    # The key names each row; a period's result says its period once, in the message.
    key = [c for c in _KEYS[mart] if period_id is None or c != "period_id"]
    shown = _shown_values(frame, errors.data)
    missing: list[str] = []
    found: dict[str, _Failure] = {}
    for error in errors.schema_errors:
        column = _column(error)
        reason = error.reason_code
        rows = _rows(error.failure_cases)
        note = ""
        if reason is SchemaErrorReason.COLUMN_NOT_IN_DATAFRAME:
            missing.append(column or error.failure_cases)  # pandera gives the name as the case
            continue
        if reason is SchemaErrorReason.SERIES_CONTAINS_NULLS:
            rule, columns = f"{column} is not null", (column,)
        elif reason in (SchemaErrorReason.WRONG_DATATYPE, SchemaErrorReason.DATATYPE_COERCION):
            # One rule however pandera splits it (a failed coercion, then the wrong dtype).
            dtype = schema[column].dtype
            rule, columns = f"{column} has type {dtype}", (column,)
            rows = rows or _uncoercible(frame[column], dtype)
            note = "" if rows else f"the column is {frame[column].dtype}"
        elif isinstance(error.check, Check):
            rule = _rule_name(error.check, column)
            columns = tuple(error.check.statistics.get("columns", (column,)))
            if reason is SchemaErrorReason.CHECK_ERROR:
                rows, note = [], f"could not be evaluated ({_first_line(error)})"
            elif rule in _MISSING_ROWS:
                note = _missing_note(_MISSING_ROWS[rule](shown), key)
        else:
            rule, columns = _first_line(error), ()
        failure = found.setdefault(rule, _Failure(columns=columns, rows={}, note=note))
        failure.rows.update(dict.fromkeys(rows))
    lines = [_line(rule, failure, shown, key, _KEYS[mart]) for rule, failure in found.items()]
    if missing:
        lines.insert(0, "required columns are missing: " + ", ".join(missing))
    return tuple(lines)


def _missing_note(missing: pd.DataFrame, key: Sequence[str]) -> str:
    """`missing metric=posts portal_group=district, ...`: absent rows named like present ones."""
    if missing["period_id"].isna().all():
        key = [c for c in key if c != "period_id"]  # the rows had no period at all
    named = [
        _describe(row, key, (), label) for label, row in missing.head(MAX_LISTED_ROWS).iterrows()
    ]
    note = "missing " + ", ".join(named)
    if len(missing) > MAX_LISTED_ROWS:
        note += f" and {len(missing) - MAX_LISTED_ROWS} more"
    return note


def _shown_values(frame: pd.DataFrame, coerced: object) -> pd.DataFrame:
    """The values to print: as the rules saw them, coerced (late=6, not the 6.0 of a column
    with nulls), but timestamps in the zone they came in rather than the contract's UTC."""
    if not isinstance(coerced, pd.DataFrame) or not coerced.index.equals(frame.index):
        return frame
    aware = [c for c in frame if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    return coerced.assign(**{c: frame[c] for c in aware})


def _naive_timestamps(model: type[DataFrameModel], frame: pd.DataFrame) -> tuple[str, ...]:
    """A failure for each TIMESTAMPTZ column that arrives without a time zone.

    Coercion would read such a column (DuckDB's TIMESTAMP) as UTC, 7 hours off local time, so
    this is decided on the rows as they came, before pandera coerces them.
    """
    return tuple(
        f"{name} has a time zone (TIMESTAMPTZ) fails: the column is {frame[name].dtype}"
        for name, column in model.to_schema().columns.items()
        if isinstance(column.dtype.type, pd.DatetimeTZDtype)
        and name in frame
        and pd.api.types.is_datetime64_dtype(frame[name])
        and getattr(frame[name].dtype, "tz", None) is None
    )


def _column(error: SchemaError) -> str | None:
    # A failed coercion names its column only through the schema component that raised it.
    if error.column_name is None and isinstance(error.schema, pa.Column):
        return error.schema.name
    return error.column_name


def _rule_name(check: Check, column: str | None) -> str:
    template = _BUILTIN_RULES.get(check.name)
    if template is None:
        return check.error or check.name  # this module's checks carry their rule as `error`
    values = {
        name: ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        for name, value in check.statistics.items()
    }
    return template.format(column=column, **values)


def _rows(cases: object) -> list[Hashable]:
    """The row labels in pandera's failure cases, when they name any."""
    if not isinstance(cases, pd.DataFrame) or "index" not in cases:
        return []
    return sorted({int(label) for label in cases["index"].dropna()})


def _uncoercible(values: pd.Series, dtype: pa.DataType) -> list[Hashable]:
    """Labels of the values that cannot be read as dtype.

    pandera looks for them by coercing value by value with the dtype's scalar type, which takes
    what the column's coercion rejects (np.int64(7.5) is 7), so for Int64 it names no row.
    """
    bad = []
    for label, value in values.items():
        if _is_null(value):
            continue
        try:
            dtype.coerce(pd.Series([value], dtype=object))
        except (TypeError, ValueError):
            bad.append(label)
    return bad


def _line(
    rule: str,
    failure: _Failure,
    frame: pd.DataFrame,
    key: Sequence[str],
    hidden: Sequence[str],
) -> str:
    if not failure.rows:
        return f"{rule} fails: {failure.note}" if failure.note else f"{rule} fails"
    shown = [c for c in failure.columns if c in frame and c not in hidden]
    rows = list(failure.rows)
    listed = [_describe(frame.loc[row], key, shown, row) for row in rows[:MAX_LISTED_ROWS]]
    line = f"{rule} fails for " + ", ".join(listed)
    if len(rows) > MAX_LISTED_ROWS:
        line += f" and {len(rows) - MAX_LISTED_ROWS} more"
    return line


def _describe(row: pd.Series, key: Sequence[str], shown: Sequence[str], label: Hashable) -> str:
    """A row by its key, then the values its rule read: `portal_id=x (in_progress=-16)`."""
    named = " ".join(f"{c}={_show(row[c])}" for c in key if c in row.index) or f"row {label}"
    if not shown:
        return named
    return f"{named} (" + ", ".join(f"{c}={_show(row[c])}" for c in shown) + ")"


def _show(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    return "null" if _is_null(value) else str(value)


def _is_null(value: object) -> bool:
    return not isinstance(value, list | tuple | np.ndarray) and bool(pd.isna(value))


def _first_line(error: SchemaError) -> str:
    return str(error).strip().splitlines()[0]
