"""Publishing the whole report from a hand-made warehouse: the workbook, the CSV and Parquet of
every appendix and the summary, the manifest, and the HTML page as headless Chromium shows it."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pdfplumber
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from publish import report_html
from publish.appendices import APPENDIX_01, APPENDIX_01_2, PORTAL_ACTIVITY, SUMMARY, with_numbers
from publish.release import MARTS
from tests.test_publish import (
    DOSSIERS,
    MARTS_DDL,
    PERIOD,
    QUESTIONS,
    RELEASE_FILES,
    _insert,
    publish,
)

START, END = date(2023, 1, 1), date(2023, 9, 25)
BONUS = "Cộng 5 điểm khuyến khích đảm bảo font chữ, có ảnh minh họa, trình bày đẹp."
NOTE_NGOAI_VU = (
    "Chưa cập nhật Báo cáo phát triển ngành (trừ 2 điểm); Dự án, hạng mục đầu tư, đấu thầu "
    f"(trừ 2 điểm); Văn bản điều hành (trừ 1 điểm); {BONUS}"
)
NOTE_LDTBXH = f"Thông tin lãnh đạo chưa cập nhật kịp thời (trừ 0,5 điểm); {BONUS}"
NOTE_TDKT = (
    "Chưa cập nhật Văn bản chỉ đạo điều hành (trừ 2 điểm); Cập nhật Báo cáo định kỳ còn ít, "
    "chưa thường xuyên (trừ 1 điểm); Chưa cập nhật Kế hoạch phát triển ngành (trừ 2 điểm)."
)
# (display_order, section, portal_id, portal_name, bloc, score, note), as in the seed's 01: STT
# runs on from section I into II; inserted out of order on purpose.
INFORMATION = [
    (8, "II", "ban-noi-chinh", "Ban Nội chính Tỉnh ủy", "party", 95.0,
     f"Cơ bản thực hiện duy trì thông tin, CSDL theo quy định (đạt 90 điểm); {BONUS}"),
    (1, "I", "so-tttt", "Sở Thông tin và Truyền thông", "government", 55.0,
     f"Duy trì cập nhật đầy đủ các mục thông tin, CSDL theo quy định (đạt 50 điểm); {BONUS}"),
    (2, "I", "ban-dan-toc", "Ban Dân tộc tỉnh", "government", 55.0,
     f"Tích cực duy trì, cập nhật thông tin, CSDL trên Cổng TTĐT (đạt 50 điểm); {BONUS}"),
    (3, "I", "huyen-bao-yen", "Huyện Bảo Yên", "government", 55.0,
     f"Duy trì cập nhật đầy đủ thông tin, CSDL theo quy định (đạt 50 điểm); {BONUS}"),
    (4, "I", "so-ldtbxh", "Sở Lao động - Thương binh và Xã hội", "government", 54.5, NOTE_LDTBXH),
    (5, "I", "so-ngoai-vu", "Sở Ngoại vụ", "government", 50.0, NOTE_NGOAI_VU),
    (6, "I", "hd-tdkt", "Hội đồng Thi đua - Khen thưởng tỉnh", "government", 45.0, NOTE_TDKT),
    (7, "II", "ban-tuyen-giao", "Ban Tuyên giáo Tỉnh ủy", "party", 95.0,
     f"Đã tích cực thực hiện duy trì vận hành (đạt 90 điểm); {BONUS}"),
    (9, "II", "ban-to-chuc", "Ban Tổ chức Tỉnh ủy", "party", 93.0,
     f"Chưa cập nhật Văn bản chỉ đạo điều hành (trừ 2 điểm); {BONUS}"),
]  # fmt: skip
SCALES = {"government": 50.0, "party": 90.0}
# (display_order, portal_id, portal_name, posts, previous period restated and as reported, note)
NOT_SCORED = [
    (1, "so-gtvt", "Sở Giao thông vận tải", 120, None, None,
     "Mới tách Sở và xây dựng Cổng TTĐT từ 01/03/2023; đã đăng tải trên 120 tin, bài."),
    (2, "quy-bvmt", "Qũy Bảo vệ môi trường tỉnh", 0, 14, 14,
     "Không chấm điểm do hoạt động đặc thù. Qua rà soát, trong kỳ chưa duy trì hoạt động."),
]  # fmt: skip
# (display_order, metric, portal_group, label_vi, unit, value, same period last year restated
# on today's units and as reported then): the split department and the communes merged into a
# ward moved last year's posts between groups
SUMMARY_ROWS = [
    (1, "posts", "province", "Tin, bài, CSDL đăng tải mới", "count", 3318, 2892, 2892),
    (2, "posts", "party_mass", "Tin, bài, CSDL đăng tải mới", "count", 4524, 4394, 4394),
    (3, "posts", "department", "Tin, bài, CSDL đăng tải mới", "count", 11233, 10183, 9800),
    (4, "posts", "district", "Tin, bài, CSDL đăng tải mới", "count", 6783, 6948, 7331),
    (5, "posts", "commune", "Tin, bài, CSDL đăng tải mới", "count", 8584, 2584, 2584),
    (6, "posts", "all_components", "Tin, bài, CSDL đăng tải mới", "count", 31124, 24109, 24109),
    (7, "posts_english", "all", "Tin, bài tiếng Anh", "count", 0, 0, 0),
    (8, "portals_active", "all_components", "Cổng TTĐT thành phần hoạt động", "count", 200, 97,
     105),
    (9, "questions_total", "all", "Câu hỏi gửi đến", "count", 129, 100, 100),
    (10, "questions_answered_share", "all", "Tỷ lệ câu hỏi đã trả lời", "rate", 0.9076, 0.85,
     0.85),
    (11, "dossiers_total", "all", "Hồ sơ dịch vụ công", "count", 180326, 150000, 150000),
    (12, "dossiers_on_time_rate", "all", "Tỷ lệ hồ sơ đúng và trước hạn", "rate", 0.981, 0.97,
     0.97),
    (13, "questions_rating_mean", "all", "Mức độ hài lòng bình quân (thang 1–5)", "mean", 4.3,
     4.1, 4.1),
    # the figures of v1.1: questions rated, communes covered, the provincial portal's channels
    # (a rate that did not move: no arrow)
    (14, "questions_rated", "all", "Câu hỏi được người hỏi đánh giá mức độ hài lòng", "count",
     40, 30, 30),
    (15, "commune_coverage", "commune", "Tỷ lệ xã, phường, thị trấn có Cổng TTĐT", "rate",
     0.95, 0.95, 0.95),
    (16, "channel_fanpage_followers", "province", "Người theo dõi Fanpage", "count", 12500,
     10000, 10000),
    (17, "channel_fanpage_response_rate", "province", "Tỷ lệ phản hồi tin nhắn Fanpage",
     "rate", 0.9, 0.9, 0.9),
    (18, "channel_portal_visits_visits", "province", "Lượt truy cập Cổng TTĐT tỉnh trong kỳ",
     "count", 1018221, 998000, 998000),
]  # fmt: skip
# portal_activity: (portal_id, portal_name, portal_group, reporting_group, retired_on, posts,
# posts last year restated / as reported, previous period restated / as reported, questions,
# last year's two, dossiers, last year's two, predecessors, successors, is_restatable, note);
# inserted out of print order on purpose
SPLIT_NOTE = (
    "Tiếp nhận một phần của Sở Giao thông vận tải - Xây dựng (cùng kỳ 383 tin, bài, 0 câu hỏi,"
    " 40 hồ sơ; kỳ trước 300 tin, bài) từ 01/03/2023; chưa có tỷ lệ phân chia nên số liệu so"
    " sánh không điều chỉnh"
)
MERGE_NOTE = (
    "Hợp nhất từ Xã Sa Pả và Xã Hầu Thào từ 01/07/2023; cùng kỳ là tổng của các đơn vị trước"
    " hợp nhất"
)
ACTIVITY = [
    ("xa-tan-tien", "Xã Tân Tiến", "commune", "commune", None, 70, 0, None, 0, None,
     0, 0, None, 0, 0, None, None, None, True, None),
    ("so-xd", "Sở Xây dựng", "department", "department", None, 95, None, None, None, None,
     2, None, None, 10, None, None, ["so-gtvt-xd"], None, False, SPLIT_NOTE),
    ("phuong-sa-pa", "Phường Sa Pa", "ward", "commune", None, 50, 90, None, 80, None,
     1, 3, None, 5, 8, None, ["xa-hau-thao", "xa-sa-pa"], None, True, MERGE_NOTE),
    ("huyen-bao-yen", "Huyện Bảo Yên", "district", "district", None, 500, 480, 480, 470, 470,
     4, 5, 5, 9898, 9000, 9000, None, None, True, None),
    ("so-gtvt-xd", "Sở Giao thông vận tải - Xây dựng", "department", "department",
     date(2023, 3, 1), 40, 383, 383, 300, 300, 0, 0, 0, 40, 40, 40, None, ["so-gtvt", "so-xd"],
     True, "Đã chia tách, sắp xếp vào Sở Giao thông vận tải và Sở Xây dựng từ 01/03/2023"),
    ("ubnd-tinh", "Cổng TTĐT tỉnh Lào Cai", "province", "province", None, 3318, 2892, 2892,
     3000, 3000, 0, 0, 0, 0, 0, 0, None, None, True, None),
    ("so-gtvt", "Sở Giao thông vận tải", "department", "department", None, 120, None, None,
     None, None, 0, None, None, 0, None, None, ["so-gtvt-xd"], None, False, SPLIT_NOTE),
]  # fmt: skip
ACTIVITY_ORDER = ["ubnd-tinh", "so-gtvt", "so-gtvt-xd", "so-xd", "huyen-bao-yen", "xa-tan-tien",
                  "phuong-sa-pa"]  # fmt: skip
SHEETS = ["Phụ biểu 01", "Phụ biểu 01.2", "Phụ biểu 02", "Phụ biểu 03", "Tổng hợp",
          "Kênh thông tin", "Theo đơn vị"]  # fmt: skip
# marts.channel_metrics: (channel, metric, kind, unit, label_vi, value, last year, windows);
# inserted out of print order on purpose
CHANNELS = [
    ("zalo", "posts", "flow", "count", "Tin, bài đăng trên Zalo OA", 840.0, None, 9),
    ("fanpage", "response_rate", "level", "rate", "Tỷ lệ phản hồi tin nhắn Fanpage", 1.0, 0.5,
     None),
    ("fanpage", "followers", "level", "count", "Người theo dõi Fanpage", 12997.0, 10000.0, None),
    ("gazette", "issues", "flow", "count", "Số Công báo điện tử phát hành", None, 4.0, 0),
]  # fmt: skip
REPORT = f"bao-cao-{PERIOD}"
CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: no GPU, no first-run or background requests that would be "requests".
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTH = 1200


def insert_report(con) -> None:
    period = [PERIOD, START, END]
    # the latest event ingested: the page's watermark
    con.execute("insert into raw.portal_events values ('e-1', '2023-09-26 01:04:00+00')")
    for order, section, pid, name, bloc, score, note in INFORMATION:
        scale = SCALES[bloc]
        con.execute(
            "insert into marts.appendix_01_information values "
            "(?, ?, ?, ?, ?, ?, ?, 'department', ?, ?, 5, ?, 40, ?, ?, ?, 1, ?, 'not read')",
            [*period, order, section, pid, name, bloc, scale, scale + 5,
             max(0.0, scale - score), 5.0 if score > scale else 0.0, score, note],
        )  # fmt: skip
    for order, pid, name, posts, before, reported, note in NOT_SCORED:
        con.execute(
            "insert into marts.appendix_01_2_not_scored values "
            "(?, ?, ?, ?, ?, ?, 'department', '2023-03-01', ?, ?, ?, '2022-04-01', '2022-12-31',"
            " ?)",
            [*period, order, pid, name, posts, before, reported, note],
        )
    _insert(con, PERIOD, START, END, QUESTIONS, DOSSIERS)
    for bloc, scale in SCALES.items():
        scores = [r[5] for r in INFORMATION if r[4] == bloc]
        at_max = [r[3] for r in INFORMATION if r[4] == bloc and r[5] == scale + 5]
        below = [r[3] for r in INFORMATION if r[4] == bloc and r[5] < scale]
        n = len(scores)
        con.execute(
            "insert into marts.scorecard_bloc values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1.5, ?, ?, ?, ?, ?, ?)",
            [*period, bloc, scale, scale + 5, n, sum(scores) / n, min(scores), max(scores),
             len(at_max), n - len(at_max) - len(below), len(below), "; ".join(at_max),
             "; ".join(below),
             f"{len(at_max):02d}/{n:02d} Cổng TTĐT thành phần đạt điểm tối đa {scale + 5:.0f} "
             f"điểm; {len(below):02d}/{n:02d} đạt dưới {scale:.0f} điểm"],
        )  # fmt: skip
    for order, _, pid, name, bloc, score, _ in INFORMATION:
        con.execute(
            "insert into marts.scorecard_portal values "
            "(?, ?, ?, ?, ?, ?, true, ?, ?, null, null, null, null, ?, ?, ?, ?)",
            [*period, pid, name, bloc, score, SCALES[bloc] + 5, score, SCALES[bloc] + 5,
             score / (SCALES[bloc] + 5), order],
        )  # fmt: skip
    for channel, metric, kind, unit, label, value, before, windows in CHANNELS:
        change = value - before if value is not None and before is not None else None
        con.execute(
            "insert into marts.channel_metrics values "
            "(?, ?, ?, 'ubnd-tinh', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
            [*period, channel, metric, kind, unit, label, value, before, change,
             change / before if change is not None and before else None, windows],
        )  # fmt: skip
    for order, metric, group, label, unit, value, before, reported in SUMMARY_ROWS:
        change, change_reported = value - before, value - reported
        con.execute(
            "insert into marts.report_summary values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '2022-01-01', '2022-09-25')",
            [*period, order, metric, group, label, unit, value, before, change,
             change / before if before else None, reported, change_reported,
             change_reported / reported if reported else None, before != reported],
        )  # fmt: skip
    for pid, name, group, reporting, retired, *figures, preds, succs, restatable, note in ACTIVITY:
        con.execute(
            "insert into marts.portal_activity values "
            f"(?, ?, ?, ?, ?, ?, ?, ?, ?, {', '.join('?' * 11)}, false, ?, ?, ?, ?)",
            [*period, pid, name, group, reporting, retired is None, retired, *figures, preds,
             succs, restatable, note],
        )  # fmt: skip


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute(MARTS_DDL)
    insert_report(con)
    try:
        yield publish(con, root / "publish")
    finally:
        con.close()


def workbook(release):
    return openpyxl.load_workbook(release.path / f"{REPORT}.xlsx")


def values(ws, min_row=1):
    return [[c.value for c in row] for row in ws.iter_rows(min_row=min_row)]


# --- the files ----------------------------------------------------------------------------------


def test_manifest_lists_every_file_with_its_checksum(release):
    manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
    on_disk = sorted(p.name for p in release.path.iterdir() if p.name != "manifest.json")
    assert on_disk == sorted(RELEASE_FILES)
    assert sorted(e["name"] for e in manifest["files"]) == on_disk
    for entry in manifest["files"]:
        data = (release.path / entry["name"]).read_bytes()
        assert (entry["bytes"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    by_name = {e["name"]: e for e in manifest["files"]}
    assert by_name["appendix_01_information.parquet"]["rows"] == len(INFORMATION)
    assert by_name["report_summary.csv"]["rows"] == len(SUMMARY_ROWS)
    assert by_name["portal_activity.csv"]["rows"] == len(ACTIVITY)
    assert by_name[f"{REPORT}.xlsx"]["tables"] == [
        "appendix_01_information", "appendix_01_2_not_scored", "appendix_02_questions",
        "appendix_03_dossiers", "report_summary", "channel_metrics", "portal_activity",
    ]  # fmt: skip
    assert "portal_activity" in by_name[f"{REPORT}.html"]["tables"]
    assert by_name[f"{REPORT}.html"]["format"] == "html"
    assert "scorecard_bloc" in by_name[f"{REPORT}.html"]["tables"]


def test_workbook_sheets_and_appendix_01_sections(release):
    wb = workbook(release)
    assert wb.sheetnames == SHEETS
    ws = wb["Phụ biểu 01"]
    # the seed's title block: the report it is attached to, with blanks for the number and the
    # date not given, then the criteria
    assert [ws[f"A{r}"].value for r in range(1, 6)] == [
        "Phụ biểu số 01",
        "BẢNG ĐÁNH GIÁ MỨC ĐỘ CUNG CẤP THÔNG TIN TRÊN CÁC CỔNG TTĐT THÀNH PHẦN",
        "(Tính từ 01/01/2023 đến 25/09/2023)",
        "(Kèm theo Báo cáo số …/BC-UBND ngày … tháng … năm … của UBND tỉnh)",
        "Căn cứ theo Bộ tiêu chí tại Quyết định số 4526/QĐ-HĐBT ngày 14/12/2020 của HĐBT "
        "Cổng TTĐT tỉnh",
    ]
    assert [c.value for c in ws[7]] == [
        "STT", "Tên cơ quan, đơn vị", "Thang điểm (+5 điểm khuyến khích)",
        "Đánh giá khả năng cung cấp thông tin", "Ghi chú",
    ]  # fmt: skip
    body = values(ws, min_row=8)
    assert [r[0] for r in body] == ["I", 1, 2, 3, 4, 5, 6, "II", 7, 8, 9]  # STT runs on
    assert body[0][1] == (
        "CƠ QUAN KHỐI CHÍNH QUYỀN (SỞ, BAN, NGÀNH TỈNH VÀ TƯƠNG ĐƯƠNG); CÁC HUYỆN, THỊ XÃ, "
        "THÀNH PHỐ (Thang điểm tối đa là 50 + 5 điểm thưởng)"
    )
    assert body[7][1] == (
        "CƠ QUAN KHỐI ĐẢNG VÀ CƠ QUAN CHUYÊN NGÀNH ĐẶC THÙ "
        "(Thang điểm tối đa là 90 + 5 điểm thưởng)"
    )
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"B8:E8", "B15:E15"} <= merged
    assert ws["B8"].font.bold and ws["A15"].font.bold
    assert body[4][1:] == ["Sở Lao động - Thương binh và Xã hội", 50, 54.5, NOTE_LDTBXH]
    assert body[6][1:4] == ["Hội đồng Thi đua - Khen thưởng tỉnh", 50, 45]
    assert body[9][1:4] == ["Ban Nội chính Tỉnh ủy", 90, 95]
    # a number with at most one decimal shown: 50 and 54,5
    assert (ws["C12"].number_format, ws["D12"].number_format) == ("0", "0.0")
    assert ws["D9"].number_format == "0"
    assert ws.freeze_panes == "C8"
    # printed on A4, one page wide, the header row on every page, numbered "Trang x/y"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.print_title_rows == "$7:$7"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.oddFooter.center.text == "Trang &P/&N"
    # every row's height set from its text, none left to the viewer: a note on three lines
    # gets a taller row than a one-line one
    heights = [ws.row_dimensions[r].height for r in range(1, ws.max_row + 1)]
    assert None not in heights
    assert ws.row_dimensions[13].height > ws.row_dimensions[15].height


def test_workbook_not_scored_02_03_and_summary(release):
    wb = workbook(release)
    ws = wb["Phụ biểu 01.2"]
    assert ws["A1"].value == "Phụ biểu số 01.2"
    assert ws["A4"].value == "(Kèm theo Báo cáo số …/BC-UBND ngày … tháng … năm … của UBND tỉnh)"
    assert ws["A5"].value.startswith("Kỳ trước theo đơn vị hiện nay: số liệu tính lại")
    assert [c.value for c in ws[7]] == [
        "STT",
        "Tên cơ quan, đơn vị",
        "Đánh giá khả năng cung cấp thông tin",
        "Tin, bài, CSDL đăng tải",
        None,
        None,
        "Ghi chú",
    ]
    # the previous period on today's units, and as the units of the time reported it
    assert [c.value for c in ws[8][3:6]] == [
        "Trong kỳ",
        "Kỳ trước (theo đơn vị hiện nay)",
        "Kỳ trước (như đã báo cáo)",
    ]
    assert {"D7:F7", "A7:A8", "G7:G8"} <= {str(r) for r in ws.merged_cells.ranges}
    # a split without shares has no previous period to compare with: empty, not 0
    assert values(ws, min_row=9) == [
        [o, n, "KCĐ", posts, before, reported, note]
        for o, _, n, posts, before, reported, note in NOT_SCORED
    ]

    questions = values(wb["Phụ biểu 02"], min_row=8)
    # the seed's columns (the ratings come after them)
    assert questions[0][1:9] == ["Sở Giáo dục và Đào tạo", 78, 73, 5, 0, 0, 18, QUESTIONS[1][9]]
    assert questions[-1][1] == "Tổng số"
    dossiers = wb["Phụ biểu 03"]
    assert dossiers["T7"].value == "GHI CHÚ"
    assert dossiers["T10"].value.startswith("Tỷ lệ giải quyết đúng và trước hạn 98,0%")
    # the 20 columns of 03 print landscape; 01.2's and the summary's too, being wide
    assert dossiers.page_setup.orientation == "landscape"

    ws = wb["Tổng hợp"]
    assert ws["A1"].value == "Tổng hợp số liệu của báo cáo 9 tháng năm 2023"
    assert ws["A3"].value.startswith("Cùng kỳ theo đơn vị hiện nay: số liệu tính lại")
    assert ws["A3"].value.endswith("tăng, giảm so với cùng kỳ theo đơn vị hiện nay")
    assert [c.value for c in ws[5]] == [
        "Chỉ tiêu", "Nhóm", "Kỳ này", "Cùng kỳ (theo đơn vị hiện nay)",
        "Cùng kỳ (như đã báo cáo)", "Tăng, giảm", "Tỷ lệ tăng, giảm %",
    ]  # fmt: skip
    body = values(ws, min_row=6)
    assert len(body) == len(SUMMARY_ROWS)  # no total row
    assert body[0] == ["Tin, bài, CSDL đăng tải mới", "Cổng TTĐT tỉnh", 3318, 2892, 2892, 426,
                       pytest.approx(426 / 2892)]  # fmt: skip
    # the change is against last year on today's units; as reported then beside it
    assert body[3][1] == "Huyện, thị xã, thành phố" and body[3][3:6] == [6948, 7331, -165]
    assert body[6][6] is None  # nothing last year: no rate of change
    rate = next(row for row in ws.iter_rows(min_row=6) if row[0].value.startswith("Tỷ lệ hồ sơ"))
    assert [c.number_format for c in rate[2:7]] == ["0.0%"] * 5
    assert (ws["C6"].number_format, ws["G6"].number_format) == ("#,##0", "0.0%")
    # a mean of ratings: one decimal (4,3 in a Vietnamese Excel)
    mean = next(row for row in ws.iter_rows(min_row=6) if row[0].value.startswith("Mức độ hài"))
    assert [c.value for c in mean[2:6]] == [4.3, 4.1, 4.1, pytest.approx(0.2)]
    assert [c.number_format for c in mean[2:6]] == ["0.0"] * 4


def test_workbook_channels_a_row_per_metric_rates_as_percent_nothing_measured_empty(release):
    ws = workbook(release)["Kênh thông tin"]
    assert ws["A1"].value == "Số liệu các kênh thông tin khác 9 tháng năm 2023"
    assert [c.value for c in ws[5]] == [
        "STT",
        "Chỉ tiêu",
        "Kỳ này",
        "Cùng kỳ",
        "Tăng, giảm",
        "Tỷ lệ tăng, giảm %",
    ]
    body = values(ws, min_row=6)
    assert body == [  # by channel and metric; no total row: the units differ
        [1, "Người theo dõi Fanpage", 12997, 10000, 2997, pytest.approx(0.2997)],
        [2, "Tỷ lệ phản hồi tin nhắn Fanpage", 1, 0.5, 0.5, 1],
        [3, "Số Công báo điện tử phát hành", None, 4, None, None],
        [4, "Tin, bài đăng trên Zalo OA", 840, None, None, None],
    ]
    assert [c.number_format for c in ws[7][2:5]] == ["0.0%"] * 3  # a rate's row
    assert ws["C6"].number_format == "#,##0"


def test_workbook_units_with_both_readings(release):
    ws = workbook(release)["Theo đơn vị"]
    assert [ws[f"A{r}"].value for r in range(1, 3)] == [
        "Số liệu của các cơ quan, đơn vị có Cổng TTĐT 9 tháng năm 2023",
        "(Tính từ 01/01/2023 đến 25/09/2023)",
    ]
    assert ws["A3"].value.startswith("Cùng kỳ, kỳ trước theo đơn vị hiện nay")
    # each figure's group over its period, and its earlier windows in both readings
    assert [c.value for c in ws[5]] == [
        "STT", "Tên cơ quan, đơn vị", "Nhóm", "Tin, bài, CSDL", None, None, None, None,
        "Câu hỏi Hỏi - Đáp", None, None, "Hồ sơ TTHC", None, None, "Ghi chú",
    ]  # fmt: skip
    assert [c.value for c in ws[6][3:8]] == [
        "Kỳ này",
        "Cùng kỳ (theo đơn vị hiện nay)",
        "Cùng kỳ (như đã báo cáo)",
        "Kỳ trước (theo đơn vị hiện nay)",
        "Kỳ trước (như đã báo cáo)",
    ]
    assert {"D5:H5", "I5:K5", "L5:N5", "O5:O6"} <= {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "C7"
    body = values(ws, min_row=7)
    assert len(body) == len(ACTIVITY)  # no total row: a retired unit's history counts twice
    # by reporting group as the report lists them, a ward with the communes; STT runs 1..n
    assert [r[0] for r in body] == list(range(1, len(ACTIVITY) + 1))
    names = {a[0]: a[1] for a in ACTIVITY}
    assert [r[1] for r in body] == [names[pid] for pid in ACTIVITY_ORDER]
    assert [r[2] for r in body[-2:]] == ["Xã, phường, thị trấn", "Phường"]
    # a split without shares: nothing restated, nothing as reported (it did not exist then)
    assert body[1][1:14] == ["Sở Giao thông vận tải", "Sở, ban, ngành, đơn vị tỉnh", 120,
                             *[None] * 4, 0, None, None, 0, None, None]  # fmt: skip
    assert body[1][14] == SPLIT_NOTE
    # a merger: restated on today's unit, nothing as reported
    assert body[6][3:8] == [50, 90, None, 80, None]
    assert body[4][3:] == [500, 480, 480, 470, 470, 4, 5, 5, 9898, 9000, 9000, None]
    assert ws["L11"].number_format == "#,##0"


def test_csv_per_appendix_and_summary(release):
    def read(name):
        raw = (release.path / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(raw.decode("utf-8-sig").splitlines()))

    rows = read("appendix_01_information.csv")
    assert rows[0] == [
        "STT", "Tên cơ quan, đơn vị", "Thang điểm (+5 điểm khuyến khích)",
        "Đánh giá khả năng cung cấp thông tin", "Ghi chú",
    ]  # fmt: skip
    assert rows[1][0] == "I" and rows[1][1].startswith("CƠ QUAN KHỐI CHÍNH QUYỀN")
    assert rows[1][2:] == ["", "", ""]
    assert rows[5] == ["4", "Sở Lao động - Thương binh và Xã hội", "50", "54,5", NOTE_LDTBXH]
    assert rows[8][:2] == ["II", APPENDIX_01.sections["II"].format(scale="90", bonus_max="5")]
    assert len(rows) == 1 + 2 + len(INFORMATION)  # header, two section rows, no total

    rows = read("appendix_01_2_not_scored.csv")
    assert rows[0] == [c.flat_header for c in APPENDIX_01_2.columns]
    assert rows[0][4] == "Tin, bài, CSDL đăng tải - Kỳ trước (theo đơn vị hiện nay)"
    assert rows[1][3:6] == ["120", "", ""]
    assert rows[2] == ["2", "Qũy Bảo vệ môi trường tỉnh", "KCĐ", "0", "14", "14", NOT_SCORED[1][6]]

    rows = read("report_summary.csv")
    assert rows[0] == [c.flat_header for c in SUMMARY.columns]
    assert rows[1] == ["Tin, bài, CSDL đăng tải mới", "Cổng TTĐT tỉnh", "3.318", "2.892", "2.892",
                       "426", "14,7%"]  # fmt: skip
    assert rows[4][3:6] == ["6.948", "7.331", "-165"]
    assert rows[12][2:] == ["98,1%", "97,0%", "97,0%", "1,1%", "1,1%"]
    assert rows[13][2:6] == ["4,3", "4,1", "4,1", "0,2"]
    assert rows[7][6] == ""

    rows = read("portal_activity.csv")
    assert rows[0] == [c.flat_header for c in PORTAL_ACTIVITY.columns]
    assert rows[0][4:6] == [
        "Tin, bài, CSDL - Cùng kỳ (theo đơn vị hiện nay)",
        "Tin, bài, CSDL - Cùng kỳ (như đã báo cáo)",
    ]
    assert len(rows) == 1 + len(ACTIVITY)  # no total row
    assert rows[7][:7] == ["7", "Phường Sa Pa", "Phường", "50", "90", "", "80"]
    assert rows[7][-1] == MERGE_NOTE


def test_parquet_per_mart(release):
    for mart in MARTS:
        table = pq.read_table(release.path / f"{mart.table}.parquet")
        assert table.column_names == list(mart.columns)  # the mart's extra columns are left out
        assert set(table.column("period_id").to_pylist()) == {PERIOD}
    info = pq.read_table(release.path / "appendix_01_information.parquet")
    assert info.column("display_order").to_pylist() == list(range(1, 10))
    assert info.schema.field("score").type == pa.float64()
    summary = pq.read_table(release.path / "report_summary.parquet").to_pylist()
    assert [r["metric"] for r in summary[:2]] == ["posts", "posts"]
    assert summary[9]["unit"] == "rate" and summary[9]["value"] == 0.9076
    blocs = pq.read_table(release.path / "scorecard_bloc.parquet").to_pylist()
    assert [b["bloc"] for b in blocs] == ["government", "party"]
    units = pq.read_table(release.path / "portal_activity.parquet")
    assert units.column("portal_id").to_pylist() == ACTIVITY_ORDER
    assert units.schema.field("predecessor_portal_ids").type == pa.list_(pa.string())
    assert units.column("posts_same_period_last_year").to_pylist()[1] is None  # not restated


def test_the_same_rows_give_the_same_bytes(release, tmp_path):
    con = duckdb.connect(str(tmp_path / "again.duckdb"))
    con.execute(MARTS_DDL)
    insert_report(con)
    again = publish(con, tmp_path / "publish")
    con.close()
    assert again.files == release.files


# --- the HTML page in headless Chromium ----------------------------------------------------------


@dataclass
class Rendered:
    page: Page
    problems: list[str] = field(default_factory=list)  # anything a reader's browser would flag


def require_chromium(path: Path = CHROMIUM) -> None:
    if not path.exists():
        pytest.fail(
            f"{path} is missing: the HTML report is checked in Debian's Chromium; `make test` "
            "installs it (apt-get install --no-install-recommends chromium)",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def render(browser: Browser):
    """Opens a file as a reader would, recording console errors and warnings, uncaught
    errors, failed requests, and every request for something other than the file itself
    (those are refused before they leave the machine)."""
    pages = []

    def open_file(path: Path) -> Rendered:
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        pages.append(page)
        rendered = Rendered(page)
        own = path.resolve().as_uri()
        page.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
        page.on(
            "console",
            lambda m: (
                rendered.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning", "assert")
                else None
            ),
        )
        page.on("pageerror", lambda e: rendered.problems.append(f"page error: {e}"))
        page.on(
            "request",
            lambda r: (
                rendered.problems.append(f"outside request: {r.url}") if r.url != own else None
            ),
        )
        page.on(
            "requestfailed",
            lambda r: rendered.problems.append(f"request failed: {r.url} ({r.failure})"),
        )
        page.goto(own, wait_until="load")
        return rendered

    yield open_file
    for page in pages:
        page.close()


def count(page: Page, selector: str) -> int:
    return page.locator(selector).count()


def test_report_page_shows_its_charts_without_errors(release, render):
    path = release.path / f"{REPORT}.html"
    rendered = render(path)
    page = rendered.page

    assert rendered.problems == []
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.title() == "Báo cáo hoạt động Cổng TTĐT 9 tháng năm 2023"
    for chart in ("chart-scores-by-bloc", "chart-on-time-rates", "chart-posts-vs-last-year"):
        svg = page.locator(f"figure#{chart} > svg")
        assert svg.count() == 1, chart
        assert svg.get_attribute("aria-label") and svg.locator("title").count() >= 1
        assert svg.bounding_box()["height"] > 50, chart
        assert page.locator(f"figure#{chart} > figcaption").inner_text().strip()
    # one dot per scored portal, one bar per agency with a rate, two bars per portal group
    assert count(page, "#chart-scores-by-bloc circle.portal") == len(INFORMATION)
    assert count(page, "#chart-scores-by-bloc circle:not(.portal)") == 0
    rated = [d for d in DOSSIERS if sum(d[6])]
    assert count(page, "#chart-on-time-rates rect.bar") == len(rated)
    assert count(page, "#chart-posts-vs-last-year rect.bar") == 2 * 5
    # lost points: 01 below its ceiling (54,5, 50, 45, 93), 02 where a rule took points (all
    # late, not the 17,5 of a bonus missed), 03 below its top with something in the period; the
    # agency with no dossier is named apart
    lost = page.locator("#chart-lost-points tr.lost")
    assert lost.count() == 4 + 1 + 1
    first = lost.first.inner_text()
    assert "Hội đồng Thi đua - Khen thưởng tỉnh" in first and "−10" in first
    assert "(trừ 2 điểm)" in first
    idle = page.locator("#chart-lost-points .idle").inner_text()
    assert "Văn phòng Đoàn ĐBQH và HĐND tỉnh" in idle and "25/27" in idle

    text = page.locator("main").inner_text()
    assert "3.318" in text and "▲ 426 (14,7%) so với cùng kỳ" in text
    assert "98,1%" in text and "54,5" in page.content()
    assert "Tính từ 01/01/2023 đến 25/09/2023" in text
    # fits a 1200 px screen: nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_report_page_restates_last_year_and_lists_reorganised_units(release, render):
    rendered = render(release.path / f"{REPORT}.html")
    page = rendered.page
    assert rendered.problems == []
    assert page.locator("header .basis").inner_text() == (
        "Số liệu cùng kỳ được tính theo các cơ quan, đơn vị đang hoạt động đến ngày 25/09/2023"
        " (đơn vị hợp nhất cộng số liệu của các đơn vị trước hợp nhất, đơn vị chia tách nhận"
        " phần theo tỷ lệ phân chia); số liệu như đã báo cáo năm trước được ghi kèm khi khác."
    )
    # a headline whose last year reads differently as reported says both
    cards = page.locator(".card")
    active = cards.filter(has_text="Cổng TTĐT thành phần hoạt động").inner_text()
    assert "▲ 103 (106,2%) so với cùng kỳ (97)" in active
    assert "Cùng kỳ như đã báo cáo: 105" in active
    assert "như đã báo cáo" not in cards.first.inner_text()
    # posts per group: a dashed outline for last year as reported where it differs, and a table
    outlines = page.locator("#chart-posts-vs-last-year rect.as-reported")
    assert outlines.count() == 2
    assert outlines.first.locator("title").text_content() == (
        "Sở, ban, ngành, đơn vị tỉnh – Cùng kỳ như đã báo cáo: 9.800"
    )
    assert "Cùng kỳ (như đã báo cáo)" in page.locator("#chart-posts-vs-last-year svg").inner_html()
    readings = [
        [cell.inner_text() for cell in row.locator("th, td").all()]
        for row in page.locator("#posts-two-readings tbody tr").all()
    ]
    assert readings == [
        ["Sở, ban, ngành, đơn vị tỉnh", "11.233", "10.183", "9.800"],
        ["Huyện, thị xã, thành phố", "6.783", "6.948", "7.331"],
    ]
    # the reorganised units, in print order, each with its note; a short list is shown open
    assert page.locator("details:has(#reorganised-units) > summary").inner_text() == (
        "4 cơ quan, đơn vị, trong đó 1 đã ngừng hoạt động"
    )
    assert page.locator("details:has(#reorganised-units)").get_attribute("open") is not None
    units = page.locator("#reorganised-units tr.unit")
    assert units.count() == 4
    rows = [row.inner_text() for row in units.all()]
    assert [row.split("\n")[0] for row in rows] == [
        "Sở Giao thông vận tải", "Sở Giao thông vận tải - Xây dựng", "Sở Xây dựng",
        "Phường Sa Pa",
    ]  # fmt: skip
    assert SPLIT_NOTE in rows[0] and MERGE_NOTE in rows[3]
    assert "đã ngừng hoạt động" in rows[1] and "đã ngừng hoạt động" not in rows[0]
    cells = units.nth(3).locator("td.num").all_inner_texts()
    assert cells == ["50", "90", "–"]  # restated on the ward; it did not exist then
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_report_page_without_reorganisation_says_so(release):
    tables = {
        m: pq.read_table(release.path / f"{m}.parquet").to_pylist() for m in report_html.MARTS
    }
    for row in tables["report_summary"]:
        row["value_same_period_last_year_as_reported"] = row["value_same_period_last_year"]
    for row in tables["portal_activity"]:
        row["lineage_note"] = None
    html = report_html.render(tables, PERIOD, START, END)
    assert 'class="as-reported"' not in html and 'id="posts-two-readings"' not in html
    assert "Cùng kỳ như đã báo cáo" not in html
    assert "Không có cơ quan, đơn vị nào được sắp xếp lại hay đổi tên so với cùng kỳ" in html
    # the basis is stated all the same: it is how every comparison is made
    assert "Số liệu cùng kỳ được tính theo các cơ quan, đơn vị đang hoạt động" in html


def test_a_long_list_of_reorganised_units_is_folded(release):
    tables = {
        m: pq.read_table(release.path / f"{m}.parquet").to_pylist() for m in report_html.MARTS
    }
    merged = next(r for r in tables["portal_activity"] if r["portal_id"] == "phuong-sa-pa")
    tables["portal_activity"] = [
        {**merged, "portal_id": f"phuong-{i}", "portal_name": f"Phường {i}"} for i in range(25)
    ]
    html = report_html.render(tables, PERIOD, START, END)
    assert "<details>\n<summary>25 cơ quan, đơn vị</summary>" in html
    assert html.count('<tr class="unit">') == 25  # all there, one click away


def test_report_page_is_self_contained(release):
    html = (release.path / f"{REPORT}.html").read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="vi">')
    assert "<script" not in html and "<link" not in html
    # the only URL is the SVG namespace, which is never fetched
    assert html.count("://") == html.count('xmlns="http://www.w3.org/2000/svg"')


def test_the_check_catches_a_broken_page(render, tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html lang="vi"><body><p>Trang hỏng</p>'
        '<img src="khong-co.png" alt="">'
        '<img src="https://example.invalid/logo.png" alt="">'
        "<script>console.warn('cảnh báo'); khongCoHam();</script>"
        "</body></html>",
        encoding="utf-8",
    )
    problems = render(broken).problems
    assert "console warning: cảnh báo" in problems
    assert any(p.startswith("page error:") and "khongCoHam" in p for p in problems)
    assert any(p.startswith("request failed:") and "khong-co.png" in p for p in problems)
    assert any(p == "outside request: https://example.invalid/logo.png" for p in problems)


def test_a_missing_chromium_fails_loudly(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="make test"):
        require_chromium(tmp_path / "chromium")


def test_rubric_numbers_in_headers_come_from_the_rows():
    """A province that raises the bonus sees it in appendix 01's header, with no code change."""
    header = with_numbers(APPENDIX_01, [{"bonus_max": 10.0, "scale": 60.0}]).columns[2].header
    assert header == ("Thang điểm (+10 điểm khuyến khích)",)


