"""The period's report as one self-contained HTML page: headline figures, charts, lost points,
and the units reorganised since the same period last year.

Every comparison with last year is on the units in force at the period's end ("restated",
EVENTS.md 1.1); where the figure as reported then differs, the page shows it beside.

Everything is drawn here, in Python, as inline SVG with inline CSS: the page loads nothing and
runs no script, so it opens the same from a file share, an e-mail or an archive in ten years.
Only mart rows and the release's facts go in (its version, cutoff, event watermark and
publication date; no clock, no run id): the same rows give the same bytes on the same day.

It prints on A4 portrait (`@page`): the sections break between pages, never inside a chart or
a card, and nothing is wider than the paper.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from publish.appendices import (
    BLOCS_VI,
    COUNT,
    MEAN,
    PORTAL_GROUPS_VI,
    RATE,
    SCORE,
    format_vi,
    measure_kind,
    period_label,
    report_reference,
)

Row = Mapping[str, Any]

# The marts the page draws on.
MARTS = frozenset(
    {
        "appendix_01_information",
        "appendix_02_questions",
        "appendix_03_dossiers",
        "scorecard_bloc",
        "report_summary",
        "portal_activity",
    }
)

# Headline cards: (metric, portal_group) of report_summary, in this order; absent ones are left.
HEADLINES = (
    ("posts", "province"),
    ("posts", "all_components"),
    ("portals_active", "all_components"),
    ("commune_coverage", "commune"),
    ("questions_total", "all"),
    ("questions_answered_share", "all"),
    ("questions_rating_mean", "all"),
    ("dossiers_total", "all"),
    ("dossiers_on_time_rate", "all"),
)
# A headline's second line from another figure: the mean rating says how many questions rated.
_BASED_ON = {("questions_rating_mean", "all"): ("questions_rated", "câu hỏi được đánh giá")}
# The provincial portal's channels: report_summary's `channel_<channel>_<metric>` rows.
CHANNEL_PREFIX = "channel_"
# The groups compared with last year; all_components is their sum less the province, left out
# so that it does not flatten the others.
POST_GROUPS = ("province", "party_mass", "department", "district", "commune")

BLOC_COLOURS = {"government": "#1f5fa6", "party": "#b3261e"}
_OTHER_BLOC = "#6b7280"
_TIER_COLOURS = ("#2e7d32", "#1f5fa6", "#c62828")  # top tier, next tier, below both
_LAST_YEAR, _THIS_PERIOD = "#b9c3cf", "#1f5fa6"
_AS_REPORTED = "#52606d"  # the dashed outline of last year's figure as reported then
_INK, _MUTED, _GRID = "#1f2933", "#52606d", "#e4e7eb"

# Charts side by side are drawn 540 units wide; names longer than the label area go on two
# lines, in full.
_HALF_WIDTH, _FULL_WIDTH = 540, 1120
_LABEL_WIDTH = 236
_ROW = 19
_NAME_CHARS = 37
_LINE_GAP = 13  # between the two lines of a long name
# A longer list of reorganised units is folded, its count in view (a province's merger retires
# hundreds of communes); the workbook's sheet "Theo đơn vị" lists every unit.
_UNITS_SHOWN_OPEN = 20


def stem(period_id: str) -> str:
    """The name, less its extension, of the report's workbook and page in a release."""
    return f"bao-cao-{period_id}"


@dataclass(frozen=True)
class ReleaseFacts:
    """What the page says of the release it belongs to (publish/release.py)."""

    version: int
    cutoff: str  # ISO date (or instant) the figures run to
    event_watermark: str | None  # ISO instant of the latest event ingested, UTC
    published_on: date  # the publication's local date
    report_number: str | None = None
    report_date: str | None = None  # ISO date


