"""The rubric on hand-made events, through the real ingest, dbt and Dagster job: appendix 01's
deductions, assessments and clamping, the Q&A deadlines in working days across Tết, the dossier
tiers, the Vietnamese notes, the scorecards, the same-period arithmetic of the summary, and a
rubric change that applies from its effective date only."""

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_project import MODELS_DIR
from orchestration.definitions import defs
from orchestration.runs import run_period
from tests.conftest import REGISTRY, Warehouse, dossier, invoke_dbt, run_dbt

PERIOD = "2024-Q1"  # Tết Giáp Thìn: 08/02–14/02/2024 off, five working days lost


def registered(portal_id, name, group, bloc, scored, day="2021-01-01"):
    return {
        "event_id": f"reg-{portal_id}",
        "event_type": "registered",
        "occurred_at": f"{day}T08:00:00+07:00",
        "portal_id": portal_id,
        "name": name,
        "portal_group": group,
        "bloc": bloc,
        "scored": scored,
    }


PORTALS = REGISTRY + [
    registered("ubnd-tinh", "UBND tỉnh Lào Cai", "province", "government", False),
    registered("quy-x", "Quỹ X tỉnh", "department", "government", False),
    # opened in the period's last month: asked for one item per category, not three
    registered("so-moi", "Sở Mới", "department", "government", True, "2024-03-01"),
]


def post(portal_id, day, category, n, kind="article", event_type="published", **fields):
    return {
        "event_id": f"{portal_id}-{category}-{day}-{n}.{event_type}",
        "event_type": event_type,
        "occurred_at": f"{day}T09:00:00+07:00",
        "portal_id": portal_id,
        "post_id": f"{portal_id}-{category}-{n}",
        "kind": kind,
        "category": category,
    } | fields


def monthly(portal_id, category, months=(1, 2, 3), year=2024):
    return [post(portal_id, f"{year}-{m:02d}-10", category, year * 100 + m) for m in months]


GOVERNMENT = ("directive_documents", "periodic_reports", "sector_plans", "investment_procurement")
POSTS = [
    # Sở TTTT: periodic reports in two months of three (sparse), no sector plans (missing)
    *monthly("so-tttt", "directive_documents"),
    *monthly("so-tttt", "periodic_reports", months=(1, 2)),
    *monthly("so-tttt", "investment_procurement"),
    *monthly("so-tttt", "news"),
    post("so-tttt", "2024-03-12", "news", 9, language="en"),
    # a report first published in December counts there, not when published again in January
    post("so-tttt", "2023-12-28", "periodic_reports", 7),
    post("so-tttt", "2024-01-03", "periodic_reports", 7, event_type="published", n2=2),
    # unpublished later: still counts in the period it was published in
    post("so-tttt", "2024-01-25", "news", 8),
    post("so-tttt", "2024-02-01", "news", 8, event_type="unpublished"),
    # Huyện Bảo Yên keeps everything up but the sector plans, which the board judges itself
    *[p for c in (*GOVERNMENT, "news") if c != "sector_plans" for p in monthly("huyen-bao-yen", c)],
    # Sở Mới, open since March: one item per category is enough
    *[post("so-moi", "2024-03-15", c, 1) for c in (*GOVERNMENT, "news")],
    # not scored: four items against two in the quarter before
    *monthly("quy-x", "news", months=(1, 2, 3)),
    post("quy-x", "2024-03-11", "news", 4),
    *monthly("quy-x", "news", months=(11, 12), year=2023),
    # the provincial portal, and the same quarter of 2023
    post("ubnd-tinh", "2024-01-05", "news", 1),
    post("ubnd-tinh", "2024-02-05", "news", 2),
    post("ubnd-tinh", "2024-02-06", "directive_documents", 3, kind="data_item"),
    post("ubnd-tinh", "2023-01-05", "news", 4),
    *monthly("so-tttt", "news", months=(1, 2), year=2023),
]
for p in POSTS:  # the re-publication above is the same post's second `published` event
    if p.pop("n2", None):
        p["event_id"] += "-2"


def assessment(portal_id, criterion, points, note, day="2024-04-02", period=PERIOD, n=""):
    return {
        "event_id": f"bbt-{period}-{portal_id}-{criterion}{n}",
        "event_type": "adjusted",
        "occurred_at": f"{day}T08:00:00+07:00",
        "portal_id": portal_id,
        "period_id": period,
        "criterion": criterion,
        "points": points,
        "note": note,
    }


