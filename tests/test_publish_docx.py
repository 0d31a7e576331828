"""The report's text drafted as DOCX, on hand-made events through the real ingest, dbt and the
period job: opened back with python-docx, its sections are in order, every figure a sentence
quotes is the mart's, every comparison is value − same period last year, the appendix tables hold
the marts' rows, and a figure the warehouse does not hold is a visible placeholder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import docx
import duckdb
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from lxml import etree

from orchestration.definitions import defs
from orchestration.runs import run_period
from publish.report_docx import (
    APPENDICES,
    MISSING,
    SECTION_I,
    SECTION_II,
    SECTION_III,
    SECTION_IV,
    _cell_text,
    _merge_across,
    _new_row,
    write_report_docx,
)
from tests.conftest import REGISTRY, Warehouse, dossier
from tests.test_scoring import assessment, monthly, post, question, registered

PERIOD, CUTOFF = "2023-9M", "2023-09-25"
NINE = tuple(range(1, 10))
GOVERNMENT = ("directive_documents", "periodic_reports", "sector_plans", "investment_procurement")
PARTY = ("directive_documents", "mass_mobilization")

PORTALS = REGISTRY + [
    registered("ubnd-tinh", "Cổng TTĐT tỉnh Lào Cai", "province", "government", False),
    registered("quy-x", "Quỹ X tỉnh", "department", "government", False),
    registered("xa-a", "Xã A", "commune", "government", False, "2023-03-01"),
]
POSTS = [
    # the provincial portal: 9 articles and 2 data items against 4 articles last year
    *monthly("ubnd-tinh", "news", NINE, 2023),
    post("ubnd-tinh", "2023-02-06", "directive_documents", 1, kind="data_item"),
    post("ubnd-tinh", "2023-05-06", "directive_documents", 2, kind="data_item"),
    *monthly("ubnd-tinh", "news", (1, 2, 3, 4), 2022),
    # a department keeping every category up, one English item; three news items last year
    *[p for c in (*GOVERNMENT, "news") for p in monthly("so-tttt", c, NINE, 2023)],
    post("so-tttt", "2023-06-12", "news", 99, language="en"),
    *monthly("so-tttt", "news", (1, 2, 3), 2022),
    # a district publishing less than last year, its directives missing
    *monthly("huyen-bao-yen", "news", NINE, 2023),
    *monthly("huyen-bao-yen", "news", NINE, 2022),
    *monthly("huyen-bao-yen", "directive_documents", NINE, 2022),
    # the party bloc, news sparse
    *[p for c in PARTY for p in monthly("ban-tuyen-giao", c, NINE, 2023)],
    *monthly("ban-tuyen-giao", "news", (1, 2), 2023),
    # a new commune portal, and a fund that is not scored
    *monthly("xa-a", "news", (4, 5, 6, 7, 8, 9), 2023),
    *monthly("quy-x", "news", (2, 3), 2023),
]
BONUS = "Cộng 5 điểm khuyến khích đảm bảo font chữ, có ảnh minh họa, trình bày đẹp."
ASSESSMENTS = [
    assessment("so-tttt", "presentation_bonus", 5, BONUS, day="2023-09-28", period=PERIOD),
    assessment("huyen-bao-yen", "presentation_bonus", 5, BONUS, day="2023-09-28", period=PERIOD),
]
QUESTIONS = [
    *[
        e
        for i in range(3)
        for e in question(f"tt-{i}", "so-tttt", "2023-03-06", "2023-03-06", "2023-03-07")
    ],
    *question("by-late", "huyen-bao-yen", "2023-06-05", "2023-06-20", "2023-06-21"),
    *question("by-wait", "huyen-bao-yen", "2023-08-01"),
    *question("tt-dup", "so-tttt", "2023-04-03"),
    {
        "event_id": "tt-dup.deleted",
        "event_type": "deleted",
        "occurred_at": "2023-04-04T09:00:00+07:00",
        "portal_id": "so-tttt",
        "question_id": "tt-dup",
        "deletion_reason": "duplicate",
    },
    # the asker's satisfaction with two answers
    *[
        {
            "event_id": f"tt-{i}.rated",
            "event_type": "rated",
            "occurred_at": "2023-03-09T09:00:00+07:00",
            "portal_id": "so-tttt",
            "question_id": f"tt-{i}",
            "rating": rating,
        }
        for i, rating in ((0, 4), (1, 5))
    ],
    # last year (from January: a stream's history that starts later has no same period)
    *question("ly-1", "so-tttt", "2022-01-10", "2022-01-10", "2022-01-11"),
    *question("ly-2", "so-tttt", "2022-01-10", "2022-01-10", "2022-01-11"),
]


def dossiers(portal_id, n, resolved_on, *, year=2023, month=3, resolved=None, channel="online"):
    events = []
    for i in range(n):
        dossier_id = f"{portal_id}-{year}-{i}"
        events.append(
            dossier(
                f"{dossier_id}.r", portal_id=portal_id, dossier_id=dossier_id, channel=channel,
                occurred_at=f"{year}-{month:02d}-01T09:00:00+07:00",
                due_at=f"{year}-{month:02d}-06T17:00:00+07:00",
            )
        )  # fmt: skip
        if i < (n if resolved is None else resolved):
            events.append(
                dossier(
                    f"{dossier_id}.x", "resolved", portal_id=portal_id, dossier_id=dossier_id,
                    occurred_at=f"{year}-{resolved_on}T10:00:00+07:00",
                )
            )  # fmt: skip
    return events


DOSSIERS = (
    dossiers("so-tttt", 5, "03-03", resolved=4)  # 4 early, 1 in progress
    + dossiers("huyen-bao-yen", 2, "03-10", channel="counter")  # late
    + dossiers("so-tttt", 3, "01-03", year=2022, month=1)
)


def measured(metric, value, end, start=None, channel="fanpage"):
    return {
        "event_id": f"{channel}-{metric}-{start}-{end}",
        "event_type": "measured",
        "occurred_at": f"{end}T17:00:00+07:00",
        "portal_id": "ubnd-tinh",
        "channel": channel,
        "metric": metric,
        "value": value,
        "window_start": start,
        "window_end": end,
    }


# The Fanpage's posts month by month (a flow) and its followers (a level), this year and last;
# nothing measured for Zalo, the gazette, the press review or the training.
CHANNEL = [
    *[
        measured("posts", per_month, f"{year}-{month:02d}-28", f"{year}-{month:02d}-01")
        for year, per_month in ((2023, 60), (2022, 50))
        for month in range(1, 9)
    ],
    measured("followers", 12997, "2023-09-20"),
    measured("followers", 11000, "2022-09-20"),
]
REPORT = f"bao-cao-{PERIOD}.docx"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The period built and published once by the period job (the DOCX is in the release)."""
    warehouse = Warehouse(tmp_path_factory.mktemp("docx"))
    warehouse.land("portal", "registry.jsonl", PORTALS)
    warehouse.land("post", "posts.jsonl", POSTS)
    warehouse.land("assessment", "bbt.jsonl", ASSESSMENTS)
    warehouse.land("question", "q.jsonl", QUESTIONS)
    warehouse.land("dossier", "d.jsonl", DOSSIERS)
    warehouse.land("channel", "kenh.jsonl", CHANNEL)
    outcome = run_period(defs, PERIOD, cutoff=CUTOFF, resources=warehouse.resources())
    assert outcome.exit_code == 0, outcome.summary()
    return warehouse


