"""The report's text, drafted: `bao-cao-<period>.docx`, in Vietnamese, laid out like the seed's
report of the People's Committee.

The header block (the committee, the report's number and date), sections I to III written from
the marts, sections IV and V as headed places for the drafter's judgement, the signature block,
and the appendices 01, 01.2, 02 and 03 as Word tables at the end.

Every figure in a sentence is read from a mart of the period, each comparison with the same
period last year from the same row (`value − value_same_period_last_year`, restated on today's
units), in the seed's phrasing: "tăng 426 tin bài, bộ thông tin CSDL so với CK năm 2022". Scores
by bloc are the scorecards' (computed from appendix 01's rows), so where the seed's text and its
own table disagree the draft follows the table. A figure the warehouse does not hold (a metric or
a mart not built) is never invented: the clause that needs it becomes a visible placeholder,
"[chưa có số liệu: …]".

Numbers are written the Vietnamese way with the helpers of `publish.appendices` (`format_vi`):
180.326, 98,1%, 54,5; the few the text adds (a percentage without a trailing ",0", a count of
portals on two digits, "07/16") are below. The same rows give the same bytes: the document's
dates and the zip entries' times are fixed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from publish.appendices import (
    APPENDIX_01,
    APPENDIX_01_2,
    APPENDIX_02,
    APPENDIX_03,
    COUNT,
    SCORE,
    SECTION,
    STT,
    TEXT,
    TOTAL,
    Appendix,
    display_lines,
    format_vi,
    header_cells,
    period_label,
    report_reference,
    title_lines,
    with_numbers,
)

Row = Mapping[str, Any]

# The appendices printed at the end of the report, in this order.
APPENDICES: tuple[Appendix, ...] = (APPENDIX_01, APPENDIX_01_2, APPENDIX_02, APPENDIX_03)
# The section headings, in order; V's names the period after this one.
SECTION_I = "I. KẾT QUẢ CUNG CẤP THÔNG TIN"
SECTION_II = "II. KẾT QUẢ THỰC HIỆN DỊCH VỤ CÔNG"
SECTION_III = (
    "III. THỰC HIỆN PHÁT TRIỂN HỆ THỐNG CỔNG TTĐT VÀ ĐẢM BẢO AN TOÀN AN NINH THÔNG TIN "
    "TRÊN CỔNG TTĐT"
)
SECTION_IV = "IV. ĐÁNH GIÁ CHUNG"
SECTION_V = "V. NHIỆM VỤ TRỌNG TÂM {next}"
APPENDIX_HEADING = "CÁC PHỤ BIỂU KÈM THEO"

MISSING = "[chưa có số liệu: {what}]"  # a figure the warehouse does not hold
DRAFTER = "[Người soạn thảo bổ sung: {what}]"  # judgement, or facts no stream delivers

# Why questions were deleted (report_summary `questions_deleted_<reason>`), in the report's words.
DELETION_REASONS = {
    "violation": "vi phạm quy chế",
    "duplicate": "có nội dung trùng nhau",
    "forwarded": "đã được chuyển đến cơ quan, đơn vị chuyên trách trả lời",
    "invalid_asker": "thông tin người hỏi không đúng",
    "other": "lý do khác",
}
# New portals by group, as section III counts them.
NEW_PORTAL_GROUPS = {
    "party_mass": "Cổng TTĐT cơ quan khối Đảng, MTTQ và các tổ chức chính trị - xã hội",
    "department": "Cổng TTĐT sở, ban, ngành, đơn vị của tỉnh",
    "district": "Cổng TTĐT huyện, thị xã, thành phố",
    "commune": "Cổng TTĐT cấp xã",
}
# The component groups of section I.2, in the report's order, with how each line names them.
POST_GROUP_LINES = {
    "party_mass": "Cổng TTĐT các cơ quan tham mưu giúp việc cho Tỉnh ủy, Ủy ban Mặt trận Tổ quốc"
    " Việt Nam tỉnh và các tổ chức chính trị - xã hội tỉnh",
    "department": "Các sở, ban, ngành, đơn vị, tổ chức của tỉnh",
    "district": "{units} huyện, thị xã, thành phố",
    "commune": "{units} xã, phường, thị trấn có Cổng TTĐT cấp xã",
}
POSTS_WORDS = "tin, bài, bộ thông tin CSDL"
TOPICS_QUOTED = 5  # the most asked topics section II names


# --- numbers, the Vietnamese way --------------------------------------------------------------


def count_vi(value: Any) -> str:
    """A count: 180.326."""
    return format_vi(COUNT, value)


def points_vi(value: Any) -> str:
    """A score or a mean: 54,5; 50."""
    return format_vi(SCORE, value)


def percent_vi(rate: Any) -> str:
    """A fraction as the text writes it: 98,1%, 96% (no trailing ",0")."""
    return format_vi(SCORE, rate * 100) + "%"


def two_digits(n: int) -> str:
    """A count of portals or agencies as the report writes it before a slash: 07/16, 123/152."""
    return f"{n:02d}"


class Missing(Exception):
    """A figure the sentence needs is not in the warehouse."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


@dataclass
class Marts:
    """The period's rows of every mart the text and the appendices read; `None` for a mart the
    warehouse does not have (yet)."""

    period_id: str
    period_start: date
    period_end: date
    summary: dict[tuple[str, str], Row]
    appendices: dict[str, list[Row]]
    scorecard_bloc: list[Row]
    portal_activity: list[Row]
    question_topics: list[Row] | None
    report_sentences: list[Row] | None
    # `channel_<channel>_<metric>` of the channel measurements that have a value (channel_metrics)
    measured: set[str] | None = None

    def row(self, metric: str, group: str, what: str) -> Row:
        """The summary row, or Missing naming `what` the report would say and the metric. A
        channel figure nothing measured in the period (no value in channel_metrics) is missing
        too, whatever count the summary holds for it."""
        found = self.summary.get((metric, group))
        unmeasured = (
            metric.startswith("channel_") and self.measured is not None
            and metric not in self.measured
        )  # fmt: skip
        if found is None or found["value"] is None or unmeasured:
            raise Missing(f"{what} ({metric}, {group})")
        return found

    def value(self, metric: str, group: str, what: str) -> float:
        return self.row(metric, group, what)["value"]

    @property
    def same_period_year(self) -> int:
        starts = [r["same_period_start"] for r in self.summary.values() if r["same_period_start"]]
        return starts[0].year if starts else self.period_start.year - 1


