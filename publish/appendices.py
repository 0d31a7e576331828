"""The report's appendices and its summary: their layout as data, and writers for XLSX, CSV and
Parquet.

A layout says which mart columns an appendix shows, under which Vietnamese headers (a header is a
path: columns that share a prefix sit under one merged group cell), which heading rows split it
into sections, and how its closing total row is made. The writers take one period's mart rows,
already in STT order.
"""

from __future__ import annotations

import csv
import io
import math
import re
import weakref
import zipfile
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

# Column kinds: how a value is formatted and how the total row treats it.
STT = "stt"  # the row number printed, from display_order
TEXT = "text"
COUNT = "count"  # summed in the total row
RATE = "rate"  # a fraction; the total row recomputes it from summed counts
SCORE = "score"  # left empty in the total row; at most one decimal: 50, 54,5
MEAN = "mean"  # a mean of ratings, with one decimal: 4,3
MEASURE = "measure"  # a count, a rate or a mean, as the row's `unit` says (the summary's rows)

NUMBER_FORMATS = {STT: "0", COUNT: "#,##0", RATE: "0.0%", MEAN: "0.0"}

# The report's names for portal groups and blocs (GLOSSARY.md).
PORTAL_GROUPS_VI = {
    "province": "Cổng TTĐT tỉnh",
    "party_mass": "Cơ quan Đảng, MTTQ và các tổ chức chính trị - xã hội",
    "department": "Sở, ban, ngành, đơn vị tỉnh",
    "district": "Huyện, thị xã, thành phố",
    "commune": "Xã, phường, thị trấn",
    "ward": "Phường",
    "special_zone": "Đặc khu",
    "all_components": "Các Cổng TTĐT thành phần",
    "all": "Toàn tỉnh",
}
BLOCS_VI = {"government": "Khối chính quyền", "party": "Khối Đảng và cơ quan đặc thù"}


@dataclass(frozen=True)
class Column:
    key: str  # the mart column shown
    header: tuple[str, ...]  # outer group first, the column's own label last
    kind: str = COUNT
    constant: str | None = None  # printed in every row instead of a mart value ("KCĐ")
    labels: Mapping[str, str] | None = None  # codes printed as the report's words

    @property
    def flat_header(self) -> str:
        return " - ".join(self.header)

    def value(self, row: Mapping[str, Any]) -> Any:
        if self.constant is not None:
            return self.constant
        value = row[self.key]
        return self.labels.get(value, value) if self.labels and value is not None else value

    def kind_for(self, row: Mapping[str, Any]) -> str:
        if self.kind == MEASURE:
            return measure_kind(row.get("unit"))
        return self.kind


def measure_kind(unit: str | None) -> str:
    """How a summary figure of this `unit` is printed: a rate as %, a mean with one decimal."""
    return {"rate": RATE, "mean": MEAN}.get(unit or "", COUNT)