def render(
    tables: Mapping[str, Sequence[Row]],
    period_id: str,
    period_start: date,
    period_end: date,
    release: ReleaseFacts | None = None,
) -> str:
    """The page for one period, from the rows of MARTS (each already in print order), with the
    release's facts when given."""
    summary = tables["report_summary"]
    label = period_label(period_id)
    sections = [
        _headlines(summary),
        _section("Các kênh thông tin của Cổng TTĐT tỉnh", _channels(summary)),
        _section(
            "Tin, bài, CSDL đăng tải mới so với cùng kỳ",
            _posts_vs_last_year(summary, label),
        ),
        _section(
            "Các cơ quan, đơn vị sắp xếp lại, đổi tên",
            _reorganised(tables["portal_activity"]),
        ),
        '<div class="pair">',
        _section(
            "Mức độ cung cấp thông tin",
            _scores_by_bloc(tables["appendix_01_information"], tables["scorecard_bloc"]),
        ),
        _section(
            "Giải quyết hồ sơ dịch vụ công đúng và trước hạn",
            _on_time_rates(tables["appendix_03_dossiers"]),
        ),
        "</div>",
        _section(
            "Các cơ quan, đơn vị bị trừ điểm và lý do",
            _lost_points(
                tables["appendix_01_information"],
                tables["appendix_02_questions"],
                tables["appendix_03_dossiers"],
            ),
        ),
    ]
    same = next((r for r in summary if r["same_period_start"]), None)
    compared = (
        f" · so sánh với cùng kỳ {same['same_period_start']:%d/%m/%Y} – "
        f"{same['same_period_end']:%d/%m/%Y}"
        if same
        else ""
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="vi">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Báo cáo hoạt động Cổng TTĐT {escape(label)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            "<header>",
            f'<p class="kicker">Báo cáo {escape(label)}</p>',
            "<h1>Hoạt động của Cổng TTĐT tỉnh và các Cổng TTĐT thành phần</h1>",
            f'<p class="period">Tính từ {period_start:%d/%m/%Y} đến {period_end:%d/%m/%Y}'
            f"{escape(compared)}</p>",
            f'<p class="basis">{escape(_restated_basis(period_end))}</p>',
            _release_facts(release),
            "</header>",
            *sections,
            "<footer>",
            f"<p>Số liệu đầy đủ: các phụ biểu trong tệp {escape(stem(period_id))}.xlsx "
            "cùng bản phát hành này.</p>",
            "</footer>",
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _section(title: str, body: str) -> str:
    if not body:  # a figure not in the marts (yet): nothing, not an empty frame
        return ""
    return f"<section>\n<h2>{escape(title)}</h2>\n{body}\n</section>"


def _release_facts(release: ReleaseFacts | None) -> str:
    """Version, cutoff, event watermark and publication date, and the report it goes with."""
    if release is None:
        return ""
    items = [
        ("Phiên bản", f"v{release.version}"),
        ("Số liệu đến ngày", _vi_date(release.cutoff)),
        ("Sự kiện ghi nhận đến", _vi_instant(release.event_watermark)),
        ("Ngày phát hành", f"{release.published_on:%d/%m/%Y}"),
    ]
    attached = report_reference(release.report_number, release.report_date)
    return (
        '<dl class="release">'
        + "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in items)
        + f'</dl>\n<p class="attached">{escape(attached.strip("()"))}</p>'
    )


def _vi_date(iso: str) -> str:
    return f"{datetime.fromisoformat(iso):%d/%m/%Y}"


def _vi_instant(iso: str | None) -> str:
    """An instant as 25/09/2023 17:04 UTC; "chưa có" before any event."""
    if not iso:
        return "chưa có"
    return f"{datetime.fromisoformat(iso).astimezone(UTC):%d/%m/%Y %H:%M} UTC"


def _restated_basis(period_end: date) -> str:
    return (
        "Số liệu cùng kỳ được tính theo các cơ quan, đơn vị đang hoạt động đến ngày "
        f"{period_end:%d/%m/%Y} (đơn vị hợp nhất cộng số liệu của các đơn vị trước hợp nhất, "
        "đơn vị chia tách nhận phần theo tỷ lệ phân chia); số liệu như đã báo cáo năm trước "
        "được ghi kèm khi khác."
    )


def _as_reported_differs(row: Row) -> bool:
    """Whether last year's figure as reported then differs from the restated one."""
    restated = row["value_same_period_last_year"]
    reported = row["value_same_period_last_year_as_reported"]
    if restated is None or reported is None:
        return restated is not reported
    return abs(restated - reported) > 1e-9


# --- headline figures ---------------------------------------------------------------------------


def _headlines(summary: Sequence[Row]) -> str:
    found = {(r["metric"], r["portal_group"]): r for r in summary}
    cards = [
        _card(found[key], found.get((_BASED_ON[key][0], key[1])) if key in _BASED_ON else None)
        for key in HEADLINES
        if key in found and found[key]["value"] is not None
    ]
    if not cards:
        return ""
    return (
        '<section class="headlines" aria-label="Số liệu chính">\n'
        + "\n".join(cards)
        + "\n</section>"
    )


def _card(row: Row, base: Row | None = None) -> str:
    kind = measure_kind(row["unit"])
    delta = f'<p class="delta">{_change_text(row)}</p>'
    if base is not None and base["value"] is not None:
        delta = (
            f'<p class="base">trên {format_vi(COUNT, base["value"])} '
            f"{escape(_BASED_ON[(row['metric'], row['portal_group'])][1])}</p>" + delta
        )
    if _as_reported_differs(row):
        reported = format_vi(kind, row["value_same_period_last_year_as_reported"]) or "chưa có"
        delta += f'<p class="reported">Cùng kỳ như đã báo cáo: {reported}</p>'
    group = row["portal_group"]
    # the same metric is quoted for several groups: say which one
    whose = (
        ""
        if group == "all"
        else f'<p class="group">{escape(PORTAL_GROUPS_VI.get(group, group))}</p>'
    )
    return (
        '<div class="card">'
        f'<p class="label">{escape(row["label_vi"] or row["metric"])}</p>{whose}'
        f'<p class="value">{format_vi(kind, row["value"])}</p>'
        f"{delta}</div>"
    )


def _change_text(row: Row) -> str:
    """The change against the same period as the page prints it: an arrow and the amount, or
    "bằng cùng kỳ" when the amount as printed is nothing (no "▲ 0 điểm %")."""
    kind = measure_kind(row["unit"])
    change, last_year = row["change"], row["value_same_period_last_year"]
    if change is None or last_year is None:
        return "chưa có số liệu cùng kỳ"
    if kind == RATE:  # a change of rates is in percentage points
        amount = f"{format_vi(SCORE, round(abs(change) * 100, 1))} điểm %"
        nothing = round(abs(change) * 100, 1) == 0
    elif kind == MEAN:
        amount = format_vi(MEAN, abs(change))
        nothing = round(abs(change), 1) == 0
    else:
        amount = format_vi(kind, abs(change))
        nothing = round(abs(change)) == 0
        if row["change_pct"] is not None:
            amount += f" ({format_vi(RATE, abs(row['change_pct']))})"
    if nothing:
        return f"bằng cùng kỳ ({format_vi(kind, last_year)})"
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {amount} so với cùng kỳ ({format_vi(kind, last_year)})"


def _channels(summary: Sequence[Row]) -> str:
    """The provincial portal's other channels (fanpage, Zalo, gazette, press review, training,
    visits), a row per figure with its change; nothing when the marts have none."""
    rows = [r for r in summary if r["metric"].startswith(CHANNEL_PREFIX) and r["value"] is not None]
    if not rows:
        return ""
    body = [
        '<table id="channels">\n<thead><tr><th scope="col">Chỉ tiêu</th>'
        '<th scope="col" class="num">Kỳ này</th>'
        '<th scope="col">So với cùng kỳ</th></tr></thead>\n<tbody>'
    ]
    for r in rows:
        kind = measure_kind(r["unit"])
        body.append(
            f'<tr class="channel" data-metric="{escape(r["metric"])}">'
            f'<th scope="row">{escape(r["label_vi"] or r["metric"])}</th>'
            f'<td class="num">{format_vi(kind, r["value"])}</td>'
            f"<td>{escape(_change_text(r))}</td></tr>"
        )
    body.append("</tbody>\n</table>")
    return "\n".join(body)


# --- charts ---------------------------------------------------------------------------------


def _figure(
    chart_id: str, title: str, svg_body: str, width: int, height: float, caption: str
) -> str:
    """A chart: an accessible SVG with its title, and a caption saying how to read it."""
    return (
        f'<figure id="{chart_id}">\n'
        f'<svg viewBox="0 0 {width} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">\n<title>{escape(title)}</title>\n'
        f"{svg_body}\n</svg>\n"
        f"<figcaption>{caption}</figcaption>\n</figure>"
    )


def _posts_vs_last_year(summary: Sequence[Row], label: str) -> str:
    rows = {r["portal_group"]: r for r in summary if r["metric"] == "posts"}
    groups = [g for g in POST_GROUPS if g in rows]
    width, top, bottom, left = _FULL_WIDTH, 46, 250, 64
    differs = [g for g in groups if _as_reported_differs(rows[g])]
    peak = max(
        (
            v
            for g in groups
            for v in (
                rows[g]["value"],
                rows[g]["value_same_period_last_year"],
                rows[g]["value_same_period_last_year_as_reported"],
            )
            if v is not None
        ),
        default=0,
    )
    step, high = _nice_axis(peak)
    y = _scale(0, high, bottom, top)
    parts = _y_grid(0, high, step, y, left, width - 16)
    slot = (width - left - 16) / max(len(groups), 1)
    bar = min(64.0, slot * 0.3)
    for i, group in enumerate(groups):
        row = rows[group]
        centre = left + slot * (i + 0.5)
        name = PORTAL_GROUPS_VI.get(group, group)
        for value, colour, x, who in (
            (
                row["value_same_period_last_year"],
                _LAST_YEAR,
                centre - bar - 2,
                "Cùng kỳ theo đơn vị hiện nay",
            ),
            (row["value"], _THIS_PERIOD, centre + 2, "Kỳ này"),
        ):
            if value is None:
                continue
            text = format_vi(COUNT, value)
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                f'height="{bottom - y(value):.1f}" fill="{colour}">'
                f"<title>{escape(name)} – {who}: {text}</title>"
                "</rect>"
            )
            parts.append(_text(x + bar / 2, y(value) - 6, text, anchor="middle", size=12))
        reported = row["value_same_period_last_year_as_reported"]
        if group in differs and reported is not None:
            # last year as reported then: a dashed outline over the restated bar
            x, text = centre - bar - 2, format_vi(COUNT, reported)
            parts.append(
                f'<rect class="as-reported" x="{x:.1f}" y="{y(reported):.1f}" width="{bar:.1f}" '
                f'height="{bottom - y(reported):.1f}" fill="none" stroke="{_AS_REPORTED}" '
                'stroke-width="1.5" stroke-dasharray="4 3">'
                f"<title>{escape(name)} – Cùng kỳ như đã báo cáo: {text}</title></rect>"
            )
            # its figure just inside the outline's top (above it when the outline is flat)
            inside = bottom - y(reported) >= 20
            label_y = y(reported) + 15 if inside else y(reported) - 6
            parts.append(
                _text(x + bar / 2, label_y, text, anchor="middle", size=11.5, fill=_AS_REPORTED)
            )
        for j, line in enumerate(_wrap(PORTAL_GROUPS_VI.get(group, group), 30)):
            parts.append(_text(centre, bottom + 20 + 15 * j, line, anchor="middle", size=12.5))
        if row["change"] is not None:
            sign = "+" if row["change"] > 0 else "−" if row["change"] < 0 else "±"
            change = f"{sign}{format_vi(COUNT, abs(row['change']))}"
            if row["change_pct"] is not None:
                change += f" ({sign}{format_vi(RATE, abs(row['change_pct']))})"
            colour = "#2e7d32" if row["change"] > 0 else "#c62828" if row["change"] < 0 else _MUTED
            parts.append(
                _text(centre, bottom + 54, change, anchor="middle", size=12.5, fill=colour,
                      weight="bold")
            )  # fmt: skip
    legend = [(_LAST_YEAR, "Cùng kỳ (theo đơn vị hiện nay)"), (_THIS_PERIOD, label)]
    if differs:
        legend.insert(1, (_AS_REPORTED, "Cùng kỳ (như đã báo cáo)"))
    parts.append(_legend(width - 16, 18, legend, dashed=[_AS_REPORTED]))
    if not groups:
        parts.append(_text(width / 2, 150, "Không có số liệu trong kỳ", anchor="middle"))
    total = rows.get("all_components")
    caption = (
        "Số tin, bài, bộ thông tin CSDL đăng tải mới theo nhóm Cổng, kỳ này và cùng kỳ năm trước"
        " tính theo các đơn vị hiện nay."
    )
    if differs:
        caption += " Khung nét đứt: cùng kỳ như đã báo cáo năm trước, nơi có đơn vị sắp xếp lại."
    if total:
        caption += (
            f" Tổng các Cổng TTĐT thành phần: {format_vi(COUNT, total['value'])}"
            f" (cùng kỳ {format_vi(COUNT, total['value_same_period_last_year'])})."
        )
    figure = _figure(
        "chart-posts-vs-last-year",
        "Tin, bài theo nhóm Cổng: kỳ này và cùng kỳ năm trước",
        "\n".join(parts),
        width,
        bottom + 72,
        escape(caption),
    )
    return figure + _two_readings([rows[g] for g in differs])


def _two_readings(rows: Sequence[Row]) -> str:
    """The groups whose last year reads differently on today's units and as reported then."""
    if not rows:
        return ""
    body = [
        '<table id="posts-two-readings">\n<thead><tr><th scope="col">Nhóm</th>'
        '<th scope="col" class="num">Kỳ này</th>'
        '<th scope="col" class="num">Cùng kỳ (theo đơn vị hiện nay)</th>'
        '<th scope="col" class="num">Cùng kỳ (như đã báo cáo)</th></tr></thead>\n<tbody>'
    ]
    for row in rows:
        group = PORTAL_GROUPS_VI.get(row["portal_group"], row["portal_group"])
        body.append(
            f'<tr><th scope="row">{escape(group)}</th>'
            + "".join(
                f'<td class="num">{_figure_or_dash(row[c])}</td>'
                for c in (
                    "value",
                    "value_same_period_last_year",
                    "value_same_period_last_year_as_reported",
                )
            )
            + "</tr>"
        )
    body.append("</tbody>\n</table>")
    return "\n".join(body)


def _figure_or_dash(value: Any) -> str:
    return format_vi(COUNT, value) or "–"


# --- reorganised units ------------------------------------------------------------------------


def _reorganised(activity: Sequence[Row]) -> str:
    """The units whose comparisons are not simply their own (merged, split, retired into
    successors, renamed), with both readings of last year's posts and the note that says why."""
    rows = [r for r in activity if r["lineage_note"]]
    if not rows:
        return (
            '<p class="none" id="reorganised-units">Không có cơ quan, đơn vị nào được sắp xếp '
            "lại hay đổi tên so với cùng kỳ: số liệu cùng kỳ là số liệu đã báo cáo.</p>"
        )
    retired = sum(1 for r in rows if not r["is_in_force"])
    count = f"{len(rows)} cơ quan, đơn vị" + (
        f", trong đó {retired} đã ngừng hoạt động" if retired else ""
    )
    shown = " open" if len(rows) <= _UNITS_SHOWN_OPEN else ""
    body = [
        f"<details{shown}>\n<summary>{escape(count)}</summary>",
        '<table id="reorganised-units">\n<thead><tr>'
        '<th scope="col">Cơ quan, đơn vị</th>'
        '<th scope="col" class="num">Tin, bài kỳ này</th>'
        '<th scope="col" class="num">Cùng kỳ (theo đơn vị hiện nay)</th>'
        '<th scope="col" class="num">Cùng kỳ (như đã báo cáo)</th>'
        '<th scope="col">Ghi chú</th></tr></thead>\n<tbody>',
    ]
    for r in rows:
        group = PORTAL_GROUPS_VI.get(r["portal_group"], r["portal_group"])
        state = "" if r["is_in_force"] else " · đã ngừng hoạt động"
        body.append(
            f'<tr class="unit"><th scope="row">{escape(r["portal_name"])}'
            f'<span class="detail">{escape(group + state)}</span></th>'
            f'<td class="num">{_figure_or_dash(r["posts"])}</td>'
            f'<td class="num">{_figure_or_dash(r["posts_same_period_last_year"])}</td>'
            f'<td class="num">{_figure_or_dash(r["posts_same_period_last_year_as_reported"])}</td>'
            f"<td>{escape(r['lineage_note'])}</td></tr>"
        )
    body.append("</tbody>\n</table>\n</details>")
    return "\n".join(body) + (
        '\n<p class="idle">Đơn vị đã ngừng hoạt động giữ số liệu của mình; trong tổng theo nhóm '
        "Cổng, số liệu của đơn vị được tính vào đơn vị kế thừa. Dấu –: chưa có đơn vị (như đã "
        "báo cáo) hoặc chưa có tỷ lệ phân chia để tính lại.</p>"
    )


def _scores_by_bloc(information: Sequence[Row], blocs: Sequence[Row]) -> str:
    """A dot per portal on its bloc's scale, in the appendix's order, with the scale and the
    ceiling marked: most portals sit at or near the ceiling, so the axis starts just below the
    lowest score rather than at 0."""
    width, plot_left, plot_right = _HALF_WIDTH, _LABEL_WIDTH + 10, _HALF_WIDTH - 46
    facts = {b["bloc"]: b for b in blocs}
    parts, y0, notes = [], 0.0, []
    by_bloc: dict[str, list[Row]] = {}
    for row in information:
        by_bloc.setdefault(row["bloc"], []).append(row)
    for bloc, rows in by_bloc.items():
        colour = BLOC_COLOURS.get(bloc, _OTHER_BLOC)
        fact = facts.get(bloc, {})
        ceiling = fact.get("score_ceiling") or max(r["score_ceiling"] for r in rows)
        scale = fact.get("scale") or max(r["scale"] for r in rows)
        lowest = min([r["score"] for r in rows if r["score"] is not None] + [scale])
        low = max(0.0, 5 * math.floor((lowest - 1) / 5))
        step = 5 if ceiling - low <= 30 else 10 if ceiling - low <= 60 else 20
        x = _scale(low, ceiling, plot_left, plot_right)
        heading = f"{rows[0]['section']}. {BLOCS_VI.get(bloc, bloc)}"
        parts.append(_text(0, y0 + 16, heading, size=14, weight="bold", fill=colour))
        if fact:
            parts.append(
                _text(0, y0 + 34, f"{fact['portals']} Cổng · điểm trung bình "
                      f"{format_vi(SCORE, fact['mean_score'])} · {fact['portals_at_max']} Cổng "
                      "đạt điểm tối đa", size=12, fill=_MUTED)
            )  # fmt: skip
            if fact.get("summary_note"):
                notes.append(f"{BLOCS_VI.get(bloc, bloc)}: {fact['summary_note']}")
        axis_y, first = y0 + 70, y0 + 86
        ys = _row_centres([r["portal_name"] for r in rows], first)
        last = ys[-1]
        tick = low
        while tick <= ceiling + 1e-9:
            parts.append(_vline(x(tick), axis_y + 4, last + 8, _GRID))
            parts.append(_text(x(tick), axis_y, format_vi(SCORE, tick), anchor="middle",
                               size=11, fill=_MUTED))  # fmt: skip
            tick += step
        parts.append(_vline(x(scale), axis_y + 4, last + 8, _MUTED, dash=True))
        parts.append(_vline(x(ceiling), axis_y + 4, last + 8, _INK))
        parts.append(_text(x(scale) - 4, axis_y - 18, f"thang điểm {format_vi(SCORE, scale)}",
                           anchor="end", size=11, fill=_MUTED))  # fmt: skip
        parts.append(_text(x(ceiling), axis_y - 18, f"tối đa {format_vi(SCORE, ceiling)}",
                           anchor="end", size=11, fill=_INK, weight="bold"))  # fmt: skip
        for i, row in enumerate(rows):
            cy = ys[i]
            name = row["portal_name"]
            parts.append(_name(plot_left - 10, cy, name))
            parts.append(
                f'<line x1="{x(low):.1f}" y1="{cy:.1f}" x2="{x(ceiling):.1f}" y2="{cy:.1f}" '
                f'stroke="{_GRID}" stroke-width="1"/>'
            )
            if row["score"] is None:
                continue
            score = format_vi(SCORE, row["score"])
            below = row["score"] < scale
            parts.append(
                f'<circle class="portal" cx="{x(row["score"]):.1f}" cy="{cy:.1f}" r="5.5" '
                f'fill="{"#fff" if below else colour}" stroke="{colour}" stroke-width="2">'
                f"<title>{escape(name)}: {score}/{format_vi(SCORE, ceiling)} điểm</title></circle>"
            )
            parts.append(_text(plot_right + 8, cy + 4, score, size=11.5,
                               fill=colour if below else _INK))  # fmt: skip
        y0 = last + 34
    if not by_bloc:
        parts.append(_text(width / 2, 40, "Không có Cổng nào được chấm điểm trong kỳ",
                           anchor="middle"))  # fmt: skip
        y0 = 70
    caption = (
        "Điểm đánh giá khả năng cung cấp thông tin của từng Cổng TTĐT thành phần (Phụ biểu 01). "
        "Vạch đậm: điểm tối đa (thang điểm + điểm khuyến khích); vạch đứt: thang điểm; "
        "chấm rỗng: dưới thang điểm."
    )
    if notes:
        caption += "<br>" + "<br>".join(escape(n) for n in notes)
    return _figure(
        "chart-scores-by-bloc",
        "Điểm cung cấp thông tin của từng Cổng, theo khối",
        "\n".join(parts),
        width,
        y0,
        caption,
    )


def _on_time_rates(dossiers: Sequence[Row]) -> str:
    """Bars of on-time rates, best first, with the rubric's tiers marked; agencies that resolved
    nothing have no rate and are named in the caption instead."""
    width, plot_left, plot_right = _HALF_WIDTH, _LABEL_WIDTH + 10, _HALF_WIDTH - 56
    # the rubric's tiers in force for the period, as appendix 03 was scored against them
    tiers = tuple(dossiers[0]["on_time_tiers"] or ()) if dossiers else ()
    rated = sorted(
        (r for r in dossiers if r["on_time_rate"] is not None),
        # ties in the appendix's order, which is Vietnamese order of the names
        key=lambda r: (-r["on_time_rate"], -(r["total"] or 0), r["display_order"]),
    )
    x = _scale(0, 1, plot_left, plot_right)
    axis_y, first = 30, 46
    ys = _row_centres([r["portal_name"] for r in rated], first)
    last = ys[-1] if ys else first
    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(_vline(x(tick), axis_y + 4, last + 10, _GRID))
        parts.append(_text(x(tick), axis_y, _percent(tick),
                           anchor="middle", size=11, fill=_MUTED))  # fmt: skip
    for i, row in enumerate(rated):
        cy = ys[i]
        rate = row["on_time_rate"]
        tier = next((k for k, t in enumerate(tiers) if rate >= t), len(tiers))
        colour = _TIER_COLOURS[min(tier, len(_TIER_COLOURS) - 1)]
        text = format_vi(RATE, rate)
        parts.append(_name(plot_left - 10, cy, row["portal_name"]))
        parts.append(
            f'<rect class="bar" x="{plot_left}" y="{cy - 6:.1f}" width="{x(rate) - plot_left:.1f}" '
            f'height="12" rx="2" fill="{colour}"><title>{escape(row["portal_name"])}: {text} '
            f"đúng và trước hạn ({format_vi(COUNT, row['resolved'])} hồ sơ đã giải quyết; "
            f"{format_vi(SCORE, row['score'])} điểm)</title></rect>"
        )
        parts.append(_text(width, cy + 4, text, anchor="end", size=11.5, fill=_INK))
    for tier in tiers:
        parts.append(_vline(x(tier), axis_y + 4, last + 10, _INK, dash=True))
        parts.append(_text(x(tier), axis_y - 16, _percent(tier),
                           anchor="middle", size=11, fill=_INK, weight="bold"))  # fmt: skip
    height = last + 20
    if not rated:
        parts.append(_text(width / 2, 60, "Không có hồ sơ được giải quyết trong kỳ",
                           anchor="middle"))  # fmt: skip
        height = 90
    tier_text = " và ".join(_percent(t) for t in tiers)
    caption = (
        "Tỷ lệ hồ sơ giải quyết đúng và trước hạn theo cơ quan (Phụ biểu 03), cao nhất trước. "
        f"Vạch đứt: các mức {tier_text} của Bộ tiêu chí; màu: "
        f'<span class="swatch" style="background:{_TIER_COLOURS[0]}"></span>đạt mức cao nhất, '
        f'<span class="swatch" style="background:{_TIER_COLOURS[1]}"></span>đạt mức tiếp theo, '
        f'<span class="swatch" style="background:{_TIER_COLOURS[2]}"></span>dưới các mức.'
    )
    idle = [r["portal_name"] for r in dossiers if r["on_time_rate"] is None]
    if idle:
        caption += "<br>Chưa có hồ sơ được giải quyết trong kỳ: " + escape("; ".join(idle)) + "."
    return _figure(
        "chart-on-time-rates",
        "Tỷ lệ giải quyết hồ sơ đúng và trước hạn theo cơ quan",
        "\n".join(parts),
        width,
        height,
        caption,
    )


# --- lost points ----------------------------------------------------------------------------


def _lost_points(
    information: Sequence[Row], questions: Sequence[Row], dossiers: Sequence[Row]
) -> str:
    """Each appendix's agencies below its top, most points lost first, with the note that says
    why; agencies with nothing to score in 02 and 03 got the rubric's score for "none", which
    is no fault of theirs, so they are named in one line rather than listed."""
    blocks = [
        _lost_table(
            "Phụ biểu 01 – Cung cấp thông tin",
            information,
            "score_ceiling",
            lambda r: BLOCS_VI.get(r["bloc"], r["bloc"]),
        ),
        _lost_table(
            "Phụ biểu 02 – Tiếp nhận, trả lời câu hỏi",
            # the rules that take points: late or unauthorised answers (the volume bonus of
            # 18 is extra, not a deduction from those at 17)
            [r for r in questions if r["score_rule"] in ("some_late", "all_late")],
            "score_max",
            lambda r: (
                f"{format_vi(COUNT, r['late'])} câu hỏi trễ hạn / "
                f"{format_vi(COUNT, r['total'])} câu hỏi"
            ),
            idle=_idle(questions, "câu hỏi"),
        ),
        _lost_table(
            "Phụ biểu 03 – Giải quyết hồ sơ dịch vụ công",
            [r for r in dossiers if r["total"]],
            "score_max",
            lambda r: f"{format_vi(RATE, r['on_time_rate']) or 'chưa có'} đúng và trước hạn",
            idle=_idle(dossiers, "hồ sơ"),
        ),
    ]
    return (
        '<figure id="chart-lost-points">\n'
        + "\n".join(blocks)
        + (
            "\n<figcaption>Cơ quan, đơn vị có điểm thấp hơn mức cao nhất của từng phụ biểu, "
            "bị trừ nhiều điểm nhất trước; lý do theo ghi chú của phụ biểu.</figcaption>\n</figure>"
        )
    )


def _lost_table(
    title: str,
    rows: Iterable[Row],
    top: str,
    detail: Callable[[Row], str],
    idle: str = "",
) -> str:
    lost = sorted(
        (r for r in rows if r["score"] is not None and r[top] is not None and r["score"] < r[top]),
        key=lambda r: (r["score"] - r[top], r["display_order"]),
    )
    body = [f"<h3>{escape(title)}</h3>"]
    if lost:
        body.append(
            '<table>\n<thead><tr><th scope="col">Cơ quan, đơn vị</th><th scope="col">Điểm</th>'
            '<th scope="col">Bị trừ</th><th scope="col">Lý do</th></tr></thead>\n<tbody>'
        )
        for r in lost:
            body.append(
                f'<tr class="lost"><th scope="row">{escape(r["portal_name"])}'
                f'<span class="detail">{escape(detail(r))}</span></th>'
                f'<td class="num">{format_vi(SCORE, r["score"])}/{format_vi(SCORE, r[top])}</td>'
                f'<td class="num minus">−{format_vi(SCORE, r[top] - r["score"])}</td>'
                f"<td>{escape(r['note'] or '')}</td></tr>"
            )
        body.append("</tbody>\n</table>")
    else:
        body.append('<p class="none">Không có cơ quan, đơn vị nào bị trừ điểm.</p>')
    if idle:
        body.append(f'<p class="idle">{idle}</p>')
    return "\n".join(body)


def _idle(rows: Sequence[Row], what: str) -> str:
    """One line per score below the top given for having nothing in the period."""
    by_score: dict[tuple[float, float], list[str]] = {}
    for r in rows:
        if not r["total"] and r["score"] is not None and r["score"] < r["score_max"]:
            by_score.setdefault((r["score"], r["score_max"]), []).append(r["portal_name"])
    return "<br>".join(
        f"Không có {what} trong kỳ, được {format_vi(SCORE, score)}/{format_vi(SCORE, top)} "
        f"điểm theo Bộ tiêu chí ({len(names)}): {escape('; '.join(names))}."
        for (score, top), names in by_score.items()
    )


# --- drawing helpers ------------------------------------------------------------------------


def _scale(lo: float, hi: float, out_lo: float, out_hi: float) -> Callable[[float], float]:
    span = (hi - lo) or 1
    return lambda v: out_lo + (v - lo) / span * (out_hi - out_lo)


def _nice_axis(peak: float) -> tuple[float, float]:
    """A round tick step and the axis top above `peak` (4 to 6 gridlines)."""
    raw = max(peak, 1) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step, step * math.ceil(peak * 1.08 / step)


def _y_grid(
    lo: float, hi: float, step: float, y: Callable[[float], float], left: float, right: float
) -> list[str]:
    parts, tick = [], lo
    while tick <= hi + 1e-9:
        parts.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{right}" y2="{y(tick):.1f}" '
            f'stroke="{_INK if tick == lo else _GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 8, y(tick) + 4, format_vi(COUNT, tick), anchor="end", size=11,
                           fill=_MUTED))  # fmt: skip
        tick += step
    return parts