@pytest.fixture(scope="module")
def report(built, tmp_path_factory):
    """The DOCX written from the built warehouse with a number and a date, read back."""
    path = tmp_path_factory.mktemp("written") / REPORT
    con = duckdb.connect(str(built.settings.db), read_only=True)
    try:
        written = write_report_docx(
            con, PERIOD, path, report_number="125", report_date="2023-10-05", cutoff=CUTOFF
        )
    finally:
        con.close()
    return written, docx.Document(str(path))


def summary(warehouse: Warehouse) -> dict[tuple[str, str], dict]:
    rows = warehouse.query(
        "SELECT metric, portal_group, value, value_same_period_last_year, change"
        " FROM marts.report_summary WHERE period_id = ?",
        [PERIOD],
    )
    return {(m, g): {"value": v, "last_year": ly, "change": c} for m, g, v, ly, c in rows}


def number(text: str) -> float:
    """A Vietnamese number back: 3.318 -> 3318, 54,5 -> 54.5."""
    return float(text.replace(".", "").replace(",", "."))


def change_in(text: str) -> float | None:
    """The signed change a comparison phrase states: "tăng 7 …" 7, "giảm 9 …" −9, "bằng CK" 0."""
    if "bằng CK năm" in text:
        return 0
    m = re.search(r"(tăng|giảm) (\d[\d.]*)", text)
    return None if m is None else number(m.group(2)) * (1 if m.group(1) == "tăng" else -1)