# --- the page printed, its release, the new figures ------------------------------------------


def test_report_page_prints_on_a4_without_blank_pages(release, render, tmp_path):
    page = render(release.path / f"{REPORT}.html").page
    pdf_path = tmp_path / "page.pdf"
    page.pdf(path=str(pdf_path), format="A4", print_background=True)
    with pdfplumber.open(pdf_path) as pdf:
        sizes = [(p.width, p.height) for p in pdf.pages]
        texts = [p.extract_text() or "" for p in pdf.pages]
    # A4 portrait, 595 × 842 points (Chromium rounds to whole pixels)
    assert all(abs(w - 595.3) < 1.5 and abs(h - 841.9) < 1.5 for w, h in sizes)
    assert 1 <= len(texts) <= 6
    blank = [i for i, text in enumerate(texts, start=1) if len(text.strip()) < 40]
    assert blank == []
    # every section printed, the last one on the last page
    assert "Hoạt động của Cổng TTĐT tỉnh" in texts[0]
    assert "Các cơ quan, đơn vị bị trừ điểm và lý do" in "".join(texts)
    # nothing wider than the paper: the print's layout does not scroll sideways
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1000})  # A4 less the page margins, in px
    assert page.evaluate("document.documentElement.scrollWidth") <= 718


def test_report_page_names_its_release(release, render):
    page = render(release.path / f"{REPORT}.html").page
    facts = dict(
        zip(
            page.locator("header .release dt").all_inner_texts(),
            page.locator("header .release dd").all_inner_texts(),
            strict=True,
        )
    )
    manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
    published = datetime.fromisoformat(manifest["published_at"]).astimezone(UTC)
    assert facts == {
        "Phiên bản": "v1",
        "Số liệu đến ngày": "25/09/2023",
        "Sự kiện ghi nhận đến": "26/09/2023 01:04 UTC",
        "Ngày phát hành": f"{published:%d/%m/%Y}",
    }
    assert manifest["event_watermark"] == "2023-09-26T01:04:00+00:00"
    assert page.locator("header .attached").inner_text() == (
        "Kèm theo Báo cáo số …/BC-UBND ngày … tháng … năm … của UBND tỉnh"
    )