def change_vi(row: Row, what: str, year: int, *, pct: bool = False) -> str:
    """The comparison with the same period last year, as the seed words it: "tăng 426 tin bài,
    bộ thông tin CSDL so với CK năm 2022"; with `pct`, the % change after the amount."""
    change = row["change"]
    if change is None:
        return f"chưa có số liệu cùng kỳ năm {year} để so sánh"
    if round(change, 6) == 0:
        return f"bằng CK năm {year}"
    verb = "tăng" if change > 0 else "giảm"
    unit = row.get("unit")
    amount = percent_vi(abs(change)).replace("%", " điểm %") if unit == "rate" else None
    amount = amount or (points_vi(abs(change)) if unit == "mean" else count_vi(abs(change)))
    text = f"{verb} {amount} {what}".rstrip()
    if pct and row["change_pct"] is not None:
        text += f", {verb} {percent_vi(abs(row['change_pct']))}"
    text += f" so với CK năm {year}"
    reported = row.get("value_same_period_last_year_as_reported")
    restated = row["value_same_period_last_year"]
    if row.get("is_restated") and reported is not None and abs(reported - restated) > 1e-9:
        text += f" (CK tính theo đơn vị hiện nay; như đã báo cáo năm {year}: {count_vi(reported)})"
    return text


# --- reading the marts -------------------------------------------------------------------------


@contextmanager
def _snapshot(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One read transaction, so every mart is read from the same state; the caller's if open."""
    try:
        con.execute("begin transaction")
        own = True
    except duckdb.TransactionException:
        own = False
    try:
        yield
    finally:
        if own:
            con.execute("rollback")


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    present: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts'"
    ).fetchall():
        present.setdefault(table, set()).add(column)
    return present


def _rows(
    con: duckdb.DuckDBPyConnection, table: str, period_id: str, order_by: str
) -> list[dict[str, Any]]:
    cursor = con.execute(
        f"select * from marts.{table} where period_id = ? order by {order_by}", [period_id]
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def read_marts(con: duckdb.DuckDBPyConnection, period_id: str) -> Marts:
    """The period's rows of the marts the report reads, from one snapshot."""
    with _snapshot(con):
        present = _columns(con)

        def optional(table: str, order_by: str) -> list[dict[str, Any]] | None:
            return _rows(con, table, period_id, order_by) if table in present else None

        summary_rows = optional("report_summary", "display_order, metric, portal_group") or []
        appendices = {
            a.table: optional(a.table, a.order_by) or [] for a in APPENDICES
        }  # a mart not built reads as no rows: its table says so
        bloc = optional("scorecard_bloc", "bloc") or []
        activity = optional("portal_activity", "portal_name collate vi, portal_id") or []
        topics = optional("question_topics", "rank")
        sentence_order = (
            "appendix, display_order, bloc"
            if "display_order" in present.get("report_sentences", set())
            else "appendix, bloc"
        )
        sentences = optional("report_sentences", sentence_order)
        channels = optional("channel_metrics", "channel, metric")
    bounds = [
        (r["period_start"], r["period_end"])
        for rows in (summary_rows, bloc, activity, *appendices.values())
        for r in rows
    ]
    if not bounds:
        raise ValueError(f"period {period_id!r} has no rows in the marts: build it first")
    start, end = bounds[0]
    return Marts(
        period_id=period_id,
        period_start=start,
        period_end=end,
        summary={(r["metric"], r["portal_group"]): r for r in summary_rows},
        appendices=appendices,
        scorecard_bloc=bloc,
        portal_activity=activity,
        question_topics=topics,
        report_sentences=sentences,
        measured=None
        if channels is None
        else {f"channel_{r['channel']}_{r['metric']}" for r in channels if r["value"] is not None},
    )


# --- the words around the figures ---------------------------------------------------------------


def province_name(marts: Marts) -> str:
    """The province as its portal's name says it ("Cổng TTĐT tỉnh Lào Cai" -> "Lào Cai")."""
    for row in marts.portal_activity:
        if row.get("portal_group") == "province":
            m = re.search(r"tỉnh\s+(.+)$", row["portal_name"] or "", flags=re.IGNORECASE)
            if m:
                return m.group(1).strip()
    return "…"


def next_period_label(period_id: str) -> str:
    """The months after the period, whose tasks section V lists: 2023-9M -> "3 tháng cuối năm
    2023", 2024-Q1 -> "quý II năm 2024", 2023-FY -> "năm 2024"."""
    m = re.fullmatch(r"(\d{4})-(\w+)", period_id)
    if not m:
        return "kỳ tới"
    year, part = int(m.group(1)), m.group(2)
    if part in ("FY", "Q4"):
        return f"năm {year + 1}"
    if part == "H1":
        return f"6 tháng cuối năm {year}"
    if part == "9M":
        return f"3 tháng cuối năm {year}"
    if re.fullmatch(r"Q[1-3]", part):
        return f"quý {('II', 'III', 'IV')[int(part[1]) - 1]} năm {year}"
    return "kỳ tới"


def _window(start: date, end: date) -> str:
    return f"từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


# A paragraph of the text: its kind (how it is laid out) and its text.
BODY, DASH, PLUS, STAR, NOTE = "body", "dash", "plus", "star", "note"
H1, H2 = "h1", "h2"


@dataclass
class Draft:
    """The report's text as (kind, text) paragraphs, and the placeholders it holds."""

    paragraphs: list[tuple[str, str]] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)

    def add(self, kind: str, *parts: str | Callable[[], str]) -> None:
        """A paragraph of clauses: a callable clause that needs a missing figure becomes the
        placeholder naming it, the others stay. A DASH or PLUS paragraph gets its mark."""
        texts: list[str] = []
        for part in parts:
            text = self.figure(part) if callable(part) else part
            if text and text not in texts:
                texts.append(text)
        if texts:
            mark = {DASH: "- ", PLUS: "+ "}.get(kind, "")
            self.paragraphs.append((kind, mark + " ".join(texts)))

    def figure(self, clause: Callable[[], str]) -> str:
        """The clause's text, or the placeholder for the figure it lacks."""
        try:
            return clause()
        except Missing as missing:
            text = MISSING.format(what=missing.what)
            self.placeholders.append(text)
            return text

    def drafter(self, kind: str, what: str) -> None:
        text = DRAFTER.format(what=what)
        self.placeholders.append(text)
        self.paragraphs.append((kind, text))