def paragraph(document, pattern: str) -> re.Match:
    """The first paragraph matching `pattern`, as a match."""
    for p in document.paragraphs:
        m = re.search(pattern, p.text)
        if m:
            return m
    raise AssertionError(f"no paragraph matches {pattern!r}")


def body_text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def test_header_and_sections_in_order(report):
    _, document = report
    header = document.tables[0]
    cells = [c.text for row in header.rows for c in row.cells]
    assert cells[0] == "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI"  # the province from its portal's name
    assert cells[2] == "Số: 125/BC-UBND"
    assert cells[3] == "Lào Cai, ngày 05 tháng 10 năm 2023"
    texts = [p.text for p in document.paragraphs]
    # each appendix says which report it is attached to
    attached = "(Kèm theo Báo cáo số 125/BC-UBND ngày 05 tháng 10 năm 2023 của UBND tỉnh)"
    assert texts.count(attached) == len(APPENDICES)
    assert texts[0] == "BÁO CÁO"
    assert texts[1].startswith("Kết quả hoạt động của Cổng Thông tin điện tử tỉnh Lào Cai")
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:5] == [
        SECTION_I,
        SECTION_II,
        SECTION_III,
        SECTION_IV,
        "V. NHIỆM VỤ TRỌNG TÂM 3 THÁNG CUỐI NĂM 2023",
    ]
    # the judgement is the drafter's: IV and V hold placeholders, not invented text
    iv = texts.index(SECTION_IV)
    v = texts.index(headings[4])
    assert all(t.startswith(("[Người soạn thảo", "1.", "2.")) for t in texts[iv + 1 : v])


def test_posts_and_their_comparisons_are_the_marts(built, report):
    _, document = report
    figures = summary(built)
    m = paragraph(
        document,
        r"Cổng TTĐT tỉnh đã cung cấp (\d[\d.]*) tin, bài, bộ thông tin CSDL, (.*?) so với CK"
        r" năm (\d{4})",
    )
    province = figures[("posts", "province")]
    assert number(m.group(1)) == province["value"] == 11
    assert change_in(m.group(2)) == province["value"] - province["last_year"] == 7
    assert m.group(3) == "2022"
    m = paragraph(document, r"Trong đó có (\d[\d.]*) tin, bài; (\d[\d.]*) bộ thông tin CSDL")
    assert number(m.group(1)) == figures[("posts_articles", "province")]["value"]
    assert number(m.group(2)) == figures[("posts_data_items", "province")]["value"]

    m = paragraph(document, r"các Cổng TTĐT thành phần đã cập nhật (\d[\d.]*) tin, bài, (.*)")
    components = figures[("posts", "all_components")]
    assert number(m.group(1)) == components["value"]
    assert change_in(m.group(2)) == components["value"] - components["last_year"]
    lines = {
        "party_mass": r"tổ chức chính trị - xã hội tỉnh đã đăng tải mới (\d[\d.]*) tin, (.*)",
        "department": r"tổ chức của tỉnh đã đăng tải mới (\d[\d.]*) tin, (.*)",
        "district": r"huyện, thị xã, thành phố đã đăng tải mới (\d[\d.]*) tin, (.*)",
        "commune": r"Cổng TTĐT cấp xã đã đăng tải mới (\d[\d.]*) tin, (.*)",
    }
    for group, pattern in lines.items():
        m = paragraph(document, pattern)
        row = figures[("posts", group)]
        assert number(m.group(1)) == row["value"], group
        assert change_in(m.group(2)) == row["value"] - row["last_year"], group
    # the district published less than last year: the phrase says so
    assert "giảm" in paragraph(document, lines["district"]).group(2)