@dataclass(frozen=True)
class Ratio:
    """A rate (or a mean) as sum(numerator columns) / sum(denominator columns); null when the
    latter is 0."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]

    def of(self, row: Mapping[str, Any]) -> float | None:
        denominator = sum(row[c] or 0 for c in self.denominator)
        if not denominator:
            return None
        return sum(row[c] or 0 for c in self.numerator) / denominator


@dataclass(frozen=True)
class Appendix:
    table: str  # the mart in schema `marts`, also the stem of the published files
    number: str | None  # as printed: "Phụ biểu số 02"; the summary has none
    title: str  # may hold "{period}", filled with period_label()
    mart_columns: tuple[str, ...]  # the mart's columns published, in order: the Parquet file
    columns: tuple[Column, ...]  # what the XLSX and the CSV show
    summed: tuple[str, ...] = ()  # mart columns the total row sums (shown or not: ratios use them)
    total_label: str | None = None  # no closing total row without one
    ratios: Mapping[str, Ratio] = field(default_factory=dict)
    upper_top_headers: bool = False  # the seed's 03 writes its outer headers in capitals
    # The mart's `section` value -> the heading row printed above the section's first agency;
    # "{scale}" and other numeric columns of that first row are filled in, the Vietnamese way.
    sections: Mapping[str, str] = field(default_factory=dict)
    basis: str | None = None  # a last title line: the criteria the scores follow
    sheet: str | None = None  # the sheet's name when it is not "Phụ biểu <number>"
    order_by: str = "display_order"  # how the mart's rows are read, in print order (SQL)
    numbered: bool = False  # STT from the row's place, for a mart without display_order

    @property
    def sheet_name(self) -> str:
        return self.sheet or f"Phụ biểu {self.number}"

    @property
    def header_depth(self) -> int:
        return max(len(c.header) for c in self.columns)


PERIOD_COLUMNS = ("period_id", "period_start", "period_end", "display_order")
AGENCY_COLUMNS = ("portal_id", "portal_name", "portal_group")
_NOTE = Column("note", ("Ghi chú",), TEXT)
_POSTS = "Tin, bài, CSDL đăng tải"
# An earlier figure read two ways (EVENTS.md 1.1, lineage): restated on the units in force at
# the period's end, which the changes compare with, and as the units of the time reported it.
RESTATED_LABEL = "(theo đơn vị hiện nay)"
AS_REPORTED_LABEL = "(như đã báo cáo)"
RESTATED_BASIS = (
    "{compared} theo đơn vị hiện nay: số liệu tính lại trên các cơ quan, đơn vị đang hoạt động"
    " đến cuối kỳ (đơn vị hợp nhất cộng số liệu của các đơn vị trước hợp nhất, đơn vị chia tách"
    " theo tỷ lệ phân chia); như đã báo cáo: số liệu của các đơn vị khi đó"
)
_SCALE_LINE = "(Thang điểm tối đa là {scale} + {bonus_max} điểm thưởng)"
# The seed prints it under the title of each scored appendix (01, 02, 03).
CRITERIA_BASIS = (
    "Căn cứ theo Bộ tiêu chí tại Quyết định số 4526/QĐ-HĐBT ngày 14/12/2020 của HĐBT Cổng TTĐT tỉnh"
)

APPENDIX_01 = Appendix(
    table="appendix_01_information",
    number="01",
    title="BẢNG ĐÁNH GIÁ MỨC ĐỘ CUNG CẤP THÔNG TIN TRÊN CÁC CỔNG TTĐT THÀNH PHẦN",
    mart_columns=(
        *PERIOD_COLUMNS,
        "section",
        *AGENCY_COLUMNS,
        "bloc",
        "scale",
        "bonus_max",
        "score_ceiling",
        "posts",
        "deductions",
        "assessment_points",
        "score",
        "rank_in_bloc",
        "note",
    ),
    columns=(
        Column("display_order", ("STT",), STT),
        Column("portal_name", ("Tên cơ quan, đơn vị",), TEXT),
        Column("scale", ("Thang điểm (+{bonus_max} điểm khuyến khích)",), SCORE),
        Column("score", ("Đánh giá khả năng cung cấp thông tin",), SCORE),
        _NOTE,
    ),
    sections={
        "I": "CƠ QUAN KHỐI CHÍNH QUYỀN (SỞ, BAN, NGÀNH TỈNH VÀ TƯƠNG ĐƯƠNG); "
        f"CÁC HUYỆN, THỊ XÃ, THÀNH PHỐ {_SCALE_LINE}",
        "II": f"CƠ QUAN KHỐI ĐẢNG VÀ CƠ QUAN CHUYÊN NGÀNH ĐẶC THÙ {_SCALE_LINE}",
    },
    basis=CRITERIA_BASIS,
)

APPENDIX_01_2 = Appendix(
    table="appendix_01_2_not_scored",
    number="01.2",
    title="CÁC CỔNG TTĐT THÀNH PHẦN KHÔNG CHẤM ĐIỂM {period}",
    mart_columns=(
        *PERIOD_COLUMNS,
        *AGENCY_COLUMNS,
        "registered_on",
        "posts",
        "posts_previous_period",
        "posts_previous_period_as_reported",
        "previous_period_start",
        "previous_period_end",
        "note",
    ),
    columns=(
        Column("display_order", ("STT",), STT),
        Column("portal_name", ("Tên cơ quan, đơn vị",), TEXT),
        Column("assessment", ("Đánh giá khả năng cung cấp thông tin",), TEXT, constant="KCĐ"),
        Column("posts", (_POSTS, "Trong kỳ")),
        Column("posts_previous_period", (_POSTS, f"Kỳ trước {RESTATED_LABEL}")),
        Column("posts_previous_period_as_reported", (_POSTS, f"Kỳ trước {AS_REPORTED_LABEL}")),
        _NOTE,
    ),
    basis=RESTATED_BASIS.format(compared="Kỳ trước"),
)

_QUESTION_COUNTS = (
    "total",
    "answered",
    "waiting_answer",
    "waiting_acceptance",
    "deleted",
    "eligible",
    "late",
)

APPENDIX_02 = Appendix(
    table="appendix_02_questions",
    number="02",
    title=(
        "Kết quả tiếp nhận và trả lời các câu hỏi trên Chuyên mục Hỏi - Đáp "
        "của các cơ quan, đơn vị {period}"
    ),
    mart_columns=(
        *PERIOD_COLUMNS,
        *AGENCY_COLUMNS,
        *_QUESTION_COUNTS,
        "answered_unauthorized",
        "score",
        "score_max",
        "score_rule",
        "note",
        "questions_rated",
        "rating_mean",
        "rating_sum",
    ),
    columns=(
        Column("display_order", ("STT",), STT),
        Column("portal_name", ("Tên cơ quan, đơn vị",), TEXT),
        Column("total", ("Tổng số câu hỏi",)),
        Column("answered", ("Đã trả lời",)),
        Column("waiting_answer", ("Chờ trả lời",)),
        Column("waiting_acceptance", ("Chờ tiếp nhận",)),
        Column("deleted", ("Câu hỏi xoá",)),
        Column("score", ("Điểm số",), SCORE),
        _NOTE,
        # the citizens' side, after the seed's columns (issue 11)
        Column("questions_rated", ("Số lượt đánh giá",)),
        Column("rating_mean", ("Điểm hài lòng TB",), MEAN),
    ),
    summed=(*_QUESTION_COUNTS, "questions_rated", "rating_sum"),
    total_label="Tổng số",
    # every rating weighs the same, not every agency
    ratios={"rating_mean": Ratio(("rating_sum",), ("questions_rated",))},
    basis=CRITERIA_BASIS,
)

_LEVELS = (2, 3, 4)
_TIMELINESS = (("early", "Trước hạn"), ("on_time", "Đúng hạn"), ("late", "Trễ hạn"))
_RESOLVED = tuple(f"resolved_l{lv}_{t}" for lv in _LEVELS for t, _ in _TIMELINESS)
_DOSSIER_COUNTS = (
    "total",
    "carried_over",
    "received_counter",
    "received_online",
    *_RESOLVED,
    "resolved",
    "withdrawn",
    "in_progress",
)

APPENDIX_03 = Appendix(
    table="appendix_03_dossiers",
    number="03",
    title="BẢNG THỐNG KÊ CHI TIẾT TÌNH HÌNH XỬ LÝ DỊCH VỤ CÔNG TRONG TOÀN TỈNH (THEO CƠ QUAN)",
    mart_columns=(
        *PERIOD_COLUMNS,
        *AGENCY_COLUMNS,
        *_DOSSIER_COUNTS,
        "resolution_rate",
        "on_time_rate",
        "score",
        "score_max",
        "score_rule",
        "on_time_tiers",
        "note",
    ),
    columns=(
        Column("display_order", ("STT",), STT),
        Column("portal_name", ("Tên cơ quan",), TEXT),
        Column("total", ("Tổng số hồ sơ",)),
        Column("carried_over", ("Tồn",)),
        Column("received_counter", ("Tiếp nhận", "MCĐT")),
        Column("received_online", ("Tiếp nhận", "Trực tuyến")),
        *(
            Column(f"resolved_l{lv}_{t}", ("Đã giải quyết", f"Mức độ {lv}", label))
            for lv in _LEVELS
            for t, label in _TIMELINESS
        ),
        Column("in_progress", ("Đang giải quyết",)),
        Column("resolution_rate", ("Tỷ lệ giải quyết %",), RATE),
        Column("on_time_rate", ("Tỷ lệ giải quyết đúng và trước hạn %",), RATE),
        Column("score", ("Điểm",), SCORE),
        _NOTE,
    ),
    summed=_DOSSIER_COUNTS,
    total_label="TỔNG CỘNG",
    basis=CRITERIA_BASIS,
    ratios={
        "resolution_rate": Ratio(("resolved",), ("total",)),
        "on_time_rate": Ratio(
            tuple(c for c in _RESOLVED if not c.endswith("_late")), ("resolved",)
        ),
    },
    upper_top_headers=True,
)

SUMMARY = Appendix(
    table="report_summary",
    number=None,
    sheet="Tổng hợp",
    title="Tổng hợp số liệu của báo cáo {period}",
    mart_columns=(
        *PERIOD_COLUMNS,
        "metric",
        "portal_group",
        "label_vi",
        "unit",
        "value",
        "value_same_period_last_year",
        "change",
        "change_pct",
        "value_same_period_last_year_as_reported",
        "change_as_reported",
        "change_pct_as_reported",
        "is_restated",
        "same_period_start",
        "same_period_end",
    ),
    columns=(
        Column("label_vi", ("Chỉ tiêu",), TEXT),
        Column("portal_group", ("Nhóm",), TEXT, labels=PORTAL_GROUPS_VI),
        Column("value", ("Kỳ này",), MEASURE),
        Column("value_same_period_last_year", (f"Cùng kỳ {RESTATED_LABEL}",), MEASURE),
        Column(
            "value_same_period_last_year_as_reported", (f"Cùng kỳ {AS_REPORTED_LABEL}",), MEASURE
        ),
        Column("change", ("Tăng, giảm",), MEASURE),
        Column("change_pct", ("Tỷ lệ tăng, giảm %",), RATE),
    ),
    basis=RESTATED_BASIS.format(compared="Cùng kỳ") + "; tăng, giảm so với cùng kỳ theo đơn vị"
    " hiện nay",
)


def _in_group_order(column: str) -> str:
    """SQL ordering `column`'s portal groups as the report lists them (PORTAL_GROUPS_VI)."""
    cases = " ".join(f"when '{group}' then {i}" for i, group in enumerate(PORTAL_GROUPS_VI))
    return f"case {column} {cases} else {len(PORTAL_GROUPS_VI)} end"


