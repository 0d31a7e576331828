"""Reorganised units on a small hand-made registry, through the real ingest, dbt and Dagster job:
mergers (from either side of the registry, and into a unit that keeps its id), a chain, a split
with and without shares, a rename, a district abolished with its communes merged, a second
province's portals joining, and a registry whose two sides disagree. Every restated and
as-reported figure below is counted by hand from the events (EVENTS.md 1.1, "Lineage").

Report period 2025-9M (01/01–30/09/2025); the same period last year is 01/01–30/09/2024; the
period just before is 01/04–31/12/2024.
"""

import csv

import pytest

from ingest.contract import REFERENCE_DIR
from orchestration.definitions import defs
from orchestration.resources import WarehouseResource
from orchestration.runs import run_period
from tests.conftest import Warehouse

PERIOD = "2025-9M"
DEPARTMENTS_MERGE = "2025-03-01"
PROVINCES_MERGE = "2025-07-01"


def registered(portal_id, name, group="department", day="2021-01-01", scored=True, **fields):
    return {
        "event_id": f"reg-{portal_id}",
        "event_type": "registered",
        "occurred_at": f"{day}T08:00:00+07:00",
        "portal_id": portal_id,
        "name": name,
        "portal_group": group,
        "bloc": "government",
        "scored": scored,
    } | fields


def retired(portal_id, day, successors=None, shares=None):
    event = {
        "event_id": f"ret-{portal_id}",
        "event_type": "retired",
        "occurred_at": f"{day}T00:00:00+07:00",
        "portal_id": portal_id,
    }
    if successors:
        event["successor_portal_ids"] = successors
    if shares:
        event["successor_shares"] = shares
    return event


REGISTRY = [
    registered("ubnd-tinh", "UBND tỉnh Lào Cai", "province", scored=False),
    # a merger seen from both sides: two departments into a new one
    registered("gt", "Sở Giao thông vận tải"),
    registered("xd", "Sở Xây dựng"),
    retired("gt", DEPARTMENTS_MERGE, ["xd-moi"]),
    retired("xd", DEPARTMENTS_MERGE, ["xd-moi"]),
    registered("xd-moi", "Sở Xây dựng tỉnh Lào Cai", day=DEPARTMENTS_MERGE,
               predecessor_portal_ids=["gt", "xd"]),
    # a merger into a unit that keeps its id, said by the retired side only; later the second
    # province's department joins it too
    registered("tc", "Sở Tài chính"),
    registered("khdt", "Sở Kế hoạch và Đầu tư"),
    retired("khdt", DEPARTMENTS_MERGE, ["tc"]),
    # a chain: A → B (mid-2024) → C (2025), said by the registered side; C is not scored
    registered("a", "Sở A"),
    retired("a", "2024-06-01"),
    registered("b", "Sở B", day="2024-06-01", predecessor_portal_ids=["a"]),
    retired("b", DEPARTMENTS_MERGE),
    registered("c", "Sở C", day=DEPARTMENTS_MERGE, scored=False, predecessor_portal_ids=["b"]),
    # a rename: the same id, a new name
    registered("dt", "Ban Dân tộc"),
    {"event_id": "upd-dt", "event_type": "updated", "occurred_at": "2025-03-01T08:00:00+07:00",
     "portal_id": "dt", "name": "Sở Dân tộc và Tôn giáo"},
    # two sides that disagree: P's retirement names Q, R's registration names P
    registered("p", "Sở P"),
    retired("p", DEPARTMENTS_MERGE, ["q"]),
    registered("q", "Sở Q", day=DEPARTMENTS_MERGE),
    registered("r", "Sở R", day=DEPARTMENTS_MERGE, predecessor_portal_ids=["p"]),
    # district X abolished: its area split 60/40 between a merged commune and a new ward
    registered("huyen-x", "Huyện X", "district"),
    *[registered(f"xa-{n}", f"Xã {n}", "commune", parent_portal_id="huyen-x") for n in range(1, 5)],
    retired("huyen-x", PROVINCES_MERGE, ["xa-1-moi", "phuong-2"], [0.6, 0.4]),
    retired("xa-1", PROVINCES_MERGE, ["xa-1-moi"]),
    retired("xa-2", PROVINCES_MERGE, ["xa-1-moi"]),
    retired("xa-3", PROVINCES_MERGE, ["phuong-2"]),
    registered("xa-1-moi", "Xã Một Mới", "commune", day=PROVINCES_MERGE,
               predecessor_portal_ids=["xa-1", "xa-2", "huyen-x"]),
    registered("phuong-2", "Phường Hai", "ward", day=PROVINCES_MERGE),
    # commune 4 stays, no longer under a district
    {"event_id": "upd-xa-4", "event_type": "updated", "occurred_at": "2025-07-01T08:00:00+07:00",
     "portal_id": "xa-4", "parent_portal_id": "ubnd-tinh"},
    # district Y abolished into two communes, with no shares: not restated
    registered("huyen-y", "Huyện Y", "district"),
    registered("xa-5", "Xã Năm", "commune", parent_portal_id="huyen-y"),
    registered("xa-6", "Xã Sáu", "commune", parent_portal_id="huyen-y"),
    retired("huyen-y", PROVINCES_MERGE, ["xa-5", "xa-6"]),
    # the second province's portals join: its provincial portal and a department
    registered("yb-tinh", "UBND tỉnh Yên Bái", "province", scored=False),
    registered("yb-tc", "Sở Tài chính tỉnh Yên Bái"),
    retired("yb-tinh", PROVINCES_MERGE, ["ubnd-tinh"]),
    retired("yb-tc", PROVINCES_MERGE, ["tc"]),
]  # fmt: skip