def test_questions_and_dossiers_are_the_marts(built, report):
    _, document = report
    figures = summary(built)

    def value(metric):
        return figures[(metric, "all")]["value"]

    m = paragraph(document, r"đã nhận được (\d[\d.]*) câu hỏi .*?, (.*?) so với CK năm")
    assert number(m.group(1)) == value("questions_total") == 6
    total = figures[("questions_total", "all")]
    assert change_in(m.group(2)) == total["value"] - total["last_year"] == 4
    m = paragraph(document, r"trả lời được (\d[\d.]*)/(\d[\d.]*) câu hỏi đủ điều kiện")
    assert (number(m.group(1)), number(m.group(2))) == (
        value("questions_answered"),
        value("questions_eligible"),
    )
    m = paragraph(document, r"chờ tiếp nhận, trả lời (\d[\d.]*)/(\d[\d.]*) câu hỏi")
    assert number(m.group(1)) == value("questions_waiting")
    m = paragraph(document, r"xoá (\d[\d.]*) câu hỏi")
    assert number(m.group(1)) == value("questions_deleted") == 1
    if ("questions_rated", "all") in figures:  # the ratings (EVENTS.md 1.1)
        m = paragraph(document, r"Có (\d[\d.]*) câu trả lời .*? bình quân đạt ([\d,]+)/5 điểm")
        assert number(m.group(1)) == value("questions_rated") == 2
        assert number(m.group(2)) == round(value("questions_rating_mean"), 1) == 4.5

    m = paragraph(document, r"đã tiếp nhận (\d[\d.]*) bộ hồ sơ, TTHC .*?, (.*?) so với CK")
    dossiers = figures[("dossiers_total", "all")]
    assert number(m.group(1)) == dossiers["value"] == 7
    assert change_in(m.group(2)) == dossiers["value"] - dossiers["last_year"] == 4
    m = paragraph(
        document,
        r"một cửa điện tử là (\d[\d.]*) bộ hồ sơ; tiếp nhận trực tuyến là (\d[\d.]*) bộ hồ sơ;"
        r" hồ sơ tồn từ đầu kỳ là (\d[\d.]*)",
    )
    assert [number(g) for g in m.groups()] == [
        value("dossiers_counter"),
        value("dossiers_online"),
        value("dossiers_carried_over"),
    ]
    m = paragraph(document, r"đã giải quyết là: (\d[\d.]*)/(\d[\d.]*) bộ hồ sơ")
    assert (number(m.group(1)), number(m.group(2))) == (
        value("dossiers_resolved"),
        value("dossiers_total"),
    )
    m = paragraph(document, r"đúng hạn và trước hạn là: (\d[\d.]*)/")
    assert number(m.group(1)) == value("dossiers_resolved_on_time")
    m = paragraph(document, r"trễ hạn là: (\d[\d.]*)/")
    assert number(m.group(1)) == value("dossiers_late") == 2
    m = paragraph(document, r"đang được giải quyết là: (\d[\d.]*)/")
    assert number(m.group(1)) == value("dossiers_in_progress") == 1


