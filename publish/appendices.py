"""Appendices 02 and 03 of the report: their layout as data, and writers for XLSX, CSV and Parquet.

A layout says which mart columns an appendix shows, under which Vietnamese headers (a header is a
path: columns that share a prefix sit under one merged group cell), and how its closing total row
is made. The writers take one period's mart rows, already in STT order.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

# Column kinds: how a value is formatted and how the total row treats it.
STT = "stt"  # the row number printed, from display_order
TEXT = "text"
COUNT = "count"  # summed in the total row
RATE = "rate"  # a fraction; the total row recomputes it from summed counts
SCORE = "score"  # left empty in the total row

NUMBER_FORMATS = {STT: "0", COUNT: "#,##0", RATE: "0.0%", SCORE: "General"}


@dataclass(frozen=True)
class Column:
    key: str  # the mart column shown
    header: tuple[str, ...]  # outer group first, the column's own label last
    kind: str = COUNT

    @property
    def flat_header(self) -> str:
        return " - ".join(self.header)


@dataclass(frozen=True)
class Ratio:
    """A rate as sum(numerator columns) / sum(denominator columns); null when the latter is 0."""

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
    number: str  # as printed: "Phụ biểu số 02"
    title: str  # may hold "{period}", filled with period_label()
    mart_columns: tuple[str, ...]  # every column of the mart, in its order: the Parquet file
    columns: tuple[Column, ...]  # what the XLSX and the CSV show
    summed: tuple[str, ...]  # mart columns the total row sums (shown or not: ratios use them)
    total_label: str
    ratios: Mapping[str, Ratio] = field(default_factory=dict)
    upper_top_headers: bool = False  # the seed's 03 writes its outer headers in capitals

    @property
    def sheet_name(self) -> str:
        return f"Phụ biểu {self.number}"

    @property
    def header_depth(self) -> int:
        return max(len(c.header) for c in self.columns)


PERIOD_COLUMNS = ("period_id", "period_start", "period_end", "display_order")
AGENCY_COLUMNS = ("portal_id", "portal_name", "portal_group")

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
    mart_columns=(*PERIOD_COLUMNS, *AGENCY_COLUMNS, *_QUESTION_COUNTS, "score", "note"),
    columns=(
        Column("display_order", ("STT",), STT),
        Column("portal_name", ("Tên cơ quan, đơn vị",), TEXT),
        Column("total", ("Tổng số câu hỏi",)),
        Column("answered", ("Đã trả lời",)),
        Column("waiting_answer", ("Chờ trả lời",)),
        Column("waiting_acceptance", ("Chờ tiếp nhận",)),
        Column("deleted", ("Câu hỏi xoá",)),
        Column("score", ("Điểm số",), SCORE),
        Column("note", ("Ghi chú",), TEXT),
    ),
    summed=_QUESTION_COUNTS,
    total_label="Tổng số",
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
    ),
    summed=_DOSSIER_COUNTS,
    total_label="TỔNG CỘNG",
    ratios={
        "resolution_rate": Ratio(("resolved",), ("total",)),
        "on_time_rate": Ratio(
            tuple(c for c in _RESOLVED if not c.endswith("_late")), ("resolved",)
        ),
    },
    upper_top_headers=True,
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
    return [
        f"Phụ biểu số {appendix.number}",
        appendix.title.format(period=period_label(period_id)),
        period_line(start, end),
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
    label_column = next(c.key for c in appendix.columns if c.kind == TEXT)
    total[label_column] = appendix.total_label
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
    """A value as a Vietnamese reader writes it: 180.326, 98,1%, 17,5."""
    if _is_null(value):
        return ""
    if kind in (COUNT, STT):
        return f"{value:,.0f}".translate(_VI)
    if kind == RATE:
        return f"{value * 100:,.1f}".translate(_VI) + "%"
    if kind == SCORE:
        return f"{value:,.2f}".rstrip("0").rstrip(".").translate(_VI)
    return str(value)


def _display_rows(
    appendix: Appendix, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], bool]]:
    """(row, is_total) for every agency row, then the total row."""
    return [(r, False) for r in rows] + [(total_row(appendix, rows), True)]


# --- XLSX --------------------------------------------------------------------------------------

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(bold=True)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TEXT_ALIGN = Alignment(vertical="center", wrap_text=True)
_NUMBER_ALIGN = Alignment(horizontal="right", vertical="center")
_STT_ALIGN = Alignment(horizontal="center", vertical="center")

# Width caps in characters: names and notes wrap rather than stretch the sheet.
_MAX_WIDTH = {TEXT: 45.0, COUNT: 14.0, RATE: 12.0, SCORE: 8.0, STT: 6.0}
_MIN_WIDTH = 5.0
_LINE_HEIGHT = 15.0  # points per line of 11-point text
# Widths count characters of the regular font's digits; bold capitals take about this much more.
_BOLD_WIDER = 1.2


def write_xlsx(
    appendix: Appendix,
    rows: Sequence[Mapping[str, Any]],
    path: Path,
    *,
    period_id: str,
    period_start: date,
    period_end: date,
) -> None:
    """One sheet: title lines, grouped headers, a row per agency, the total row."""
    wb = Workbook()
    ws = wb.active
    ws.title = appendix.sheet_name
    ncols = len(appendix.columns)
    widths = _fit_widths(appendix, rows)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width

    lines = title_lines(appendix, period_id, period_start, period_end)
    for r, text in enumerate(lines, start=1):
        cell = ws.cell(r, 1, text)
        cell.font = Font(bold=r < 3, italic=r == 3, size=12 if r < 3 else 11)
        cell.alignment = _HEADER_ALIGN
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        wrapped = _lines(text, sum(widths) / _BOLD_WIDER)
        ws.row_dimensions[r].height = (16.0 if r < 3 else _LINE_HEIGHT) * wrapped  # 12 pt: 16

    header_top = len(lines) + 2  # a blank row under the titles, as in the seed
    depth = appendix.header_depth
    for h in header_cells(appendix):
        top, left = header_top + h.row, h.col + 1
        bottom, right = header_top + h.last_row, h.last_col + 1
        ws.cell(top, left, h.text)
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                cell = ws.cell(r, c)
                cell.font, cell.alignment, cell.border = _BOLD, _HEADER_ALIGN, _BORDER
        if (top, left) != (bottom, right):
            ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
    for level, height in enumerate(_header_heights(appendix, widths)):
        ws.row_dimensions[header_top + level].height = height

    data_top = header_top + depth
    for i, (row, is_total) in enumerate(_display_rows(appendix, rows)):
        for j, column in enumerate(appendix.columns, start=1):
            value = row[column.key]
            cell = ws.cell(data_top + i, j, None if _is_null(value) else value)
            cell.border = _BORDER
            if column.kind == TEXT:
                cell.alignment = _TEXT_ALIGN
            else:
                cell.number_format = NUMBER_FORMATS[column.kind]
                cell.alignment = _STT_ALIGN if column.kind == STT else _NUMBER_ALIGN
            if is_total:
                cell.font = _BOLD

    # Keep the headers, and the STT and name columns, in view while scrolling the wide 03.
    ws.freeze_panes = ws.cell(data_top, 3).coordinate
    ws.print_title_rows = f"{header_top}:{data_top - 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    _save_reproducibly(wb, path)


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


def _fit_widths(appendix: Appendix, rows: Sequence[Mapping[str, Any]]) -> list[float]:
    """Column widths from the longest displayed value and the longest word of the column's own
    header label (headers wrap), within per-kind caps."""
    own_label = {
        h.col: h.text for h in header_cells(appendix) if h.col == h.last_col
    }  # a group's label is spread over its columns, so it does not widen any one of them
    shown = [r for r, _ in _display_rows(appendix, rows)]
    widths = []
    for j, column in enumerate(appendix.columns):
        longest = max(len(format_vi(column.kind, r[column.key])) for r in shown)
        words = own_label.get(j, "").split()
        label = max([len(w) for w in words] + [len(own_label.get(j, "")) / 3], default=0)
        longest = max(longest, math.ceil(label * _BOLD_WIDER))
        widths.append(min(_MAX_WIDTH[column.kind], max(_MIN_WIDTH, longest + 2.0)))
    return widths


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a cell `width` characters wide (roughly: whole words)."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width - 1:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _header_heights(appendix: Appendix, widths: list[float]) -> list[float]:
    """Row heights for the header block: merged cells do not grow rows by themselves in Excel."""
    heights = [_LINE_HEIGHT] * appendix.header_depth
    cells = header_cells(appendix)
    for h in sorted(cells, key=lambda h: h.last_row - h.row):
        need = _LINE_HEIGHT * _lines(h.text, sum(widths[h.col : h.last_col + 1]) / _BOLD_WIDER)
        have = sum(heights[h.row : h.last_row + 1])
        if need > have:
            heights[h.last_row] += need - have
    return heights


# --- CSV ---------------------------------------------------------------------------------------


def write_csv(appendix: Appendix, rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """CSV for Excel: UTF-8 with a BOM, one flattened header row, Vietnamese number text."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c.flat_header for c in appendix.columns])
        for row, _ in _display_rows(appendix, rows):
            writer.writerow([format_vi(c.kind, row[c.key]) for c in appendix.columns])


# --- Parquet -----------------------------------------------------------------------------------


def write_parquet(table: pa.Table, path: Path) -> None:
    """The mart rows as typed columns with their own names, for machines: no total row."""
    pq.write_table(table, path)