def draft(marts: Marts, province: str) -> Draft:
    """Sections I to V of the report, from the marts."""
    d = Draft()
    label = period_label(marts.period_id)
    year = marts.same_period_year
    window = _window(marts.period_start, marts.period_end)
    _section_i(d, marts, province, label, year, window)
    _section_ii(d, marts, label, year, window)
    _section_iii(d, marts, province, label, year)
    d.paragraphs.append((H1, SECTION_IV))
    d.paragraphs.append((H2, "1. Ưu điểm"))
    d.drafter(DASH, "ưu điểm trong kỳ (đánh giá của cơ quan soạn thảo)")
    d.paragraphs.append((H2, "2. Hạn chế, khó khăn"))
    d.drafter(DASH, "hạn chế, khó khăn và nguyên nhân (đánh giá của cơ quan soạn thảo)")
    d.paragraphs.append((H1, SECTION_V.format(next=next_period_label(marts.period_id).upper())))
    d.drafter(BODY, f"các nhiệm vụ trọng tâm {next_period_label(marts.period_id)}")
    return d


def _section_i(d: Draft, m: Marts, province: str, label: str, year: int, window: str) -> None:
    d.paragraphs.append((H1, SECTION_I))
    d.paragraphs.append((H2, "1. Cung cấp thông tin trên Cổng TTĐT tỉnh"))

    def provincial_posts() -> str:
        row = m.row("posts", "province", "tin, bài, CSDL trên Cổng TTĐT tỉnh")
        return (
            f"Trong {label}, Cổng TTĐT tỉnh đã cung cấp {count_vi(row['value'])} {POSTS_WORDS},"
            f" {change_vi(row, 'tin bài, bộ thông tin CSDL', year)}."
        )

    def provincial_split() -> str:
        articles = m.value("posts_articles", "province", "tin, bài trên Cổng TTĐT tỉnh")
        items = m.value("posts_data_items", "province", "bộ thông tin CSDL trên Cổng TTĐT tỉnh")
        return (
            f"Trong đó có {count_vi(articles)} tin, bài; {count_vi(items)} bộ thông tin CSDL là"
            " văn bản chỉ đạo điều hành, văn bản công bố TTHC, lấy ý kiến dự thảo văn bản,"
            " video tuyên truyền."
        )

    def visits() -> str:
        row = m.row("channel_portal_visits_visits", "province", "lượt truy cập Cổng TTĐT tỉnh")
        return (
            f"Tổng số lượng truy cập trong {label} (theo công cụ đếm số lần truy cập trên Cổng"
            f" TTĐT tỉnh) đạt {count_vi(row['value'])} lượt, {change_vi(row, 'lượt', year)};"
        )

    def cumulative() -> str:
        total = m.value(
            "channel_portal_visits_visits_cumulative", "province", "lượt truy cập lũy kế"
        )
        return f"lũy kế đạt {count_vi(total)} lượt truy cập."

    d.add(DASH, provincial_posts, provincial_split, visits, cumulative)

    d.paragraphs.append((H2, "2. Cung cấp thông tin trên các Cổng TTĐT thành phần"))

    def components() -> str:
        row = m.row("posts", "all_components", "tin, bài, CSDL trên các Cổng TTĐT thành phần")
        return (
            f"Trong {label} ({window}), các Cổng TTĐT thành phần đã cập nhật"
            f" {count_vi(row['value'])} {POSTS_WORDS},"
            f" {change_vi(row, POSTS_WORDS, year, pct=True)}."
            " Trong đó:"
        )

    d.add(DASH, components)
    for group, words in POST_GROUP_LINES.items():
        if (("posts", group) not in m.summary) and group == "district":
            continue  # no district level any more (since the 2025 reorganisation)

        def line(group: str = group, words: str = words) -> str:
            row = m.row("posts", group, f"tin, bài, CSDL nhóm {group}")
            units = ""
            if "{units}" in words:
                metric = "units" if group == "district" else "portals_total"
                units = d.figure(
                    lambda: two_digits(int(m.value(metric, group, f"số đơn vị nhóm {group}")))
                )
            text = (
                f"{words.format(units=units)} đã đăng tải mới {count_vi(row['value'])}"
                f" {POSTS_WORDS}, {change_vi(row, POSTS_WORDS, year)}"
            )
            if group == "commune":
                portals = m.summary.get(("portals_total", "commune"))
                if portals and portals["change"] and portals["change"] > 0:
                    text += f" (do tăng thêm {count_vi(portals['change'])} Cổng TTĐT cấp xã)"
            return text + "."

        d.add(PLUS, line)

    def english() -> str:
        portals = int(m.value("portals_english", "all", "Cổng TTĐT cung cấp thông tin tiếng Anh"))
        posts = m.value("posts_english", "all", "tin, bài bằng tiếng Anh")
        names = [
            r["portal_name"]
            for r in m.portal_activity
            if r.get("provides_english") and r.get("portal_group") != "province"
        ]
        lead = (
            "Việc cung cấp thông tin bằng tiếng Anh theo quy định tại Nghị định số"
            " 42/2022/NĐ-CP, đến thời điểm này "
        )
        if portals == 0:
            return (
                lead + "chưa có Cổng TTĐT thành phần nào cung cấp đủ thông tin bằng tiếng Anh"
                f" theo quy định ({count_vi(posts)} tin, bài bằng tiếng Anh trong kỳ)."
            )
        who = (
            f"mới có duy nhất Cổng TTĐT {names[0]} thực hiện"
            if portals == 1 and len(names) == 1
            else f"có {two_digits(portals)} Cổng TTĐT thực hiện"
            + (f" ({'; '.join(names)})" if len(names) == portals else "")
        )
        return lead + f"{who}, với {count_vi(posts)} tin, bài bằng tiếng Anh trong kỳ."

    d.add(BODY, english)

    d.paragraphs.append(
        (STAR, "* Kết quả đánh giá về mức độ cung cấp thông tin của các Cổng TTĐT thành phần")
    )

    def portals() -> str:
        total = m.row("portals_total", "all_components", "số Cổng TTĐT thành phần")
        communes = m.value("portals_total", "commune", "số Cổng TTĐT cấp xã")
        scored = len(m.appendices[APPENDIX_01.table])
        not_scored = len(m.appendices[APPENDIX_01_2.table])
        return (
            f"Đến ngày {m.period_end:%d/%m/%Y}, hệ thống Cổng TTĐT tỉnh {province} có tổng số"
            f" {count_vi(total['value'])} Cổng TTĐT thành phần,"
            f" {change_vi(total, 'Cổng TTĐT thành phần', year)}. Trong đó, có"
            f" {count_vi(communes)} Cổng TTĐT thành phần cấp xã do các huyện, thị xã, thành phố"
            f" theo dõi, đánh giá, chấm điểm; {two_digits(scored)} Cổng TTĐT các cơ quan, đơn vị,"
            " tổ chức, địa phương thực hiện chấm điểm theo Bộ tiêu chí cung cấp thông tin và dịch"
            " vụ công trực tuyến trên Cổng TTĐT thành phần;"
            f" {two_digits(not_scored)} Cổng TTĐT thành phần không thực hiện chấm điểm do hoạt"
            " động theo ngành dọc và là Cổng TTĐT đặc thù."
        )

    d.add(BODY, portals)
    blocs = {r["bloc"]: r for r in m.scorecard_bloc}
    if not blocs:
        d.add(DASH, MISSING.format(what="kết quả chấm điểm theo khối (scorecard_bloc)"))
        d.placeholders.append(d.paragraphs[-1][1])
    for bloc, who in (
        ("party", "Các cơ quan khối Đảng và cơ quan có Cổng TTĐT thành phần chuyên ngành đặc thù"),
        ("government", "Các cơ quan khối chính quyền"),
    ):
        row = blocs.get(bloc)
        if row is None:
            continue
        bonus = points_vi(row["score_ceiling"] - row["scale"])
        note = row["summary_note"] or ""
        note = ("Có " + note) if note[:1].isdigit() else note
        d.add(
            DASH,
            f"{who} (thang điểm {points_vi(row['scale'])}, cộng thêm {bonus} điểm khuyến"
            f" khích): {note}.",
        )
    d.add(NOTE, "(Xem chi tiết tại phụ biểu số 01 kèm theo)")

    d.paragraphs.append((H2, "3. Hoạt động Fanpage của UBND tỉnh"))

    def fanpage_posts() -> str:
        row = m.row("channel_fanpage_posts", "province", "tin, bài đăng trên Fanpage")
        return (
            f"Đối với công tác vận hành Fanpage của UBND tỉnh: Trong {label}, đã đăng tải"
            f" {count_vi(row['value'])} tin vắn, bài viết, sự kiện,"
            f" {change_vi(row, 'tin bài, sự kiện', year)};"
        )

    def fanpage_reach() -> str:
        row = m.row("channel_fanpage_reach", "province", "lượt tiếp cận Fanpage")
        return f"thu hút {count_vi(row['value'])} người tiếp cận, {change_vi(row, 'lượt', year)};"

    def fanpage_interactions() -> str:
        value = m.value("channel_fanpage_interactions", "province", "lượt tương tác Fanpage")
        return f"{count_vi(value)} lượt tương tác bài viết;"

    def fanpage_response() -> str:
        value = m.value("channel_fanpage_response_rate", "province", "tỷ lệ phản hồi Fanpage")
        return f"tỷ lệ phản hồi của trang đạt {percent_vi(value)}."

    def fanpage_followers() -> str:
        row = m.row("channel_fanpage_followers", "province", "người theo dõi Fanpage")
        return (
            "Tổng số người theo dõi Fanpage của UBND tỉnh hiện tại đạt"
            f" {count_vi(row['value'])} người; {change_vi(row, 'người theo dõi', year)}."
        )

    d.add(
        BODY, fanpage_posts, fanpage_reach, fanpage_interactions, fanpage_response,
        fanpage_followers,
    )  # fmt: skip

    d.paragraphs.append(
        (H2, f"4. Hoạt động phân hệ tin tức Cổng hành chính công tỉnh {province} trên Zalo")
    )

    def zalo_posts() -> str:
        row = m.row("channel_zalo_posts", "province", "tin, bài đăng trên Zalo")
        return (
            f"Công tác quản lý, vận hành phân hệ tin tức Cổng hành chính công tỉnh {province}"
            f" trên Zalo: Trong {label}, đã thực hiện cập nhật {count_vi(row['value'])} tin bài,"
            f" {change_vi(row, 'tin bài', year)};"
        )

    def zalo_views() -> str:
        row = m.row("channel_zalo_views", "province", "lượt xem tin trên Zalo")
        return (
            f"thu hút {count_vi(row['value'])} lượt xem, chia sẻ, đánh giá;"
            f" {change_vi(row, 'lượt xem, chia sẻ, đánh giá', year)}."
        )

    def zalo_followers() -> str:
        row = m.row("channel_zalo_followers", "province", "người quan tâm kênh Zalo")
        return (
            f"Kênh có {count_vi(row['value'])} người quan tâm,"
            f" {change_vi(row, 'người quan tâm', year)}."
        )

    d.add(BODY, zalo_posts, zalo_views, zalo_followers)