def _percent(fraction: float) -> str:
    """An axis label or threshold: 96%, 95,5% (no trailing ",0" as a rate cell would print)."""
    return format_vi(SCORE, fraction * 100) + "%"


def _vline(x: float, y1: float, y2: float, colour: str, dash: bool = False) -> str:
    pattern = ' stroke-dasharray="4 3"' if dash else ""
    return (
        f'<line x1="{x:.1f}" y1="{y1:.1f}" x2="{x:.1f}" y2="{y2:.1f}" stroke="{colour}" '
        f'stroke-width="{1.5 if dash or colour == _INK else 1}"{pattern}/>'
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: float = 12,
    fill: str = _INK,
    weight: str = "normal",
) -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}"{bold}>{escape(text)}</text>'
    )


def _name_lines(name: str) -> list[str]:
    """An agency's full name on one line, or two when longer than the label area holds."""
    if len(name) <= _NAME_CHARS:
        return [name]
    lines = _wrap(name, _NAME_CHARS)
    if len(lines) <= 2:
        return lines
    return [lines[0], " ".join(lines[1:])]  # the rest on the second line, squeezed to fit


def _row_centres(names: Sequence[str], first: float) -> list[float]:
    """The centre of each chart row: _ROW apart, more under a name on two lines."""
    ys, y = [], first
    for name in names:
        extra = _LINE_GAP if len(_name_lines(name)) > 1 else 0.0
        ys.append(y + extra / 2)
        y += _ROW + extra
    return ys


