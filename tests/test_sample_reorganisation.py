"""The sample's 2025 reorganisation, read back from the real loader's raw tables.

On 1 March 2025 departments merge (both provinces); on 1 July 2025 Yên Bái's portal system joins
Lào Cai's, the districts are retired into the new communes and wards that took their area, and the
communes merge into 99 commune-level units (models/seeds/commune_units.csv). The registry says it
every way EVENTS.md 1.1 allows, and the activity follows the units in force.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from ingest.contract import REFERENCE_DIR

MARCH, JULY = date(2025, 3, 1), date(2025, 7, 1)
END = date(2026, 10, 31)  # the sample's last day: a month before the day it describes
COMMUNE_LEVEL = ("commune", "ward", "special_zone")
ACTIVITY = ("post", "question", "dossier", "assessment")


@pytest.fixture(scope="module")
def warehouse(sample_ingested):
    warehouse, _, _ = sample_ingested
    return warehouse


@pytest.fixture(scope="module")
def registry(warehouse) -> dict[str, dict]:
    """portal_id → its registration, retirement and updates, as the loader accepted them."""
    found: dict[str, dict] = defaultdict(lambda: {"updated": []})
    rows = warehouse.query(
        "SELECT portal_id, event_type, occurred_on, name, portal_group, source,"
        " successor_portal_ids, successor_shares, predecessor_portal_ids"
        " FROM raw.portal_events ORDER BY occurred_at, event_id"
    )
    for pid, kind, on, name, group, source, successors, shares, predecessors in rows:
        event = {
            "on": on,
            "name": name,
            "group": group,
            "source": source,
            "successors": successors or [],
            "shares": [float(s) for s in shares] if shares else None,
            "predecessors": predecessors or [],
        }
        if kind == "updated":
            found[pid]["updated"].append(event)
        else:
            found[pid][kind] = event
    return dict(found)


def successors(registry, pid: str) -> set[str]:
    """Where a retired unit continues, from either side of the registry."""
    retired = registry[pid].get("retired")
    named = set(retired["successors"]) if retired else set()
    return named | {
        other for other, p in registry.items() if pid in p["registered"]["predecessors"]
    }


def in_force(registry, pid: str, day: date) -> bool:
    p = registry[pid]
    retired = p.get("retired")
    return p["registered"]["on"] <= day and (retired is None or day < retired["on"])


def reference(name: str) -> list[dict]:
    with open(REFERENCE_DIR / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---- the registry


def test_the_reorganisation_is_valid_under_the_contract(warehouse):
    """Only the planted records are set aside (the full check is in test_sample_ingest.py)."""
    quarantined = warehouse.query(
        "SELECT event_id FROM raw.quarantine WHERE stream = 'portal' ORDER BY event_id"
    )
    assert [e for (e,) in quarantined] == [
        "huyen-bac-ha.retired.du-thao",  # its shares sum to 0.9
        "phuong-coc-leu.updated.20220615",
        "so-vhtt.renamed.20221003",
        "xa-thu-nghiem.registered",
    ]
    changes = warehouse.scalar(
        "SELECT count(*) FROM raw.portal_events WHERE occurred_on IN (?, ?)", [MARCH, JULY]
    )
    assert changes > 340  # 30 on 1 March, the rest on 1 July


def test_both_sides_of_the_registry_agree(registry):
    for pid, p in registry.items():
        for predecessor in p["registered"]["predecessors"]:
            retired = registry[predecessor].get("retired")
            assert retired and retired["on"] == p["registered"]["on"], (pid, predecessor)
            assert not retired["successors"] or pid in retired["successors"], (pid, predecessor)
        retired = p.get("retired")
        for successor in retired["successors"] if retired else ():
            registered = registry[successor]["registered"]
            if registered["on"] == retired["on"]:  # the same reorganisation, seen from both sides
                assert not registered["predecessors"] or pid in registered["predecessors"], pid


def test_the_department_mergers_of_1_march_2025(registry):
    # a new unit named by its predecessors too (both sides)
    assert set(registry["so-khcn-2025"]["registered"]["predecessors"]) == {"so-khcn", "so-tttt"}
    for pid in ("so-khcn", "so-tttt"):
        assert registry[pid]["retired"]["on"] == MARCH
        assert registry[pid]["retired"]["successors"] == ["so-khcn-2025"]
    # a new unit that alone says it (its predecessors are retired naming nobody)
    assert set(registry["so-tai-chinh-2025"]["registered"]["predecessors"]) == {
        "so-tai-chinh",
        "so-khdt",
    }
    for pid in ("so-tai-chinh", "so-khdt"):
        assert registry[pid]["retired"]["successors"] == []
        assert successors(registry, pid) == {"so-tai-chinh-2025"}
    # a continuing unit, named only by the other's retirement; one of them renamed
    for old, continuing in (
        ("so-gtvt", "so-xay-dung"),
        ("so-ldtbxh", "so-noi-vu"),
        ("so-tnmt", "so-nnptnt"),
    ):
        assert registry[old]["retired"]["on"] == MARCH
        assert registry[old]["retired"]["successors"] == [continuing]
        assert "retired" not in registry[continuing] or registry[continuing]["retired"]["on"] > END
    renamed = {u["name"] for u in registry["so-nnptnt"]["updated"] if u["on"] == MARCH}
    assert renamed == {"Sở Nông nghiệp và Môi trường"}
    assert "retired" not in registry["so-nnptnt"]


def test_a_chain_from_the_2023_split_to_the_2025_merger(registry):
    first = registry["so-gtvt-xd"]["retired"]
    assert first["on"] == date(2023, 12, 27)
    assert first["successors"] == ["so-gtvt", "so-xay-dung"] and first["shares"] is None
    assert registry["so-gtvt"]["retired"]["successors"] == ["so-xay-dung"]
    # and across the provinces: Yên Bái's KH&ĐT → its Tài chính → Lào Cai's new Sở Tài chính
    assert successors(registry, "yb-so-khdt") == {"yb-so-tai-chinh"}
    assert successors(registry, "yb-so-tai-chinh") == {"so-tai-chinh-2025"}


def test_every_district_is_retired_on_1_july_2025_into_the_new_units(registry):
    districts = {pid: p for pid, p in registry.items() if p["registered"]["group"] == "district"}
    assert len(districts) == 18  # 9 of Lào Cai, 9 of Yên Bái
    with_shares, without = [], []
    for pid, p in districts.items():
        retired = p["retired"]
        assert retired["on"] == JULY, pid
        assert len(retired["successors"]) >= 2, pid
        for s in retired["successors"]:
            assert registry[s]["registered"]["group"] in COMMUNE_LEVEL, (pid, s)
            assert registry[s]["registered"]["on"] == JULY
        if retired["shares"] is None:
            without.append(pid)
        else:
            assert len(retired["shares"]) == len(retired["successors"])
            assert sum(retired["shares"]) == pytest.approx(1, abs=1e-9)
            with_shares.append(pid)
    assert sorted(without) == ["tx-sa-pa", "yb-tx-nghia-lo"]
    assert len(with_shares) == 16


def test_99_commune_level_units_from_1_july_2025(registry):
    counts = {r["effective_from"]: int(r["commune_units"]) for r in reference("commune_units.csv")}
    for day in (JULY, date(2026, 9, 25), END):
        units = [
            pid
            for pid, p in registry.items()
            if p["registered"]["group"] in COMMUNE_LEVEL and in_force(registry, pid, day)
        ]
        assert len(units) == counts["2025-07-01"] == 99
    wards = [pid for pid, p in registry.items() if p["registered"]["group"] == "ward"]
    assert len(wards) == 10  # inland Lào Cai has no special zone
    # before: 123 of Lào Cai's 152 communes had a portal; from 2024 the warehouse also holds
    # Yên Bái's history, 81 of its 168
    for day, units in ((date(2023, 9, 25), 123), (date(2025, 6, 30), 123 + 81)):
        communes = [
            pid
            for pid, p in registry.items()
            if p["registered"]["group"] == "commune" and in_force(registry, pid, day)
        ]
        assert len(communes) == units
    assert counts["2020-01-01"] == 152 and counts["2024-01-01"] == 152 + 168


def test_communes_merge_n_to_1(registry):
    units = {
        pid: p["registered"]["predecessors"]
        for pid, p in registry.items()
        if p["registered"]["on"] == JULY and p["registered"]["group"] in COMMUNE_LEVEL
    }
    assert len(units) == 99
    districts = {
        p
        for preds in units.values()
        for p in preds
        if registry[p]["registered"]["group"] == "district"
    }
    assert len(districts) == 18 and all(preds for preds in units.values())
    merged = {pid: [p for p in preds if p not in districts] for pid, preds in units.items()}
    merged = {pid: preds for pid, preds in merged.items() if preds}
    assert len(merged) == 88  # 11 units were made of communes that had no portal
    assert max(len(v) for v in merged.values()) >= 5
    old = [p for preds in merged.values() for p in preds]
    assert len(old) == len(set(old)) == 123 + 81
    for preds in merged.values():
        for pid in preds:
            assert registry[pid]["registered"]["group"] == "commune"
            assert registry[pid]["retired"]["on"] == JULY
            # Lào Cai's communes name their successor too, Yên Bái's do not
            assert bool(registry[pid]["retired"]["successors"]) == (not pid.startswith("yb-"))
    assert registry["phuong-lao-cai-2025"]["registered"]["group"] == "ward"
    assert "phuong-coc-leu" in merged["phuong-lao-cai-2025"]


def test_yen_bai_joins_lao_cai_on_1_july_2025(registry):
    yen_bai = {pid: p for pid, p in registry.items() if pid.startswith("yb-")}
    assert len(yen_bai) == 31 + 81
    for pid, p in yen_bai.items():
        assert p["registered"]["source"] == "quan-tri-cong-yen-bai"
        assert p["registered"]["on"] == date(2024, 1, 1)  # its history from 2024 on
        assert p["retired"]["on"] <= JULY, pid
        assert successors(registry, pid), pid
    assert registry["yb-ubnd-tinh"]["retired"]["successors"] == ["ubnd-tinh"]
    split = registry["yb-so-vhttdl"]["retired"]
    assert split["successors"] == ["so-vhtt", "so-du-lich"] and split["shares"] == [0.7, 0.3]


# ---- the activity


def test_no_activity_outside_its_units_lifetime(warehouse, registry):
    """Every event (bar the planted unknown portals) is at a unit registered on its local date
    and not yet retired: activity moves to the successors from the day of a reorganisation."""
    for stream in ACTIVITY:
        days = warehouse.query(
            f"SELECT portal_id, min(occurred_on), max(occurred_on) FROM raw.{stream}_events"
            " GROUP BY portal_id"
        )
        for pid, first, last in days:
            p = registry[pid]
            assert p["registered"]["on"] <= first, (stream, pid, first)
            retired = p.get("retired")
            assert retired is None or last < retired["on"], (stream, pid, last)


def test_no_event_after_the_sample_ends(warehouse, sample_ingested):
    for stream in ("portal", *ACTIVITY):
        last = warehouse.scalar(f"SELECT max(occurred_on) FROM raw.{stream}_events")
        assert last <= END, stream
    _, summary, _ = sample_ingested
    newest = max(Path(f).stat().st_mtime for f in summary.files)
    assert date.fromtimestamp(newest) <= date(2026, 11, 30)


def test_yen_bai_units_carry_their_history_before_the_merger(warehouse):
    for stream, sources in (
        ("post", {"cms-yenbai"}),
        ("question", {"hoidap-yenbai"}),
        ("dossier", {"dvc-yenbai", "motcua-yenbai"}),
    ):
        years = warehouse.query(
            f"SELECT year(occurred_on), list(DISTINCT source) FROM raw.{stream}_events"
            " WHERE portal_id LIKE 'yb-%' GROUP BY 1 ORDER BY 1"
        )
        assert [y for y, _ in years] == [2024, 2025], stream
        assert all(set(s) == sources for _, s in years), (stream, years)


def _window(warehouse, stream: str, event_type: str, year: int, where: str = "") -> dict:
    rows = warehouse.query(
        f"SELECT portal_id, count(*) FROM raw.{stream}_events WHERE event_type = ?"
        f" AND occurred_on BETWEEN ? AND ? {where} GROUP BY 1",
        [event_type, date(year, 1, 1), date(year, 9, 25)],
    )
    return dict(rows)


def test_merged_units_carry_on_their_predecessors_activity(warehouse, registry):
    """The same window of 2026 and of 2025, restated on the units in force (mergers only), come
    out alike: the volume a unit publishes or handles continues in the unit that took it over.
    Posts are counted outside the mandatory categories, whose monthly floor each scored unit
    keeps up on its own (at a small scale it would outweigh the volume)."""
    merged_into = {}
    for pid in registry:
        after = successors(registry, pid)
        if len(after) == 1:
            merged_into[pid] = after.pop()

    def lineage(pid: str) -> set[str]:
        return {pid}.union(*(lineage(p) for p, into in merged_into.items() if into == pid))

    mandatory = ", ".join(
        f"'{r['category']}'" for r in reference("rubric_mandatory_categories.csv")
    )
    volume = f"AND category NOT IN ({mandatory})"
    units = ("so-tai-chinh-2025", "so-khcn-2025", "so-xay-dung", "so-noi-vu", "so-nnptnt")
    for stream, event_type, where in (
        ("post", "published", volume),
        ("dossier", "received", ""),
    ):
        now = _window(warehouse, stream, event_type, 2026, where)
        before = _window(warehouse, stream, event_type, 2025, where)
        assert 0.85 < sum(now.values()) / sum(before.values()) < 1.25, stream
        restated = sum(before.get(p, 0) for unit in units for p in lineage(unit))
        merged = sum(now.get(unit, 0) for unit in units)
        assert 0.75 < merged / restated < 1.35, (stream, merged, restated)


def test_a_few_units_publish_their_introduction_in_english(warehouse):
    english = warehouse.query(
        "SELECT DISTINCT portal_id FROM raw.post_events WHERE language = 'en'"
        " AND category = 'introduction' AND occurred_on >= ?",
        [date(2025, 1, 1)],
    )
    assert {"ubnd-tinh", "so-khcn-2025", "phuong-sa-pa-2025"} <= {p for (p,) in english}


def test_the_board_assesses_the_units_in_force(warehouse, registry):
    periods = warehouse.query(
        "SELECT period_id, list(DISTINCT portal_id), min(occurred_on) FROM raw.assessment_events"
        " GROUP BY 1 ORDER BY 1"
    )
    assert [p for p, _, _ in periods] == ["2022-9M", "2023-9M", "2025-9M", "2026-9M"]
    for period, portals, on in periods:
        assert all(in_force(registry, pid, on) for pid in portals), period
    assessed_2026 = dict((p, set(ids)) for p, ids, _ in periods)["2026-9M"]
    assert {"so-tai-chinh-2025", "so-khcn-2025", "so-xay-dung"} <= assessed_2026


def test_the_rubric_lists_the_successors_of_listed_agencies(registry):
    """A listed agency retired by a merger hands its listing on, from the day it is retired."""
    listed = reference("rubric_listed_agencies.csv")
    since = {(r["appendix"], r["portal_id"]): date.fromisoformat(r["listed_from"]) for r in listed}
    for (appendix, pid), _ in since.items():
        assert pid in registry, pid
        retired = registry[pid].get("retired")
        if retired is None:
            continue
        for successor in successors(registry, pid):
            assert since.get((appendix, successor), END) <= retired["on"], (pid, successor)