def _section_ii(d: Draft, m: Marts, label: str, year: int, window: str) -> None:
    d.paragraphs.append((H1, SECTION_II))
    d.paragraphs.append((H2, "1. Chuyên mục Hỏi - Đáp"))

    def received() -> str:
        row = m.row("questions_total", "all", "câu hỏi gửi đến")
        return (
            f"Trong {label}, chuyên mục Hỏi - Đáp đã nhận được {count_vi(row['value'])} câu hỏi"
            f" của các tổ chức, cá nhân gửi tới, {change_vi(row, 'câu', year)}."
        )

    def answered() -> str:
        eligible = m.value("questions_eligible", "all", "câu hỏi đủ điều kiện trả lời")
        done = m.value("questions_answered", "all", "câu hỏi đã trả lời")
        share = m.row("questions_answered_share", "all", "tỷ lệ câu hỏi đã trả lời")
        if not eligible:
            return "Không có câu hỏi nào đủ điều kiện trả lời trong kỳ."
        return (
            f"Các cơ quan, đơn vị đã tiếp nhận và trả lời được {count_vi(done)}/"
            f"{count_vi(eligible)} câu hỏi đủ điều kiện trả lời, đạt {percent_vi(share['value'])}"
            f" tổng số câu hỏi đủ điều kiện trả lời ({change_vi(share, '', year)});"
        )

    def waiting() -> str:
        eligible = m.value("questions_eligible", "all", "câu hỏi đủ điều kiện trả lời")
        left = m.value("questions_waiting", "all", "câu hỏi chờ tiếp nhận, trả lời")
        if not eligible:
            return ""
        return (
            f"số câu hỏi chờ tiếp nhận, trả lời {count_vi(left)}/{count_vi(eligible)} câu hỏi,"
            f" chiếm {percent_vi(left / eligible)} tổng số câu hỏi đủ điều kiện trả lời;"
        )

    def deleted() -> str:
        count = m.value("questions_deleted", "all", "câu hỏi xoá")
        share = m.value("questions_deleted_share", "all", "tỷ lệ câu hỏi xoá")
        return (
            f"xoá {count_vi(count)} câu hỏi, chiếm {percent_vi(share)} tổng số câu hỏi người dân"
            " gửi đến"
        )

    def reasons() -> str:
        found = {
            reason: m.summary[(f"questions_deleted_{reason}", "all")]["value"]
            for reason in DELETION_REASONS
            if (f"questions_deleted_{reason}", "all") in m.summary
        }
        if not found:
            raise Missing("lý do xoá câu hỏi (questions_deleted_<lý do>, all)")
        parts = [
            f"{words}: {count_vi(found[reason])} câu"
            for reason, words in DELETION_REASONS.items()
            if found.get(reason)
        ]
        return f"(do {'; '.join(parts)})." if parts else "."

    d.add(BODY, received, answered, waiting, deleted, reasons)

    def rated() -> str:
        count = m.value("questions_rated", "all", "câu hỏi được đánh giá mức độ hài lòng")
        if not count:
            return "Trong kỳ chưa có câu hỏi nào được người hỏi đánh giá mức độ hài lòng."
        mean = m.row("questions_rating_mean", "all", "mức độ hài lòng bình quân")
        return (
            f"Có {count_vi(count)} câu trả lời được người hỏi đánh giá mức độ hài lòng, bình quân"
            f" đạt {points_vi(round(mean['value'], 1))}/5 điểm"
            f" ({change_vi(mean, 'điểm', year)})."
        )

    d.add(DASH, rated)

    def topics() -> str:
        if m.question_topics is None:
            raise Missing("lĩnh vực của các câu hỏi (question_topics)")
        top = [r for r in m.question_topics if r["rank"] <= TOPICS_QUOTED and r["questions"]]
        if not top:
            return "Trong kỳ không có câu hỏi nào được phân loại theo lĩnh vực."
        listed = "; ".join(
            f"{r['topic_label_vi']} ({count_vi(r['questions'])} câu hỏi)" for r in top
        )
        return (
            "Nội dung các câu hỏi gửi đến chuyên mục Hỏi - Đáp chủ yếu tập trung vào các lĩnh"
            f" vực: {listed}."
        )

    d.add(DASH, topics)

    d.paragraphs.append((STAR, f"* Kết quả đánh giá, chấm điểm trong {label}:"))
    agencies = len(m.appendices[APPENDIX_02.table])
    d.add(
        BODY,
        f"Tổng số có {two_digits(agencies)} cơ quan, đơn vị tham gia thực hiện đánh giá Chuyên"
        " mục Hỏi - Đáp trên Cổng TTĐT tỉnh. Cụ thể như sau:",
    )
    _scoring_sentences(d, m, "02", PLUS)
    d.add(NOTE, "(Chi tiết tại phụ biểu số 02 kèm theo)")

    d.paragraphs.append((H2, "2. Sử dụng dịch vụ công trực tuyến"))

    def dossiers() -> str:
        row = m.row("dossiers_total", "all", "hồ sơ, TTHC")
        counter = m.value("dossiers_counter", "all", "hồ sơ tiếp nhận qua một cửa điện tử")
        online = m.value("dossiers_online", "all", "hồ sơ tiếp nhận trực tuyến")
        carried = m.value("dossiers_carried_over", "all", "hồ sơ tồn từ đầu kỳ")
        return (
            f"Kết quả thực hiện dịch vụ công trực tuyến {label} ({window}) trên hệ thống dịch vụ"
            f" hành chính công của tỉnh, các cơ quan, đơn vị đã tiếp nhận {count_vi(row['value'])}"
            " bộ hồ sơ, TTHC mức độ 2, mức độ 3, mức độ 4,"
            f" {change_vi(row, 'bộ hồ sơ, TTHC', year)}. Trong đó, tiếp nhận qua một cửa điện tử"
            f" là {count_vi(counter)} bộ hồ sơ; tiếp nhận trực tuyến là {count_vi(online)} bộ hồ"
            f" sơ; hồ sơ tồn từ đầu kỳ là {count_vi(carried)} bộ hồ sơ."
        )

    d.add(DASH, dossiers)

    def resolved() -> str:
        total = m.value("dossiers_total", "all", "hồ sơ, TTHC")
        done = m.value("dossiers_resolved", "all", "hồ sơ đã giải quyết")
        rate = m.value("dossiers_resolution_rate", "all", "tỷ lệ giải quyết")
        on_time = m.value("dossiers_resolved_on_time", "all", "hồ sơ giải quyết đúng hạn")
        on_time_rate = m.value("dossiers_on_time_rate", "all", "tỷ lệ đúng và trước hạn")
        late = m.value("dossiers_late", "all", "hồ sơ giải quyết trễ hạn")
        return (
            f"Số bộ hồ sơ, TTHC đã giải quyết là: {count_vi(done)}/{count_vi(total)} bộ hồ sơ,"
            f" TTHC (bao gồm cả hồ sơ tồn đầu kỳ), đạt {percent_vi(rate)}. Trong đó, số hồ sơ,"
            " TTHC đã được xử lý, giải quyết đúng hạn và trước hạn là:"
            f" {count_vi(on_time)}/{count_vi(done)} bộ hồ sơ đã giải quyết, đạt"
            f" {percent_vi(on_time_rate)}; số hồ sơ, TTHC đã được xử lý, giải quyết nhưng trễ hạn"
            f" là: {count_vi(late)}/{count_vi(done)} bộ hồ sơ đã giải quyết, chiếm"
            f" {percent_vi(late / done)}."
            if done
            else "Chưa có bộ hồ sơ, TTHC nào được giải quyết trong kỳ."
        )

    d.add(PLUS, resolved)

    def in_progress() -> str:
        total = m.value("dossiers_total", "all", "hồ sơ, TTHC")
        open_ = m.value("dossiers_in_progress", "all", "hồ sơ đang giải quyết")
        withdrawn = m.summary.get(("dossiers_withdrawn", "all"))
        text = (
            f"Số bộ hồ sơ, TTHC đang được giải quyết là: {count_vi(open_)}/{count_vi(total)}"
            f" bộ hồ sơ, TTHC, chiếm {percent_vi(open_ / total)} tổng số hồ sơ được tiếp nhận"
            if total
            else "Không có bộ hồ sơ, TTHC nào đang được giải quyết"
        )
        if withdrawn and withdrawn["value"]:
            text += f"; {count_vi(withdrawn['value'])} bộ hồ sơ được rút"
        return text + "."

    d.add(PLUS, in_progress)
    d.paragraphs.append((STAR, "* Kết quả đánh giá, chấm điểm:"))
    _scoring_sentences(d, m, "03", DASH)
    d.add(NOTE, "(Chi tiết tại phụ biểu số 03 kèm theo)")


