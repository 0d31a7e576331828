"""The workbook printed: each appendix converted to PDF by LibreOffice headless (Debian's
package; `make test` installs it) and the PDF read back with pdfplumber. Every page is A4, each
sheet takes the pages its rows need and no more, the header rows repeat on every page, the pages
say "Trang x/y", the title block and the basis line are there, the body text is legible, and no
text is drawn outside its cell: every name and note lies whole inside its own row, its last line
above the next row's top.

The rows are hand-made: the report of tests/test_publish_report.py, a long appendix 01 (48
agencies, notes from one word to several hundred characters, a line break, a word wider than its
column) and a long appendix 03 (40 agencies, three header rows) written straight to workbooks.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pdfplumber
import pyarrow.parquet as pq
import pytest

from publish import appendices
from publish.appendices import (
    APPENDIX_01,
    APPENDIX_03,
    BODY_PT,
    CRITERIA_BASIS,
    report_reference,
    row_height,
    wrapped_lines,
)
from tests.test_publish import MARTS_DDL, PERIOD, publish
from tests.test_publish_report import insert_report

SOFFICE = Path("/usr/bin/soffice")
PRINT_FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
A4 = (595.3, 841.9)  # points, portrait
REPORT_NUMBER, REPORT_DATE = "125", date(2023, 10, 5)
ATTACHED = "(Kèm theo Báo cáo số 125/BC-UBND ngày 05 tháng 10 năm 2023 của UBND tỉnh)"
PLACEHOLDER = "(Kèm theo Báo cáo số …/BC-UBND ngày … tháng … năm … của UBND tỉnh)"
LEGIBLE_PT = 8.0  # the smallest body text accepted on paper
SHEETS = {  # the release's file of each appendix -> its number as printed ("" for none)
    "appendix_01_information": "01",
    "appendix_01_2_not_scored": "01.2",
    "appendix_02_questions": "02",
    "appendix_03_dossiers": "03",
    "report_summary": "",
    "channel_metrics": "",
    "portal_activity": "",
}
LONG = "long_appendix_01"
LONG_03 = "long_appendix_03"

_PHRASES = [
    "Chưa cập nhật Báo cáo phát triển ngành (trừ 2 điểm)",
    "Dự án, hạng mục đầu tư, đấu thầu, mua sắm công còn ít, chưa thường xuyên (trừ 1 điểm)",
    "Thông tin lãnh đạo chưa cập nhật kịp thời (trừ 0,5 điểm)",
    "Cộng 5 điểm khuyến khích đảm bảo font chữ, có ảnh minh họa, trình bày đẹp",
    "MỤC VĂN BẢN CHỈ ĐẠO ĐIỀU HÀNH CHƯA CÓ VĂN BẢN MỚI TRONG KỲ",
    "Đề nghị cơ quan cập nhật văn bản vào mục “Chỉ đạo điều hành” để thuận tiện theo dõi",
]
_NAMES = [
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Ban Quản lý các khu công nghiệp và khu kinh tế cửa khẩu tỉnh",
    "UBND huyện Mường Khương",
    "Sở Y tế",
]


def long_rows() -> list[dict]:
    """48 agencies of appendix 01 whose notes run from a word to several hundred characters."""
    rows = []
    for i in range(48):
        k = i % 7
        note = "; ".join(_PHRASES[(i + j) % len(_PHRASES)] for j in range(k)) or "Tốt."
        if i == 5:
            note += (
                "\nXem chi tiết: https://laocai.gov.vn/chuyen-muc/van-ban-chi-dao-dieu-hanh-2023"
            )
        if i == 11:
            note = ". ".join(_PHRASES) * 2
        section = "I" if i < 30 else "II"
        scale = 50.0 if section == "I" else 90.0
        rows.append(
            {
                "period_id": PERIOD, "period_start": date(2023, 1, 1),
                "period_end": date(2023, 9, 25), "display_order": i + 1, "section": section,
                "portal_id": f"p{i}", "portal_name": f"{_NAMES[i % len(_NAMES)]} {i + 1}",
                "portal_group": "department", "bloc": "government" if section == "I" else "party",
                "scale": scale, "bonus_max": 5.0, "score_ceiling": scale + 5, "posts": 10 * i,
                "deductions": float(k), "assessment_points": 0.0, "score": scale + 5 - k,
                "rank_in_bloc": i + 1, "note": note,
            }
        )  # fmt: skip
    return rows


def require_soffice(path: Path = SOFFICE, font: Path = PRINT_FONT) -> None:
    for needed in (path, font):
        if not needed.exists():
            pytest.fail(
                f"{needed} is missing: the workbook's print is checked in LibreOffice with the"
                " fonts metric-compatible with Times New Roman and Calibri; `make test` installs"
                " them (apt-get install --no-install-recommends libreoffice-calc"
                " fonts-liberation2 fonts-crosextra-carlito)",
                pytrace=False,
            )


def to_pdf(files: list[Path], out: Path) -> None:
    """Every file converted in one LibreOffice run, with a profile of its own (another
    LibreOffice running on the machine is left alone)."""
    subprocess.run(
        [str(SOFFICE), f"-env:UserInstallation={(out / 'profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, files)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    for f in files:
        assert (out / f"{f.stem}.pdf").exists(), f"LibreOffice did not print {f.name}"


@dataclass
class Printed:
    xlsx: Path
    pdf: Path


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Printed]:
    require_soffice()
    root = tmp_path_factory.mktemp("print")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute(MARTS_DDL)
    insert_report(con)
    try:
        release = publish(
            con, root / "publish", report_number=REPORT_NUMBER, report_date=REPORT_DATE
        )
    finally:
        con.close()
    files = {name: release.path / f"{name}.xlsx" for name in SHEETS}
    files["workbook"] = release.path / f"bao-cao-{PERIOD}.xlsx"
    files[LONG] = root / f"{LONG}.xlsx"
    appendices.write_xlsx(
        APPENDIX_01, long_rows(), files[LONG], period_id=PERIOD,
        period_start=date(2023, 1, 1), period_end=date(2023, 9, 25),
    )  # fmt: skip
    # 40 agencies of appendix 03 (three header rows to repeat), notes of every length
    dossiers = pq.read_table(release.path / "appendix_03_dossiers.parquet").to_pylist()
    grown = [
        {**dossiers[i % len(dossiers)], "display_order": i + 1,
         "portal_name": f"{_NAMES[i % len(_NAMES)]} {i + 1}",
         "note": "; ".join(_PHRASES[(i + j) % len(_PHRASES)] for j in range(i % 5))}
        for i in range(40)
    ]  # fmt: skip
    files[LONG_03] = root / f"{LONG_03}.xlsx"
    appendices.write_xlsx(
        APPENDIX_03, grown, files[LONG_03], period_id=PERIOD,
        period_start=date(2023, 1, 1), period_end=date(2023, 9, 25),
    )  # fmt: skip
    out = root / "pdf"
    out.mkdir()
    to_pdf(list(files.values()), out)
    return {name: Printed(path, out / f"{path.stem}.pdf") for name, path in files.items()}


# --- reading the PDF ----------------------------------------------------------------------------


def squeeze(text: str) -> str:
    """Text without its whitespace: wrapping moves spaces and line breaks, not characters."""
    return re.sub(r"\s+", "", text)


def page_text(page) -> str:
    return squeeze("".join(c["text"] for c in page.chars))


def _cluster(values, gap: float = 1.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > gap:
            out.append(v)
    return out


@dataclass
class Band:
    top: float
    bottom: float
    stt: str
    cells: list[list[dict]]  # the characters of each column whose centre lies in the band


def table_bands(page, columns: int) -> list[Band]:
    """The page's table rows, from its cell borders: the columns from the vertical borders,
    the rows from the horizontal borders that cross the last column (merged header cells
    leave gaps elsewhere)."""
    xs = _cluster(e["x0"] for e in page.edges if e["orientation"] == "v")
    assert len(xs) == columns + 1, f"{len(xs) - 1} columns printed, {columns} expected"
    last_mid = (xs[-2] + xs[-1]) / 2
    ys = _cluster(
        e["top"] for e in page.edges if e["orientation"] == "h" and e["x0"] <= last_mid <= e["x1"]
    )
    bands = []
    for top, bottom in zip(ys, ys[1:], strict=False):
        cells: list[list[dict]] = [[] for _ in range(columns)]
        for c in page.chars:
            cx, cy = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
            if top < cy < bottom and xs[0] < cx < xs[-1]:
                j = max(i for i, x in enumerate(xs[:-1]) if x < cx)
                cells[j].append(c)
        stt = squeeze("".join(c["text"] for c in cells[0]))
        bands.append(Band(top, bottom, stt, cells))
    return bands


def crossings(page) -> list[str]:
    """Characters a horizontal border runs through: text drawn across a cell's edge."""
    found = []
    for e in page.edges:
        if e["orientation"] != "h":
            continue
        for c in page.chars:
            inside = c["x0"] < e["x1"] - 0.5 and c["x1"] > e["x0"] + 0.5
            if inside and c["top"] + 0.75 < e["top"] < c["bottom"] - 0.75 and c["text"].strip():
                found.append(f"{c['text']!r} at ({c['x0']:.0f}, {c['top']:.0f})")
    return found