def test_report_page_shows_channels_coverage_and_satisfaction(release, render):
    page = render(release.path / f"{REPORT}.html").page
    cards = page.locator(".card")
    coverage = cards.filter(has_text="Tỷ lệ xã, phường, thị trấn có Cổng TTĐT").inner_text()
    assert "95,0%" in coverage and "bằng cùng kỳ (95,0%)" in coverage
    rating = cards.filter(has_text="Mức độ hài lòng bình quân").inner_text()
    assert "4,3" in rating and "trên 40 câu hỏi được đánh giá" in rating
    assert "▲ 0,2 so với cùng kỳ (4,1)" in rating
    channels = [
        [cell.inner_text() for cell in row.locator("th, td").all()]
        for row in page.locator("#channels tbody tr").all()
    ]
    assert channels == [
        ["Người theo dõi Fanpage", "12.500", "▲ 2.500 (25,0%) so với cùng kỳ (10.000)"],
        ["Tỷ lệ phản hồi tin nhắn Fanpage", "90,0%", "bằng cùng kỳ (90,0%)"],
        ["Lượt truy cập Cổng TTĐT tỉnh trong kỳ", "1.018.221",
         "▲ 20.221 (2,0%) so với cùng kỳ (998.000)"],
    ]  # fmt: skip
    # no arrow for no change, anywhere
    text = page.locator("main").inner_text()
    assert not re.search(r"[▲▼] 0( |$)", text) and "▲ 0 điểm" not in text