# posts per portal last year (on 10/01/2024; B's on 10/07/2024), and this period's with their day
LAST_YEAR = {
    "ubnd-tinh": 10, "yb-tinh": 6, "gt": 4, "xd": 6, "tc": 5, "khdt": 3, "yb-tc": 2,
    "a": 2, "b": 3, "dt": 1, "p": 2, "huyen-x": 10, "xa-1": 1, "xa-2": 2, "xa-3": 3, "xa-4": 4,
    "huyen-y": 8, "xa-5": 1, "xa-6": 1,
}  # fmt: skip
THIS_PERIOD = {  # before a unit's retirement, or after its registration
    "ubnd-tinh": (12, "2025-08-10"), "yb-tinh": (3, "2025-06-10"),
    "gt": (1, "2025-02-10"), "xd": (2, "2025-02-10"), "xd-moi": (9, "2025-08-10"),
    "tc": (7, "2025-08-10"), "khdt": (1, "2025-02-10"), "yb-tc": (1, "2025-06-10"),
    "c": (4, "2025-08-10"), "dt": (2, "2025-08-10"), "q": (1, "2025-08-10"),
    "r": (1, "2025-08-10"), "huyen-x": (5, "2025-06-10"),
    "xa-1": (1, "2025-06-10"), "xa-2": (1, "2025-06-10"), "xa-3": (1, "2025-06-10"),
    "xa-4": (2, "2025-08-10"), "xa-1-moi": (3, "2025-08-10"), "phuong-2": (4, "2025-08-10"),
    "huyen-y": (2, "2025-06-10"), "xa-5": (1, "2025-08-10"), "xa-6": (1, "2025-08-10"),
}  # fmt: skip


def posts(portal_id, n, day):
    return [
        {
            "event_id": f"post-{portal_id}-{day}-{i}",
            "event_type": "published",
            "occurred_at": f"{day}T09:00:00+07:00",
            "portal_id": portal_id,
            "post_id": f"{portal_id}-{day}-{i}",
            "kind": "article",
            "category": "news",
        }
        for i in range(n)
    ]