def _scoring_sentences(d: Draft, m: Marts, appendix: str, kind: str) -> None:
    """The sentences of appendix 02's or 03's scoring that the report quotes (report_sentences)."""

    def missing() -> str:
        raise Missing(f"câu đánh giá, chấm điểm của phụ biểu {appendix} (report_sentences)")

    rows = [
        r
        for r in m.report_sentences or []
        if r["appendix"] == appendix and (r["sentence_vi"] or "").strip()
    ]
    if not rows:
        d.add(kind, missing)
    for row in rows:
        # a row's score bands are joined by ". ": one bullet per band, as the seed lists them
        for band in re.split(r"(?<=\.)\s+(?=(?:Có )?\d+/\d+)", row["sentence_vi"].strip()):
            d.add(kind, band + ("" if band.endswith(".") else "."))


def _section_iii(d: Draft, m: Marts, province: str, label: str, year: int) -> None:
    d.paragraphs.append((H1, SECTION_III))
    d.drafter(DASH, "phát triển giao diện, chức năng mới của Cổng TTĐT tỉnh")

    def new_portals() -> str:
        total = m.value("portals_new", "all_components", "Cổng TTĐT thành phần mới")
        if not total:
            return f"Trong {label}, không có Cổng TTĐT thành phần mới được đưa vào hoạt động."
        parts = []
        for group, words in NEW_PORTAL_GROUPS.items():
            found = m.summary.get(("portals_new", group))
            if found and found["value"]:
                parts.append(f"{two_digits(int(found['value']))} {words}")
        return (
            f"Trong {label}, đã xây dựng mới, bàn giao đưa vào hoạt động {count_vi(total)} Cổng"
            f" TTĐT thành phần (gồm: {'; '.join(parts)})."
        )

    def coverage() -> str:
        portals = m.value("portals_total", "commune", "Cổng TTĐT cấp xã")
        units = m.value("commune_units", "commune", "đơn vị hành chính cấp xã")
        rate = m.value("commune_coverage", "commune", "tỷ lệ xã có Cổng TTĐT")
        return (
            f"Lũy kế đạt {count_vi(portals)}/{count_vi(units)} xã, phường, thị trấn trên địa bàn"
            f" tỉnh có Cổng TTĐT trên Cổng TTĐT tỉnh {province}, đạt {percent_vi(rate)}."
        )

    d.add(DASH, new_portals, coverage)

    def gazette() -> str:
        issues = m.value("channel_gazette_issues", "province", "số Công báo điện tử")
        documents = m.value("channel_gazette_documents", "province", "văn bản đăng Công báo")
        return (
            f"Thực hiện xuất bản {two_digits(int(issues))} số Công báo điện tử trên chuyên trang"
            f" Công báo tỉnh {province} trên Cổng TTĐT tỉnh với {count_vi(documents)} văn bản quy"
            " phạm pháp luật và văn bản khác."
        )

    d.add(DASH, gazette)

    def press() -> str:
        bulletins = m.value("channel_press_review_bulletins", "province", "bản tin Điểm báo")
        items = m.value("channel_press_review_items", "province", "tin trong Điểm báo")
        return (
            f"Điểm báo các cơ quan báo chí Trung ương viết về tỉnh {province} được"
            f" {count_vi(bulletins)} bản tin, với {count_vi(items)} thông tin liên quan trực tiếp"
            " đến tỉnh đăng trên mục Điểm báo trên Cổng TTĐT tỉnh."
        )

    d.add(DASH, press)

    def training() -> str:
        courses = m.value("channel_training_courses", "province", "lớp tập huấn")
        trainees = m.value("channel_training_trainees", "province", "học viên tập huấn")
        return (
            f"Tổ chức {count_vi(courses)} lớp đào tạo nâng cao kỹ năng quản lý vận hành, quản"
            f" trị kỹ thuật và nội dung Cổng TTĐT cho {count_vi(trainees)} học viên là cán bộ,"
            " công chức, viên chức quản trị Cổng TTĐT thành phần."
        )

    d.add(DASH, training)
    d.drafter(DASH, "bảo mật, an toàn an ninh thông tin trên hệ thống Cổng TTĐT")