def test_scores_by_bloc_follow_the_scorecards(built, report):
    _, document = report
    blocs = built.query(
        "SELECT bloc, portals, portals_at_max, score_ceiling, scale FROM marts.scorecard_bloc"
        " WHERE period_id = ?",
        [PERIOD],
    )
    assert {b[0] for b in blocs} == {"government", "party"}
    for bloc, portals, at_max, ceiling, scale in blocs:
        who = "khối chính quyền" if bloc == "government" else "khối Đảng"
        m = paragraph(document, rf"{who}.*?\(thang điểm (\d+),.*?\): (.*)")
        assert number(m.group(1)) == scale
        sentence = m.group(2)
        if at_max:
            found = re.search(r"(\d+)/(\d+) Cổng TTĐT thành phần đạt điểm tối đa (\d+)", sentence)
            assert (int(found.group(1)), int(found.group(2))) == (at_max, portals), bloc
            assert number(found.group(3)) == ceiling
        else:
            assert sentence.startswith("Không có Cổng TTĐT thành phần nào đạt điểm tối đa")
    counts = dict(
        built.query(
            "SELECT 'scored', count(*) FROM marts.appendix_01_information WHERE period_id = ?"
            " UNION ALL SELECT 'not', count(*) FROM marts.appendix_01_2_not_scored"
            " WHERE period_id = ?",
            [PERIOD, PERIOD],
        )
    )
    m = paragraph(document, r"; (\d+) Cổng TTĐT các cơ quan, đơn vị, tổ chức, địa phương")
    assert int(m.group(1)) == counts["scored"] == 3
    m = paragraph(document, r"; (\d+) Cổng TTĐT thành phần không thực hiện chấm điểm")
    assert int(m.group(1)) == counts["not"]


def test_scoring_sentences_of_02_and_03_are_the_marts(built, report):
    _, document = report
    texts = [p.text for p in document.paragraphs]
    present = built.scalar(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_schema = 'marts' AND table_name = 'report_sentences'"
    )
    for appendix, mark, lead in (
        ("02", "+ ", "Cụ thể như sau:"),
        ("03", "- ", "* Kết quả đánh giá, chấm điểm:"),
    ):
        start = next(i for i, t in enumerate(texts) if t.endswith(lead)) + 1
        end = texts.index(f"(Chi tiết tại phụ biểu số {appendix} kèm theo)")
        bullets = [t.removeprefix(mark) for t in texts[start:end]]
        if not present:
            assert bullets == [MISSING.format(what=f"câu đánh giá, chấm điểm của phụ biểu"
                                              f" {appendix} (report_sentences)")]  # fmt: skip
            continue
        (sentence,) = built.query(
            "SELECT sentence_vi FROM marts.report_sentences WHERE period_id = ? AND appendix = ?",
            [PERIOD, appendix],
        )[0]
        assert " ".join(bullets) == sentence.strip().rstrip(".") + "."
        agencies = built.scalar(
            f"SELECT count(*) FROM marts.appendix_{appendix}_"
            f"{'questions' if appendix == '02' else 'dossiers'} WHERE period_id = ?",
            [PERIOD],
        )
        # every "n/N cơ quan, đơn vị" counts among the appendix's agencies, the bands all of them
        shares = [re.match(r"(?:Có )?(\d+)/(\d+)", b) for b in bullets]
        assert all(int(m.group(2)) == agencies for m in shares if m)
        assert sum(int(m.group(1)) for m in shares if m) == agencies


def test_appendix_tables_hold_the_marts_rows(built, report):
    _, document = report
    tables = document.tables[2:]  # after the header and the signature
    assert len(tables) == len(APPENDICES)
    for table, appendix in zip(tables, APPENDICES, strict=True):
        rows = built.scalar(
            f"SELECT count(*) FROM marts.{appendix.table} WHERE period_id = ?", [PERIOD]
        )
        numbered = [r for r in table.rows if r.cells[0].text.strip().isdigit()]
        assert len(numbered) == rows, appendix.table
        names = built.query(
            f"SELECT portal_name FROM marts.{appendix.table} WHERE period_id = ?"
            f" ORDER BY {appendix.order_by}",
            [PERIOD],
        )
        assert [r.cells[1].text for r in numbered] == [n for (n,) in names], appendix.table
        first = [c.text for c in table.rows[0].cells]
        assert first[0] == "STT"
        if appendix.total_label:
            assert table.rows[-1].cells[1].text == appendix.total_label
    # appendix 02's total row sums the agencies' questions
    total = tables[2].rows[-1].cells
    assert number(total[2].text) == built.scalar(
        "SELECT sum(total) FROM marts.appendix_02_questions WHERE period_id = ?", [PERIOD]
    )