def _tables(release) -> dict[str, list[dict]]:
    return {m: pq.read_table(release.path / f"{m}.parquet").to_pylist() for m in report_html.MARTS}


def test_report_page_without_the_new_figures_shows_nothing_of_them(release):
    tables = _tables(release)
    tables["report_summary"] = [
        r
        for r in tables["report_summary"]
        if not r["metric"].startswith("channel_")
        and r["metric"] not in ("commune_coverage", "questions_rating_mean", "questions_rated")
    ]
    html = report_html.render(tables, PERIOD, START, END)
    assert 'id="channels"' not in html and "Các kênh thông tin" not in html
    assert "Mức độ hài lòng" not in html and "Tỷ lệ xã, phường" not in html


def test_report_page_prints_full_agency_names(release):
    tables = _tables(release)
    long = "Ban Quản lý các khu công nghiệp và khu kinh tế cửa khẩu tỉnh Lào Cai"
    tables["appendix_01_information"][0]["portal_name"] = long
    tables["appendix_03_dossiers"][0]["portal_name"] = long
    html = report_html.render(tables, PERIOD, START, END)
    names = [
        " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", text))
        for text in re.findall(r'<text class="name".*?</text>', html)
    ]
    assert names.count(long) == 2  # both charts, on two lines, nothing cut
    assert not any(n.endswith("…") for n in names)


