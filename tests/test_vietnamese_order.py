"""Names in Vietnamese order (DuckDB's ICU collation `vi`), not by code point: agencies that tie
on their score print in the order a Vietnamese reader looks them up, in appendices 01, 01.2, 02
and 03. Code point order puts "Cục Thuế" before "Cục Thống kê" (u < ố), every Đ after Z, and
"Ủy ban" after "Văn phòng"; "Sở Xây dựng" before "Sở Y tế" is the same in both."""

import pytest

from orchestration.definitions import defs
from orchestration.runs import run_period
from tests.conftest import Warehouse
from tests.test_period_edges import question, received

PERIOD, CUTOFF = "2023-9M", "2023-09-25"
SCORED = [  # in Vietnamese order
    ("cuc-thong-ke", "Cục Thống kê tỉnh"),
    ("cuc-thue", "Cục Thuế tỉnh"),
    ("dai-ptth", "Đài Phát thanh - Truyền hình tỉnh"),
    ("hoi-nong-dan", "Hội Nông dân tỉnh"),
    ("so-xay-dung", "Sở Xây dựng"),
    ("so-y-te", "Sở Y tế"),
    ("mttq", "Ủy ban MTTQ Việt Nam tỉnh"),
    ("vp-ubnd", "Văn phòng UBND tỉnh"),
]
NOT_SCORED = [
    ("cc-thong-ke", "Chi cục Thống kê khu vực"),
    ("cc-thue", "Chi cục Thuế khu vực"),
    ("dai-truyen-thanh", "Đài Truyền thanh huyện"),
    ("trung-tam", "Trung tâm Lưu trữ lịch sử"),
]


def registered(portal_id, name, scored):
    return {
        "event_id": f"reg-{portal_id}",
        "event_type": "registered",
        "occurred_at": "2021-01-01T08:00:00+07:00",
        "portal_id": portal_id,
        "name": name,
        "portal_group": "department",
        "bloc": "government",
        "scored": scored,
    }


@pytest.fixture(scope="module")
def ordered(tmp_path_factory):
    warehouse = Warehouse(tmp_path_factory.mktemp("order"))
    portals = [registered(p, n, True) for p, n in SCORED]
    portals += [registered(p, n, False) for p, n in NOT_SCORED]
    warehouse.land("portal", "registry.jsonl", portals)
    # the same for every scored agency: one question waiting within its deadline (17 points),
    # one dossier in progress (25 points); and no post at all (the same deductions)
    warehouse.land("question", "q.jsonl", [
        question(f"{p}.q.s", "submitted", "2023-09-25T08:00:00+07:00", f"{p}.q", p)
        for p, _ in SCORED
    ])  # fmt: skip
    warehouse.land("dossier", "d.jsonl", [
        received(f"{p}.d", "2023-09-20T09:00:00+07:00", "2023-10-20T17:00:00+07:00", portal_id=p)
        for p, _ in SCORED
    ])  # fmt: skip
    outcome = run_period(defs, PERIOD, cutoff=CUTOFF, resources=warehouse.resources())
    assert outcome.exit_code == 0, outcome.summary()
    return warehouse


def test_code_point_order_gets_these_names_wrong():
    for names in (SCORED, NOT_SCORED):
        assert sorted(name for _, name in names) != [name for _, name in names]


@pytest.mark.parametrize(
    ("mart", "expected"),
    [
        ("appendix_01_information", SCORED),
        ("appendix_01_2_not_scored", NOT_SCORED),
        ("appendix_02_questions", SCORED),
        ("appendix_03_dossiers", SCORED),
    ],
)
def test_ties_print_in_vietnamese_order(ordered, mart, expected):
    rows = ordered.query(
        f"SELECT portal_id, portal_name, count(DISTINCT score) OVER () FROM marts.{mart}"
        " WHERE period_id = ? ORDER BY display_order",
        [PERIOD],
    ) if mart != "appendix_01_2_not_scored" else ordered.query(
        f"SELECT portal_id, portal_name, 1 FROM marts.{mart}"
        " WHERE period_id = ? ORDER BY display_order",
        [PERIOD],
    )  # fmt: skip
    assert {ties for *_, ties in rows} == {1}  # every agency on one score: the names decide
    assert [(portal_id, name) for portal_id, name, _ in rows] == expected