JAN = "2024-01-10"
LAST_YEAR_DAY = {"b": "2024-07-10"}  # B was registered mid-2024
POSTS = [
    *(p for pid, n in LAST_YEAR.items() for p in posts(pid, n, LAST_YEAR_DAY.get(pid, JAN))),
    *(p for pid, (n, day) in THIS_PERIOD.items() for p in posts(pid, n, day)),
]  # fmt: skip


def dossiers(portal_id, n, received, resolved):
    events = []
    for i in range(n):
        dossier_id = f"{portal_id}-{received}-{i}"
        events += [
            {
                "event_id": f"{dossier_id}.r",
                "event_type": "received",
                "occurred_at": f"{received}T09:00:00+07:00",
                "portal_id": portal_id,
                "dossier_id": dossier_id,
                "channel": "online",
                "service_level": 4,
                "due_at": f"{resolved}T17:00:00+07:00",
            },
            {
                "event_id": f"{dossier_id}.x",
                "event_type": "resolved",
                "occurred_at": f"{resolved}T10:00:00+07:00",
                "portal_id": portal_id,
                "dossier_id": dossier_id,
            },
        ]
    return events


DOSSIERS = [
    *dossiers("gt", 10, "2024-02-01", "2024-02-05"),
    *dossiers("xd", 5, "2024-02-01", "2024-02-05"),
    *dossiers("xd-moi", 7, "2025-05-05", "2025-05-08"),
    # Sở Tài chính has none this year, but its predecessor had some: it is listed all the same
    *dossiers("khdt", 4, "2024-02-01", "2024-02-05"),
]


@pytest.fixture(scope="module")
def reorganised(tmp_path_factory):
    warehouse = Warehouse(tmp_path_factory.mktemp("lineage"))
    warehouse.land("portal", "registry.jsonl", REGISTRY)
    warehouse.land("post", "posts.jsonl", POSTS)
    warehouse.land("dossier", "dossiers.jsonl", DOSSIERS)
    resources = {
        "warehouse": WarehouseResource(
            landing=str(warehouse.landing),
            db=str(warehouse.settings.db),
            publish=str(warehouse.landing.parent / "publish"),
        )
    }
    outcome = run_period(defs, PERIOD, resources=resources)
    assert outcome.exit_code == 0, outcome.summary()
    assert warehouse.scalar("SELECT count(*) FROM raw.quarantine") == 0
    return warehouse


def by_portal(warehouse, mart, columns):
    found = warehouse.query(
        f"SELECT portal_id, {', '.join(columns)} FROM marts.{mart} WHERE period_id = ?", [PERIOD]
    )
    return {row[0]: row[1:] if len(columns) > 1 else row[1] for row in found}


def test_lineage_rows_from_either_side_of_the_registry(reorganised):
    rows = reorganised.query(
        "SELECT predecessor_portal_id, successor_portal_id, effective_on::varchar, share, kind,"
        " is_agreed FROM marts.portal_lineage ORDER BY 1, 2"
    )
    assert rows == [
        ("a", "b", "2024-06-01", 1.0, "transfer", True),
        ("b", "c", "2025-03-01", 1.0, "transfer", True),
        ("gt", "xd-moi", "2025-03-01", 1.0, "merge", True),
        ("huyen-x", "phuong-2", "2025-07-01", 0.4, "split", True),
        ("huyen-x", "xa-1-moi", "2025-07-01", 0.6, "split", True),
        ("huyen-y", "xa-5", "2025-07-01", None, "split", True),
        ("huyen-y", "xa-6", "2025-07-01", None, "split", True),
        ("khdt", "tc", "2025-03-01", 1.0, "merge", True),
        ("p", "q", "2025-03-01", 1.0, "transfer", True),
        # R names P, whose own retirement names Q: disputed, and not followed
        ("p", "r", "2025-03-01", None, "transfer", False),
        ("xa-1", "xa-1-moi", "2025-07-01", 1.0, "merge", True),
        ("xa-2", "xa-1-moi", "2025-07-01", 1.0, "merge", True),
        ("xa-3", "phuong-2", "2025-07-01", 1.0, "merge", True),
        ("xd", "xd-moi", "2025-03-01", 1.0, "merge", True),
        ("yb-tc", "tc", "2025-07-01", 1.0, "merge", True),
        ("yb-tinh", "ubnd-tinh", "2025-07-01", 1.0, "transfer", True),
    ]  # fmt: skip