BONUS = "Cộng 5 điểm khuyến khích đảm bảo font chữ, có ảnh minh họa, trình bày đẹp."
ASSESSMENTS = [
    assessment("so-tttt", "introduction", -0.5, "Chưa cập nhật lãnh đạo (trừ 0,5 điểm)."),
    assessment("so-tttt", "presentation_bonus", 5, BONUS, period="2023-FY"),  # another period
    assessment("huyen-bao-yen", "presentation_bonus", 5, BONUS),
    assessment("huyen-bao-yen", "digital", 3, "Cộng 3 điểm chuyên mục chuyển đổi số."),
    assessment("huyen-bao-yen", "sector_plans", 0, "Quy hoạch đăng trên trang riêng."),
    # the board revised its first verdict: the latest stands
    assessment("ban-tuyen-giao", "presentation_bonus", 5, BONUS),
    assessment(
        "ban-tuyen-giao", "presentation_bonus", 2, "Cộng 2 điểm khuyến khích.", "2024-04-05", n="-2"
    ),
    # a portal not scored gets the board's remark in 01.2; the provincial portal is in neither
    # list, so its assessment is a finding rather than points that go nowhere
    assessment("quy-x", "introduction", 0, "Đề nghị bổ sung thông tin lãnh đạo."),
    assessment("ubnd-tinh", "presentation_bonus", 5, BONUS),
]


def question(question_id, portal_id, submitted, accepted=None, answered=None):
    events = [("submitted", submitted), ("accepted", accepted), ("answered", answered)]
    return [
        {
            "event_id": f"{question_id}.{kind}",
            "event_type": kind,
            "occurred_at": f"{at}T09:00:00+07:00",
            "portal_id": portal_id,
            "question_id": question_id,
        }
        for kind, at in events
        if at
    ]


QUESTIONS = [
    # sent the day before Tết: 2 working days to accept end on 16/02, 5 to answer on 23/02
    *question("tet-1", "so-tttt", "2024-02-07", "2024-02-16", "2024-02-23"),
    *question("tet-2", "so-tttt", "2024-02-07", "2024-02-19", "2024-02-20"),  # accepted late
    # more than 10 a month, all on time: the volume bonus
    *[
        e
        for i in range(31)
        for e in question(f"by-{i}", "huyen-bao-yen", "2024-03-04", "2024-03-04", "2024-03-05")
    ],
    # left waiting for acceptance past the deadline: all of the agency's questions late
    *question("wait-1", "ban-tuyen-giao", "2024-03-01"),
    *question("ly-1", "so-tttt", "2023-01-05", "2023-01-05", "2023-01-06"),  # last year
]


def dossiers(portal_id, early, late, open_=0):
    events = []
    for i in range(early + late + open_):
        dossier_id = f"{portal_id}-{i}"
        events.append(
            dossier(
                f"{dossier_id}.r",
                portal_id=portal_id,
                dossier_id=dossier_id,
                occurred_at="2024-01-03T09:00:00+07:00",
                due_at="2024-01-20T17:00:00+07:00",
            )
        )
        if i < early + late:
            day = "2024-01-10" if i < early else "2024-01-25"
            events.append(
                dossier(
                    f"{dossier_id}.x",
                    "resolved",
                    portal_id=portal_id,
                    dossier_id=dossier_id,
                    occurred_at=f"{day}T10:00:00+07:00",
                )
            )
    return events


DOSSIERS = (
    dossiers("so-tttt", 24, 1)  # 96%: the top tier
    + dossiers("huyen-bao-yen", 4, 1)  # 80%
    + dossiers("ubnd-tinh", 1, 1)  # 50%: the lowest tier
    + dossiers("ban-tuyen-giao", 0, 0, open_=1)  # nothing resolved yet
)


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    warehouse = Warehouse(tmp_path_factory.mktemp("scoring"))
    warehouse.land("portal", "registry.jsonl", PORTALS)
    warehouse.land("post", "posts.jsonl", POSTS)
    warehouse.land("assessment", "bbt.csv", ASSESSMENTS)
    warehouse.land("question", "q.jsonl", QUESTIONS)
    warehouse.land("dossier", "d.jsonl", DOSSIERS)
    outcome = run_period(defs, PERIOD, resources=warehouse.resources())
    assert outcome.exit_code == 0, outcome.summary()
    assert warehouse.scalar("SELECT count(*) FROM raw.quarantine") == 0
    return warehouse