def _compared(figure: str, label: str, *windows: str) -> tuple[Column, ...]:
    """A figure of portal_activity in the period, then each earlier window's in both readings,
    under one group header."""
    named = {"same_period_last_year": "Cùng kỳ", "previous_period": "Kỳ trước"}
    return (
        Column(figure, (label, "Kỳ này")),
        *(
            Column(f"{figure}_{window}{reading}", (label, f"{named[window]} {words}"))
            for window in windows
            for reading, words in (("", RESTATED_LABEL), ("_as_reported", AS_REPORTED_LABEL))
        ),
    )


_ACTIVITY_FIGURES = (
    *_compared("posts", "Tin, bài, CSDL", "same_period_last_year", "previous_period"),
    *_compared("questions_total", "Câu hỏi Hỏi - Đáp", "same_period_last_year"),
    *_compared("dossiers_total", "Hồ sơ TTHC", "same_period_last_year"),
)

# Every unit's own figures with both readings of its comparisons (marts.portal_activity), by
# reporting group; no total row: a retired unit's history also counts in its successors'.
PORTAL_ACTIVITY = Appendix(
    table="portal_activity",
    number=None,
    sheet="Theo đơn vị",
    title="Số liệu của các cơ quan, đơn vị có Cổng TTĐT {period}",
    mart_columns=(
        *PERIOD_COLUMNS[:3],
        *AGENCY_COLUMNS,
        "reporting_group",
        "is_in_force",
        "retired_on",
        *(column.key for column in _ACTIVITY_FIGURES),
        "provides_english",
        "predecessor_portal_ids",
        "successor_portal_ids",
        "is_restatable",
        "lineage_note",
    ),
    columns=(
        Column("display_order", ("STT",), STT),
        Column("portal_name", ("Tên cơ quan, đơn vị",), TEXT),
        Column("portal_group", ("Nhóm",), TEXT, labels=PORTAL_GROUPS_VI),
        *_ACTIVITY_FIGURES,
        Column("lineage_note", ("Ghi chú",), TEXT),
    ),
    basis=RESTATED_BASIS.format(compared="Cùng kỳ, kỳ trước"),
    order_by=f"{_in_group_order('reporting_group')}, {_in_group_order('portal_group')},"
    " portal_name collate vi, portal_id",  # names in Vietnamese order (DuckDB's ICU)
    numbered=True,
)