def overflowing(pdf, ws, text_columns: list[int]) -> tuple[int, list[str]]:
    """(data rows found, the text cells not whole inside their row) over every page. The
    table's rows follow each other in print order, a page's first row being the repeated
    header; each text cell, read inside its row's borders, must be its text, its first line
    below the row's top and its last line above the row's bottom (the next row's top). A
    section's heading, merged over the row, is read whole."""
    data_top = int(re.findall(r"\d+", ws.print_title_rows)[-1]) + 1
    merged = {r.coord.split(":")[0] for r in ws.merged_cells.ranges}
    rows = list(ws.iter_rows(min_row=data_top))
    bands = []
    for page in pdf.pages:
        bands += table_bands(page, ws.max_column)[1:]  # below the page's header
    problems = []
    if len(bands) != len(rows):
        problems.append(f"{len(bands)} rows printed, {len(rows)} in the sheet")
    for row, band in zip(rows, bands, strict=False):
        if f"B{row[0].row}" in merged:  # a section's heading
            heading = [c for cell in band.cells[1:] for c in cell]
            line_by_line = sorted(heading, key=lambda c: (round(c["top"]), c["x0"]))
            cells = [band.cells[0], line_by_line]
            texts = [str(row[0].value or ""), str(row[1].value or "")]
        else:
            cells = [band.cells[j] for j in text_columns]
            texts = [str(row[j].value or "") for j in text_columns]
        for chars, text in zip(cells, texts, strict=True):
            got = squeeze("".join(c["text"] for c in chars))
            first = min((c["top"] for c in chars), default=band.bottom)
            last = max((c["bottom"] for c in chars), default=band.top)
            if got != squeeze(text) or first < band.top - 0.5 or last > band.bottom + 0.5:
                problems.append(
                    f"row {row[0].row}: read {got[:40]!r}…, lines from {first:.1f} to"
                    f" {last:.1f}, the row from {band.top:.1f} to {band.bottom:.1f}"
                )
    return min(len(bands), len(rows)), problems