def _name(x: float, cy: float, name: str) -> str:
    """An agency's full name right-aligned before its row, on two lines when long; a second
    line longer than the label area is squeezed into it."""
    lines = _name_lines(name)
    top = cy + 4 - _LINE_GAP * (len(lines) - 1) / 2
    spans = []
    for i, line in enumerate(lines):
        fit = (
            f' textLength="{_LABEL_WIDTH - 12}" lengthAdjust="spacingAndGlyphs"'
            if len(line) > _NAME_CHARS + 2
            else ""
        )
        spans.append(
            f'<tspan x="{x:.1f}" y="{top + _LINE_GAP * i:.1f}"{fit}>{escape(line)}</tspan>'
        )
    return (
        f'<text class="name" text-anchor="end" font-size="11.5" fill="{_INK}">'
        f"<title>{escape(name)}</title>{''.join(spans)}</text>"
    )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _legend(
    right: float, y: float, items: Sequence[tuple[str, str]], dashed: Sequence[str] = ()
) -> str:
    """Swatches and labels, right-aligned at `right` (labels' widths estimated from length);
    the colours in `dashed` are drawn as a dashed outline, like the marks they stand for."""
    parts, x = [], right
    for colour, label in reversed(items):
        x -= len(label) * 7 + 8
        parts.append(_text(x, y + 10, label, size=12.5))
        x -= 18
        paint = (
            f'fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="3 2"'
            if colour in dashed
            else f'fill="{colour}"'
        )
        parts.append(f'<rect class="legend" x="{x:.1f}" y="{y:.1f}" width="12" height="12" '
                     f"{paint}/>")  # fmt: skip
        x -= 18
    return "\n".join(parts)