# The other channels (marts.channel_metrics: the portal's visits, Fanpage, Zalo, gazette, press
# review, training), a row per metric in the order of seeds/channels.csv's labels.
CHANNELS = Appendix(
    table="channel_metrics",
    number=None,
    sheet="Kênh thông tin",
    title="Số liệu các kênh thông tin khác {period}",
    mart_columns=(
        *PERIOD_COLUMNS[:3],
        "portal_id",
        "channel",
        "metric",
        "kind",
        "unit",
        "label_vi",
        "value",
        "value_same_period_last_year",
        "change",
        "change_pct",
        "windows_summed",
    ),
    columns=(
        Column("display_order", ("STT",), STT),
        Column("label_vi", ("Chỉ tiêu",), TEXT),
        Column("value", ("Kỳ này",), MEASURE),
        Column("value_same_period_last_year", ("Cùng kỳ",), MEASURE),
        Column("change", ("Tăng, giảm",), MEASURE),
        Column("change_pct", ("Tỷ lệ tăng, giảm %",), RATE),
    ),
    basis="Lượt theo dõi, lũy kế: số đo gần nhất đến cuối kỳ; các chỉ tiêu khác: tổng trong kỳ",
    order_by="channel, metric, portal_id",
    numbered=True,
)


# --- shared by the writers -------------------------------------------------------------------


def period_label(period_id: str) -> str:
    """The period as the report names it: '2023-9M' -> '9 tháng năm 2023'."""
    m = re.fullmatch(r"(\d{4})-(\w+)", period_id)
    year, part = m.groups() if m else ("", "")
    if part == "FY":
        return f"năm {year}"
    if part in ("H1", "H2"):
        return f"6 tháng {'đầu' if part == 'H1' else 'cuối'} năm {year}"
    if re.fullmatch(r"Q[1-4]", part):
        return f"quý {('I', 'II', 'III', 'IV')[int(part[1]) - 1]} năm {year}"
    if re.fullmatch(r"\d{1,2}M", part):
        return f"{part[:-1]} tháng năm {year}"
    return f"kỳ {period_id}"


def period_line(start: date, end: date) -> str:
    return f"(Tính từ {start:%d/%m/%Y} đến {end:%d/%m/%Y})"


def title_lines(appendix: Appendix, period_id: str, start: date, end: date) -> list[str]:
    number = [f"Phụ biểu số {appendix.number}"] if appendix.number else []
    basis = [appendix.basis] if appendix.basis else []
    return [
        *number,
        appendix.title.format(period=period_label(period_id)),
        period_line(start, end),
        *basis,
    ]