def rows(warehouse, mart, columns, key="portal_id", period=PERIOD):
    found = warehouse.query(
        f"SELECT {key}, {', '.join(columns)} FROM marts.{mart} WHERE period_id = ?", [period]
    )
    return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in found}


def test_information_scores_follow_posts_and_the_board(scored):
    got = rows(
        scored,
        "appendix_01_information",
        ["section", "display_order", "scale", "deductions", "assessment_points", "score"],
    )
    assert got == {
        # 50 − 2 (no sector plans) − 1 (reports sparse) − 0.5 (board); no bonus for this period
        "so-tttt": {"section": "I", "display_order": 3, "scale": 50.0, "deductions": 3.0,
                    "assessment_points": -0.5, "score": 46.5},
        # 50 + 5 + 3 = 58, clamped to 55; the board's verdict on sector plans replaces the rule's
        "huyen-bao-yen": {"section": "I", "display_order": 1, "scale": 50.0, "deductions": 0.0,
                          "assessment_points": 8.0, "score": 55.0},
        "so-moi": {"section": "I", "display_order": 2, "scale": 50.0, "deductions": 0.0,
                   "assessment_points": 0.0, "score": 50.0},
        # party bloc: three categories empty, and the board's revised bonus (+2, not +5)
        "ban-tuyen-giao": {"section": "II", "display_order": 4, "scale": 90.0, "deductions": 6.0,
                           "assessment_points": 2.0, "score": 86.0},
    }  # fmt: skip
    ranks = rows(scored, "appendix_01_information", ["rank_in_bloc"])
    assert {k: v["rank_in_bloc"] for k, v in ranks.items()} == {
        "huyen-bao-yen": 1, "so-moi": 2, "so-tttt": 3, "ban-tuyen-giao": 1,
    }  # fmt: skip


def test_information_notes_explain_every_point_in_vietnamese(scored):
    notes = {k: v["note"] for k, v in rows(scored, "appendix_01_information", ["note"]).items()}
    assert notes["so-tttt"] == (
        "Chưa cập nhật Chiến lược, quy hoạch, kế hoạch, báo cáo phát triển ngành (trừ 2 điểm); "
        "Cập nhật Báo cáo định kỳ còn ít, chưa thường xuyên: 2/3 tin, bài, CSDL trong kỳ "
        "(trừ 1 điểm); Chưa cập nhật lãnh đạo (trừ 0,5 điểm)."
    )
    assert notes["huyen-bao-yen"] == (
        "Duy trì cập nhật đầy đủ các mục thông tin, CSDL theo quy định (đạt 50 điểm); "
        "Quy hoạch đăng trên trang riêng; "
        "Cộng 5 điểm khuyến khích đảm bảo font chữ, có ảnh minh họa, trình bày đẹp; "
        "Cộng 3 điểm chuyên mục chuyển đổi số; điểm được giới hạn trong khoảng 0 - 55 điểm."
    )
    assert notes["so-moi"] == (
        "Duy trì cập nhật đầy đủ các mục thông tin, CSDL theo quy định (đạt 50 điểm)."
    )
    assert notes["ban-tuyen-giao"] == (
        "Chưa cập nhật Công tác tuyên vận (trừ 2 điểm); Chưa cập nhật Tin tức, sự kiện "
        "(trừ 2 điểm); Chưa cập nhật Văn bản chỉ đạo điều hành (trừ 2 điểm); "
        "Cộng 2 điểm khuyến khích."
    )


def test_not_scored_portals_are_compared_with_the_period_before(scored):
    got = rows(
        scored,
        "appendix_01_2_not_scored",
        ["posts", "posts_previous_period", "previous_period_start", "note"],
    )
    assert list(got) == ["quy-x"]  # not the provincial portal, not the scored ones
    assert got["quy-x"]["posts"] == 4
    assert got["quy-x"]["posts_previous_period"] == 2
    assert str(got["quy-x"]["previous_period_start"]) == "2023-10-01"
    assert got["quy-x"]["note"] == (
        "Trong kỳ đăng tải 4 tin, bài, CSDL, tăng 2 so với kỳ trước (2). "
        "Đề nghị bổ sung thông tin lãnh đạo."
    )