# --- the document ---------------------------------------------------------------------------

FONT = "Times New Roman"
_FIXED_TIME = datetime(2000, 1, 1)


def _style(doc: Any) -> None:
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(13)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(4)
    for name, size in (("Heading 1", 13), ("Heading 2", 13)):
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.bold = FONT, Pt(size), True
        style.font.italic = False
        style.font.color.rgb = None
        style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
        rfonts = style.element.rPr.rFonts
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(theme), None)
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(6), Pt(3)
        style.paragraph_format.first_line_indent = Cm(1)
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)


def _paragraph(
    doc: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: Any = None,
    size: float | None = None,
    indent: bool = False,
) -> Any:
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Cm(1)
    return p


def _cell_text(
    cell: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float = 13,
    align: Any = WD_ALIGN_PARAGRAPH.CENTER,
) -> None:
    paragraph_format, run_format = _line_format(bold, italic, size, align)
    p = cell.paragraphs[0]
    for i, line in enumerate(text.split("\n")):
        if i:
            p = cell.add_paragraph()
        if p._p.pPr is None:
            p._p.insert(0, deepcopy(paragraph_format))
        else:  # a paragraph with properties of its own keeps them
            p.alignment = align
            p.paragraph_format.space_after = Pt(0)
        run = p.add_run(line)
        run._r.insert(0, deepcopy(run_format))