def total_row(appendix: Appendix, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The closing row: counts summed, rates recomputed from the sums (a mean of the agencies'
    rates would weigh an agency with one dossier like one with 170.000)."""
    total: dict[str, Any] = dict.fromkeys(appendix.mart_columns)
    for key in appendix.summed:
        values = [r[key] for r in rows if not _is_null(r[key])]
        # a column null in every row (a score not computed yet) stays empty; no rows sum to 0
        total[key] = sum(values) if values or not rows else None
    for key, ratio in appendix.ratios.items():
        total[key] = ratio.of(total)
    total[_label_column(appendix)] = appendix.total_label
    return total


@dataclass(frozen=True)
class HeaderCell:
    row: int  # 0-based within the header block
    col: int  # 0-based column
    last_row: int
    last_col: int
    text: str


def header_cells(appendix: Appendix) -> list[HeaderCell]:
    """Header cells with their merged ranges: a group spans its columns; a label with nothing
    under it reaches down to the last header row."""
    depth = appendix.header_depth
    cells = []
    for level in range(depth):
        col = 0
        columns = appendix.columns
        while col < len(columns):
            header = columns[col].header
            if len(header) <= level:
                col += 1
                continue
            last = col
            while (
                last + 1 < len(columns)
                and columns[last + 1].header[: level + 1] == header[: level + 1]
            ):
                last += 1
            leaf = len(header) == level + 1
            text = header[level]
            if level == 0 and appendix.upper_top_headers:
                text = text.upper()
            cells.append(HeaderCell(level, col, depth - 1 if leaf else level, last, text))
            col = last + 1
    return cells


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


_VI = str.maketrans(",.", ".,")  # Vietnamese: '.' groups thousands, ',' marks the decimals


def format_vi(kind: str, value: Any) -> str:
    """A value as a Vietnamese reader writes it: 180.326, 98,1%, 4,3 (a mean), 54,5."""
    if _is_null(value):
        return ""
    if kind in (COUNT, STT):
        return f"{value:,.0f}".translate(_VI)
    if kind == RATE:
        return f"{value * 100:,.1f}".translate(_VI) + "%"
    if kind == MEAN:
        return f"{value:,.1f}".translate(_VI)
    if kind == SCORE:
        return f"{value:,.1f}".rstrip("0").rstrip(".").translate(_VI)
    return str(value)


# Roles of the lines the XLSX and the CSV print.
AGENCY, SECTION, TOTAL = "agency", "section", "total"


def display_lines(
    appendix: Appendix, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[str, Mapping[str, Any]]]:
    """(role, row) in print order: a heading before each section's first agency, the agencies,
    then the total row when the layout has one. A heading row holds the section's key in the
    first column and its text in the first text column."""
    lines: list[tuple[str, Mapping[str, Any]]] = []
    section = None
    first, label = appendix.columns[0].key, _label_column(appendix)
    for n, row in enumerate(rows, start=1):
        if appendix.numbered:
            row = {**row, "display_order": n}
        if appendix.sections and row["section"] != section:
            section = row["section"]
            text = _filled(appendix.sections.get(section, section), row)
            lines.append((SECTION, {first: section, label: text}))
        lines.append((AGENCY, row))
    if appendix.total_label:
        lines.append((TOTAL, total_row(appendix, rows)))
    return lines


def _label_column(appendix: Appendix) -> str:
    return next(c.key for c in appendix.columns if c.kind == TEXT)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not _is_null(value)


def _filled(text: str, row: Mapping[str, Any]) -> str:
    """`text` with its "{column}" placeholders filled from the row's numbers, the Vietnamese way."""
    return text.format(**{k: format_vi(SCORE, v) for k, v in row.items() if _is_number(v)})


def with_numbers(appendix: Appendix, rows: Sequence[Mapping[str, Any]]) -> Appendix:
    """The layout with "{bonus_max}" and the like in its headers filled from the first row: the
    rubric's numbers come with the rows, not from the code."""
    first = rows[0] if rows else {}

    def filled(text: str) -> str:
        try:
            return _filled(text, first)
        except KeyError:  # no rows to take the number from: the placeholder's name stays
            return text.replace("{", "").replace("}", "")

    columns = tuple(
        replace(c, header=tuple(filled(h) for h in c.header)) if "{" in c.flat_header else c
        for c in appendix.columns
    )
    return replace(appendix, columns=columns)


# --- XLSX --------------------------------------------------------------------------------------

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TEXT_ALIGN = Alignment(vertical="center", wrap_text=True)
_NUMBER_ALIGN = Alignment(horizontal="right", vertical="center")
_STT_ALIGN = Alignment(horizontal="center", vertical="center")

# The font of every cell: the one of the province's documents (Decree 30/2020). Where it is not
# installed a reader's office suite substitutes another (LibreOffice on Debian: DejaVu Serif,
# wider); the width model below holds for both.
FONT_NAME = "Times New Roman"
BODY_PT = 11.0
TITLE_PT = 12.0
_BOLD = Font(name=FONT_NAME, size=BODY_PT, bold=True)
_REGULAR = Font(name=FONT_NAME, size=BODY_PT)

# Width caps in characters: names and notes wrap rather than stretch the sheet.
_MAX_WIDTH = {TEXT: 45.0, COUNT: 14.0, RATE: 12.0, MEAN: 10.0, SCORE: 10.0, STT: 6.0,
              MEASURE: 14.0}  # fmt: skip
_MIN_WIDTH = 5.0
_NAME_WIDTH = 26.0  # an agency's name wraps within this before the notes get the room left
# A table wider than the page: its names wrap within this, its notes (the last text column,
# read as sentences) within _NOTE_NARROWEST, rather than shrink the whole table further.
_TEXT_NARROWEST = 15.0
_NOTE_NARROWEST = 24.0

# --- the width model ---------------------------------------------------------------------------
# A column's width counts "characters": digits of the workbook's 11-point default font, Calibri
# (5.6 points each as LibreOffice prints it, 5.25 in Excel; 7 where LibreOffice has no Calibri
# or Carlito and falls back to DejaVu). A text's width in those units sums its characters, at
# 11 points: spaces, . , ; : ' i j l t 0.6; brackets, dashes, quotes, f, r, I 0.7; m and w 1.6;
# M and W 2.0; other capitals 1.5; the rest, digits included, 1.0. Bold is 12% wider; another
# size in proportion. These are Times New Roman's widths (Liberation Serif's, the same) over
# Calibri's digit, rounded up, Excel's whole pixels included; DejaVu Serif, LibreOffice's
# fallback where neither is installed, is narrower than that against its own fallback digit.
# So a line the model fills is never longer in print. A cell's text wraps at spaces within its
# width less 0.8 of padding; a line takes 1.22 times the font size, a row 4 points more. Row
# heights are set from it (the viewer never has to guess); tests/test_publish_print.py checks
# it in LibreOffice's print.
_NARROW = frozenset(" .,;:'ijlt")
_SEMI_NARROW = frozenset('"()[]-–/|!frI')
_WIDE = frozenset("mw")
_WIDE_CAPITALS = frozenset("MW")
_BOLD_WIDER = 1.12
_PADDING = 0.8  # characters a cell's text keeps from its borders
_LINE = 1.22  # a line's height over the font size
_ROW_PAD = 4.0  # points above and below a row's lines
UNIT_PT = 5.6  # points a character of column width prints at (LibreOffice, Calibri; Excel 5.25)

# Paper: A4, with these margins (inches, as the workbook stores them); the footer numbers the
# pages "Trang x/y". A sheet wider than the portrait width prints landscape; both fit the page
# width, so a wide sheet is scaled down (appendix 03: about 0.8 with Times New Roman).
A4_PT = (595.0, 842.0)
_MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.75, "header": 0.3, "footer": 0.3}
PAGE_FOOTER = "Trang &P/&N"