def body_size(pdf) -> float:
    """The size most characters are printed at (after the sheet's fit to the page width)."""
    sizes = Counter(round(c["size"], 1) for page in pdf.pages for c in page.chars)
    return sizes.most_common(1)[0][0]


def expected_pages(ws, scale: float) -> int:
    """The pages the workbook's own row heights need at this scale: rows fill a page down to
    its bottom margin, and each further page begins with the header rows."""
    landscape = ws.page_setup.orientation == "landscape"
    height = A4[0] if landscape else A4[1]
    room = (height - 72 * (ws.page_margins.top + ws.page_margins.bottom)) / scale
    first, last = (int(n) for n in re.findall(r"\d+", ws.print_title_rows))
    heights = [ws.row_dimensions[r].height for r in range(1, ws.max_row + 1)]
    assert None not in heights, "every row's height is set, none left to the viewer"
    repeated = sum(heights[first - 1 : last])
    pages, used = 1, 0.0
    for h in heights:
        if used + h > room + 1.0:
            pages, used = pages + 1, repeated + h
        else:
            used += h
    return pages


def text_columns(ws) -> list[int]:
    """The columns (0-based) of wrapped text in the table's rows: names, notes, labels."""
    data_top = int(re.findall(r"\d+", ws.print_title_rows)[-1]) + 1
    return sorted(
        {
            j
            for row in ws.iter_rows(min_row=data_top)
            for j, cell in enumerate(row)
            if cell.alignment.wrap_text and isinstance(cell.value, str)
        }
    )


# --- the checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*SHEETS, LONG, LONG_03])
def test_each_sheet_prints_on_a4_with_nothing_outside_its_cells(printed, name):
    sheet = printed[name]
    ws = openpyxl.load_workbook(sheet.xlsx).active
    with pdfplumber.open(sheet.pdf) as pdf:
        pages = pdf.pages
        # A4, portrait or landscape as the sheet says
        for page in pages:
            assert sorted((round(page.width, 1), round(page.height, 1))) == list(A4)
            assert (page.width > page.height) == (ws.page_setup.orientation == "landscape")
        # legible: the body text after the fit to the page width
        size = body_size(pdf)
        assert size >= LEGIBLE_PT, f"{name}: body text printed at {size} pt"
        assert len(pages) == expected_pages(ws, size / BODY_PT)
        # the title block on the first page, the header rows and "Trang x/y" on every page
        first = page_text(pages[0])
        header_top = int(re.findall(r"\d+", ws.print_title_rows)[0])
        title = [ws.cell(r, 1).value for r in range(1, header_top) if ws.cell(r, 1).value]
        for line in title:
            assert squeeze(line) in first, line
        header = ws.cell(header_top, 2).value
        for i, page in enumerate(pages, start=1):
            text = page_text(page)
            assert squeeze(header) in text, f"{name}: no header rows on page {i}"
            assert f"Trang{i}/{len(pages)}" in text
        # nothing drawn across a border; every name and note whole in its own row
        assert [c for page in pages for c in crossings(page)] == []
        columns = text_columns(ws)
        # names and notes; the summary's and the channels' labels alone
        assert len(columns) >= (1 if name in ("report_summary", "channel_metrics") else 2)
        found, problems = overflowing(pdf, ws, columns)
        data_top = int(re.findall(r"\d+", ws.print_title_rows)[-1]) + 1
        assert found == ws.max_row - data_top + 1
        assert problems == []  # overflow: 0