@cache
def _line_format(bold: bool, italic: bool, size: float, align: Any) -> tuple[Any, Any]:
    """The paragraph properties and the run properties of a line `_cell_text` writes, made once
    by python-docx's setters; each line gets copies. Setting them anew on each of a report's few
    thousand cells took 0.5 s of its 0.8 s of appendix tables; the document is the same."""
    p = Paragraph(OxmlElement("w:p"), None)
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run()
    run.bold, run.italic, run.font.size = bold, italic, Pt(size)
    return p._p.pPr, run._r.rPr


def _header(doc: Any, province: str, number: str | None, when: date | None) -> None:
    """The committee and the nation's motto side by side, the number and the date beneath."""
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _cell_text(table.cell(0, 0), f"ỦY BAN NHÂN DÂN\nTỈNH {province.upper()}", bold=True)
    _cell_text(
        table.cell(0, 1),
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
        bold=True,
    )
    number = (number or "").strip()
    # a bare number gets the report's symbol ("125" -> "125/BC-UBND"), as the appendices write it
    _cell_text(
        table.cell(1, 0), f"Số: {number}" if "/" in number else f"Số: {number or ' ' * 8}/BC-UBND"
    )
    day = (
        f"ngày {when.day:02d} tháng {when.month:02d} năm {when.year}"
        if when
        else "ngày      tháng      năm      "
    )
    _cell_text(table.cell(1, 1), f"{province}, {day}", italic=True)