def test_an_assessment_no_appendix_can_use_is_reported(scored):
    findings = scored.query(
        "SELECT portal_id, count, example_ids FROM marts.data_quality_findings"
        " WHERE period_id = ? AND finding = 'assessment_not_applied'",
        [PERIOD],
    )
    assert findings == [("ubnd-tinh", 1, [f"bbt-{PERIOD}-ubnd-tinh-presentation_bonus"])]


def test_question_deadlines_count_working_days_across_tet(scored):
    got = rows(scored, "appendix_02_questions", ["eligible", "late", "score", "score_rule"])
    assert got == {
        # accepted on the 2nd working day after Tết: in time; on the 3rd: late
        "so-tttt": {"eligible": 2, "late": 1, "score": 15.0, "score_rule": "some_late"},
        # 31 in 3 months, all in time: 15 + 2 + 1
        "huyen-bao-yen": {"eligible": 31, "late": 0, "score": 18.0,
                          "score_rule": "on_time_volume"},
        # its only question waits for acceptance past the deadline
        "ban-tuyen-giao": {"eligible": 1, "late": 1, "score": 0.0, "score_rule": "all_late"},
    }  # fmt: skip
    notes = {k: v["note"] for k, v in rows(scored, "appendix_02_questions", ["note"]).items()}
    assert notes["so-tttt"] == (
        "Có 01/2 câu hỏi tiếp nhận, trả lời chậm so với quy định (đạt 15 điểm)"
    )
    assert "trên 10 câu hỏi/tháng" in notes["huyen-bao-yen"]


def test_dossier_scores_follow_the_on_time_tiers(scored):
    got = rows(scored, "appendix_03_dossiers", ["on_time_rate", "score", "note"])
    assert {k: (v["on_time_rate"], v["score"]) for k, v in got.items()} == {
        "so-tttt": (0.96, 27.0),  # the tier's boundary is in it
        "huyen-bao-yen": (0.8, 25.0),
        "ubnd-tinh": (0.5, 20.0),
        "ban-tuyen-giao": (None, 25.0),  # nothing resolved yet: the score for "none"
    }
    assert got["ubnd-tinh"]["note"] == (
        "Tỷ lệ giải quyết đúng và trước hạn 50,0%, đạt mức dưới 80% (20 điểm)"
    )
    assert got["ban-tuyen-giao"]["note"].startswith("Chưa có hồ sơ được giải quyết trong kỳ")


def test_scorecards_add_up_and_rank_within_the_bloc(scored):
    got = rows(
        scored,
        "scorecard_portal",
        [
            "information_score",
            "qa_score",
            "dossier_score",
            "total_score",
            "total_max",
            "rank_in_bloc",
        ],
    )
    assert got["so-tttt"] == {
        "information_score": 46.5, "qa_score": 15.0, "dossier_score": 27.0,
        "total_score": 88.5, "total_max": 100.0, "rank_in_bloc": 3,
    }  # fmt: skip
    assert got["so-moi"] == {
        "information_score": 50.0, "qa_score": None, "dossier_score": None,
        "total_score": 50.0, "total_max": 55.0, "rank_in_bloc": 2,
    }  # fmt: skip
    assert got["huyen-bao-yen"]["rank_in_bloc"] == 1
    bloc = rows(scored, "scorecard_bloc", ["portals", "portals_at_max", "summary_note"], key="bloc")
    assert bloc["government"] == {
        "portals": 3,
        "portals_at_max": 1,
        "summary_note": "01/03 Cổng TTĐT thành phần đạt điểm tối đa 55 điểm; 01/03 đạt 50 điểm; "
        "01/03 đạt dưới 50 điểm (Sở Thông tin và Truyền thông)",
    }