def test_title_block_and_basis_as_in_the_seed(printed):
    for name, number in SHEETS.items():
        with pdfplumber.open(printed[name].pdf) as pdf:
            first = page_text(pdf.pages[0])
        if not number:  # the summary and the units' figures are no appendix of the report
            assert squeeze("Kèm theo") not in first
            continue
        assert squeeze(f"Phụ biểu số {number}") in first
        assert squeeze(ATTACHED) in first, name
        if number != "01.2":  # the scored appendices say which criteria they follow
            assert squeeze(CRITERIA_BASIS) in first, name
    with pdfplumber.open(printed[LONG].pdf) as pdf:  # no number or date given: the blanks
        assert squeeze(PLACEHOLDER) in page_text(pdf.pages[0])


def test_long_appendix_spans_pages_with_headers_and_page_numbers(printed):
    with pdfplumber.open(printed[LONG].pdf) as pdf:
        assert len(pdf.pages) >= 3
        # the long note (row 12) takes the height its lines need, and prints whole
        ws = openpyxl.load_workbook(printed[LONG].xlsx).active
        row = next(r for r in ws.iter_rows() if r[0].value == 12)
        width = ws.column_dimensions["E"].width
        assert ws.row_dimensions[row[0].row].height == row_height(
            wrapped_lines(row[4].value, width)
        )
        assert row_height(wrapped_lines(row[4].value, width)) > 6 * BODY_PT
        assert f"Trang{len(pdf.pages)}/{len(pdf.pages)}" in page_text(pdf.pages[-1])


def test_whole_workbook_prints_every_sheet(printed):
    with pdfplumber.open(printed["workbook"].pdf) as pdf:
        total = len(pdf.pages)
        for page in pdf.pages:
            assert sorted((round(page.width, 1), round(page.height, 1))) == list(A4)
        texts = [page_text(p) for p in pdf.pages]
    parts = 0
    for name in SHEETS:
        with pdfplumber.open(printed[name].pdf) as pdf:
            parts += len(pdf.pages)
    assert total == parts
    # numbered through the whole print
    assert [f"Trang{i}/{total}" in t for i, t in enumerate(texts, start=1)] == [True] * total


def test_report_reference_line():
    assert report_reference() == PLACEHOLDER
    assert report_reference("125", REPORT_DATE) == ATTACHED
    assert report_reference("125/BC-UBND", "2023-10-05") == ATTACHED
    assert report_reference("", None) == PLACEHOLDER


def test_width_model_wraps_at_spaces_and_breaks_long_words():
    assert wrapped_lines("Sở Y tế", 20) == 1
    assert wrapped_lines("a " * 40, 10) > wrapped_lines("a " * 40, 20) > 1
    assert wrapped_lines("x" * 60, 20) == 4  # 60 units in 19.4 per line
    assert wrapped_lines("một\nhai", 40) == 2  # a line break is a line
    assert row_height(2) > row_height(1) > BODY_PT


def test_a_missing_soffice_or_font_fails_loudly(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="make test"):
        require_soffice(tmp_path / "soffice")
    with pytest.raises(pytest.fail.Exception, match="make test"):
        require_soffice(SOFFICE, tmp_path / "LiberationSerif-Regular.ttf")


def test_report_number_and_date_are_run_options(capsys):
    """`run --report-number --report-date` reach the publish step's config; a date that is no
    date is refused by the parser (exit 2), before anything runs."""
    from orchestration.cli import parser
    from orchestration.definitions import defs
    from orchestration.runs import run_config

    args = parser().parse_args(
        ["run", "--period", PERIOD, "--report-number", "125", "--report-date", "2023-10-05"]
    )
    assert (args.report_number, args.report_date) == ("125", REPORT_DATE)
    job = defs.resolve_job_def("period_job")
    config = run_config(job, None, "INFO", False, "125", "2023-10-05")["resources"]["report"]
    assert config["config"] == {
        "cutoff": None, "allow_empty": False, "report_number": "125", "report_date": "2023-10-05",
    }  # fmt: skip
    assert "report_number" not in run_config(job, None, "INFO")["resources"]["report"]["config"]
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["run", "--period", PERIOD, "--report-date", "5/10/2023"])
    assert exit_.value.code == 2
    assert "is not a date (YYYY-MM-DD)" in capsys.readouterr().err