def _char_units(ch: str) -> float:
    if ch in _NARROW:
        return 0.6
    if ch in _SEMI_NARROW:
        return 0.7
    if ch in _WIDE:
        return 1.6
    if ch in _WIDE_CAPITALS:
        return 2.0
    return 1.5 if ch.isupper() else 1.0


def text_units(text: str, *, bold: bool = False, size: float = BODY_PT) -> float:
    """A text's printed width in characters of column width (the width model above)."""
    return sum(map(_char_units, text)) * (_BOLD_WIDER if bold else 1.0) * size / BODY_PT


def wrapped_lines(text: str, width: float, *, bold: bool = False, size: float = BODY_PT) -> int:
    """Lines `text` takes wrapped at spaces in a cell `width` characters wide; a word wider
    than the cell is broken within it, as the office suites do."""
    room = max(width - _PADDING, 1.0)
    space = text_units(" ", bold=bold, size=size)
    total = 0
    for paragraph in str(text).split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split():
            w = text_units(word, bold=bold, size=size)
            if used and used + space + w > room:
                lines, used = lines + 1, 0.0
            if w > room:  # broken over lines of its own
                lines += math.ceil(w / room) - 1
                used = w - room * (math.ceil(w / room) - 1)
            else:
                used += (space if used else 0.0) + w
        total += lines
    return total


def row_height(lines: int, size: float = BODY_PT) -> float:
    """Points a row of `lines` lines of `size`-point text takes."""
    return round(lines * size * _LINE + _ROW_PAD, 1)


def report_reference(
    report_number: str | None = None, report_date: date | str | None = None
) -> str:
    """The line that attaches an appendix to its report, with the seed's blanks for a number or
    a date not given yet: "(Kèm theo Báo cáo số …/BC-UBND ngày … tháng … năm … của UBND
    tỉnh)". A bare number gets the report's symbol: "125" -> "125/BC-UBND"; a date may be ISO
    text ("2023-10-05")."""
    if isinstance(report_date, str):
        report_date = date.fromisoformat(report_date) if report_date.strip() else None
    number = (report_number or "").strip() or "…"
    if "/" not in number:
        number += "/BC-UBND"
    on = (
        f"ngày {report_date:%d} tháng {report_date:%m} năm {report_date:%Y}"
        if report_date
        else "ngày … tháng … năm …"
    )
    return f"(Kèm theo Báo cáo số {number} {on} của UBND tỉnh)"


def write_xlsx(
    appendix: Appendix,
    rows: Sequence[Mapping[str, Any]],
    path: Path,
    *,
    period_id: str,
    period_start: date,
    period_end: date,
    report_number: str | None = None,
    report_date: date | str | None = None,
) -> None:
    """A workbook of one sheet: title lines, grouped headers, a row per agency, the total row."""
    write_workbook([(appendix, rows)], path, period_id, period_start, period_end,
                   report_number=report_number, report_date=report_date)  # fmt: skip


def write_workbook(
    sheets: Sequence[tuple[Appendix, Sequence[Mapping[str, Any]]]],
    path: Path,
    period_id: str,
    period_start: date,
    period_end: date,
    *,
    report_number: str | None = None,
    report_date: date | str | None = None,
) -> None:
    """One sheet per appendix, in the order given, each ready to print on A4."""
    wb = Workbook()
    wb.remove(wb.active)
    reference = report_reference(report_number, report_date)
    for appendix, rows in sheets:
        _write_sheet(wb.create_sheet(appendix.sheet_name), with_numbers(appendix, rows), rows,
                     period_id, period_start, period_end, reference)  # fmt: skip
    _save_reproducibly(wb, path)