def test_channel_figures_are_the_marts_and_unmeasured_ones_placeholders(built, report):
    _, document = report
    figures = summary(built)
    m = paragraph(document, r"đã đăng tải (\d[\d.]*) tin vắn, bài viết, sự kiện, (.*?);")
    posts = figures[("channel_fanpage_posts", "province")]
    assert number(m.group(1)) == posts["value"] == 480
    assert change_in(m.group(2)) == posts["value"] - posts["last_year"] == 80
    m = paragraph(document, r"Fanpage của UBND tỉnh hiện tại đạt (\d[\d.]*) người; (.*?) so với CK")
    followers = figures[("channel_fanpage_followers", "province")]
    assert number(m.group(1)) == followers["value"] == 12997
    assert change_in(m.group(2)) == followers["value"] - followers["last_year"] == 1997
    # nothing measured (no value in channel_metrics): a placeholder, whatever the summary says
    measured_metrics = {
        f"channel_{c}_{m}"
        for c, m in built.query(
            "SELECT channel, metric FROM marts.channel_metrics"
            " WHERE period_id = ? AND value IS NOT NULL",
            [PERIOD],
        )
    }
    assert {"channel_fanpage_posts", "channel_fanpage_followers"} <= measured_metrics
    text = body_text(document)
    for metric in (
        "channel_zalo_posts",
        "channel_fanpage_reach",
        "channel_gazette_issues",
        "channel_press_review_bulletins",
        "channel_training_courses",
        "channel_portal_visits_visits",
    ):
        assert metric not in measured_metrics
        assert f"({metric}, province)]" in text, metric
    zalo = paragraph(document, r"^(.*channel_zalo_posts.*)$").group(1)
    assert re.sub(r"\[[^\]]*\]", "", zalo).strip() == ""


def test_absent_figures_are_placeholders_never_numbers(built, report, tmp_path):
    written, document = report
    assert set(written.placeholders) <= {
        line for p in document.paragraphs for line in re.findall(r"\[[^\]]+\]", p.text)
    }

    # the same warehouse without the channel rows, the Q&A ratings and the 02/03 sentences
    copy = tmp_path / "copy.duckdb"
    shutil.copy(built.settings.db, copy)
    con = duckdb.connect(str(copy))
    con.execute(
        "DELETE FROM marts.report_summary WHERE metric LIKE 'channel_%'"
        " OR metric IN ('questions_rated', 'questions_rating_mean')"
    )
    for mart in ("report_sentences", "question_topics"):
        con.execute(f"DROP TABLE IF EXISTS marts.{mart}")
        con.execute(f"DROP VIEW IF EXISTS marts.{mart}")
    try:
        stripped = write_report_docx(con, PERIOD, tmp_path / REPORT)
    finally:
        con.close()
    document = docx.Document(str(tmp_path / REPORT))
    texts = [p.text for p in document.paragraphs]
    fanpage = texts[texts.index("3. Hoạt động Fanpage của UBND tỉnh") + 1]
    # every clause of the Fanpage paragraph is a placeholder: no number outside brackets
    assert re.sub(r"\[[^\]]*\]", "", fanpage).strip() == ""
    assert MISSING.format(what="tin, bài đăng trên Fanpage (channel_fanpage_posts, province)") in (
        fanpage
    )
    for what in (
        "(channel_zalo_posts, province)",
        "(channel_portal_visits_visits, province)",
        "(channel_gazette_issues, province)",
        "(channel_press_review_bulletins, province)",
        "(channel_training_courses, province)",
        "(questions_rated, all)",
        "(question_topics)",
        "phụ biểu 02 (report_sentences)",
        "phụ biểu 03 (report_sentences)",
    ):
        assert any(what in p for p in stripped.placeholders), what
        assert what in "\n".join(texts), what
    # the unsigned header leaves the number and the date for the office
    cells = [c.text for row in document.tables[0].rows for c in row.cells]
    assert cells[2].startswith("Số: ") and cells[2].endswith("/BC-UBND")
    assert re.fullmatch(r"Lào Cai, ngày\s+tháng\s+năm\s*", cells[3])


