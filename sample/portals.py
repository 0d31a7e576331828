"""The portal registry of the sample, and the lineage its activity follows.

From sample/data/:
- lao_cai_agencies.csv, lao_cai_communes.csv: Lào Cai's portals as the seed reports list them
  (appendix 01's 53 scored portals, 01.2's not scored ones, the agencies only appendices 02 and 03
  name, and 123 communes opened district by district);
- yen_bai_agencies.csv, yen_bai_communes.csv: Yên Bái's own registry, with its own ids (`yb-`),
  as it stood on 1 January 2024: Yên Bái hands over its history from then, the year before the
  merger that the merged province's comparisons need (2025 against 2024, 2026 against 2025).
  Not earlier: the warehouse reads every unit its registry holds, so an earlier history would
  enter Lào Cai's own reports of 2022 and 2023 (and their commune coverage), which the seed fixes;
- registry_changes.csv: the registry's changes as it delivered them: the 2023 rename, the 12/2023
  split of Sở GTVT - Xây dựng, the department mergers of 1 March 2025 in both provinces (some as
  a new unit naming its predecessors, some as a continuing unit named by the others' retirement,
  some from both sides), renames, and Yên Bái's units retired into Lào Cai's on 1 July 2025;
- units_2025.csv: the 99 commune-level units (communes and wards) of the merged province from
  1 July 2025; which old communes each continues is the `merged_into` column of the communes.

On 1 July 2025 the district level is abolished: every district is retired with the new units
that took its communes as successors, with shares by the number of its communes each took (a
unit made only of communes that had no portal counts one), except the districts in
`WITHOUT_SHARES`, whose successors the registry names without shares. Each new unit names as
predecessors the communes it continues and the districts it took area from (the two sides of the
registry agree). Lào Cai's communes are retired naming their successor; Yên Bái's are retired
without one, and only the new unit's `predecessor_portal_ids` says where they went.

`Lineage` is the simulation's side of the same facts: a unit's activity continues in its
successors from the day it is retired, in the registry's shares (or, for a split the registry
gives without shares, in the simulation's own weights).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

import numpy as np

from sample.clock import DATA_END, DAY, LOCAL_OFFSET, ts
from sample.datafiles import ids, rows

LAO_CAI, YEN_BAI = "lao-cai", "yen-bai"
SOURCES = {LAO_CAI: "quan-tri-cong", YEN_BAI: "quan-tri-cong-yen-bai"}
PROVINCE_PORTAL = "ubnd-tinh"  # the provincial portal; appendix 03 lists its agency, UBND tỉnh
MERGER_DAY = "2025-07-01"  # Yên Bái joins, the districts go, the communes merge
# Districts whose successors the registry of 1 July 2025 names without shares (not restated).
WITHOUT_SHARES = ("tx-sa-pa", "yb-tx-nghia-lo")
# How the simulation divides the activity of a split the registry gives without shares.
SPLIT_WEIGHTS = {"so-gtvt-xd": (0.6, 0.4)}
COMMUNE_LEVEL = ("commune", "ward", "special_zone")


@dataclass(frozen=True)
class Portal:
    portal_id: str
    name: str  # at registration
    group: str
    bloc: str
    scored: bool
    registered: str  # local date
    registered_ts: int
    registry: str  # LAO_CAI or YEN_BAI: whose registry registered it
    parent: str | None = None
    retired_ts: int = DATA_END  # DATA_END: never retired
    names: tuple[tuple[int, str], ...] = ()  # (from, name) of its renames
    scored_from: int | None = None  # since when it is scored (registered so, or updated)

    @property
    def retired(self) -> bool:
        return self.retired_ts < DATA_END

    def name_at(self, moment: int) -> str:
        name = self.name
        for since, renamed in self.names:
            if since <= moment:
                name = renamed
        return name


@dataclass(frozen=True)
class Move:
    """A retired unit whose activity continues in its successors from `at` (local midnight)."""

    portal_id: str
    at: int
    successors: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(eq=False)  # hashed by identity: built once (`build` is cached)
class Registry:
    portals: tuple[Portal, ...]
    events: list[dict]  # the clean `portal` stream, each row tagged with its `registry`
    moves: tuple[Move, ...]
    by_id: dict[str, Portal] = field(init=False)

    def __post_init__(self):
        self.by_id = {p.portal_id: p for p in self.portals}

    def seed_portals(self) -> tuple[Portal, ...]:
        """Lào Cai's registry as it stood at the end of 2023, in the seed's order."""
        end_2023 = ts("2024-01-01")
        return tuple(
            p for p in self.portals if p.registry == LAO_CAI and p.registered_ts < end_2023
        )


def _flag(value: str) -> bool:
    return value == "true"


def _midnight_of(moment: int) -> int:
    return (moment + LOCAL_OFFSET) // DAY * DAY - LOCAL_OFFSET


def _shares(weights: list[int]) -> list[Decimal]:
    """Weights as decimal shares of 6 places that sum to exactly 1."""
    total = sum(weights)
    step = Decimal("0.000001")
    shares = [(Decimal(w) / total).quantize(step, ROUND_HALF_EVEN) for w in weights[:-1]]
    return [*shares, Decimal(1) - sum(shares)]


def _event(kind: str, portal_id: str, at: int, registry: str, day: str = "", **fields) -> dict:
    suffix = f".{day.replace('-', '')}" if kind == "updated" else ""
    row = {
        "event_id": f"{portal_id}.{kind}{suffix}",
        "event_type": kind,
        "occurred_at": at,
        "portal_id": portal_id,
        "source": SOURCES[registry],
        "registry": registry,
    }
    return row | {k: v for k, v in fields.items() if v is not None and v != "" and v != []}


def _registered(p: Portal, predecessors: tuple[str, ...] = ()) -> dict:
    return _event(
        "registered",
        p.portal_id,
        p.registered_ts,
        p.registry,
        name=p.name,
        portal_group=p.group,
        bloc=p.bloc,
        scored=p.scored,
        parent_portal_id=p.parent,
        predecessor_portal_ids=list(predecessors),
    )


def _listed(file: str, registry: str, time: str = "08:30", **defaults) -> list[Portal]:
    return [
        Portal(
            portal_id=r["portal_id"],
            name=r["name"],
            group=r.get("portal_group") or defaults["group"],
            bloc=r.get("bloc") or defaults["bloc"],
            scored=_flag(r["scored"]) if "scored" in r else defaults["scored"],
            registered=r["registered"],
            registered_ts=ts(r["registered"], time),
            registry=registry,
            parent=r["parent_portal_id"] or None,
        )
        for r in rows(file)
    ]


@cache
def build() -> Registry:
    commune = {"group": "commune", "bloc": "government", "scored": False}
    lao_cai = _listed("lao_cai_agencies.csv", LAO_CAI)
    lao_cai_communes = _listed("lao_cai_communes.csv", LAO_CAI, **commune)
    yen_bai = _listed("yen_bai_agencies.csv", YEN_BAI, "00:00")
    yen_bai_communes = _listed("yen_bai_communes.csv", YEN_BAI, "00:00", **commune)
    changes = rows("registry_changes.csv")
    new_departments = [
        Portal(
            portal_id=c["portal_id"],
            name=c["name"],
            group=c["portal_group"],
            bloc=c["bloc"],
            scored=_flag(c["scored"]),
            registered=c["day"],
            registered_ts=ts(c["day"], c["time"]),
            registry=c["registry"],
            parent=c["parent_portal_id"] or None,
        )
        for c in changes
        if c["event_type"] == "registered"
    ]
    merger = ts(MERGER_DAY)
    units = [
        Portal(
            u["portal_id"],
            u["name"],
            u["portal_group"],
            "government",
            False,
            MERGER_DAY,
            merger,
            LAO_CAI,
        )  # fmt: skip
        for u in rows("units_2025.csv")
    ]
    portals = lao_cai + lao_cai_communes + new_departments + yen_bai + yen_bai_communes + units
    by_id = {p.portal_id: p for p in portals}
    assert len(by_id) == len(portals), "a portal id is registered twice"

    # What continues where on 1 July 2025: communes into units, districts into the units that
    # took their communes.
    merged_into = {
        r["portal_id"]: r["merged_into"]
        for file in ("lao_cai_communes.csv", "yen_bai_communes.csv")
        for r in rows(file)
    }
    predecessors: dict[str, list[str]] = defaultdict(list)
    for old, new in merged_into.items():
        predecessors[new].append(old)
    took: dict[str, dict[str, int]] = defaultdict(dict)  # district → unit → weight
    for unit in rows("units_2025.csv"):
        for old in predecessors[unit["portal_id"]]:
            district = by_id[old].parent
            took[district][unit["portal_id"]] = took[district].get(unit["portal_id"], 0) + 1
        if unit["area"]:
            took[unit["area"]][unit["portal_id"]] = 1
    for district, weights in took.items():  # a unit names the districts it took area from too
        for unit in weights:
            predecessors[unit].append(district)

    events = [_registered(p) for p in lao_cai + lao_cai_communes + yen_bai + yen_bai_communes]
    retired: dict[str, int] = {}
    renames: dict[str, list[tuple[int, str]]] = defaultdict(list)
    scored_from = {p.portal_id: p.registered_ts for p in portals if p.scored}
    splits: dict[str, tuple[float, ...]] = dict(SPLIT_WEIGHTS)
    for c in changes:
        at = ts(c["day"], c["time"])
        kind, pid = c["event_type"], c["portal_id"]
        if kind == "registered":
            events.append(_registered(by_id[pid], ids(c["predecessor_portal_ids"])))
            continue
        fields = {
            "name": c["name"] or None,
            "portal_group": c["portal_group"] or None,
            "bloc": c["bloc"] or None,
            "scored": _flag(c["scored"]) if c["scored"] else None,
            "parent_portal_id": c["parent_portal_id"] or None,
        }
        if kind == "retired":
            retired[pid] = at
            shares = [Decimal(s) for s in ids(c["successor_shares"])]
            fields = {"successor_portal_ids": list(ids(c["successor_portal_ids"])),
                      "successor_shares": shares}  # fmt: skip
            if shares:
                splits[pid] = tuple(float(s) for s in shares)
        if fields.get("name"):
            renames[pid].append((at, fields["name"]))
        if fields.get("scored"):
            scored_from.setdefault(pid, at)
        events.append(_event(kind, pid, at, c["registry"], c["day"], **fields))
    for district, weights in took.items():
        successors = list(weights)
        retired[district] = merger
        shares = _shares(list(weights.values()))
        splits[district] = tuple(float(s) for s in shares)
        events.append(
            _event("retired", district, merger, LAO_CAI, successor_portal_ids=successors,
                   successor_shares=[] if district in WITHOUT_SHARES else shares)
        )  # fmt: skip
    for p in lao_cai_communes + yen_bai_communes:
        retired[p.portal_id] = merger
        says = [merged_into[p.portal_id]] if p.registry == LAO_CAI else []
        events.append(_event("retired", p.portal_id, merger, LAO_CAI, successor_portal_ids=says))
    for u in units:
        events.append(_registered(u, tuple(predecessors[u.portal_id])))

    portals = [
        Portal(
            **{
                **p.__dict__,
                "retired_ts": retired.get(p.portal_id, DATA_END),
                "names": tuple(renames[p.portal_id]),
                "scored_from": scored_from.get(p.portal_id),
            }
        )  # fmt: skip
        for p in portals
    ]
    events.sort(key=lambda r: (r["occurred_at"], r["event_id"]))
    return Registry(tuple(portals), events, _moves(events, splits))


def _moves(events: list[dict], splits: dict[str, tuple[float, ...]]) -> tuple[Move, ...]:
    """Each retirement with its successors, from either side of the registry."""
    named_by: dict[str, list[str]] = defaultdict(list)  # predecessor → units naming it
    for e in events:
        for pred in e.get("predecessor_portal_ids", ()):
            named_by[pred].append(e["portal_id"])
    moves = []
    for e in events:
        if e["event_type"] != "retired":
            continue
        pid = e["portal_id"]
        successors = tuple(e.get("successor_portal_ids") or named_by.get(pid, ()))
        if not successors:
            continue
        weights = splits.get(pid, (1.0 / len(successors),) * len(successors))
        assert len(weights) == len(successors), pid
        moves.append(Move(pid, _midnight_of(e["occurred_at"]), successors, weights))
    return tuple(sorted(moves, key=lambda m: m.at))


class Lineage:
    """Moves activity onto the unit in force: vectorised over arrays of portal indices."""

    def __init__(self, portal_ids: list[str], moves: tuple[Move, ...]):
        self.ids = np.array(portal_ids, dtype=object)
        self.index = {pid: i for i, pid in enumerate(portal_ids)}
        steps: dict[int, list[Move]] = defaultdict(list)
        for m in moves:
            if m.portal_id in self.index:
                steps[m.at].append(m)
        self.steps = []
        for at, step in sorted(steps.items()):
            single = np.arange(len(portal_ids))
            splits = []
            for m in step:
                succ = np.array([self.index[s] for s in m.successors])
                if len(succ) == 1:
                    single[self.index[m.portal_id]] = succ[0]
                else:
                    splits.append((self.index[m.portal_id], succ, np.cumsum(m.weights)))
            retiring = np.zeros(len(portal_ids), bool)
            retiring[[self.index[m.portal_id] for m in step]] = True
            self.steps.append((at, single, splits, retiring))

    def remap(self, unit: np.ndarray, at: np.ndarray, rng=None, u=None) -> np.ndarray:
        """The unit in force at `at` for activity of `unit`: successors chosen with `rng` (one
        draw per split and moved item, in time order) or with the given uniforms `u`."""
        unit = np.asarray(unit).copy()
        for moment, single, splits, retiring in self.steps:
            moved = retiring[unit] & (at >= moment)
            if not moved.any():
                continue
            for pred, succ, cum in splits:
                mask = moved & (unit == pred)
                k = int(mask.sum())
                if k:
                    draw = rng.random(k) if u is None else u[mask]
                    pick = np.minimum(np.searchsorted(cum, draw, side="right"), len(succ) - 1)
                    unit[mask] = succ[pick]
            unit = np.where(moved, single[unit], unit)
        return unit


def lineage(registry: Registry, portal_ids: list[str]) -> Lineage:
    return Lineage(portal_ids, registry.moves)


def stable_uniform(keys: np.ndarray) -> np.ndarray:
    """A uniform in [0, 1) per integer key, the same every run (no random state consumed)."""
    mixed = (np.asarray(keys, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)) * np.uint64(
        0xBF58476D1CE4E5B9
    )
    mixed ^= mixed >> np.uint64(31)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