def test_restated_and_as_reported_posts_per_unit(reorganised):
    got = by_portal(
        reorganised,
        "portal_activity",
        ["posts", "posts_same_period_last_year", "posts_same_period_last_year_as_reported"],
    )
    assert got == {
        # the provincial portal takes the joining province's: 10 + 6
        "ubnd-tinh": (12, 16, 10),
        # a merger sums its predecessors (4 + 6); the new unit itself reported nothing then
        "xd-moi": (9, 10, None),
        # the unit that keeps its id adds its predecessors': 5 + 3 + 2
        "tc": (7, 10, 5),
        # the chain's end carries both links: A's 2 (before mid-2024) and B's 3 (after)
        "c": (4, 5, None),
        "dt": (2, 1, 1),
        # Q continues P (P's own retirement stands); R's claim is disputed and not followed
        "q": (1, 2, None),
        "r": (1, 0, None),
        # the merged commune: 1 + 2 of its communes and 60 % of district X's 10
        "xa-1-moi": (3, 9, None),
        # the ward: commune 3's 3 and 40 % of district X's 10
        "phuong-2": (4, 7, None),
        "xa-4": (2, 4, 4),
        # district Y was split with no shares: its successors' last year is not restated
        "xa-5": (1, None, 1),
        "xa-6": (1, None, 1),
        # units retired during the period keep their own rows and figures
        "yb-tinh": (3, 6, 6), "gt": (1, 4, 4), "xd": (2, 6, 6), "khdt": (1, 3, 3),
        "yb-tc": (1, 2, 2), "huyen-x": (5, 10, 10), "huyen-y": (2, 8, 8),
        "xa-1": (1, 1, 1), "xa-2": (1, 2, 2), "xa-3": (1, 3, 3),
    }  # fmt: skip


def test_lineage_notes_say_where_the_comparison_comes_from(reorganised):
    notes = by_portal(reorganised, "portal_activity", ["lineage_note"])
    assert notes["xd-moi"] == (
        "Hợp nhất từ Sở Giao thông vận tải và Sở Xây dựng từ 01/03/2025; "
        "cùng kỳ là tổng của các đơn vị trước hợp nhất"
    )
    assert notes["tc"] == (
        "Hợp nhất từ Sở Tài chính, Sở Kế hoạch và Đầu tư và Sở Tài chính tỉnh Yên Bái từ "
        "01/07/2025; cùng kỳ là tổng của các đơn vị trước hợp nhất"
    )
    assert notes["q"] == "Kế thừa Sở P từ 01/03/2025, cùng kỳ là số liệu của đơn vị trước"
    assert notes["xa-1-moi"] == (
        "Hợp nhất từ Huyện X (60,0%), Xã 1 và Xã 2 từ 01/07/2025; "
        "cùng kỳ là tổng của các đơn vị trước hợp nhất"
    )
    assert notes["xa-5"] == (
        "Tiếp nhận một phần của Huyện Y (cùng kỳ 8 tin, bài, 0 câu hỏi, 0 hồ sơ; kỳ trước 0 tin,"
        " bài) từ 01/07/2025; chưa có tỷ lệ phân chia nên số liệu so sánh không điều chỉnh"
    )
    assert notes["dt"] == "Trước đây là Ban Dân tộc"
    assert notes["gt"] == "Đã hợp nhất vào Sở Xây dựng tỉnh Lào Cai từ 01/03/2025"
    assert notes["huyen-x"] == "Đã chia tách, sắp xếp vào Phường Hai và Xã Một Mới từ 01/07/2025"
    assert notes["xa-4"] is None and notes["r"] is None