def test_the_release_holds_the_docx_and_the_same_rows_give_the_same_bytes(built, tmp_path):
    releases = sorted((built.landing.parent / "publish" / PERIOD).glob("v*"))
    assert releases
    manifest = (releases[-1] / "manifest.json").read_text(encoding="utf-8")
    assert f'"name": "{REPORT}"' in manifest and '"format": "docx"' in manifest
    published = docx.Document(str(releases[-1] / REPORT))
    assert SECTION_II in [p.text for p in published.paragraphs]

    con = duckdb.connect(str(built.settings.db), read_only=True)
    try:
        for name in ("a.docx", "b.docx"):
            write_report_docx(con, PERIOD, tmp_path / name, report_number="7")
    finally:
        con.close()
    assert (tmp_path / "a.docx").read_bytes() == (tmp_path / "b.docx").read_bytes()


def test_missing_period_is_refused(built, tmp_path):
    con = duckdb.connect(str(built.settings.db), read_only=True)
    try:
        with pytest.raises(ValueError, match="no rows"):
            write_report_docx(con, "2019-Q1", Path(tmp_path) / "x.docx")
    finally:
        con.close()


def test_table_rows_are_written_as_python_docx_would_write_them():
    """The appendix tables' shortcuts (a new row's cells, a merge within the row, a cell's text
    from copied properties) make the XML that python-docx's own calls make."""
    widths = [Cm(1), Cm(4), Cm(2), Cm(2)]

    def table_with(build) -> bytes:
        table = Document().add_table(rows=1, cols=4)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        # a paragraph with properties of its own, which writing in its cell keeps
        table.cell(0, 1).paragraphs[0].paragraph_format.keep_with_next = True
        build(table)
        return etree.tostring(table._tbl)

    def by_python_docx(table) -> None:
        p = table.cell(0, 1).paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run("Tên")
        run.bold, run.italic, run.font.size = True, False, Pt(9)
        for texts, merge in ((["1", "Sở A", "12", "3"], False), (["I", "Khối\nhai dòng"], True)):
            cells = table.add_row().cells
            for cell, width in zip(cells, widths, strict=True):
                cell.width = width
            if merge:
                cells = [cells[0], cells[1].merge(cells[3])]
            for i, (cell, text) in enumerate(zip(cells, texts, strict=False)):
                for n, line in enumerate(text.split("\n")):
                    p = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
                    p.alignment = WD_ALIGN_PARAGRAPH.LEFT if i == 1 else WD_ALIGN_PARAGRAPH.RIGHT
                    p.paragraph_format.space_after = Pt(0)
                    run = p.add_run(line)
                    run.bold, run.italic, run.font.size = merge, False, Pt(9)

    def by_shortcuts(table) -> None:
        _cell_text(table.cell(0, 1), "Tên", bold=True, size=9)
        for texts, merge in ((["1", "Sở A", "12", "3"], False), (["I", "Khối\nhai dòng"], True)):
            cells = _new_row(table)
            if merge:
                cells = [cells[0], _merge_across(cells, 1, 3)]
            for i, (cell, text) in enumerate(zip(cells, texts, strict=False)):
                align = WD_ALIGN_PARAGRAPH.LEFT if i == 1 else WD_ALIGN_PARAGRAPH.RIGHT
                _cell_text(cell, text, bold=merge, size=9, align=align)

    assert table_with(by_shortcuts) == table_with(by_python_docx)