def _write_sheet(
    ws: Worksheet,
    appendix: Appendix,
    rows: Sequence[Mapping[str, Any]],
    period_id: str,
    period_start: date,
    period_end: date,
    reference: str,
) -> None:
    ncols = len(appendix.columns)
    widths, landscape = _print_widths(appendix, rows)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width

    lines = title_lines(appendix, period_id, period_start, period_end)
    if appendix.number:  # the seed's line under the period: which report this is attached to
        lines.insert(3, reference)
    headings = 2 if appendix.number else 1  # bold: the number and the title; then italics
    for r, text in enumerate(lines, start=1):
        bold, size = r <= headings, TITLE_PT if r <= headings else BODY_PT
        cell = ws.cell(r, 1, text)
        cell.font = Font(name=FONT_NAME, bold=bold, italic=not bold, size=size)
        cell.alignment = _HEADER_ALIGN
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        wrapped = wrapped_lines(text, sum(widths), bold=bold, size=size)
        ws.row_dimensions[r].height = row_height(wrapped, size)

    header_top = len(lines) + 2  # a blank row under the titles, as in the seed
    ws.row_dimensions[header_top - 1].height = row_height(1) / 2
    depth = appendix.header_depth
    for h in header_cells(appendix):
        top, left = header_top + h.row, h.col + 1
        bottom, right = header_top + h.last_row, h.last_col + 1
        ws.cell(top, left, h.text)
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                _style(ws.cell(r, c), _BOLD, _HEADER_ALIGN)
        if (top, left) != (bottom, right):
            ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
    for level, height in enumerate(_header_heights(appendix, widths)):
        ws.row_dimensions[header_top + level].height = height

    data_top = header_top + depth
    for i, (role, row) in enumerate(display_lines(appendix, rows)):
        r = data_top + i
        if role == SECTION:
            _write_section(ws, appendix, row, r, widths)
            continue
        lines_needed = 1
        for j, column in enumerate(appendix.columns, start=1):
            value = column.value(row)
            cell = ws.cell(r, j, None if _is_null(value) else value)
            font = _BOLD if role == TOTAL else _REGULAR
            kind = column.kind_for(row)
            if kind == TEXT:
                _style(cell, font, _TEXT_ALIGN)
                if not _is_null(value):
                    need = wrapped_lines(str(value), widths[j - 1], bold=role == TOTAL)
                    lines_needed = max(lines_needed, need)
            else:
                align = _STT_ALIGN if kind == STT else _NUMBER_ALIGN
                _style(cell, font, align, _number_format(kind, value))
        ws.row_dimensions[r].height = row_height(lines_needed)

    # Keep the headers, and the STT and name columns, in view while scrolling the wide 03.
    ws.freeze_panes = ws.cell(data_top, 3).coordinate
    _print_setup(ws, landscape, f"{header_top}:{data_top - 1}")


# A workbook's styles, each set once by openpyxl and then copied: openpyxl hashes every font,
# border and alignment it is given, which was half the time of writing the appendices.
_STYLES: weakref.WeakKeyDictionary[Workbook, dict] = weakref.WeakKeyDictionary()


def _style(cell: Any, font: Font, alignment: Alignment, number_format: str = "General") -> None:
    """A bordered cell's font, alignment and number format; `font` and `alignment` are this
    module's constants (the cache knows them by identity)."""
    styles = _STYLES.setdefault(cell.parent.parent, {})
    key = (id(font), id(alignment), number_format)
    if key in styles:
        cell._style = copy(styles[key])
        return
    cell.font, cell.alignment, cell.border = font, alignment, _BORDER
    cell.number_format = number_format
    styles[key] = copy(cell._style)


def _print_setup(ws: Worksheet, landscape: bool, title_rows: str) -> None:
    """A4, landscape for a wide sheet, one page wide, the header rows on every page, centred,
    and "Trang x/y" at the foot of each page: within the appendix's own file, and through the
    whole report's workbook when it is printed at once (as the office suites number it)."""
    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4
    setup.orientation = "landscape" if landscape else "portrait"
    setup.fitToWidth, setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(**_MARGINS)
    for footer in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        footer.center.text = PAGE_FOOTER
        footer.center.font = f"{FONT_NAME},Italic"
        footer.center.size = 10


def _write_section(
    ws: Worksheet, appendix: Appendix, row: Mapping[str, Any], r: int, widths: list[float]
) -> None:
    """A section's heading: its key under STT, its text merged over the other columns."""
    key, label = appendix.columns[0].key, _label_column(appendix)
    ws.cell(r, 1, row[key]).alignment = _STT_ALIGN
    ws.cell(r, 2, row[label]).alignment = _TEXT_ALIGN
    for c in range(1, len(appendix.columns) + 1):
        ws.cell(r, c).font, ws.cell(r, c).border = _BOLD, _BORDER
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=len(appendix.columns))
    ws.row_dimensions[r].height = row_height(wrapped_lines(row[label], sum(widths[1:]), bold=True))


def _number_format(kind: str, value: Any) -> str:
    if kind == SCORE:  # at most one decimal, none on a whole score: 50, 54,5
        return "0" if _is_null(value) or float(value).is_integer() else "0.0"
    return NUMBER_FORMATS[kind]