def _body(doc: Any, d: Draft) -> None:
    for kind, text in d.paragraphs:
        if kind == H1:
            doc.add_heading(text, level=1)
        elif kind == H2:
            doc.add_heading(text, level=2)
        elif kind == NOTE:
            _paragraph(doc, text, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif kind == STAR:
            _paragraph(doc, text, bold=True, italic=True, indent=True)
        else:
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            p.paragraph_format.first_line_indent = Cm(1)
            for piece in _PLACEHOLDER.split(text):
                if piece:
                    run = p.add_run(piece)
                    if _PLACEHOLDER.fullmatch(piece):
                        run.font.highlight_color = WD_COLOR_INDEX.YELLOW  # for the drafter's eye


_PLACEHOLDER = re.compile(r"(\[(?:chưa có số liệu|Người soạn thảo bổ sung): [^\]]*\])")


def _appendix_table(doc: Any, appendix: Appendix, rows: Sequence[Row]) -> Table:
    """An appendix as a Word table: grouped headers merged, a heading row per section, the
    agencies in the mart's order, the closing total row."""
    appendix = with_numbers(appendix, rows)
    lines = display_lines(appendix, rows)
    depth = appendix.header_depth
    ncols = len(appendix.columns)
    # The header rows are merged while they are the whole table, and the body's rows added one
    # by one: python-docx finds a cell by (row, column) by walking the whole table.
    table = doc.add_table(rows=depth, cols=ncols)
    table.style = "Table Grid"
    size = 7 if ncols > 10 else 9
    for h in header_cells(appendix):
        cell = table.cell(h.row, h.col)
        if (h.row, h.col) != (h.last_row, h.last_col):
            cell = cell.merge(table.cell(h.last_row, h.last_col))
        _cell_text(cell, h.text, bold=True, size=size)
    # names and notes wide, figures narrow, over the landscape page's 26,7 cm
    weights = [
        0.9 if c.kind == STT else (3.2 if c.key == "note" else 3.0) if c.kind == TEXT else 1.6
        for c in appendix.columns
    ]
    widths = [Cm(26.7 * weight / sum(weights)) for weight in weights]
    table.autofit = False
    for j, width in enumerate(widths):
        table.columns[j].width = width

    def sized(cells: Sequence[Any]) -> Sequence[Any]:
        for cell, width in zip(cells, widths, strict=True):
            cell.width = width
        return cells

    for header_row in table.rows:
        sized(header_row.cells)
    label_col = next(j for j, c in enumerate(appendix.columns) if c.kind == TEXT)
    for role, row in lines:
        cells = _new_row(table)
        if role == SECTION:
            _cell_text(cells[0], str(row[appendix.columns[0].key]), bold=True, size=size)
            merged = _merge_across(cells, label_col, ncols - 1)
            _cell_text(merged, row[appendix.columns[label_col].key], bold=True, size=size,
                       align=WD_ALIGN_PARAGRAPH.LEFT)  # fmt: skip
            continue
        for j, column in enumerate(appendix.columns):
            kind = column.kind_for(row)
            text = format_vi(kind, column.value(row))
            align = (
                WD_ALIGN_PARAGRAPH.LEFT
                if kind == TEXT
                else WD_ALIGN_PARAGRAPH.CENTER
                if kind == STT
                else WD_ALIGN_PARAGRAPH.RIGHT
            )
            _cell_text(cells[j], text, bold=role == TOTAL, size=size, align=align)
    return table


# A body row's cells are found and merged within the row: python-docx's `row.cells` and
# `_Cell.merge` walk the whole table to locate them, for each row (0.3 s of a report's 0.6 s of
# appendix tables); the XML is the same (tests/test_publish_docx.py).


def _new_row(table: Table) -> list[_Cell]:
    """The cells of a row added to `table`, each as wide as its column (python-docx's
    `add_row` sets it)."""
    return [_Cell(tc, table) for tc in table.add_row()._tr.tc_lst]


def _merge_across(cells: list[_Cell], first: int, last: int) -> _Cell:
    """`cells[first]` merged with the cells after it up to `cells[last]`, in a row of unmerged
    cells: what `cells[first].merge(cells[last])` makes."""
    cells[first]._tc._grow_to(last - first + 1, 1)
    return cells[first]


def _appendices(doc: Any, marts: Marts, reference: str) -> None:
    section = doc.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.left_margin = section.right_margin = Cm(1.5)
    doc.add_heading(APPENDIX_HEADING, level=1)
    for n, appendix in enumerate(APPENDICES):
        rows = marts.appendices[appendix.table]
        if n:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        lines = title_lines(appendix, marts.period_id, marts.period_start, marts.period_end)
        # "(Kèm theo Báo cáo số …/BC-UBND ngày …)" under the period line, as in the seed
        lines.insert(3 if appendix.number else 2, reference)
        for i, line in enumerate(lines):
            _paragraph(doc, line, bold=i < 2, italic=i >= 2, align=WD_ALIGN_PARAGRAPH.CENTER,
                       size=12 if i < 2 else 11)  # fmt: skip
        _appendix_table(doc, appendix, rows)


@dataclass(frozen=True)
class ReportDocx:
    path: Path
    placeholders: tuple[str, ...]  # every placeholder the draft holds, in order
    marts: tuple[str, ...]  # the marts it was written from


def write_report_docx(
    con: duckdb.DuckDBPyConnection,
    period_id: str,
    path: Path | str,
    *,
    report_number: str | None = None,
    report_date: date | str | None = None,
    province: str | None = None,
    cutoff: date | str | None = None,
    version: int | None = None,
    data_as_of: str | None = None,
) -> ReportDocx:
    """Draft the period's report as a DOCX at `path` from the warehouse's marts.

    `report_number` ("125") and `report_date` go into the header ("Số: 125/BC-UBND", "Lào Cai,
    ngày 05 tháng 10 năm 2023"); left blank for the office to fill when not given. `province`
    defaults to the one the provincial portal's name says. `cutoff`, `version` and `data_as_of`
    (the event watermark) are noted under the title."""
    marts = read_marts(con, period_id)
    province = province or province_name(marts)
    if isinstance(report_date, str):
        report_date = date.fromisoformat(report_date)
    text = draft(marts, province)

    doc = Document()
    _style(doc)
    _header(doc, province, report_number, report_date)
    label = period_label(period_id)
    _paragraph(doc, "BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    _paragraph(
        doc,
        f"Kết quả hoạt động của Cổng Thông tin điện tử tỉnh {province} {label};"
        f" nhiệm vụ trọng tâm {next_period_label(period_id)}",
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    basis = [f"Số liệu {_window(marts.period_start, marts.period_end)}"]
    if cutoff is not None:
        basis.append(f"chốt số liệu đến ngày {_as_date(cutoff):%d/%m/%Y}")
    if data_as_of:
        basis.append(f"dữ liệu tiếp nhận đến {_instant(data_as_of)}")
    if version is not None:
        basis.append(f"bản phát hành v{version}")
    _paragraph(doc, "(Dự thảo: " + "; ".join(basis) + ")", italic=True, size=11,
               align=WD_ALIGN_PARAGRAPH.CENTER)  # fmt: skip
    _paragraph(
        doc,
        "Thực hiện Nghị định số 42/2022/NĐ-CP ngày 24/6/2022 của Chính phủ quy định về việc"
        " cung cấp thông tin và dịch vụ công trực tuyến của cơ quan nhà nước trên môi trường"
        f" mạng, UBND tỉnh báo cáo kết quả hoạt động của Cổng TTĐT tỉnh {province} {label};"
        f" nhiệm vụ trọng tâm {next_period_label(period_id)} như sau:",
        indent=True,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    )
    _body(doc, text)
    _paragraph(
        doc,
        f"Trên đây là Báo cáo kết quả hoạt động Cổng TTĐT tỉnh {province} {label};"
        f" nhiệm vụ trọng tâm {next_period_label(period_id)}./.",
        indent=True,
    )
    signature = doc.add_table(rows=1, cols=2)
    _cell_text(
        signature.cell(0, 0),
        "Nơi nhận:\n- TT. TU, HĐND, UBND tỉnh;\n- Các cơ quan, đơn vị, địa phương (có Cổng"
        " TTĐT thành phần);\n- Lưu: VT.",
        size=11,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    _cell_text(signature.cell(0, 1), "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\n\n\n", bold=True)
    _appendices(doc, marts, report_reference(report_number, report_date))

    core = doc.core_properties
    core.title = f"Báo cáo hoạt động Cổng TTĐT tỉnh {province} {label}"
    core.author = core.last_modified_by = f"UBND tỉnh {province}"
    core.created = core.modified = _FIXED_TIME
    core.revision = 1
    _save_reproducibly(doc, Path(path))
    return ReportDocx(
        path=Path(path),
        placeholders=tuple(text.placeholders),
        marts=tuple(
            sorted(
                {"report_summary", "scorecard_bloc", "portal_activity"}
                | {a.table for a in APPENDICES}
                | ({"question_topics"} if marts.question_topics is not None else set())
                | ({"report_sentences"} if marts.report_sentences is not None else set())
            )
        ),
    )


def _instant(value: str) -> str:
    """An ISO instant (the event watermark) as the text writes it: 30/11/2026 08:23 UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%d/%m/%Y %H:%M} UTC"


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _save_reproducibly(doc: Any, path: Path) -> None:
    """Save with fixed zip entry times: the same rows give the same bytes."""
    buffer = io.BytesIO()
    doc.save(buffer)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(
                zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)),
                source.read(info.filename),
                compress_type=zipfile.ZIP_DEFLATED,
            )