def test_report_page_orders_ties_in_vietnamese(release):
    """Equal rates in the on-time chart keep the appendix's order (the models' Vietnamese
    collation: Ủy before Văn), not the code points' (V before Ủ)."""
    tables = _tables(release)
    rows = [r for r in tables["appendix_03_dossiers"] if r["on_time_rate"] is not None][:2]
    for order, (row, name) in enumerate(zip(rows, ["Ủy ban A", "Văn phòng B"], strict=True)):
        row.update(portal_name=name, display_order=order + 1, on_time_rate=0.99, total=10)
    html = report_html.render(tables, PERIOD, START, END)
    assert html.index(">Ủy ban A<") < html.index(">Văn phòng B<")


def _grown(rows: list[dict], n: int) -> list[dict]:
    """n agencies from the hand-made few, each its own name, in print order."""
    return [
        {**rows[i % len(rows)], "portal_name": f"{rows[i % len(rows)]['portal_name']} {i}",
         "display_order": i + 1}
        for i in range(n)
    ]  # fmt: skip


def test_a_province_sized_report_prints_without_near_blank_pages(release, render, tmp_path):
    """60 portals, 75 agencies with dossiers: a chart taller than a page is scaled to fit one
    rather than leave its heading alone on a page (the blank pages of the first print)."""
    tables = _tables(release)
    tables["appendix_01_information"] = sorted(
        _grown(tables["appendix_01_information"], 62), key=lambda r: r["bloc"]
    )
    tables["appendix_03_dossiers"] = _grown(tables["appendix_03_dossiers"], 75)
    tables["appendix_02_questions"] = _grown(tables["appendix_02_questions"], 45)
    path = tmp_path / "page.html"
    path.write_text(report_html.render(tables, PERIOD, START, END), encoding="utf-8")
    page = render(path).page
    page.pdf(path=str(tmp_path / "page.pdf"), format="A4", print_background=True)
    with pdfplumber.open(tmp_path / "page.pdf") as pdf:
        texts = [(p.extract_text() or "").strip() for p in pdf.pages]
    assert len(texts) <= 12
    headings = page.locator("h2").all_inner_texts()
    alone = [i for i, t in enumerate(texts, start=1) if len(t) < 120 or t in headings]
    assert alone == []


def test_units_are_listed_in_vietnamese_order(tmp_path):
    """Within a group the units' names sort as Vietnamese does (DuckDB's ICU collation `vi`):
    Ủy before Văn, Đ after D, where code points would put V before Ủ and Đ after Z."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(MARTS_DDL)
    insert_report(con)
    con.execute("delete from marts.portal_activity where portal_group = 'department'")
    for pid, name in [("v", "Văn phòng Sở Y"), ("u", "Ủy ban Sở X"), ("dd", "Đài Phát thanh"),
                      ("d", "Du lịch")]:  # fmt: skip
        con.execute(
            "insert into marts.portal_activity (period_id, period_start, period_end, portal_id,"
            " portal_name, portal_group, reporting_group, is_in_force) values"
            " (?, ?, ?, ?, ?, 'department', 'department', true)",
            [PERIOD, START, END, pid, name],
        )
    rel = publish(con, tmp_path / "publish")
    con.close()
    names = [
        r["portal_name"]
        for r in pq.read_table(rel.path / "portal_activity.parquet").to_pylist()
        if r["portal_group"] == "department"
    ]
    assert names == ["Du lịch", "Đài Phát thanh", "Ủy ban Sở X", "Văn phòng Sở Y"]