# openpyxl stamps the time of saving into the file; fixed stamps make the same rows give the
# same bytes, so a manifest's sha256 says whether two versions differ.
_STAMP = "2000-01-01T00:00:00Z"
_STAMPED = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _save_reproducibly(wb: Workbook, path: Path) -> None:
    buffer = io.BytesIO()
    wb.save(buffer)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _STAMPED.sub(rb"\g<1>" + _STAMP.encode() + rb"\g<2>", data)
            target.writestr(
                zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def printable_units(landscape: bool) -> float:
    """The page's width inside the margins, in characters of column width, at 100 %."""
    width = A4_PT[1] if landscape else A4_PT[0]
    return (width - 72 * (_MARGINS["left"] + _MARGINS["right"])) / UNIT_PT


def _print_widths(
    appendix: Appendix, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[float], bool]:
    """Column widths and the orientation: text columns (names, notes) wrap, so they count
    at most _NAME_WIDTH in choosing it (landscape when wider than a portrait page). Then the
    notes (the column "Ghi chú", else the widest text) take the room the page has left up to
    their width on one line, the other texts what is left after them in proportion, and the
    notes the rest: a name wraps onto two lines sooner than a note onto five. A table wider
    than the page narrows its texts instead, notes to _NOTE_NARROWEST, names to
    _TEXT_NARROWEST."""
    texts = [j for j, c in enumerate(appendix.columns) if c.kind == TEXT]
    for label_lines in (3, 6):  # a table wider than the page: headers wrap over more lines
        full = _fit_widths(appendix, rows, label_lines)
        widths = list(full)
        for j in texts:
            widths[j] = min(full[j], _NAME_WIDTH)
        if sum(widths) <= printable_units(True):
            break
    landscape = sum(widths) > printable_units(False)
    room = printable_units(landscape) - sum(widths)
    if not texts:
        return [round(w, 1) for w in widths], landscape
    notes = [j for j in texts if appendix.columns[j].header[-1] == _NOTE.header[-1]]
    note = notes[-1] if notes else max(texts, key=lambda j: full[j])
    if room > 0:
        grow = min(room, full[note] - widths[note])
        widths[note] += grow
        room -= grow
        others = [j for j in texts if j != note]
        wanted = sum(full[j] - widths[j] for j in others)
        share = min(1.0, room / wanted) if wanted else 0.0
        for j in others:
            grow = (full[j] - widths[j]) * share
            widths[j] += grow
            room -= grow
        widths[note] += room
    elif room < 0:
        floors = [_NOTE_NARROWEST if j == note else _TEXT_NARROWEST for j in texts]
        give = [max(0.0, widths[j] - floor) for j, floor in zip(texts, floors, strict=True)]
        share = min(1.0, -room / sum(give)) if sum(give) else 0.0
        for j, g in zip(texts, give, strict=True):
            widths[j] -= g * share
    return [round(w, 1) for w in widths], landscape


def _fit_widths(
    appendix: Appendix, rows: Sequence[Mapping[str, Any]], label_lines: int = 3
) -> list[float]:
    """Column widths from the widest displayed value and the widest word of the column's own
    header label (headers wrap at spaces), within per-kind caps. Section headings are merged
    over several columns, so they widen none."""
    own_label = {
        h.col: h.text for h in header_cells(appendix) if h.col == h.last_col
    }  # a group's label is spread over its columns, so it does not widen any one of them
    shown = [(role, r) for role, r in display_lines(appendix, rows) if role != SECTION]
    widths = []
    for j, column in enumerate(appendix.columns):
        longest = max(
            (
                text_units(format_vi(column.kind_for(r), column.value(r)), bold=role == TOTAL)
                for role, r in shown
            ),
            default=0,
        )
        label = own_label.get(j, "")
        words = [text_units(w, bold=True) for w in label.split()]
        longest = max([longest, *words, text_units(label, bold=True) / label_lines])
        widths.append(min(_MAX_WIDTH[column.kind], max(_MIN_WIDTH, longest + 1.5)))
    return widths


def _header_heights(appendix: Appendix, widths: list[float]) -> list[float]:
    """Row heights for the header block: merged cells do not grow rows by themselves."""
    heights = [row_height(1)] * appendix.header_depth
    cells = header_cells(appendix)
    for h in sorted(cells, key=lambda h: h.last_row - h.row):
        width = sum(widths[h.col : h.last_col + 1])
        need = row_height(wrapped_lines(h.text, width, bold=True))
        have = sum(heights[h.row : h.last_row + 1])
        if need > have:
            heights[h.last_row] += need - have
    return [round(h, 1) for h in heights]


# --- CSV ---------------------------------------------------------------------------------------


def write_csv(appendix: Appendix, rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """CSV for Excel: UTF-8 with a BOM, one flattened header row, Vietnamese number text; a
    section's heading is a row of its own, as in the workbook."""
    appendix = with_numbers(appendix, rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c.flat_header for c in appendix.columns])
        for role, row in display_lines(appendix, rows):
            if role == SECTION:
                writer.writerow([row.get(c.key) or "" for c in appendix.columns])
            else:
                writer.writerow(
                    [format_vi(c.kind_for(row), c.value(row)) for c in appendix.columns]
                )


# --- Parquet -----------------------------------------------------------------------------------


def write_parquet(table: pa.Table, path: Path) -> None:
    """The mart rows as typed columns with their own names, for machines: no total row."""
    pq.write_table(table, path)