_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2933;
 font-family:"Segoe UI","Noto Sans","Helvetica Neue",Arial,"DejaVu Sans",sans-serif;
 font-size:15px;line-height:1.5}
main{max-width:1160px;margin:0 auto;padding:28px 20px 40px}
header{margin-bottom:20px}
h1{font-size:26px;line-height:1.25;margin:2px 0 6px}
h2{font-size:18px;margin:0 0 12px}
h3{font-size:15px;margin:18px 0 8px;color:#1f5fa6}
.kicker{margin:0;text-transform:uppercase;letter-spacing:.06em;font-size:13px;color:#52606d;
 font-weight:600}
.period{margin:0;color:#52606d}
section{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:18px 20px;
 margin:0 0 18px}
.headlines{display:grid;grid-template-columns:repeat(auto-fit,minmax(136px,1fr));gap:10px;
 background:none;border:0;padding:0}
.card{background:#fff;border:1px solid #e4e7eb;border-top:4px solid #1f5fa6;border-radius:8px;
 padding:12px 14px}
.card p{margin:0}
.card .label{font-size:13px;color:#52606d;line-height:1.3}
.card .group{font-size:12px;color:#1f5fa6;font-weight:600;line-height:1.3;margin-top:2px}
.card .value{font-size:24px;font-weight:700;font-variant-numeric:tabular-nums;margin:4px 0}
.card .delta{font-size:12.5px;color:#3e4c59}
.card .reported{font-size:12px;color:#52606d;font-style:italic;margin-top:2px}
.basis{margin:4px 0 0;font-size:13px;color:#52606d}
.release{display:flex;flex-wrap:wrap;gap:4px 22px;margin:8px 0 0;font-size:13px}
.release div{display:flex;gap:6px}
.release dt{color:#52606d}
.release dd{margin:0;font-weight:600}
.attached{margin:4px 0 0;font-size:13px;color:#52606d;font-style:italic}
.card .base{font-size:12px;color:#52606d}
#channels td.num{width:110px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:18px;align-items:start}
.pair section{margin:0 0 18px}
figure{margin:0}
svg{display:block;width:100%;height:auto;font-variant-numeric:tabular-nums}
figcaption{font-size:13px;color:#52606d;margin-top:10px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 2px}
table{width:100%;border-collapse:collapse;font-size:13.5px}
th,td{text-align:left;vertical-align:top;padding:7px 8px;border-bottom:1px solid #e4e7eb}
thead th{font-size:12.5px;color:#52606d;font-weight:600;border-bottom:2px solid #cbd2d9}
tbody th{font-weight:600;width:26%}
.detail{display:block;font-weight:400;font-size:12px;color:#52606d}
td.num{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums;width:70px}
th.num{text-align:right;width:118px}
#posts-two-readings{margin-top:14px;width:auto}
#posts-two-readings tbody th{width:auto;padding-right:32px}
#posts-two-readings td.num,#reorganised-units td.num{width:auto}
td.minus{color:#c62828;font-weight:600}
.none,.idle{font-size:13.5px;color:#52606d;margin:6px 0}
summary{cursor:pointer;font-weight:600;font-size:14px;margin:0 0 8px}
footer{font-size:12.5px;color:#52606d;margin-top:8px}
@media (max-width:900px){.pair{display:block}}
@page{size:A4 portrait;margin:12mm 11mm 14mm}
@media print{
 body{background:#fff;font-size:12px}
 main{max-width:none;padding:0}
 h1{font-size:21px}
 section{border:0;border-radius:0;padding:0;margin:0 0 14px;break-inside:auto}
 .headlines{grid-template-columns:repeat(auto-fill,minmax(125px,1fr));gap:6px}
 .card{padding:6px 8px}
 .card .value{font-size:18px}
 .pair{display:block}
 figure,.card,tr,h3{break-inside:avoid}
 svg{max-height:200mm}
 h2,h3,summary{break-after:avoid}
 table{font-size:11.5px}
 th,td{padding:4px 6px}
}
"""