def commune_units(day: str) -> int:
    with open(REFERENCE_DIR / "commune_units.csv", encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if row["effective_from"] <= day]
    return int(max(rows, key=lambda row: row["effective_from"])["commune_units"])


def summary(warehouse, metric):
    found = warehouse.query(
        "SELECT portal_group, value, value_same_period_last_year,"
        " value_same_period_last_year_as_reported FROM marts.report_summary"
        " WHERE period_id = ? AND metric = ?",
        [PERIOD, metric],
    )
    return {group: rest for group, *rest in found}


def test_group_totals_are_restated_on_todays_units(reorganised):
    got = summary(reorganised, "posts")
    # (this period, last year restated, last year as reported); districts' history moves to the
    # communes that took their area; units retired in the period count with their successors
    assert got == {
        "party_mass": [0, 0, 0],
        "province": [15, 16, 16],
        "department": [29, 28, 28],
        "district": [0, 0, 18],
        "commune": [21, 30, 12],
        "all_components": [50, 58, 58],
    }


def test_portal_counts_compare_todays_units(reorganised):
    total = summary(reorganised, "portals_total")
    # today: 5 commune-level units; last year restated: the 5 whose history existed then;
    # as reported: the 6 communes of the time
    assert total["commune"] == [5, 5, 6]
    assert total["district"] == [0, 0, 2]
    # a unit that continues older ones is not new under its new id: of the period's new ids
    # only R (whose claim to P is not followed) is; last year as reported, B was
    new = summary(reorganised, "portals_new")
    assert new["department"] == [1, 0, 1] and new["commune"] == [0, 0, 0]
    units = summary(reorganised, "units")
    assert units["commune"][0] == 4 and units["ward"][0] == 1
    coverage = summary(reorganised, "commune_coverage")
    # against the province's commune-level units of the time (bundled reference data)
    assert coverage["commune"][0] == pytest.approx(5 / commune_units("2025-09-30"))
    assert coverage["commune"][1] == coverage["commune"][2]
    assert coverage["commune"][2] == pytest.approx(6 / commune_units("2024-09-30"))


def test_merged_agency_is_listed_and_says_so(reorganised):
    rows = by_portal(reorganised, "appendix_03_dossiers", ["total", "note"])
    assert set(rows) == {"xd-moi", "tc"}  # listed: active now, or through its predecessor
    assert rows["tc"][0] == 0
    assert rows["xd-moi"][1].endswith(
        ". Hợp nhất từ Sở Giao thông vận tải và Sở Xây dựng từ 01/03/2025; "
        "cùng kỳ là tổng của các đơn vị trước hợp nhất"
    )
    activity = by_portal(
        reorganised,
        "portal_activity",
        ["dossiers_total", "dossiers_total_same_period_last_year",
         "dossiers_total_same_period_last_year_as_reported"],
    )  # fmt: skip
    assert activity["xd-moi"] == (7, 15, None)
    assert activity["tc"] == (0, 4, 0)


def test_not_scored_unit_compares_with_its_predecessors_previous_period(reorganised):
    rows = by_portal(
        reorganised,
        "appendix_01_2_not_scored",
        ["posts", "posts_previous_period", "posts_previous_period_as_reported", "note"],
    )
    # C's previous period (01/04–31/12/2024) is B's 3 posts of 10/07/2024; A's fell before it
    assert rows["c"][:3] == (4, 3, None)
    assert rows["c"][3].endswith(
        "Hợp nhất từ Sở A và Sở B từ 01/03/2025; kỳ trước là tổng của các đơn vị trước hợp nhất."
    )


def test_a_registry_whose_sides_disagree_is_a_finding(reorganised):
    found = reorganised.query(
        "SELECT portal_id, count, example_ids FROM marts.data_quality_findings"
        " WHERE period_id = ? AND finding = 'lineage_disagreement'",
        [PERIOD],
    )
    assert found == [("r", 1, ["reg-r"])]