def test_summary_compares_with_the_same_period_last_year(scored):
    found = scored.query(
        "SELECT metric || '/' || portal_group, value, value_same_period_last_year, change,"
        " change_pct FROM marts.report_summary WHERE period_id = ?",
        [PERIOD],
    )
    summary = {row[0]: row[1:] for row in found}
    assert summary["posts/province"] == (3.0, 1.0, 2.0, 2.0)
    assert summary["posts_data_items/province"] == (1.0, 0.0, 1.0, None)  # no % of nothing
    # Sở TTTT 13 (the January re-publication is December's), Bảo Yên 12, Sở Mới 5, Quỹ X 4
    assert summary["posts/all_components"] == (34.0, 2.0, 32.0, 16.0)
    assert summary["posts_english/all"][0] == 1.0
    assert summary["portals_total/all_components"] == (5.0, 4.0, 1.0, 0.25)
    assert summary["portals_new/all_components"][:2] == (1.0, 0.0)
    assert summary["questions_total/all"] == (34.0, 1.0, 33.0, 33.0)
    assert summary["questions_late/all"][0] == 2.0
    # the dossier stream starts in 2024: last year is unknown, not zero
    assert summary["dossiers_total/all"] == (33.0, None, None, None)
    assert summary["dossiers_on_time_rate/all"][0] == pytest.approx(
        29 / 32
    )  # 24 + 4 + 1 of 25 + 5 + 2


def dbt_build(project: Path, db: Path, period: str, target: Path, *, tests: bool) -> None:
    """dbt build of one period, as a run sets it (PORTAL_WAREHOUSE_PERIOD): builds sharing a
    target parse only what changed since the last. Without `tests`, dbt's data tests are left
    out (a build whose seeds and events have been tested already)."""
    left_out = ["unit_test"] + ([] if tests else ["test"])
    run_dbt(db, "build", "--exclude-resource-type", *left_out, target=target, project=project,
            PORTAL_WAREHOUSE_PERIOD=period)  # fmt: skip


def test_a_rubric_change_applies_from_its_effective_date_only(scored, tmp_path):
    """The province raises the government scale to 60 and the top dossier tier to 98% from 2024:
    2024-Q1 is scored by the new rules, and 2023-Q4, rebuilt afterwards with the same seeds,
    keeps the scores it had."""
    project = tmp_path / "models"
    shutil.copytree(MODELS_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(scored.settings.db, db)
    columns = "portal_id, scale, score, note"
    query = f"SELECT {columns} FROM marts.appendix_01_information WHERE period_id = ? ORDER BY 1"

    target = tmp_path / "target"
    dbt_build(project, db, "2023-Q4", target, tests=False)
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute(query, ["2023-Q4"]).fetchall()
    assert {row[1] for row in before if row[0] != "ban-tuyen-giao"} == {50.0}

    with open(project / "seeds" / "rubric_parameters.csv", "a", encoding="utf-8") as seed:
        seed.write("2024-01-01,information_scale,government,60,Thang điểm mới từ năm 2024\n")
    with open(project / "seeds" / "rubric_dossier_tiers.csv", "a", encoding="utf-8") as seed:
        seed.write("2024-01-01,0.98,27,từ 98% trở lên\n2024-01-01,0,25,dưới 98%\n")
    dbt_build(project, db, PERIOD, target, tests=True)  # the new seed rows pass dbt's tests
    dbt_build(project, db, "2023-Q4", target, tests=False)
    with duckdb.connect(str(db), read_only=True) as con:
        after = con.execute(query, ["2023-Q4"]).fetchall()
        now = dict(con.execute(
            "SELECT portal_id, score FROM marts.appendix_01_information WHERE period_id = ?",
            [PERIOD],
        ).fetchall())  # fmt: skip
        tiers = dict(con.execute(
            "SELECT portal_id, score FROM marts.appendix_03_dossiers WHERE period_id = ?",
            [PERIOD],
        ).fetchall())  # fmt: skip
    assert after == before
    assert now["so-tttt"] == 56.5  # 60 − 3 − 0.5
    assert now["huyen-bao-yen"] == 65.0  # the ceiling moved with the scale
    # the tiers are replaced as a whole: 96% no longer reaches the top one
    assert tiers["so-tttt"] == 25.0

    # a parameter missing for a bloc stops the build, and the failing test's rows name it
    seed = project / "seeds" / "rubric_parameters.csv"
    rows = seed.read_text(encoding="utf-8").splitlines(keepends=True)
    seed.write_text("".join(r for r in rows if ",qa_score_base," not in r), encoding="utf-8")
    failed, _ = invoke_dbt(db, "build", "--select", "+int_rubric_in_force", target=target,
                           project=project, PORTAL_WAREHOUSE_PERIOD=PERIOD)  # fmt: skip
    assert not failed.success and "not_null_columns_int_rubric_in_force" in failed.failure()
    (test_sql,) = (target / "compiled").rglob("not_null_columns_int_rubric_in_*.sql")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(test_sql.read_text()).fetchall() == [("qa_score_base", 2)]
