"""Publishing from a hand-made warehouse: release, manifest and versions, appendices 02 and 03
read back from the real files (tests/test_publish_report.py covers the rest of the report)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from datetime import date

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from publish import release
from publish.appendices import APPENDIX_03, COUNT, MEAN, RATE, SCORE, format_vi, period_label
from publish.release import PublishError, publish_period

PERIOD = "2023-9M"
OTHER = "2023-Q3"

# The marts a release reads, with the columns of the issue-4 spec and MARTS.md 1.1 (last year as
# reported, portal_activity); a column the release does not read (`extra`) shows that extra
# columns are tolerated.
MARTS_DDL = """
create schema marts;
create table marts.appendix_01_information (
    period_id varchar, period_start date, period_end date, display_order integer,
    section varchar, portal_id varchar, portal_name varchar, portal_group varchar, bloc varchar,
    scale double, bonus_max double, score_ceiling double, posts bigint, deductions double,
    assessment_points double, score double, rank_in_bloc integer, note varchar, extra varchar
);
create table marts.appendix_01_2_not_scored (
    period_id varchar, period_start date, period_end date, display_order integer,
    portal_id varchar, portal_name varchar, portal_group varchar, registered_on date,
    posts bigint, posts_previous_period bigint, posts_previous_period_as_reported bigint,
    previous_period_start date, previous_period_end date, note varchar
);
create table marts.appendix_02_questions (
    period_id varchar, period_start date, period_end date, display_order integer,
    portal_id varchar, portal_name varchar, portal_group varchar,
    total bigint, answered bigint, waiting_answer bigint, waiting_acceptance bigint,
    deleted bigint, eligible bigint, answered_unauthorized bigint, late bigint, score double,
    score_max double, score_rule varchar, note varchar, questions_rated bigint,
    rating_mean double, rating_sum bigint
);
create table marts.appendix_03_dossiers (
    period_id varchar, period_start date, period_end date, display_order integer,
    portal_id varchar, portal_name varchar, portal_group varchar,
    total bigint, carried_over bigint, received_counter bigint, received_online bigint,
    resolved_l2_early bigint, resolved_l2_on_time bigint, resolved_l2_late bigint,
    resolved_l3_early bigint, resolved_l3_on_time bigint, resolved_l3_late bigint,
    resolved_l4_early bigint, resolved_l4_on_time bigint, resolved_l4_late bigint,
    resolved bigint, withdrawn bigint, in_progress bigint,
    resolution_rate double, on_time_rate double, score double, score_max double,
    score_rule varchar, on_time_tiers double[], note varchar
);
create table marts.scorecard_portal (
    period_id varchar, period_start date, period_end date, portal_id varchar,
    portal_name varchar, bloc varchar, scored boolean, information_score double,
    information_max double, qa_score double, qa_max double, dossier_score double,
    dossier_max double, total_score double, total_max double, score_share double,
    rank_in_bloc integer
);
create table marts.scorecard_bloc (
    period_id varchar, period_start date, period_end date, bloc varchar, scale double,
    score_ceiling double, portals bigint, mean_score double, min_score double,
    max_score double, stddev_score double, portals_at_max bigint, portals_at_scale bigint,
    portals_below_scale bigint, portals_at_max_names varchar,
    portals_below_scale_names varchar, summary_note varchar
);
create table marts.report_summary (
    period_id varchar, period_start date, period_end date, display_order integer,
    metric varchar, portal_group varchar, label_vi varchar, unit varchar, value double,
    value_same_period_last_year double, change double, change_pct double,
    value_same_period_last_year_as_reported double, change_as_reported double,
    change_pct_as_reported double, is_restated boolean,
    same_period_start date, same_period_end date
);
create table marts.portal_activity (
    period_id varchar, period_start date, period_end date, portal_id varchar,
    portal_name varchar, portal_group varchar, reporting_group varchar, is_in_force boolean,
    retired_on date, posts bigint, posts_same_period_last_year bigint,
    posts_same_period_last_year_as_reported bigint, posts_previous_period bigint,
    posts_previous_period_as_reported bigint, questions_total bigint,
    questions_total_same_period_last_year bigint,
    questions_total_same_period_last_year_as_reported bigint, dossiers_total bigint,
    dossiers_total_same_period_last_year bigint,
    dossiers_total_same_period_last_year_as_reported bigint, provides_english boolean,
    predecessor_portal_ids varchar[], successor_portal_ids varchar[], is_restatable boolean,
    lineage_note varchar
);
create table marts.channel_metrics (
    period_id varchar, period_start date, period_end date, portal_id varchar, channel varchar,
    metric varchar, kind varchar, unit varchar, label_vi varchar, value double,
    value_same_period_last_year double, change double, change_pct double,
    windows_summed integer, read_on date
);
create schema raw;
create table raw.portal_events (event_id varchar, ingested_at timestamptz);
create table raw.question_events (event_id varchar, ingested_at timestamptz);
"""

NOTE_1 = "Duy trì thực hiện rất tốt, trả lời đúng trọng tâm, nội dung"
# (display_order, portal_id, portal_name, total, answered, waiting_answer, waiting_acceptance,
#  deleted, score, note); inserted out of STT order on purpose.
QUESTIONS = [
    (3, "huyen-bao-thang", "Huyện Bảo Thắng", 9, 1, 0, 5, 3, 0.0, "Trả lời chậm"),
    (1, "so-gddt", "Sở Giáo dục và Đào tạo", 78, 73, 5, 0, 0, 18.0, NOTE_1),
    (2, "so-tnmt", "Sở Tài nguyên và Môi trường", 42, 34, 1, 0, 7, 17.5, ""),
]
# (display_order, portal_id, portal_name, carried_over, counter, online,
#  nine resolved cells l2 early/on_time/late, l3 ..., l4 ..., withdrawn, score, note)
NOTE_03 = "Tỷ lệ giải quyết đúng và trước hạn 98,0%, từ 80% đến dưới 96% (đạt 25 điểm)"
DOSSIERS = [
    (2, "huyen-bao-yen", "UBND Huyện Bảo Yên", 2, 428, 9896,
     (32, 0, 0, 46, 0, 0, 9000, 100, 50), 8, 27.0, "Đạt từ 96% trở lên (27 điểm)"),
    (1, "so-ct", "Sở Công Thương", 0, 127, 169873,
     (1, 0, 1, 0, 0, 0, 160000, 0, 3226), 10, 25.0, NOTE_03),
    (3, "vp-doan-dbqh", "Văn phòng Đoàn ĐBQH và HĐND tỉnh", 0, 0, 0,
     (0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 25.0, "Không phát sinh hồ sơ trong kỳ"),
]  # fmt: skip
# Every file of a release but its manifest: each appendix, the summary and the units' figures in
# three formats, the scorecards in Parquet, the whole report as a workbook and a page.
TABLES = ("appendix_01_information", "appendix_01_2_not_scored", "appendix_02_questions",
          "appendix_03_dossiers", "report_summary", "channel_metrics",
          "portal_activity")  # fmt: skip
RELEASE_FILES = [
    *(f"{t}.{ext}" for t in TABLES for ext in ("xlsx", "csv", "parquet")),
    "scorecard_bloc.parquet",
    "scorecard_portal.parquet",
    f"bao-cao-{PERIOD}.xlsx",
    f"bao-cao-{PERIOD}.html",
    f"bao-cao-{PERIOD}.docx",
]
CONTRACTS = [
    {"mart": "appendix_02_questions", "passed": True, "rows": 3, "failures": []},
    {"mart": "appendix_03_dossiers", "passed": True, "rows": 3, "failures": []},
]


def _insert(con, period_id, start, end, questions, dossiers):
    for order, pid, name, total, answered, waiting, waiting_acc, deleted, score, note in questions:
        con.execute(
            "insert into marts.appendix_02_questions values "
            "(?, ?, ?, ?, ?, ?, 'department', ?, ?, ?, ?, ?, ?, 0, ?, ?, 18, "
            "case when ? = 0 then 'none' when ? < 15 then 'all_late' else 'on_time' end, ?,"
            " ?, ?, ?)",
            [period_id, start, end, order, pid, name, total, answered, waiting, waiting_acc,
             deleted, total - deleted, waiting + waiting_acc, score, total - deleted, score,
             note, answered // 2, 4.25 if answered // 2 else None, answered // 2 * 4.25],
        )  # fmt: skip
    for order, pid, name, carried, counter, online, cells, withdrawn, score, note in dossiers:
        total = carried + counter + online
        resolved = sum(cells)
        on_time = sum(c for i, c in enumerate(cells) if i % 3 != 2)
        con.execute(
            "insert into marts.appendix_03_dossiers values "
            f"(?, ?, ?, ?, ?, ?, 'department', ?, ?, ?, ?, {', '.join('?' * 9)}, "
            "?, ?, ?, ?, ?, ?, 27, 'tier', [0.96, 0.8], ?)",
            [period_id, start, end, order, pid, name, total, carried, counter, online, *cells,
             resolved, withdrawn, total - resolved - withdrawn,
             resolved / total if total else None, on_time / resolved if resolved else None,
             score, note],
        )  # fmt: skip


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
    con.execute(MARTS_DDL)
    _insert(con, PERIOD, date(2023, 1, 1), date(2023, 9, 25), QUESTIONS, DOSSIERS)
    _insert(
        con, OTHER, date(2023, 7, 1), date(2023, 9, 25),
        [(1, "so-khac", "Chỉ trong quý III", 5, 5, 0, 0, 0, 17.0, "")],
        [(1, "so-khac", "Chỉ trong quý III", 0, 1, 1, (0,) * 6 + (2, 0, 0), 0, 27.0, "")],
    )  # fmt: skip
    con.execute(
        "insert into raw.portal_events values ('p1', '2023-09-20 10:00:00+07'),"
        " ('p2', '2023-09-26 08:00:00+07')"
    )
    con.execute("insert into raw.question_events values ('q1', '2023-09-25 23:00:00+07')")
    yield con
    con.close()


@pytest.fixture
def root(tmp_path):
    return tmp_path / "publish"


def publish(con, root, period=PERIOD, **kwargs):
    return publish_period(
        con, period, root, run_id="run-1", code_version="abc1234", contracts=CONTRACTS,
        cutoff=date(2023, 9, 25), **kwargs,
    )  # fmt: skip


def sheet(path):
    return openpyxl.load_workbook(path).active


def test_release_layout_and_manifest(con, root):
    rel = publish(con, root)

    assert rel.version == 1
    assert rel.path == root / PERIOD / "v1"
    names = sorted(p.name for p in rel.path.iterdir())
    assert names == sorted(RELEASE_FILES + ["manifest.json"])
    assert not [p for p in (root / PERIOD).iterdir() if p.name.startswith(".")]

    manifest = json.loads((rel.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == rel.manifest
    assert manifest["period_id"] == PERIOD
    assert (manifest["period_start"], manifest["period_end"]) == ("2023-01-01", "2023-09-25")
    assert manifest["cutoff"] == "2023-09-25"
    assert (manifest["run_id"], manifest["code_version"]) == ("run-1", "abc1234")
    assert manifest["published_at"].endswith("+00:00")
    # max over the raw tables that exist (three are missing), in UTC
    assert manifest["event_watermark"] == "2023-09-26T01:00:00+00:00"
    assert manifest["contracts"] == CONTRACTS
    assert sorted(e["name"] for e in manifest["files"]) == sorted(RELEASE_FILES)
    for entry in manifest["files"]:
        data = (rel.path / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() == rel.files[entry["name"]]
        assert entry["bytes"] == len(data)
        # the other marts are empty in this warehouse: a release needs only one with rows
        if "table" in entry:
            assert entry["rows"] == (
                3 if entry["table"] in ("appendix_02_questions", "appendix_03_dossiers") else 0
            )
        else:
            assert entry["name"].startswith(f"bao-cao-{PERIOD}.")


def test_xlsx_02(con, root):
    ws = sheet(publish(con, root).path / "appendix_02_questions.xlsx")

    assert ws.title == "Phụ biểu 02"
    assert ws["A1"].value == "Phụ biểu số 02"
    assert ws["A2"].value.startswith("Kết quả tiếp nhận và trả lời các câu hỏi")
    assert ws["A2"].value.endswith("9 tháng năm 2023")
    assert ws["A3"].value == "(Tính từ 01/01/2023 đến 25/09/2023)"
    # the report it is attached to (blanks: no number or date given) and the criteria
    assert ws["A4"].value == "(Kèm theo Báo cáo số …/BC-UBND ngày … tháng … năm … của UBND tỉnh)"
    assert ws["A5"].value.startswith("Căn cứ theo Bộ tiêu chí tại Quyết định số 4526/QĐ-HĐBT")
    assert {"A1:K1", "A2:K2", "A3:K3"} <= {str(r) for r in ws.merged_cells.ranges}
    headers = [c.value for c in ws[7]]
    assert headers == [
        "STT", "Tên cơ quan, đơn vị", "Tổng số câu hỏi", "Đã trả lời", "Chờ trả lời",
        "Chờ tiếp nhận", "Câu hỏi xoá", "Điểm số", "Ghi chú", "Số lượt đánh giá",
        "Điểm hài lòng TB",
    ]  # fmt: skip
    assert all(c.font.bold and c.alignment.wrap_text for c in ws[7])
    assert ws.freeze_panes == "C8"

    body = [[c.value for c in row] for row in ws.iter_rows(min_row=8)]
    assert [r[0] for r in body] == [1, 2, 3, None]
    assert [r[1] for r in body] == [
        "Sở Giáo dục và Đào tạo", "Sở Tài nguyên và Môi trường", "Huyện Bảo Thắng", "Tổng số",
    ]  # fmt: skip
    assert body[0][2:9] == [78, 73, 5, 0, 0, 18, NOTE_1]
    assert body[1][7] == 17.5 and not body[1][8]
    assert (ws["H8"].number_format, ws["H9"].number_format) == ("0", "0.0")
    assert body[3][2:9] == [129, 108, 6, 5, 10, None, None]
    # the citizens' side after the seed's columns; the total row's mean weighs every rating
    # once (153 + 72 over 53 ratings), not every agency
    assert [r[9:11] for r in body[:3]] == [[36, 4.25], [17, 4.25], [0, None]]
    assert body[3][9:11] == [53, pytest.approx(225 / 53)]
    assert ws["C8"].number_format == "#,##0"
    assert ws["C8"].border.left.style == "thin"
    assert all(c.font.bold for c in ws[11])


def test_xlsx_03_grouped_headers_and_total(con, root):
    ws = sheet(publish(con, root).path / "appendix_03_dossiers.xlsx")

    assert ws["A1"].value == "Phụ biểu số 03"
    assert ws["A2"].value.startswith("BẢNG THỐNG KÊ CHI TIẾT TÌNH HÌNH XỬ LÝ DỊCH VỤ CÔNG")
    assert ws["A3"].value == "(Tính từ 01/01/2023 đến 25/09/2023)"
    assert ws["A4"].value.startswith("(Kèm theo Báo cáo số")
    assert ws["A5"].value.startswith("Căn cứ theo Bộ tiêu chí")
    merged = {str(r) for r in ws.merged_cells.ranges}
    # row 7 groups, row 8 levels / channels, row 9 timeliness; single labels span rows 7-9
    assert {"A7:A9", "B7:B9", "C7:C9", "D7:D9", "E7:F7", "E8:E9", "F8:F9", "G7:O7",
            "G8:I8", "J8:L8", "M8:O8", "P7:P9", "Q7:Q9", "R7:R9", "S7:S9",
            "T7:T9"} <= merged  # fmt: skip
    assert [ws[c].value for c in ("A7", "B7", "C7")] == ["STT", "TÊN CƠ QUAN", "TỔNG SỐ HỒ SƠ"]
    assert (ws["E7"].value, ws["G7"].value) == ("TIẾP NHẬN", "ĐÃ GIẢI QUYẾT")
    assert (ws["E8"].value, ws["F8"].value) == ("MCĐT", "Trực tuyến")
    assert [ws.cell(8, c).value for c in (7, 10, 13)] == ["Mức độ 2", "Mức độ 3", "Mức độ 4"]
    assert [c.value for c in ws[9][6:15]] == ["Trước hạn", "Đúng hạn", "Trễ hạn"] * 3
    assert ws["R7"].value == "TỶ LỆ GIẢI QUYẾT ĐÚNG VÀ TRƯỚC HẠN %"
    assert ws["T7"].value == "GHI CHÚ"
    assert ws.freeze_panes == "C10"

    assert [ws.cell(r, 2).value for r in range(10, 14)] == [
        "Sở Công Thương", "UBND Huyện Bảo Yên", "Văn phòng Đoàn ĐBQH và HĐND tỉnh", "TỔNG CỘNG",
    ]  # fmt: skip
    assert ws["C10"].value == 170000 and ws["C10"].number_format == "#,##0"
    assert ws["Q10"].value == pytest.approx(163228 / 170000)
    assert ws["Q10"].number_format == "0.0%"
    assert [ws[f"{c}12"].value for c in "QR"] == [None, None]  # no dossier: no rate
    assert (ws["S12"].value, ws["T12"].value) == (25, "Không phát sinh hồ sơ trong kỳ")
    assert ws["T10"].value == NOTE_03

    total = [c.value for c in ws[13]]
    assert total[0] is None and total[2:6] == [180326, 2, 555, 179769]
    assert total[6:15] == [33, 0, 1, 46, 0, 0, 169000, 100, 3276]
    assert total[15] == 180326 - 172456 - 18  # in progress
    assert total[16] == pytest.approx(172456 / 180326)
    # recomputed from the sums (98.1%), not the mean of the agencies' rates (98.7%)
    assert total[17] == pytest.approx(169179 / 172456)
    assert total[18:] == [None, None]


def test_csv_for_excel(con, root):
    rel = publish(con, root)
    raw = (rel.path / "appendix_03_dossiers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))

    assert rows[0][:6] == ["STT", "Tên cơ quan", "Tổng số hồ sơ", "Tồn", "Tiếp nhận - MCĐT",
                           "Tiếp nhận - Trực tuyến"]  # fmt: skip
    assert rows[0][6] == "Đã giải quyết - Mức độ 2 - Trước hạn"
    assert rows[0][14] == "Đã giải quyết - Mức độ 4 - Trễ hạn"
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", ""]
    assert rows[1][2] == "170.000"
    assert rows[3][16:] == ["", "", "25", "Không phát sinh hồ sơ trong kỳ"]
    assert rows[4][1] == "TỔNG CỘNG"
    assert rows[4][2] == "180.326"
    assert rows[4][17] == "98,1%"
    assert rows[4][18:] == ["", ""]

    text = (rel.path / "appendix_02_questions.csv").read_text(encoding="utf-8-sig")
    assert f'"{NOTE_1}"' in text  # quoted: the note holds commas
    rows = list(csv.reader(text.splitlines()))
    assert rows[2][7] == "17,5"
    assert rows[-1][:3] == ["", "Tổng số", "129"]


def test_parquet_holds_the_period_rows(con, root):
    rel = publish(con, root)
    table = pq.read_table(rel.path / "appendix_03_dossiers.parquet")

    assert table.num_rows == 3  # no total row
    assert table.column_names == list(APPENDIX_03.mart_columns)
    assert table.schema.field("period_start").type == pa.date32()
    assert table.schema.field("total").type == pa.int64()
    assert table.schema.field("on_time_rate").type == pa.float64()
    assert table.column("display_order").to_pylist() == [1, 2, 3]
    assert set(table.column("period_id").to_pylist()) == {PERIOD}

    questions = pq.read_table(rel.path / "appendix_02_questions.parquet").to_pandas()
    assert "Chỉ trong quý III" not in set(questions["portal_name"])
    assert questions.set_index("portal_id")["late"].to_dict() == {
        "so-gddt": 5, "so-tnmt": 1, "huyen-bao-thang": 5,
    }  # fmt: skip


def test_other_period_is_published_apart(con, root):
    rel = publish(con, root, period=OTHER)
    assert rel.path == root / OTHER / "v1"
    ws = sheet(rel.path / "appendix_02_questions.xlsx")
    assert ws["A2"].value.endswith("quý III năm 2023")
    assert ws["A3"].value == "(Tính từ 01/07/2023 đến 25/09/2023)"
    assert [ws.cell(r, 2).value for r in (8, 9)] == ["Chỉ trong quý III", "Tổng số"]


def test_publishing_again_makes_a_new_version(con, root):
    first = publish(con, root)
    before = {p.name: p.read_bytes() for p in first.path.iterdir()}

    second = publish(con, root)

    assert (second.version, second.path.name) == (2, "v2")
    assert {p.name: p.read_bytes() for p in first.path.iterdir()} == before
    # the same rows give the same bytes in every format, so checksums compare versions; the
    # HTML page names its version, and differs by that alone
    page = f"bao-cao-{PERIOD}.html"
    assert {**second.files, page: None} == {**first.files, page: None}
    html = [(r.path / page).read_text(encoding="utf-8") for r in (first, second)]
    assert html[0] != html[1] and html[0].replace("<dd>v1</dd>", "<dd>v2</dd>") == html[1]


def test_failure_mid_publish_leaves_no_trace(con, root, monkeypatch):
    first = publish(con, root)
    before = {p.name: p.read_bytes() for p in first.path.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        publish(con, root)

    assert [p.name for p in (root / PERIOD).iterdir()] == ["v1"]  # no v2, no hidden directory
    assert {p.name: p.read_bytes() for p in first.path.iterdir()} == before


def test_losing_the_rename_race_takes_the_next_version(con, root, monkeypatch):
    rename = os.rename

    def racing_rename(src, dst):
        # Another publisher lands its v1 between our listing and our rename.
        if not (root / PERIOD / "v1").exists():
            (root / PERIOD / "v1").mkdir()
            (root / PERIOD / "v1" / "manifest.json").write_text("{}")
        rename(src, dst)

    monkeypatch.setattr(release.os, "rename", racing_rename)
    rel = publish(con, root)

    assert rel.version == 2
    assert (root / PERIOD / "v1" / "manifest.json").read_text() == "{}"
    assert sorted(p.name for p in (root / PERIOD).iterdir()) == ["v1", "v2"]


def test_refuses_a_period_without_rows_but_publishes_one_empty_appendix(con, root):
    with pytest.raises(PublishError, match="no rows"):
        publish(con, root, period="2023-FY")
    assert not (root / "2023-FY").exists()

    # one empty appendix is published as it is: its headers and a total row of zeros
    con.execute("delete from marts.appendix_03_dossiers where period_id = ?", [OTHER])
    release = publish(con, root, period=OTHER)
    sheet = openpyxl.load_workbook(release.path / "appendix_03_dossiers.xlsx").active
    total = next(row for row in sheet.iter_rows(values_only=True) if "TỔNG CỘNG" in row)
    assert [v for v in total if isinstance(v, int | float)] == [
        0
    ] * 14  # total, carried over, 2 channels, 9 cells, in progress


def test_refuses_a_warehouse_without_a_mart_or_a_column(con, root):
    con.execute("alter table marts.appendix_03_dossiers drop column note")
    with pytest.raises(PublishError, match="appendix_03_dossiers has no column note"):
        publish(con, root)
    con.execute("alter table marts.appendix_03_dossiers add column note varchar")
    con.execute("drop table marts.scorecard_bloc")
    with pytest.raises(PublishError, match="scorecard_bloc does not exist"):
        publish(con, root)
    assert not (root / PERIOD).exists() or not list((root / PERIOD).iterdir())


def test_refuses_a_period_id_that_is_not_a_directory_name(con, root):
    with pytest.raises(PublishError, match="directory"):
        publish(con, root, period="../2023-9M")


def test_watermark_without_raw_tables(con, root):
    con.execute("drop schema raw cascade")
    assert publish(con, root).manifest["event_watermark"] is None


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        (COUNT, 180326, "180.326"),
        (COUNT, 7, "7"),
        (COUNT, 1234567, "1.234.567"),
        (RATE, 0.981, "98,1%"),
        (RATE, 1.0, "100,0%"),
        (RATE, None, ""),
        (MEAN, 4.3, "4,3"),  # a mean of 1-5 ratings: one decimal, always
        (MEAN, 4.0, "4,0"),
        (MEAN, None, ""),
        (SCORE, 17.0, "17"),
        (SCORE, 17.5, "17,5"),
        (SCORE, float("nan"), ""),
    ],
)
def test_vietnamese_numbers(kind, value, text):
    assert format_vi(kind, value) == text


@pytest.mark.parametrize(
    ("period_id", "label"),
    [
        ("2023-9M", "9 tháng năm 2023"),
        ("2023-Q3", "quý III năm 2023"),
        ("2023-H1", "6 tháng đầu năm 2023"),
        ("2023-FY", "năm 2023"),
        ("2023-W12", "kỳ 2023-W12"),
    ],
)
def test_period_label(period_id, label):
    assert period_label(period_id) == label
