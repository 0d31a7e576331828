"""Dossiers: appendix 03's agencies with their volumes, channels, service levels and timeliness
for 9 months of 2023 (sample/data/appendix_03.csv); 2022 is the seed's same period (+37,857
dossiers, a factor of ≈1.21).

Later years, Lào Cai's and Yên Bái's (yen_bai_figures.csv, the same columns), run at a
fraction of those rates (`_LATER_VOLUME`: the sample is a story, not a census, and CI time
matters). A dossier is received by the unit in force for its agency on its day (a merged
department for its predecessors, the new communes for their district, by the registry's shares),
and a dossier still open when its unit is reorganised is closed by the unit that took it over.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sample import schemas
from sample.clock import (
    CALENDAR,
    DATA_END,
    DATA_START,
    DAY,
    HOUR,
    is_workday,
    local_days,
    midnight,
    ts,
    workdays_later,
)
from sample.datafiles import rows
from sample.portals import LAO_CAI, YEN_BAI, Lineage, Registry, stable_uniform

_DOSSIER_2022_FACTOR = 218_183 / 180_326  # the seed: 180,326 in 9M 2023, 37,857 fewer than 2022
# Later years' volumes, relative to the 9-month 2023 rates of each agency's own figures.
_LATER_VOLUME = {
    LAO_CAI: {2024: 0.09, 2025: 0.09, 2026: 0.095},
    YEN_BAI: {2024: 0.09, 2025: 0.09, 2026: 0.095},
}
_WEEKEND_ONLINE = 0.12  # online filings on days off, relative to a working day
_TET = tuple(
    np.datetime64(d) for d in ("2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29", "2026-02-17")
)
# Resolutions with no `received` in any export, after the seed's years.
_LATER_ORPHANS = (
    ("so-tai-chinh-2025", 3, "2025-03-10", "2026-09-18", 2),
    ("phuong-lao-cai-2025", 3, "2025-07-07", "2026-09-18", 2),
    ("yb-huyen-van-chan", 2, "2024-03-01", "2025-05-30", 4),
)
_DURATIONS = np.array([1, 2, 3, 5, 7, 10, 15, 20])  # legal processing times in working days
_DURATION_P = np.array([0.1, 0.1, 0.2, 0.2, 0.15, 0.15, 0.05, 0.05])
_EVENT_KINDS = ("received", "due_changed", "resolved", "resolved", "withdrawn")
_EVENT_SUFFIX = (".received", ".due_changed", ".resolved", ".resolved-2", ".withdrawn")


@dataclass(frozen=True)
class Agency:
    """A unit that handles dossiers, with its appendix-03-like figures for 9 months of 2023."""

    portal_id: str
    code: str  # in its dossier numbers
    registry: str
    counter: float = 0.0
    online: float = 0.0
    levels: tuple[float, float, float] = (0.0, 0.0, 0.0)  # resolved at level 2, 3, 4
    late: float = 0.0
    on_due: float = 0.0
    orphans: int = 0  # resolutions in 9M 2023 with no `received` (the seed's impossible rows)
    extra_2022: float = 0.0  # a few dossiers a year in 2022 where 2023 had none
    registered: str = "2000-01-01"  # local date: no dossier before


def _agency(r: dict, registry: str) -> Agency:
    number = {k: float(v or 0) for k, v in r.items() if k not in ("portal_id", "code")}
    return Agency(
        portal_id=r["portal_id"],
        code=r["code"],
        registry=registry,
        counter=number["received_counter"],
        online=number["received_online"],
        levels=(number["resolved_l2"], number["resolved_l3"], number["resolved_l4"]),
        late=number["late"],
        on_due=number["on_due"],
        orphans=int(number.get("orphans", 0)),
        extra_2022=number.get("extra_2022", 0.0),
    )


@cache
def agencies(registry: Registry) -> tuple[tuple[Agency, ...], int]:
    """(every unit that handles dossiers, how many of them the seed's appendix 03 lists first):
    the seed's, Yên Bái's, and every unit their activity moves into."""
    table = [_agency(r, LAO_CAI) for r in rows("appendix_03.csv")]
    seed = len(table)
    table += [
        replace(_agency(r, YEN_BAI), registered=registry.by_id[r["portal_id"]].registered)
        for r in rows("yen_bai_figures.csv")
    ]
    known = {a.portal_id for a in table}
    grown = True
    while grown:  # the successors, and theirs
        grown = False
        for m in registry.moves:
            if m.portal_id in known:
                for s in m.successors:
                    if s not in known:
                        known.add(s)
                        table.append(Agency(s, s.upper().replace("-", ""), LAO_CAI))
                        grown = True
    codes = [a.code for a in table]
    assert len(set(codes)) == len(codes), "two agencies share a dossier code"
    return tuple(table), seed


@dataclass
class Dossiers:
    """Dossiers (one row each) and their events (one row each, pointing at a dossier)."""

    agency: np.ndarray  # index into the agencies: the unit that received it
    day: np.ndarray  # local date of receipt (datetime64[D])
    seq: np.ndarray  # number of the dossier within its agency and day
    online: np.ndarray
    level: np.ndarray
    procedure: np.ndarray  # index into procedure_codes
    procedure_codes: pa.Array
    event_dossier: np.ndarray
    event_kind: np.ndarray  # index into _EVENT_KINDS
    event_ts: np.ndarray
    event_due: np.ndarray  # -1 when the event carries no due date
    event_unit: np.ndarray  # index into the agencies: the unit in force at the event

    def __add__(self, other: Dossiers) -> Dossiers:
        n, codes = len(self.agency), len(self.procedure_codes)
        return Dossiers(
            *(np.concatenate([a, b]) for a, b in (
                (self.agency, other.agency), (self.day, other.day), (self.seq, other.seq),
                (self.online, other.online), (self.level, other.level),
                (self.procedure, other.procedure + codes))),
            pa.concat_arrays([self.procedure_codes, other.procedure_codes]),
            *(np.concatenate([a, b]) for a, b in (
                (self.event_dossier, other.event_dossier + n), (self.event_kind, other.event_kind),
                (self.event_ts, other.event_ts), (self.event_due, other.event_due),
                (self.event_unit, other.event_unit))),
        )  # fmt: skip


def _day_weights(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How busy each day is at the counter and online: counters on working days only, online
    also on days off; the weeks around Tết are quiet."""
    working = is_workday(days)
    season = np.ones(len(days))
    for tet in _TET:
        season[(days >= tet - 7) & (days <= tet + 10)] = 0.5
    return working * season, (working + _WEEKEND_ONLINE * ~working) * season


def _arrivals(rng, scale: float, days: np.ndarray, table: tuple[Agency, ...], later: bool):
    """(agency, local date, online?) of each dossier received on `days`.

    Daily rates come from the agencies' 9 months of 2023, counter filings on working days only,
    online ones also on days off; the seed's 2022 is scaled by its comparison with the same
    period, later years and Yên Bái's by `_LATER_VOLUME`.
    """
    w_counter, w_online = _day_weights(days)
    # the figures are of 01/01–25/09/2023: a day's rate is its share of that window's weight
    window = np.arange(np.datetime64("2023-01-01"), np.datetime64("2023-09-26"))
    window_counter, window_online = (w.sum() for w in _day_weights(window))
    year_2022 = days < np.datetime64("2023-01-01")

    counter = np.array([a.counter for a in table], dtype=float)
    online = np.array([a.online for a in table], dtype=float)
    if later:
        noise = rng.lognormal(0.0, 0.1, size=len(table))
        year = days.astype("datetime64[Y]").astype(int) + 1970
        volume = {
            r: np.array([_LATER_VOLUME[r].get(int(y), 0.0) for y in year]) for r in _LATER_VOLUME
        }
        per_year = np.stack([volume[a.registry] for a in table]) * noise[:, None]
        since = np.array([a.registered for a in table], dtype="datetime64[D]")
        per_year *= days[None, :] > since[:, None]  # from the day after its portal opened
        few = np.zeros(len(table))
    else:
        factor = _DOSSIER_2022_FACTOR * rng.lognormal(0.0, 0.1, size=len(table))
        per_year = year_2022[None, :] * factor[:, None] + ~year_2022[None, :]
        few = np.array([a.extra_2022 for a in table])
    expected_counter = (counter / window_counter)[:, None] * w_counter * per_year
    expected_online = (online / window_online)[:, None] * w_online * per_year
    if few.any():
        expected_online += (few / w_online[year_2022].sum())[:, None] * w_online * year_2022
    counts = np.stack([rng.poisson(expected_counter * scale), rng.poisson(expected_online * scale)])
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    is_online = cell // (len(table) * len(days)) == 1
    return (cell // len(days)) % len(table), days[cell % len(days)], is_online


def simulate(rng, registry: Registry, lineage: Lineage, scale: float, *, later: bool,
             carry_in: bool = False, orphans: bool = True) -> Dossiers:  # fmt: skip
    """The seed's years (Lào Cai, 2022–2023, and with `carry_in` the dossiers of December 2021
    still open on 1 January 2022), or the later ones (Lào Cai's and Yên Bái's, from 2024)."""
    everyone, seed = agencies(registry)
    table = everyone if later else everyone[:seed]
    first = "2024-01-01" if later else "2021-12-01" if carry_in else "2022-01-01"
    last = "2026-11-01" if later else "2024-01-01"
    days = np.arange(np.datetime64(first), np.datetime64(last))
    origin, day, is_online = _arrivals(rng, scale, days, table, later)
    n = len(day)
    # received by the unit in force for its agency on its day
    agency = lineage.remap(origin, midnight(day), rng=rng)
    moved = agency != origin

    # service level and procedure follow the agency's mix
    levels = np.array([a.levels for a in table], dtype=float) + 0.01
    level_cum = np.cumsum(levels / levels.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(n)
    level = (2 + (u >= level_cum[origin, 0]) + (u >= level_cum[origin, 1])).astype(np.int8)
    size = np.array([a.counter + a.online for a in table])
    pool = 5 + 10 * (size > 1000) + 15 * (size > 10_000)
    pool_start = np.r_[0, np.cumsum(pool)[:-1]]
    codes = [f"{rng.choice((1, 2))}.{int(rng.integers(0, 13_000)):06d}" for _ in range(pool.sum())]
    durations = rng.choice(_DURATIONS, size=pool.sum(), p=_DURATION_P)
    procedure = pool_start[agency] + (pool[agency] * rng.random(n) ** 2.2).astype(np.int64)
    if moved.any():  # the successors keep the old unit's procedures
        procedure[moved] = pool_start[origin[moved]] + (
            pool[origin[moved]] * rng.random(int(moved.sum())) ** 2.2
        ).astype(np.int64)

    office = rng.integers(7 * HOUR + 1800, 17 * HOUR, size=n)
    any_hour = np.where(rng.random(n) < 0.75, rng.integers(7 * HOUR, 22 * HOUR, size=n),
                        rng.integers(0, DAY, size=n))  # fmt: skip
    received = midnight(day) + np.where(is_online, any_hour, office)
    start_day = workdays_later(day, 0)
    due_day = workdays_later(start_day, durations[procedure])
    due = midnight(due_day) + 17 * HOUR

    fate = rng.random(n)
    withdrawn = fate < 0.006
    stuck = (fate >= 0.006) & (fate < 0.0065)  # never resolved in the data
    resolves = ~withdrawn & ~stuck
    extended = resolves & (rng.random(n) < 0.015)
    final_due_day = np.where(
        extended, workdays_later(due_day, rng.integers(2, 11, size=n)), due_day
    )
    late_p = np.array([a.late / max(1, sum(a.levels)) for a in table]) + 0.002
    on_p = np.array([a.on_due / max(1, sum(a.levels)) for a in table]) + 0.01
    o = rng.random(n)
    late = o < late_p[origin]
    on_due = ~late & (o < late_p[origin] + on_p[origin])
    span = np.busday_count(start_day, final_due_day, busdaycal=CALENDAR)
    early_offset = np.minimum((span * rng.random(n) ** 1.7).astype(np.int64), span - 1)
    resolved_day = np.where(
        late,
        workdays_later(final_due_day, rng.geometric(0.35, size=n)),
        np.where(on_due, final_due_day, workdays_later(start_day, early_offset)),
    )
    resolved = midnight(resolved_day) + rng.integers(7 * HOUR + 1800, 17 * HOUR, size=n)
    same_day = resolved <= received  # filed after office hours, done the same evening
    rest_of_day = midnight(day) + DAY - 1 - received
    resolved = np.where(
        same_day, received + 60 + (rest_of_day * rng.uniform(0.1, 0.9, size=n)).astype(np.int64),
        resolved,
    )  # fmt: skip
    # the year-end push: most dossiers still open on 31/12 are closed before the new year, which
    # is why the seed carries only 721 dossiers into 2023
    year_end = midnight((day.astype("datetime64[Y]") + 1).astype("datetime64[D]")) - 7 * HOUR
    pushed = (resolved > year_end) & (received < year_end - HOUR) & (rng.random(n) < 0.75)
    resolved = np.where(
        pushed, received + ((year_end - received) * rng.uniform(0.2, 1.0, size=n)).astype(np.int64),
        resolved,
    )  # fmt: skip
    withdrawn_at = received + ((resolved - received) * rng.uniform(0.1, 0.9, size=n)).astype(
        np.int64
    )
    changed_at = received + (
        (np.minimum(resolved, due) - received) * rng.uniform(0.2, 0.8, size=n)
    ).astype(np.int64)
    twice = resolves & (rng.random(n) < 0.0003)  # the system recorded the result twice
    resolved_again = resolved + rng.integers(HOUR, 72 * HOUR, size=n)

    # dossier numbers count an agency's dossiers of the day in order of receipt
    order = np.lexsort((received, day, agency))
    key = agency[order] * 10**6 + (day[order] - days[0]).astype(np.int64)
    starts = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1]
    seq = np.empty(n, np.int64)
    seq[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1

    # late-2021 dossiers are delivered only when still open on 01/01/2022
    keep = day >= np.datetime64("2022-01-01")
    keep |= (resolves & (resolved >= DATA_START)) | (withdrawn & (withdrawn_at >= DATA_START))
    keep |= stuck
    ids = np.arange(n)
    parts = [
        (keep, 0, received, due),
        (keep & extended, 1, changed_at, midnight(final_due_day) + 17 * HOUR),
        (keep & resolves, 2, resolved, None),
        (keep & twice, 3, resolved_again, None),
        (keep & withdrawn, 4, withdrawn_at, None),
    ]
    event_dossier, event_kind, event_ts, event_due = [], [], [], []
    for mask, kind, at, due_at in parts:
        mask = mask & (at < DATA_END)
        event_dossier.append(ids[mask])
        event_kind.append(np.full(int(mask.sum()), kind, np.int8))
        event_ts.append(at[mask])
        event_due.append(due_at[mask] if due_at is not None else np.full(int(mask.sum()), -1))
    event_dossier, event_ts = np.concatenate(event_dossier), np.concatenate(event_ts)
    dossiers = Dossiers(
        agency=agency,
        day=day,
        seq=seq,
        online=is_online,
        level=level,
        procedure=procedure,
        procedure_codes=pa.array(codes),
        event_dossier=event_dossier,
        event_kind=np.concatenate(event_kind),
        event_ts=event_ts,
        event_due=np.concatenate(event_due),
        # a dossier still open when its unit is reorganised is closed by the unit that took it
        event_unit=lineage.remap(agency[event_dossier], event_ts, u=stable_uniform(event_dossier)),
    )
    if orphans:
        index = {a.portal_id: i for i, a in enumerate(everyone)}
        plan = _later_orphans(index) if later else _seed_orphans(table, index)
        _add_orphans(rng, dossiers, scale, plan, pool, pool_start)
    return dossiers


def _seed_orphans(table, index) -> list[tuple]:
    plan = [(index[a.portal_id], a.orphans, "2023-01-03", "2023-09-22", 2)
            for a in table if a.orphans]  # fmt: skip
    plan += [
        (index[p], 8, "2022-02-07", "2022-12-28", 2)
        for p in ("so-tnmt", "tp-lao-cai", "huyen-bat-xat", "huyen-bao-thang", "tx-sa-pa")
    ]
    plan += [(index["so-tnmt"], 3, "2022-03-01", "2023-11-30", 4),
             (index["huyen-bac-ha"], 3, "2022-03-01", "2023-11-30", 4)]  # fmt: skip
    return plan


def _later_orphans(index) -> list[tuple]:
    return [(index[p], k, lo, hi, kind) for p, k, lo, hi, kind in _LATER_ORPHANS]


def _add_orphans(rng, d: Dossiers, scale, plan, pool, pool_start) -> None:
    """Resolutions and withdrawals of dossiers whose `received` is not in any export."""
    agency, at, kind = [], [], []
    for a, k, lo, hi, event_kind in plan:
        k = max(1, int(round(k * scale)))
        span = int(ts(hi) - ts(lo))
        agency.append(np.full(k, a))
        at.append(ts(lo, "08:00") + np.sort(rng.integers(0, span, size=k)))
        kind.append(np.full(k, event_kind, np.int8))
    agency, at, kind = np.concatenate(agency), np.concatenate(at), np.concatenate(kind)
    n, first = len(agency), len(d.agency)
    received_day = local_days(at - rng.integers(3, 40, size=n) * DAY)
    procedure = pool_start[agency] + rng.integers(0, pool[agency])
    d.agency = np.concatenate([d.agency, agency])
    d.day = np.concatenate([d.day, received_day])
    d.seq = np.concatenate([d.seq, 90_000 + np.arange(n)])  # numbers the live system never uses
    d.online = np.concatenate([d.online, rng.random(n) < 0.5])
    d.level = np.concatenate([d.level, np.full(n, 3, np.int8)])
    d.procedure = np.concatenate([d.procedure, procedure])
    d.event_dossier = np.concatenate([d.event_dossier, first + np.arange(n)])
    d.event_kind = np.concatenate([d.event_kind, kind])
    d.event_ts = np.concatenate([d.event_ts, at])
    d.event_due = np.concatenate([d.event_due, np.full(n, -1)])
    d.event_unit = np.concatenate([d.event_unit, agency])


def table(registry: Registry, d: Dossiers, events: np.ndarray) -> pa.Table:
    """The typed events `events` (indices into the event arrays) of the dossier stream."""
    everyone, _ = agencies(registry)
    dossier = d.event_dossier[events]
    kind = d.event_kind[events]
    local = d.day[dossier]
    yymmdd = (
        (local.astype("datetime64[Y]").astype(np.int64) + 1970) % 100 * 10_000
        + (local.astype("datetime64[M]").astype(np.int64) % 12 + 1) * 100
        + (local - local.astype("datetime64[M]")).astype(np.int64)
        + 1
    )
    codes = pa.array([a.code for a in everyone])
    dossier_id = pc.binary_join_element_wise(
        pc.take(codes, pa.array(d.agency[dossier])),
        pc.utf8_lpad(pc.cast(pa.array(yymmdd), pa.string()), width=6, padding="0"),
        pc.utf8_lpad(pc.cast(pa.array(d.seq[dossier]), pa.string()), width=5, padding="0"),
        "-",
    )
    is_received = pa.array(kind == 0)
    due = d.event_due[events]
    unit = d.event_unit[events]
    online = pa.array(d.online[dossier])
    yen_bai = pa.array(np.array([a.registry == YEN_BAI for a in everyone])[unit])
    source = pc.binary_join_element_wise(
        pc.if_else(online, "dvc", "motcua"), pc.if_else(yen_bai, "-yenbai", ""), ""
    )
    service_level = pa.array(d.level[dossier].astype(np.int32))
    return pa.table(
        {
            "event_id": pc.binary_join_element_wise(
                dossier_id, pc.take(pa.array(_EVENT_SUFFIX), pa.array(kind)), ""
            ),
            "event_type": pc.take(pa.array(_EVENT_KINDS), pa.array(kind)),
            "occurred_at": pa.array(d.event_ts[events]).cast(schemas.TS),
            "portal_id": pc.take(pa.array([a.portal_id for a in everyone]), pa.array(unit)),
            "source": source,
            "dossier_id": dossier_id,
            "procedure_code": pc.take(d.procedure_codes, pa.array(d.procedure[dossier])),
            "channel": pc.if_else(
                is_received,
                pc.if_else(online, "online", "counter"),
                pa.scalar(None, pa.string()),
            ),
            "service_level": pc.if_else(
                is_received, service_level, pa.scalar(None, service_level.type)
            ),
            "due_at": pa.array(due, mask=due < 0).cast(schemas.TS),
        },
        schema=schemas.schema("dossier"),
    )


def clean_events(registry: Registry, lineage: Lineage, n_events: int, seed: int) -> pa.Table:
    """About n_events clean, valid dossier events: the earliest of a simulation of the seed's
    years, so every lifecycle is whole up to its last event (dossiers cut at the end are simply
    still open)."""
    scale = max(n_events, 1) / 1_000_000
    while True:
        d = simulate(np.random.default_rng([seed, 3]), registry, lineage, scale, later=False,
                     orphans=False)  # fmt: skip
        if len(d.event_ts) >= n_events:
            break
        scale *= 1.1 * n_events / max(len(d.event_ts), 1)
    first = np.lexsort((d.event_kind, d.event_dossier, d.event_ts))[:n_events]
    return table(registry, d, first)
